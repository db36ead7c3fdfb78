//! Golden files of `bpfbox verify` on refused corpus programs, one rule
//! class each (or two): the text rendering and the `--pretty` JSON, as a
//! user sees them (stdout, stderr, exit status), in `golden/`.
//! `BPFBOX_BLESS=1` rewrites them. While bpfbox still accepts a program
//! the kernel refuses (a KNOWN GAP of `expected.txt`), its golden file
//! says `accepted`: progress shows up as a diff here too. No kernel is
//! needed.

use std::path::PathBuf;
use std::process::Command;

/// `(object in tests/progs/verifier, program)`; all refused by the kernel.
const PROGRAMS: &[(&str, &str)] = &[
    ("adjust", "bad_use_after_adjust_head"),
    ("atomic", "bad_atomic_ctx"),
    ("cb", "bad_loop_ret_two"),
    ("ctx", "bad_read_off_100"),
    ("ctx", "bad_write_len"),
    ("depth", "bad_combined_over_512"),
    ("depth", "bad_nine_frames"),
    ("div", "bad_div_by_zero_imm"),
    ("global", "bad_write_rodata"),
    ("globalfn", "bad_unsized_buffer"),
    ("dynptr", "bad_ringbuf_dynptr_leak"),
    ("gpl-prop", "bad_printk_proprietary"),
    ("helper", "bad_xdp_helper_in_tc"),
    ("hsize", "bad_size_unbounded"),
    ("jmp32", "bad_w_check_64bit_value"),
    ("lock", "bad_exit_locked"),
    ("loop", "bad_infinite"),
    ("loop", "bad_unbounded_for"),
    ("mapkey", "bad_key_too_short"),
    ("mapval", "bad_index_le"),
    ("maygoto", "bad_may_goto_uninit"),
    ("null", "bad_hash_unchecked"),
    ("pkt", "bad_no_end_check"),
    ("pkt", "bad_off_by_one"),
    ("precise", "bad_decided_branch"),
    ("ptrarith", "bad_mul_pointer"),
    ("r10", "bad_assign_r10"),
    ("ref", "bad_leak_one_path"),
    ("ref", "bad_use_after_release"),
    ("retval", "bad_dev_two"),
    ("ringbuf", "bad_leak_one_path"),
    ("signed", "bad_slt_only"),
    ("spill", "bad_pointer_partial_fill"),
    ("stack", "bad_below_stack"),
    ("stack", "bad_var_off_beyond"),
    ("tail", "bad_tail_plain_array"),
    ("timer", "bad_timer_touched"),
    ("types", "bad_cgroup_skb_write_pkt"),
    ("types", "bad_kprobe_past_regs"),
];

fn golden_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/verifier_agreement/golden")
}

/// `bpfbox <args>` from the repository root, as a transcript.
fn transcript(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_bpfbox"))
        .args(args)
        .current_dir(crate::root())
        .output()
        .expect("runs bpfbox");
    let mut t = format!("$ bpfbox {}\n", args.join(" "));
    t.push_str(&String::from_utf8_lossy(&out.stdout));
    let err = String::from_utf8_lossy(&out.stderr);
    if !err.is_empty() {
        t.push_str("[stderr]\n");
        t.push_str(&err);
    }
    if !t.ends_with('\n') {
        t.push('\n');
    }
    t.push_str(&format!("[exit {}]\n", out.status.code().unwrap_or(-1)));
    t
}

pub(crate) fn verify_diagnostics_match_golden_files() {
    let dir = golden_dir();
    let bless = crate::blessing();
    if bless {
        std::fs::create_dir_all(&dir).expect("golden dir");
    }
    let mut failures = Vec::new();
    for (obj, prog) in PROGRAMS {
        assert!(
            prog.starts_with("bad_"),
            "{obj}:{prog} is not a refused program"
        );
        let path = format!("{}/{obj}.o", crate::corpus::CORPUS_DIR);
        for (ext, json) in [("txt", false), ("json", true)] {
            let mut args = vec!["verify", path.as_str(), "--prog", prog];
            if json {
                args.push("--pretty");
            }
            let actual = transcript(&args);
            let file = dir.join(format!("{obj}.{prog}.{ext}"));
            if bless {
                std::fs::write(&file, &actual).expect("write golden file");
                continue;
            }
            match std::fs::read_to_string(&file) {
                Ok(expected) if expected == actual => {}
                Ok(expected) => failures.push(format!(
                    "{}: rendering changed\n--- expected\n{expected}--- actual\n{actual}",
                    file.display()
                )),
                Err(e) => failures.push(format!("{}: {e}", file.display())),
            }
        }
    }
    // Every golden file belongs to a listed program (no stale ones).
    if !bless {
        for e in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            let listed = PROGRAMS
                .iter()
                .any(|(o, p)| name == format!("{o}.{p}.txt") || name == format!("{o}.{p}.json"));
            if !listed {
                failures.push(format!("{name}: golden file of no listed program"));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{}\n(BPFBOX_BLESS=1 cargo test -p bpfbox --test verifier_agreement golden to accept)",
        failures.join("\n")
    );
}

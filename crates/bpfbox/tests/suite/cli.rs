//! The `bpfbox` binary end to end: output formats, exit codes, and one
//! clear line for bad input.

use super::root;
use std::path::PathBuf;
use std::process::{Command, Output};

fn bpfbox(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bpfbox"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("run bpfbox")
}

fn tmp(name: &str, bytes: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("bpfbox-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Bad input: exit 1 and exactly one `bpfbox:` line naming the file.
fn one_line_error(o: &Output, file: &str, cause: &str) {
    assert_eq!(o.status.code(), Some(1), "stderr: {}", stderr(o));
    let e = stderr(o);
    assert_eq!(e.lines().count(), 1, "one line: {e}");
    assert!(
        e.starts_with("bpfbox: ") && e.contains(file) && e.contains(cause),
        "{e}"
    );
}

pub(crate) fn exec_prints_r0_last_for_both_syntaxes_and_raw() {
    let conf = tmp("a.s", b"mov %r0, 7\nadd %r0, %r2\nexit\n");
    let pseudo = tmp("b.s", b"r0 = 7\nr0 += r2\nexit\n");
    let mem = tmp("mem", &[0u8; 5]);
    for prog in [&conf, &pseudo] {
        let o = bpfbox(&[
            "exec",
            prog.to_str().unwrap(),
            "--mem",
            mem.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
        assert_eq!(stdout(&o).lines().last(), Some("0xc"));
    }
    let bin = conf.with_extension("bin");
    let o = bpfbox(&["asm", conf.to_str().unwrap(), "-o", bin.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(std::fs::read(&bin).unwrap().len(), 24);
    let o = bpfbox(&["exec", bin.to_str().unwrap()]);
    assert_eq!(stdout(&o).lines().last(), Some("0x7"));
    let o = bpfbox(&["disasm", bin.to_str().unwrap()]);
    assert!(stdout(&o).contains("r0 += r2"), "{}", stdout(&o));
}

pub(crate) fn exec_on_the_kernel() {
    let p = tmp("k.s", b"r0 = 0x12345678\nr0 += 1\nexit\n");
    let o = bpfbox(&["exec", p.to_str().unwrap(), "--engine", "kernel"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o).lines().last(), Some("0x12345679"));
}

pub(crate) fn exec_bad_input_is_one_line() {
    let odd = tmp("odd.bin", &[0u8; 9]);
    one_line_error(
        &bpfbox(&["exec", odd.to_str().unwrap()]),
        "odd.bin",
        "multiple of 8",
    );
    let reg = tmp("reg.s", b"or %r0, %r50\nexit\n");
    one_line_error(&bpfbox(&["exec", reg.to_str().unwrap()]), "reg.s", "r50");
    let oob = tmp("oob.s", b"r0 = *(u64 *)(r1 + 0)\nexit\n");
    one_line_error(&bpfbox(&["exec", oob.to_str().unwrap()]), "oob.s", "insn 0");
    let spin = tmp("spin.s", b"l: goto l\n");
    let o = bpfbox(&["exec", spin.to_str().unwrap(), "--insn-limit", "1000"]);
    one_line_error(&o, "spin.s", "limit");
    let o = bpfbox(&["exec", "examples/xdp_filter.o"]);
    one_line_error(&o, "xdp_filter.o", "bpfbox run");
    let uninit = tmp("uninit.s", b"or %r0, %r10\nexit\n");
    one_line_error(
        &bpfbox(&["exec", uninit.to_str().unwrap()]),
        "uninit.s",
        "R0 !read_ok",
    );
    let o = bpfbox(&["exec", uninit.to_str().unwrap(), "--no-verify"]);
    assert!(
        o.status.success(),
        "the interpreter alone runs it: {}",
        stderr(&o)
    );
    let data = tmp("unknown.data", b"-- asm\nexit\n-- Unknown directive\n");
    let o = bpfbox(&["conformance", data.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stdout(&o).ends_with("0 passed, 1 failed\n"),
        "{}",
        stdout(&o)
    );
}

pub(crate) fn conformance_plugin_protocol() {
    // mov r0, 0x2a; exit
    let o = Command::new(env!("CARGO_BIN_EXE_bpfbox"))
        .args([
            "conformance-plugin",
            "--program",
            "b7000000 2a000000 95000000 00000000",
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o), "2a\n");
    // r0 = r2 (memory length)
    let o = Command::new(env!("CARGO_BIN_EXE_bpfbox"))
        .args([
            "conformance-plugin",
            "--program",
            "bf20000000000000 9500000000000000",
            "aabbcc",
        ])
        .output()
        .unwrap();
    assert_eq!(stdout(&o), "3\n");
}

pub(crate) fn run_json_and_pcap_counts() {
    let pkt = tmp("pkt.bin", &[0u8; 64]);
    let o = bpfbox(&[
        "run",
        "examples/xdp_filter.o",
        "--data-in",
        pkt.to_str().unwrap(),
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["retval"], 2);
    assert_eq!(v["verdict"], "XDP_PASS");
    assert_eq!(v["data_out"].as_str().unwrap().len(), 128);
    assert_eq!(v["repeat"], 1);
    assert!(v["duration_ns"].is_number() && v["trace"].is_array());

    let out = pkt.with_file_name("out.pcap");
    let o = bpfbox(&[
        "run",
        "examples/xdp_filter.o",
        "--pcap",
        "examples/mixed.pcap",
        "--pcap-out",
        out.to_str().unwrap(),
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    // Worked out by hand from examples/make_pcap.py and xdp_filter.c.
    assert_eq!(v["verdicts"]["XDP_DROP"], 8);
    assert_eq!(v["verdicts"]["XDP_PASS"], 14);
    assert_eq!(v["verdicts"]["XDP_TX"], 2);
    assert_eq!(v["written"], 16);
    assert_eq!(bpfbox::pcap::read(&out).unwrap().len(), 16);
}

pub(crate) fn run_bad_input_is_one_line() {
    let short = tmp("short.bin", &[0u8; 5]);
    let o = bpfbox(&[
        "run",
        "examples/xdp_filter.o",
        "--data-in",
        short.to_str().unwrap(),
    ]);
    one_line_error(&o, "short.bin", "14 bytes");
    let o = bpfbox(&["run", "/bin/true", "--data-in", short.to_str().unwrap()]);
    one_line_error(&o, "/bin/true", "not an eBPF object");
    let trunc = tmp(
        "trunc.o",
        &std::fs::read(root().join("examples/xdp_filter.o")).unwrap()[..300],
    );
    one_line_error(
        &bpfbox(&["prog", "list", trunc.to_str().unwrap()]),
        "trunc.o",
        "",
    );
    let o = bpfbox(&[
        "run",
        "examples/xdp_filter.o",
        "--pcap",
        short.to_str().unwrap(),
    ]);
    one_line_error(&o, "short.bin", "not a pcap");
    let o = bpfbox(&[
        "run",
        "tests/progs/skb_multi.o",
        "--data-in",
        short.to_str().unwrap(),
    ]);
    one_line_error(&o, "skb_multi.o", "--prog");
    let ctx = tmp("ctx.bin", &[1u8; 24]);
    let pkt = tmp("pkt64.bin", &[0u8; 64]);
    let o = bpfbox(&[
        "run",
        "examples/xdp_filter.o",
        "--data-in",
        pkt.to_str().unwrap(),
        "--ctx-in",
        ctx.to_str().unwrap(),
    ]);
    // the context is at fault: the line names the ctx file, not the packet
    one_line_error(&o, "ctx.bin", "ctx_in");
    assert!(!stderr(&o).contains("pkt64.bin"), "{}", stderr(&o));
}

pub(crate) fn diff_example_is_identical() {
    let o = bpfbox(&[
        "diff",
        "examples/xdp_filter.o",
        "--pcap",
        "examples/mixed.pcap",
    ]);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("identical"), "{}", stdout(&o));
}

pub(crate) fn prog_list_shows_programs_and_maps() {
    let o = bpfbox(&["prog", "list", "examples/xdp_filter.o", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["programs"][0]["name"], "xdp_filter");
    assert_eq!(v["programs"][0]["type"], "BPF_PROG_TYPE_XDP");
    assert_eq!(v["maps"][0]["name"], "verdicts");
    assert_eq!(v["maps"][1]["type"], "hash");
}

pub(crate) fn fire_cgroup_device_sequence() {
    let o = bpfbox(&[
        "fire",
        "tests/progs/events/cgroup/dev.o",
        "--event",
        "examples/events/cgroup_device.json",
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let events = v.as_array().unwrap();
    assert_eq!(events.len(), 6);
    for e in events {
        assert!(e["retval"].is_number() && e["action"].is_string(), "{e}");
    }
    // tests/progs/events/cgroup/dev.c: /dev/null (1:3) readable, writes to
    // /dev/zero (1:5) refused.
    assert_eq!(events[0]["action"], "allow");
    assert_eq!(events[2]["action"], "deny: EPERM");
    let bad = tmp("bad-event.json", br#"{"access": "read"}"#);
    let o = bpfbox(&[
        "fire",
        "tests/progs/events/cgroup/dev.o",
        "--event",
        bad.to_str().unwrap(),
    ]);
    one_line_error(&o, "bad-event.json", "type");
    let o = bpfbox(&[
        "fire",
        "examples/xdp_filter.o",
        "--event",
        "examples/events/cgroup_device.json",
    ]);
    one_line_error(&o, "cgroup_device.json", "does not drive");
}

pub(crate) fn types_lists_every_program_type() {
    let o = bpfbox(&["types", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let all = v.as_array().unwrap();
    assert_eq!(all.len(), 32);
    for t in all {
        for key in [
            "name",
            "sec_names",
            "context",
            "return_values",
            "attach",
            "test_run",
            "bpfbox",
        ] {
            assert!(!t[key].is_null(), "{} lacks {key}", t["name"]);
        }
    }
    let xdp = all
        .iter()
        .find(|t| t["name"] == "BPF_PROG_TYPE_XDP")
        .unwrap();
    assert_eq!(xdp["bpfbox"], "run");
    let o = bpfbox(&["types", "cgroup_device"]);
    assert!(stdout(&o).contains("bpf_cgroup_dev_ctx"), "{}", stdout(&o));
    let o = bpfbox(&["types", "no_such_type"]);
    assert_eq!(o.status.code(), Some(1));
}

pub(crate) fn explain_prints_the_long_text() {
    let o = bpfbox(&["explain", "uninit_reg"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).len() > 100, "{}", stdout(&o));
    let o = bpfbox(&["explain", "bpfbox::verifier::unreachable"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(bpfbox(&["explain", "nope"]).status.code(), Some(1));
}

pub(crate) fn verify_points_at_the_c_source_line() {
    let o = bpfbox(&["verify", "tests/progs/verify/reject.o"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("reads_r5: rejected"), "{out}");
    assert!(out.contains("reject.c:13"), "C source line: {out}");
    assert!(out.contains("R5 !read_ok"), "{out}");
    assert!(out.contains("accepted: accepted"), "{out}");
    let o = bpfbox(&["verify", "examples/xdp_filter.o"]);
    assert!(o.status.success(), "{}", stdout(&o));
    // The kernel refuses the same program for the same reason.
    {
        let obj = bpfbox_object::load_file(root().join("tests/progs/verify/reject.o")).unwrap();
        let def = obj.program("reads_r5").unwrap();
        let err = bpfbox::kernel::ProgLoad::new(def.prog_type, &def.insns)
            .load()
            .map(|_| ())
            .expect_err("the kernel refuses it too");
        assert!(err.to_string().contains("R5 !read_ok"), "{err}");
    }
}

pub(crate) fn every_shipped_example_event_fires() {
    let t = "tests/progs/events/trace/trace.o";
    let s = |o: &str| format!("tests/progs/events/sock/{o}");
    let cases = [
        (t.to_string(), "kp_regs", "kprobe.json"),
        (t.to_string(), "pe_sample", "perf_event.json"),
        (t.to_string(), "rtp_sum", "raw_tracepoint.json"),
        (t.to_string(), "sys_prog", "syscall.json"),
        (t.to_string(), "tp_switch", "tracepoint_sched_switch.json"),
        (s("sock_ops.o"), "record_ops", "sock_ops.json"),
        (s("sk_reuseport.o"), "pick", "sk_reuseport.json"),
        (s("sk_skb.o"), "verdict", "sk_skb.json"),
        (s("sk_skb.o"), "parse", "sk_skb_parser.json"),
        (s("sk_msg.o"), "msg_verdict", "sk_msg.json"),
        (s("sk_lookup.o"), "pick", "sk_lookup.json"),
        (s("flow_dissector.o"), "dissect", "flow_dissector.json"),
        (
            "tests/progs/events/cgroup/dev.o".into(),
            "dev_policy",
            "cgroup_device.json",
        ),
    ];
    for (obj, prog, event) in cases {
        let ev = format!("examples/events/{event}");
        let o = bpfbox(&["fire", &obj, "--prog", prog, "--event", &ev, "--json"]);
        assert!(o.status.success(), "{event}: {}", stderr(&o));
        let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
        let results = v.as_array().cloned().unwrap_or_else(|| vec![v.clone()]);
        for r in results {
            assert!(
                r["retval"].is_number() && r["action"].is_string(),
                "{event}: {r}"
            );
        }
    }
}

pub(crate) fn co_re_poisoned_dead_code_runs_like_the_kernel() {
    // IPv4 frame: core_poison's field_exists() is 0 against vmlinux, so the
    // poisoned read (call 0xbad2310) is dead code in both engines.
    let mut f = vec![0u8; 64];
    f[12] = 8;
    f[14] = 0x45;
    let pkt = tmp("ipv4.bin", &f);
    let o = bpfbox(&[
        "diff",
        "tests/progs/core_reloc.o",
        "--prog",
        "core_poison",
        "--data-in",
        pkt.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
}

/// The kernel engine mounts tracefs itself where it is missing: in a
/// private mount namespace with every tracefs mount removed, `run
/// --engine kernel` on a `bpf_trace_printk` program says it mounted
/// tracefs and reports the same lines as the interpreter; the host's
/// mounts are untouched.
pub(crate) fn kernel_engine_mounts_tracefs_where_missing() {
    // other tests add mounts of their own meanwhile (network namespaces):
    // compare the host's tracefs mounts only
    let tracefs_mounts = || {
        std::fs::read_to_string("/proc/self/mounts")
            .unwrap()
            .lines()
            .filter(|l| l.split_whitespace().nth(2) == Some("tracefs"))
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    let host_mounts = tracefs_mounts();
    let pkt = tmp("zero64", &[0u8; 64]);
    let args = [
        "run",
        "tests/progs/coverage/misc.o",
        "--prog",
        "misc_xdp",
        "--data-in",
        pkt.to_str().unwrap(),
        "--json",
    ];
    let interp = bpfbox(&args);
    assert!(interp.status.success(), "{}", stderr(&interp));
    let want: serde_json::Value = serde_json::from_slice(&interp.stdout).unwrap();
    assert_eq!(want["trace"][0], "len 64 proto 0", "{want}");
    // unshare(1) makes the namespace's mounts private, so the unmounts and
    // bpfbox's own mount stay inside it.
    let unmount_tracefs = "for m in $(awk '$3 == \"tracefs\" {print $2}' /proc/self/mounts \
         | sort -r); do umount -l \"$m\" || exit 9; done; \
         if grep -q ' tracefs ' /proc/self/mounts; then exit 8; fi; exec \"$0\" \"$@\"";
    let o = Command::new("unshare")
        .args([
            "--mount",
            "--propagation",
            "private",
            "sh",
            "-c",
            unmount_tracefs,
        ])
        .arg(env!("CARGO_BIN_EXE_bpfbox"))
        .args(args)
        .args(["--engine", "kernel"])
        .current_dir(root())
        .output()
        .expect("run unshare(1)");
    assert!(o.status.success(), "{:?}: {}", o.status, stderr(&o));
    assert!(
        stderr(&o).contains("bpfbox: mounted tracefs at /sys/kernel/tracing"),
        "{}",
        stderr(&o)
    );
    let got: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(got["trace"], want["trace"]);
    assert_eq!(
        tracefs_mounts(),
        host_mounts,
        "the host's tracefs mounts changed"
    );
    // the engine removed its tracefs instance (none left by a dead process)
    let again = bpfbox(&[args.as_slice(), &["--engine", "kernel"]].concat());
    assert!(again.status.success(), "{}", stderr(&again));
    let instances = bpfbox::kernel::mounts::tracefs().unwrap().join("instances");
    for e in std::fs::read_dir(instances).unwrap().flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if let Some(pid) = name
            .strip_prefix("bpfbox-")
            .and_then(|r| r.split('-').next())
        {
            assert!(
                std::path::Path::new(&format!("/proc/{pid}")).exists(),
                "tracefs instance {name} left by a process that is gone"
            );
        }
    }
}

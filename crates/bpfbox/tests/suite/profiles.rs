//! Kernel profiles end to end: `bpfbox probe`, `--kernel running` and
//! `--kernel PROFILE.json` on run, verify and diff.
//!
//! Nothing here assumes what this machine's kernel offers: the kernel's
//! own verdict on a helper is measured in the test (a three-instruction
//! program loaded with `bpf()`, its verifier log read), and the expected
//! output follows from it. Both sides of "the kernel has
//! `bpf_xdp_adjust_meta`" are exercised with profile files: the built-in
//! model (which has it) and the built-in model without it.

use super::root;
use bpfbox_isa::RawInsn;
use bpfbox_progtype::Profile;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const XDP: u32 = bpfbox_uapi::prog_type::XDP;
const LWT_SEG6LOCAL: u32 = bpfbox_uapi::prog_type::LWT_SEG6LOCAL;
const XDP_ADJUST_META: u32 = bpfbox_uapi::helper::id::XDP_ADJUST_META;
const REFUSAL: &str = "program of this type cannot use helper bpf_xdp_adjust_meta#54";

fn bpfbox(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bpfbox"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("run bpfbox")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A run's report without its timing line.
fn results(o: &Output) -> String {
    text(&o.stdout)
        .lines()
        .filter(|l| !l.starts_with("duration:"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn dir() -> PathBuf {
    let d = std::env::temp_dir().join(format!("bpfbox-profiles-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// An Ethernet frame for XDP programs.
fn frame() -> PathBuf {
    let mut f = vec![0xffu8; 6];
    f.extend_from_slice(&[2, 0, 0, 0, 0, 1, 0x08, 0x00]);
    f.resize(100, 0);
    let p = dir().join("frame.bin");
    std::fs::write(&p, f).unwrap();
    p
}

/// The kernel's own verdict: may a program of `prog_type` call helper
/// `id`? Loads `call id; r0 = 1; exit` and reads the verifier's words.
fn kernel_offers(prog_type: u32, id: u32) -> bool {
    let insns = [
        RawInsn::new(0x85, 0, 0, 0, id as i32),
        RawInsn::new(0xb7, 0, 0, 0, 1),
        RawInsn::new(0x95, 0, 0, 0, 0),
    ];
    match bpfbox_kernel::ProgLoad::new(prog_type, &insns)
        .log_level(1)
        .load()
    {
        Ok(_) => true,
        Err(e) => !e
            .log()
            .unwrap_or_default()
            .contains("program of this type cannot use helper"),
    }
}

/// The built-in model's profile as `bpfbox probe --builtin --json` writes
/// it, and the same without `bpf_xdp_adjust_meta` in XDP programs.
fn profile_files() -> (PathBuf, PathBuf) {
    let o = bpfbox(&["probe", "--builtin", "--json"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let with = dir().join("with-adjust-meta.json");
    std::fs::write(&with, &o.stdout).unwrap();
    let mut v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let xdp = v["prog_types"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|t| t["name"] == "BPF_PROG_TYPE_XDP")
        .unwrap();
    for g in xdp["helpers"].as_array_mut().unwrap() {
        g["helpers"]
            .as_array_mut()
            .unwrap()
            .retain(|h| h != "xdp_adjust_meta");
    }
    let without = dir().join("without-adjust-meta.json");
    std::fs::write(&without, v.to_string()).unwrap();
    (with, without)
}

fn run_meta(kernel: Option<&Path>) -> Output {
    let f = frame();
    let mut args = vec![
        "run",
        "tests/progs/runtime/xdp.o",
        "--prog",
        "xdp_meta",
        "--data-in",
        f.to_str().unwrap(),
    ];
    if let Some(k) = kernel {
        args.extend(["--kernel", k.to_str().unwrap()]);
    }
    bpfbox(&args)
}

/// `bpfbox probe` lists exactly the helpers of the ones checked here that
/// the kernel refuses (bpf_xdp_adjust_meta in XDP, the seg6 helpers in
/// LWT_SEG6LOCAL), and `--json` writes a profile that answers the same.
pub(crate) fn probe_names_the_helpers_the_kernel_refuses() {
    let o = bpfbox(&["probe"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let lines = text(&o.stdout);
    let o = bpfbox(&["probe", "--json"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let profile = Profile::from_json("probe --json", &text(&o.stdout)).unwrap();
    let checks = [
        (XDP, "BPF_PROG_TYPE_XDP", XDP_ADJUST_META),
        (LWT_SEG6LOCAL, "BPF_PROG_TYPE_LWT_SEG6LOCAL", 74),
        (LWT_SEG6LOCAL, "BPF_PROG_TYPE_LWT_SEG6LOCAL", 75),
        (LWT_SEG6LOCAL, "BPF_PROG_TYPE_LWT_SEG6LOCAL", 76),
    ];
    for (ty, name, id) in checks {
        let offered = kernel_offers(ty, id);
        let helper = bpfbox_uapi::helper::helper_name(id).unwrap();
        let line = format!("{name}: helper bpf_{helper} ({id}) missing");
        assert_eq!(
            lines.lines().any(|l| l == line),
            !offered,
            "kernel offers bpf_{helper}: {offered}; probe said:\n{lines}"
        );
        let t = bpfbox_progtype::ProgType::from_id(ty).unwrap();
        assert_eq!(profile.helper_allowed(t, 0, id), offered, "bpf_{helper}");
    }
    assert_eq!(profile.kernel.source, "probed");
}

/// `--kernel running` refuses `xdp_meta` with the kernel's words exactly
/// when the kernel refuses it; the default model always runs it.
pub(crate) fn run_with_the_running_kernel_refuses_what_it_refuses() {
    let default = run_meta(None);
    assert!(default.status.success(), "{}", text(&default.stderr));
    let o = bpfbox(&[
        "run",
        "tests/progs/runtime/xdp.o",
        "--prog",
        "xdp_meta",
        "--data-in",
        frame().to_str().unwrap(),
        "--kernel",
        "running",
    ]);
    if kernel_offers(XDP, XDP_ADJUST_META) {
        assert!(o.status.success(), "{}", text(&o.stderr));
        assert_eq!(results(&o), results(&default));
    } else {
        assert_eq!(o.status.code(), Some(1));
        let e = text(&o.stderr);
        assert_eq!(e.lines().count(), 1, "{e}");
        assert!(e.contains(REFUSAL), "{e}");
    }
}

/// A profile with bpf_xdp_adjust_meta runs `xdp_meta` as the built-in
/// model does; one without it refuses at verify and run time with the
/// kernel's words. No kernel needed.
pub(crate) fn profile_files_with_and_without_a_helper() {
    let (with, without) = profile_files();
    let default = run_meta(None);
    assert!(default.status.success(), "{}", text(&default.stderr));
    let o = run_meta(Some(&with));
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert_eq!(results(&o), results(&default));
    let o = run_meta(Some(&without));
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stderr).contains(REFUSAL), "{}", text(&o.stderr));

    let verify = |k: &Path| {
        bpfbox(&[
            "verify",
            "tests/progs/runtime/xdp.o",
            "--prog",
            "xdp_meta",
            "--kernel",
            k.to_str().unwrap(),
        ])
    };
    let o = verify(&with);
    assert!(o.status.success(), "{}", text(&o.stdout));
    let o = verify(&without);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stdout).contains(REFUSAL), "{}", text(&o.stdout));
    // other XDP programs of the object do not call it: still accepted
    let o = bpfbox(&[
        "verify",
        "tests/progs/runtime/xdp.o",
        "--prog",
        "xdp_head",
        "--kernel",
        without.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o.stdout));

    // the built-in profile has no differences from itself
    let o = bpfbox(&["probe", "--builtin"]);
    assert!(o.status.success());
    assert!(
        text(&o.stdout).contains("no differences"),
        "{}",
        text(&o.stdout)
    );

    // a bad profile file is one line naming it
    let bad = dir().join("bad.json");
    std::fs::write(&bad, b"{\"format\": 1}").unwrap();
    let o = run_meta(Some(&bad));
    assert_eq!(o.status.code(), Some(1));
    let e = text(&o.stderr);
    assert_eq!(e.lines().count(), 1, "{e}");
    assert!(
        e.contains("bad.json") && e.contains("not a kernel profile"),
        "{e}"
    );
}

/// `bpfbox diff` (running kernel's profile by default) agrees with the
/// kernel on `xdp_meta` whether the kernel runs or refuses it; with the
/// profile file that matches the kernel on bpf_xdp_adjust_meta it agrees
/// too, with the other one it reports the difference.
pub(crate) fn diff_agrees_with_the_kernel_on_refusals() {
    let f = frame();
    let diff = |kernel: Option<&Path>| {
        let mut args = vec![
            "diff",
            "tests/progs/runtime/xdp.o",
            "--prog",
            "xdp_meta",
            "--data-in",
            f.to_str().unwrap(),
        ];
        if let Some(k) = kernel {
            args.extend(["--kernel", k.to_str().unwrap()]);
        }
        bpfbox(&args)
    };
    let offered = kernel_offers(XDP, XDP_ADJUST_META);
    let o = diff(None);
    assert!(o.status.success(), "{}{}", text(&o.stdout), text(&o.stderr));
    if !offered {
        assert!(
            text(&o.stdout).contains(&format!(
                "kernel and bpfbox agree: the program is refused: {REFUSAL}"
            )),
            "{}",
            text(&o.stdout)
        );
    }
    let (with, without) = profile_files();
    let (matching, other) = if offered {
        (with, without)
    } else {
        (without, with)
    };
    let o = diff(Some(&matching));
    assert!(o.status.success(), "{}{}", text(&o.stdout), text(&o.stderr));
    let o = diff(Some(&other));
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}{}",
        text(&o.stdout),
        text(&o.stderr)
    );
}

/// The library takes a profile too: `Bpfbox::kernel`.
pub(crate) fn library_models_the_given_kernel() {
    let obj = root().join("tests/progs/runtime/xdp.o");
    let model = Profile::builtin_shared();
    let without =
        std::sync::Arc::new(model.without_helper(bpfbox_progtype::ProgType::Xdp, XDP_ADJUST_META));
    let b = bpfbox::Bpfbox::load_file(&obj).unwrap();
    assert!(b
        .clone()
        .kernel(model)
        .program::<bpfbox::Program>("xdp_meta")
        .is_ok());
    let Err(e) = b.kernel(without).program::<bpfbox::Program>("xdp_meta") else {
        panic!("xdp_meta loaded on a kernel without bpf_xdp_adjust_meta");
    };
    assert!(e.to_string().contains(REFUSAL), "{e}");
}

/// `r2 = 0; if r2 == 0 goto +1; call HELPER; r0 = 2; exit`: the call is
/// dead code the verifier never reaches (`reachable`: `!=` instead).
fn dead_call(helper: u32, reachable: bool) -> Vec<RawInsn> {
    let jump = if reachable { 0x55 } else { 0x15 };
    vec![
        RawInsn::new(0xb7, 2, 0, 0, 0),
        RawInsn::new(jump, 2, 0, 1, 0),
        RawInsn::new(0x85, 0, 0, 0, helper as i32),
        RawInsn::new(0xb7, 0, 0, 0, 2),
        RawInsn::new(0x95, 0, 0, 0, 0),
    ]
}

fn verify_on(insns: &[RawInsn], kernel: &Profile) -> Result<(), String> {
    let insns = bpfbox_isa::decode(insns).unwrap();
    let mut opts = bpfbox_verifier::Options::kernel();
    opts.prog = Some(bpfbox_verifier::ProgInfo {
        prog_type: XDP,
        expected_attach_type: 0,
    });
    opts.kernel = Some(kernel);
    bpfbox_verifier::verify(&insns, &opts)
        .map(|_| ())
        .map_err(|d| d[0].kernel.clone().unwrap_or_else(|| d[0].message.clone()))
}

/// A call of a helper the kernel lacks in code its verifier never reaches
/// loads in the kernel (whatever it offers), and in bpfbox on a profile
/// without the helper: the verifier leaves the dead call alone and the run
/// side loads it (the call would trap if reached). Where the call is
/// reached, bpfbox refuses it in the kernel's words.
pub(crate) fn a_dead_call_of_a_missing_helper_loads_like_the_kernel() {
    use bpfbox_runtime::drivers::MissingHelpers;
    use bpfbox_runtime::{HostState, LoadedProgram, ProgType, TestRunInput};
    let without = Profile::builtin().without_helper(ProgType::Xdp, XDP_ADJUST_META);
    let dead = dead_call(XDP_ADJUST_META, false);
    let k = bpfbox_kernel::ProgLoad::new(XDP, &dead)
        .load()
        .expect("the kernel loads a dead call");
    assert_eq!(verify_on(&dead, &without), Ok(()));
    assert_eq!(
        verify_on(&dead_call(XDP_ADJUST_META, true), &without),
        Err(REFUSAL.to_string())
    );
    let p = LoadedProgram::new_with(
        bpfbox_isa::decode(&dead).unwrap(),
        ProgType::Xdp,
        0,
        &without,
        MissingHelpers::TrapIfReached,
    )
    .unwrap();
    let mut f = vec![0u8; 64];
    f[12] = 8;
    let mut host = HostState::default();
    host.kernel = std::sync::Arc::new(without.clone());
    let input = TestRunInput {
        data_in: f.clone(),
        repeat: 1,
        ..Default::default()
    };
    let ours = bpfbox_runtime::test_run(&p, &mut host, &input)
        .unwrap()
        .retval;
    let theirs = k
        .test_run(&bpfbox_kernel::TestRun {
            data_in: Some(&f),
            repeat: 1,
            ..Default::default()
        })
        .unwrap()
        .retval;
    assert_eq!((ours, theirs), (2, 2));
    // without a verifier the run side is conservative
    assert!(LoadedProgram::new_for(
        bpfbox_isa::decode(&dead).unwrap(),
        ProgType::Xdp,
        0,
        &without
    )
    .is_err());
}

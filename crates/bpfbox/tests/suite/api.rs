//! The library API drives both engines with the same calls: a user's test
//! can assert that bpfbox and the kernel agree in one line.

use super::{packets, root};
use bpfbox::{Bpfbox, EngineKind, Error, SocketFilter, Verifier, Xdp};

pub(crate) fn library_runs_agree_with_the_kernel() {
    let path = root().join("examples/xdp_filter.o");
    let mut ours: Xdp = Bpfbox::load_file(&path)
        .unwrap()
        .program("xdp_filter")
        .unwrap();
    let mut kernel: Xdp = Bpfbox::load_file(&path)
        .unwrap()
        .engine(EngineKind::Kernel)
        .program("xdp_filter")
        .unwrap();
    // a map written from user space first, on both
    for p in [&mut ours, &mut kernel] {
        p.hash_map::<u8, u64>("per_proto")
            .unwrap()
            .insert(6, 1000)
            .unwrap();
    }
    let frames = packets::all();
    assert!(frames.len() >= 10);
    for (name, frame) in &frames {
        let (a, b) = (ours.run(frame), kernel.run(frame));
        match (a, b) {
            (Ok(a), Ok(b)) => assert_eq!(a, b, "{name}"),
            (Err(a), Err(b)) => assert_eq!(
                format!("{a:?}").contains("Some(22)"),
                format!("{b:?}").contains("Some(22)"),
                "{name}: {a} / {b}"
            ),
            (a, b) => panic!("{name}: bpfbox {a:?}, kernel {b:?}"),
        }
    }
    let mut a = ours.hash_map::<u8, u64>("per_proto").unwrap();
    let mut b = kernel.hash_map::<u8, u64>("per_proto").unwrap();
    assert_eq!(a.entries().unwrap(), b.entries().unwrap());
    let (mut a, mut b) = (
        ours.array::<u64>("verdicts").unwrap(),
        kernel.array::<u64>("verdicts").unwrap(),
    );
    for i in 0..5 {
        assert_eq!(a.get(i).unwrap(), b.get(i).unwrap(), "verdicts[{i}]");
    }
}

/// The kernel engine tells its verifier's refusal (`BPF_PROG_LOAD` with a
/// log) apart from other failures: `VerifierRefused` with the kernel's log
/// and the `bpf()` error as the source.
pub(crate) fn a_kernel_verifier_refusal_is_verifier_refused_with_its_log() {
    let path = root().join("tests/progs/verify/reject.o");
    let err = Bpfbox::load_file(&path)
        .unwrap()
        .engine(EngineKind::Kernel)
        .verify(false)
        .program::<SocketFilter>("reads_r5")
        .unwrap_err();
    match &err {
        Error::VerifierRefused {
            verifier: Verifier::Kernel,
            program,
            log,
            cause: Some(_),
            ..
        } => {
            assert_eq!(program, "reads_r5");
            assert!(log.contains("R5 !read_ok"), "{log}");
        }
        other => panic!("{other:?}"),
    }
    assert!(std::error::Error::source(&err).is_some());
    // bpfbox's verifier refuses it first when it runs
    let ours = Bpfbox::load_file(&path)
        .unwrap()
        .engine(EngineKind::Kernel)
        .program::<SocketFilter>("reads_r5")
        .unwrap_err();
    assert!(
        matches!(
            ours,
            Error::VerifierRefused {
                verifier: Verifier::Bpfbox,
                ..
            }
        ),
        "{ours:?}"
    );
}

/// A frame the kernel's test run refuses is `BadInput` on both engines.
pub(crate) fn a_short_frame_is_bad_input_on_both_engines() {
    let path = root().join("examples/xdp_filter.o");
    for engine in [EngineKind::Interp, EngineKind::Kernel] {
        let mut xdp: Xdp = Bpfbox::load_file(&path)
            .unwrap()
            .engine(engine)
            .program("xdp_filter")
            .unwrap();
        let err = xdp.run(&[0u8; 10]).unwrap_err();
        assert!(
            matches!(
                &err,
                Error::BadInput {
                    what: "packet or context",
                    errno: Some(22),
                    cause: Some(_),
                    ..
                }
            ),
            "{engine:?}: {err:?}"
        );
    }
}

/// Set in the child process of the next test, which runs without
/// privileges.
const UNPRIVILEGED_CHILD: &str = "BPFBOX_TEST_UNPRIVILEGED_CHILD";

/// Without the privileges `bpf()` needs, asking for the kernel engine is
/// `KernelUnavailable`. The test re-runs itself in a child process that
/// drops to user `nobody` (a process's privileges cannot be regained, so
/// not in the test process itself).
pub(crate) fn without_privileges_the_kernel_engine_is_kernel_unavailable() {
    let name = "without_privileges_the_kernel_engine_is_kernel_unavailable";
    if std::env::var_os(UNPRIVILEGED_CHILD).is_some() {
        // SAFETY: plain syscalls; this child process runs only this test.
        let dropped = unsafe {
            libc::setgroups(0, std::ptr::null()) == 0
                && libc::setgid(65534) == 0
                && libc::setuid(65534) == 0
        };
        assert!(dropped, "cannot drop privileges");
        let bpf = Bpfbox::load_file(root().join("examples/xdp_filter.o")).unwrap();
        let err = bpf
            .engine(EngineKind::Kernel)
            .program::<Xdp>("xdp_filter")
            .unwrap_err();
        assert!(matches!(err, Error::KernelUnavailable { .. }), "{err:?}");
        return;
    }
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .arg(name)
        .env(UNPRIVILEGED_CHILD, "1")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("1 passed"), "the child ran no test: {text}");
}

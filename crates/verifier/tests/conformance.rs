//! The bpf_conformance suite under the exec convention (`r1`, `r2` and
//! `r10` set at entry, `callx` allowed): every positive test passes
//! `check`, and the negative test that only a verifier can catch
//! (`or %r0, %r10`) is refused.

use bpfbox_verifier::{check, Code, Options};
use std::path::Path;

/// The bpf_conformance suite in `../shared`.
fn suite() -> std::path::PathBuf {
    bpfbox_testkit::shared_dir().join("conformance")
}

fn load(path: &Path) -> Vec<bpfbox_isa::Insn> {
    let case = bpfbox_conformance::load(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    bpfbox_isa::decode(&case.program).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

pub(crate) fn every_positive_test_passes() {
    let dir = suite().join("tests");
    let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let mut paths: Vec<_> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "data"))
        .collect();
    paths.sort();
    assert_eq!(paths.len(), 313);
    let mut failures = Vec::new();
    for path in &paths {
        let insns = load(path);
        if let Err(d) = check(&insns, &Options::conformance()) {
            let first = bpfbox_verifier::render_text(&d[0], &insns, None);
            failures.push(format!("{}:\n{first}", path.display()));
        }
    }
    assert!(
        failures.is_empty(),
        "{} refused:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

pub(crate) fn frame_pointer_or_is_refused() {
    let path = suite().join("negative/error.data");
    let insns = load(&path);
    // r0 is not set at entry: the kernel stops at "R0 !read_ok" first.
    let d = check(&insns, &Options::conformance()).unwrap_err();
    assert_eq!(d[0].code, Code::UninitReg);
    assert_eq!(d[0].kernel.as_deref(), Some("R0 !read_ok"));
    // Even with r0 set at entry (as the reference runtimes zero it), the
    // frame-pointer rule refuses it.
    let mut o = Options::conformance();
    o.entry_regs = o.entry_regs.with(0);
    let d = check(&insns, &o).unwrap_err();
    assert_eq!(d[0].code, Code::FpArith);
}

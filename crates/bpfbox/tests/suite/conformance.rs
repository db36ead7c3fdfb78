//! The bpf_conformance suite inside `cargo test`: every test passes on the
//! interpreter, every negative test is refused.

use super::shared;
use bpfbox::conformance::run_paths;

fn run(dir: &str, want: usize) {
    let shared = shared().expect("../shared (the harness checks it first)");
    let results = run_paths(&[shared.join("conformance").join(dir)]).unwrap();
    let failures: Vec<_> = results.iter().filter(|r| r.failure.is_some()).collect();
    for f in &failures {
        eprintln!("FAIL {}: {}", f.file, f.failure.as_deref().unwrap_or(""));
    }
    assert_eq!(results.len(), want, "number of {dir} files");
    assert!(
        failures.is_empty(),
        "{} of {want} {dir} files failed",
        failures.len()
    );
}

pub(crate) fn all_conformance_tests_pass() {
    run("tests", 313);
}

pub(crate) fn all_negative_tests_are_refused() {
    run("negative", 60);
}

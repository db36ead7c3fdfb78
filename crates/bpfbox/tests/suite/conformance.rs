//! The bpf_conformance suite inside `cargo test`: every test passes on the
//! interpreter, every negative test is refused.

use super::shared;
use bpfbox::conformance::run_paths;

fn run(dir: &str, want: usize) {
    let Some(shared) = shared() else {
        eprintln!("conformance {dir}: skipped: ../shared is absent");
        return;
    };
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

#[test]
fn all_conformance_tests_pass() {
    run("tests", 313);
}

#[test]
fn all_negative_tests_are_refused() {
    run("negative", 60);
}

//! The verifier against the running kernel (issue 10, items 2 and 3).
//!
//! - `corpus`: every program of `tests/progs/**.o` and `examples/*.o`
//!   (among them the rule corpus `tests/progs/verifier/`, one rule per
//!   program, `ok_*` accepted and `bad_*` refused by the kernel) is loaded
//!   into the kernel and checked by bpfbox; verdicts and, when both refuse,
//!   the class of the first error are compared.
//! - `fuzz`: random programs of `bpfbox_kernel::fuzzgen` with unsafe
//!   mutations, kernel against bpfbox.
//! - `golden`: the rendered diagnostics of refused corpus programs (text
//!   and JSON) as golden files.
//!
//! Disagreements that are known are listed in checked-in expectation
//! files (`tests/progs/verifier/expected*.txt`): the test fails on a new
//! disagreement and on a listed one that went away, so the lists only
//! shrink. `BPFBOX_BLESS=1` rewrites them (and the golden files).
//! The kernel tests are listed `=> [kernel]` below: the harness
//! (bpfbox-testkit) reports them as ignored, with the reason, without
//! root and `bpf()`.

pub(crate) mod corpus;
pub(crate) mod expect;
pub(crate) mod fuzz;
pub(crate) mod golden;
pub(crate) mod kmsg;

use std::path::PathBuf;

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Whether `BPFBOX_BLESS` asks to rewrite expectations and golden files.
pub fn blessing() -> bool {
    std::env::var_os("BPFBOX_BLESS").is_some_and(|v| !v.is_empty() && v != "0")
}

bpfbox_testkit::main! {
    fuzz::random_mutations_agree_with_the_kernel => [kernel],
    fuzz::cases_are_deterministic_and_mutated,
    golden::verify_diagnostics_match_golden_files,
    corpus::corpus_agrees_with_the_kernel => [kernel],
    kmsg::classifier_reads_typical_logs,
}

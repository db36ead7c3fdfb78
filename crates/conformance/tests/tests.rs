//! The shared bpf_conformance suite through this crate (skipped, with a
//! printed reason, when `../shared/conformance` is absent).

mod suite;

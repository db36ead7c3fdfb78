//! Integration tests of bpfbox-verifier, one module per topic. The kernel
//! is the reference: every rule is checked against `BPF_PROG_LOAD` of the
//! same program (SOCKET_FILTER, as root); those parts are skipped with a
//! printed reason when `bpf()` is unusable.

mod common;

mod conformance;
mod differential;
mod golden;
mod robustness;
mod rules;

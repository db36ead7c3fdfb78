//! `BPF_PROG_TYPE_LWT_OUT`: the run side (test run: `bpf_prog_test_run_skb`, L3 view).

use super::RunOps;

/// The run side of `BPF_PROG_TYPE_LWT_OUT`.
pub static OPS: RunOps = RunOps {
    test_run: Some(crate::drivers::skb::test_run),
    event: None,
    helpers: &[],
    after_ctx_rebuild: None,
};

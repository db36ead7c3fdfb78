//! `BPF_PROG_TYPE_SCHED_CLS`: the run side (test run: `bpf_prog_test_run_skb`, L2 view).

use super::RunOps;

/// The run side of `BPF_PROG_TYPE_SCHED_CLS`.
pub static OPS: RunOps = RunOps {
    test_run: Some(crate::drivers::skb::test_run),
    event: None,
    helpers: &[],
    after_ctx_rebuild: None,
};

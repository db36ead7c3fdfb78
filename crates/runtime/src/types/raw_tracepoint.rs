//! `BPF_PROG_TYPE_RAW_TRACEPOINT`: the run side (test run: `bpf_prog_test_run_raw_tp`; events: a raw tracepoint's arguments).

use super::RunOps;

/// The run side of `BPF_PROG_TYPE_RAW_TRACEPOINT`.
pub static OPS: RunOps = RunOps {
    test_run: Some(crate::drivers::tracing::raw_tp_test_run),
    event: Some(&crate::events::raw_tracepoint::DRIVER),
    helpers: &[],
    after_ctx_rebuild: None,
};

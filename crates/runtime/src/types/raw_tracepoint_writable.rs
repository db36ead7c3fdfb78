//! `BPF_PROG_TYPE_RAW_TRACEPOINT_WRITABLE`: the run side (events: a raw tracepoint's arguments and writable buffer).

use super::RunOps;

/// The run side of `BPF_PROG_TYPE_RAW_TRACEPOINT_WRITABLE`.
pub static OPS: RunOps = RunOps {
    test_run: None,
    event: Some(&crate::events::raw_tracepoint::DRIVER),
    helpers: &[],
    after_ctx_rebuild: None,
};

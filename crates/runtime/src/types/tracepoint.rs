//! `BPF_PROG_TYPE_TRACEPOINT`: the run side (events: a tracepoint record laid out from its format file).

use super::RunOps;

/// The run side of `BPF_PROG_TYPE_TRACEPOINT`.
pub static OPS: RunOps = RunOps {
    test_run: None,
    event: Some(&crate::events::tracepoint::DRIVER),
    helpers: &[],
    after_ctx_rebuild: None,
};

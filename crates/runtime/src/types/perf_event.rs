//! `BPF_PROG_TYPE_PERF_EVENT`: the run side (events: a perf sample).

use super::RunOps;

/// The run side of `BPF_PROG_TYPE_PERF_EVENT`.
pub static OPS: RunOps = RunOps {
    test_run: None,
    event: Some(&crate::events::perf_event::DRIVER),
    helpers: &[],
    after_ctx_rebuild: None,
};

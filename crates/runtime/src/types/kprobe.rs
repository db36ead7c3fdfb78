//! `BPF_PROG_TYPE_KPROBE`: the run side (events: a probe hit with `struct pt_regs`).

use super::RunOps;

/// The run side of `BPF_PROG_TYPE_KPROBE`.
pub static OPS: RunOps = RunOps {
    test_run: None,
    event: Some(&crate::events::kprobe::DRIVER),
    helpers: &[],
    after_ctx_rebuild: None,
};

//! `BPF_PROG_TYPE_SYSCALL`: the run side (test run: `bpf_prog_test_run_syscall`; events: a call with its ctx bytes).

pub mod event;

use super::RunOps;

/// The run side of `BPF_PROG_TYPE_SYSCALL`.
pub static OPS: RunOps = RunOps {
    test_run: Some(crate::drivers::tracing::syscall_test_run),
    event: Some(&event::DRIVER),
    helpers: &[],
    after_ctx_rebuild: None,
};

//! `BPF_PROG_TYPE_CGROUP_SYSCTL`: the run side (events: a sysctl read or write).

pub mod event;

use super::RunOps;

/// The run side of `BPF_PROG_TYPE_CGROUP_SYSCTL`.
pub static OPS: RunOps = RunOps {
    test_run: None,
    event: Some(&event::DRIVER),
    helpers: &[],
    after_ctx_rebuild: None,
};

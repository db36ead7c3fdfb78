//! `BPF_PROG_TYPE_CGROUP_DEVICE`: the run side (events: a device access).

pub mod event;

use super::RunOps;

/// The run side of `BPF_PROG_TYPE_CGROUP_DEVICE`.
pub static OPS: RunOps = RunOps {
    test_run: None,
    event: Some(&event::DRIVER),
    helpers: &[],
    after_ctx_rebuild: None,
};

//! `BPF_PROG_TYPE_CGROUP_SOCK`: the run side (events: socket create, bind, release).

pub mod event;

use super::RunOps;

/// The run side of `BPF_PROG_TYPE_CGROUP_SOCK`.
pub static OPS: RunOps = RunOps {
    test_run: None,
    event: Some(&event::DRIVER),
    helpers: &[],
    after_ctx_rebuild: None,
};

//! `BPF_PROG_TYPE_CGROUP_SOCKOPT`: the run side (events: getsockopt and setsockopt calls).

pub mod event;

use super::RunOps;
use crate::helpers::cgroup;
use crate::helpers::HelperImpl;
use bpfbox_uapi::helper::id;

/// The run side of `BPF_PROG_TYPE_CGROUP_SOCKOPT`.
pub static OPS: RunOps = RunOps {
    test_run: None,
    event: Some(&event::DRIVER),
    // bpf_setsockopt/bpf_getsockopt work on the hook's socket, not a
    // sock_ops callback's.
    helpers: &[
        HelperImpl::new(id::SETSOCKOPT, cgroup::setsockopt),
        HelperImpl::new(id::GETSOCKOPT, cgroup::getsockopt),
    ],
    after_ctx_rebuild: None,
};

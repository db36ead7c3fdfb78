//! `BPF_PROG_TYPE_XDP`: the run side (test run: `bpf_prog_test_run_xdp`).

pub mod test_run;

use super::RunOps;
use crate::helpers::{misc, HelperImpl};
use bpfbox_uapi::helper::id;

/// The run side of `BPF_PROG_TYPE_XDP`: `bpf_redirect` is the kernel's
/// `bpf_xdp_redirect` here.
pub static OPS: RunOps = RunOps {
    test_run: Some(test_run::test_run),
    event: None,
    helpers: &[HelperImpl::new(id::REDIRECT, misc::xdp_redirect)],
    after_ctx_rebuild: None,
};

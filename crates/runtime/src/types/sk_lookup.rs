//! `BPF_PROG_TYPE_SK_LOOKUP`: the run side (test run: `bpf_prog_test_run_sk_lookup`; events: a lookup among sockets).

pub mod test_run;

pub mod event;

use super::RunOps;
use crate::helpers::sock;
use crate::helpers::HelperImpl;
use bpfbox_uapi::helper::id;

/// The run side of `BPF_PROG_TYPE_SK_LOOKUP`: `bpf_sk_assign` is the
/// kernel's `bpf_sk_lookup_assign` here.
pub static OPS: RunOps = RunOps {
    test_run: Some(test_run::test_run),
    event: Some(&event::DRIVER),
    helpers: &[
        HelperImpl::new(id::MAP_LOOKUP_ELEM, sock::sock_map_lookup_listening),
        HelperImpl::new(id::SK_ASSIGN, sock::sk_lookup_assign),
    ],
    after_ctx_rebuild: None,
};

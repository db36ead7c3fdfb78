//! `BPF_PROG_TYPE_SK_MSG`: the run side (events: a sendmsg on a sockmap socket).

pub mod event;

use super::RunOps;
use crate::helpers::sock;
use crate::helpers::HelperImpl;
use bpfbox_uapi::helper::id;

/// The run side of `BPF_PROG_TYPE_SK_MSG`.
pub static OPS: RunOps = RunOps {
    test_run: None,
    event: Some(&event::DRIVER),
    helpers: &[HelperImpl::new(id::MAP_LOOKUP_ELEM, sock::sock_map_lookup)],
    after_ctx_rebuild: None,
};

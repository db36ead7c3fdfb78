//! `BPF_PROG_TYPE_SK_SKB`: the run side (events: stream parser and verdict on a sockmap socket).

pub mod event;

use super::RunOps;
use crate::helpers::sock;
use crate::helpers::HelperImpl;
use bpfbox_uapi::helper::id;

/// The run side of `BPF_PROG_TYPE_SK_SKB`.
pub static OPS: RunOps = RunOps {
    test_run: None,
    event: Some(&event::DRIVER),
    helpers: &[
        HelperImpl::new(id::MAP_LOOKUP_ELEM, sock::sock_map_lookup),
        HelperImpl::new(id::SKB_PULL_DATA, sock::sk_skb_pull_data),
    ],
};

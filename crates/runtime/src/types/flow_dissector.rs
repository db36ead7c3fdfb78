//! `BPF_PROG_TYPE_FLOW_DISSECTOR`: the run side (test run: `bpf_prog_test_run_flow_dissector`; events: a packet to dissect).

pub mod test_run;

pub mod event;

use super::RunOps;
use crate::helpers::sock;
use crate::helpers::HelperImpl;
use bpfbox_uapi::helper::id;

/// The run side of `BPF_PROG_TYPE_FLOW_DISSECTOR`.
pub static OPS: RunOps = RunOps {
    test_run: Some(test_run::test_run),
    event: Some(&event::DRIVER),
    helpers: &[HelperImpl::new(
        id::SKB_LOAD_BYTES,
        sock::flow_dissector_load_bytes,
    )],
    after_ctx_rebuild: None,
};

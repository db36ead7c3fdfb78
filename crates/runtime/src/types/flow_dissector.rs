//! `BPF_PROG_TYPE_FLOW_DISSECTOR`: the run side (test run: `bpf_prog_test_run_flow_dissector`; events: a packet to dissect).

use super::RunOps;
use crate::helpers::sock;
use crate::helpers::HelperImpl;
use bpfbox_uapi::helper::id;

/// The run side of `BPF_PROG_TYPE_FLOW_DISSECTOR`.
pub static OPS: RunOps = RunOps {
    test_run: Some(crate::drivers::flow_dissector::test_run),
    event: Some(&crate::events::flow_dissector::DRIVER),
    helpers: &[HelperImpl::new(
        id::SKB_LOAD_BYTES,
        sock::flow_dissector_load_bytes,
    )],
};

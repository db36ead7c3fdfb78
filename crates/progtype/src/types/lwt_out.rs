//! `BPF_PROG_TYPE_LWT_OUT` — `lwt_out` ops; shared facts in [`super::lwt`].

use super::lwt::{LWT_ACCESS, LWT_ATTACH, LWT_RET, LWT_TEST_RUN, LWT_USE};
use crate::ctx::skb::SK_BUFF;
use crate::helpers::{id, sets::*, HelperAvail, HelperSet};
use crate::ret::ReturnSpec;
use crate::spec::*;

static LAYERS: &[&HelperSet] = &[&BASE, &SKC_CASTS, &COARSE_CLOCK, &PERF_OUTPUT, &LWT_COMMON];

/// The type.
pub static SPEC: ProgTypeSpec = ProgTypeSpec {
    ty: ProgType::LwtOut,
    name: "BPF_PROG_TYPE_LWT_OUT",
    short: "lwt_out",
    kernel_ops: "lwt_out",
    ctx: &SK_BUFF,
    global_func_ctx: Some("__sk_buff"),
    access: &LWT_ACCESS,
    pointees: &[crate::ctx::sock::SOCK_COMMON_POINTEE],
    ld_abs: false,
    packet: PacketAccess::RO,
    helpers: HelperAvail::Layers {
        layers: LAYERS,
        by_attach: &[],
        evidence: Evidence::Empirical,
    },
    characteristic_helpers: &[
        id::SKB_LOAD_BYTES,
        id::SKB_PULL_DATA,
        id::CSUM_DIFF,
        id::GET_ROUTE_REALM,
    ],
    ret: ReturnSpec { rules: LWT_RET },
    attach: AttachSpec {
        expected: ExpectedAttach::NotValidated,
        attach_types: &[],
        method: LWT_ATTACH,
    },
    sec_names: &[SecDef::plain("lwt_out")],
    use_cases: LWT_USE,
    hook:
        "bpf_output() via lwtunnel_output() (dst_output) before output; packet from the L3 header",
    test_run: TestRunSpec {
        default: LWT_TEST_RUN,
        by_attach: &[],
        evidence: Evidence::Empirical,
    },
    load_notes: "",
    hooks: &TableHooks,
};

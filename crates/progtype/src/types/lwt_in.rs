//! `BPF_PROG_TYPE_LWT_IN` — `lwt_in` ops; shared facts in [`super::lwt`].

use super::lwt::{LWT_ACCESS, LWT_ATTACH, LWT_RET, LWT_TEST_RUN, LWT_USE};
use crate::ctx::skb::SK_BUFF;
use crate::helpers::{id, sets::*, HelperAvail, HelperSet};
use crate::ret::ReturnSpec;
use crate::spec::*;

static LAYERS: &[&HelperSet] = &[
    &BASE,
    &SKC_CASTS,
    &COARSE_CLOCK,
    &PERF_OUTPUT,
    &LWT_COMMON,
    &LWT_IN_EXTRA,
];

/// What lwt in has beyond its shared layers (measured).
pub static LWT_IN_EXTRA: HelperSet = HelperSet::new("lwt_in_extra", &[id::LWT_PUSH_ENCAP]);

/// The type.
pub static SPEC: ProgTypeSpec = ProgTypeSpec {
    ty: ProgType::LwtIn,
    name: "BPF_PROG_TYPE_LWT_IN",
    short: "lwt_in",
    kernel_ops: "lwt_in",
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
    characteristic_helpers: &[id::LWT_PUSH_ENCAP, id::SKB_LOAD_BYTES, id::SKB_PULL_DATA, id::GET_ROUTE_REALM],
    ret: ReturnSpec { rules: LWT_RET },
    attach: AttachSpec {
        expected: ExpectedAttach::NotValidated,
        attach_types: &[],
        method: LWT_ATTACH,
    },
    sec_names: &[SecDef::plain("lwt_in")],
    use_cases: LWT_USE,
    hook: "bpf_input() via lwtunnel_input() (dst_input) on input routing; packet from the L3 header; redirect not allowed",
    test_run: TestRunSpec {
        default: LWT_TEST_RUN,
        by_attach: &[],
        evidence: Evidence::Empirical,
    },
    load_notes: "",
    hooks: &TableHooks,
};

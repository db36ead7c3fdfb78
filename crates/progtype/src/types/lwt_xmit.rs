//! `BPF_PROG_TYPE_LWT_XMIT` — `lwt_xmit` ops; shared facts in [`super::lwt`].

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
    &LWT_XMIT_EXTRA,
];

/// What lwt xmit has beyond its shared layers (measured).
pub static LWT_XMIT_EXTRA: HelperSet = HelperSet::new(
    "lwt_xmit_extra",
    &[
        id::SKB_STORE_BYTES,
        id::L3_CSUM_REPLACE,
        id::L4_CSUM_REPLACE,
        id::CLONE_REDIRECT,
        id::SKB_GET_TUNNEL_KEY,
        id::SKB_SET_TUNNEL_KEY,
        id::REDIRECT,
        id::SKB_GET_TUNNEL_OPT,
        id::SKB_SET_TUNNEL_OPT,
        id::SKB_CHANGE_TAIL,
        id::CSUM_UPDATE,
        id::SET_HASH_INVALID,
        id::SKB_CHANGE_HEAD,
        id::LWT_PUSH_ENCAP,
        id::CSUM_LEVEL,
    ],
);

/// The type.
pub static SPEC: ProgTypeSpec = ProgTypeSpec {
    ty: ProgType::LwtXmit,
    name: "BPF_PROG_TYPE_LWT_XMIT",
    short: "lwt_xmit",
    kernel_ops: "lwt_xmit",
    ctx: &SK_BUFF,
    global_func_ctx: Some("__sk_buff"),
    access: &LWT_ACCESS,
    pointees: &[crate::ctx::sock::SOCK_COMMON_POINTEE],
    ld_abs: false,
    packet: PacketAccess::RW,
    helpers: HelperAvail::Layers {
        layers: LAYERS,
        by_attach: &[],
        evidence: Evidence::Empirical,
    },
    characteristic_helpers: &[id::LWT_PUSH_ENCAP, id::SKB_STORE_BYTES, id::L3_CSUM_REPLACE, id::REDIRECT, id::SKB_CHANGE_HEAD, id::SKB_SET_TUNNEL_KEY],
    ret: ReturnSpec { rules: LWT_RET },
    attach: AttachSpec {
        expected: ExpectedAttach::NotValidated,
        attach_types: &[],
        method: LWT_ATTACH,
    },
    sec_names: &[SecDef::plain("lwt_xmit")],
    use_cases: LWT_USE,
    hook: "bpf_xmit() via lwtunnel_xmit() in ip_finish_output2(); may push L2/L3 encapsulation and redirect",
    test_run: TestRunSpec {
        default: LWT_TEST_RUN,
        by_attach: &[],
        evidence: Evidence::Empirical,
    },
    load_notes: "",
    hooks: &TableHooks,
};

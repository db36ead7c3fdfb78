//! `BPF_PROG_TYPE_LWT_SEG6LOCAL` (19) — `lwt_seg6local` ops; shared facts in
//! [`super::lwt`].

use super::lwt::{LWT_ACCESS, LWT_RET, LWT_USE};
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
    &LWT_SEG6LOCAL_EXTRA,
];

/// What lwt seg6local has beyond its shared layers (measured).
pub static LWT_SEG6LOCAL_EXTRA: HelperSet = HelperSet::new(
    "lwt_seg6local_extra",
    &[
        id::LWT_SEG6_STORE_BYTES,
        id::LWT_SEG6_ADJUST_SRH,
        id::LWT_SEG6_ACTION,
    ],
);

/// The type.
pub static SPEC: ProgTypeSpec = ProgTypeSpec {
    ty: ProgType::LwtSeg6local,
    name: "BPF_PROG_TYPE_LWT_SEG6LOCAL",
    short: "lwt_seg6local",
    kernel_ops: "lwt_seg6local",
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
        id::LWT_SEG6_STORE_BYTES,
        id::LWT_SEG6_ADJUST_SRH,
        id::LWT_SEG6_ACTION,
    ],
    ret: ReturnSpec { rules: LWT_RET },
    attach: AttachSpec {
        expected: ExpectedAttach::NotValidated,
        attach_types: &[],
        method: "SRv6 End.BPF action of a route: `ip -6 route add PREFIX encap seg6local action \
                 End.BPF endpoint obj F section S dev D`",
    },
    sec_names: &[SecDef::plain("lwt_seg6local")],
    use_cases: LWT_USE,
    hook: "input_action_end_bpf() (net/ipv6/seg6_local.c) for packets hitting an SRv6 End.BPF \
           segment; may edit the SRH and apply seg6local actions",
    test_run: TestRunSpec::none(),
    load_notes: "",
    hooks: &TableHooks,
};

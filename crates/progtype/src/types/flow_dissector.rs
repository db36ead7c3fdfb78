//! `BPF_PROG_TYPE_FLOW_DISSECTOR` (22) — `flow_dissector` ops.

use crate::attach::AttachType as A;
use crate::ctx::skb::{ANY, SK_BUFF};
use crate::ctx::{AccessTable, CtxField, CtxLayout, CtxStruct, FieldRule, RegKind};
use crate::helpers::HelperSet;
use crate::helpers::{id, sets::*, HelperAvail};
use crate::ret::{Interp, NamedValue, RangeRule, ReturnRule, ReturnSpec};
use crate::spec::*;

/// `flow_dissector_is_valid_access`: only data, data_end and flow_keys.
static ACCESS: AccessTable = AccessTable {
    base: None,
    rules: &[
        FieldRule::ptr(76, 4, RegKind::PtrToPacket),
        FieldRule::ptr(80, 4, RegKind::PtrToPacketEnd),
        FieldRule::ptr(144, 8, RegKind::PtrToFlowKeys),
    ],
};

/// `struct bpf_flow_keys` (56 bytes): the dissection result.
pub static FLOW_KEYS: CtxLayout = CtxLayout {
    struct_name: "struct bpf_flow_keys",
    size: 56,
    doc: "the dissector's output; test_run pre-sets nhoff = thoff = 14 and n_proto",
    fields: &[
        CtxField::new("nhoff", 0, 2, "network header offset"),
        CtxField::new("thoff", 2, 2, "transport header offset"),
        CtxField::new("addr_proto", 4, 2, "ETH_P_* of the addresses"),
        CtxField::new("is_frag", 6, 1, ""),
        CtxField::new("is_first_frag", 7, 1, ""),
        CtxField::new("is_encap", 8, 1, ""),
        CtxField::new("ip_proto", 9, 1, "IPPROTO_*"),
        CtxField::new("n_proto", 10, 2, "__be16 ethertype"),
        CtxField::new("sport", 12, 2, "__be16"),
        CtxField::new("dport", 14, 2, "__be16"),
        CtxField::array(
            "ipv6_src",
            16,
            4,
            4,
            "union: ipv4_src = word 0, ipv4_dst = word 1",
        ),
        CtxField::array("ipv6_dst", 32, 4, 4, "IPv6 destination"),
        CtxField::new(
            "flags",
            48,
            4,
            "BPF_FLOW_DISSECTOR_F_PARSE_1ST_FRAG 1, STOP_AT_FLOW_LABEL 2, STOP_AT_ENCAP 4",
        ),
        CtxField::new("flow_label", 52, 4, "__be32"),
    ],
};

/// Any access inside the 56 bytes, at any byte offset
/// (`check_flow_keys_access`: bounds only; verified on 6.18).
static FLOW_KEYS_ACCESS: AccessTable = AccessTable {
    base: None,
    rules: &[FieldRule::rw(0, 56, ANY, ANY)],
};

static VALUES: &[NamedValue] = &[
    NamedValue::new(
        0,
        "BPF_OK",
        "dissection succeeded: flow_keys hold the result",
    ),
    NamedValue::new(2, "BPF_DROP", "dissection failed"),
    NamedValue::new(
        129,
        "BPF_FLOW_DISSECTOR_CONTINUE",
        "fall back to the built-in C dissector",
    ),
];

/// What flow dissector has beyond its shared layers (measured).
pub static FLOW_DISSECTOR_EXTRA: HelperSet =
    HelperSet::new("flow_dissector_extra", &[id::SKB_LOAD_BYTES]);

/// The type.
pub static SPEC: ProgTypeSpec = ProgTypeSpec {
    ty: ProgType::FlowDissector,
    name: "BPF_PROG_TYPE_FLOW_DISSECTOR",
    short: "flow_dissector",
    kernel_ops: "flow_dissector",
    ctx: &SK_BUFF,
    global_func_ctx: Some("__sk_buff"),
    access: &ACCESS,
    pointees: &[CtxStruct {
        layout: &FLOW_KEYS,
        access: &FLOW_KEYS_ACCESS,
        via: RegKind::PtrToFlowKeys,
        aligned: false,
    }],
    ld_abs: false,
    packet: PacketAccess::RO,
    helpers: HelperAvail::Layers {
        layers: &[&BASE, &SKC_CASTS, &COARSE_CLOCK, &FLOW_DISSECTOR_EXTRA],
        by_attach: &[],
        evidence: Evidence::Empirical,
    },
    characteristic_helpers: &[id::SKB_LOAD_BYTES],
    ret: ReturnSpec {
        rules: &[ReturnRule {
            when: AttachFilter::Any,
            range: RangeRule::Unchecked,
            values: VALUES,
            interp: Interp::Named,
            other: "dissection failed (like BPF_DROP)",
            evidence: Evidence::Knowledge,
        }],
    },
    attach: AttachSpec {
        expected: ExpectedAttach::NotValidated,
        attach_types: &[A::FlowDissector],
        method: "BPF_PROG_ATTACH {target_fd = 0 (current netns), attach_type BPF_FLOW_DISSECTOR} \
                 or BPF_LINK_CREATE {target_fd = netns fd}; one program per network namespace",
    },
    sec_names: &[SecDef::at("flow_dissector", A::FlowDissector).flags(sec_flags::ATTACHABLE_OPT)],
    use_cases: "replace the kernel's C flow dissector (used for RPS/RFS hashing, tc flower, \
                GRO, fq) with a program that parses custom or tunnelled headers",
    hook: "bpf_flow_dissect() from __skb_flow_dissect() (net/core/flow_dissector.c) and \
           eth_get_headlen()",
    test_run: TestRunSpec {
        default: TestRunSupport::Supported {
            runner: Runner::FlowDissector,
            detail: "data_in Ethernet frame 14 B .. one page; data_out = the final struct \
                     bpf_flow_keys (56 B); ctx_in may set only flags",
        },
        by_attach: &[],
        evidence: Evidence::Empirical,
    },
    load_notes: "",
    hooks: &TableHooks,
};

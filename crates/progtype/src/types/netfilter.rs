//! `BPF_PROG_TYPE_NETFILTER` (32) — `netfilter` ops (net/netfilter/nf_bpf_link.c).

use crate::attach::AttachType as A;
use crate::ctx::{AccessTable, CtxField, CtxLayout, FieldRule, RegKind};
use crate::helpers::{sets::*, HelperAvail};
use crate::ret::{Interp, NamedValue, RangeRule, ReturnRule, ReturnSpec};
use crate::spec::*;

/// `struct bpf_nf_ctx` (16 bytes).
pub static NF_CTX: CtxLayout = CtxLayout {
    struct_name: "struct bpf_nf_ctx",
    size: 16,
    doc: "BTF-typed pointers; packet bytes are read with the bpf_dynptr_from_skb kfunc",
    fields: &[
        CtxField::new("state", 0, 8, "const struct nf_hook_state *"),
        CtxField::new("skb", 8, 8, "struct sk_buff *"),
    ],
};

/// `nf_is_valid_access`: two read-only 8-byte BTF pointers.
static ACCESS: AccessTable = AccessTable {
    base: None,
    rules: &[
        FieldRule::ptr(0, 8, RegKind::PtrToBtfId),
        FieldRule::ptr(8, 8, RegKind::PtrToBtfId),
    ],
};

/// The type.
pub static SPEC: ProgTypeSpec = ProgTypeSpec {
    ty: ProgType::Netfilter,
    name: "BPF_PROG_TYPE_NETFILTER",
    short: "netfilter",
    kernel_ops: "netfilter",
    ctx: &NF_CTX,
    global_func_ctx: None,
    access: &ACCESS,
    pointees: &[],
    ld_abs: false,
    packet: PacketAccess::NONE,
    helpers: HelperAvail::Layers {
        layers: &[&BASE],
        by_attach: &[],
        evidence: Evidence::Empirical,
    },
    characteristic_helpers: &[],
    ret: ReturnSpec {
        rules: &[ReturnRule {
            when: AttachFilter::Any,
            range: RangeRule::Range { min: 0, max: 1 },
            values: &[
                NamedValue::dropping(0, "NF_DROP", "drop the packet"),
                NamedValue::new(1, "NF_ACCEPT", "accept the packet"),
            ],
            interp: Interp::Named,
            other: "",
            evidence: Evidence::Empirical,
        }],
    },
    attach: AttachSpec {
        expected: ExpectedAttach::OneOf {
            allowed: &[A::Netfilter],
            zero: None,
        },
        attach_types: &[A::Netfilter],
        method: "BPF_LINK_CREATE {target_fd 0, attach_type BPF_NETFILTER, netfilter = {pf, \
                 hooknum, priority (not INT_MIN/INT_MAX), flags (BPF_F_NETFILTER_IP_DEFRAG)}}",
    },
    sec_names: &[SecDef::at("netfilter", A::Netfilter)],
    use_cases: "netfilter hooks in BPF: firewalling and packet inspection at PRE_ROUTING, \
                LOCAL_IN, FORWARD, LOCAL_OUT, POST_ROUTING with kfunc-based packet access",
    hook: "nf_hook_run_bpf() registered as a netfilter hook function (nf_hook_slow)",
    test_run: TestRunSpec {
        default: TestRunSupport::Supported {
            runner: Runner::Netfilter,
            detail: "data_in >= 20 B (bare L3 for LOCAL_OUT, Ethernet otherwise); optional \
                     ctx_in = struct nf_hook_state (hook, pf 2/10); no data_out or ctx_out",
        },
        by_attach: &[],
        evidence: Evidence::Empirical,
    },
    load_notes: "expected_attach_type must be BPF_NETFILTER",
    hooks: &TableHooks,
};

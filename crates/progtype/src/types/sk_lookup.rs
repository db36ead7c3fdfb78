//! `BPF_PROG_TYPE_SK_LOOKUP` (30) — `sk_lookup` ops (net/core/filter.c).

use super::SK_VERDICT;
use crate::attach::AttachType as A;
use crate::ctx::skb::RN;
use crate::ctx::{Access, AccessTable, CtxField, CtxLayout, FieldRule, RegKind, Widths};
use crate::helpers::HelperSet;
use crate::helpers::{id, sets::*, HelperAvail};
use crate::ret::{Interp, RangeRule, ReturnRule, ReturnSpec};
use crate::spec::*;

/// `struct bpf_sk_lookup` (72 bytes).
pub static SK_LOOKUP_CTX: CtxLayout = CtxLayout {
    struct_name: "struct bpf_sk_lookup",
    size: 72,
    doc: "the packet's 4-tuple for a socket lookup in a network namespace",
    fields: &[
        CtxField::new(
            "sk",
            0,
            8,
            "union { struct bpf_sock *sk; __u64 cookie } (cookie: test_run output)",
        ),
        CtxField::new("family", 8, 4, "AF_INET / AF_INET6"),
        CtxField::new("protocol", 12, 4, "IPPROTO_TCP / IPPROTO_UDP"),
        CtxField::new("remote_ip4", 16, 4, "network order"),
        CtxField::array("remote_ip6", 20, 4, 4, "network order"),
        CtxField::new(
            "remote_port",
            36,
            2,
            "__be16, then 2 bytes of zero padding (readable too)",
        ),
        CtxField::new("local_ip4", 40, 4, "network order"),
        CtxField::array("local_ip6", 44, 4, 4, "network order"),
        CtxField::new("local_port", 60, 4, "host order"),
        CtxField::new("ingress_ifindex", 64, 4, "arrival device"),
    ],
};

const N124: Access = Access::anywhere(Widths::B124);

/// `sk_lookup_is_valid_access`: read-only, narrow loads everywhere but sk.
static ACCESS: AccessTable = AccessTable {
    base: None,
    rules: &[
        FieldRule::ptr(0, 8, RegKind::PtrToSocketOrNull),
        FieldRule::ro(8, 4, RN),
        FieldRule::ro(12, 4, RN),
        FieldRule::ro(16, 4, RN),
        FieldRule::ro(20, 16, N124),
        // remote_port: __be16 plus 2 padding bytes, all readable (verified)
        FieldRule::ro(36, 4, N124),
        FieldRule::ro(40, 4, RN),
        FieldRule::ro(44, 16, N124),
        FieldRule::ro(60, 4, RN),
        FieldRule::ro(64, 4, RN),
    ],
};

/// What sk lookup has beyond its shared layers (measured).
pub static SK_LOOKUP_EXTRA: HelperSet =
    HelperSet::new("sk_lookup_extra", &[id::SK_RELEASE, id::SK_ASSIGN]);

/// The type.
pub static SPEC: ProgTypeSpec = ProgTypeSpec {
    ty: ProgType::SkLookup,
    name: "BPF_PROG_TYPE_SK_LOOKUP",
    short: "sk_lookup",
    kernel_ops: "sk_lookup",
    ctx: &SK_LOOKUP_CTX,
    global_func_ctx: Some("bpf_sk_lookup"),
    access: &ACCESS,
    pointees: &[crate::ctx::sock::SOCK_POINTEE],
    ld_abs: false,
    packet: PacketAccess::NONE,
    helpers: HelperAvail::Layers {
        layers: &[
            &BASE,
            &SKC_CASTS,
            &COARSE_CLOCK,
            &PERF_OUTPUT,
            &SK_LOOKUP_EXTRA,
        ],
        by_attach: &[],
        evidence: Evidence::Empirical,
    },
    characteristic_helpers: &[id::SK_ASSIGN, id::SK_RELEASE, id::MAP_LOOKUP_ELEM],
    ret: ReturnSpec {
        rules: &[ReturnRule {
            when: AttachFilter::Any,
            range: RangeRule::Range { min: 0, max: 1 },
            values: SK_VERDICT,
            interp: Interp::Named,
            other: "",
            evidence: Evidence::Empirical,
        }],
    },
    attach: AttachSpec {
        expected: ExpectedAttach::OneOf {
            allowed: &[A::SkLookup],
            zero: None,
        },
        attach_types: &[A::SkLookup],
        method: "BPF_LINK_CREATE {target_fd = network namespace fd (/proc/self/ns/net), \
                 attach_type BPF_SK_LOOKUP} only (BPF_PROG_ATTACH is refused); link type NETNS",
    },
    sec_names: &[SecDef::at("sk_lookup", A::SkLookup).flags(sec_flags::ATTACHABLE)],
    use_cases: "steer incoming connections/datagrams to any socket regardless of its bound \
                address or port (one socket serving many IPs/ports, proxies, Cloudflare-style \
                listeners), or refuse them",
    hook: "bpf_sk_lookup_run_v4()/_v6() from __inet_lookup_listener() and the UDP lookup, before \
           the regular socket table lookup",
    test_run: TestRunSpec {
        default: TestRunSupport::Supported {
            runner: Runner::SkLookup,
            detail: "ctx_in (struct bpf_sk_lookup) mandatory, no data; family AF_INET/AF_INET6; \
                     ctx_out.cookie = cookie of the selected socket",
        },
        by_attach: &[],
        evidence: Evidence::Empirical,
    },
    load_notes: "",
    hooks: &TableHooks,
};

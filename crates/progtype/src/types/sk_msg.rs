//! `BPF_PROG_TYPE_SK_MSG` (16) — `sk_msg` ops (net/core/filter.c).

use crate::attach::AttachType as A;
use crate::ctx::{Access, AccessTable, CtxField, CtxLayout, FieldRule, RegKind, Widths};
use crate::helpers::HelperSet;
use crate::helpers::{id, sets::*, HelperAvail};
use crate::ret::{Interp, NamedValue, RangeRule, ReturnRule, ReturnSpec};
use crate::spec::*;

/// `struct sk_msg_md` (80 bytes).
pub static SK_MSG_MD: CtxLayout = CtxLayout {
    struct_name: "struct sk_msg_md",
    size: 80,
    doc: "a message being sent on a socket in a sockmap",
    fields: &[
        CtxField::new(
            "data",
            0,
            8,
            "first scatterlist element start (packet pointer)",
        ),
        CtxField::new("data_end", 8, 8, "its end (packet pointer)"),
        CtxField::new("family", 16, 4, "AF_*"),
        CtxField::new("remote_ip4", 20, 4, "network order"),
        CtxField::new("local_ip4", 24, 4, "network order"),
        CtxField::array("remote_ip6", 28, 4, 4, "network order"),
        CtxField::array("local_ip6", 44, 4, 4, "network order"),
        CtxField::new("remote_port", 60, 4, "network order"),
        CtxField::new("local_port", 64, 4, "host order"),
        CtxField::new("size", 68, 4, "bytes in this message"),
        CtxField::new("sk", 72, 8, "struct bpf_sock *"),
    ],
};

/// `sk_msg_is_valid_access`: read-only, exact widths.
static ACCESS: AccessTable = AccessTable {
    base: None,
    rules: &[
        FieldRule::ptr(0, 8, RegKind::PtrToPacket),
        FieldRule::ptr(8, 8, RegKind::PtrToPacketEnd),
        FieldRule::ro(16, 56, Access::anywhere(Widths::B4)), // family .. size
        FieldRule::ptr(72, 8, RegKind::PtrToSocket),
    ],
};

/// What sk msg has beyond its shared layers (measured).
pub static SK_MSG_EXTRA: HelperSet = HelperSet::new(
    "sk_msg_extra",
    &[
        id::MSG_REDIRECT_MAP,
        id::MSG_APPLY_BYTES,
        id::MSG_CORK_BYTES,
        id::MSG_PULL_DATA,
        id::MSG_REDIRECT_HASH,
        id::MSG_PUSH_DATA,
        id::MSG_POP_DATA,
        id::SK_STORAGE_GET,
        id::SK_STORAGE_DELETE,
        id::GET_NETNS_COOKIE,
    ],
);

/// The type.
pub static SPEC: ProgTypeSpec = ProgTypeSpec {
    ty: ProgType::SkMsg,
    name: "BPF_PROG_TYPE_SK_MSG",
    short: "sk_msg",
    kernel_ops: "sk_msg",
    ctx: &SK_MSG_MD,
    global_func_ctx: Some("sk_msg_md"),
    access: &ACCESS,
    pointees: &[crate::ctx::sock::SOCK_POINTEE],
    ld_abs: false,
    packet: PacketAccess::RW,
    helpers: HelperAvail::Layers {
        layers: &[
            &BASE,
            &SKC_CASTS,
            &COARSE_CLOCK,
            &PERF_OUTPUT,
            &SK_MSG_EXTRA,
        ],
        by_attach: &[],
        evidence: Evidence::Empirical,
    },
    characteristic_helpers: &[
        id::MSG_REDIRECT_MAP,
        id::MSG_REDIRECT_HASH,
        id::MSG_APPLY_BYTES,
        id::MSG_CORK_BYTES,
        id::MSG_PULL_DATA,
        id::MSG_PUSH_DATA,
        id::MSG_POP_DATA,
    ],
    ret: ReturnSpec {
        rules: &[ReturnRule {
            when: AttachFilter::Any,
            range: RangeRule::Unchecked,
            values: &[
                NamedValue::dropping(0, "SK_DROP", "drop; the sender's sendmsg fails with EACCES"),
                NamedValue::new(
                    1,
                    "SK_PASS",
                    "transmit (or redirect after bpf_msg_redirect_*)",
                ),
            ],
            interp: Interp::Named,
            other: "dropped like SK_DROP (sendmsg fails with EACCES)",
            evidence: Evidence::Empirical,
        }],
    },
    attach: AttachSpec {
        expected: ExpectedAttach::NotValidated,
        attach_types: &[A::SkMsgVerdict],
        method: "BPF_PROG_ATTACH / BPF_LINK_CREATE {target_fd = sockmap/sockhash fd, \
                 attach_type BPF_SK_MSG_VERDICT}",
    },
    sec_names: &[SecDef::at("sk_msg", A::SkMsgVerdict).flags(sec_flags::ATTACHABLE_OPT)],
    use_cases: "sendmsg-time policy and redirection between local sockets (sockmap fast path \
                for proxies), message rewriting, corking and byte accounting",
    hook: "tcp_bpf_sendmsg()/sk_psock_msg_verdict() when a socket in a sockmap sends",
    test_run: TestRunSpec::none(),
    load_notes: "",
    hooks: &TableHooks,
};

//! `BPF_PROG_TYPE_CGROUP_SKB` (8) — `cg_skb` ops (net/core/filter.c).

use crate::attach::AttachType as A;
use crate::ctx::skb::{RN, SKB_TUPLE, SK_BUFF, X4, X8};
use crate::ctx::{AccessTable, FieldRule};
use crate::helpers::HelperSet;
use crate::helpers::{id, sets::*, HelperAvail};
use crate::ret::{Interp, NamedValue, RangeRule, ReturnRule, ReturnSpec};
use crate::spec::*;

/// `cg_skb_is_valid_access`: the socket tuple view plus writable
/// mark/priority and the timestamps.
static ACCESS: AccessTable = AccessTable {
    base: Some(&SKB_TUPLE),
    rules: &[
        FieldRule::rw(8, 4, RN, X4),   // mark
        FieldRule::rw(32, 4, RN, X4),  // priority
        FieldRule::rw(152, 8, X8, X8), // tstamp
        FieldRule::ro(184, 8, X8),     // hwtstamp
    ],
};

static INGRESS: &[NamedValue] = &[
    NamedValue::dropping(0, "drop", "packet dropped (-EPERM to the caller)"),
    NamedValue::new(1, "allow", "packet passes"),
];

static EGRESS: &[NamedValue] = &[
    NamedValue::dropping(0, "drop", "packet dropped, the sender gets EPERM"),
    NamedValue::new(1, "allow", "NET_XMIT_SUCCESS"),
    NamedValue::dropping(
        2,
        "drop+cn",
        "dropped with congestion notification (NET_XMIT_DROP, ENOBUFS)",
    ),
    NamedValue::new(
        3,
        "allow+cn",
        "sent with congestion notification (NET_XMIT_CN: TCP reduces cwnd)",
    ),
];

/// What cgroup skb has beyond its shared layers (measured).
pub static CGROUP_SKB_EXTRA: HelperSet = HelperSet::new(
    "cgroup_skb_extra",
    &[
        id::SKB_LOAD_BYTES,
        id::GET_SOCKET_COOKIE,
        id::GET_SOCKET_UID,
        id::SKB_LOAD_BYTES_RELATIVE,
        id::SKB_CGROUP_ID,
        id::SKB_ANCESTOR_CGROUP_ID,
        id::SK_LOOKUP_TCP,
        id::SK_LOOKUP_UDP,
        id::SK_RELEASE,
        id::SK_FULLSOCK,
        id::TCP_SOCK,
        id::SKB_ECN_SET_CE,
        id::GET_LISTENER_SOCK,
        id::SKC_LOOKUP_TCP,
        id::SK_STORAGE_GET,
        id::SK_STORAGE_DELETE,
        id::GET_NETNS_COOKIE,
        id::SK_CGROUP_ID,
        id::SK_ANCESTOR_CGROUP_ID,
    ],
);

/// The type.
pub static SPEC: ProgTypeSpec = ProgTypeSpec {
    ty: ProgType::CgroupSkb,
    name: "BPF_PROG_TYPE_CGROUP_SKB",
    short: "cgroup_skb",
    kernel_ops: "cg_skb",
    ctx: &SK_BUFF,
    global_func_ctx: Some("__sk_buff"),
    access: &ACCESS,
    pointees: &[crate::ctx::sock::SOCK_COMMON_POINTEE],
    ld_abs: false,
    packet: PacketAccess::RO,
    helpers: HelperAvail::Layers {
        layers: &[
            &BASE,
            &SKC_CASTS,
            &COARSE_CLOCK,
            &PERF_OUTPUT,
            &CGROUP_STORAGE,
            &CGROUP_SKB_EXTRA,
        ],
        by_attach: &[],
        evidence: Evidence::Empirical,
    },
    characteristic_helpers: &[
        id::SK_CGROUP_ID,
        id::SKB_CGROUP_ID,
        id::SKB_ECN_SET_CE,
        id::SK_FULLSOCK,
        id::TCP_SOCK,
        id::GET_LOCAL_STORAGE,
        id::SKB_LOAD_BYTES,
    ],
    ret: ReturnSpec {
        rules: &[
            ReturnRule {
                when: AttachFilter::Only(&[A::CgroupInetEgress]),
                range: RangeRule::Range { min: 0, max: 3 },
                values: EGRESS,
                interp: Interp::Named,
                other: "",
                evidence: Evidence::Empirical,
            },
            ReturnRule {
                when: AttachFilter::Any,
                range: RangeRule::Range { min: 0, max: 1 },
                values: INGRESS,
                interp: Interp::Named,
                other: "",
                evidence: Evidence::Empirical,
            },
        ],
    },
    attach: AttachSpec {
        expected: ExpectedAttach::OneOf {
            allowed: &[A::CgroupInetIngress, A::CgroupInetEgress],
            zero: None,
        },
        attach_types: &[A::CgroupInetIngress, A::CgroupInetEgress],
        method: "BPF_PROG_ATTACH {target_fd = cgroup v2 directory fd, attach_type \
                 CGROUP_INET_INGRESS/EGRESS, flags 0 | ALLOW_OVERRIDE | ALLOW_MULTI | REPLACE} or \
                 BPF_LINK_CREATE on the cgroup fd; a program proven to return 2/3 attaches to \
                 egress only",
    },
    sec_names: &[
        SecDef::at("cgroup_skb/ingress", A::CgroupInetIngress).flags(sec_flags::ATTACHABLE_OPT),
        SecDef::at("cgroup_skb/egress", A::CgroupInetEgress).flags(sec_flags::ATTACHABLE_OPT),
        SecDef::plain("cgroup/skb"),
    ],
    use_cases: "per-cgroup (per-container) network policy and accounting: allow or drop IP \
                packets sent or received by the cgroup's sockets, ECN marking",
    hook: "__cgroup_bpf_run_filter_skb(): ingress from sk_filter_trim_cap() (tcp_v4_rcv, \
           udp_queue_rcv_one_skb ...), egress from ip_finish_output()/ip6_finish_output(); \
           skb->data pushed back to the L3 header",
    test_run: TestRunSpec {
        default: TestRunSupport::Supported {
            runner: Runner::SkbL3,
            detail: "like SOCKET_FILTER: Ethernet frame in, program sees L3; retval is raw R0",
        },
        by_attach: &[],
        evidence: Evidence::Empirical,
    },
    load_notes: "",
    hooks: &TableHooks,
};

/// Whether a cgroup skb program's return value lets the packet through:
/// bit 0 (on egress bit 1 asks for congestion notification).
pub fn allows(retval: u32) -> bool {
    retval & 1 == 1
}

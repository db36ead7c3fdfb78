//! `BPF_PROG_TYPE_SCHED_CLS` (3) — `tc_cls_act` ops, shared with SCHED_ACT.

use crate::attach::AttachType as A;
use crate::ctx::skb::{RN, SKB_DATA, SK_BUFF, X4, X8};
use crate::ctx::{Access, AccessTable, FieldRule, RegKind, Widths};
use crate::helpers::HelperSet;
use crate::helpers::{id, sets::*, HelperAvail};
use crate::ret::{Interp, NamedValue, RangeRule, ReturnRule, ReturnSpec};
use crate::spec::*;

/// tc's view of `__sk_buff` (`tc_cls_act_is_valid_access`): SKB_DATA plus
/// writable mark/queue_mapping/priority/tc_index/tc_classid/tstamp and the
/// tc-only fields.
pub static TC_ACCESS: AccessTable = AccessTable {
    base: Some(&SKB_DATA),
    rules: &[
        FieldRule::rw(8, 4, RN, X4),                         // mark
        FieldRule::rw(12, 4, RN, X4),                        // queue_mapping
        FieldRule::rw(32, 4, RN, X4),                        // priority
        FieldRule::rw(44, 4, RN, X4),                        // tc_index
        FieldRule::rw(72, 4, RN, X4),                        // tc_classid
        FieldRule::ptr(140, 4, RegKind::PtrToPacketMeta),    // data_meta
        FieldRule::rw(152, 8, X8, X8),                       // tstamp
        FieldRule::ro(160, 4, RN),                           // wire_len
        FieldRule::ro(180, 1, Access::at_start(Widths::B1)), // tstamp_type
        FieldRule::ro(184, 8, X8),                           // hwtstamp
    ],
};

crate::named_values! {
    /// What a tc (`sched_cls`/`sched_act`) program tells the qdisc to do:
    /// `TC_ACT_*` as cls_bpf direct-action honours them.
    pub enum TcAction, table TC_ACT {
        Unspec = -1, "TC_ACT_UNSPEC", new, "use the default / try the next filter";
        Ok = 0, "TC_ACT_OK", new, "pass the packet";
        Reclassify = 1, "TC_ACT_RECLASSIFY", new, "restart classification";
        Shot = 2, "TC_ACT_SHOT", dropping, "drop the packet";
        Pipe = 3, "TC_ACT_PIPE", new, "continue with the next action";
        Stolen = 4, "TC_ACT_STOLEN", new, "consumed by the program (dropped, not counted)";
        Queued = 5, "TC_ACT_QUEUED", new, "queued elsewhere";
        Repeat = 6, "TC_ACT_REPEAT", new, "repeat the action";
        Redirect = 7, "TC_ACT_REDIRECT", new, "redirect as set by bpf_redirect*";
        Trap = 8, "TC_ACT_TRAP", new, "hand to the host as an exception";
    }
}

static TCX: &[NamedValue] = &[
    NamedValue::new(
        -1,
        "TCX_NEXT",
        "run the next program / fall through to legacy tc",
    ),
    NamedValue::new(0, "TCX_PASS", "pass the packet"),
    NamedValue::dropping(2, "TCX_DROP", "drop the packet"),
    NamedValue::new(7, "TCX_REDIRECT", "redirect as set by bpf_redirect*"),
];

static NETKIT: &[NamedValue] = &[
    NamedValue::new(-1, "NETKIT_NEXT", "run the next program"),
    NamedValue::new(0, "NETKIT_PASS", "pass the packet"),
    NamedValue::dropping(2, "NETKIT_DROP", "drop the packet"),
    NamedValue::new(7, "NETKIT_REDIRECT", "redirect as set by bpf_redirect*"),
];

/// Helper layers shared with SCHED_ACT.
pub(crate) static TC_HELPERS: &[&crate::helpers::HelperSet] =
    &[&BASE, &SKC_CASTS, &COARSE_CLOCK, &PERF_OUTPUT, &TC_EXTRA];

/// Characteristic helpers shared with SCHED_ACT.
pub(crate) static TC_CHARACTERISTIC: &[u32] = &[
    id::SKB_STORE_BYTES,
    id::L3_CSUM_REPLACE,
    id::L4_CSUM_REPLACE,
    id::REDIRECT,
    id::CLONE_REDIRECT,
    id::SKB_CHANGE_HEAD,
    id::SKB_ADJUST_ROOM,
    id::SKB_VLAN_PUSH,
    id::FIB_LOOKUP,
    id::SK_ASSIGN,
];

/// The skb test-run on L2 data.
pub(crate) const TC_TEST_RUN: TestRunSupport = TestRunSupport::Supported {
    runner: Runner::SkbL2,
    detail: "data_in is an Ethernet frame (>= 14 B; IPv4 >= 34, IPv6 >= 54; <= 3712) seen \
                 from the MAC header; data_out is the frame as left by the program; \
                 ctx_in/ctx_out = struct __sk_buff",
};

/// What tc has beyond its shared layers (measured).
pub static TC_EXTRA: HelperSet = HelperSet::new(
    "tc_extra",
    &[
        id::SKB_STORE_BYTES,
        id::L3_CSUM_REPLACE,
        id::L4_CSUM_REPLACE,
        id::CLONE_REDIRECT,
        id::SKB_VLAN_PUSH,
        id::SKB_VLAN_POP,
        id::SKB_GET_TUNNEL_KEY,
        id::SKB_SET_TUNNEL_KEY,
        id::REDIRECT,
        id::GET_ROUTE_REALM,
        id::SKB_LOAD_BYTES,
        id::CSUM_DIFF,
        id::SKB_GET_TUNNEL_OPT,
        id::SKB_SET_TUNNEL_OPT,
        id::SKB_CHANGE_PROTO,
        id::SKB_CHANGE_TYPE,
        id::SKB_UNDER_CGROUP,
        id::GET_HASH_RECALC,
        id::SKB_CHANGE_TAIL,
        id::SKB_PULL_DATA,
        id::CSUM_UPDATE,
        id::SET_HASH_INVALID,
        id::SKB_CHANGE_HEAD,
        id::GET_SOCKET_COOKIE,
        id::GET_SOCKET_UID,
        id::SET_HASH,
        id::SKB_ADJUST_ROOM,
        id::SKB_GET_XFRM_STATE,
        id::SKB_LOAD_BYTES_RELATIVE,
        id::FIB_LOOKUP,
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
        id::TCP_CHECK_SYNCOOKIE,
        id::SK_STORAGE_GET,
        id::SK_STORAGE_DELETE,
        id::TCP_GEN_SYNCOOKIE,
        id::GET_NETNS_COOKIE,
        id::SK_ASSIGN,
        id::CSUM_LEVEL,
        id::SKB_CGROUP_CLASSID,
        id::REDIRECT_NEIGH,
        id::REDIRECT_PEER,
        id::CHECK_MTU,
        id::SKB_SET_TSTAMP,
        id::TCP_RAW_GEN_SYNCOOKIE_IPV4,
        id::TCP_RAW_GEN_SYNCOOKIE_IPV6,
        id::TCP_RAW_CHECK_SYNCOOKIE_IPV4,
        id::TCP_RAW_CHECK_SYNCOOKIE_IPV6,
    ],
);

/// The type.
pub static SPEC: ProgTypeSpec = ProgTypeSpec {
    ty: ProgType::SchedCls,
    name: "BPF_PROG_TYPE_SCHED_CLS",
    short: "sched_cls",
    kernel_ops: "tc_cls_act",
    ctx: &SK_BUFF,
    global_func_ctx: Some("__sk_buff"),
    access: &TC_ACCESS,
    pointees: &[crate::ctx::sock::SOCK_COMMON_POINTEE],
    ld_abs: true,
    packet: PacketAccess::RW,
    helpers: HelperAvail::Layers {
        layers: TC_HELPERS,
        by_attach: &[],
        evidence: Evidence::Empirical,
    },
    characteristic_helpers: TC_CHARACTERISTIC,
    ret: ReturnSpec {
        rules: &[
            ReturnRule {
                when: AttachFilter::Only(&[A::TcxIngress, A::TcxEgress]),
                range: RangeRule::Unchecked,
                values: TCX,
                interp: Interp::Named,
                other: "treated as TCX_NEXT",
                evidence: Evidence::Empirical,
            },
            ReturnRule {
                when: AttachFilter::Only(&[A::NetkitPrimary, A::NetkitPeer]),
                range: RangeRule::Unchecked,
                values: NETKIT,
                interp: Interp::Named,
                other: "treated as NETKIT_NEXT",
                evidence: Evidence::Knowledge,
            },
            ReturnRule {
                when: AttachFilter::Any,
                range: RangeRule::Unchecked,
                values: TC_ACT,
                interp: Interp::Named,
                other: "cls_bpf direct-action: becomes TC_ACT_UNSPEC; classic mode: a classid",
                evidence: Evidence::Source,
            },
        ],
    },
    attach: AttachSpec {
        expected: ExpectedAttach::NotValidated,
        attach_types: &[A::TcxIngress, A::TcxEgress, A::NetkitPrimary, A::NetkitPeer],
        method: "BPF_LINK_CREATE {target_ifindex, attach_type TCX_INGRESS/TCX_EGRESS} or \
                 BPF_PROG_ATTACH {target_fd = ifindex}; or netlink RTM_NEWTFILTER kind \"bpf\" on a \
                 clsact qdisc (TCA_BPF_FD, TCA_BPF_FLAGS = TCA_BPF_FLAG_ACT_DIRECT), i.e. `tc filter \
                 add dev X ingress bpf da obj f.o sec s`; or a netkit link",
    },
    sec_names: &[
        SecDef::at("tc/ingress", A::TcxIngress),
        SecDef::at("tc/egress", A::TcxEgress),
        SecDef::at("tcx/ingress", A::TcxIngress),
        SecDef::at("tcx/egress", A::TcxEgress),
        SecDef::at("netkit/primary", A::NetkitPrimary),
        SecDef::at("netkit/peer", A::NetkitPeer),
        SecDef::plain("tc"),
        SecDef::plain("classifier"),
    ],
    use_cases: "programmable packet processing at the tc ingress/egress hooks: firewalls, load \
                balancers, NAT, tunnelling and encapsulation, traffic shaping (classid, \
                queue_mapping), container networking (Cilium)",
    hook: "tcx_run()/tcf_classify() from sch_handle_ingress()/sch_handle_egress() in \
           net/core/dev.c: ingress after the driver, before the IP layer; egress before the \
           device queue; skb->data at the Ethernet header",
    test_run: TestRunSpec {
        default: TC_TEST_RUN,
        by_attach: &[],
        evidence: Evidence::Empirical,
    },
    load_notes: "",
    hooks: &TableHooks,
};

//! `BPF_PROG_TYPE_CGROUP_SOCK_ADDR` (18) — `cg_sock_addr` ops
//! (net/core/filter.c).

use super::CGROUP_ALLOW_DENY;
use crate::attach::AttachType as A;
use crate::ctx::skb::{RN, X4};
use crate::ctx::{Access, AccessTable, CtxField, CtxLayout, FieldRule, RegKind, Widths};
use crate::helpers::HelperSet;
use crate::helpers::{id, sets::*, AttachHelperRule, HelperAvail};
use crate::ret::{Interp, NamedValue, RangeRule, ReturnRule, ReturnSpec};
use crate::spec::*;

/// `struct bpf_sock_addr` (72 bytes).
pub static SOCK_ADDR: CtxLayout = CtxLayout {
    struct_name: "struct bpf_sock_addr",
    size: 72,
    doc: "the sockaddr of a bind/connect/sendmsg/recvmsg/getpeername/getsockname call",
    fields: &[
        CtxField::new("user_family", 0, 4, "sockaddr family"),
        CtxField::new("user_ip4", 4, 4, "network order"),
        CtxField::array("user_ip6", 8, 4, 4, "network order"),
        CtxField::new("user_port", 24, 4, "htons(port) zero-extended"),
        CtxField::new("family", 28, 4, "socket family"),
        CtxField::new("type", 32, 4, "socket type"),
        CtxField::new("protocol", 36, 4, "socket protocol"),
        CtxField::new("msg_src_ip4", 40, 4, "sendmsg source address"),
        CtxField::array("msg_src_ip6", 44, 4, 4, "sendmsg source address"),
        CtxField::new("sk", 64, 8, "struct bpf_sock *"),
    ],
};

const V4: &[A] = &[
    A::CgroupInet4Bind,
    A::CgroupInet4Connect,
    A::CgroupUdp4Sendmsg,
    A::CgroupUdp4Recvmsg,
    A::CgroupInet4Getpeername,
    A::CgroupInet4Getsockname,
];
const V6: &[A] = &[
    A::CgroupInet6Bind,
    A::CgroupInet6Connect,
    A::CgroupUdp6Sendmsg,
    A::CgroupUdp6Recvmsg,
    A::CgroupInet6Getpeername,
    A::CgroupInet6Getsockname,
];
/// Hooks that only report an address back: must return 1.
const REPORT_ONLY: &[A] = &[
    A::CgroupUdp4Recvmsg,
    A::CgroupUdp6Recvmsg,
    A::CgroupUnixRecvmsg,
    A::CgroupInet4Getpeername,
    A::CgroupInet6Getpeername,
    A::CgroupUnixGetpeername,
    A::CgroupInet4Getsockname,
    A::CgroupInet6Getsockname,
    A::CgroupUnixGetsockname,
];
const BIND: &[A] = &[A::CgroupInet4Bind, A::CgroupInet6Bind];
const ALL: &[A] = &[
    A::CgroupInet4Bind,
    A::CgroupInet6Bind,
    A::CgroupInet4Connect,
    A::CgroupInet6Connect,
    A::CgroupUnixConnect,
    A::CgroupUdp4Sendmsg,
    A::CgroupUdp6Sendmsg,
    A::CgroupUnixSendmsg,
    A::CgroupUdp4Recvmsg,
    A::CgroupUdp6Recvmsg,
    A::CgroupUnixRecvmsg,
    A::CgroupInet4Getpeername,
    A::CgroupInet6Getpeername,
    A::CgroupUnixGetpeername,
    A::CgroupInet4Getsockname,
    A::CgroupInet6Getsockname,
    A::CgroupUnixGetsockname,
];

const IP6_R: Access = Access::anywhere(Widths::B1248);
const IP6_W: Access = Access::anywhere(Widths::B48);

/// `sock_addr_is_valid_access`.
static ACCESS: AccessTable = AccessTable {
    base: None,
    rules: &[
        FieldRule::ro(0, 4, X4), // user_family
        FieldRule::rw(4, 4, RN, X4).when(AttachFilter::Only(V4)),
        FieldRule::rw(8, 16, IP6_R, IP6_W).when(AttachFilter::Only(V6)),
        FieldRule::rw(24, 4, RN, X4), // user_port
        FieldRule::ro(28, 4, X4),     // family
        FieldRule::ro(32, 4, X4),     // type
        FieldRule::ro(36, 4, X4),     // protocol
        FieldRule::rw(40, 4, RN, X4).when(AttachFilter::Only(&[A::CgroupUdp4Sendmsg])),
        FieldRule::rw(44, 16, IP6_R, IP6_W).when(AttachFilter::Only(&[A::CgroupUdp6Sendmsg])),
        FieldRule::ptr(64, 8, RegKind::PtrToSocket),
    ],
};

/// What cgroup sock addr has beyond its shared layers (measured).
pub static CGROUP_SOCK_ADDR_EXTRA: HelperSet = HelperSet::new(
    "cgroup_sock_addr_extra",
    &[
        id::GET_SOCKET_COOKIE,
        id::SETSOCKOPT,
        id::GETSOCKOPT,
        id::BIND,
        id::SK_LOOKUP_TCP,
        id::SK_LOOKUP_UDP,
        id::SK_RELEASE,
        id::SKC_LOOKUP_TCP,
        id::SK_STORAGE_GET,
        id::SK_STORAGE_DELETE,
        id::GET_NETNS_COOKIE,
    ],
);

/// The `bind` helper (CGROUP_SOCK_ADDR connect4/connect6 only).
pub static BIND_ONLY: HelperSet = HelperSet::new("bind", &[id::BIND]);

/// The type.
pub static SPEC: ProgTypeSpec = ProgTypeSpec {
    ty: ProgType::CgroupSockAddr,
    name: "BPF_PROG_TYPE_CGROUP_SOCK_ADDR",
    short: "cgroup_sock_addr",
    kernel_ops: "cg_sock_addr",
    ctx: &SOCK_ADDR,
    global_func_ctx: Some("bpf_sock_addr"),
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
            &CGROUP_STORAGE,
            &CGROUP_RETVAL,
            &CGROUP_SOCK_ADDR_EXTRA,
        ],
        by_attach: &[
            AttachHelperRule {
                when: AttachFilter::Except(&[A::CgroupInet4Connect, A::CgroupInet6Connect]),
                add: &[],
                remove: &[&BIND_ONLY],
            },
            super::RETVAL_BY_ATTACH,
        ],
        evidence: Evidence::Empirical,
    },
    characteristic_helpers: &[
        id::BIND,
        id::SETSOCKOPT,
        id::GETSOCKOPT,
        id::SK_LOOKUP_TCP,
        id::GET_SOCKET_COOKIE,
        id::SET_RETVAL,
    ],
    ret: ReturnSpec {
        rules: &[
            ReturnRule {
                when: AttachFilter::Only(BIND),
                range: RangeRule::Range { min: 0, max: 3 },
                values: &[
                    NamedValue::new(
                        0,
                        "deny",
                        "bind() fails with EPERM (or bpf_set_retval errno)",
                    ),
                    NamedValue::new(1, "allow", "bind proceeds with the (rewritten) address"),
                    NamedValue::new(2, "deny", "bit 1 without bit 0: still denied"),
                    NamedValue::new(
                        3,
                        "allow+bypass",
                        "allow and skip the CAP_NET_BIND_SERVICE check for ports < 1024",
                    ),
                ],
                interp: Interp::Named,
                other: "",
                evidence: Evidence::Empirical,
            },
            ReturnRule {
                when: AttachFilter::Only(REPORT_ONLY),
                range: RangeRule::Range { min: 1, max: 1 },
                values: &[NamedValue::new(
                    1,
                    "ok",
                    "report the (possibly rewritten) address",
                )],
                interp: Interp::Named,
                other: "",
                evidence: Evidence::Empirical,
            },
            ReturnRule {
                when: AttachFilter::Any,
                range: RangeRule::Range { min: 0, max: 1 },
                values: CGROUP_ALLOW_DENY,
                interp: Interp::Named,
                other: "",
                evidence: Evidence::Empirical,
            },
        ],
    },
    attach: AttachSpec {
        expected: ExpectedAttach::OneOf {
            allowed: ALL,
            zero: None,
        },
        attach_types: ALL,
        method: "cgroup v2 fd via BPF_PROG_ATTACH / BPF_LINK_CREATE with the same attach type",
    },
    sec_names: &[
        SecDef::at("cgroup/bind4", A::CgroupInet4Bind).flags(sec_flags::ATTACHABLE),
        SecDef::at("cgroup/bind6", A::CgroupInet6Bind).flags(sec_flags::ATTACHABLE),
        SecDef::at("cgroup/connect4", A::CgroupInet4Connect).flags(sec_flags::ATTACHABLE),
        SecDef::at("cgroup/connect6", A::CgroupInet6Connect).flags(sec_flags::ATTACHABLE),
        SecDef::at("cgroup/connect_unix", A::CgroupUnixConnect).flags(sec_flags::ATTACHABLE),
        SecDef::at("cgroup/sendmsg4", A::CgroupUdp4Sendmsg).flags(sec_flags::ATTACHABLE),
        SecDef::at("cgroup/sendmsg6", A::CgroupUdp6Sendmsg).flags(sec_flags::ATTACHABLE),
        SecDef::at("cgroup/sendmsg_unix", A::CgroupUnixSendmsg).flags(sec_flags::ATTACHABLE),
        SecDef::at("cgroup/recvmsg4", A::CgroupUdp4Recvmsg).flags(sec_flags::ATTACHABLE),
        SecDef::at("cgroup/recvmsg6", A::CgroupUdp6Recvmsg).flags(sec_flags::ATTACHABLE),
        SecDef::at("cgroup/recvmsg_unix", A::CgroupUnixRecvmsg).flags(sec_flags::ATTACHABLE),
        SecDef::at("cgroup/getpeername4", A::CgroupInet4Getpeername).flags(sec_flags::ATTACHABLE),
        SecDef::at("cgroup/getpeername6", A::CgroupInet6Getpeername).flags(sec_flags::ATTACHABLE),
        SecDef::at("cgroup/getpeername_unix", A::CgroupUnixGetpeername)
            .flags(sec_flags::ATTACHABLE),
        SecDef::at("cgroup/getsockname4", A::CgroupInet4Getsockname).flags(sec_flags::ATTACHABLE),
        SecDef::at("cgroup/getsockname6", A::CgroupInet6Getsockname).flags(sec_flags::ATTACHABLE),
        SecDef::at("cgroup/getsockname_unix", A::CgroupUnixGetsockname)
            .flags(sec_flags::ATTACHABLE),
    ],
    use_cases: "socket-level load balancing and address translation without NAT (rewrite \
                connect/sendmsg destinations, e.g. Kubernetes services), restricting bind \
                addresses/ports, hiding rewritten addresses from getpeername/recvmsg",
    hook: "__cgroup_bpf_run_filter_sock_addr() from inet_bind(), inet_stream_connect()/ \
           __inet_dgram_connect(), udp_sendmsg(), udp_recvmsg(), inet_getname() and the \
           AF_UNIX equivalents",
    test_run: TestRunSpec::none(),
    load_notes: "expected_attach_type is mandatory (0 is refused)",
    hooks: &TableHooks,
};

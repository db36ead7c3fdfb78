//! `BPF_PROG_TYPE_CGROUP_SOCK` (9) — `cg_sock` ops (net/core/filter.c).

use super::CGROUP_ALLOW_DENY;
use crate::attach::AttachType as A;
use crate::ctx::skb::{RN, X4};
use crate::ctx::sock::BPF_SOCK;
use crate::ctx::{Access, AccessTable, FieldRule, Widths};
use crate::helpers::HelperSet;
use crate::helpers::{id, sets::*, HelperAvail};
use crate::ret::{Interp, RangeRule, ReturnRule, ReturnSpec};
use crate::spec::*;

const POST_BIND: &[A] = &[A::CgroupInet4PostBind, A::CgroupInet6PostBind];
const AT124: Access = Access::at_start(Widths::B124);

/// `sock_filter_is_valid_access` + `bpf_sock_is_valid_access`.
static ACCESS: AccessTable = AccessTable {
    base: None,
    rules: &[
        FieldRule::rw(0, 4, X4, X4).when(AttachFilter::Except(POST_BIND)), // bound_dev_if
        FieldRule::ro(4, 4, AT124),                                        // family
        FieldRule::ro(8, 4, AT124),                                        // type
        FieldRule::ro(12, 4, AT124),                                       // protocol
        FieldRule::rw(16, 4, X4, X4).when(AttachFilter::Except(POST_BIND)), // mark
        FieldRule::rw(20, 4, X4, X4).when(AttachFilter::Except(POST_BIND)), // priority
        FieldRule::ro(24, 4, RN).when(AttachFilter::Only(&[A::CgroupInet4PostBind])), // src_ip4
        FieldRule::ro(28, 16, Access::anywhere(Widths::B124))
            .when(AttachFilter::Only(&[A::CgroupInet6PostBind])), // src_ip6
        FieldRule::ro(44, 4, AT124).when(AttachFilter::Only(POST_BIND)),   // src_port
        FieldRule::ro(48, 2, Access::anywhere(Widths::B12)),               // dst_port
        FieldRule::ro(48, 4, X4), // dst_port: 4-byte load kept for compatibility
        FieldRule::ro(52, 4, RN), // dst_ip4
        FieldRule::ro(56, 16, Access::anywhere(Widths::B124)), // dst_ip6
        FieldRule::ro(72, 4, AT124), // state
        FieldRule::ro(76, 4, AT124), // rx_queue_mapping
    ],
};

/// What cgroup sock has beyond its shared layers (measured).
pub static CGROUP_SOCK_EXTRA: HelperSet = HelperSet::new(
    "cgroup_sock_extra",
    &[
        id::GET_SOCKET_COOKIE,
        id::SK_STORAGE_GET,
        id::GET_NETNS_COOKIE,
    ],
);

/// The type.
pub static SPEC: ProgTypeSpec = ProgTypeSpec {
    ty: ProgType::CgroupSock,
    name: "BPF_PROG_TYPE_CGROUP_SOCK",
    short: "cgroup_sock",
    kernel_ops: "cg_sock",
    ctx: &BPF_SOCK,
    global_func_ctx: Some("bpf_sock"),
    access: &ACCESS,
    pointees: &[],
    ld_abs: false,
    packet: PacketAccess::NONE,
    helpers: HelperAvail::Layers {
        layers: &[
            &BASE,
            &COARSE_CLOCK,
            &PERF_OUTPUT,
            &CGROUP_STORAGE,
            &CGROUP_RETVAL,
            &CGROUP_SOCK_EXTRA,
        ],
        by_attach: &[super::RETVAL_BY_ATTACH],
        evidence: Evidence::Empirical,
    },
    characteristic_helpers: &[
        id::GET_RETVAL,
        id::SET_RETVAL,
        id::GET_LOCAL_STORAGE,
        id::GET_SOCKET_COOKIE,
        id::SK_STORAGE_GET,
    ],
    ret: ReturnSpec {
        rules: &[ReturnRule {
            when: AttachFilter::Any,
            range: RangeRule::Range { min: 0, max: 1 },
            values: CGROUP_ALLOW_DENY,
            interp: Interp::Named,
            other: "",
            evidence: Evidence::Empirical,
        }],
    },
    attach: AttachSpec {
        expected: ExpectedAttach::OneOf {
            allowed: &[
                A::CgroupInetSockCreate,
                A::CgroupInet4PostBind,
                A::CgroupInet6PostBind,
                A::CgroupInetSockRelease,
            ],
            zero: Some(A::CgroupInetSockCreate),
        },
        attach_types: &[
            A::CgroupInetSockCreate,
            A::CgroupInet4PostBind,
            A::CgroupInet6PostBind,
            A::CgroupInetSockRelease,
        ],
        method: "cgroup v2 fd via BPF_PROG_ATTACH / BPF_LINK_CREATE with the same attach type",
    },
    sec_names: &[
        SecDef::at("cgroup/sock_create", A::CgroupInetSockCreate).flags(sec_flags::ATTACHABLE),
        SecDef::at("cgroup/sock_release", A::CgroupInetSockRelease).flags(sec_flags::ATTACHABLE),
        SecDef::at("cgroup/sock", A::CgroupInetSockCreate).flags(sec_flags::ATTACHABLE_OPT),
        SecDef::at("cgroup/post_bind4", A::CgroupInet4PostBind).flags(sec_flags::ATTACHABLE),
        SecDef::at("cgroup/post_bind6", A::CgroupInet6PostBind).flags(sec_flags::ATTACHABLE),
    ],
    use_cases: "per-cgroup socket policy: refuse socket creation (by family/type/protocol), set \
                SO_BINDTODEVICE/mark/priority on new sockets (VRF), check bound addresses after \
                bind(), observe socket release",
    hook: "__cgroup_bpf_run_filter_sk(): inet_create()/inet6_create() (sock_create), \
           __inet_bind() after binding (post_bind4/6, undone on deny), inet_release() \
           (sock_release, result ignored)",
    test_run: TestRunSpec::none(),
    load_notes: "expected_attach_type 0 is rewritten to BPF_CGROUP_INET_SOCK_CREATE",
    hooks: &TableHooks,
};

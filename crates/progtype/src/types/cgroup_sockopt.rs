//! `BPF_PROG_TYPE_CGROUP_SOCKOPT` (25) — `cg_sockopt` ops (kernel/bpf/cgroup.c).

use super::CGROUP_ALLOW_DENY;
use crate::attach::AttachType as A;
use crate::ctx::skb::X4;
use crate::ctx::{AccessTable, CtxField, CtxLayout, FieldRule, RegKind};
use crate::helpers::HelperSet;
use crate::helpers::{id, sets::*, AttachHelperRule, HelperAvail};
use crate::ret::{Interp, RangeRule, ReturnRule, ReturnSpec};
use crate::spec::*;

/// `struct bpf_sockopt` (40 bytes).
pub static SOCKOPT: CtxLayout = CtxLayout {
    struct_name: "struct bpf_sockopt",
    size: 40,
    doc: "a getsockopt/setsockopt call; optval..optval_end is a packet-like window",
    fields: &[
        CtxField::new("sk", 0, 8, "struct bpf_sock *"),
        CtxField::new("optval", 8, 8, "option buffer start (packet pointer)"),
        CtxField::new("optval_end", 16, 8, "option buffer end (packet pointer)"),
        CtxField::new("level", 24, 4, "s32"),
        CtxField::new("optname", 28, 4, "s32"),
        CtxField::new("optlen", 32, 4, "s32"),
        CtxField::new(
            "retval",
            36,
            4,
            "s32: the kernel handler's result (getsockopt)",
        ),
    ],
};

const SET: AttachFilter = AttachFilter::Only(&[A::CgroupSetsockopt]);
const GET: AttachFilter = AttachFilter::Only(&[A::CgroupGetsockopt]);

/// `cg_sockopt_is_valid_access`.
static ACCESS: AccessTable = AccessTable {
    base: None,
    rules: &[
        FieldRule::ptr(0, 8, RegKind::PtrToSocket),
        FieldRule::ptr(8, 8, RegKind::PtrToPacket),
        FieldRule::ptr(16, 8, RegKind::PtrToPacketEnd),
        FieldRule::ro(24, 4, X4),
        FieldRule::rw(24, 4, X4, X4).when(SET),
        FieldRule::ro(28, 4, X4),
        FieldRule::rw(28, 4, X4, X4).when(SET),
        FieldRule::rw(32, 4, X4, X4),
        FieldRule::rw(36, 4, X4, X4).when(GET),
    ],
};

/// What cgroup sockopt has beyond its shared layers (measured).
pub static CGROUP_SOCKOPT_EXTRA: HelperSet = HelperSet::new(
    "cgroup_sockopt_extra",
    &[
        id::SETSOCKOPT,
        id::GETSOCKOPT,
        id::TCP_SOCK,
        id::SK_STORAGE_GET,
        id::SK_STORAGE_DELETE,
        id::GET_NETNS_COOKIE,
    ],
);

/// `setsockopt` / `getsockopt` (CGROUP_SOCKOPT: setsockopt hook only).
pub static SOCKOPT_CALLS: HelperSet =
    HelperSet::new("sockopt_calls", &[id::SETSOCKOPT, id::GETSOCKOPT]);

/// The type.
pub static SPEC: ProgTypeSpec = ProgTypeSpec {
    ty: ProgType::CgroupSockopt,
    name: "BPF_PROG_TYPE_CGROUP_SOCKOPT",
    short: "cgroup_sockopt",
    kernel_ops: "cg_sockopt",
    ctx: &SOCKOPT,
    global_func_ctx: Some("bpf_sockopt"),
    access: &ACCESS,
    pointees: &[crate::ctx::sock::SOCK_POINTEE],
    ld_abs: false,
    packet: PacketAccess::RW,
    helpers: HelperAvail::Layers {
        layers: &[
            &BASE,
            &PERF_OUTPUT,
            &CGROUP_STORAGE,
            &CGROUP_RETVAL,
            &CGROUP_SOCKOPT_EXTRA,
        ],
        by_attach: &[
            AttachHelperRule {
                when: AttachFilter::Except(&[A::CgroupSetsockopt]),
                add: &[],
                remove: &[&SOCKOPT_CALLS],
            },
            super::RETVAL_BY_ATTACH,
        ],
        evidence: Evidence::Empirical,
    },
    characteristic_helpers: &[id::SETSOCKOPT, id::GETSOCKOPT, id::SET_RETVAL, id::TCP_SOCK],
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
            allowed: &[A::CgroupGetsockopt, A::CgroupSetsockopt],
            zero: None,
        },
        attach_types: &[A::CgroupGetsockopt, A::CgroupSetsockopt],
        method: "cgroup v2 fd via BPF_PROG_ATTACH / BPF_LINK_CREATE with the matching attach type",
    },
    sec_names: &[
        SecDef::at("cgroup/getsockopt", A::CgroupGetsockopt).flags(sec_flags::ATTACHABLE),
        SecDef::at("cgroup/setsockopt", A::CgroupSetsockopt).flags(sec_flags::ATTACHABLE),
    ],
    use_cases: "per-cgroup socket option policy: refuse or rewrite setsockopt arguments before \
                the kernel sees them, fake or fix getsockopt results, implement options in BPF",
    hook: "__cgroup_bpf_run_filter_setsockopt() before the kernel handler (do_sock_setsockopt) \
           and __cgroup_bpf_run_filter_getsockopt() after it",
    test_run: TestRunSpec::none(),
    load_notes: "",
    hooks: &TableHooks,
};

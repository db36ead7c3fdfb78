//! `BPF_PROG_TYPE_SK_REUSEPORT` (21) — `sk_reuseport` ops (net/core/filter.c).

use super::SK_VERDICT;
use crate::attach::AttachType as A;
use crate::ctx::skb::{RN, X4};
use crate::ctx::{Access, AccessTable, CtxField, CtxLayout, FieldRule, RegKind, Widths};
use crate::helpers::HelperSet;
use crate::helpers::{id, sets::*, HelperAvail};
use crate::ret::{Interp, RangeRule, ReturnRule, ReturnSpec};
use crate::spec::*;

/// `struct sk_reuseport_md` (56 bytes).
pub static SK_REUSEPORT_MD: CtxLayout = CtxLayout {
    struct_name: "struct sk_reuseport_md",
    size: 56,
    doc: "the packet (from the transport header) and sockets of a reuseport lookup",
    fields: &[
        CtxField::new(
            "data",
            0,
            8,
            "packet start at the transport header (packet pointer)",
        ),
        CtxField::new("data_end", 8, 8, "packet end (packet pointer)"),
        CtxField::new("len", 16, 4, "total packet length"),
        CtxField::new(
            "eth_protocol",
            20,
            4,
            "ethertype, network order (16-bit kernel field)",
        ),
        CtxField::new("ip_protocol", 24, 4, "IPPROTO_*"),
        CtxField::new("bind_inany", 28, 4, "the group is bound to INADDR_ANY"),
        CtxField::new("hash", 32, 4, "flow hash"),
        CtxField::new("sk", 40, 8, "struct bpf_sock * of the group"),
        CtxField::new(
            "migrating_sk",
            48,
            8,
            "closing listener whose requests migrate, or NULL",
        ),
    ],
};

/// `sk_reuseport_is_valid_access`.
static ACCESS: AccessTable = AccessTable {
    base: None,
    rules: &[
        FieldRule::ptr(0, 8, RegKind::PtrToPacket),
        FieldRule::ptr(8, 8, RegKind::PtrToPacketEnd),
        FieldRule::ro(16, 4, RN),
        FieldRule::ro(20, 4, Access::anywhere(Widths::B24)),
        FieldRule::ro(24, 4, RN),
        FieldRule::ro(28, 4, RN),
        FieldRule::ro(32, 4, X4),
        FieldRule::ptr(40, 8, RegKind::PtrToSocket),
        FieldRule::ptr(48, 8, RegKind::PtrToSockCommonOrNull),
    ],
};

/// What sk reuseport has beyond its shared layers (measured).
pub static SK_REUSEPORT_EXTRA: HelperSet = HelperSet::new(
    "sk_reuseport_extra",
    &[
        id::SKB_LOAD_BYTES,
        id::GET_SOCKET_COOKIE,
        id::SKB_LOAD_BYTES_RELATIVE,
        id::SK_SELECT_REUSEPORT,
    ],
);

/// The type.
pub static SPEC: ProgTypeSpec = ProgTypeSpec {
    ty: ProgType::SkReuseport,
    name: "BPF_PROG_TYPE_SK_REUSEPORT",
    short: "sk_reuseport",
    kernel_ops: "sk_reuseport",
    ctx: &SK_REUSEPORT_MD,
    global_func_ctx: Some("sk_reuseport_md"),
    access: &ACCESS,
    pointees: &[
        crate::ctx::sock::SOCK_POINTEE,
        crate::ctx::sock::SOCK_COMMON_POINTEE,
    ],
    ld_abs: false,
    packet: PacketAccess::RO,
    helpers: HelperAvail::Layers {
        layers: &[&BASE, &COARSE_CLOCK, &SK_REUSEPORT_EXTRA],
        by_attach: &[],
        evidence: Evidence::Empirical,
    },
    characteristic_helpers: &[
        id::SK_SELECT_REUSEPORT,
        id::SKB_LOAD_BYTES,
        id::GET_SOCKET_COOKIE,
    ],
    ret: ReturnSpec {
        rules: &[ReturnRule {
            when: AttachFilter::Any,
            range: RangeRule::Unchecked,
            values: SK_VERDICT,
            interp: Interp::Named,
            other: "refused like SK_DROP (-ECONNREFUSED)",
            evidence: Evidence::Knowledge,
        }],
    },
    attach: AttachSpec {
        expected: ExpectedAttach::OneOf {
            allowed: &[A::SkReuseportSelect, A::SkReuseportSelectOrMigrate],
            zero: Some(A::SkReuseportSelect),
        },
        attach_types: &[],
        method:
            "setsockopt(SOL_SOCKET, SO_ATTACH_REUSEPORT_EBPF (52), &prog_fd) on a SO_REUSEPORT \
                 socket; detach SO_DETACH_REUSEPORT_BPF (68); migration needs \
                 net.ipv4.tcp_migrate_req=1",
    },
    sec_names: &[
        SecDef::at("sk_reuseport", A::SkReuseportSelect).flags(sec_flags::ATTACHABLE),
        SecDef::at("sk_reuseport/migrate", A::SkReuseportSelectOrMigrate)
            .flags(sec_flags::ATTACHABLE),
    ],
    use_cases: "choose which socket of a SO_REUSEPORT group gets a new connection/datagram \
                (zero-downtime restarts, CPU/NUMA affinity, consistent hashing), migrate \
                requests of a closing listener",
    hook: "reuseport_select_sock() / reuseport_migrate_sock() (net/core/sock_reuseport.c) during \
           the TCP/UDP socket lookup",
    test_run: TestRunSpec::none(),
    load_notes: "expected_attach_type 0 becomes BPF_SK_REUSEPORT_SELECT",
    hooks: &TableHooks,
};

//! `BPF_PROG_TYPE_XDP` (6) — `xdp` ops (net/core/filter.c).

use crate::attach::AttachType as A;
use crate::ctx::skb::X4;
use crate::ctx::{AccessTable, CtxField, CtxLayout, FieldRule, RegKind};
use crate::helpers::HelperSet;
use crate::helpers::{id, sets::*, HelperAvail};
use crate::ret::{Interp, RangeRule, ReturnRule, ReturnSpec};
use crate::spec::*;

/// `struct xdp_md` (24 bytes).
pub static XDP_MD: CtxLayout = CtxLayout {
    struct_name: "struct xdp_md",
    size: 24,
    doc: "user-visible view of struct xdp_buff",
    fields: &[
        CtxField::new(
            "data",
            0,
            4,
            "start of packet data at the Ethernet header (packet pointer)",
        ),
        CtxField::new("data_end", 4, 4, "end of the linear data (packet pointer)"),
        CtxField::new(
            "data_meta",
            8,
            4,
            "start of metadata in front of data (packet pointer)",
        ),
        CtxField::new("ingress_ifindex", 12, 4, "rxq->dev->ifindex"),
        CtxField::new("rx_queue_index", 16, 4, "rxq->queue_index"),
        CtxField::new(
            "egress_ifindex",
            20,
            4,
            "txq->dev->ifindex (devmap programs only)",
        ),
    ],
};

/// `xdp_is_valid_access`: read-only, exact 4-byte loads.
static ACCESS: AccessTable = AccessTable {
    base: None,
    rules: &[
        FieldRule::ptr(0, 4, RegKind::PtrToPacket),
        FieldRule::ptr(4, 4, RegKind::PtrToPacketEnd),
        FieldRule::ptr(8, 4, RegKind::PtrToPacketMeta),
        FieldRule::ro(12, 4, X4),
        FieldRule::ro(16, 4, X4),
        FieldRule::ro(20, 4, X4).when(AttachFilter::Only(&[A::XdpDevmap])),
    ],
};

crate::named_values! {
    /// What an XDP program tells the driver to do with the frame.
    pub enum XdpAction, table XDP_ACTIONS {
        Aborted = 0, "XDP_ABORTED", dropping, "drop and fire the xdp_exception tracepoint";
        Drop = 1, "XDP_DROP", dropping, "drop the packet";
        Pass = 2, "XDP_PASS", new, "continue into the network stack";
        Tx = 3, "XDP_TX", new, "transmit back out of the receiving device";
        Redirect = 4, "XDP_REDIRECT", new, "forward as set by bpf_redirect/bpf_redirect_map (no target: drop)";
    }
}

/// What xdp has beyond its shared layers (measured).
pub static XDP_EXTRA: HelperSet = HelperSet::new(
    "xdp_extra",
    &[
        id::REDIRECT,
        id::CSUM_DIFF,
        id::XDP_ADJUST_HEAD,
        id::REDIRECT_MAP,
        id::XDP_ADJUST_META,
        id::XDP_ADJUST_TAIL,
        id::FIB_LOOKUP,
        id::SK_LOOKUP_TCP,
        id::SK_LOOKUP_UDP,
        id::SK_RELEASE,
        id::SKC_LOOKUP_TCP,
        id::TCP_CHECK_SYNCOOKIE,
        id::TCP_GEN_SYNCOOKIE,
        id::CHECK_MTU,
        id::XDP_GET_BUFF_LEN,
        id::XDP_LOAD_BYTES,
        id::XDP_STORE_BYTES,
        id::TCP_RAW_GEN_SYNCOOKIE_IPV4,
        id::TCP_RAW_GEN_SYNCOOKIE_IPV6,
        id::TCP_RAW_CHECK_SYNCOOKIE_IPV4,
        id::TCP_RAW_CHECK_SYNCOOKIE_IPV6,
    ],
);

/// The type.
pub static SPEC: ProgTypeSpec = ProgTypeSpec {
    ty: ProgType::Xdp,
    name: "BPF_PROG_TYPE_XDP",
    short: "xdp",
    kernel_ops: "xdp",
    ctx: &XDP_MD,
    global_func_ctx: Some("xdp_md"),
    access: &ACCESS,
    pointees: &[],
    ld_abs: false,
    packet: PacketAccess::RW,
    helpers: HelperAvail::Layers {
        layers: &[&BASE, &SKC_CASTS, &COARSE_CLOCK, &PERF_OUTPUT, &XDP_EXTRA],
        by_attach: &[],
        evidence: Evidence::Empirical,
    },
    characteristic_helpers: &[
        id::XDP_ADJUST_HEAD,
        id::XDP_ADJUST_TAIL,
        id::XDP_ADJUST_META,
        id::REDIRECT_MAP,
        id::REDIRECT,
        id::XDP_LOAD_BYTES,
        id::XDP_STORE_BYTES,
        id::FIB_LOOKUP,
    ],
    ret: ReturnSpec {
        rules: &[ReturnRule {
            when: AttachFilter::Any,
            range: RangeRule::Unchecked,
            values: XDP_ACTIONS,
            interp: Interp::Named,
            other: "invalid action: bpf_warn_invalid_xdp_action, packet dropped; devmap \
                    programs honour only PASS/DROP/ABORTED, cpumap PASS/DROP/REDIRECT",
            evidence: Evidence::Empirical,
        }],
    },
    attach: AttachSpec {
        expected: ExpectedAttach::NotValidated,
        attach_types: &[A::Xdp],
        method: "netlink RTM_SETLINK with IFLA_XDP {IFLA_XDP_FD, IFLA_XDP_FLAGS: SKB_MODE 2, \
                 DRV_MODE 4, HW_MODE 8, UPDATE_IF_NOEXIST 1, REPLACE 16} or BPF_LINK_CREATE \
                 {target_ifindex, attach_type BPF_XDP, flags = mode}; devmap/cpumap programs are \
                 installed by writing their fd into the map value; BPF_PROG_ATTACH is refused",
    },
    sec_names: &[
        SecDef::at("xdp", A::Xdp).flags(sec_flags::ATTACHABLE_OPT),
        SecDef::at("xdp.frags", A::Xdp).flags(sec_flags::XDP_FRAGS),
        SecDef::at("xdp/devmap", A::XdpDevmap).flags(sec_flags::ATTACHABLE),
        SecDef::at("xdp.frags/devmap", A::XdpDevmap).flags(sec_flags::XDP_FRAGS),
        SecDef::at("xdp/cpumap", A::XdpCpumap).flags(sec_flags::ATTACHABLE),
        SecDef::at("xdp.frags/cpumap", A::XdpCpumap).flags(sec_flags::XDP_FRAGS),
    ],
    use_cases: "fastest packet processing, in the driver before an skb exists: DDoS \
                mitigation, L4 load balancing (Katran), firewalls, packet rewriting and \
                forwarding, AF_XDP steering",
    hook: "the driver's RX path (native XDP, bpf_prog_run_xdp) or do_xdp_generic() in \
           net/core/dev.c after skb allocation (generic XDP); devmap/cpumap programs run after \
           a redirect into that map",
    test_run: TestRunSpec {
        default: TestRunSupport::Supported {
            runner: Runner::Xdp,
            detail: "data_in >= 14 B, linear part up to 3520 B, rest as fragments; ctx_in/ctx_out \
                     = struct xdp_md (data = metadata length, data_end = linear end); flag \
                     BPF_F_TEST_XDP_LIVE_FRAMES runs frames for real",
        },
        by_attach: &[(
            AttachFilter::Only(&[A::XdpDevmap, A::XdpCpumap]),
            TestRunSupport::Fails {
                errno: errno::EINVAL,
                detail: "devmap/cpumap programs cannot be test-run",
            },
        )],
        evidence: Evidence::Empirical,
    },
    load_notes: "frags (multi-buffer) programs need prog_flags BPF_F_XDP_HAS_FRAGS (1 << 5)",
    hooks: &TableHooks,
};

//! `BPF_PROG_TYPE_SOCK_OPS` (13) — `sock_ops` ops (net/core/filter.c).

use super::CGROUP_ALLOW_DENY;
use crate::attach::AttachType as A;
use crate::ctx::skb::{X4, X8};
use crate::ctx::{Access, AccessTable, CtxField, CtxLayout, FieldRule, RegKind, Widths};
use crate::helpers::HelperSet;
use crate::helpers::{id, sets::*, HelperAvail};
use crate::ret::{Interp, RangeRule, ReturnRule, ReturnSpec};
use crate::spec::*;

/// `struct bpf_sock_ops` (224 bytes).
pub static SOCK_OPS: CtxLayout = CtxLayout {
    struct_name: "struct bpf_sock_ops",
    size: 224,
    doc: "TCP socket event: `op` says which callback, TCP state fields valid when is_fullsock",
    fields: &[
        CtxField::new(
            "op",
            0,
            4,
            "BPF_SOCK_OPS_* (0 VOID .. 20 TSTAMP_SENDMSG_CB)",
        ),
        CtxField::array(
            "args",
            4,
            4,
            4,
            "union { args[4]; reply; replylong[4] }: reply is args[0]",
        ),
        CtxField::new("family", 20, 4, "AF_*"),
        CtxField::new("remote_ip4", 24, 4, "network order"),
        CtxField::new("local_ip4", 28, 4, "network order"),
        CtxField::array("remote_ip6", 32, 4, 4, "network order"),
        CtxField::array("local_ip6", 48, 4, 4, "network order"),
        CtxField::new("remote_port", 64, 4, "network order (like __sk_buff)"),
        CtxField::new("local_port", 68, 4, "host order"),
        CtxField::new("is_fullsock", 72, 4, "1 if the TCP state fields are valid"),
        CtxField::new("snd_cwnd", 76, 4, ""),
        CtxField::new("srtt_us", 80, 4, "smoothed RTT << 3, in us"),
        CtxField::new("bpf_sock_ops_cb_flags", 84, 4, "enabled optional callbacks"),
        CtxField::new("state", 88, 4, "TCP state"),
        CtxField::new("rtt_min", 92, 4, ""),
        CtxField::new("snd_ssthresh", 96, 4, ""),
        CtxField::new("rcv_nxt", 100, 4, ""),
        CtxField::new("snd_nxt", 104, 4, ""),
        CtxField::new("snd_una", 108, 4, ""),
        CtxField::new("mss_cache", 112, 4, ""),
        CtxField::new("ecn_flags", 116, 4, ""),
        CtxField::new("rate_delivered", 120, 4, ""),
        CtxField::new("rate_interval_us", 124, 4, ""),
        CtxField::new("packets_out", 128, 4, ""),
        CtxField::new("retrans_out", 132, 4, ""),
        CtxField::new("total_retrans", 136, 4, ""),
        CtxField::new("segs_in", 140, 4, ""),
        CtxField::new("data_segs_in", 144, 4, ""),
        CtxField::new("segs_out", 148, 4, ""),
        CtxField::new("data_segs_out", 152, 4, ""),
        CtxField::new("lost_out", 156, 4, ""),
        CtxField::new("sacked_out", 160, 4, ""),
        CtxField::new("sk_txhash", 164, 4, "writable"),
        CtxField::new("bytes_received", 168, 8, ""),
        CtxField::new("bytes_acked", 176, 8, ""),
        CtxField::new("sk", 184, 8, "struct bpf_sock * (may be NULL)"),
        CtxField::new(
            "skb_data",
            192,
            8,
            "header-option callbacks: packet window start",
        ),
        CtxField::new("skb_data_end", 200, 8, "packet window end"),
        CtxField::new("skb_len", 208, 4, ""),
        CtxField::new("skb_tcp_flags", 212, 4, ""),
        CtxField::new("skb_hwtstamp", 216, 8, ""),
    ],
};

/// `sock_ops_is_valid_access`: exact loads everywhere; `reply` and
/// `sk_txhash` writable.
static ACCESS: AccessTable = AccessTable {
    base: None,
    rules: &[
        FieldRule::ro(0, 4, X4),
        FieldRule::rw(4, 4, X4, X4), // reply / args[0]
        FieldRule::ro(8, 12, Access::anywhere(Widths::B4)), // args[1..3]
        FieldRule::ro(20, 144, Access::anywhere(Widths::B4)), // family .. sacked_out
        FieldRule::rw(164, 4, X4, X4), // sk_txhash
        FieldRule::ro(168, 8, X8),
        FieldRule::ro(176, 8, X8),
        FieldRule::ptr(184, 8, RegKind::PtrToSocketOrNull),
        FieldRule::ptr(192, 8, RegKind::PtrToPacket),
        FieldRule::ptr(200, 8, RegKind::PtrToPacketEnd),
        FieldRule::ro(208, 4, X4),
        FieldRule::ro(212, 4, Access::at_start(Widths::B124)),
        FieldRule::ro(216, 8, X8),
    ],
};

/// What sock ops has beyond its shared layers (measured).
pub static SOCK_OPS_EXTRA: HelperSet = HelperSet::new(
    "sock_ops_extra",
    &[
        id::GET_SOCKET_COOKIE,
        id::SETSOCKOPT,
        id::SOCK_MAP_UPDATE,
        id::GETSOCKOPT,
        id::SOCK_OPS_CB_FLAGS_SET,
        id::SOCK_HASH_UPDATE,
        id::TCP_SOCK,
        id::SK_STORAGE_GET,
        id::SK_STORAGE_DELETE,
        id::GET_NETNS_COOKIE,
        id::LOAD_HDR_OPT,
        id::STORE_HDR_OPT,
        id::RESERVE_HDR_OPT,
    ],
);

/// The type.
pub static SPEC: ProgTypeSpec = ProgTypeSpec {
    ty: ProgType::SockOps,
    name: "BPF_PROG_TYPE_SOCK_OPS",
    short: "sock_ops",
    kernel_ops: "sock_ops",
    ctx: &SOCK_OPS,
    global_func_ctx: Some("bpf_sock_ops"),
    access: &ACCESS,
    pointees: &[crate::ctx::sock::SOCK_POINTEE],
    ld_abs: false,
    packet: PacketAccess::RO,
    helpers: HelperAvail::Layers {
        layers: &[
            &BASE,
            &SKC_CASTS,
            &COARSE_CLOCK,
            &PERF_OUTPUT,
            &CGROUP_STORAGE,
            &SOCK_OPS_EXTRA,
        ],
        by_attach: &[],
        evidence: Evidence::Empirical,
    },
    characteristic_helpers: &[
        id::SOCK_OPS_CB_FLAGS_SET,
        id::SOCK_MAP_UPDATE,
        id::SOCK_HASH_UPDATE,
        id::SETSOCKOPT,
        id::GETSOCKOPT,
        id::LOAD_HDR_OPT,
        id::STORE_HDR_OPT,
        id::RESERVE_HDR_OPT,
    ],
    ret: ReturnSpec {
        rules: &[ReturnRule {
            when: AttachFilter::Any,
            range: RangeRule::Range { min: 0, max: 1 },
            values: CGROUP_ALLOW_DENY,
            interp: Interp::Named,
            other: "if every program returned 1 the caller uses ctx->reply (initial RTO, receive \
                    window, ECN, ...); otherwise -1 = kernel default",
            evidence: Evidence::Knowledge,
        }],
    },
    attach: AttachSpec {
        expected: ExpectedAttach::NotValidated,
        attach_types: &[A::CgroupSockOps],
        method: "cgroup v2 fd via BPF_PROG_ATTACH / BPF_LINK_CREATE with BPF_CGROUP_SOCK_OPS",
    },
    sec_names: &[SecDef::at("sockops", A::CgroupSockOps).flags(sec_flags::ATTACHABLE_OPT)],
    use_cases: "per-connection TCP tuning and observation: initial RTO/window, ECN, congestion \
                control choice via bpf_setsockopt, RTT/state/retransmit events, TCP header \
                options, and filling sockmaps for socket redirection",
    hook: "tcp_call_bpf() at many points of the TCP stack (connect, establish, listen, RTO, \
           retransmit, state change, header option write/parse, timestamps); `op` tells which",
    test_run: TestRunSpec::none(),
    load_notes: "",
    hooks: &TableHooks,
};

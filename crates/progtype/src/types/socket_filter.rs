//! `BPF_PROG_TYPE_SOCKET_FILTER` (1) — `sk_filter` ops (net/core/filter.c).

use crate::ctx::skb::{SKB_BASE, SK_BUFF};
use crate::helpers::HelperSet;
use crate::helpers::{id, sets::*, HelperAvail};
use crate::ret::{Interp, NamedValue, RangeRule, ReturnRule, ReturnSpec};
use crate::spec::*;

/// What socket filter has beyond its shared layers (measured).
pub static SOCKET_FILTER_EXTRA: HelperSet = HelperSet::new(
    "socket_filter_extra",
    &[
        id::SKB_LOAD_BYTES,
        id::GET_SOCKET_COOKIE,
        id::GET_SOCKET_UID,
        id::SKB_LOAD_BYTES_RELATIVE,
        id::GET_NETNS_COOKIE,
    ],
);

/// The type.
pub static SPEC: ProgTypeSpec = ProgTypeSpec {
    ty: ProgType::SocketFilter,
    name: "BPF_PROG_TYPE_SOCKET_FILTER",
    short: "socket_filter",
    kernel_ops: "sk_filter",
    ctx: &SK_BUFF,
    global_func_ctx: Some("__sk_buff"),
    access: &SKB_BASE,
    pointees: &[crate::ctx::sock::SOCK_COMMON_POINTEE],
    ld_abs: true,
    packet: PacketAccess::NONE,
    helpers: HelperAvail::Layers {
        layers: &[&BASE, &SKC_CASTS, &COARSE_CLOCK, &PERF_OUTPUT, &SOCKET_FILTER_EXTRA],
        by_attach: &[],
        evidence: Evidence::Empirical,
    },
    characteristic_helpers: &[
        id::SKB_LOAD_BYTES,
        id::SKB_LOAD_BYTES_RELATIVE,
        id::GET_SOCKET_COOKIE,
        id::GET_SOCKET_UID,
        id::PERF_EVENT_OUTPUT,
    ],
    ret: ReturnSpec {
        rules: &[ReturnRule {
            when: AttachFilter::Any,
            range: RangeRule::Unchecked,
            values: &[
                NamedValue::dropping(0, "drop", "the packet is not delivered to the socket"),
                NamedValue::new(-1, "keep all", "0xffffffff: keep the whole packet"),
            ],
            interp: Interp::KeepBytes,
            other: "",
            evidence: Evidence::Empirical,
        }],
    },
    attach: AttachSpec {
        expected: ExpectedAttach::NotValidated,
        attach_types: &[],
        method: "setsockopt(fd, SOL_SOCKET, SO_ATTACH_BPF (50), &prog_fd, 4); detach with \
                 SO_DETACH_BPF (27), freeze with SO_LOCK_FILTER (44). Also SO_ATTACH_REUSEPORT_EBPF \
                 (52) on a SO_REUSEPORT socket (R0 = socket index) and AF_KCM SIOCKCMATTACH (R0 = \
                 message length)",
    },
    sec_names: &[SecDef::plain("socket")],
    use_cases: "filter, trim or sample packets delivered to one socket (tcpdump-like capture on \
                AF_PACKET, per-socket firewalls, traffic statistics without copying packets); \
                read-only on the packet",
    hook: "sk_filter_trim_cap() from sock_queue_rcv_skb()/tcp_filter()/udp queue and \
           AF_PACKET's run_filter(); the packet starts where the socket layer has skb->data \
           (transport header for TCP/UDP, IP header for raw IP, link header for AF_PACKET raw)",
    test_run: TestRunSpec {
        default: TestRunSupport::Supported {
            runner: Runner::SkbL3,
            detail: "data_in is an Ethernet frame (>= 14 B; IPv4 >= 34, IPv6 >= 54; <= 3712); the \
                     program sees it from the L3 header; ctx_in/ctx_out = struct __sk_buff",
        },
        by_attach: &[],
        evidence: Evidence::Empirical,
    },
    load_notes: "",
    hooks: &TableHooks,
};

/// What a socket filter's return value means to the socket: how many bytes
/// of the packet it keeps (0 drops it; more than the packet keeps it all).
pub fn bytes_kept(retval: u32) -> u32 {
    retval
}

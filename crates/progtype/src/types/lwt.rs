//! Facts shared by the four lightweight-tunnel types (`lwt_*` ops,
//! net/core/filter.c and net/core/lwt_bpf.c). Not a program type itself.

use super::BPF_RET_CODE;
use crate::ctx::skb::{RN, SKB_DATA, X4};
use crate::ctx::{AccessTable, FieldRule};
use crate::ret::{Interp, RangeRule, ReturnRule};
use crate::spec::*;

/// `lwt_is_valid_access`: SKB_DATA plus writable mark and priority.
pub static LWT_ACCESS: AccessTable = AccessTable {
    base: Some(&SKB_DATA),
    rules: &[
        FieldRule::rw(8, 4, RN, X4),  // mark
        FieldRule::rw(32, 4, RN, X4), // priority
    ],
};

/// `run_lwt_bpf` return handling.
pub static LWT_RET: &[ReturnRule] = &[ReturnRule {
    when: AttachFilter::Any,
    range: RangeRule::Unchecked,
    values: BPF_RET_CODE,
    interp: Interp::Named,
    other: "\"Illegal return value\": packet dropped, -EINVAL (BPF_REDIRECT outside \
                LWT_XMIT behaves as BPF_OK)",
    evidence: Evidence::Source,
}];

/// The skb runner on L3 data.
pub const LWT_TEST_RUN: TestRunSupport = TestRunSupport::Supported {
    runner: Runner::SkbL3,
    detail: "Ethernet frame in (same limits as SOCKET_FILTER), program sees it from the L3 \
             header with packet pointers",
};

/// How all LWT programs are attached.
pub const LWT_ATTACH: &str = "as a route's encapsulation: `ip route add PREFIX encap bpf \
     in|out|xmit obj F section S [headroom N] dev D`, i.e. netlink RTM_NEWROUTE with \
     RTA_ENCAP_TYPE = LWTUNNEL_ENCAP_BPF (6) and nested LWT_BPF_IN/OUT/XMIT {PROG_FD, PROG_NAME}";

/// Use cases shared by the LWT types.
pub const LWT_USE: &str = "per-route programmable encapsulation and policy (lightweight \
     tunnels): inspect, encapsulate, decapsulate or drop packets of matching routes";

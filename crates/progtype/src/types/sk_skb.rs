//! `BPF_PROG_TYPE_SK_SKB` (14) — `sk_skb` ops (net/core/filter.c).

use super::SK_VERDICT;
use crate::attach::AttachType as A;
use crate::ctx::skb::{ANY, RN, SKB_TUPLE, SK_BUFF, X4};
use crate::ctx::{AccessTable, FieldRule};
use crate::helpers::HelperSet;
use crate::helpers::{id, sets::*, HelperAvail};
use crate::ret::{Interp, NamedValue, RangeRule, ReturnRule, ReturnSpec};
use crate::spec::*;

/// `sk_skb_is_valid_access`: socket tuple view; no `mark`; writable
/// priority and tc_index; `cb[]` read-only.
static ACCESS: AccessTable = AccessTable {
    base: Some(&SKB_TUPLE),
    rules: &[
        FieldRule::deny(8, 4),        // mark
        FieldRule::rw(32, 4, RN, X4), // priority
        FieldRule::rw(44, 4, RN, X4), // tc_index
        FieldRule::ro(48, 20, ANY),   // cb
    ],
};

/// What sk skb has beyond its shared layers (measured).
pub static SK_SKB_EXTRA: HelperSet = HelperSet::new(
    "sk_skb_extra",
    &[
        id::SKB_STORE_BYTES,
        id::SKB_LOAD_BYTES,
        id::SKB_CHANGE_TAIL,
        id::SKB_PULL_DATA,
        id::SKB_CHANGE_HEAD,
        id::GET_SOCKET_COOKIE,
        id::GET_SOCKET_UID,
        id::SKB_ADJUST_ROOM,
        id::SK_REDIRECT_MAP,
        id::SK_REDIRECT_HASH,
        id::SK_LOOKUP_TCP,
        id::SK_LOOKUP_UDP,
        id::SK_RELEASE,
        id::SKC_LOOKUP_TCP,
    ],
);

/// The type.
pub static SPEC: ProgTypeSpec = ProgTypeSpec {
    ty: ProgType::SkSkb,
    name: "BPF_PROG_TYPE_SK_SKB",
    short: "sk_skb",
    kernel_ops: "sk_skb",
    ctx: &SK_BUFF,
    global_func_ctx: Some("__sk_buff"),
    access: &ACCESS,
    pointees: &[crate::ctx::sock::SOCK_COMMON_POINTEE],
    ld_abs: false,
    packet: PacketAccess::RW,
    helpers: HelperAvail::Layers {
        layers: &[
            &BASE,
            &SKC_CASTS,
            &COARSE_CLOCK,
            &PERF_OUTPUT,
            &SK_SKB_EXTRA,
        ],
        by_attach: &[],
        evidence: Evidence::Empirical,
    },
    characteristic_helpers: &[
        id::SK_REDIRECT_MAP,
        id::SK_REDIRECT_HASH,
        id::SKB_ADJUST_ROOM,
        id::SKB_CHANGE_TAIL,
        id::SKB_PULL_DATA,
        id::SKB_STORE_BYTES,
    ],
    ret: ReturnSpec {
        rules: &[
            ReturnRule {
                when: AttachFilter::Only(&[A::SkSkbStreamParser]),
                range: RangeRule::Unchecked,
                values: &[NamedValue::new(0, "need more data", "wait for more bytes")],
                interp: Interp::MsgLength,
                other: "",
                evidence: Evidence::Empirical,
            },
            ReturnRule {
                when: AttachFilter::Any,
                range: RangeRule::Unchecked,
                values: SK_VERDICT,
                interp: Interp::Named,
                other: "dropped like SK_DROP",
                evidence: Evidence::Empirical,
            },
        ],
    },
    attach: AttachSpec {
        expected: ExpectedAttach::NotValidated,
        attach_types: &[A::SkSkbStreamParser, A::SkSkbStreamVerdict, A::SkSkbVerdict],
        method: "BPF_PROG_ATTACH {target_fd = sockmap/sockhash fd, attach_type \
                 SK_SKB_STREAM_PARSER/STREAM_VERDICT/VERDICT} or BPF_LINK_CREATE on the map fd \
                 (link type SOCKMAP); parser and stream verdict form a pair",
    },
    sec_names: &[
        SecDef::at("sk_skb/stream_parser", A::SkSkbStreamParser).flags(sec_flags::ATTACHABLE_OPT),
        SecDef::at("sk_skb/stream_verdict", A::SkSkbStreamVerdict).flags(sec_flags::ATTACHABLE_OPT),
        SecDef::at("sk_skb/verdict", A::SkSkbVerdict).flags(sec_flags::ATTACHABLE_OPT),
        SecDef::plain("sk_skb"),
    ],
    use_cases: "socket-level redirection with sockmap/sockhash (service mesh proxies bypassing \
                the stack), message framing with the strparser (KTLS, KCM-like), per-socket \
                receive verdicts",
    hook: "sk_psock receive path: strparser's parse callback (stream_parser), \
           sk_psock_verdict_recv()/sk_psock_strp_read() (verdicts) for sockets in a sockmap",
    test_run: TestRunSpec::none(),
    load_notes: "",
    hooks: &TableHooks,
};

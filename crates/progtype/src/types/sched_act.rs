//! `BPF_PROG_TYPE_SCHED_ACT` (4) — same `tc_cls_act` verifier ops as
//! SCHED_CLS (context, access and helpers shared by reference).

use super::sched_cls::{TC_ACCESS, TC_CHARACTERISTIC, TC_HELPERS, TC_TEST_RUN};
use crate::ctx::skb::SK_BUFF;
use crate::helpers::HelperAvail;
use crate::ret::{Interp, NamedValue, RangeRule, ReturnRule, ReturnSpec};
use crate::spec::*;

static ACT_VALUES: &[NamedValue] = &[
    NamedValue::new(
        -1,
        "TC_ACT_UNSPEC",
        "the action's configured default verdict",
    ),
    NamedValue::new(0, "TC_ACT_OK", "verdict OK"),
    NamedValue::new(1, "TC_ACT_RECLASSIFY", "restart classification"),
    NamedValue::dropping(2, "TC_ACT_SHOT", "drop (counted as drop)"),
    NamedValue::new(3, "TC_ACT_PIPE", "continue with the next action"),
    NamedValue::new(7, "TC_ACT_REDIRECT", "redirect as set by bpf_redirect*"),
];

/// The type.
pub static SPEC: ProgTypeSpec = ProgTypeSpec {
    ty: ProgType::SchedAct,
    name: "BPF_PROG_TYPE_SCHED_ACT",
    short: "sched_act",
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
        rules: &[ReturnRule {
            when: AttachFilter::Any,
            range: RangeRule::Unchecked,
            values: ACT_VALUES,
            interp: Interp::Named,
            other: "becomes TC_ACT_UNSPEC",
            evidence: Evidence::Source,
        }],
    },
    attach: AttachSpec {
        expected: ExpectedAttach::NotValidated,
        attach_types: &[],
        method: "netlink RTM_NEWACTION kind \"bpf\" (TCA_ACT_BPF_FD/NAME), i.e. `tc action add \
                 action bpf obj f.o sec s` or as an action of a filter (needs CONFIG_NET_ACT_BPF, \
                 off on the reference VM)",
    },
    sec_names: &[SecDef::plain("action")],
    use_cases: "tc actions: per-packet verdicts and rewrites run as an action of a tc filter \
                (e.g. after a u32/flower match)",
    hook: "tcf_bpf_act() (net/sched/act_bpf.c) when the filter owning the action matches",
    test_run: TestRunSpec {
        default: TC_TEST_RUN,
        by_attach: &[],
        evidence: Evidence::Empirical,
    },
    load_notes: "",
    hooks: &TableHooks,
};

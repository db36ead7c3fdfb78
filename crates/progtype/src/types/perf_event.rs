//! `BPF_PROG_TYPE_PERF_EVENT` (7) — `perf_event` ops (kernel/trace/bpf_trace.c).

use super::PERF_SAMPLE;
use crate::attach::AttachType as A;
use crate::ctx::skb::ANY;
use crate::ctx::{Access, AccessTable, CtxField, CtxLayout, FieldRule, Widths};
use crate::helpers::HelperSet;
use crate::helpers::{id, sets::*, HelperAvail};
use crate::ret::{Interp, RangeRule, ReturnRule, ReturnSpec};
use crate::spec::*;

/// `struct bpf_perf_event_data` (184 bytes).
pub static PERF_EVENT_DATA: CtxLayout = CtxLayout {
    struct_name: "struct bpf_perf_event_data",
    size: 184,
    doc: "registers at the sample plus the sample's period and address",
    fields: &[
        CtxField::array(
            "regs",
            0,
            8,
            21,
            "bpf_user_pt_regs_t = struct pt_regs (r15 .. ss, as KPROBE)",
        ),
        CtxField::new("sample_period", 168, 8, "u64"),
        CtxField::new("addr", 176, 8, "u64"),
    ],
};

/// `pe_prog_is_valid_access`: register slots need exact 8-byte loads.
static ACCESS: AccessTable = AccessTable {
    base: None,
    rules: &[
        FieldRule::ro(0, 168, Access::anywhere(Widths::B8)),
        FieldRule::ro(168, 8, ANY),
        FieldRule::ro(176, 8, ANY),
    ],
};

/// What perf event has beyond its shared layers (measured).
pub static PERF_EVENT_EXTRA: HelperSet = HelperSet::new(
    "perf_event_extra",
    &[id::PERF_PROG_READ_VALUE, id::READ_BRANCH_RECORDS],
);

/// The type.
pub static SPEC: ProgTypeSpec = ProgTypeSpec {
    ty: ProgType::PerfEvent,
    name: "BPF_PROG_TYPE_PERF_EVENT",
    short: "perf_event",
    kernel_ops: "perf_event",
    ctx: &PERF_EVENT_DATA,
    global_func_ctx: None,
    access: &ACCESS,
    pointees: &[],
    ld_abs: false,
    packet: PacketAccess::NONE,
    helpers: HelperAvail::Layers {
        layers: &[&BASE, &TRACE_BASE, &ATTACH_COOKIE, &PERF_EVENT_EXTRA],
        by_attach: &[],
        evidence: Evidence::Empirical,
    },
    characteristic_helpers: &[
        id::PERF_PROG_READ_VALUE,
        id::READ_BRANCH_RECORDS,
        id::GET_STACKID,
        id::GET_STACK,
        id::PERF_EVENT_OUTPUT,
    ],
    ret: ReturnSpec {
        rules: &[ReturnRule {
            when: AttachFilter::Any,
            range: RangeRule::Unchecked,
            values: PERF_SAMPLE,
            interp: Interp::Named,
            other: "the sample is processed normally",
            evidence: Evidence::Knowledge,
        }],
    },
    attach: AttachSpec {
        expected: ExpectedAttach::NotValidated,
        attach_types: &[A::PerfEvent],
        method: "perf_event_open() of a sampling event (hardware, software, raw, breakpoint) with \
                 sample_period/sample_freq, then PERF_EVENT_IOC_SET_BPF or \
                 BPF_LINK_CREATE(BPF_PERF_EVENT)",
    },
    sec_names: &[SecDef::plain("perf_event")],
    use_cases: "sampling profilers (CPU flame graphs from timer or PMU samples), hardware \
                counter analysis, watchpoint handlers",
    hook: "bpf_overflow_handler() (kernel/events/core.c) on each perf sample overflow",
    test_run: TestRunSpec::none(),
    load_notes: "",
    hooks: &TableHooks,
};

//! `BPF_PROG_TYPE_KPROBE` (2) — `kprobe` ops (kernel/trace/bpf_trace.c).

use super::PERF_SAMPLE;
use crate::attach::AttachType as A;
use crate::ctx::skb::ANY;
use crate::ctx::{AccessTable, CtxField, CtxLayout, FieldRule};
use crate::helpers::HelperSet;
use crate::helpers::{id, sets::*, HelperAvail};
use crate::ret::{Interp, NamedValue, RangeRule, ReturnRule, ReturnSpec};
use crate::spec::*;

/// `struct pt_regs` on x86-64 (168 bytes).
pub static PT_REGS: CtxLayout = CtxLayout {
    struct_name: "struct pt_regs",
    size: 168,
    doc: "x86-64 register frame at the probe; arguments in di, si, dx, cx, r8, r9",
    fields: &[
        CtxField::new("r15", 0, 8, ""),
        CtxField::new("r14", 8, 8, ""),
        CtxField::new("r13", 16, 8, ""),
        CtxField::new("r12", 24, 8, ""),
        CtxField::new("bp", 32, 8, ""),
        CtxField::new("bx", 40, 8, ""),
        CtxField::new("r11", 48, 8, ""),
        CtxField::new("r10", 56, 8, ""),
        CtxField::new("r9", 64, 8, "arg 6"),
        CtxField::new("r8", 72, 8, "arg 5"),
        CtxField::new("ax", 80, 8, "return value (kretprobe)"),
        CtxField::new("cx", 88, 8, "arg 4"),
        CtxField::new("dx", 96, 8, "arg 3"),
        CtxField::new("si", 104, 8, "arg 2"),
        CtxField::new("di", 112, 8, "arg 1"),
        CtxField::new("orig_ax", 120, 8, ""),
        CtxField::new("ip", 128, 8, "instruction pointer"),
        CtxField::new("cs", 136, 8, ""),
        CtxField::new("flags", 144, 8, ""),
        CtxField::new("sp", 152, 8, "stack pointer"),
        CtxField::new("ss", 160, 8, ""),
    ],
};

/// `kprobe_prog_is_valid_access`: any aligned load inside, no stores.
static ACCESS: AccessTable = AccessTable {
    base: None,
    rules: &[FieldRule::ro(0, 168, ANY)],
};

const SESSION: &[A] = &[A::TraceKprobeSession, A::TraceUprobeSession];

/// What kprobe has beyond its shared layers (measured).
pub static KPROBE_EXTRA: HelperSet = HelperSet::new("kprobe_extra", &[id::GET_FUNC_IP]);

/// The type.
pub static SPEC: ProgTypeSpec = ProgTypeSpec {
    ty: ProgType::Kprobe,
    name: "BPF_PROG_TYPE_KPROBE",
    short: "kprobe",
    kernel_ops: "kprobe",
    ctx: &PT_REGS,
    global_func_ctx: None,
    access: &ACCESS,
    pointees: &[],
    ld_abs: false,
    packet: PacketAccess::NONE,
    helpers: HelperAvail::Layers {
        layers: &[&BASE, &TRACE_BASE, &ATTACH_COOKIE, &KPROBE_EXTRA],
        by_attach: &[],
        evidence: Evidence::Empirical,
    },
    characteristic_helpers: &[
        id::PROBE_READ_KERNEL,
        id::PROBE_READ_USER,
        id::GET_STACKID,
        id::GET_FUNC_IP,
        id::GET_ATTACH_COOKIE,
        id::PERF_EVENT_OUTPUT,
        id::GET_CURRENT_PID_TGID,
    ],
    ret: ReturnSpec {
        rules: &[
            ReturnRule {
                when: AttachFilter::Only(SESSION),
                range: RangeRule::Range { min: 0, max: 1 },
                values: &[
                    NamedValue::new(0, "0", "run the matching return probe"),
                    NamedValue::new(1, "1", "skip the matching return probe"),
                ],
                interp: Interp::Named,
                other: "",
                evidence: Evidence::Empirical,
            },
            ReturnRule {
                when: AttachFilter::Any,
                range: RangeRule::Unchecked,
                values: PERF_SAMPLE,
                interp: Interp::Named,
                other: "normal perf processing of the event",
                evidence: Evidence::Knowledge,
            },
        ],
    },
    attach: AttachSpec {
        expected: ExpectedAttach::NotValidated,
        attach_types: &[
            A::PerfEvent,
            A::TraceKprobeMulti,
            A::TraceKprobeSession,
            A::TraceUprobeMulti,
            A::TraceUprobeSession,
        ],
        method: "perf_event_open() with the kprobe/uprobe PMU (type from                  /sys/bus/event_source/devices/*/type, config bit 0 = return probe) or a tracefs                  kprobe_events id, then PERF_EVENT_IOC_SET_BPF or BPF_LINK_CREATE(BPF_PERF_EVENT);                  multi/session: BPF_LINK_CREATE with TRACE_KPROBE_MULTI/SESSION (symbols) or                  TRACE_UPROBE_MULTI/SESSION (path + offsets)",
    },
    sec_names: &[
        SecDef::plain("kprobe+"),
        SecDef::plain("kretprobe+"),
        SecDef::plain("ksyscall+"),
        SecDef::plain("kretsyscall+"),
        SecDef::plain("uprobe+"),
        SecDef::plain("uretprobe+"),
        SecDef::plain("uprobe.s+").flags(sec_flags::SLEEPABLE),
        SecDef::plain("uretprobe.s+").flags(sec_flags::SLEEPABLE),
        SecDef::plain("usdt+").flags(sec_flags::USDT),
        SecDef::plain("usdt.s+").flags(sec_flags::USDT | sec_flags::SLEEPABLE),
        SecDef::at("kprobe.multi+", A::TraceKprobeMulti),
        SecDef::at("kretprobe.multi+", A::TraceKprobeMulti),
        SecDef::at("kprobe.session+", A::TraceKprobeSession),
        SecDef::at("uprobe.multi+", A::TraceUprobeMulti),
        SecDef::at("uretprobe.multi+", A::TraceUprobeMulti),
        SecDef::at("uprobe.multi.s+", A::TraceUprobeMulti).flags(sec_flags::SLEEPABLE),
        SecDef::at("uretprobe.multi.s+", A::TraceUprobeMulti).flags(sec_flags::SLEEPABLE),
        SecDef::at("uprobe.session+", A::TraceUprobeSession),
        SecDef::at("uprobe.session.s+", A::TraceUprobeSession).flags(sec_flags::SLEEPABLE),
    ],
    use_cases: "dynamic tracing of kernel functions (kprobes/kretprobes) and user functions                 (uprobes, USDT): arguments, return values, latency, stacks",
    hook: "kprobe_perf_func()/kretprobe_perf_func() and uprobe_perf_func() via trace_call_bpf()            when the probed instruction is hit; fprobe handlers for multi/session links",
    test_run: TestRunSpec::none(),
    load_notes: "",
    hooks: &TableHooks,
};

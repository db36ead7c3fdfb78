//! `BPF_PROG_TYPE_RAW_TRACEPOINT` (17) — `raw_tracepoint` ops.

use crate::ctx::skb::ANY;
use crate::ctx::{AccessTable, CtxField, CtxLayout, FieldRule};
use crate::helpers::{id, sets::*, HelperAvail};
use crate::ret::{Interp, RangeRule, ReturnRule, ReturnSpec};
use crate::spec::*;

/// `struct bpf_raw_tracepoint_args`: the tracepoint's C arguments, one u64
/// slot each (at most MAX_BPF_FUNC_ARGS = 12).
pub static RAW_TP_ARGS: CtxLayout = CtxLayout {
    struct_name: "struct bpf_raw_tracepoint_args",
    size: 96,
    doc: "args[i] = i-th argument of the tracepoint, widened to u64; using more slots than \
          the tracepoint has is refused at attach time",
    fields: &[CtxField::array("args", 0, 8, 12, "u64 argument slots")],
};

/// `raw_tp_prog_is_valid_access`: aligned loads in [0, 96), no stores.
static ACCESS: AccessTable = AccessTable {
    base: None,
    rules: &[FieldRule::ro(0, 96, ANY)],
};

/// Return rules shared with RAW_TRACEPOINT_WRITABLE.
pub(crate) static RAW_TP_RET: &[ReturnRule] = &[ReturnRule {
    when: AttachFilter::Any,
    range: RangeRule::Unchecked,
    values: &[],
    interp: Interp::Ignored,
    other: "",
    evidence: Evidence::Empirical,
}];

/// Attach text shared with RAW_TRACEPOINT_WRITABLE.
pub(crate) const RAW_TP_ATTACH: &str = "BPF_RAW_TRACEPOINT_OPEN (cmd 17) {name = tracepoint \
     name, prog_fd, cookie} returns a link fd; close it to detach";

/// The type.
pub static SPEC: ProgTypeSpec = ProgTypeSpec {
    ty: ProgType::RawTracepoint,
    name: "BPF_PROG_TYPE_RAW_TRACEPOINT",
    short: "raw_tracepoint",
    kernel_ops: "raw_tracepoint",
    ctx: &RAW_TP_ARGS,
    global_func_ctx: None,
    access: &ACCESS,
    pointees: &[],
    ld_abs: false,
    packet: PacketAccess::NONE,
    helpers: HelperAvail::Layers {
        layers: &[&BASE, &TRACE_BASE, &ATTACH_COOKIE],
        by_attach: &[],
        evidence: Evidence::Empirical,
    },
    characteristic_helpers: &[
        id::PROBE_READ_KERNEL,
        id::GET_STACKID,
        id::PERF_EVENT_OUTPUT,
    ],
    ret: ReturnSpec { rules: RAW_TP_RET },
    attach: AttachSpec {
        expected: ExpectedAttach::NotValidated,
        attach_types: &[],
        method: RAW_TP_ATTACH,
    },
    sec_names: &[
        SecDef::plain("raw_tracepoint+"),
        SecDef::plain("raw_tp+"),
        SecDef::plain("raw_tracepoint.s+").flags(sec_flags::SLEEPABLE),
        SecDef::plain("raw_tp.s+").flags(sec_flags::SLEEPABLE),
    ],
    use_cases: "low-overhead tracing of tracepoints with the raw C arguments (no record \
                formatting), e.g. sys_enter/sched_switch",
    hook: "__bpf_trace_run() called directly from the tracepoint's probe (bpf_trace_run1..12)",
    test_run: TestRunSpec {
        default: TestRunSupport::Supported {
            runner: Runner::RawTp,
            detail: "only ctx_in (<= 96 B, >= the highest byte read); flag \
                     BPF_F_TEST_RUN_ON_CPU with cpu; retval = low 32 bits of R0",
        },
        by_attach: &[],
        evidence: Evidence::Empirical,
    },
    load_notes: "",
    hooks: &TableHooks,
};

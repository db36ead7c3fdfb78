//! `BPF_PROG_TYPE_RAW_TRACEPOINT_WRITABLE` (24) — `raw_tracepoint_writable`
//! ops: RAW_TRACEPOINT whose first argument is a writable buffer.

use super::raw_tracepoint::{RAW_TP_ARGS, RAW_TP_ATTACH, RAW_TP_RET};
use crate::ctx::skb::ANY;
use crate::ctx::{AccessTable, FieldRule, RegKind};
use crate::helpers::{id, sets::*, HelperAvail};
use crate::ret::ReturnSpec;
use crate::spec::*;

/// `raw_tp_writable_prog_is_valid_access`: slot 0 is the tracepoint buffer
/// (8-byte load only), the rest like RAW_TRACEPOINT.
static ACCESS: AccessTable = AccessTable {
    base: None,
    rules: &[
        FieldRule::ptr(0, 8, RegKind::PtrToTpBuffer),
        FieldRule::ro(8, 88, ANY),
    ],
};

/// The type.
pub static SPEC: ProgTypeSpec = ProgTypeSpec {
    ty: ProgType::RawTracepointWritable,
    name: "BPF_PROG_TYPE_RAW_TRACEPOINT_WRITABLE",
    short: "raw_tracepoint_writable",
    kernel_ops: "raw_tracepoint_writable",
    ctx: &RAW_TP_ARGS,
    access: &ACCESS,
    pointees: &[],
    ld_abs: false,
    packet: PacketAccess::NONE,
    helpers: HelperAvail::Layers {
        layers: &[&BASE, &TRACE_BASE, &ATTACH_COOKIE],
        by_attach: &[],
        evidence: Evidence::Empirical,
    },
    characteristic_helpers: &[id::PROBE_READ_KERNEL, id::PERF_EVENT_OUTPUT],
    ret: ReturnSpec { rules: RAW_TP_RET },
    attach: AttachSpec {
        expected: ExpectedAttach::NotValidated,
        attach_types: &[],
        method: RAW_TP_ATTACH,
    },
    sec_names: &[
        SecDef::plain("raw_tracepoint.w/"),
        SecDef::plain("raw_tp.w/"),
    ],
    use_cases: "tracepoints that hand a buffer to BPF for modification (e.g. nbd / test \
                tracepoints declared with DECLARE_TRACE_WRITABLE)",
    hook: "__bpf_trace_run() for writable tracepoints; the buffer size is declared by the \
           tracepoint",
    test_run: TestRunSpec::none(),
    load_notes: "",
    hooks: &TableHooks,
};

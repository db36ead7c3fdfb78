//! `BPF_PROG_TYPE_TRACEPOINT` (5) — `tracepoint` ops (kernel/trace/bpf_trace.c).

use super::PERF_SAMPLE;
use crate::attach::AttachType;
use crate::ctx::skb::ANY;
use crate::ctx::{
    check_table_access, AccessError, AccessTable, CtxField, CtxLayout, FieldAccess, FieldRule,
    RegKind,
};
use crate::helpers::{id, sets::*, HelperAvail};
use crate::ret::{Interp, RangeRule, ReturnRule, ReturnSpec};
use crate::spec::*;

/// The raw trace record (the event's tracefs `format`), bounded by
/// PERF_MAX_TRACE_SIZE.
pub static TRACE_RECORD: CtxLayout = CtxLayout {
    struct_name: "trace event record",
    size: 8192,
    doc: "laid out as /sys/kernel/tracing/events/CATEGORY/NAME/format describes; the verifier \
          does not know the event's real size",
    fields: &[
        CtxField::new("common_type", 0, 2, "event id"),
        CtxField::new("common_flags", 2, 1, ""),
        CtxField::new("common_preempt_count", 3, 1, ""),
        CtxField::new("common_pid", 4, 4, "s32"),
        CtxField::array(
            "fields",
            8,
            8,
            1023,
            "the event's own fields, from offset 8",
        ),
    ],
};

/// `tp_prog_is_valid_access`: loads at 8 <= off < 8192, no header, no stores.
static ACCESS: AccessTable = AccessTable {
    base: None,
    rules: &[FieldRule::ro(8, 8184, ANY)],
};

/// `tp_prog_is_valid_access` compares the signed offset with
/// `sizeof(void *)`, an unsigned value, so every *negative* offset passes
/// the lower-bound check: the kernel accepts aligned loads at any negative
/// instruction offset (verified on 6.18 down to -32768). The table covers
/// the rest.
pub struct TracepointHooks;

impl ProgTypeHooks for TracepointHooks {
    fn check_access(
        &self,
        spec: &ProgTypeSpec,
        attach: Option<AttachType>,
        off: i64,
        size: u32,
        write: bool,
    ) -> Result<FieldAccess, AccessError> {
        let aligned = matches!(size, 1 | 2 | 4 | 8) && off % size as i64 == 0;
        if off < 0 && !write && aligned {
            return Ok(FieldAccess {
                field: "(before the record)",
                field_offset: 0,
                field_size: 0,
                ctx_field_size: size as u8,
                off: off as u16,
                size: size as u8,
                narrow: false,
                write,
                result: RegKind::Scalar,
            });
        }
        check_table_access(spec.ctx, spec.access, attach, off, size, write)
    }
}

/// The type.
pub static SPEC: ProgTypeSpec = ProgTypeSpec {
    ty: ProgType::Tracepoint,
    name: "BPF_PROG_TYPE_TRACEPOINT",
    short: "tracepoint",
    kernel_ops: "tracepoint",
    ctx: &TRACE_RECORD,
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
        id::PERF_EVENT_OUTPUT,
        id::GET_STACKID,
        id::PROBE_READ_KERNEL,
        id::GET_CURRENT_COMM,
        id::RINGBUF_OUTPUT,
    ],
    ret: ReturnSpec {
        rules: &[ReturnRule {
            when: AttachFilter::Any,
            range: RangeRule::Unchecked,
            values: PERF_SAMPLE,
            interp: Interp::Named,
            other: "emit the perf sample",
            evidence: Evidence::Knowledge,
        }],
    },
    attach: AttachSpec {
        expected: ExpectedAttach::NotValidated,
        attach_types: &[crate::attach::AttachType::PerfEvent],
        method: "perf_event_open(PERF_TYPE_TRACEPOINT, config = id from \
                 /sys/kernel/tracing/events/CAT/NAME/id) then PERF_EVENT_IOC_SET_BPF + \
                 PERF_EVENT_IOC_ENABLE, or BPF_LINK_CREATE(BPF_PERF_EVENT)",
    },
    sec_names: &[
        SecDef::plain("tracepoint+"),
        SecDef::plain("tp+"),
        SecDef::plain("tracepoint.s+").flags(sec_flags::SLEEPABLE),
        SecDef::plain("tp.s+").flags(sec_flags::SLEEPABLE),
    ],
    use_cases: "stable static tracing of kernel events (syscalls, scheduler, block, net) with \
                the event's recorded fields",
    hook: "perf_trace_<class>() -> perf_trace_run_bpf_submit() -> trace_call_bpf() when the \
           tracepoint fires",
    test_run: TestRunSpec::none(),
    load_notes: "the verifier accepts loads at negative ctx offsets (unsigned comparison in \
                 tp_prog_is_valid_access); they read before the record",
    hooks: &TracepointHooks,
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negative_offsets_quirk() {
        assert!(SPEC.check_access(None, -8, 8, false).is_ok());
        assert!(SPEC.check_access(None, -32768, 4, false).is_ok());
        assert!(SPEC.check_access(None, -6, 4, false).is_err());
        assert!(SPEC.check_access(None, -8, 8, true).is_err());
        assert!(
            SPEC.check_access(None, 0, 4, false).is_err(),
            "common header"
        );
        assert!(SPEC.check_access(None, 8184, 8, false).is_ok());
        assert!(SPEC.check_access(None, 8192, 1, false).is_err());
    }
}

//! `BPF_PROG_TYPE_RAW_TRACEPOINT_WRITABLE` (24) — `raw_tracepoint_writable`
//! ops: RAW_TRACEPOINT whose first argument is a writable buffer.

use super::raw_tracepoint::{RAW_TP_ARGS, RAW_TP_ATTACH, RAW_TP_RET};
use crate::attach::AttachType;
use crate::ctx::skb::ANY;
use crate::ctx::{check_table_access, AccessError, AccessTable, FieldAccess, FieldRule, RegKind};
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

/// `raw_tp_writable_prog_is_valid_access` demands an 8-byte load only at
/// offset 0 exactly; narrow loads *inside* slot 0 (offsets 1..7) fall
/// through to the plain raw_tp rule and are accepted (verified on 6.18).
pub struct RawTpWritableHooks;

impl ProgTypeHooks for RawTpWritableHooks {
    fn check_access(
        &self,
        spec: &ProgTypeSpec,
        attach: Option<AttachType>,
        off: i64,
        size: u32,
        write: bool,
    ) -> Result<FieldAccess, AccessError> {
        if (1..8).contains(&off) && !write && matches!(size, 1 | 2 | 4) && off % size as i64 == 0 {
            return Ok(FieldAccess {
                field: "args",
                field_offset: 0,
                field_size: 96,
                ctx_field_size: 8,
                off: off as u16,
                size: size as u8,
                narrow: true,
                write,
                result: RegKind::Scalar,
            });
        }
        check_table_access(spec.ctx, spec.access, attach, off, size, write)
    }
}

/// The type.
pub static SPEC: ProgTypeSpec = ProgTypeSpec {
    ty: ProgType::RawTracepointWritable,
    name: "BPF_PROG_TYPE_RAW_TRACEPOINT_WRITABLE",
    short: "raw_tracepoint_writable",
    kernel_ops: "raw_tracepoint_writable",
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
    characteristic_helpers: &[id::PROBE_READ_KERNEL, id::PERF_EVENT_OUTPUT],
    ret: ReturnSpec { rules: RAW_TP_RET },
    attach: AttachSpec {
        expected: ExpectedAttach::NotValidated,
        attach_types: &[],
        method: RAW_TP_ATTACH,
    },
    sec_names: &[
        SecDef::plain("raw_tracepoint.w+"),
        SecDef::plain("raw_tp.w+"),
    ],
    use_cases: "tracepoints that hand a buffer to BPF for modification (e.g. nbd / test \
                tracepoints declared with DECLARE_TRACE_WRITABLE)",
    hook: "__bpf_trace_run() for writable tracepoints; the buffer size is declared by the \
           tracepoint",
    test_run: TestRunSpec::none(),
    load_notes: "",
    hooks: &RawTpWritableHooks,
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slot_zero() {
        assert_eq!(
            SPEC.check_access(None, 0, 8, false).unwrap().result,
            RegKind::PtrToTpBuffer
        );
        assert!(SPEC.check_access(None, 0, 4, false).is_err());
        assert!(SPEC.check_access(None, 4, 4, false).is_ok());
        assert!(SPEC.check_access(None, 3, 1, false).is_ok());
        assert!(SPEC.check_access(None, 3, 2, false).is_err());
        assert!(SPEC.check_access(None, 8, 2, false).is_ok());
        assert!(SPEC.check_access(None, 4, 4, true).is_err());
    }
}

//! `BPF_PROG_TYPE_SYSCALL` (31) — `bpf_syscall` ops (kernel/bpf/syscall.c):
//! sleepable programs run only through BPF_PROG_TEST_RUN (light skeletons).

use crate::attach::AttachType;
use crate::ctx::skb::ANY;
use crate::ctx::{
    AccessError, AccessErrorKind, AccessTable, CtxField, CtxLayout, FieldAccess, FieldRule, RegKind,
};
use crate::helpers::HelperSet;
use crate::helpers::{id, sets::*, HelperAvail};
use crate::ret::{Interp, RangeRule, ReturnRule, ReturnSpec};
use crate::spec::*;

/// The caller-provided blob (`ctx_in`), at most U16_MAX bytes.
pub static SYSCALL_CTX: CtxLayout = CtxLayout {
    struct_name: "opaque ctx_in blob",
    size: 65535,
    doc: "whatever ctx_in points to; written back to ctx_in after the run",
    fields: &[CtxField::array(
        "ctx",
        0,
        8,
        8191,
        "caller-defined; the last byte is 65534",
    )],
};

/// Documentation form of the rule; the real check is [`SyscallHooks`].
static ACCESS: AccessTable = AccessTable {
    base: None,
    rules: &[FieldRule::rw(0, 65528, ANY, ANY)],
};

/// `syscall_prog_is_valid_access`: `0 <= off < U16_MAX` and `off % size
/// == 0`, reads and writes; the end of the access is not checked against
/// U16_MAX (an 8-byte access at 65528 is accepted).
pub struct SyscallHooks;

impl ProgTypeHooks for SyscallHooks {
    fn check_access(
        &self,
        _spec: &ProgTypeSpec,
        _attach: Option<AttachType>,
        off: i64,
        size: u32,
        write: bool,
    ) -> Result<FieldAccess, AccessError> {
        let err = |kind| AccessError {
            kind,
            off,
            size,
            write,
        };
        if !matches!(size, 1 | 2 | 4 | 8) {
            return Err(err(AccessErrorKind::BadSize));
        }
        if !(0..u16::MAX as i64).contains(&off) {
            return Err(err(AccessErrorKind::OutOfBounds));
        }
        if off % size as i64 != 0 {
            return Err(err(AccessErrorKind::Misaligned));
        }
        Ok(FieldAccess {
            field: "ctx",
            field_offset: 0,
            field_size: u16::MAX,
            ctx_field_size: size as u8,
            off: off as u16,
            size: size as u8,
            narrow: false,
            write,
            result: RegKind::Scalar,
        })
    }
}

/// What syscall has beyond its shared layers (measured).
pub static SYSCALL_EXTRA: HelperSet = HelperSet::new(
    "syscall_extra",
    &[
        id::GET_SOCKET_COOKIE,
        id::SKB_OUTPUT,
        id::XDP_OUTPUT,
        id::COPY_FROM_USER,
        id::SOCK_FROM_FILE,
        id::SYS_BPF,
        id::BTF_FIND_BY_NAME_KIND,
        id::SYS_CLOSE,
        id::KALLSYMS_LOOKUP_NAME,
        id::XDP_GET_BUFF_LEN,
        id::COPY_FROM_USER_TASK,
    ],
);

/// The type.
pub static SPEC: ProgTypeSpec = ProgTypeSpec {
    ty: ProgType::Syscall,
    name: "BPF_PROG_TYPE_SYSCALL",
    short: "syscall",
    kernel_ops: "bpf_syscall",
    ctx: &SYSCALL_CTX,
    global_func_ctx: None,
    access: &ACCESS,
    pointees: &[],
    ld_abs: false,
    packet: PacketAccess::NONE,
    helpers: HelperAvail::Layers {
        layers: &[&BASE, &SKC_CASTS, &TRACE_BASE, &SYSCALL_EXTRA],
        by_attach: &[],
        evidence: Evidence::Empirical,
    },
    characteristic_helpers: &[
        id::SYS_BPF,
        id::SYS_CLOSE,
        id::BTF_FIND_BY_NAME_KIND,
        id::KALLSYMS_LOOKUP_NAME,
        id::COPY_FROM_USER,
    ],
    ret: ReturnSpec {
        rules: &[ReturnRule {
            when: AttachFilter::Any,
            range: RangeRule::Unchecked,
            values: &[],
            interp: Interp::Named,
            other: "reported as test_run retval (low 32 bits)",
            evidence: Evidence::Empirical,
        }],
    },
    attach: AttachSpec {
        expected: ExpectedAttach::MustBeZero,
        attach_types: &[],
        method: "not attachable; run with BPF_PROG_TEST_RUN",
    },
    sec_names: &[SecDef::plain("syscall").flags(sec_flags::SLEEPABLE)],
    use_cases: "loaders implemented in BPF (light skeletons: create maps, load programs via \
                bpf_sys_bpf), kernel-side setup code run on demand",
    hook: "bpf_prog_test_run_syscall() only",
    test_run: TestRunSpec {
        default: TestRunSupport::Supported {
            runner: Runner::Syscall,
            detail: "optional ctx_in (<= 65535 B, >= highest byte accessed) copied back after the \
                     run; no data, repeat, flags",
        },
        by_attach: &[],
        evidence: Evidence::Empirical,
    },
    load_notes: "prog_flags must contain BPF_F_SLEEPABLE (EINVAL otherwise); \
                 expected_attach_type must be 0 (verified)",
    hooks: &SyscallHooks,
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bound_is_on_the_offset_only() {
        assert!(SPEC.check_access(None, 65528, 8, true).is_ok());
        assert!(SPEC.check_access(None, 65534, 1, false).is_ok());
        assert!(SPEC.check_access(None, 65535, 1, false).is_err());
        assert!(SPEC.check_access(None, 6, 4, false).is_err());
        assert!(SPEC.check_access(None, -8, 8, false).is_err());
    }
}

//! `BPF_PROG_TYPE_TRACING` (26) — fentry / fexit / fmod_ret / tp_btf / iter
//! (`tracing` ops, kernel/trace/bpf_trace.c). Its context is BTF-typed; the
//! [`BTF_ARGS`] table is the BTF-less approximation shared with LSM, EXT and
//! STRUCT_OPS.

use crate::attach::AttachType as A;
use crate::ctx::{Access, AccessTable, CtxField, CtxLayout, FieldRule, RegKind, Widths};
use crate::helpers::HelperSet;
use crate::helpers::{id, sets::*, AttachHelperRule, HelperAvail};
use crate::ret::{Interp, NamedValue, RangeRule, ReturnRule, ReturnSpec};
use crate::spec::*;

/// u64 argument slots of a BTF-described function (MAX_BPF_FUNC_ARGS = 12).
pub static BTF_ARG_SLOTS: CtxLayout = CtxLayout {
    struct_name: "u64 args[] (BTF function arguments)",
    size: 96,
    doc: "one u64 slot per argument of the target function as its BTF describes it; fexit, \
          fmod_ret and int LSM hooks get one more slot with the return value",
    fields: &[CtxField::array("args", 0, 8, 12, "argument slots")],
};

const SLOT: Access = Access::at_start(Widths::B1248);

const fn slot(i: u16) -> FieldRule {
    FieldRule {
        result: RegKind::FromBtf,
        ..FieldRule::ro(i * 8, 8, SLOT)
    }
}

/// `btf_ctx_access` without BTF: loads at a slot start only (a pointer
/// argument further requires an 8-byte load), no stores.
pub static BTF_ARGS: AccessTable = AccessTable {
    base: None,
    rules: &[
        slot(0),
        slot(1),
        slot(2),
        slot(3),
        slot(4),
        slot(5),
        slot(6),
        slot(7),
        slot(8),
        slot(9),
        slot(10),
        slot(11),
    ],
};

const TRAMPOLINE: &[A] = &[A::TraceFentry, A::TraceFexit, A::ModifyReturn];

/// TRACING iterators only (seq_* and d_path).
pub static ITER_ONLY: HelperSet = HelperSet::new(
    "iter_only",
    &[
        id::SEQ_PRINTF,
        id::SEQ_WRITE,
        id::D_PATH,
        id::SEQ_PRINTF_BTF,
    ],
);

/// The type.
pub static SPEC: ProgTypeSpec = ProgTypeSpec {
    ty: ProgType::Tracing,
    name: "BPF_PROG_TYPE_TRACING",
    short: "tracing",
    kernel_ops: "tracing",
    ctx: &BTF_ARG_SLOTS,
    global_func_ctx: None,
    access: &BTF_ARGS,
    pointees: &[],
    ld_abs: false,
    packet: PacketAccess::NONE,
    helpers: HelperAvail::Layers {
        layers: &[
            &BASE,
            &SKC_CASTS,
            &TRACE_BASE,
            &ATTACH_COOKIE,
            &TRACING_COMMON,
        ],
        by_attach: &[
            AttachHelperRule {
                when: AttachFilter::Only(&[A::TraceIter]),
                add: &[&ITER_ONLY],
                remove: &[&ATTACH_COOKIE],
            },
            AttachHelperRule {
                when: AttachFilter::Only(TRAMPOLINE),
                add: &[&TRAMPOLINE_ARGS],
                remove: &[],
            },
            AttachHelperRule {
                when: AttachFilter::Only(&[A::TraceFexit, A::ModifyReturn]),
                add: &[&FUNC_RET],
                remove: &[],
            },
        ],
        evidence: Evidence::Empirical,
    },
    characteristic_helpers: &[
        id::GET_FUNC_ARG,
        id::GET_FUNC_RET,
        id::GET_FUNC_IP,
        id::SEQ_PRINTF,
        id::D_PATH,
        id::SKB_OUTPUT,
        id::GET_CURRENT_TASK_BTF,
    ],
    ret: ReturnSpec {
        rules: &[
            ReturnRule {
                when: AttachFilter::Only(&[A::TraceFentry, A::TraceFexit]),
                range: RangeRule::Range { min: 0, max: 0 },
                values: &[NamedValue::new(0, "0", "required")],
                interp: Interp::Named,
                other: "",
                evidence: Evidence::Source,
            },
            ReturnRule {
                when: AttachFilter::Only(&[A::TraceIter]),
                range: RangeRule::Range { min: 0, max: 1 },
                values: &[
                    NamedValue::new(0, "0", "continue with the next object"),
                    NamedValue::new(1, "1", "retry this object (seq_file show returns -EAGAIN)"),
                ],
                interp: Interp::Named,
                other: "",
                evidence: Evidence::Empirical,
            },
            ReturnRule {
                when: AttachFilter::Only(&[A::ModifyReturn]),
                range: RangeRule::Unchecked,
                values: &[NamedValue::new(0, "0", "run the traced function")],
                interp: Interp::Named,
                other: "skip the traced function and return this value from it",
                evidence: Evidence::Knowledge,
            },
            ReturnRule {
                when: AttachFilter::Any,
                range: RangeRule::Unchecked,
                values: &[],
                interp: Interp::Ignored,
                other: "",
                evidence: Evidence::Empirical,
            },
        ],
    },
    attach: AttachSpec {
        expected: ExpectedAttach::WithBtfTarget {
            allowed: &[
                A::TraceRawTp,
                A::TraceFentry,
                A::TraceFexit,
                A::ModifyReturn,
                A::TraceIter,
            ],
        },
        attach_types: &[
            A::TraceRawTp,
            A::TraceFentry,
            A::TraceFexit,
            A::ModifyReturn,
            A::TraceIter,
        ],
        method: "load with attach_btf_id (FUNC for fentry/fexit/fmod_ret, btf_trace_<tp> typedef \
                 for tp_btf, bpf_iter_<target> for iter); attach with BPF_RAW_TRACEPOINT_OPEN \
                 (name NULL) or BPF_LINK_CREATE; iterators: BPF_LINK_CREATE(BPF_TRACE_ITER) then \
                 BPF_ITER_CREATE and read()",
    },
    sec_names: &[
        SecDef::at("fentry+", A::TraceFentry).flags(sec_flags::ATTACH_BTF),
        SecDef::at("fentry.s+", A::TraceFentry).flags(sec_flags::ATTACH_BTF | sec_flags::SLEEPABLE),
        SecDef::at("fexit+", A::TraceFexit).flags(sec_flags::ATTACH_BTF),
        SecDef::at("fexit.s+", A::TraceFexit).flags(sec_flags::ATTACH_BTF | sec_flags::SLEEPABLE),
        SecDef::at("fmod_ret+", A::ModifyReturn).flags(sec_flags::ATTACH_BTF),
        SecDef::at("fmod_ret.s+", A::ModifyReturn)
            .flags(sec_flags::ATTACH_BTF | sec_flags::SLEEPABLE),
        SecDef::at("tp_btf+", A::TraceRawTp).flags(sec_flags::ATTACH_BTF),
        SecDef::at("tp_btf.s+", A::TraceRawTp).flags(sec_flags::ATTACH_BTF | sec_flags::SLEEPABLE),
        SecDef::at("iter+", A::TraceIter).flags(sec_flags::ATTACH_BTF),
        SecDef::at("iter.s+", A::TraceIter).flags(sec_flags::ATTACH_BTF | sec_flags::SLEEPABLE),
    ],
    use_cases: "BTF-typed tracing with direct pointer dereference: function entry/exit \
                (fentry/fexit), error injection (fmod_ret), typed tracepoints (tp_btf), and \
                dumping kernel objects through seq_file iterators (iter)",
    hook: "a BPF trampoline patched into the traced function (fentry/fexit/fmod_ret), \
           __bpf_trace_run() (tp_btf), bpf_iter seq_file show callbacks (iter)",
    test_run: TestRunSpec {
        default: TestRunSupport::Supported {
            runner: Runner::Tracing,
            detail: "calls bpf_fentry_test1..9 / bpf_modify_return_test so an attached program \
                     fires; inputs ignored; fmod_ret retval = (side_effect << 16) | ret",
        },
        by_attach: &[(
            AttachFilter::Only(&[A::TraceRawTp, A::TraceIter]),
            TestRunSupport::Fails {
                errno: errno::EFAULT,
                detail: "tp_btf and iter have the op but it fails with EFAULT on 6.18",
            },
        )],
        evidence: Evidence::Empirical,
    },
    load_notes: "needs attach_btf_id (and attach_btf_obj_fd for modules / attach_prog_fd for \
                 BPF targets); fentry/fexit/fmod_ret need BPF trampolines (EPERM on the \
                 reference VM)",
    hooks: &TableHooks,
};

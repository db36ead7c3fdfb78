//! `BPF_PROG_TYPE_EXT` (28) — `bpf_extension` ops: a program that replaces
//! a global function of another BPF program (freplace). It takes on the
//! target program's type for helpers and context.

use super::tracing::{BTF_ARGS, BTF_ARG_SLOTS};
use crate::helpers::HelperAvail;
use crate::ret::{Interp, RangeRule, ReturnRule, ReturnSpec};
use crate::spec::*;

/// The type.
pub static SPEC: ProgTypeSpec = ProgTypeSpec {
    ty: ProgType::Ext,
    name: "BPF_PROG_TYPE_EXT",
    short: "ext",
    kernel_ops: "bpf_extension",
    ctx: &BTF_ARG_SLOTS,
    global_func_ctx: None,
    access: &BTF_ARGS,
    pointees: &[],
    ld_abs: false,
    packet: PacketAccess::NONE,
    helpers: HelperAvail::InheritTarget,
    characteristic_helpers: &[],
    ret: ReturnSpec {
        rules: &[ReturnRule {
            when: AttachFilter::Any,
            range: RangeRule::FromTarget("the replaced function's BTF return type"),
            values: &[],
            interp: Interp::Named,
            other: "returned to the calling BPF program",
            evidence: Evidence::Knowledge,
        }],
    },
    attach: AttachSpec {
        expected: ExpectedAttach::MustBeZero,
        attach_types: &[],
        method: "load with attach_prog_fd = target program and attach_btf_id = BTF id of the \
                 global function to replace; attach with BPF_LINK_CREATE (target_fd = target \
                 program) or BPF_RAW_TRACEPOINT_OPEN",
    },
    sec_names: &[SecDef::plain("freplace+").flags(sec_flags::ATTACH_BTF)],
    use_cases: "hot-replace parts of a loaded BPF program (policy plug-ins, libxdp's \
                multi-program dispatcher)",
    hook: "the target program's call to the replaced global function jumps into this program",
    test_run: TestRunSpec {
        default: TestRunSupport::NotSupported {
            errno: errno::ENOTSUPP,
        },
        by_attach: &[],
        evidence: Evidence::Knowledge,
    },
    load_notes: "expected_attach_type must be 0; needs attach_prog_fd + attach_btf_id; the \
                 context, helpers and return rules are those of the target",
    hooks: &TableHooks,
};

//! `BPF_PROG_TYPE_LSM` (29) — `lsm` ops (kernel/bpf/bpf_lsm.c). Not loadable
//! on the reference VM (no trampolines): facts are source/knowledge.

use super::tracing::{BTF_ARGS, BTF_ARG_SLOTS};
use super::CGROUP_ALLOW_DENY;
use crate::attach::AttachType as A;
use crate::helpers::HelperSet;
use crate::helpers::{id, sets::*, AttachHelperRule, HelperAvail};
use crate::ret::{Interp, NamedValue, RangeRule, ReturnRule, ReturnSpec};
use crate::spec::*;

/// LSM-only helpers (`bpf_lsm_func_proto`); `d_path` only on sleepable
/// hooks.
pub static LSM_EXTRA: HelperSet = HelperSet::new(
    "lsm_extra",
    &[
        id::D_PATH,
        id::INODE_STORAGE_GET,
        id::INODE_STORAGE_DELETE,
        id::BPRM_OPTS_SET,
        id::IMA_INODE_HASH,
        id::IMA_FILE_HASH,
    ],
);

/// The type.
pub static SPEC: ProgTypeSpec = ProgTypeSpec {
    ty: ProgType::Lsm,
    name: "BPF_PROG_TYPE_LSM",
    short: "lsm",
    kernel_ops: "lsm",
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
            &TRAMPOLINE_ARGS,
            &FUNC_RET,
            &LSM_EXTRA,
        ],
        by_attach: &[AttachHelperRule {
            when: AttachFilter::Only(&[A::LsmCgroup]),
            add: &[&CGROUP_RETVAL, &CGROUP_STORAGE],
            remove: &[],
        }],
        evidence: Evidence::Knowledge,
    },
    characteristic_helpers: &[
        id::INODE_STORAGE_GET,
        id::TASK_STORAGE_GET,
        id::BPRM_OPTS_SET,
        id::IMA_FILE_HASH,
        id::D_PATH,
        id::GET_RETVAL,
    ],
    ret: ReturnSpec {
        rules: &[
            ReturnRule {
                when: AttachFilter::Only(&[A::LsmCgroup]),
                range: RangeRule::Range { min: 0, max: 1 },
                values: CGROUP_ALLOW_DENY,
                interp: Interp::Named,
                other: "void hooks must return 1",
                evidence: Evidence::Source,
            },
            ReturnRule {
                when: AttachFilter::Any,
                range: RangeRule::FromTarget(
                    "int hooks: [-4095, 0] (0 allow, -errno deny); boolean hooks [0, 1]; void \
                     hooks unchecked",
                ),
                values: &[NamedValue::new(0, "allow", "the operation proceeds")],
                interp: Interp::Errno,
                other: "",
                evidence: Evidence::Source,
            },
        ],
    },
    attach: AttachSpec {
        expected: ExpectedAttach::WithBtfTarget {
            allowed: &[A::LsmMac, A::LsmCgroup],
        },
        attach_types: &[A::LsmMac, A::LsmCgroup],
        method: "load with attach_btf_id = bpf_lsm_<hook>; BPF_LSM_MAC: BPF_RAW_TRACEPOINT_OPEN \
                 (name NULL) or BPF_LINK_CREATE (global); BPF_LSM_CGROUP: BPF_PROG_ATTACH / \
                 BPF_LINK_CREATE on a cgroup fd",
    },
    sec_names: &[
        SecDef::at("lsm+", A::LsmMac).flags(sec_flags::ATTACH_BTF),
        SecDef::at("lsm.s+", A::LsmMac).flags(sec_flags::ATTACH_BTF | sec_flags::SLEEPABLE),
        SecDef::at("lsm_cgroup+", A::LsmCgroup).flags(sec_flags::ATTACH_BTF),
    ],
    use_cases: "security policy on LSM hooks (file open, exec, socket, bpf, ...): MAC \
                policies, auditing, per-cgroup socket policy (lsm_cgroup)",
    hook: "call_int_hook()/call_void_hook() in security/security.c reaching the bpf LSM's \
           bpf_lsm_<hook> through a BPF trampoline",
    test_run: TestRunSpec {
        default: TestRunSupport::NotSupported {
            errno: errno::ENOTSUPP,
        },
        by_attach: &[],
        evidence: Evidence::Source,
    },
    load_notes: "GPL license; the \"bpf\" LSM must be active; needs BPF trampolines (EPERM on \
                 the reference VM)",
    hooks: &TableHooks,
};

//! `BPF_PROG_TYPE_CGROUP_SYSCTL` (23) — `cg_sysctl` ops (kernel/bpf/cgroup.c).

use super::CGROUP_ALLOW_DENY;
use crate::attach::AttachType as A;
use crate::ctx::skb::{RN, X4};
use crate::ctx::{AccessTable, CtxField, CtxLayout, FieldRule};
use crate::helpers::HelperSet;
use crate::helpers::{id, sets::*, HelperAvail};
use crate::ret::{Interp, RangeRule, ReturnRule, ReturnSpec};
use crate::spec::*;

/// `struct bpf_sysctl` (8 bytes).
pub static SYSCTL: CtxLayout = CtxLayout {
    struct_name: "struct bpf_sysctl",
    size: 8,
    doc: "a read or write of a /proc/sys file",
    fields: &[
        CtxField::new("write", 0, 4, "1 for a write, 0 for a read"),
        CtxField::new("file_pos", 4, 4, "file position; writable"),
    ],
};

/// `sysctl_is_valid_access`.
static ACCESS: AccessTable = AccessTable {
    base: None,
    rules: &[FieldRule::ro(0, 4, RN), FieldRule::rw(4, 4, RN, X4)],
};

/// What cgroup sysctl has beyond its shared layers (measured).
pub static CGROUP_SYSCTL_EXTRA: HelperSet = HelperSet::new(
    "cgroup_sysctl_extra",
    &[
        id::SYSCTL_GET_NAME,
        id::SYSCTL_GET_CURRENT_VALUE,
        id::SYSCTL_GET_NEW_VALUE,
        id::SYSCTL_SET_NEW_VALUE,
    ],
);

/// The type.
pub static SPEC: ProgTypeSpec = ProgTypeSpec {
    ty: ProgType::CgroupSysctl,
    name: "BPF_PROG_TYPE_CGROUP_SYSCTL",
    short: "cgroup_sysctl",
    kernel_ops: "cg_sysctl",
    ctx: &SYSCTL,
    global_func_ctx: Some("bpf_sysctl"),
    access: &ACCESS,
    pointees: &[],
    ld_abs: false,
    packet: PacketAccess::NONE,
    helpers: HelperAvail::Layers {
        layers: &[
            &BASE,
            &COARSE_CLOCK,
            &PERF_OUTPUT,
            &CGROUP_STORAGE,
            &CGROUP_RETVAL,
            &CGROUP_SYSCTL_EXTRA,
        ],
        by_attach: &[super::RETVAL_BY_ATTACH],
        evidence: Evidence::Empirical,
    },
    characteristic_helpers: &[
        id::SYSCTL_GET_NAME,
        id::SYSCTL_GET_CURRENT_VALUE,
        id::SYSCTL_GET_NEW_VALUE,
        id::SYSCTL_SET_NEW_VALUE,
        id::STRTOL,
    ],
    ret: ReturnSpec {
        rules: &[ReturnRule {
            when: AttachFilter::Any,
            range: RangeRule::Range { min: 0, max: 1 },
            values: CGROUP_ALLOW_DENY,
            interp: Interp::Named,
            other: "",
            evidence: Evidence::Empirical,
        }],
    },
    attach: AttachSpec {
        expected: ExpectedAttach::NotValidated,
        attach_types: &[A::CgroupSysctl],
        method: "cgroup v2 fd via BPF_PROG_ATTACH / BPF_LINK_CREATE with BPF_CGROUP_SYSCTL",
    },
    sec_names: &[SecDef::at("cgroup/sysctl", A::CgroupSysctl).flags(sec_flags::ATTACHABLE)],
    use_cases: "per-container sysctl policy: deny or rewrite reads and writes of /proc/sys \
                entries",
    hook: "__cgroup_bpf_run_filter_sysctl() from proc_sys_call_handler()",
    test_run: TestRunSpec::none(),
    load_notes: "",
    hooks: &TableHooks,
};

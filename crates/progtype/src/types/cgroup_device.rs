//! `BPF_PROG_TYPE_CGROUP_DEVICE` (15) — `cg_dev` ops (kernel/bpf/cgroup.c).

use super::CGROUP_ALLOW_DENY;
use crate::attach::AttachType as A;
use crate::ctx::skb::{RN, X4};
use crate::ctx::{AccessTable, CtxField, CtxLayout, FieldRule};
use crate::helpers::{id, sets::*, HelperAvail};
use crate::ret::{Interp, RangeRule, ReturnRule, ReturnSpec};
use crate::spec::*;

/// `struct bpf_cgroup_dev_ctx` (12 bytes).
pub static DEV_CTX: CtxLayout = CtxLayout {
    struct_name: "struct bpf_cgroup_dev_ctx",
    size: 12,
    doc: "the device access being checked",
    fields: &[
        CtxField::new("access_type", 0, 4, "(BPF_DEVCG_ACC_* << 16) | BPF_DEVCG_DEV_*: ACC MKNOD 1, READ 2, WRITE 4; DEV BLOCK 1, CHAR 2"),
        CtxField::new("major", 4, 4, "device major"),
        CtxField::new("minor", 8, 4, "device minor"),
    ],
};

/// `cgroup_dev_is_valid_access`: read-only; narrow loads only on access_type.
static ACCESS: AccessTable = AccessTable {
    base: None,
    rules: &[
        FieldRule::ro(0, 4, RN),
        FieldRule::ro(4, 4, X4),
        FieldRule::ro(8, 4, X4),
    ],
};

/// The type.
pub static SPEC: ProgTypeSpec = ProgTypeSpec {
    ty: ProgType::CgroupDevice,
    name: "BPF_PROG_TYPE_CGROUP_DEVICE",
    short: "cgroup_device",
    kernel_ops: "cg_dev",
    ctx: &DEV_CTX,
    global_func_ctx: Some("bpf_cgroup_dev_ctx"),
    access: &ACCESS,
    pointees: &[],
    ld_abs: false,
    packet: PacketAccess::NONE,
    helpers: HelperAvail::Layers {
        layers: &[&BASE, &PERF_OUTPUT, &CGROUP_STORAGE, &CGROUP_RETVAL],
        by_attach: &[super::RETVAL_BY_ATTACH],
        evidence: Evidence::Empirical,
    },
    characteristic_helpers: &[
        id::GET_RETVAL,
        id::SET_RETVAL,
        id::GET_LOCAL_STORAGE,
        id::GET_CURRENT_CGROUP_ID,
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
        attach_types: &[A::CgroupDevice],
        method: "cgroup v2 fd, BPF_PROG_ATTACH or BPF_LINK_CREATE with BPF_CGROUP_DEVICE",
    },
    sec_names: &[SecDef::at("cgroup/dev", A::CgroupDevice).flags(sec_flags::ATTACHABLE_OPT)],
    use_cases: "device access control for containers (the cgroup v2 replacement of the v1 \
                devices controller): allow or deny open/mknod of block and char devices",
    hook: "devcgroup_check_permission() -> __cgroup_bpf_check_dev_permission() on open() and \
           mknod() of device nodes",
    test_run: TestRunSpec::none(),
    load_notes: "",
    hooks: &TableHooks,
};

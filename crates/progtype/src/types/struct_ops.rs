//! `BPF_PROG_TYPE_STRUCT_OPS` (27) — `bpf_struct_ops` ops
//! (kernel/bpf/bpf_struct_ops.c): programs implementing kernel function
//! tables (tcp_congestion_ops, sched_ext_ops, hid_bpf_ops, ...).

use super::tracing::{BTF_ARGS, BTF_ARG_SLOTS};
use crate::attach::AttachType as A;
use crate::helpers::HelperSet;
use crate::helpers::{id, sets::*, HelperAvail};
use crate::ret::{Interp, RangeRule, ReturnRule, ReturnSpec};
use crate::spec::*;

/// STRUCT_OPS: what `tcp_congestion_ops` adds (`bpf_tcp_ca_get_func_proto`);
/// other struct_ops define their own.
pub static STRUCT_OPS_TCP_CA: HelperSet = HelperSet::new(
    "struct_ops_tcp_ca",
    &[
        id::TCP_SEND_ACK,
        id::SK_STORAGE_GET,
        id::SK_STORAGE_DELETE,
        id::SETSOCKOPT,
        id::GETSOCKOPT,
    ],
);

/// The type.
pub static SPEC: ProgTypeSpec = ProgTypeSpec {
    ty: ProgType::StructOps,
    name: "BPF_PROG_TYPE_STRUCT_OPS",
    short: "struct_ops",
    kernel_ops: "bpf_struct_ops",
    ctx: &BTF_ARG_SLOTS,
    global_func_ctx: None,
    access: &BTF_ARGS,
    pointees: &[],
    ld_abs: false,
    packet: PacketAccess::NONE,
    helpers: HelperAvail::Layers {
        layers: &[&BASE, &STRUCT_OPS_TCP_CA],
        by_attach: &[],
        evidence: Evidence::Knowledge,
    },
    characteristic_helpers: &[id::TCP_SEND_ACK, id::SK_STORAGE_GET, id::SETSOCKOPT],
    ret: ReturnSpec {
        rules: &[ReturnRule {
            when: AttachFilter::Any,
            range: RangeRule::FromTarget(
                "the implemented member's return type; void members unchecked; a struct_ops \
                 may add its own check",
            ),
            values: &[],
            interp: Interp::Named,
            other: "returned to the kernel caller of the member",
            evidence: Evidence::Knowledge,
        }],
    },
    attach: AttachSpec {
        expected: ExpectedAttach::MemberIndex,
        attach_types: &[A::StructOps],
        method: "load with attach_btf_id = the struct type and expected_attach_type = member \
                 index; put the program fds into a BPF_MAP_TYPE_STRUCT_OPS map value and \
                 register it with BPF_MAP_UPDATE_ELEM, or BPF_LINK_CREATE(BPF_STRUCT_OPS) on the \
                 map",
    },
    sec_names: &[
        SecDef::plain("struct_ops+"),
        SecDef::plain("struct_ops.s+").flags(sec_flags::SLEEPABLE),
    ],
    use_cases: "implement kernel callback tables in BPF: TCP congestion control, sched_ext \
                schedulers, HID device fixups, Qdiscs",
    hook: "the kernel calls the member function pointer of the registered ops table, which \
           enters the program through a trampoline",
    test_run: TestRunSpec {
        default: TestRunSupport::Supported {
            runner: Runner::StructOps,
            detail: "bpf_struct_ops_test_run: only members of the bpf_dummy_ops test struct",
        },
        by_attach: &[],
        evidence: Evidence::Source,
    },
    load_notes: "GPL license; attach_btf_id = struct_ops type; needs trampolines",
    hooks: &TableHooks,
};

//! `BPF_PROG_TYPE_LIRC_MODE2` (20) — `lirc_mode2` ops
//! (drivers/media/rc/bpf-lirc.c). Needs CONFIG_BPF_LIRC_MODE2 (the reference
//! VM has no RC core): facts are from source.

use crate::attach::AttachType as A;
use crate::ctx::skb::X4;
use crate::ctx::{AccessTable, CtxField, CtxLayout, FieldRule};
use crate::helpers::HelperSet;
use crate::helpers::{id, HelperAvail};
use crate::ret::{Interp, RangeRule, ReturnRule, ReturnSpec};
use crate::spec::*;

/// One u32 LIRC mode2 sample.
pub static LIRC_SAMPLE: CtxLayout = CtxLayout {
    struct_name: "u32 sample",
    size: 4,
    doc: "LIRC_MODE2_PULSE/SPACE/FREQUENCY/TIMEOUT in the top byte, value (us) below",
    fields: &[CtxField::new("sample", 0, 4, "mode2 sample")],
};

/// `lirc_mode2_is_valid_access`: one u32, read with a 4-byte load.
static ACCESS: AccessTable = AccessTable {
    base: None,
    rules: &[FieldRule::ro(0, 4, X4)],
};

/// LIRC_MODE2: `lirc_mode2_func_proto` (drivers/media/rc/bpf-lirc.c) has
/// its own short list and no base fall-through.
pub static LIRC_MODE2_SET: HelperSet = HelperSet::new(
    "lirc_mode2",
    &[
        id::MAP_LOOKUP_ELEM,
        id::MAP_UPDATE_ELEM,
        id::MAP_DELETE_ELEM,
        id::KTIME_GET_NS,
        id::TRACE_PRINTK,
        id::GET_PRANDOM_U32,
        id::TAIL_CALL,
        id::RC_REPEAT,
        id::RC_KEYDOWN,
        id::RC_POINTER_REL,
        id::MAP_PUSH_ELEM,
        id::MAP_POP_ELEM,
        id::MAP_PEEK_ELEM,
        id::KTIME_GET_BOOT_NS,
    ],
);

/// The type.
pub static SPEC: ProgTypeSpec = ProgTypeSpec {
    ty: ProgType::LircMode2,
    name: "BPF_PROG_TYPE_LIRC_MODE2",
    short: "lirc_mode2",
    kernel_ops: "lirc_mode2",
    ctx: &LIRC_SAMPLE,
    global_func_ctx: None,
    access: &ACCESS,
    pointees: &[],
    ld_abs: false,
    packet: PacketAccess::NONE,
    helpers: HelperAvail::Layers {
        layers: &[&LIRC_MODE2_SET],
        by_attach: &[],
        evidence: Evidence::Source,
    },
    characteristic_helpers: &[id::RC_KEYDOWN, id::RC_REPEAT, id::RC_POINTER_REL],
    ret: ReturnSpec {
        rules: &[ReturnRule {
            when: AttachFilter::Any,
            range: RangeRule::Unchecked,
            values: &[],
            interp: Interp::Ignored,
            other: "",
            evidence: Evidence::Source,
        }],
    },
    attach: AttachSpec {
        expected: ExpectedAttach::NotValidated,
        attach_types: &[A::LircMode2],
        method: "BPF_PROG_ATTACH {target_fd = /dev/lircN fd, attach_type BPF_LIRC_MODE2}",
    },
    sec_names: &[SecDef::at("lirc_mode2", A::LircMode2).flags(sec_flags::ATTACHABLE_OPT)],
    use_cases: "decode infrared remote-control protocols in BPF and report key presses or \
                pointer movement",
    hook: "lirc_bpf_run() from the raw IR event path (ir_raw_event_store) for each mode2 sample",
    test_run: TestRunSpec {
        default: TestRunSupport::NotSupported {
            errno: errno::ENOTSUPP,
        },
        by_attach: &[],
        evidence: Evidence::Source,
    },
    load_notes: "needs CONFIG_BPF_LIRC_MODE2",
    hooks: &TableHooks,
};

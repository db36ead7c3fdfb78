//! The kernel's own listing syntaxes, from programs this machine's kernel
//! (6.18) loaded:
//! - `fixtures/xlated_*.txt`: `bpftool prog dump xlated`; `xlated_*.bin`
//!   the same instructions as raw bytes (`... dump xlated ... file`).
//! - `fixtures/verifier_calls.log`: the instruction lines of the verifier
//!   log (log_level 2, in walk order, with repeats) of `verifier_calls.c`,
//!   which makes two bpf-to-bpf calls and a helper call;
//!   `verifier_calls.bin` is that program as clang compiled it: its
//!   `socket` section followed by its `.text` section (the subprogram),
//!   the order libbpf loads them in.

use bpfbox_asm::{assemble, RawInsn};
use bpfbox_isa::slots_from_bytes;

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");

fn bin(name: &str) -> Vec<RawInsn> {
    slots_from_bytes(&std::fs::read(format!("{DIR}/{name}")).unwrap()).unwrap()
}

pub(crate) fn xlated_listings_assemble_to_the_kernel_bytes() {
    for name in ["alu32", "loops"] {
        let text = std::fs::read_to_string(format!("{DIR}/xlated_{name}.txt")).unwrap();
        let want = bin(&format!("xlated_{name}.bin"));
        let got = assemble(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(got, want, "{name}");
    }
}

pub(crate) fn verifier_log_in_walk_order_assembles_in_slot_order() {
    let text = std::fs::read_to_string(format!("{DIR}/verifier_calls.log")).unwrap();
    let got = assemble(&text).unwrap();
    let object = bin("verifier_calls.bin");
    assert_eq!(got.len(), object.len());
    for (i, (g, o)) in got.iter().zip(&object).enumerate() {
        if i == 6 || i == 10 {
            // In the object these calls await libbpf's relocation (imm -1);
            // the log shows them resolved to the subprogram at slot 23.
            assert_eq!((o.code, o.src, o.imm), (0x85, 1, -1));
            assert_eq!((g.code, g.src), (0x85, 1));
            assert_eq!(i as i64 + 1 + g.imm as i64, 23, "slot {i}");
        } else {
            assert_eq!(g, o, "slot {i}");
        }
    }
}

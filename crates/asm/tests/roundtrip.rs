//! `assemble(disasm(x)) == x`: for the clang-built disassembler fixtures of
//! bpfbox-isa and for every decodable encoding of a systematic sweep.

use bpfbox_asm::{assemble, assemble_as, Syntax};
use bpfbox_isa::disasm::{disasm, disasm_insn};
use bpfbox_isa::{decode, slots_from_bytes, RawInsn};

pub(crate) fn isa_fixtures_roundtrip() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../isa/tests/fixtures");
    let mut n = 0;
    for e in std::fs::read_dir(dir).unwrap() {
        let path = e.unwrap().path();
        if !path.extension().is_some_and(|x| x == "bin") {
            continue;
        }
        let slots = slots_from_bytes(&std::fs::read(&path).unwrap()).unwrap();
        let text = disasm(&decode(&slots).unwrap());
        // Auto-detection must pick pseudo-C for disassembler output.
        let back = assemble(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_eq!(back, slots, "{}", path.display());
        n += 1;
    }
    assert!(n >= 6, "only {n} fixtures");
}

pub(crate) fn every_decodable_encoding_roundtrips() {
    let imms = [0, 1, -1, 5, 16, 32, 64, 0x7fff_ffff, i32::MIN, 0x100, 0x110];
    let atomic_imms = [0x00, 0x01, 0x40, 0x41, 0x50, 0x51, 0xa0, 0xa1, 0xe1, 0xf1];
    let mut checked = 0;
    for code in 0..=255u8 {
        for (dst, src) in [(0, 0), (1, 2), (10, 1), (0, 10), (2, 1), (0, 4), (0, 6)] {
            for off in [0i16, 1, -1, 8, 16, 32, -0x8000, 0x7fff] {
                for imm in imms.iter().chain(&atomic_imms) {
                    let mut prog = vec![RawInsn::new(code, dst, src, off, *imm)];
                    if code == 0x18 {
                        prog.push(RawInsn::new(0, 0, 0, 0, imm.wrapping_mul(3)));
                    }
                    let mut padded = prog.clone();
                    padded.push(RawInsn::new(0x95, 0, 0, 0, 0));
                    // Jumps that leave this tiny program are covered by
                    // the far-displacement cases below.
                    let Ok(insns) = decode(&padded) else { continue };
                    let text = disasm_insn(&insns[0], 0);
                    let back = assemble_as(&text, Syntax::PseudoC)
                        .unwrap_or_else(|e| panic!("{:016x} `{text}`: {e}", prog[0].to_u64()));
                    assert_eq!(back, prog, "`{text}`");
                    checked += 1;
                }
            }
        }
    }
    assert!(checked > 5000, "only {checked}");
}

pub(crate) fn far_displacements_roundtrip() {
    // Decoded inside a program long enough for the target to exist.
    const PAD: usize = 40000;
    for raw in [
        RawInsn::new(0x05, 0, 0, i16::MIN, 0),
        RawInsn::new(0x05, 0, 0, i16::MAX, 0),
        RawInsn::new(0x1d, 1, 2, -30000, 0),
        RawInsn::new(0x06, 0, 0, 0, -39000),
        RawInsn::new(0x06, 0, 0, 0, 39000),
        RawInsn::new(0xe5, 0, 0, -2, 0),
        RawInsn::new(0x85, 0, 1, 0, -39999),
    ] {
        let mut prog = vec![RawInsn::new(0x95, 0, 0, 0, 0); 2 * PAD];
        prog[PAD] = raw;
        let insns = decode(&prog).unwrap();
        let text = disasm_insn(&insns[PAD], PAD);
        assert_eq!(
            assemble_as(&text, Syntax::PseudoC).unwrap(),
            vec![raw],
            "`{text}`"
        );
    }
}

//! ALU and jump edge cases with operands the verifier cannot know.

use crate::asm::*;
use crate::harness::*;
use bpfbox_isa::{AluOp, Cond, Endian, Insn, Reg, Src, Width};
/// Every ALU operation of both widths on every pair of edge values, the
/// second operand in a register: division and modulo by zero, `INT_MIN s/
/// -1`, `s% -1`, shifts by 32, 64 and more, 32-bit operations on registers
/// with a non-zero high half.
pub(crate) fn alu_register_operands() {
    let mut diffs = Diffs::default();
    let packets: Vec<Vec<u8>> = EDGES
        .iter()
        .flat_map(|&a| EDGES.iter().map(move |&b| operand_packet(&[a, b])))
        .collect();
    for width in WIDTHS {
        for op in ALL_ALU_OPS {
            for high in [false, true] {
                let mut p = load_operands(&[7, 8]);
                p.push(alu(width, op, 7, Src::Reg(8)));
                p.extend(return_half(7, high));
                let what = format!("{width:?} {op:?} reg high={high}");
                let b = Both::load(&what, p);
                for pkt in &packets {
                    b.check(&what, pkt, &mut diffs);
                }
            }
        }
    }
    diffs.finish("alu_register_operands");
}

/// Division and modulo (signed and unsigned) by the immediates the
/// verifier accepts at the edges (-1, 1, ±2, INT_MIN, INT_MAX), and
/// immediate shifts by the largest legal amounts.
pub(crate) fn alu_immediate_edges() {
    let mut diffs = Diffs::default();
    let packets: Vec<Vec<u8>> = EDGES.iter().map(|&a| operand_packet(&[a])).collect();
    let mut cases: Vec<(AluOp, i32)> = Vec::new();
    for op in [AluOp::Div, AluOp::Sdiv, AluOp::Mod, AluOp::Smod] {
        for imm in [-1, 1, 2, -2, 3, i32::MIN, i32::MAX] {
            cases.push((op, imm));
        }
    }
    for width in WIDTHS {
        let bits = if width == Width::W64 { 64 } else { 32 };
        let mut all = cases.clone();
        for op in [AluOp::Lsh, AluOp::Rsh, AluOp::Arsh] {
            for imm in [0, 1, 31, bits - 1] {
                all.push((op, imm));
            }
        }
        all.dedup();
        for &(op, imm) in &all {
            for high in [false, true] {
                let mut p = load_operands(&[7]);
                p.push(alu(width, op, 7, Src::Imm(imm)));
                p.extend(return_half(7, high));
                let what = format!("{width:?} {op:?} imm {imm} high={high}");
                let b = Both::load(&what, p);
                for pkt in &packets {
                    b.check(&what, pkt, &mut diffs);
                }
            }
        }
    }
    diffs.finish("alu_immediate_edges");
}

/// `movsx` of every width (ALU64: s8, s16, s32; ALU32: s8, s16), `neg`,
/// and `le`/`be`/`bswap` of 16, 32 and 64 bits.
pub(crate) fn movsx_neg_and_byte_swaps() {
    let mut diffs = Diffs::default();
    let mut values = EDGES.to_vec();
    values.extend([
        0x8081_8283_8485_8687,
        0x7f7e_7d7c_ff80_7fff,
        0xdead_beef_cafe_f00d,
    ]);
    let packets: Vec<Vec<u8>> = values.iter().map(|&a| operand_packet(&[a])).collect();
    let mut ops: Vec<(String, Insn)> = Vec::new();
    for (width, bits) in [
        (Width::W64, 8),
        (Width::W64, 16),
        (Width::W64, 32),
        (Width::W32, 8),
        (Width::W32, 16),
    ] {
        ops.push((
            format!("movsx{bits} {width:?}"),
            alu(width, AluOp::Movsx(bits), 7, Src::Reg(8)),
        ));
    }
    for width in WIDTHS {
        ops.push((format!("neg {width:?}"), Insn::Neg { width, dst: 7 }));
    }
    for kind in [Endian::ToLe, Endian::ToBe, Endian::Swap] {
        for bits in [16u8, 32, 64] {
            ops.push((format!("{kind:?}{bits}"), Insn::End { kind, bits, dst: 7 }));
        }
    }
    for (name, op) in ops {
        for high in [false, true] {
            let mut p = load_operands(&[8]);
            // r7 = a different value, so movsx visibly overwrites it.
            p.extend([movr(7, 8), alu64(AluOp::Xor, 7, Src::Imm(0x5a5a))]);
            if !matches!(op, Insn::Alu { .. }) {
                p.push(movr(7, 8));
            }
            p.push(op);
            p.extend(return_half(7, high));
            let what = format!("{name} high={high}");
            let b = Both::load(&what, p);
            for pkt in &packets {
                b.check(&what, pkt, &mut diffs);
            }
        }
    }
    diffs.finish("movsx_neg_and_byte_swaps");
}

/// `if r7 <cond> src goto +3; r0 = 1; exit; r0 = 2; exit` after the
/// operand loads; the program returns which way the jump went.
fn branch_program(operands: &[Reg], width: Width, cond: Cond, src: Src) -> Vec<Insn> {
    let mut p = load_operands(operands);
    let at = p.len();
    p.extend([
        Insn::Jmp {
            width,
            cond,
            dst: 7,
            src,
            target: at + 3,
        },
        mov(0, 1),
        EXIT,
        mov(0, 2),
        EXIT,
    ]);
    p
}

/// Every condition of JMP and JMP32 on every pair of edge values (many of
/// them with a high half that JMP32 must ignore), register operand.
pub(crate) fn jumps_register_operands() {
    let mut diffs = Diffs::default();
    let packets: Vec<Vec<u8>> = EDGES
        .iter()
        .flat_map(|&a| EDGES.iter().map(move |&b| operand_packet(&[a, b])))
        .collect();
    for width in WIDTHS {
        for cond in CONDS {
            let what = format!("{width:?} {cond:?} reg");
            let b = Both::load(&what, branch_program(&[7, 8], width, cond, Src::Reg(8)));
            for pkt in &packets {
                b.check(&what, pkt, &mut diffs);
            }
        }
    }
    diffs.finish("jumps_register_operands");
}

/// Every condition against immediates, which JMP sign-extends to 64 bits
/// and JMP32 compares with the low half only.
pub(crate) fn jumps_immediate_operands() {
    let mut diffs = Diffs::default();
    let packets: Vec<Vec<u8>> = EDGES.iter().map(|&a| operand_packet(&[a])).collect();
    for width in WIDTHS {
        for cond in CONDS {
            for imm in [0, 1, -1, 32, i32::MIN, i32::MAX, 0x8000] {
                let what = format!("{width:?} {cond:?} imm {imm}");
                let b = Both::load(&what, branch_program(&[7], width, cond, Src::Imm(imm)));
                for pkt in &packets {
                    b.check(&what, pkt, &mut diffs);
                }
            }
        }
    }
    diffs.finish("jumps_immediate_operands");
}

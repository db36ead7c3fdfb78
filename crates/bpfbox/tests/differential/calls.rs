//! bpf-to-bpf calls: `r6..r9` and stack frames across calls.

use crate::asm::*;
use crate::harness::*;
use bpfbox_isa::{AluOp, Insn, Size, Src, FP};
/// `r0 = r0 * 0x01000193 ^ src` (the fuzz generator's fold).
fn mix(src: Src) -> [Insn; 2] {
    [
        alu64(AluOp::Mul, 0, Src::Imm(0x0100_0193)),
        alu64(AluOp::Xor, 0, src),
    ]
}

/// A main function and two nested sub-programs. Every function writes
/// `r6..r9` and its own stack; the main function folds its `r6..r9`, its
/// stack and the calls' results into `r0`, so a callee-saved register or
/// stack slot that is not preserved changes the result.
fn calls_program() -> Vec<Insn> {
    let mut p = load_operands(&[7, 8]);
    // Main: r6 (the ctx) becomes a scalar, r9 = a ^ b; stack slots.
    p.extend([
        movr(6, 7),
        alu64(AluOp::Add, 6, Src::Imm(0x1111)),
        movr(9, 7),
        alu64(AluOp::Xor, 9, Src::Reg(8)),
        Insn::Store {
            size: Size::DW,
            dst: FP,
            off: -8,
            src: Src::Reg(7),
        },
        Insn::Store {
            size: Size::DW,
            dst: FP,
            off: -16,
            src: Src::Reg(8),
        },
        movr(1, 7),
        movr(2, 8),
        mov(3, 3),
        mov(4, -4),
        mov(5, 5),
    ]);
    let call_f = p.len();
    p.push(Insn::CallLocal { target: 0 });
    p.extend(mix(Src::Reg(6)));
    p.extend(mix(Src::Reg(7)));
    p.extend(mix(Src::Reg(8)));
    p.extend(mix(Src::Reg(9)));
    for off in [-8i16, -16] {
        p.push(Insn::Load {
            size: Size::DW,
            signed: false,
            dst: 1,
            src: FP,
            off,
        });
        p.extend(mix(Src::Reg(1)));
    }
    // Call f a second time on the result, to check r6..r9 again.
    p.extend([movr(1, 0), movr(2, 9), mov(3, 0), mov(4, 0), mov(5, 0)]);
    let call_f2 = p.len();
    p.push(Insn::CallLocal { target: 0 });
    p.extend(mix(Src::Reg(6)));
    p.extend(mix(Src::Reg(9)));
    p.extend([
        movr(1, 0),
        alu64(AluOp::Rsh, 1, Src::Imm(32)),
        alu64(AluOp::Xor, 0, Src::Reg(1)),
        EXIT,
    ]);
    // f(a, b, c, d, e): clobbers r6..r9, uses its own stack, calls g.
    let f = p.len();
    p.extend([
        movr(6, 1),
        alu64(AluOp::Mul, 6, Src::Imm(3)),
        movr(7, 2),
        alu64(AluOp::Sub, 7, Src::Imm(1)),
        movr(8, 1),
        alu64(AluOp::Or, 8, Src::Reg(2)),
        mov(9, 77),
        alu64(AluOp::Add, 9, Src::Reg(3)),
        alu64(AluOp::Add, 9, Src::Reg(4)),
        alu64(AluOp::Add, 9, Src::Reg(5)),
        Insn::Store {
            size: Size::DW,
            dst: FP,
            off: -8,
            src: Src::Reg(9),
        },
        Insn::Store {
            size: Size::W,
            dst: FP,
            off: -16,
            src: Src::Imm(-2),
        },
        movr(1, 6),
        movr(2, 8),
    ]);
    let call_g = p.len();
    p.push(Insn::CallLocal { target: 0 });
    p.extend([
        alu64(AluOp::Add, 0, Src::Reg(6)),
        alu64(AluOp::Xor, 0, Src::Reg(7)),
        alu64(AluOp::Add, 0, Src::Reg(8)),
        Insn::Load {
            size: Size::DW,
            signed: false,
            dst: 1,
            src: FP,
            off: -8,
        },
        alu64(AluOp::Xor, 0, Src::Reg(1)),
        Insn::Load {
            size: Size::W,
            signed: true,
            dst: 1,
            src: FP,
            off: -16,
        },
        alu64(AluOp::Add, 0, Src::Reg(1)),
        EXIT,
    ]);
    // g(x, y): clobbers r6..r9 and writes its own stack.
    let g = p.len();
    p.extend([
        mov(6, 1),
        mov(7, 2),
        mov(8, 3),
        mov(9, 4),
        Insn::Store {
            size: Size::DW,
            dst: FP,
            off: -8,
            src: Src::Imm(-1),
        },
        Insn::Store {
            size: Size::DW,
            dst: FP,
            off: -16,
            src: Src::Imm(-1),
        },
        movr(0, 1),
        alu64(AluOp::Mul, 0, Src::Reg(2)),
        alu64(AluOp::Xor, 0, Src::Reg(6)),
        Insn::Load {
            size: Size::DW,
            signed: false,
            dst: 2,
            src: FP,
            off: -8,
        },
        alu64(AluOp::Add, 0, Src::Reg(2)),
        EXIT,
    ]);
    p[call_f] = Insn::CallLocal { target: f };
    p[call_f2] = Insn::CallLocal { target: f };
    p[call_g] = Insn::CallLocal { target: g };
    p
}

pub(crate) fn bpf_to_bpf_calls_preserve_r6_to_r9() {
    let b = Both::load("calls", calls_program());
    let mut diffs = Diffs::default();
    for &a in &EDGES {
        for &c in &EDGES[..10] {
            b.check("calls", &operand_packet(&[a, c]), &mut diffs);
        }
    }
    diffs.finish("bpf_to_bpf_calls_preserve_r6_to_r9");
}

//! Instruction builders, operand packets and edge-value tables.

use crate::ETH_HLEN;
use bpfbox_isa::{AluOp, Cond, Insn, Reg, Size, Src, Width};

pub(crate) fn alu(width: Width, op: AluOp, dst: Reg, src: Src) -> Insn {
    Insn::Alu {
        width,
        op,
        dst,
        src,
    }
}
pub(crate) fn alu32(op: AluOp, dst: Reg, src: Src) -> Insn {
    alu(Width::W32, op, dst, src)
}
pub(crate) fn alu64(op: AluOp, dst: Reg, src: Src) -> Insn {
    alu(Width::W64, op, dst, src)
}
pub(crate) fn mov(dst: Reg, imm: i32) -> Insn {
    alu64(AluOp::Mov, dst, Src::Imm(imm))
}
pub(crate) fn movr(dst: Reg, src: Reg) -> Insn {
    alu64(AluOp::Mov, dst, Src::Reg(src))
}
pub(crate) fn ld_abs(size: Size, imm: i32) -> Insn {
    Insn::LdAbs { size, imm }
}
pub(crate) fn ld_ind(size: Size, src: Reg, imm: i32) -> Insn {
    Insn::LdInd { size, src, imm }
}
pub(crate) const EXIT: Insn = Insn::Exit;

/// `r6 = r1` (LD_ABS needs the context in `r6`), then loads the 64-bit
/// big-endian operands at LD_ABS offsets 0, 8, 16, ... into `regs`.
/// Clobbers `r0..r5`.
pub(crate) fn load_operands(regs: &[Reg]) -> Vec<Insn> {
    let mut p = vec![movr(6, 1)];
    for (k, &r) in regs.iter().enumerate() {
        let off = 8 * k as i32;
        p.extend([
            ld_abs(Size::W, off),
            movr(r, 0),
            alu64(AluOp::Lsh, r, Src::Imm(32)),
            ld_abs(Size::W, off + 4),
            alu64(AluOp::Or, r, Src::Reg(0)),
        ]);
    }
    p
}

/// A packet whose LD_ABS bytes are the big-endian `operands`.
pub(crate) fn operand_packet(operands: &[u64]) -> Vec<u8> {
    let mut p = vec![0u8; ETH_HLEN];
    for v in operands {
        p.extend(v.to_be_bytes());
    }
    p
}

/// `r0 = reg` (low half) or `r0 = reg >> 32` (high half); `exit`.
pub(crate) fn return_half(reg: Reg, high: bool) -> Vec<Insn> {
    let mut p = vec![movr(0, reg)];
    if high {
        p.push(alu64(AluOp::Rsh, 0, Src::Imm(32)));
    }
    p.push(EXIT);
    p
}

/// 64-bit values at the edges of every ALU rule, including shift amounts
/// at and past both widths and registers whose high half differs from the
/// low one.
pub(crate) const EDGES: [u64; 26] = [
    0,
    1,
    2,
    3,
    31,
    32,
    33,
    63,
    64,
    65,
    0xff,
    0x80,
    0x7fff,
    0x8000,
    0x7fff_ffff,
    0x8000_0000,
    0xffff_ffff,
    0x1_0000_0000,
    0x1_0000_0001,
    0xffff_ffff_0000_0000,
    0xffff_ffff_8000_0000,
    0x8000_0000_0000_0001,
    i64::MAX as u64,
    i64::MIN as u64,
    u64::MAX,
    0x0123_4567_89ab_cdef,
];

pub(crate) const ALL_ALU_OPS: [AluOp; 14] = [
    AluOp::Add,
    AluOp::Sub,
    AluOp::Mul,
    AluOp::Div,
    AluOp::Sdiv,
    AluOp::Or,
    AluOp::And,
    AluOp::Lsh,
    AluOp::Rsh,
    AluOp::Mod,
    AluOp::Smod,
    AluOp::Xor,
    AluOp::Mov,
    AluOp::Arsh,
];

pub(crate) const CONDS: [Cond; 11] = [
    Cond::Eq,
    Cond::Gt,
    Cond::Ge,
    Cond::Set,
    Cond::Ne,
    Cond::Sgt,
    Cond::Sge,
    Cond::Lt,
    Cond::Le,
    Cond::Slt,
    Cond::Sle,
];

pub(crate) const WIDTHS: [Width; 2] = [Width::W32, Width::W64];

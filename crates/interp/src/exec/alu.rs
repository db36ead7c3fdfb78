//! ALU, negation and byte-order instructions; values from
//! [`bpfbox_isa::sem`].

use super::{ix, operand, Regs};
use bpfbox_isa::{sem, AluOp, Endian, Reg, Src, Width};

/// `dst op= src`.
#[inline(always)]
pub(super) fn alu(regs: &mut Regs, width: Width, op: AluOp, dst: Reg, src: Src) {
    let b = operand(src, regs);
    let d = &mut regs[ix(dst)];
    *d = sem::alu(width, op, *d, b);
}

/// `dst = -dst`.
#[inline(always)]
pub(super) fn neg(regs: &mut Regs, width: Width, dst: Reg) {
    let d = &mut regs[ix(dst)];
    *d = sem::neg(width, *d);
}

/// Byte-order conversion of `dst`.
#[inline(always)]
pub(super) fn end(regs: &mut Regs, kind: Endian, bits: u8, dst: Reg) {
    let d = &mut regs[ix(dst)];
    *d = sem::endian(kind, bits, *d);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn imm_is_sign_extended_and_32_bit_zero_extends() {
        let mut r = [0u64; 16];
        r[1] = u64::MAX;
        alu(&mut r, Width::W64, AluOp::Add, 1, Src::Imm(-1));
        assert_eq!(r[1], u64::MAX - 1);
        alu(&mut r, Width::W32, AluOp::Add, 1, Src::Imm(0));
        assert_eq!(r[1], 0xffff_fffe);
        r[2] = 3;
        alu(&mut r, Width::W64, AluOp::Mul, 1, Src::Reg(2));
        assert_eq!(r[1], 0x2_ffff_fffa);
        neg(&mut r, Width::W32, 2);
        assert_eq!(r[2], 0xffff_fffd);
        end(&mut r, Endian::ToBe, 16, 2);
        assert_eq!(r[2], 0xfdff);
    }
}

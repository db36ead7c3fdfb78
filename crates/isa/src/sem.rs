//! The value semantics of every computing instruction, as plain functions:
//! one definition shared by the interpreter, the verifier's constant folding
//! and the JIT's tests. These follow the kernel's interpreter
//! (`___bpf_prog_run` in kernel/bpf/core.c) and the verifier's rewrites for
//! division: `x / 0 = 0`, `x % 0 = x`, `INT_MIN s/ -1 = INT_MIN`,
//! `x s% -1 = 0`; shift amounts are masked to the operand width; 32-bit
//! results zero-extend into the 64-bit register.

use crate::insn::{AluOp, Cond, Endian, Src, Width};

/// The second operand's value as the instruction sees it: an immediate is
/// sign-extended to 64 bits (and then truncated for 32-bit operations).
#[inline(always)]
pub fn operand(src: Src, regs: &[u64; 11]) -> u64 {
    match src {
        Src::Reg(r) => regs[r as usize],
        Src::Imm(i) => i as i64 as u64,
    }
}

/// 64-bit ALU operation.
#[inline(always)]
pub fn alu64(op: AluOp, a: u64, b: u64) -> u64 {
    match op {
        AluOp::Add => a.wrapping_add(b),
        AluOp::Sub => a.wrapping_sub(b),
        AluOp::Mul => a.wrapping_mul(b),
        AluOp::Div => a.checked_div(b).unwrap_or(0),
        AluOp::Sdiv => match b as i64 {
            0 => 0,
            d => (a as i64).wrapping_div(d) as u64,
        },
        AluOp::Or => a | b,
        AluOp::And => a & b,
        AluOp::Lsh => a << (b & 63),
        AluOp::Rsh => a >> (b & 63),
        AluOp::Mod => a.checked_rem(b).unwrap_or(a),
        AluOp::Smod => match b as i64 {
            0 => a,
            d => (a as i64).wrapping_rem(d) as u64,
        },
        AluOp::Xor => a ^ b,
        AluOp::Mov => b,
        AluOp::Movsx(8) => b as i8 as i64 as u64,
        AluOp::Movsx(16) => b as i16 as i64 as u64,
        AluOp::Movsx(_) => b as i32 as i64 as u64,
        AluOp::Arsh => ((a as i64) >> (b & 63)) as u64,
    }
}

/// 32-bit ALU operation on the low halves; the caller zero-extends.
#[inline(always)]
pub fn alu32(op: AluOp, a: u32, b: u32) -> u32 {
    match op {
        AluOp::Add => a.wrapping_add(b),
        AluOp::Sub => a.wrapping_sub(b),
        AluOp::Mul => a.wrapping_mul(b),
        AluOp::Div => a.checked_div(b).unwrap_or(0),
        AluOp::Sdiv => match b as i32 {
            0 => 0,
            d => (a as i32).wrapping_div(d) as u32,
        },
        AluOp::Or => a | b,
        AluOp::And => a & b,
        AluOp::Lsh => a << (b & 31),
        AluOp::Rsh => a >> (b & 31),
        AluOp::Mod => a.checked_rem(b).unwrap_or(a),
        AluOp::Smod => match b as i32 {
            0 => a,
            d => (a as i32).wrapping_rem(d) as u32,
        },
        AluOp::Xor => a ^ b,
        AluOp::Mov => b,
        AluOp::Movsx(8) => b as i8 as i32 as u32,
        AluOp::Movsx(_) => b as i16 as i32 as u32,
        AluOp::Arsh => ((a as i32) >> (b & 31)) as u32,
    }
}

/// ALU operation of either width on full register values; the result is
/// what the destination register holds afterwards.
#[inline(always)]
pub fn alu(width: Width, op: AluOp, a: u64, b: u64) -> u64 {
    match width {
        Width::W64 => alu64(op, a, b),
        Width::W32 => alu32(op, a as u32, b as u32) as u64,
    }
}

/// Negation of either width.
#[inline(always)]
pub fn neg(width: Width, a: u64) -> u64 {
    match width {
        Width::W64 => a.wrapping_neg(),
        Width::W32 => (a as u32).wrapping_neg() as u64,
    }
}

/// Byte-order conversion of the low `bits` of `v`; the result is
/// zero-extended. The host byte order of bpfbox's model is little endian,
/// as on x86-64.
#[inline(always)]
pub fn endian(kind: Endian, bits: u8, v: u64) -> u64 {
    let swap = !matches!(kind, Endian::ToLe);
    match (bits, swap) {
        (16, false) => v as u16 as u64,
        (16, true) => (v as u16).swap_bytes() as u64,
        (32, false) => v as u32 as u64,
        (32, true) => (v as u32).swap_bytes() as u64,
        (_, false) => v,
        (_, true) => v.swap_bytes(),
    }
}

/// Jump condition on 64-bit operands.
#[inline(always)]
pub fn cond64(cond: Cond, a: u64, b: u64) -> bool {
    match cond {
        Cond::Eq => a == b,
        Cond::Gt => a > b,
        Cond::Ge => a >= b,
        Cond::Set => a & b != 0,
        Cond::Ne => a != b,
        Cond::Sgt => (a as i64) > (b as i64),
        Cond::Sge => (a as i64) >= (b as i64),
        Cond::Lt => a < b,
        Cond::Le => a <= b,
        Cond::Slt => (a as i64) < (b as i64),
        Cond::Sle => (a as i64) <= (b as i64),
    }
}

/// Jump condition on the low 32 bits.
#[inline(always)]
pub fn cond32(cond: Cond, a: u32, b: u32) -> bool {
    match cond {
        Cond::Eq => a == b,
        Cond::Gt => a > b,
        Cond::Ge => a >= b,
        Cond::Set => a & b != 0,
        Cond::Ne => a != b,
        Cond::Sgt => (a as i32) > (b as i32),
        Cond::Sge => (a as i32) >= (b as i32),
        Cond::Lt => a < b,
        Cond::Le => a <= b,
        Cond::Slt => (a as i32) < (b as i32),
        Cond::Sle => (a as i32) <= (b as i32),
    }
}

/// Jump condition of either width.
#[inline(always)]
pub fn cond(width: Width, c: Cond, a: u64, b: u64) -> bool {
    match width {
        Width::W64 => cond64(c, a, b),
        Width::W32 => cond32(c, a as u32, b as u32),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn division_by_zero_like_the_kernel() {
        assert_eq!(alu64(AluOp::Div, 7, 0), 0);
        assert_eq!(alu64(AluOp::Mod, 7, 0), 7);
        assert_eq!(alu(Width::W32, AluOp::Mod, 0x1_0000_0007, 0), 7);
        assert_eq!(
            alu64(AluOp::Sdiv, i64::MIN as u64, -1i64 as u64),
            i64::MIN as u64
        );
        assert_eq!(alu64(AluOp::Smod, i64::MIN as u64, -1i64 as u64), 0);
        assert_eq!(alu64(AluOp::Smod, -7i64 as u64, 2), -1i64 as u64);
        assert_eq!(
            alu32(AluOp::Sdiv, i32::MIN as u32, u32::MAX),
            i32::MIN as u32
        );
    }

    #[test]
    fn shifts_are_masked_and_32_bit_zero_extends() {
        assert_eq!(alu64(AluOp::Lsh, 1, 65), 2);
        assert_eq!(alu(Width::W32, AluOp::Lsh, 1, 33), 2);
        assert_eq!(alu(Width::W32, AluOp::Arsh, 0x8000_0000, 4), 0xf800_0000);
        assert_eq!(alu(Width::W32, AluOp::Add, u64::MAX, 1), 0);
        assert_eq!(neg(Width::W32, 1), 0xffff_ffff);
    }

    #[test]
    fn movsx_and_swaps() {
        assert_eq!(alu64(AluOp::Movsx(8), 0, 0x80), 0xffff_ffff_ffff_ff80);
        assert_eq!(alu(Width::W32, AluOp::Movsx(16), 0, 0x8000), 0xffff_8000);
        assert_eq!(endian(Endian::ToBe, 16, 0x1234_5678), 0x7856);
        assert_eq!(endian(Endian::ToLe, 32, 0x1_2345_6789), 0x2345_6789);
        assert_eq!(
            endian(Endian::Swap, 64, 0x0102_0304_0506_0708),
            0x0807_0605_0403_0201
        );
    }

    #[test]
    fn conditions() {
        assert!(cond(Width::W64, Cond::Sgt, 1, -1i64 as u64));
        assert!(!cond(Width::W64, Cond::Gt, 1, -1i64 as u64));
        assert!(cond(Width::W32, Cond::Eq, 0x1_0000_0005, 5));
        assert!(cond(Width::W32, Cond::Slt, 0xffff_ffff, 0));
    }
}

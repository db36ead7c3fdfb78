//! Conditional jumps and `may_goto`.

use super::{ix, operand, Regs};
use crate::vm::Vm;
use bpfbox_isa::{sem, Cond, Reg, Src, Width};

/// Whether the conditional jump is taken.
#[inline(always)]
pub(super) fn taken(regs: &Regs, width: Width, cond: Cond, dst: Reg, src: Src) -> bool {
    sem::cond(width, cond, regs[ix(dst)], operand(src, regs))
}

impl<H> Vm<'_, H> {
    /// `may_goto`: true (jump) once the current frame's loop budget is
    /// spent, otherwise spends one unit and falls through.
    #[inline(always)]
    pub(super) fn may_goto_exhausted(&mut self) -> bool {
        match self.frames.last_mut() {
            Some(f) if f.loops > 0 => {
                f.loops -= 1;
                false
            }
            _ => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conditions_read_the_right_registers() {
        let mut r = [0u64; 16];
        r[3] = 5;
        r[4] = 0x1_0000_0005;
        assert!(taken(&r, Width::W32, Cond::Eq, 3, Src::Reg(4)));
        assert!(!taken(&r, Width::W64, Cond::Eq, 3, Src::Reg(4)));
        assert!(taken(&r, Width::W64, Cond::Sgt, 3, Src::Imm(-1)));
        assert!(!taken(&r, Width::W64, Cond::Gt, 3, Src::Imm(-1)));
    }
}

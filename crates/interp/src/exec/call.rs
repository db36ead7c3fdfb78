//! Helper calls, `callx`, bpf-to-bpf returns and tail calls.

use super::Flow;
use super::{ix, Regs};
use crate::helpers::HelperFn;
use crate::program::func_slot;
use crate::trap::Trap;
use crate::vm::Vm;
use bpfbox_isa::{Insn, Reg};

/// What a `callx` turned out to be.
pub(super) enum CallX<H> {
    /// Call this helper (with this id), then continue after the call.
    Helper(HelperFn<H>, i32),
    /// A local call was pushed; continue at this slot.
    Local(usize),
}

impl<H> Vm<'_, H> {
    /// Calls a helper with `r1..r5`, putting its result in `r0`. The
    /// caller syncs the budget so the helper can run callbacks.
    #[inline(always)]
    pub(super) fn call_helper(
        &mut self,
        f: HelperFn<H>,
        id: i32,
        pc: usize,
        regs: &mut Regs,
    ) -> Result<(), Trap> {
        self.pc = pc;
        self.helper_id = id;
        regs[0] = f(self, [regs[1], regs[2], regs[3], regs[4], regs[5]])?;
        Ok(())
    }

    /// `callx reg`: a value that fits an `i32` is a helper id (the
    /// bpf_conformance convention); a sub-program address loaded with
    /// `lddw rX, func` makes a bpf-to-bpf call; anything else traps.
    #[inline(never)]
    pub(super) fn callx(
        &mut self,
        insns: &[Insn],
        regs: &mut Regs,
        pc: usize,
        reg: Reg,
    ) -> Result<CallX<H>, Trap> {
        let value = regs[ix(reg)];
        if let Ok(id) = i32::try_from(value) {
            let f = self
                .helpers
                .get(id)
                .ok_or_else(|| Trap::unknown_helper(pc, id))?;
            return Ok(CallX::Helper(f, id));
        }
        match func_slot(value) {
            Some(t) if matches!(insns.get(t), Some(i) if *i != Insn::LdImm64Hi) => {
                regs[10] = self.push_frame(pc, pc + 1, super::saved(regs))?;
                Ok(CallX::Local(t))
            }
            _ => Err(Trap::bad_call_target(pc, value)),
        }
    }

    /// `exit`: pops a frame and returns the slot to continue at, or `None`
    /// when the function in frame `base` returned.
    #[inline(always)]
    pub(super) fn ret(&mut self, regs: &mut Regs, base: usize) -> Option<usize> {
        if self.frames.len() <= base + 1 {
            return None;
        }
        self.pop_frame(regs)
    }

    #[inline(never)]
    fn pop_frame(&mut self, regs: &mut Regs) -> Option<usize> {
        let f = self.frames.pop()?;
        regs[6..10].copy_from_slice(&f.saved);
        regs[10] = self.frame_pointer(self.frames.len() - 1);
        self.sync_stack_window();
        Some(f.ret_pc)
    }

    /// After a helper requested a tail call: hand it to the outer run loop,
    /// which unwinds all frames. Not possible inside a callback.
    #[cold]
    #[inline(never)]
    pub(super) fn tail_call(&mut self, pc: usize, regs: &Regs, base: usize) -> Result<Flow, Trap> {
        match self.pending_tail.take() {
            Some(p) if base == 0 => Ok(Flow::TailCall(p, regs[1])),
            _ => Err(Trap::tail_call_in_callback(pc)),
        }
    }
}

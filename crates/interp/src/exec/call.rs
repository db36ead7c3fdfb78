//! Helper calls, `callx`, bpf-to-bpf returns and tail calls.

use super::Flow;
use crate::helpers::HelperFn;
use crate::program::func_slot;
use crate::trap::Trap;
use crate::vm::Vm;
use bpfbox_isa::{Insn, Reg};

/// What a `callx` turned out to be.
pub(super) enum CallX {
    /// A helper ran; continue after the call.
    Helper,
    /// A local call was pushed; continue at this slot.
    Local(usize),
}

impl<H> Vm<'_, H> {
    /// Calls a helper with `r1..r5`, putting its result in `r0`. The VM's
    /// budget and pc are synced first so the helper can run callbacks.
    #[inline(always)]
    pub(super) fn call_helper(
        &mut self,
        f: HelperFn<H>,
        id: i32,
        pc: usize,
        regs: &mut [u64; 11],
        budget: &mut u64,
    ) -> Result<(), Trap> {
        self.pc = pc;
        self.helper_id = id;
        self.budget = *budget;
        let r = f(self, [regs[1], regs[2], regs[3], regs[4], regs[5]]);
        *budget = self.budget;
        regs[0] = r?;
        Ok(())
    }

    /// `callx reg`: a value that fits an `i32` is a helper id (the
    /// bpf_conformance convention); a sub-program address loaded with
    /// `lddw rX, func` makes a bpf-to-bpf call; anything else traps.
    #[inline(never)]
    pub(super) fn callx(
        &mut self,
        insns: &[Insn],
        regs: &mut [u64; 11],
        pc: usize,
        reg: Reg,
        budget: &mut u64,
    ) -> Result<CallX, Trap> {
        let value = regs[reg as usize];
        if let Ok(id) = i32::try_from(value) {
            let f = self
                .helpers
                .get(id)
                .ok_or_else(|| Trap::unknown_helper(pc, id))?;
            self.call_helper(f, id, pc, regs, budget)?;
            return Ok(CallX::Helper);
        }
        match func_slot(value) {
            Some(t) if matches!(insns.get(t), Some(i) if *i != Insn::LdImm64Hi) => {
                regs[10] = self.push_frame(pc, pc + 1, regs)?;
                Ok(CallX::Local(t))
            }
            _ => Err(Trap::bad_call_target(pc, value)),
        }
    }

    /// `exit`: pops a frame and returns the slot to continue at, or `None`
    /// when the function in frame `base` returned.
    #[inline(always)]
    pub(super) fn ret(&mut self, regs: &mut [u64; 11], base: usize) -> Option<usize> {
        if self.frames.len() <= base + 1 {
            return None;
        }
        self.pop_frame(regs)
    }

    #[inline(never)]
    fn pop_frame(&mut self, regs: &mut [u64; 11]) -> Option<usize> {
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
    pub(super) fn tail_call(
        &mut self,
        pc: usize,
        regs: &[u64; 11],
        base: usize,
    ) -> Result<Flow, Trap> {
        match self.pending_tail.take() {
            Some(p) if base == 0 => Ok(Flow::TailCall(p, regs[1])),
            _ => Err(Trap::tail_call_in_callback(pc)),
        }
    }
}

//! Helper calls, `callx`, bpf-to-bpf returns and tail calls.

use super::Flow;
use super::{ix, Regs};
use crate::helpers::HelperFn;
use crate::program::func_slot;
use crate::trap::Trap;
use crate::vm::{Vm, MAY_GOTO_BUDGET};
use bpfbox_isa::{Insn, Reg};
use std::sync::Arc;

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

    /// A helper (or kfunc) call at `pc` and what follows it: the next slot,
    /// or, when the helper requested a tail call, where [`Vm::tail_call`]
    /// leads. The caller syncs the budget around it.
    #[inline(always)]
    pub(super) fn helper_step(
        &mut self,
        f: HelperFn<H>,
        id: i32,
        pc: usize,
        regs: &mut Regs,
        base: usize,
    ) -> Result<Step, Trap> {
        self.call_helper(f, id, pc, regs)?;
        if self.pending_tail.is_none() {
            return Ok(Step::Next(pc + 1));
        }
        Ok(match self.tail_call(pc, regs, base)? {
            TailOutcome::Leave(flow) => Step::Leave(flow),
            TailOutcome::Resume(ret) => Step::Next(ret),
        })
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

    /// After a helper requested a tail call. From the function the current
    /// `execute` started (frame `base`), the call leaves the loop: the
    /// caller replaces that function (the run loop for the main function).
    /// From a deeper sub-program, the new program replaces only that
    /// sub-program, as the kernel's JIT does (it jumps into the target in
    /// the same frame): it runs here in the sub-program's frame, and its
    /// `r0` returns to the sub-program's caller, which resumes at the
    /// returned slot. Not possible inside a callback.
    #[cold]
    #[inline(never)]
    pub(super) fn tail_call(
        &mut self,
        pc: usize,
        regs: &mut Regs,
        base: usize,
    ) -> Result<TailOutcome, Trap> {
        let Some(mut next) = self.pending_tail.take() else {
            return Err(Trap::tail_call_in_callback(pc));
        };
        if self.callbacks > 0 {
            return Err(Trap::tail_call_in_callback(pc));
        }
        let depth = self.frames.len() - 1;
        if depth == base {
            return Ok(TailOutcome::Leave(Flow::TailCall(next, regs[1])));
        }
        let outer = self.prog.clone();
        let mut ctx = regs[1];
        self.tail_frames += 1;
        let result = loop {
            self.prog = Some(Arc::clone(&next));
            if let Some(f) = self.frames.last_mut() {
                f.loops = MAY_GOTO_BUDGET;
            }
            // The kernel jumps without clearing registers; r1 is the ctx.
            let mut r = [0u64; 11];
            r.copy_from_slice(&regs[..11]);
            r[1] = ctx;
            r[10] = self.frame_pointer(depth);
            match self.execute(&next, 0, &mut r, depth) {
                Ok(Flow::Exit(v)) => break Ok(v),
                Ok(Flow::TailCall(p, c)) => {
                    next = p;
                    ctx = c;
                }
                Err(t) => break Err(t),
            }
        };
        self.tail_frames -= 1;
        self.prog = outer;
        regs[0] = result?;
        match self.ret(regs, base) {
            Some(ret) => Ok(TailOutcome::Resume(ret)),
            None => Err(Trap::tail_call_in_callback(pc)),
        }
    }
}

/// Where the loop goes after a helper call.
pub(super) enum Step {
    /// Continue at this slot.
    Next(usize),
    /// Leave the loop with this flow.
    Leave(Flow),
}

/// How a tail call continues the instruction loop.
pub(super) enum TailOutcome {
    /// Leave the loop with this flow (a tail call from frame `base`).
    Leave(Flow),
    /// The tail-called program ran in place of a sub-program and returned:
    /// continue at this slot.
    Resume(usize),
}

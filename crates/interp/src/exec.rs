//! The instruction loop: one `match` on the decoded [`Insn`], each arm a
//! short call into a handler module by category. Dispatch lives only here so
//! a different dispatch backend can replace it without touching handlers.
//!
//! The instruction budget is a local (`budget`), synced with the VM only
//! around helper calls and on exit; traps are built in `#[cold]` functions.

mod alu;
mod atomic;
mod call;
mod jmp;
mod mem;

use crate::program::Program;
use crate::trap::Trap;
use crate::vm::Vm;
use bpfbox_isa::Insn;
use std::sync::Arc;

/// How an [`Vm::execute`] call ended without a trap.
pub(crate) enum Flow {
    /// The function at the base frame returned `r0`.
    Exit(u64),
    /// A helper requested a tail call into this program with this ctx.
    TailCall(Arc<Program>, u64),
}

impl<H> Vm<'_, H> {
    /// Runs `prog` from `pc` until the function in frame `base` (which the
    /// caller pushed) exits. `regs` are the registers of the running frame.
    #[inline(never)]
    pub(crate) fn execute(
        &mut self,
        prog: &Program,
        pc: usize,
        regs: &mut [u64; 11],
        base: usize,
    ) -> Result<Flow, Trap> {
        let mut budget = self.budget;
        let r = self.execute_loop(prog.insns(), pc, regs, base, &mut budget);
        self.budget = budget;
        r
    }

    #[inline(always)]
    fn execute_loop(
        &mut self,
        insns: &[Insn],
        mut pc: usize,
        regs: &mut [u64; 11],
        base: usize,
        budget: &mut u64,
    ) -> Result<Flow, Trap> {
        loop {
            let Some(&insn) = insns.get(pc) else {
                return Err(Trap::fell_off(pc));
            };
            if *budget == 0 {
                return Err(Trap::insn_limit(pc));
            }
            *budget -= 1;
            match insn {
                Insn::Alu {
                    width,
                    op,
                    dst,
                    src,
                } => {
                    alu::alu(regs, width, op, dst, src);
                    pc += 1;
                }
                Insn::Neg { width, dst } => {
                    alu::neg(regs, width, dst);
                    pc += 1;
                }
                Insn::End { kind, bits, dst } => {
                    alu::end(regs, kind, bits, dst);
                    pc += 1;
                }
                Insn::Ja { target, .. } => pc = target,
                Insn::Jmp {
                    width,
                    cond,
                    dst,
                    src,
                    target,
                } => {
                    pc = if jmp::taken(regs, width, cond, dst, src) {
                        target
                    } else {
                        pc + 1
                    };
                }
                Insn::MayGoto { target } => {
                    pc = if self.may_goto_exhausted() {
                        target
                    } else {
                        pc + 1
                    };
                }
                Insn::Load {
                    size,
                    signed,
                    dst,
                    src,
                    off,
                } => {
                    self.load(regs, pc, size, signed, dst, src, off)?;
                    pc += 1;
                }
                Insn::Store {
                    size,
                    dst,
                    off,
                    src,
                } => {
                    self.store(regs, pc, size, dst, off, src)?;
                    pc += 1;
                }
                Insn::Atomic {
                    size,
                    op,
                    dst,
                    src,
                    off,
                } => {
                    self.atomic(regs, pc, size, op, dst, src, off)?;
                    pc += 1;
                }
                Insn::LdImm64 { dst, value } => {
                    regs[dst as usize] = mem::ld_imm64(pc, value)?;
                    pc += 2;
                }
                // Never reached: validation keeps jumps out of it and lddw
                // steps over it.
                Insn::LdImm64Hi => pc += 1,
                Insn::LdAbs { size, imm } => {
                    if !self.ld_abs(regs, pc, size, imm as i64 as u64)? {
                        regs[0] = 0;
                        match self.ret(regs, base) {
                            Some(ret) => pc = ret,
                            None => return Ok(Flow::Exit(0)),
                        }
                    } else {
                        pc += 1;
                    }
                }
                Insn::LdInd { size, src, imm } => {
                    let off = regs[src as usize].wrapping_add(imm as i64 as u64);
                    if !self.ld_abs(regs, pc, size, off)? {
                        regs[0] = 0;
                        match self.ret(regs, base) {
                            Some(ret) => pc = ret,
                            None => return Ok(Flow::Exit(0)),
                        }
                    } else {
                        pc += 1;
                    }
                }
                Insn::Call { helper } => {
                    let Some(f) = self.helpers.get(helper) else {
                        return Err(Trap::unknown_helper(pc, helper));
                    };
                    self.call_helper(f, helper, pc, regs, budget)?;
                    if self.pending_tail.is_some() {
                        return self.tail_call(pc, regs, base);
                    }
                    pc += 1;
                }
                Insn::CallLocal { target } => {
                    regs[10] = self.push_frame(pc, pc + 1, regs)?;
                    pc = target;
                }
                Insn::CallKfunc { btf_id, .. } => {
                    let Some(f) = self.helpers.get_kfunc(btf_id) else {
                        return Err(Trap::kfunc(pc, btf_id));
                    };
                    self.call_helper(f, btf_id, pc, regs, budget)?;
                    if self.pending_tail.is_some() {
                        return self.tail_call(pc, regs, base);
                    }
                    pc += 1;
                }
                Insn::CallX { reg } => match self.callx(insns, regs, pc, reg, budget)? {
                    call::CallX::Helper => {
                        if self.pending_tail.is_some() {
                            return self.tail_call(pc, regs, base);
                        }
                        pc += 1;
                    }
                    call::CallX::Local(target) => pc = target,
                },
                Insn::Exit => match self.ret(regs, base) {
                    Some(ret) => pc = ret,
                    None => return Ok(Flow::Exit(regs[0])),
                },
            }
        }
    }
}

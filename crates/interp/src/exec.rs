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
use bpfbox_isa::{sem, Insn, Reg, Src};
use std::sync::Arc;

/// How an [`Vm::execute`] call ended without a trap.
pub(crate) enum Flow {
    /// The function at the base frame returned `r0`.
    Exit(u64),
    /// A helper requested a tail call into this program with this ctx.
    TailCall(Arc<Program>, u64),
}

/// The loop's register file: 16 slots so that masking a register number
/// with 15 is a proven-in-bounds index (validation keeps numbers <= 10).
pub(crate) type Regs = [u64; 16];

/// Index of register `r` (see [`Regs`]).
#[inline(always)]
pub(crate) fn ix(r: Reg) -> usize {
    (r & 15) as usize
}

/// The second operand's value; immediates follow [`sem::operand`].
#[inline(always)]
pub(crate) fn operand(src: Src, regs: &Regs) -> u64 {
    match src {
        Src::Reg(r) => regs[ix(r)],
        Src::Imm(_) => sem::operand(src, &[0; 11]),
    }
}

/// The callee-saved registers `r6..r9`.
#[inline(always)]
pub(crate) fn saved(regs: &Regs) -> [u64; 4] {
    [regs[6], regs[7], regs[8], regs[9]]
}

/// `?` for the loop: leaves it through the labelled block so the budget
/// and registers are written back.
macro_rules! tri {
    ($l:lifetime, $e:expr) => {
        match $e {
            Ok(v) => v,
            Err(t) => break $l Err(t),
        }
    };
}

impl<H> Vm<'_, H> {
    /// Runs `prog` from `pc` until the function in frame `base` (which the
    /// caller pushed) exits. `regs_io` holds the registers of the running
    /// frame on entry, and on exit when the result is a tail call. With a tracer installed, a separate
    /// instantiation of the loop calls it before every instruction; without
    /// one the loop carries no tracing code at all.
    pub(crate) fn execute(
        &mut self,
        prog: &Program,
        pc: usize,
        regs_io: &mut [u64; 11],
        base: usize,
    ) -> Result<Flow, Trap> {
        if self.tracer.is_some() {
            self.execute_loop::<true>(prog, pc, regs_io, base)
        } else {
            self.execute_loop::<false>(prog, pc, regs_io, base)
        }
    }

    #[inline(never)]
    fn execute_loop<const TRACE: bool>(
        &mut self,
        prog: &Program,
        mut pc: usize,
        regs_io: &mut [u64; 11],
        base: usize,
    ) -> Result<Flow, Trap> {
        // Locals, so the optimiser keeps them out of `self`.
        let mut local: Regs = [0; 16];
        local[..11].copy_from_slice(regs_io);
        let regs = &mut local;
        let mut budget = self.budget;
        let insns = prog.insns();
        let result = 'run: loop {
            let Some(insn) = insns.get(pc) else {
                break Err(Trap::fell_off(pc));
            };
            if budget == 0 {
                break Err(Trap::insn_limit(pc));
            }
            budget -= 1;
            if TRACE {
                self.trace(pc, insn, regs);
            }
            match *insn {
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
                    tri!('run, self.load(regs, pc, size, signed, dst, src, off));
                    pc += 1;
                }
                Insn::Store {
                    size,
                    dst,
                    off,
                    src,
                } => {
                    tri!('run, self.store(regs, pc, size, dst, off, src));
                    pc += 1;
                }
                Insn::Atomic {
                    size,
                    op,
                    dst,
                    src,
                    off,
                } => {
                    tri!('run, self.atomic(regs, pc, size, op, dst, src, off));
                    pc += 1;
                }
                Insn::LdImm64 { dst, value } => {
                    regs[ix(dst)] = tri!('run, mem::ld_imm64(pc, value));
                    pc += 2;
                }
                // Never reached: validation keeps jumps out of it and lddw
                // steps over it.
                Insn::LdImm64Hi => pc += 1,
                Insn::LdAbs { size, imm } => {
                    if tri!('run, self.ld_abs(regs, pc, size, imm as i64 as u64)) {
                        pc += 1;
                    } else {
                        regs[0] = 0;
                        match self.ret(regs, base) {
                            Some(ret) => pc = ret,
                            None => break Ok(Flow::Exit(0)),
                        }
                    }
                }
                Insn::LdInd { size, src, imm } => {
                    let off = regs[ix(src)].wrapping_add(imm as i64 as u64);
                    if tri!('run, self.ld_abs(regs, pc, size, off)) {
                        pc += 1;
                    } else {
                        regs[0] = 0;
                        match self.ret(regs, base) {
                            Some(ret) => pc = ret,
                            None => break Ok(Flow::Exit(0)),
                        }
                    }
                }
                Insn::Call { helper } => {
                    let Some(f) = self.helpers.get(helper) else {
                        break Err(Trap::unknown_helper(pc, helper));
                    };
                    self.budget = budget;
                    let step = self.helper_step(f, helper, pc, regs, base);
                    budget = self.budget;
                    match tri!('run, step) {
                        call::Step::Next(next) => pc = next,
                        call::Step::Leave(flow) => break Ok(flow),
                    }
                }
                Insn::CallLocal { target } => {
                    regs[10] = tri!('run, self.push_frame(pc, pc + 1, saved(regs)));
                    pc = target;
                }
                Insn::CallKfunc { btf_id, .. } => {
                    let Some(f) = self.helpers.get_kfunc(btf_id) else {
                        break Err(Trap::kfunc(pc, btf_id));
                    };
                    self.budget = budget;
                    let step = self.helper_step(f, btf_id, pc, regs, base);
                    budget = self.budget;
                    match tri!('run, step) {
                        call::Step::Next(next) => pc = next,
                        call::Step::Leave(flow) => break Ok(flow),
                    }
                }
                Insn::CallX { reg } => match tri!('run, self.callx(insns, regs, pc, reg)) {
                    call::CallX::Helper(f, id) => {
                        self.budget = budget;
                        let step = self.helper_step(f, id, pc, regs, base);
                        budget = self.budget;
                        match tri!('run, step) {
                            call::Step::Next(next) => pc = next,
                            call::Step::Leave(flow) => break Ok(flow),
                        }
                    }
                    call::CallX::Local(target) => pc = target,
                },
                Insn::Exit => match self.ret(regs, base) {
                    Some(ret) => pc = ret,
                    None => break Ok(Flow::Exit(regs[0])),
                },
            }
        };
        self.budget = budget;
        // Only a tail call continues with these registers; copying them out
        // on every exit would also stall on store forwarding.
        if let Ok(Flow::TailCall(..)) = result {
            regs_io.copy_from_slice(&local[..11]);
        }
        result
    }

    #[cold]
    #[inline(never)]
    fn trace(&mut self, pc: usize, insn: &Insn, regs: &Regs) {
        if let Some(t) = self.tracer.as_mut() {
            t(pc, insn, &regs[..11]);
        }
    }
}

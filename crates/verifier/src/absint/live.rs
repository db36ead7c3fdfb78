//! Static liveness of registers and stack slots, for state pruning: at a
//! prune point, a register or slot no path reads before writing it is
//! dead, and pruning ignores it, as the kernel's `states_equal` ignores
//! registers without read marks. Also a static precision (a scalar whose
//! value can reach no decision is imprecise), which only `may_goto`
//! widening uses; pruning uses the per-path marks of [`super::precise`].
//!
//! The kernel marks reads per path (`mark_reg_read`); these are per
//! instruction and over every path of the function, so they are
//! supersets of the kernel's marks: pruning with them never accepts a
//! state the kernel's pruning would explore and refuse.

use crate::cfg::{succs, Cfg};
use crate::flow::{reads, ExitKind};
use crate::options::Options;
use bpfbox_isa::{AluOp, AtomicOp, Insn, Src, Width};

/// Registers `r0`..`r9` as bits.
pub type Regs = u16;

/// `r0`..`r5`: what a call clobbers.
const CALLER_SAVED: Regs = 0b11_1111;
/// `r1`..`r5`: a call's arguments.
const ARGS: Regs = 0b11_1110;

const fn bit(r: u8) -> Regs {
    if r < 10 {
        1 << r
    } else {
        0
    }
}

/// Per slot, the registers live and precise before it.
#[derive(Debug, Clone, Default)]
pub struct Live {
    /// Read on some path from here before being written.
    pub live: Vec<Regs>,
    /// Their value may reach a decision on some path from here.
    pub precise: Vec<Regs>,
    /// Stack slots of the current frame (bit `i`: `fp-8*(i+1)`..`fp-8*i`)
    /// some path from here reads before overwriting them whole.
    pub stack: Vec<u64>,
}

/// Stack precision before `insn` given after it, and whether a register
/// stored by it is precise.
fn stack_precise_before(insn: &Insn, after: u64, p_after: Regs, escaped: u64) -> (u64, bool) {
    match *insn {
        Insn::Load {
            src: 10,
            dst,
            off,
            size,
            ..
        } => {
            let o = off as i64;
            let s = if p_after & bit(dst) != 0 {
                slots(o, o + size.bytes() as i64)
            } else {
                0
            };
            (after | s, false)
        }
        Insn::Store {
            dst: 10, off, size, ..
        } => {
            let o = off as i64;
            let covered = slots(o, o + size.bytes() as i64);
            let (_, kills) = stack_effect(insn, 0);
            (after & !kills, after & covered != 0)
        }
        Insn::Store { .. } => (after, true),
        Insn::Atomic {
            dst: 10, off, size, ..
        } => {
            let o = off as i64;
            (after | slots(o, o + size.bytes() as i64), true)
        }
        _ => {
            let (reads, _) = stack_effect(insn, escaped);
            (after | reads, true)
        }
    }
}

/// The slots covering stack bytes `lo..hi` (negative offsets).
fn slots(lo: i64, hi: i64) -> u64 {
    let mut m = 0u64;
    let mut b = lo.max(-512);
    while b < hi.min(0) {
        m |= 1 << ((-b - 1) / 8);
        b += 1;
    }
    m
}

/// Stack slots an instruction reads, and the slots it overwrites whole,
/// given the slots reachable through pointers other than `r10`
/// (`escaped`).
fn stack_effect(insn: &Insn, escaped: u64) -> (u64, u64) {
    match *insn {
        Insn::Load {
            src: 10, off, size, ..
        } => {
            let o = off as i64;
            (slots(o, o + size.bytes() as i64), 0)
        }
        Insn::Store {
            dst: 10, off, size, ..
        } => {
            let o = off as i64;
            let whole = if size.bytes() == 8 && o % 8 == 0 {
                slots(o, o + 8)
            } else {
                0
            };
            (0, whole)
        }
        Insn::Atomic {
            dst: 10, off, size, ..
        } => {
            let o = off as i64;
            (slots(o, o + size.bytes() as i64), 0)
        }
        Insn::Load { .. }
        | Insn::Store { .. }
        | Insn::Atomic { .. }
        | Insn::Call { .. }
        | Insn::CallLocal { .. }
        | Insn::CallKfunc { .. }
        | Insn::CallX { .. } => (escaped, 0),
        _ => (0, 0),
    }
}

fn defs(insn: &Insn) -> Regs {
    match *insn {
        Insn::Alu { dst, .. }
        | Insn::Neg { dst, .. }
        | Insn::End { dst, .. }
        | Insn::LdImm64 { dst, .. }
        | Insn::Load { dst, .. } => bit(dst),
        Insn::Atomic {
            op: AtomicOp::LoadAcquire,
            dst,
            ..
        } => bit(dst),
        Insn::Call { .. }
        | Insn::CallLocal { .. }
        | Insn::CallKfunc { .. }
        | Insn::CallX { .. }
        | Insn::LdAbs { .. }
        | Insn::LdInd { .. } => CALLER_SAVED,
        _ => 0,
    }
}

fn uses(insn: &Insn, opts: &Options) -> Regs {
    let listed = reads(insn, ExitKind::Main, opts)
        .as_slice()
        .iter()
        .fold(0, |m, &r| m | bit(r));
    match insn {
        Insn::Call { helper } if opts.helper_args.and_then(|f| f(*helper)).is_none() => ARGS,
        Insn::CallLocal { .. } | Insn::CallKfunc { .. } | Insn::CallX { .. } => listed | ARGS,
        Insn::Exit => bit(0),
        _ => listed,
    }
}

/// Precision before `insn` given precision after it.
fn precise_before(insn: &Insn, after: Regs, ret_checked: bool, opts: &Options) -> Regs {
    match *insn {
        Insn::Alu {
            op: AluOp::Mov | AluOp::Movsx(_),
            dst,
            src,
            ..
        } => {
            let from = match src {
                Src::Reg(s) if after & bit(dst) != 0 => bit(s),
                _ => 0,
            };
            (after & !bit(dst)) | from
        }
        Insn::Alu {
            width,
            op,
            dst,
            src,
            ..
        } => {
            let s = match src {
                Src::Reg(s) => bit(s),
                Src::Imm(_) => 0,
            };
            // `ptr += scalar` marks the scalar precise.
            let ptr_arith = s != 0 && width == Width::W64 && matches!(op, AluOp::Add | AluOp::Sub);
            if ptr_arith || after & bit(dst) != 0 {
                after | bit(dst) | s
            } else {
                after
            }
        }
        Insn::Jmp { dst, src, .. } => {
            after
                | bit(dst)
                | match src {
                    Src::Reg(s) => bit(s),
                    Src::Imm(_) => 0,
                }
        }
        Insn::Atomic { .. } => after | uses(insn, opts),
        Insn::Exit => {
            if ret_checked {
                bit(0)
            } else {
                0
            }
        }
        // The value goes on (or is replaced by a new one).
        Insn::Neg { .. } | Insn::End { .. } => after,
        // Calls and packet loads: the arguments and offsets are precise.
        _ if defs(insn) == CALLER_SAVED => (after & !CALLER_SAVED) | uses(insn, opts),
        _ => after & !defs(insn),
    }
}

/// Computes liveness and precision for every function of the program.
/// `main_ret_checked`: the program type checks the main program's return
/// value (its `r0` at `exit` is precise); a called function's `r0` is.
///
/// `escaped[f]`: the lowest stack offset of function `f` the walk has
/// seen accessed through a pointer other than `r10` (0: none); slots from
/// there up count as read wherever memory is accessed indirectly or a
/// function is called.
pub fn compute(
    insns: &[Insn],
    cfg: &Cfg,
    opts: &Options,
    main_ret_checked: bool,
    escaped: &[i64],
) -> Live {
    let n = insns.len();
    let mut live = vec![0 as Regs; n];
    let mut precise = vec![0 as Regs; n];
    let mut stack = vec![0u64; n];
    let mut stack_precise = vec![0u64; n];
    let mut changed = true;
    while changed {
        changed = false;
        for pc in (0..n).rev() {
            let insn = &insns[pc];
            if matches!(insn, Insn::LdImm64Hi) {
                continue;
            }
            let (jump, next) = succs(insns, pc);
            let (mut l_out, mut p_out, mut s_out, mut sp_out) = (0, 0, 0u64, 0u64);
            for s in [jump, next].into_iter().flatten().filter(|&s| s < n) {
                l_out |= live[s];
                s_out |= stack[s];
                p_out |= precise[s];
                sp_out |= stack_precise[s];
            }
            let main = cfg.func_of.get(pc).is_some_and(|&f| f == 0);
            let l_in = uses(insn, opts) | (l_out & !defs(insn));
            let func = cfg.func_of.get(pc).copied().unwrap_or(0);
            let esc = slots(escaped.get(func).copied().unwrap_or(0), 0);
            let (reads, kills) = stack_effect(insn, esc);
            let s_in = reads | (s_out & !kills);
            let (sp_in, stored_precise) = stack_precise_before(insn, sp_out, p_out, esc);
            let sp_in = sp_in & s_in;
            let mut p_in = precise_before(insn, p_out, !main || main_ret_checked, opts);
            if let Insn::Store {
                src: Src::Reg(r), ..
            } = *insn
            {
                if stored_precise {
                    p_in |= bit(r);
                }
            }
            let p_in = p_in & l_in;
            if l_in != live[pc]
                || p_in != precise[pc]
                || s_in != stack[pc]
                || sp_in != stack_precise[pc]
            {
                live[pc] = l_in;
                precise[pc] = p_in;
                stack[pc] = s_in;
                stack_precise[pc] = sp_in;
                changed = true;
            }
        }
    }
    Live {
        live,
        precise,
        stack,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(text: &str, ret_checked: bool) -> Live {
        let raw = bpfbox_asm::assemble(&text.replace(';', "\n")).expect("assemble");
        let insns = bpfbox_isa::decode(&raw).expect("decode");
        let opts = Options::kernel();
        let mut diags = Vec::new();
        let cfg = crate::cfg::check(&insns, &opts, &mut diags).expect("cfg");
        compute(&insns, &cfg, &opts, ret_checked, &[0])
    }

    #[test]
    fn dead_and_imprecise_registers() {
        // r2 is dead at 1 (written before read); r3 is read but only
        // added to r0, which is returned unchecked.
        let l = run("r3 = 1; r2 = 5; r0 = 0; r0 += r3; r0 += 1; exit", false);
        assert_eq!(l.live[1] & bit(2), 0);
        assert_ne!(l.live[3] & bit(3), 0);
        // `r0 += r3` may be pointer arithmetic: r3 is precise there.
        assert_ne!(l.precise[3] & bit(3), 0);
        // A counter only incremented and returned unchecked is imprecise.
        let l = run("r0 = 0; r0 += 1; if r1 > 3 goto -2; exit", false);
        assert_eq!(l.precise[1] & bit(0), 0);
        assert_ne!(l.precise[1] & bit(1), 0);
        // ... and precise when the return value is checked.
        let l = run("r0 = 0; r0 += 1; if r1 > 3 goto -2; exit", true);
        assert_ne!(l.precise[1] & bit(0), 0);
    }

    #[test]
    fn stack_slots_live_until_overwritten() {
        // fp-8 is read at 2, overwritten whole at 1: dead at 0 and 1.
        let l = run(
            "*(u64 *)(r10 - 8) = r1; *(u64 *)(r10 - 8) = r1; r0 = *(u32 *)(r10 - 4); exit",
            false,
        );
        assert_eq!(l.stack[1], 0);
        assert_eq!(l.stack[2], 1);
        // fp-16 is never read.
        let l = run("*(u64 *)(r10 - 16) = r1; r0 = 0; exit", false);
        assert_eq!(l.stack[1], 0);
        assert_eq!(slots(-16, 0), 0b11);
        assert_eq!(slots(-12, -9), 0b10);
    }
}

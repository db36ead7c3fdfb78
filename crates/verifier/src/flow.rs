//! The forward dataflow shared by the register passes: per instruction, for
//! every register, whether it is initialised on all paths (and if not, one
//! reason why not), plus known constant values so that branches the kernel
//! would prove dead are not followed.
//!
//! The kernel explores paths one by one (`do_check`); this pass joins paths
//! at every instruction instead (must-initialised analysis over a flat
//! constant lattice). It reports the same uninitialised reads as the kernel
//! whenever the kernel's dead-branch pruning (`is_branch_taken`) only relies
//! on constants that survive such joins. Constants are tracked only through
//! the operations whose tracking Linux 6.18 does exactly (`mov`, `movsx`,
//! `lddw`, add, sub, mul, and, or, xor, in-range shifts, `neg`, byte swaps;
//! not division or modulo, as `tests/tests.rs` checks against the kernel);
//! anything else is unknown, so this pass never prunes a branch the kernel
//! would explore. Values in memory (spilled constants) are not tracked.

use crate::cfg::{callee, succs, Cfg};
use crate::options::Options;
use bpfbox_isa::{sem, AluOp, AtomicOp, Insn, LdImm64, Reg, Src, Width, FP};
use std::collections::BTreeSet;

/// What clobbered a register.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Clobber {
    /// A helper call.
    Helper,
    /// A kfunc call.
    Kfunc,
    /// `callx`.
    Callx,
    /// A bpf-to-bpf call.
    Local,
    /// `LD_ABS`/`LD_IND`.
    LdAbs,
}

/// Why a register holds no value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Origin {
    /// It was never written since its function started.
    Entry {
        /// First slot of the function.
        func_start: usize,
    },
    /// Not initialised in the caller at this call (for `r1`-`r5` of a
    /// called function).
    NotPassed {
        /// The call slot.
        call: usize,
    },
    /// Clobbered by a call or packet load.
    Clobbered {
        /// The clobbering slot.
        at: usize,
        /// By what.
        by: Clobber,
    },
    /// `r0` after a bpf-to-bpf call whose callee can return without
    /// setting it.
    CalleeReturn {
        /// The callee's `exit`.
        exit: usize,
    },
}

/// One register's abstract value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Val {
    /// Initialised, with its value when known.
    Init(Option<u64>),
    /// Not initialised on some path.
    Uninit(Origin),
}

impl Val {
    fn join(self, other: Val) -> Val {
        match (self, other) {
            (Val::Init(a), Val::Init(b)) => Val::Init(if a == b { a } else { None }),
            (Val::Uninit(o), Val::Init(_)) | (Val::Init(_), Val::Uninit(o)) => Val::Uninit(o),
            (Val::Uninit(a), Val::Uninit(b)) => Val::Uninit(a.max(b)),
        }
    }

    /// The known value.
    pub fn known(self) -> Option<u64> {
        match self {
            Val::Init(v) => v,
            Val::Uninit(_) => None,
        }
    }
}

/// Registers `r0`..`r10`.
pub(crate) type State = [Val; 11];

fn join(a: &mut State, b: &State) -> bool {
    let mut changed = false;
    for (x, &y) in a.iter_mut().zip(b) {
        let j = x.join(y);
        changed |= j != *x;
        *x = j;
    }
    changed
}

/// How a function's `exit` treats `r0`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ExitKind {
    /// The main program: `r0` is the return value (`check_return_code`).
    Main,
    /// A callback: `r0` must be a scalar (`prepare_func_exit`).
    Callback,
    /// A called function: `r0` goes back to the caller unchecked.
    Callee,
}

/// Registers an instruction reads, in the order the kernel checks them.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Reads {
    regs: [Reg; 6],
    len: u8,
}

impl Reads {
    fn push(&mut self, r: Reg) {
        if (self.len as usize) < self.regs.len() {
            self.regs[self.len as usize] = r;
            self.len += 1;
        }
    }

    fn with(regs: &[Reg]) -> Reads {
        let mut r = Reads::default();
        regs.iter().for_each(|&x| r.push(x));
        r
    }

    /// The registers.
    pub fn as_slice(&self) -> &[Reg] {
        &self.regs[..self.len as usize]
    }
}

/// What `insn` reads. `exit` reads `r0` except in a called function.
pub(crate) fn reads(insn: &Insn, exit: ExitKind, opts: &Options) -> Reads {
    match *insn {
        Insn::Alu {
            op: AluOp::Mov | AluOp::Movsx(_),
            src: Src::Reg(s),
            ..
        } => Reads::with(&[s]),
        Insn::Alu {
            op: AluOp::Mov | AluOp::Movsx(_),
            src: Src::Imm(_),
            ..
        } => Reads::default(),
        Insn::Alu {
            dst,
            src: Src::Reg(s),
            ..
        } => Reads::with(&[s, dst]),
        Insn::Alu {
            dst,
            src: Src::Imm(_),
            ..
        }
        | Insn::Neg { dst, .. }
        | Insn::End { dst, .. } => Reads::with(&[dst]),
        Insn::Jmp {
            dst,
            src: Src::Reg(s),
            ..
        } => Reads::with(&[dst, s]),
        Insn::Jmp {
            dst,
            src: Src::Imm(_),
            ..
        } => Reads::with(&[dst]),
        Insn::Load { src, .. } => Reads::with(&[src]),
        Insn::Store {
            dst,
            src: Src::Reg(s),
            ..
        } => Reads::with(&[s, dst]),
        Insn::Store {
            dst,
            src: Src::Imm(_),
            ..
        } => Reads::with(&[dst]),
        Insn::Atomic {
            op: AtomicOp::LoadAcquire,
            src,
            ..
        } => Reads::with(&[src]),
        Insn::Atomic {
            op: AtomicOp::Cmpxchg,
            dst,
            src,
            ..
        } => Reads::with(&[src, dst, 0]),
        Insn::Atomic { dst, src, .. } => Reads::with(&[src, dst]),
        Insn::LdAbs { .. } => Reads::with(&[6]),
        Insn::LdInd { src, .. } => Reads::with(&[6, src]),
        Insn::Call { helper } => {
            let n = opts.helper_args.and_then(|f| f(helper)).unwrap_or(0).min(5);
            let mut r = Reads::default();
            (1..=n).for_each(|a| r.push(a));
            r
        }
        Insn::CallX { reg } => Reads::with(&[reg]),
        Insn::Exit if exit != ExitKind::Callee => Reads::with(&[0]),
        _ => Reads::default(),
    }
}

/// The fixpoint: the state before each slot (`None` where no feasible path
/// arrives), and each function's exit kind.
pub(crate) struct Flow {
    /// State before each slot.
    pub states: Vec<Option<State>>,
    /// Per function (indexed like `Cfg::funcs`).
    pub exit_kinds: Vec<ExitKind>,
}

impl Flow {
    /// The feasible successors of the slot at `pc` given the state before
    /// it: a callee or callback entry first, then the fall-through slot,
    /// then the jump target.
    pub fn successors(&self, insns: &[Insn], pc: usize) -> Vec<usize> {
        let Some(st) = &self.states[pc] else {
            return Vec::new();
        };
        let (jump, next) = feasible(insns, pc, st);
        callee(&insns[pc])
            .into_iter()
            .chain(next)
            .chain(jump)
            .collect()
    }
}

impl Flow {
    /// The value of register `r` after the instruction at `pc` (on the
    /// edges inside its function), or `None` when `pc` is not reached or is
    /// a bpf-to-bpf call (whose effect depends on the callee).
    pub fn after(
        &self,
        insns: &[Insn],
        cfg: &Cfg,
        opts: &Options,
        pc: usize,
        r: Reg,
    ) -> Option<Val> {
        let mut st = self.states[pc]?;
        if matches!(insns[pc], Insn::CallLocal { .. }) {
            return None;
        }
        transfer(
            &insns[pc],
            pc,
            &mut st,
            self.exit_kinds[cfg.func_of[pc]],
            opts,
        );
        Some(st[r as usize])
    }

    /// Feasible successors of `pc` inside its function: (jump target,
    /// fall-through or return slot).
    pub fn local_successors(&self, insns: &[Insn], pc: usize) -> (Option<usize>, Option<usize>) {
        match &self.states[pc] {
            Some(st) => feasible(insns, pc, st),
            None => (None, None),
        }
    }
}

/// Intra-function successors, without a branch the known values decide.
fn feasible(insns: &[Insn], pc: usize, st: &State) -> (Option<usize>, Option<usize>) {
    let (jump, next) = succs(insns, pc);
    if let Insn::Jmp {
        width,
        cond,
        dst,
        src,
        ..
    } = insns[pc]
    {
        let b = match src {
            Src::Imm(i) => Some(i as i64 as u64),
            Src::Reg(r) => st[r as usize].known(),
        };
        if let (Some(a), Some(b)) = (st[dst as usize].known(), b) {
            return if sem::cond(width, cond, a, b) {
                (jump, None)
            } else {
                (None, next)
            };
        }
    }
    (jump, next)
}

fn set_known(st: &mut State, r: Reg, v: Option<u64>) {
    st[r as usize] = Val::Init(v);
}

fn clobber(st: &mut State, at: usize, by: Clobber) {
    st[1..=5].fill(Val::Uninit(Origin::Clobbered { at, by }));
    st[0] = Val::Init(None);
}

/// The value of an ALU result when the kernel tracks it exactly.
fn fold(width: Width, op: AluOp, a: Option<u64>, b: Option<u64>) -> Option<u64> {
    let bits = match width {
        Width::W64 => 64,
        Width::W32 => 32,
    };
    match op {
        AluOp::Mov | AluOp::Movsx(_) => b.map(|b| sem::alu(width, op, 0, b)),
        AluOp::Add | AluOp::Sub | AluOp::Mul | AluOp::And | AluOp::Or | AluOp::Xor => {
            Some(sem::alu(width, op, a?, b?))
        }
        AluOp::Lsh | AluOp::Rsh | AluOp::Arsh => {
            let (a, b) = (a?, b?);
            let amount = if width == Width::W32 {
                b as u32 as u64
            } else {
                b
            };
            (amount < bits).then(|| sem::alu(width, op, a, b))
        }
        _ => None,
    }
}

/// Applies `insn` to the state before it (reads already made initialised:
/// a read of an uninitialised register is reported once, then treated as
/// written so one mistake gives one diagnostic per path).
fn transfer(insn: &Insn, pc: usize, st: &mut State, exit: ExitKind, opts: &Options) {
    for &r in reads(insn, exit, opts).as_slice() {
        if let Val::Uninit(_) = st[r as usize] {
            st[r as usize] = Val::Init(None);
        }
    }
    match *insn {
        Insn::Alu {
            width,
            op,
            dst,
            src,
        } => {
            let b = match src {
                Src::Imm(i) => Some(i as i64 as u64),
                Src::Reg(r) => st[r as usize].known(),
            };
            let v = fold(width, op, st[dst as usize].known(), b);
            set_known(st, dst, v);
        }
        Insn::Neg { width, dst } => {
            let v = st[dst as usize].known().map(|a| sem::neg(width, a));
            set_known(st, dst, v);
        }
        Insn::End { kind, bits, dst } => {
            let v = st[dst as usize].known().map(|a| sem::endian(kind, bits, a));
            set_known(st, dst, v);
        }
        Insn::Load { dst, .. } => set_known(st, dst, None),
        Insn::Atomic { op, dst, src, .. } => match op {
            AtomicOp::LoadAcquire => set_known(st, dst, None),
            AtomicOp::Cmpxchg => set_known(st, 0, None),
            AtomicOp::Xchg
            | AtomicOp::Add { fetch: true }
            | AtomicOp::Or { fetch: true }
            | AtomicOp::And { fetch: true }
            | AtomicOp::Xor { fetch: true } => set_known(st, src, None),
            _ => {}
        },
        Insn::LdImm64 { dst, value } => {
            let v = match value {
                LdImm64::Imm(v) => Some(v),
                _ => None,
            };
            set_known(st, dst, v);
        }
        Insn::LdAbs { .. } | Insn::LdInd { .. } => clobber(st, pc, Clobber::LdAbs),
        Insn::Call { .. } => clobber(st, pc, Clobber::Helper),
        Insn::CallKfunc { .. } => clobber(st, pc, Clobber::Kfunc),
        Insn::CallX { .. } => clobber(st, pc, Clobber::Callx),
        _ => {}
    }
}

/// The state a function starts with.
fn entry_state(func_start: usize, init: impl Fn(Reg) -> Option<Val>) -> State {
    let mut st = [Val::Uninit(Origin::Entry { func_start }); 11];
    for r in 0..=FP {
        if let Some(v) = init(r) {
            st[r as usize] = v;
        }
    }
    st[FP as usize] = Val::Init(None);
    st
}

/// Runs the analysis to its fixpoint.
pub(crate) fn run(insns: &[Insn], cfg: &Cfg, opts: &Options) -> Flow {
    let nf = cfg.funcs.len();
    let exit_kinds: Vec<ExitKind> = cfg
        .funcs
        .iter()
        .enumerate()
        .map(|(i, f)| match (i, f.callback) {
            (0, _) => ExitKind::Main,
            (_, true) => ExitKind::Callback,
            _ => ExitKind::Callee,
        })
        .collect();
    // Per function: join of r0 at its reachable exits (None: no exit yet).
    let mut summary: Vec<Option<Val>> = vec![None; nf];
    let mut call_sites: Vec<Vec<usize>> = vec![Vec::new(); nf];
    for (pc, insn) in insns.iter().enumerate() {
        if let Insn::CallLocal { target } = *insn {
            if let Some(f) = cfg.func_at(target) {
                call_sites[f].push(pc);
            }
        }
    }
    let mut states: Vec<Option<State>> = vec![None; insns.len()];
    let mut work: BTreeSet<usize> = BTreeSet::new();
    let merge =
        |states: &mut Vec<Option<State>>, work: &mut BTreeSet<usize>, at: usize, st: &State| {
            let changed = match &mut states[at] {
                Some(old) => join(old, st),
                slot @ None => {
                    *slot = Some(*st);
                    true
                }
            };
            if changed {
                work.insert(at);
            }
        };
    let main = entry_state(0, |r| {
        opts.entry_regs.contains(r).then_some(Val::Init(None))
    });
    merge(&mut states, &mut work, 0, &main);
    while let Some(pc) = work.pop_first() {
        let Some(before) = states[pc] else { continue };
        let f = cfg.func_of[pc];
        let insn = &insns[pc];
        let mut after = before;
        transfer(insn, pc, &mut after, exit_kinds[f], opts);
        match *insn {
            Insn::CallLocal { target } => {
                let Some(g) = cfg.func_at(target) else {
                    continue;
                };
                let entry = entry_state(target, |r| match r {
                    1..=5 => Some(match before[r as usize] {
                        Val::Uninit(_) => Val::Uninit(Origin::NotPassed { call: pc }),
                        v => v,
                    }),
                    _ => None,
                });
                merge(&mut states, &mut work, target, &entry);
                if let Some(r0) = summary[g] {
                    let mut ret = after;
                    ret[1..=5].fill(Val::Uninit(Origin::Clobbered {
                        at: pc,
                        by: Clobber::Local,
                    }));
                    ret[0] = r0;
                    merge(&mut states, &mut work, pc + 1, &ret);
                }
                continue;
            }
            Insn::LdImm64 {
                value: LdImm64::Func(target),
                ..
            } => {
                // The helper that runs the callback decides its arguments;
                // without its prototype, r1-r5 are taken as set.
                let entry =
                    entry_state(target, |r| (1..=5).contains(&r).then_some(Val::Init(None)));
                merge(&mut states, &mut work, target, &entry);
            }
            Insn::Exit if exit_kinds[f] != ExitKind::Main => {
                // A constant returned on every path stays known to the
                // caller (the kernel copies r0 back, value included).
                let r0 = match after[0] {
                    Val::Uninit(_) => Val::Uninit(Origin::CalleeReturn { exit: pc }),
                    v => v,
                };
                let new = Some(summary[f].map_or(r0, |s| s.join(r0)));
                if new != summary[f] {
                    summary[f] = new;
                    for &c in &call_sites[f] {
                        if states[c].is_some() {
                            work.insert(c);
                        }
                    }
                }
            }
            _ => {}
        }
        let (jump, next) = feasible(insns, pc, &before);
        for t in jump.into_iter().chain(next) {
            merge(&mut states, &mut work, t, &after);
        }
    }
    Flow { states, exit_kinds }
}

/// An order of the reached slots close to the kernel's exploration order
/// (depth first, fall-through before the jump target, a callee before the
/// instruction after its call): diagnostics are sorted by it so the first
/// one is the error the kernel reports.
pub(crate) fn visit_order(insns: &[Insn], flow: &Flow) -> Vec<usize> {
    let mut rank = vec![usize::MAX; insns.len()];
    let mut next_rank = 0;
    let mut stack = vec![0usize];
    while let Some(pc) = stack.pop() {
        if rank[pc] != usize::MAX || flow.states[pc].is_none() {
            continue;
        }
        rank[pc] = next_rank;
        next_rank += 1;
        let mut succ = flow.successors(insns, pc);
        succ.retain(|&t| flow.states[t].is_some());
        // The stack is LIFO: push the last-explored first.
        stack.extend(succ.into_iter().rev());
    }
    rank
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn join_prefers_uninit_and_forgets_differing_constants() {
        let a = Val::Init(Some(1));
        assert_eq!(a.join(Val::Init(Some(1))), a);
        assert_eq!(a.join(Val::Init(Some(2))), Val::Init(None));
        let u = Val::Uninit(Origin::Entry { func_start: 0 });
        assert_eq!(a.join(u), u);
        assert_eq!(u.join(a), u);
        let c = Val::Uninit(Origin::Clobbered {
            at: 3,
            by: Clobber::Helper,
        });
        assert_eq!(u.join(c), c.join(u));
    }

    #[test]
    fn folding_only_where_the_kernel_is_exact() {
        assert_eq!(fold(Width::W64, AluOp::Add, Some(1), Some(2)), Some(3));
        assert_eq!(
            fold(Width::W32, AluOp::Mov, None, Some(u64::MAX)),
            Some(0xffff_ffff)
        );
        assert_eq!(fold(Width::W64, AluOp::Lsh, Some(1), Some(64)), None);
        assert_eq!(
            fold(Width::W32, AluOp::Lsh, Some(1), Some(31)),
            Some(1 << 31)
        );
        assert_eq!(fold(Width::W64, AluOp::Div, Some(4), Some(2)), None);
        assert_eq!(fold(Width::W64, AluOp::Add, None, Some(2)), None);
    }
}

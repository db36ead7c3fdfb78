//! The instruction loop (`do_check`): one path at a time, depth first,
//! the fall-through side of a branch first and the jump target pushed for
//! later, as the kernel does.

use super::branch;
use super::mem::{loaded, Access};
use super::precise::{self, Bits, Entry};
use super::prune::{Cp, Visit};
use super::scalar;
use super::state::{Frame, Reg, State, Ty};
use super::{Fail, Walk};
use crate::diag::Code;
use crate::flow::{reads, ExitKind};
use bpfbox_isa::{AtomicOp, Cond, Insn, LdImm64, Src, Width};
use std::rc::Rc;

/// The kernel's limit on processed instructions (`BPF_COMPLEXITY_LIMIT_INSNS`).
pub const INSN_LIMIT: u64 = 1_000_000;

/// A path waiting to be explored.
pub struct Path {
    pub pc: usize,
    pub st: State,
    pub parent: Option<Rc<Cp>>,
    pub history: Vec<(usize, bool)>,
    pub defs: Vec<[usize; 11]>,
    pub trail: precise::Trail,
}

/// What an instruction leads to.
pub(super) enum Step {
    /// Continue at this slot.
    Next(usize),
    /// The path ends here (program exit).
    End,
}

impl Walk<'_> {
    fn initial_state(&self) -> State {
        let mut f = Frame::new(0, usize::MAX, 0);
        for r in self.opts.entry_regs.iter() {
            if r == 1 {
                f.regs[1] = if self.opts.prog.is_some() {
                    Reg::ptr(Ty::Ctx)
                } else {
                    Reg::unknown()
                };
            } else if r < 10 {
                f.regs[r as usize] = Reg::unknown();
            }
        }
        State {
            frames: vec![f],
            refs: Vec::new(),
            lock: None,
            dynptrs: Vec::new(),
            unroll: 0,
        }
    }

    /// The program type checks the range of the main program's return
    /// value.
    fn ret_checked(&self) -> bool {
        self.spec
            .and_then(|s| s.ret.rule(self.attach))
            .is_some_and(|r| matches!(r.range, bpfbox_progtype::ret::RangeRule::Range { .. }))
    }

    fn prune_points(&self) -> Vec<bool> {
        let mut p = vec![false; self.insns.len()];
        for (pc, insn) in self.insns.iter().enumerate() {
            match *insn {
                Insn::MayGoto { target } => {
                    p[pc] = true;
                    p[target] = true;
                    if pc + 1 < p.len() {
                        p[pc + 1] = true;
                    }
                }
                Insn::Jmp { target, .. } => {
                    p[target] = true;
                    if pc + 1 < p.len() {
                        p[pc + 1] = true;
                    }
                }
                Insn::Ja { target, .. } => p[target] = true,
                Insn::Call { helper } if iterating(helper as u32) => {
                    // The callback's exit comes back to the call.
                    p[pc] = true;
                    if pc + 1 < p.len() {
                        p[pc + 1] = true;
                    }
                }
                Insn::CallLocal { .. } | Insn::Call { .. } if pc + 1 < p.len() => p[pc + 1] = true,
                _ => {}
            }
        }
        p
    }

    /// Explores every path of the main program, then every global
    /// function a call reached, each from its signature (in function
    /// order, again while new ones are reached); the first error ends the
    /// walk.
    pub(super) fn explore(&mut self) -> Result<(), Fail> {
        let prune = self.prune_points();
        let ret_checked = self.ret_checked();
        self.live =
            super::live::compute(self.insns, self.cfg, self.opts, ret_checked, &self.escaped);
        let mut visited: Vec<Vec<Rc<Cp>>> = vec![Vec::new(); self.insns.len()];
        let st = self.initial_state();
        self.explore_from(0, st, &prune, &mut visited)?;
        let mut done = vec![false; self.cfg.funcs.len()];
        loop {
            let Some(func) = (0..done.len()).find(|&f| self.globals_called[f] && !done[f]) else {
                return Ok(());
            };
            done[func] = true;
            let Some(g) = self.global(func) else { continue };
            if let Some(log) = &mut self.log {
                log.push(format!("Validating {}() func#{func}...", g.name));
            }
            let st = self.global_entry(func, g);
            self.explore_from(self.cfg.funcs[func].start, st, &prune, &mut visited)?;
        }
    }

    fn explore_from(
        &mut self,
        start: usize,
        st: State,
        prune: &[bool],
        visited: &mut [Vec<Rc<Cp>>],
    ) -> Result<(), Fail> {
        let has_may_goto = self.insns.iter().any(|i| matches!(i, Insn::MayGoto { .. }));
        let mut pending = vec![Path {
            pc: start,
            st,
            parent: None,
            history: Vec::new(),
            defs: Vec::new(),
            trail: Vec::new(),
        }];
        while let Some(path) = pending.pop() {
            let Path {
                mut pc,
                mut st,
                mut parent,
                history,
                defs,
                trail,
            } = path;
            self.history = history;
            self.defs = defs;
            self.trail = trail;
            loop {
                self.processed += 1;
                self.since_checkpoint.0 += 1;
                if matches!(
                    self.insns[pc],
                    Insn::Jmp { .. }
                        | Insn::Ja { .. }
                        | Insn::MayGoto { .. }
                        | Insn::Call { .. }
                        | Insn::CallLocal { .. }
                        | Insn::CallKfunc { .. }
                        | Insn::CallX { .. }
                        | Insn::Exit
                ) {
                    self.since_checkpoint.1 += 1;
                }
                if self.processed > INSN_LIMIT {
                    return Err(self
                        .fail(pc, Code::TooComplex, format!("BPF program is too large. Processed {} insn", self.processed))
                        .help("bound every loop by a constant the verifier can see, or split the work with bpf_loop or tail calls".to_string()));
                }
                if prune[pc] {
                    let masks = super::prune::Masks {
                        live: self.live.live[pc],
                        stack: self.live.stack[pc],
                    };
                    // A call whose callback may run again is the head of
                    // a loop, like a `may_goto`.
                    let may_goto = match self.insns[pc] {
                        Insn::MayGoto { .. } => true,
                        Insn::Call { helper } => iterating(helper as u32),
                        _ => false,
                    };
                    // A new checkpoint only every few jumps and
                    // instructions (the kernel's `add_new_state`), and at
                    // every `may_goto`.
                    let (insns, jumps) = self.since_checkpoint;
                    let store = may_goto || (jumps >= 2 && insns >= 8);
                    match super::prune::visit(
                        &mut visited[pc],
                        pc,
                        &st,
                        &parent,
                        masks,
                        may_goto,
                        store.then_some(&mut self.trail),
                    ) {
                        Visit::Prune(Some(marks)) => {
                            self.inherit(&st, &parent, marks, masks);
                            break;
                        }
                        Visit::Prune(None) => {
                            precise::mark_all(&parent);
                            break;
                        }
                        Visit::Loop if has_may_goto => {
                            precise::mark_all(&parent);
                            break;
                        }
                        Visit::Loop => {
                            return Err(self
                                .fail(pc, Code::InfiniteLoop, format!("infinite loop detected at insn {pc}"))
                                .help("the loop comes back here with the same state: make sure something it tests changes on every iteration".to_string()));
                        }
                        Visit::Continue(cp) => {
                            if cp.is_some() {
                                self.since_checkpoint = (0, 0);
                            }
                            parent = cp.or(parent);
                        }
                    }
                }
                self.facts[pc].reached = true;
                if let Some(log) = &mut self.log {
                    log.push(format!("{pc}: {}", super::exit::describe_state(&st)));
                }
                let depth = st.frames.len() - 1;
                self.slot_access = None;
                self.callback_exit = false;
                self.back_to_call = false;
                self.jump_links = None;
                let r = self.step(&mut st, pc, &mut pending, &parent);
                if r.is_ok() && !self.need.is_empty() {
                    let need = std::mem::take(&mut self.need);
                    precise::mark_chain(self.insns, &self.trail, &parent, depth, need);
                }
                match r {
                    Ok(Step::Next(n)) => {
                        self.trail.push(Entry {
                            pc: pc as u32,
                            depth: depth as u8,
                            slot: self.slot_access,
                            callback_exit: self.callback_exit,
                            back_to_call: self.back_to_call,
                            links: self.jump_links.take(),
                        });
                        pc = n;
                    }
                    Ok(Step::End) => break,
                    Err(mut f) => {
                        if let Some(r) = f.reg {
                            f.what = Some(crate::report::human(st.reg(r), self.opts));
                            let depth = st.frames.len() - 1;
                            f.def = self
                                .defs
                                .get(depth)
                                .map(|d| d[r as usize])
                                .filter(|&d| d != usize::MAX);
                        }
                        return Err(f);
                    }
                }
            }
            super::prune::path_done(&parent);
        }
        Ok(())
    }

    /// A path pruned against a state with precision marks `marks`: the
    /// registers and slots they name (those live here) are precise on
    /// this path too (`propagate_precision`).
    fn inherit(
        &mut self,
        st: &State,
        parent: &Option<Rc<Cp>>,
        marks: Bits,
        masks: super::prune::Masks,
    ) {
        let depth = st.frames.len() - 1;
        let mut need = marks;
        if let Some(f) = need.0.get_mut(depth) {
            f.regs &= masks.live;
            f.stack &= masks.stack;
        }
        precise::mark_chain(self.insns, &self.trail, parent, depth, need);
    }

    /// The registers a helper call needs exact: every number passed
    /// where the prototype expects more than "anything" (sizes, flags
    /// checked for constants, NULL for a pointer).
    fn need_helper_args(&mut self, st: &State, hid: u32) {
        use bpfbox_progtype::helpers::{proto, ArgType};
        match proto(hid) {
            Some(p) => {
                for i in 0..p.nargs() {
                    if !matches!(p.args[i], ArgType::Anything | ArgType::DontCare) {
                        self.need_scalar(st, i as u8 + 1);
                    }
                }
            }
            None => (1..=5).for_each(|r| self.need_scalar(st, r)),
        }
    }

    fn check_reads(&self, st: &State, pc: usize) -> Result<(), Fail> {
        let kind = match st.cur().func {
            0 => ExitKind::Main,
            _ if st.cur().callback => ExitKind::Callback,
            _ => ExitKind::Callee,
        };
        if matches!(self.insns[pc], Insn::Call { .. }) {
            return Ok(());
        }
        for &r in reads(&self.insns[pc], kind, self.opts).as_slice() {
            if st.reg(r).ty == Ty::NotInit {
                return Err(self
                    .fail(pc, Code::UninitReg, format!("R{r} !read_ok"))
                    .reg(r));
            }
        }
        Ok(())
    }

    fn step(
        &mut self,
        st: &mut State,
        pc: usize,
        pending: &mut Vec<super::walk::Path>,
        parent: &Option<Rc<Cp>>,
    ) -> Result<Step, Fail> {
        self.check_reads(st, pc)?;
        let insn = self.insns[pc];
        let next = pc + insn.slots();
        match insn {
            Insn::Alu {
                width,
                op,
                dst,
                src,
            } => {
                self.alu(st, pc, width, op, dst, src)?;
                self.set_def(st, dst, pc);
            }
            Insn::Neg { width, dst } => {
                self.unary(st, dst, |s| scalar::neg(width, s));
                self.set_def(st, dst, pc);
            }
            Insn::End { kind, bits, dst } => {
                self.endian(st, dst, kind, bits);
                self.set_def(st, dst, pc);
            }
            Insn::LdImm64 { dst, value } => {
                let r = match value {
                    LdImm64::Imm(v) => Reg::known(v),
                    LdImm64::MapFd(m) | LdImm64::MapIdx(m) => Reg::ptr(Ty::MapPtr(m as u32)),
                    LdImm64::MapValue { fd, off } => Reg {
                        off: off as i32,
                        ..Reg::ptr(Ty::MapValue(fd as u32))
                    },
                    LdImm64::MapIdxValue { idx, off } => Reg {
                        off: off as i32,
                        ..Reg::ptr(Ty::MapValue(idx as u32))
                    },
                    LdImm64::Func(t) => Reg::ptr(Ty::Func(t as u32)),
                    LdImm64::BtfId { .. } => Reg::ptr(Ty::BtfId),
                };
                *st.reg_mut(dst) = r;
                self.set_def(st, dst, pc);
            }
            Insn::LdImm64Hi => {}
            Insn::Load {
                size,
                signed,
                dst,
                src,
                off,
            } => {
                let r = self.mem(
                    st,
                    pc,
                    Access {
                        reg: src,
                        off: off as i64,
                        size: size.bytes() as u32,
                        write: false,
                        value: None,
                    },
                )?;
                *st.reg_mut(dst) = loaded(r, size.bytes() as u32, signed);
                self.set_def(st, dst, pc);
            }
            Insn::Store {
                size,
                dst,
                off,
                src,
            } => {
                let (value, srcreg) = match src {
                    Src::Reg(r) => (*st.reg(r), Some(r)),
                    Src::Imm(i) => (Reg::known(i as i64 as u64), None),
                };
                self.store_src = srcreg;
                let r = self.mem(
                    st,
                    pc,
                    Access {
                        reg: dst,
                        off: off as i64,
                        size: size.bytes() as u32,
                        write: true,
                        value: Some(value),
                    },
                );
                self.store_src = None;
                r?;
            }
            Insn::Atomic {
                size,
                op,
                dst,
                src,
                off,
            } => self.atomic(st, pc, size.bytes() as u32, op, dst, src, off as i64)?,
            Insn::LdAbs { .. } | Insn::LdInd { .. } => {
                if st.reg(6).ty != Ty::Ctx {
                    return Err(self
                        .fail(
                            pc,
                            Code::LdAbs,
                            "at the time of BPF_LD_ABS|IND R6 != pointer to skb".to_string(),
                        )
                        .reg(6));
                }
                if !st.refs.is_empty() {
                    return Err(self.fail(
                        pc,
                        Code::RefLeak,
                        "BPF_LD_[ABS|IND] cannot be mixed with socket references".to_string(),
                    ));
                }
                self.clobber(st, pc);
                *st.reg_mut(0) = Reg::scalar(scalar::Scalar::UNKNOWN);
            }
            Insn::Call { helper } => {
                let iterates = iterating(helper as u32);
                self.need_helper_args(st, helper as u32);
                // `bpf_loop` runs its callback at most `nr_loops` times:
                // that bound ends the walk of runs in a row, so it is
                // needed exact (as the kernel marks `r1` precise).
                let max_runs = if helper as u32 == bpfbox_progtype::helpers::id::LOOP {
                    self.need_scalar(st, 1);
                    let r1 = st.reg(1);
                    if r1.ty == Ty::Scalar {
                        r1.s.umax
                    } else {
                        u64::MAX
                    }
                } else {
                    u64::MAX
                };
                self.call_while_locked(st, pc, Some(helper as u32))?;
                let depth = st.frames.len();
                let to = self.helper(st, pc, helper as u32)?;
                if iterates && st.frames.len() > depth {
                    // The callback may run again and again: its next
                    // run is a branch; this path goes on as if it ran
                    // no more. Its exit comes back to this call.
                    let caller = depth - 1;
                    let runs = st.frames[caller].callback_runs;
                    if u64::from(runs) < max_runs {
                        st.frames[caller].callback_runs = runs.saturating_add(1);
                        self.push_callback_run(st, pc, to, pending, parent);
                    }
                    st.frames[caller].callback_runs = 0;
                    st.frames.pop();
                    self.clobber(st, pc);
                    *st.reg_mut(0) = Reg::unknown();
                    return Ok(Step::Next(next));
                }
                return Ok(Step::Next(to));
            }
            Insn::CallKfunc { .. } | Insn::CallX { .. } => {
                self.call_while_locked(st, pc, None)?;
                self.clobber(st, pc);
                *st.reg_mut(0) = Reg::unknown();
            }
            Insn::CallLocal { target } => {
                let Some(func) = self.cfg.func_at(target) else {
                    return Ok(Step::End);
                };
                self.call_while_locked(st, pc, None)?;
                if let Some(g) = self.global(func) {
                    (1..=5).for_each(|r| self.need_scalar(st, r));
                    return self.call_global(st, pc, func, g).map(Step::Next);
                }
                if st.frames.len() >= crate::cfg::MAX_CALL_FRAMES {
                    return Err(self.fail(
                        pc,
                        Code::CallDepth,
                        format!(
                            "the call stack of {} frames is too deep !",
                            st.frames.len() + 1
                        ),
                    ));
                }
                let caller = st.cur().regs;
                let mut f = Frame::new(st.frames.len() as u8, pc, func);
                f.regs[1..=5].copy_from_slice(&caller[1..=5]);
                st.frames.push(f);
                return Ok(Step::Next(target));
            }
            Insn::Exit => {
                if st.frames.len() > 1 {
                    self.callback_exit = st.cur().callback;
                    if self.callback_exit {
                        self.need_scalar(st, 0);
                    }
                } else if !Self::in_global(st) && self.ret_checked() {
                    self.need_scalar(st, 0);
                }
                let step = self.exit(st, pc)?;
                if let (true, Step::Next(call)) = (self.back_to_call, &step) {
                    // Back at the call of an iterating callback: scalars
                    // the run changed and nothing needed exact are
                    // widened against the call's latest checkpoint on
                    // this path before the call is checked against its
                    // checkpoints, as the kernel does when a callback
                    // returns (`prepare_func_exit`), so the runs
                    // converge.
                    if let Some(prev) = super::prune::latest_at(parent, *call) {
                        let precise = self.live.precise.get(*call).copied().unwrap_or(u16::MAX);
                        super::prune::widen(prev.state(), st, precise);
                        super::prune::widen_stack(prev.state(), st, &prev.precise());
                    }
                }
                return Ok(step);
            }
            Insn::Ja { target, .. } => return Ok(Step::Next(target)),
            Insn::MayGoto { target } => {
                self.fork(st, pc, target, pending, parent);
                if let Some(prev) = super::prune::previous_at(parent, pc) {
                    let precise = self.live.precise.get(next).copied().unwrap_or(u16::MAX);
                    super::prune::widen(prev.state(), st, precise);
                }
            }
            Insn::Jmp {
                width,
                cond,
                dst,
                src,
                target,
            } => return self.cond_jump(st, pc, width, cond, dst, src, target, pending, parent),
        }
        Ok(Step::Next(next))
    }

    fn fork(
        &mut self,
        st: &State,
        pc: usize,
        target: usize,
        pending: &mut Vec<Path>,
        parent: &Option<Rc<Cp>>,
    ) {
        let mut history = self.history.clone();
        history.push((pc, true));
        if history.len() > 64 {
            history.remove(0);
        }
        super::prune::path_forked(parent);
        let mut trail = self.trail.clone();
        trail.push(Entry {
            pc: pc as u32,
            depth: (st.frames.len() - 1) as u8,
            slot: None,
            callback_exit: false,
            back_to_call: false,
            links: self.jump_links.clone(),
        });
        pending.push(Path {
            pc: target,
            st: st.clone(),
            parent: parent.clone(),
            history,
            defs: self.defs.clone(),
            trail,
        });
        self.history.push((pc, false));
        if self.history.len() > 64 {
            self.history.remove(0);
        }
    }

    /// Pushes a branch entering the callback of the call at `pc` (`st`
    /// has its frame) at `target`.
    fn push_callback_run(
        &mut self,
        st: &State,
        pc: usize,
        target: usize,
        pending: &mut Vec<Path>,
        parent: &Option<Rc<Cp>>,
    ) {
        super::prune::path_forked(parent);
        let mut trail = self.trail.clone();
        trail.push(Entry {
            pc: pc as u32,
            depth: (st.frames.len() - 2) as u8,
            slot: None,
            callback_exit: false,
            back_to_call: false,
            links: None,
        });
        pending.push(Path {
            pc: target,
            st: st.clone(),
            parent: parent.clone(),
            history: self.history.clone(),
            defs: self.defs.clone(),
            trail,
        });
    }

    #[allow(clippy::too_many_arguments)]
    fn cond_jump(
        &mut self,
        st: &mut State,
        pc: usize,
        width: Width,
        cond: Cond,
        dst: u8,
        src: Src,
        target: usize,
        pending: &mut Vec<Path>,
        parent: &Option<Rc<Cp>>,
    ) -> Result<Step, Fail> {
        let w32 = width == Width::W32;
        let a = *st.reg(dst);
        let b = match src {
            Src::Reg(r) => *st.reg(r),
            Src::Imm(i) => Reg::known(i as i64 as u64),
        };
        let pkt = if w32 {
            None
        } else {
            branch::pkt_compare(&a, &b, cond)
        };
        let outcome = if pkt.is_some() {
            None
        } else {
            branch::taken(&a, &b, cond, w32)
        };
        // A branch the bounds decide needs them exact.
        let decided = |w: &mut Self, st: &State| {
            w.need_scalar(st, dst);
            if let Src::Reg(r) = src {
                w.need_scalar(st, r);
            }
        };
        match outcome {
            Some(true) => {
                decided(self, st);
                return Ok(Step::Next(target));
            }
            Some(false) => {
                decided(self, st);
                return Ok(Step::Next(pc + 1));
            }
            None => {}
        }
        self.jump_links = linked(st, &a, &b);
        let mut taken = st.clone();
        let mut feasible = [true, true];
        for (i, s) in [&mut taken, &mut *st].into_iter().enumerate() {
            let outcome = i == 0;
            if a.ty == Ty::Scalar && b.ty == Ty::Scalar {
                let (mut x, mut y) = (a.s, b.s);
                if !branch::refine_scalars(&mut x, &mut y, cond, w32, outcome) {
                    feasible[i] = false;
                    continue;
                }
                // Both refined first, then their links, the source's
                // first (as `check_cond_jmp_op`).
                s.reg_mut(dst).s = x;
                if let Src::Reg(r) = src {
                    s.reg_mut(r).s = y;
                    sync_linked(s, r);
                }
                sync_linked(s, dst);
            }
            if !w32 && matches!(cond, Cond::Eq | Cond::Ne) && a.null && a.id != 0 && b.is_zero() {
                if let Src::Reg(r) = src {
                    self.need.add_reg(s.frames.len() - 1, r);
                }
                let is_null = (cond == Cond::Eq) == outcome;
                let maps = self.opts.maps;
                let keep = |t: Ty| matches!(t, Ty::MapValue(m) if maps.get(m as usize).is_some_and(|i| i.lock_off.is_some()));
                branch::mark_null(s, a.id, is_null, &keep);
            }
            if let Some((p, open, on_taken)) = pkt {
                if on_taken == outcome {
                    branch::good_pkt(s, &p, open);
                }
            }
        }
        if feasible != [true, true] {
            decided(self, st);
        }
        match feasible {
            [true, true] => {
                self.fork(&taken, pc, target, pending, parent);
                Ok(Step::Next(pc + 1))
            }
            [true, false] => {
                *st = taken;
                Ok(Step::Next(target))
            }
            [false, true] => Ok(Step::Next(pc + 1)),
            [false, false] => Ok(Step::End),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn atomic(
        &mut self,
        st: &mut State,
        pc: usize,
        size: u32,
        op: AtomicOp,
        dst: u8,
        src: u8,
        off: i64,
    ) -> Result<(), Fail> {
        let p = *st.reg(dst);
        match op {
            AtomicOp::LoadAcquire => {
                let r = self.mem(
                    st,
                    pc,
                    Access {
                        reg: src,
                        off,
                        size,
                        write: false,
                        value: None,
                    },
                )?;
                *st.reg_mut(dst) = loaded(r, size, false);
                self.set_def(st, dst, pc);
                return Ok(());
            }
            AtomicOp::StoreRelease => {
                let v = *st.reg(src);
                self.mem(
                    st,
                    pc,
                    Access {
                        reg: dst,
                        off,
                        size,
                        write: true,
                        value: Some(v),
                    },
                )?;
                return Ok(());
            }
            _ => {}
        }
        if matches!(
            p.ty,
            Ty::Ctx
                | Ty::Packet
                | Ty::PacketMeta
                | Ty::FlowKeys
                | Ty::Socket
                | Ty::SockCommon
                | Ty::TcpSock
        ) {
            let what = p.ty.kernel_name();
            return Err(self
                .fail(
                    pc,
                    Code::MemAccess,
                    format!("BPF_ATOMIC stores into R{dst} {what} is not allowed"),
                )
                .reg(dst));
        }
        let fetched = match op {
            AtomicOp::Cmpxchg => Some(0),
            AtomicOp::Xchg
            | AtomicOp::Add { fetch: true }
            | AtomicOp::Or { fetch: true }
            | AtomicOp::And { fetch: true }
            | AtomicOp::Xor { fetch: true } => Some(src),
            _ => None,
        };
        // The register receiving the old value is written first
        // (`check_reg_arg(load_reg, DST_OP)`): when it is also the base,
        // the access goes through an unknown number.
        if let Some(r) = fetched {
            *st.reg_mut(r) = Reg::unknown();
        }
        let p = *st.reg(dst);
        self.atomic_alignment(pc, &p, dst, off, size)?;
        // The fetched value is what the read finds (a zero or a spilled
        // register on the stack), as `check_atomic_rmw` loads it.
        let old = self.mem(
            st,
            pc,
            Access {
                reg: dst,
                off,
                size,
                write: false,
                value: None,
            },
        )?;
        self.mem(
            st,
            pc,
            Access {
                reg: dst,
                off,
                size,
                write: true,
                value: Some(Reg::unknown()),
            },
        )?;
        if let Some(r) = fetched {
            *st.reg_mut(r) = loaded(old, size, false);
            self.set_def(st, r, pc);
        }
        Ok(())
    }
}

impl Walk<'_> {
    /// Atomics are checked for alignment whatever the base register, as with
    /// strict alignment (`check_ptr_alignment` with
    /// `strict_alignment_once`): fixed plus variable offset must be a
    /// multiple of the size. The stack checks its own alignment.
    fn atomic_alignment(
        &self,
        pc: usize,
        p: &Reg,
        dst: u8,
        off: i64,
        size: u32,
    ) -> Result<(), Fail> {
        if matches!(p.ty, Ty::Stack(_) | Ty::NotInit) || size <= 1 {
            return Ok(());
        }
        let var = p.s.var;
        let fixed = (p.off as i64).wrapping_add(off) as u64;
        let at = var.add(super::tnum::Tnum::constant(fixed));
        if (at.value | at.mask) & (size as u64 - 1) == 0 {
            return Ok(());
        }
        let desc = match p.ty {
            Ty::MapValue(_) if !p.null => "value ",
            _ => "",
        };
        let var = if var.mask == 0 {
            format!("{}", var.value)
        } else {
            format!("(0x{:x}; 0x{:x})", var.value, var.mask)
        };
        Err(self
            .fail(
                pc,
                Code::MemAccess,
                format!(
                    "misaligned {desc}access off {var}+{}+{off} size {size}",
                    p.off
                ),
            )
            .reg(dst)
            .help(format!(
                "an atomic operation of {size} bytes needs an address that is a multiple of {size}"
            )))
    }
}

/// Every register and stack slot holding a scalar with the id of `a` or
/// `b` (refined with them by a branch), if they have ids.
/// A helper whose callback runs any number of times in a row
/// (`bpf_loop` and the like), not once later (a timer's).
pub(super) fn iterating(hid: u32) -> bool {
    use bpfbox_progtype::helpers::id;
    matches!(
        hid,
        id::LOOP | id::FOR_EACH_MAP_ELEM | id::FIND_VMA | id::USER_RINGBUF_DRAIN
    )
}

fn linked(st: &State, a: &Reg, b: &Reg) -> Option<Box<Bits>> {
    let id = |r: &Reg| if r.ty == Ty::Scalar { r.id } else { 0 };
    let (ia, ib) = (id(a), id(b));
    if ia == 0 && ib == 0 {
        return None;
    }
    let hit = |r: &Reg| r.ty == Ty::Scalar && r.id != 0 && (r.id == ia || r.id == ib);
    let mut bits = Bits::default();
    for (f, fr) in st.frames.iter().enumerate().take(precise::FRAMES) {
        for (r, reg) in fr.regs.iter().enumerate().take(10) {
            if hit(reg) {
                bits.0[f].regs |= 1 << r;
            }
        }
        for (s, slot) in fr.stack.iter().enumerate().take(64) {
            if slot.bytes.contains(&super::state::Byte::Spill) && hit(&slot.spill) {
                bits.0[f].stack |= 1 << s;
            }
        }
    }
    Some(Box::new(bits))
}

/// Writes the refined scalar of register `r` to every scalar linked to it
/// (`sync_linked_regs`): the same value when their deltas agree (the
/// link then takes `r`'s delta), else `r`'s value shifted by the
/// difference of the deltas, zero-extended from 32 bits if either delta
/// was added by a 32-bit instruction (each keeps its own link). A link
/// whose deltas were added one by a 32-bit, the other by a 64-bit
/// instruction learns nothing.
fn sync_linked(st: &mut State, r: u8) {
    let k = *st.reg(r);
    if k.ty != Ty::Scalar || k.id == 0 {
        return;
    }
    let off = |d: Option<super::state::Delta>| d.map_or(0, |d| d.off);
    let w32 = |d: Option<super::state::Delta>| d.map(|d| d.w32);
    st.for_each_reg(|x| {
        if x.ty != Ty::Scalar || x.id != k.id {
            return;
        }
        if matches!((w32(x.delta), w32(k.delta)), (Some(a), Some(b)) if a != b) {
            return;
        }
        if (x.delta.is_none() && k.delta.is_none()) || off(x.delta) == off(k.delta) {
            x.s = k.s;
            x.delta = k.delta;
        } else {
            let mut s = k.s;
            let shift = i64::from(off(x.delta)) - i64::from(off(k.delta));
            scalar::alu(
                Width::W64,
                bpfbox_isa::AluOp::Add,
                &mut s,
                &scalar::Scalar::known(shift as u64),
            );
            if w32(x.delta) == Some(true) || w32(k.delta) == Some(true) {
                s.zext32();
                s.sync();
            }
            x.s = s;
        }
    });
}

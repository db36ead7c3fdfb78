//! Per-path precision, in the manner of the kernel's
//! `mark_chain_precision` and `propagate_precision`.
//!
//! A scalar is *precise* in a checkpoint when its exact range decided
//! something on some path explored from there: a pointer offset, a
//! helper argument, a branch the bounds decided, a checked return value.
//! Pruning compares only precise scalars (module [`super::prune`]), so a
//! loop counter or a checksum nobody tests lets two paths meet.
//!
//! Each path keeps a [`Trail`] of the instructions it executed since its
//! latest checkpoint (and each checkpoint the trail that led to it). When
//! an instruction needs registers precise, [`mark_chain`] walks the trail
//! backwards turning the demand into the registers and stack slots it
//! came from ([`Bits::step`]), marks them in each checkpoint it passes,
//! and stops when nothing is left or a checkpoint already had the marks.
//! Where the walk cannot follow an instruction exactly, every scalar of
//! every checkpoint of the path becomes precise ([`mark_all`]): more
//! precision is never unsound, only slower.

use super::prune::Cp;
use super::state::{Byte, Slot, Ty};
use bpfbox_isa::{AtomicOp, Insn, Src};
use std::rc::Rc;

/// Frames a state can have.
pub const FRAMES: usize = crate::cfg::MAX_CALL_FRAMES;

/// `r0`..`r5`: what a call clobbers.
const CALLER_SAVED: u16 = 0b11_1111;
/// `r1`..`r5`: a call's arguments.
const ARGS: u16 = 0b11_1110;
/// `r0`..`r9`.
const ALL_REGS: u16 = 0x3ff;

/// Registers (`r0`..`r9`) and stack slots (bit `i`: `fp-8*(i+1)`) of one
/// frame.
#[derive(Clone, Copy, Default, PartialEq, Eq, Debug)]
pub struct FrameBits {
    /// Registers.
    pub regs: u16,
    /// Stack slots.
    pub stack: u64,
}

impl FrameBits {
    /// Every register and slot.
    pub const ALL: FrameBits = FrameBits {
        regs: ALL_REGS,
        stack: u64::MAX,
    };

    fn is_empty(self) -> bool {
        self.regs == 0 && self.stack == 0
    }
}

/// Registers and stack slots of every frame (index: frame number).
#[derive(Clone, Copy, Default, PartialEq, Eq, Debug)]
pub struct Bits(pub [FrameBits; FRAMES]);

/// One instruction a path executed.
#[derive(Clone, Debug)]
pub struct Entry {
    /// Its slot.
    pub pc: u32,
    /// The frame it ran in.
    pub depth: u8,
    /// A load or store of one stack slot at a constant offset: frame,
    /// slot, and whether the access covered all 8 bytes.
    pub slot: Option<(u8, u8, bool)>,
    /// An `exit` from a callback (the caller's `r0` does not come from
    /// the callee's).
    pub callback_exit: bool,
    /// An `exit` from a callback that may run again, back to its call
    /// with the caller's registers intact.
    pub back_to_call: bool,
    /// A conditional jump on scalars with ids: every register and slot
    /// sharing them (refined together with the compared registers).
    pub links: Option<Box<Bits>>,
}

/// The instructions of a path since its latest checkpoint, oldest first.
pub type Trail = Vec<Entry>;

fn bit(r: u8) -> u16 {
    if r < 10 {
        1 << r
    } else {
        0
    }
}

impl Bits {
    /// Every register and slot of every frame.
    pub const ALL: Bits = Bits([FrameBits::ALL; FRAMES]);

    /// Nothing.
    pub fn is_empty(&self) -> bool {
        self.0.iter().all(|f| f.is_empty())
    }

    /// Adds register `r` of frame `frame`.
    pub fn add_reg(&mut self, frame: usize, r: u8) {
        if let Some(f) = self.0.get_mut(frame) {
            f.regs |= bit(r);
        }
    }

    fn union(&mut self, o: &Bits) {
        for (a, b) in self.0.iter_mut().zip(&o.0) {
            a.regs |= b.regs;
            a.stack |= b.stack;
        }
    }

    fn meets(&self, o: &Bits) -> bool {
        self.0
            .iter()
            .zip(&o.0)
            .any(|(a, b)| a.regs & b.regs != 0 || a.stack & b.stack != 0)
    }

    /// Walks one instruction backwards: the demand after `e` becomes the
    /// demand before it. `later` is the frame the next instruction of the
    /// path ran in. `false`: the instruction cannot be followed.
    pub fn step(&mut self, insns: &[Insn], e: &Entry, later: usize) -> bool {
        let d = e.depth as usize;
        let Some(insn) = insns.get(e.pc as usize) else {
            return false;
        };
        if d >= FRAMES || later >= FRAMES {
            return false;
        }
        if later == d + 1 {
            // A call: the callee's arguments are the caller's registers.
            let callee = std::mem::take(&mut self.0[later]);
            match insn {
                Insn::CallLocal { .. } if callee.regs & !ARGS == 0 => {
                    self.0[d].regs |= callee.regs;
                }
                Insn::Call { .. } => {
                    if callee.regs != 0 {
                        self.0[d].regs |= ARGS;
                    }
                }
                _ => return false,
            }
            return true;
        }
        if later + 1 == d {
            // A return: the caller's `r0` is the callee's.
            if !matches!(insn, Insn::Exit) {
                return false;
            }
            if e.back_to_call {
                // Back to the call of an iterating callback: the
                // caller's registers are the ones it had at the call.
                self.0[d] = FrameBits::default();
                return true;
            }
            let caller = &mut self.0[later];
            let r0 = caller.regs & 1 != 0;
            caller.regs &= !CALLER_SAVED;
            self.0[d] = FrameBits {
                regs: u16::from(r0 && !e.callback_exit),
                stack: 0,
            };
            return true;
        }
        if later != d {
            return false;
        }
        let regs = &mut self.0[d].regs;
        match *insn {
            Insn::Alu { dst, src, op, .. } => {
                let moves = matches!(op, bpfbox_isa::AluOp::Mov | bpfbox_isa::AluOp::Movsx(_));
                if *regs & bit(dst) != 0 {
                    if moves {
                        *regs &= !bit(dst);
                    }
                    if let Src::Reg(s) = src {
                        *regs |= bit(s);
                    }
                }
            }
            Insn::Neg { .. } | Insn::End { .. } => {}
            Insn::LdImm64 { dst, .. } => *regs &= !bit(dst),
            Insn::Load { dst, .. } => {
                if *regs & bit(dst) != 0 {
                    *regs &= !bit(dst);
                    if let Some((f, s, _)) = e.slot {
                        self.add_slot(f, s);
                    }
                }
            }
            Insn::Store { src, .. } => {
                if let Some((f, s, whole)) = e.slot {
                    if self.has_slot(f, s) {
                        if whole {
                            self.0[f as usize].stack &= !(1 << s);
                        }
                        if let Src::Reg(r) = src {
                            self.0[d].regs |= bit(r);
                        }
                    }
                }
            }
            Insn::Atomic { op, dst, src, .. } => {
                let fetched = match op {
                    AtomicOp::LoadAcquire => Some(dst),
                    AtomicOp::StoreRelease => None,
                    AtomicOp::Cmpxchg => Some(0),
                    AtomicOp::Xchg
                    | AtomicOp::Add { fetch: true }
                    | AtomicOp::Or { fetch: true }
                    | AtomicOp::And { fetch: true }
                    | AtomicOp::Xor { fetch: true } => Some(src),
                    _ => None,
                };
                let wanted = fetched.is_some_and(|r| *regs & bit(r) != 0);
                if let Some(r) = fetched {
                    *regs &= !bit(r);
                }
                if let Some((f, s, _)) = e.slot {
                    if wanted || self.has_slot(f, s) {
                        self.add_slot(f, s);
                        if op != AtomicOp::LoadAcquire {
                            self.0[d].regs |= bit(src);
                        }
                        if op == AtomicOp::Cmpxchg {
                            self.0[d].regs |= 1;
                        }
                    }
                }
            }
            Insn::LdAbs { .. }
            | Insn::LdInd { .. }
            | Insn::Call { .. }
            | Insn::CallKfunc { .. }
            | Insn::CallX { .. }
            | Insn::CallLocal { .. } => *regs &= !CALLER_SAVED,
            Insn::Jmp { dst, src, .. } => {
                let mut compared = Bits::default();
                compared.add_reg(d, dst);
                let two = if let Src::Reg(s) = src {
                    compared.add_reg(d, s);
                    true
                } else {
                    false
                };
                if let Some(l) = &e.links {
                    compared.union(l);
                }
                if (two || e.links.is_some()) && self.meets(&compared) {
                    self.union(&compared);
                }
            }
            Insn::Exit => return false,
            Insn::Ja { .. } | Insn::MayGoto { .. } | Insn::LdImm64Hi => {}
        }
        true
    }

    fn has_slot(&self, f: u8, s: u8) -> bool {
        self.0
            .get(f as usize)
            .is_some_and(|fr| s < 64 && fr.stack & (1 << s) != 0)
    }

    fn add_slot(&mut self, f: u8, s: u8) {
        if let Some(fr) = self.0.get_mut(f as usize) {
            if s < 64 {
                fr.stack |= 1 << s;
            }
        }
    }
}

/// Whether a slot holds a number some bits of which were written.
fn holds_number(s: &Slot) -> bool {
    s.bytes.iter().any(|b| match b {
        Byte::Misc | Byte::Zero => true,
        Byte::Spill => s.spill.ty == Ty::Scalar,
        Byte::Invalid => false,
    })
}

/// Marks the demand `bt` in checkpoint `cp`, whose state is at frame
/// depth `depth`: scalars get the mark, what is not a scalar or already
/// marked leaves the demand (a mark already there was followed further
/// when it was set). `false`: the demand is not consistent with the
/// state (walk cannot follow).
fn absorb(cp: &Cp, bt: &mut Bits, depth: usize) -> bool {
    let st = cp.state();
    if st.frames.len() != depth + 1 || bt.0[depth + 1..].iter().any(|f| !f.is_empty()) {
        return false;
    }
    let mut prec = cp.precise();
    for (f, fr) in st.frames.iter().enumerate() {
        let (b, p) = (&mut bt.0[f], &mut prec.0[f]);
        // Already marked: followed further when it was set.
        b.regs &= !p.regs;
        b.stack &= !p.stack;
        let mut regs = b.regs;
        while regs != 0 {
            let r = regs.trailing_zeros() as usize;
            regs &= regs - 1;
            if fr.regs.get(r).is_some_and(|x| x.ty == Ty::Scalar) {
                p.regs |= 1 << r;
            } else {
                b.regs &= !(1 << r);
            }
        }
        let mut slots = b.stack;
        while slots != 0 {
            let s = slots.trailing_zeros() as usize;
            slots &= slots - 1;
            if fr.stack.get(s).is_some_and(holds_number) {
                p.stack |= 1 << s;
            } else {
                b.stack &= !(1 << s);
            }
        }
    }
    cp.set_precise(prec);
    true
}

/// Makes `bt` (a demand at the instruction following `trail`, in frame
/// `depth`) precise in every checkpoint of the path whose latest
/// checkpoint is `parent`.
pub fn mark_chain(
    insns: &[Insn],
    trail: &[Entry],
    parent: &Option<Rc<Cp>>,
    depth: usize,
    mut bt: Bits,
) {
    if bt.is_empty() {
        return;
    }
    let mut later = depth;
    if !walk_back(insns, trail, &mut bt, &mut later) {
        return mark_all(parent);
    }
    let mut next = parent.clone();
    while let Some(cp) = next {
        if bt.is_empty() {
            return;
        }
        if !absorb(&cp, &mut bt, later) {
            return mark_all(parent);
        }
        if bt.is_empty() {
            return;
        }
        if !walk_back(insns, cp.trail(), &mut bt, &mut later) {
            return mark_all(parent);
        }
        next = cp.parent().clone();
    }
}

fn walk_back(insns: &[Insn], trail: &[Entry], bt: &mut Bits, later: &mut usize) -> bool {
    for e in trail.iter().rev() {
        if bt.is_empty() {
            return true;
        }
        if !bt.step(insns, e, *later) {
            return false;
        }
        *later = e.depth as usize;
    }
    true
}

/// Every scalar of every checkpoint from `parent` up becomes precise
/// (when backtracking cannot follow the path, or a path was pruned
/// against a state whose marks are not final yet).
pub fn mark_all(parent: &Option<Rc<Cp>>) {
    let mut next = parent.clone();
    while let Some(cp) = next {
        if cp.precise() == Bits::ALL {
            return;
        }
        cp.set_precise(Bits::ALL);
        next = cp.parent().clone();
    }
}

#[cfg(test)]
mod tests {
    use crate::{verify, Code, Options, ProgInfo};

    /// Verifies a socket filter that loads `skb->len` into `r1`, then
    /// runs `text` (`;` between instructions): the processed count or
    /// the first refusal.
    fn check(text: &str) -> Result<u64, Code> {
        let text = format!("r1 = *(u32 *)(r1 + 0); {text}");
        let raw = bpfbox_asm::assemble(&text.replace(';', "\n")).expect("assemble");
        let insns = bpfbox_isa::decode(&raw).expect("decode");
        let mut opts = Options::kernel();
        opts.prog = Some(ProgInfo {
            prog_type: 1,
            expected_attach_type: 0,
        });
        verify(&insns, &opts)
            .map(|v| v.processed)
            .map_err(|d| d[0].code)
    }

    /// The bad access below: a number used as a pointer.
    const BAD: &str = "r0 = *(u64 *)(r1 + 0)";

    /// On the path explored first, between the fork and the join: enough
    /// jumps and instructions that the walk stores a checkpoint at the
    /// join (the kernel's `add_new_state` spacing).
    const PAD: &str = "r6 = 0; r6 = 0; r6 = 0; goto +0";

    /// `r1 > 10` forks; the paths meet at slot 8 with `r0` 1 or 0 and
    /// compare it with `r1` without the bounds deciding the branch:
    /// nothing needed either exact, so the second path stops at the join.
    /// Walk: slots 0-8 (checkpoint at 8, fork), 9 10, the jump's side at
    /// 10, then the other side of slot 2 at 8 (pruned): 13. With `r0`
    /// precise it would walk 8, 9, 10 and 10 again: 16.
    #[test]
    fn imprecise_counter_prunes_at_the_join() {
        let prog =
            format!("r0 = 0; if r1 > 10 goto +5; r0 = 1; {PAD}; if r1 > r0 goto +1; r0 += 1; exit");
        assert_eq!(check(&prog), Ok(13));
    }

    /// The paths meet at slot 9 with `r2` 0 or 1; below, a copy of `r2`
    /// decides a branch (`r3 == 5` is known on each path). The first path
    /// returns; the second dereferences a number. The decision makes `r2`
    /// precise at the join (through `r3 += 5` and `r3 = r2`), so the
    /// second path is not pruned and the program is refused, as the
    /// kernel refuses it (corpus `precise.c`, `bad_decided_branch`).
    #[test]
    fn decided_branch_makes_its_source_precise() {
        let prog = format!(
            "r0 = 0; r2 = 1; if r1 > 10 goto +5; r2 = 0; {PAD}; \
             r3 = r2; r3 += 5; if r3 == 5 goto +2; {BAD}; exit; exit"
        );
        assert_eq!(check(&prog), Err(Code::InvalidMemAccess));
        // Both paths safe: accepted.
        assert!(check(&prog.replace(BAD, "r0 = 1")).is_ok());
    }

    /// The same through a stack slot: the value is spilled before the
    /// join (where the register itself is dead) and filled after it.
    #[test]
    fn precision_follows_spills_and_fills() {
        let prog = format!(
            "r0 = 0; r2 = 1; *(u64 *)(r10 - 8) = r2; if r1 > 10 goto +6; \
             r2 = 0; *(u64 *)(r10 - 8) = r2; {PAD}; \
             r3 = *(u64 *)(r10 - 8); if r3 == 0 goto +2; {BAD}; exit; exit"
        );
        assert_eq!(check(&prog), Err(Code::InvalidMemAccess));
        assert!(check(&prog.replace(BAD, "r0 = 1")).is_ok());
    }

    /// The same through a call: the callee's decision on its argument
    /// makes the caller's `r1` precise at the join.
    #[test]
    fn precision_crosses_calls() {
        let prog = format!(
            "r2 = 1; if r1 > 10 goto +5; r2 = 0; {PAD}; r1 = r2; call pc+1; exit; \
             r0 = 0; if r1 == 0 goto +1; {BAD}; exit"
        );
        assert_eq!(check(&prog), Err(Code::InvalidMemAccess));
        assert!(check(&prog.replace(BAD, "r0 = 1")).is_ok());
    }
    /// One instruction of a path: slot `pc`, run in frame `depth`.
    fn entry(pc: u32, depth: u8, back_to_call: bool) -> super::Entry {
        super::Entry {
            pc,
            depth,
            slot: None,
            callback_exit: false,
            back_to_call,
            links: None,
        }
    }

    /// A `bpf_loop` run (slot 1, helper 181) of a callback (slots 2-3)
    /// whose exit goes back to the call: the call checks its arguments
    /// again, so a demand on the caller's `r1` (an argument) and `r6` at
    /// the call crosses the callback's exit and the first call and lands
    /// on `r7` (`r1 = r7`) and `r6`. An ordinary exit would drop the
    /// caller-saved `r1` there (its value comes from the call).
    #[test]
    fn back_to_call_keeps_the_callers_demand() {
        let raw = bpfbox_asm::assemble("r1 = r7\ncall 181\nr0 = 0\nexit").expect("assemble");
        let insns = bpfbox_isa::decode(&raw).expect("decode");
        let walk = |back: bool| {
            let trail = [
                entry(0, 0, false),
                entry(1, 0, false),
                entry(2, 1, false),
                entry(3, 1, back),
            ];
            let mut bt = super::Bits::default();
            bt.add_reg(0, 1);
            bt.add_reg(0, 6);
            let mut later = 0;
            assert!(super::walk_back(&insns, &trail, &mut bt, &mut later));
            assert_eq!(later, 0);
            bt
        };
        let mut want = super::Bits::default();
        want.add_reg(0, 6);
        want.add_reg(0, 7);
        assert_eq!(walk(true), want);
        let mut ordinary = super::Bits::default();
        ordinary.add_reg(0, 6);
        assert_eq!(walk(false), ordinary);
    }
}

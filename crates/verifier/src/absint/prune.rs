//! State pruning (`is_state_visited`, `states_equal`): a path reaching a
//! prune point in a state contained in a state already fully explored
//! from there stops; a path coming back to a state still being explored
//! with exactly the same state loops forever.
//!
//! Containment: every register, stack byte and reference of the old
//! state must cover the new one, ids must correspond one to one, except
//! that in the current frame registers and stack slots dead at the prune
//! point are ignored (module [`super::live`]: a static superset of the
//! kernel's read marks), and in every frame scalars the old state's
//! exploration never needed precise (module [`super::precise`]) cover
//! any scalar. Stack slots are compared whole.
//!
//! A pruned path inherits the old state's precision marks (the kernel's
//! `propagate_precision`): what was decided below the old state is
//! decided below the new one by the same registers.
//!
//! At a `may_goto`, and at the call of a helper whose callback may run
//! again (`bpf_loop` and the like: the callback's exit comes back to the
//! call), a state still being explored (the loop around it) also covers
//! a new one it contains, and scalars that changed since the previous
//! visit are widened to unknown unless precise, as the kernel's
//! `widen_imprecise_scalars` does, so such loops converge.

use super::precise::{Bits, Trail};
use super::state::{Byte, Reg, Slot, State, Ty};
use std::cell::Cell;
use std::collections::HashMap;
use std::rc::Rc;

/// At most this many states are kept per instruction (a bound on memory;
/// the eviction below usually keeps far fewer).
const MAX_STATES_PER_INSN: usize = 1024;

/// A checkpoint that missed more than `hit * N + N` comparisons is
/// dropped from the search, as the kernel's `is_state_visited` does
/// (64 for states of a loop still being explored at a `may_goto`). The
/// kernel uses 3 but counts a miss only when it would store the new
/// state, every few jumps; this walk stores one at every prune point, so
/// misses come faster: 8 keeps states as long (measured on the
/// `verify_cost` bench: 3 evicts the states that prune the load
/// balancer's option loop, 32 makes lists long and slow).
const EVICT_AFTER: u32 = 8;
const EVICT_AFTER_LOOP: u32 = 64;

/// A checkpoint: a state seen at a prune point and how many paths still
/// descend from it.
#[derive(Debug)]
pub struct Cp {
    pc: usize,
    state: State,
    branches: Cell<u32>,
    hit: Cell<u32>,
    miss: Cell<u32>,
    parent: Option<Rc<Cp>>,
    /// Registers and slots whose exact value mattered below this state.
    precise: Cell<Bits>,
    /// The instructions from the parent checkpoint to this one.
    trail: Trail,
}

impl Drop for Cp {
    /// Unlinks the chain of parents iteratively: a path of a million
    /// checkpoints would overflow the stack if dropped recursively.
    fn drop(&mut self) {
        let mut next = self.parent.take();
        while let Some(rc) = next {
            next = match Rc::try_unwrap(rc) {
                Ok(mut cp) => cp.parent.take(),
                Err(_) => None,
            };
        }
    }
}

/// What to do at a prune point.
pub enum Visit {
    /// Covered by a state: stop this path; the precision marks it
    /// inherits (`None`: the state is still being explored, its marks are
    /// not final).
    Prune(Option<Bits>),
    /// Same state as one still being explored: an infinite loop.
    Loop,
    /// Go on; the new checkpoint, if one was stored.
    Continue(Option<Rc<Cp>>),
}

/// What of the current frame's registers and stack a comparison looks
/// at (static liveness).
#[derive(Clone, Copy, Debug)]
pub struct Masks {
    /// Live registers (others are ignored).
    pub live: u16,
    /// Live stack slots (others are ignored).
    pub stack: u64,
}

impl Masks {
    /// Every register compared.
    pub const ALL: Masks = Masks {
        live: u16::MAX,
        stack: u64::MAX,
    };
}

/// Looks `st` up among the states seen at instruction `pc`. `store`: the
/// path's trail when the state is to be stored as a new checkpoint if
/// nothing covers it (the checkpoint takes the trail); `None`: only look
/// (misses are then not counted, as in the kernel).
pub fn visit(
    seen: &mut Vec<Rc<Cp>>,
    pc: usize,
    st: &State,
    parent: &Option<Rc<Cp>>,
    masks: Masks,
    may_goto: bool,
    store: Option<&mut Trail>,
) -> Visit {
    for cp in seen.iter() {
        let hit = if cp.branches.get() > 0 {
            if may_goto && covers(&cp.state, &Bits::ALL, st, masks) {
                Some(Visit::Prune(None))
            } else if cp.state == *st {
                Some(Visit::Loop)
            } else {
                None
            }
        } else if covers(&cp.state, &cp.precise.get(), st, masks) {
            Some(Visit::Prune(Some(cp.precise.get())))
        } else {
            None
        };
        if let Some(v) = hit {
            cp.hit.set(cp.hit.get() + 1);
            return v;
        }
        if store.is_some() {
            cp.miss.set(cp.miss.get() + 1);
        }
    }
    let Some(trail) = store else {
        return Visit::Continue(None);
    };
    seen.retain(|cp| {
        let n = if may_goto && cp.branches.get() > 0 {
            EVICT_AFTER_LOOP
        } else {
            EVICT_AFTER
        };
        cp.miss.get() <= cp.hit.get().saturating_mul(n) + n
    });
    if seen.len() >= MAX_STATES_PER_INSN {
        return Visit::Continue(None);
    }
    let cp = Rc::new(Cp {
        pc,
        state: st.clone(),
        branches: Cell::new(1),
        hit: Cell::new(0),
        miss: Cell::new(0),
        parent: parent.clone(),
        precise: Cell::new(Bits::default()),
        trail: std::mem::take(trail),
    });
    seen.push(cp.clone());
    Visit::Continue(Some(cp))
}

/// The state of the latest checkpoint at `pc` among the ancestors of
/// `parent` other than `parent` itself.
pub fn previous_at(parent: &Option<Rc<Cp>>, pc: usize) -> Option<Rc<Cp>> {
    let mut cur = parent.as_ref()?.parent.clone();
    while let Some(p) = cur {
        if p.pc == pc {
            return Some(p);
        }
        cur = p.parent.clone();
    }
    None
}

/// The latest checkpoint at `pc` among `parent` and its ancestors.
pub fn latest_at(parent: &Option<Rc<Cp>>, pc: usize) -> Option<Rc<Cp>> {
    let mut cur = parent.clone();
    while let Some(p) = cur {
        if p.pc == pc {
            return Some(p);
        }
        cur = p.parent.clone();
    }
    None
}

/// Widens the current frame's scalars of `st` that differ from `old`'s
/// and are not precise to unknown (`widen_imprecise_scalars`).
pub fn widen(old: &State, st: &mut State, precise: u16) {
    if old.frames.len() != st.frames.len() {
        return;
    }
    let (fo, fc) = (old.cur(), st.cur_mut());
    for r in 0..10 {
        let (o, c) = (&fo.regs[r], &mut fc.regs[r]);
        if precise & (1 << r) == 0 && o.ty == Ty::Scalar && c.ty == Ty::Scalar && o != c {
            *c = Reg::unknown();
        }
    }
}

/// Widens scalars spilled to the stack of every frame of `st` that
/// differ from `old`'s spill in the same slot and were not needed
/// precise (`precise`, the old state's marks) to unknown. Widening only
/// loses facts, so it is sound whatever the marks.
pub fn widen_stack(old: &State, st: &mut State, precise: &Bits) {
    if old.frames.len() != st.frames.len() {
        return;
    }
    for (f, (fo, fc)) in old.frames.iter().zip(st.frames.iter_mut()).enumerate() {
        let marks = precise.0.get(f).map_or(u64::MAX, |b| b.stack);
        for (i, (so, sc)) in fo.stack.iter().zip(fc.stack.iter_mut()).enumerate() {
            let spilled = |s: &Slot| s.bytes[0] == Byte::Spill && s.spill.ty == Ty::Scalar;
            let precise = i >= 64 || marks & (1 << i) != 0;
            if !precise && spilled(so) && spilled(sc) && so.spill != sc.spill {
                sc.spill = Reg::unknown();
            }
        }
    }
}

impl Cp {
    /// The state seen.
    pub fn state(&self) -> &State {
        &self.state
    }

    /// The checkpoint before it on its path.
    pub fn parent(&self) -> &Option<Rc<Cp>> {
        &self.parent
    }

    /// Its precision marks.
    pub fn precise(&self) -> Bits {
        self.precise.get()
    }

    /// Sets its precision marks.
    pub fn set_precise(&self, b: Bits) {
        self.precise.set(b);
    }

    /// The instructions from its parent to it.
    pub fn trail(&self) -> &Trail {
        &self.trail
    }
}

/// A path forked: one more path descends from its checkpoints.
pub fn path_forked(parent: &Option<Rc<Cp>>) {
    if let Some(p) = parent {
        p.branches.set(p.branches.get() + 1);
    }
}

/// A path ended: checkpoints with no more descendants are complete.
pub fn path_done(parent: &Option<Rc<Cp>>) {
    let mut cur = parent.clone();
    while let Some(p) = cur {
        let b = p.branches.get().saturating_sub(1);
        p.branches.set(b);
        if b > 0 {
            break;
        }
        cur = p.parent.clone();
    }
}

#[derive(Default)]
struct IdMap {
    fwd: HashMap<u32, u32>,
    back: HashMap<u32, u32>,
    /// Temporary ids given to unlinked scalars (counting down from the
    /// top, where real ids never reach).
    tmp: u32,
}

impl IdMap {
    /// For scalars: an unlinked `cur` gets an id of its own, so that it
    /// corresponds to an `old` id used once (a link nothing else compared
    /// shares), but not to one two compared registers share
    /// (`check_scalar_ids`).
    fn check_scalar(&mut self, old: u32, cur: u32) -> bool {
        if old == 0 {
            return true;
        }
        let cur = if cur == 0 {
            self.tmp += 1;
            u32::MAX - self.tmp
        } else {
            cur
        };
        self.check(old, cur)
    }

    fn check(&mut self, old: u32, cur: u32) -> bool {
        if old == 0 {
            return true;
        }
        if cur == 0 {
            return false;
        }
        match (self.fwd.get(&old), self.back.get(&cur)) {
            (Some(&c), Some(&o)) => c == cur && o == old,
            (None, None) => {
                self.fwd.insert(old, cur);
                self.back.insert(cur, old);
                true
            }
            _ => false,
        }
    }
}

fn scalar_within(old: &super::scalar::Scalar, cur: &super::scalar::Scalar) -> bool {
    old.umin <= cur.umin
        && old.umax >= cur.umax
        && old.smin <= cur.smin
        && old.smax >= cur.smax
        && old.u32min <= cur.u32min
        && old.u32max >= cur.u32max
        && old.s32min <= cur.s32min
        && old.s32max >= cur.s32max
        && old.var.contains(cur.var)
}

fn reg_covers(old: &Reg, cur: &Reg, ids: &mut IdMap) -> bool {
    if old.ty == Ty::NotInit {
        return true;
    }
    if old.ty != cur.ty || old.null != cur.null {
        return false;
    }
    if old.ty == Ty::Scalar {
        // Linked with a delta: the same delta, and the base ids
        // correspond like plain links.
        return scalar_within(&old.s, &cur.s)
            && old.delta == cur.delta
            && ids.check_scalar(old.id, cur.id);
    }
    old.off == cur.off
        && scalar_within(&old.s, &cur.s)
        && old.range <= cur.range
        && ids.check(old.id, cur.id)
        && ids.check(old.ref_id, cur.ref_id)
        && (old.ref_id == 0) == (cur.ref_id == 0)
}

/// Whether two stack slots hold only numbers (misc, zero or spilled
/// scalars), `old` nowhere less initialised than `cur`.
fn numbers_only(old: &Slot, cur: Option<&Slot>) -> bool {
    let Some(cur) = cur else { return false };
    let num = |s: &Slot, b: &Byte| match b {
        Byte::Misc | Byte::Zero => true,
        Byte::Spill => s.spill.ty == Ty::Scalar,
        Byte::Invalid => false,
    };
    old.bytes
        .iter()
        .zip(&cur.bytes)
        .all(|(o, c)| *o == Byte::Invalid || (num(old, o) && num(cur, c)))
}

/// Whether every concrete state `cur` stands for is one `old` stands for,
/// as far as the live registers and slots of `masks` (current frame)
/// matter, scalars compared only where `precise` (per frame).
pub fn covers(old: &State, precise: &Bits, cur: &State, masks: Masks) -> bool {
    if old.frames.len() != cur.frames.len() || old.refs.len() != cur.refs.len() {
        return false;
    }
    let mut ids = IdMap::default();
    let last = old.frames.len() - 1;
    for (i, (fo, fc)) in old.frames.iter().zip(&cur.frames).enumerate() {
        if fo.callsite != fc.callsite || fo.callback != fc.callback {
            return false;
        }
        let m = if i == last { masks } else { Masks::ALL };
        let p = precise.0.get(i).copied().unwrap_or_default();
        for (r, (o, c)) in fo.regs.iter().zip(&fc.regs).enumerate() {
            let bit = 1u16.checked_shl(r as u32).unwrap_or(0);
            if r < 10 && m.live & bit == 0 {
                continue;
            }
            if r < 10 && p.regs & bit == 0 && o.ty == Ty::Scalar && c.ty == Ty::Scalar {
                continue;
            }
            if !reg_covers(o, c, &mut ids) {
                return false;
            }
        }
        for (i, so) in fo.stack.iter().enumerate() {
            if i < 64 && m.stack & (1 << i) == 0 {
                continue;
            }
            if i < 64 && p.stack & (1 << i) == 0 && numbers_only(so, fc.stack.get(i)) {
                continue;
            }
            let sc = fc
                .stack
                .get(i)
                .copied()
                .unwrap_or(super::state::Slot::EMPTY);
            for (bo, bc) in so.bytes.iter().zip(&sc.bytes) {
                let ok = match bo {
                    Byte::Invalid => true,
                    Byte::Misc => {
                        matches!(bc, Byte::Misc | Byte::Zero)
                            || (*bc == Byte::Spill && sc.spill.ty == Ty::Scalar)
                    }
                    Byte::Zero => *bc == Byte::Zero,
                    Byte::Spill => *bc == Byte::Spill,
                };
                if !ok {
                    return false;
                }
            }
            if so.bytes.contains(&Byte::Spill) && !reg_covers(&so.spill, &sc.spill, &mut ids) {
                return false;
            }
        }
    }
    if old.dynptrs.len() != cur.dynptrs.len()
        || !old.dynptrs.iter().zip(&cur.dynptrs).all(|(a, b)| {
            a.0 == b.0 && a.1 == b.1 && ids.check(a.2, b.2) && (a.2 == 0) == (b.2 == 0)
        })
    {
        return false;
    }
    match (old.lock, cur.lock) {
        (None, None) => {}
        (Some(a), Some(b)) if a.0 == b.0 && a.1 == b.1 && ids.check(a.2, b.2) => {}
        _ => return false,
    }
    old.refs
        .iter()
        .zip(&cur.refs)
        .all(|(a, b)| ids.check(a.id, b.id))
}

#[cfg(test)]
mod tests {
    use super::super::scalar::Scalar;
    use super::super::state::Frame;
    use super::*;

    fn state(r1: Reg) -> State {
        let mut f = Frame::new(0, usize::MAX, 0);
        f.regs[1] = r1;
        State {
            frames: vec![f],
            refs: Vec::new(),
            lock: None,
            dynptrs: Vec::new(),
            unroll: 0,
        }
    }

    #[test]
    fn wider_ranges_cover_narrower() {
        let all = Bits::ALL;
        let old = state(Reg::scalar(Scalar::urange(0, 10)));
        assert!(covers(&old, &all, &state(Reg::known(3)), Masks::ALL));
        assert!(!covers(&state(Reg::known(3)), &all, &old, Masks::ALL));
        assert!(covers(&state(Reg::NOT_INIT), &all, &old, Masks::ALL));
        let dead = Masks {
            live: 0,
            ..Masks::ALL
        };
        assert!(covers(&state(Reg::known(3)), &all, &old, dead));
        let imprecise = Bits::default();
        assert!(covers(&state(Reg::known(3)), &imprecise, &old, Masks::ALL));
        assert!(!covers(
            &state(Reg::known(3)),
            &imprecise,
            &state(Reg::ptr(Ty::Ctx)),
            Masks::ALL
        ));
    }

    #[test]
    fn scalar_links_correspond_one_to_one() {
        let linked = |id| Reg {
            id,
            ..Reg::scalar(Scalar::urange(0, 10))
        };
        let two = |a, b| {
            let mut st = state(linked(a));
            st.frames[0].regs[2] = linked(b);
            st
        };
        let all = Bits::ALL;
        // One register with a link nothing else compared shares: an
        // unlinked one is as good.
        assert!(covers(
            &state(linked(7)),
            &all,
            &state(linked(0)),
            Masks::ALL
        ));
        // Two linked registers: the new ones must be linked too.
        assert!(!covers(&two(7, 7), &all, &two(0, 0), Masks::ALL));
        assert!(!covers(&two(7, 7), &all, &two(3, 4), Masks::ALL));
        assert!(covers(&two(7, 7), &all, &two(3, 3), Masks::ALL));
        assert!(covers(&two(0, 0), &all, &two(3, 3), Masks::ALL));
    }

    fn visit0(seen: &mut Vec<Rc<Cp>>, st: &State, parent: &Option<Rc<Cp>>) -> Visit {
        visit(
            seen,
            0,
            st,
            parent,
            Masks::ALL,
            false,
            Some(&mut Trail::new()),
        )
    }

    #[test]
    fn completion_and_loops() {
        let mut seen = Vec::new();
        let st = state(Reg::known(1));
        let Visit::Continue(Some(cp)) = visit0(&mut seen, &st, &None) else {
            panic!()
        };
        assert!(matches!(
            visit0(&mut seen, &st, &Some(cp.clone())),
            Visit::Loop
        ));
        cp.set_precise(Bits::ALL);
        path_done(&Some(cp));
        assert!(matches!(
            visit0(&mut seen, &st, &None),
            Visit::Prune(Some(b)) if b == Bits::ALL
        ));
    }

    #[test]
    fn long_chains_drop_without_recursion() {
        let st = state(Reg::known(1));
        let mut parent = None;
        for _ in 0..300_000 {
            let mut seen = Vec::new();
            if let Visit::Continue(Some(cp)) = visit0(&mut seen, &st, &parent) {
                parent = Some(cp);
            }
        }
        drop(parent);
    }

    #[test]
    fn states_that_keep_missing_are_evicted() {
        let mut seen = Vec::new();
        let Visit::Continue(Some(cp)) = visit0(&mut seen, &state(Reg::known(0)), &None) else {
            panic!()
        };
        cp.set_precise(Bits::ALL);
        path_done(&Some(cp));
        for v in 1..=EVICT_AFTER as u64 + 1 {
            let _ = visit0(&mut seen, &state(Reg::known(v)), &None);
        }
        assert!(seen.iter().all(|c| c.state() != &state(Reg::known(0))));
    }
}

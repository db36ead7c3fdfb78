//! Conditional jumps: whether a branch's outcome is known
//! (`is_branch_taken`), and what each side learns (`reg_set_min_max` /
//! `regs_refine_cond_op`, NULL checks of `mark_ptr_or_null_regs`, packet
//! ranges of `try_match_pkt_pointers`), as Linux 6.18 does.

use super::scalar::Scalar;
use super::state::{Reg, State, Ty};
use super::tnum::Tnum;
use bpfbox_isa::Cond;

/// The comparison with swapped operands (`flip_opcode`).
pub fn flip(c: Cond) -> Cond {
    match c {
        Cond::Gt => Cond::Lt,
        Cond::Lt => Cond::Gt,
        Cond::Ge => Cond::Le,
        Cond::Le => Cond::Ge,
        Cond::Sgt => Cond::Slt,
        Cond::Slt => Cond::Sgt,
        Cond::Sge => Cond::Sle,
        Cond::Sle => Cond::Sge,
        c => c,
    }
}

/// The negated comparison (`rev_opcode`); `None` for the negation of
/// `JSET`, which is handled apart.
fn negate(c: Cond) -> Option<Cond> {
    Some(match c {
        Cond::Eq => Cond::Ne,
        Cond::Ne => Cond::Eq,
        Cond::Gt => Cond::Le,
        Cond::Le => Cond::Gt,
        Cond::Ge => Cond::Lt,
        Cond::Lt => Cond::Ge,
        Cond::Sgt => Cond::Sle,
        Cond::Sle => Cond::Sgt,
        Cond::Sge => Cond::Slt,
        Cond::Slt => Cond::Sge,
        Cond::Set => return None,
    })
}

struct View {
    t: Tnum,
    umin: u64,
    umax: u64,
    smin: i64,
    smax: i64,
}

fn view(s: &Scalar, w32: bool) -> View {
    if w32 {
        View {
            t: s.var.subreg(),
            umin: s.u32min as u64,
            umax: s.u32max as u64,
            smin: s.s32min as i64,
            smax: s.s32max as i64,
        }
    } else {
        View {
            t: s.var,
            umin: s.umin,
            umax: s.umax,
            smin: s.smin,
            smax: s.smax,
        }
    }
}

fn is_const(s: &Scalar, w32: bool) -> bool {
    if w32 {
        s.var.subreg().is_const()
    } else {
        s.var.is_const()
    }
}

/// `is_scalar_branch_taken`: `Some(true)` if always taken.
pub fn scalar_taken(a: &Scalar, b: &Scalar, c: Cond, w32: bool) -> Option<bool> {
    let (x, y) = (view(a, w32), view(b, w32));
    match c {
        Cond::Eq | Cond::Ne => {
            let eq = c == Cond::Eq;
            if x.t.is_const() && y.t.is_const() {
                return Some((x.t.value == y.t.value) == eq);
            }
            let disjoint = x.umin > y.umax
                || x.umax < y.umin
                || x.smin > y.smax
                || x.smax < y.smin
                || (!w32
                    && (a.u32min > b.u32max
                        || a.u32max < b.u32min
                        || a.s32min > b.s32max
                        || a.s32max < b.s32min));
            disjoint.then_some(!eq)
        }
        Cond::Set => {
            let (t1, t2) = if is_const(b, w32) {
                (x.t, y.t)
            } else if is_const(a, w32) {
                (y.t, x.t)
            } else {
                return None;
            };
            if t1.value & t2.value != 0 {
                Some(true)
            } else if (t1.mask | t1.value) & t2.value == 0 {
                Some(false)
            } else {
                None
            }
        }
        Cond::Gt => cmp(x.umin > y.umax, x.umax <= y.umin),
        Cond::Sgt => cmp(x.smin > y.smax, x.smax <= y.smin),
        Cond::Lt => cmp(x.umax < y.umin, x.umin >= y.umax),
        Cond::Slt => cmp(x.smax < y.smin, x.smin >= y.smax),
        Cond::Ge => cmp(x.umin >= y.umax, x.umax < y.umin),
        Cond::Sge => cmp(x.smin >= y.smax, x.smax < y.smin),
        Cond::Le => cmp(x.umax <= y.umin, x.umin > y.umax),
        Cond::Sle => cmp(x.smax <= y.smin, x.smin > y.smax),
    }
}

fn cmp(yes: bool, no: bool) -> Option<bool> {
    if yes {
        Some(true)
    } else if no {
        Some(false)
    } else {
        None
    }
}

/// Never NULL once checked (`reg_not_null`).
fn not_null(r: &Reg) -> bool {
    !r.null
        && matches!(
            r.ty,
            Ty::Socket
                | Ty::TcpSock
                | Ty::MapValue(_)
                | Ty::MapKey(_)
                | Ty::SockCommon
                | Ty::Mem { .. }
        )
}

/// `is_branch_taken` for any two registers.
pub fn taken(a: &Reg, b: &Reg, c: Cond, w32: bool) -> Option<bool> {
    if a.ty.is_ptr() || b.ty.is_ptr() {
        let (p, k, c) = if b.ty == Ty::Scalar && is_const(&b.s, w32) {
            (a, b, c)
        } else if a.ty == Ty::Scalar && is_const(&a.s, w32) {
            (b, a, flip(c))
        } else {
            return None;
        };
        if !not_null(p) {
            return None;
        }
        let v = if w32 {
            k.s.var.value as u32 as u64
        } else {
            k.s.var.value
        };
        return match (v, c) {
            (0, Cond::Eq) => Some(false),
            (0, Cond::Ne) => Some(true),
            _ => None,
        };
    }
    scalar_taken(&a.s, &b.s, c, w32)
}

fn set32(s: &mut Scalar, f: impl FnOnce(&mut Scalar)) {
    f(s);
}

/// `regs_refine_cond_op`: what `a c b` being true says about both.
fn refine(a: &mut Scalar, b: &mut Scalar, c: Cond, w32: bool, jset_false: bool) {
    if jset_false {
        let (x, k) = if is_const(b, w32) {
            (a, *b)
        } else if is_const(a, w32) {
            (b, *a)
        } else {
            return;
        };
        let val = k.var.value;
        if w32 {
            let t = x.var.subreg().and(Tnum::constant(!val));
            x.var = x.var.with_subreg(t);
        } else {
            x.var = x.var.and(Tnum::constant(!val));
        }
        return;
    }
    match c {
        Cond::Eq => {
            if w32 {
                a.u32min = a.u32min.max(b.u32min);
                a.u32max = a.u32max.min(b.u32max);
                a.s32min = a.s32min.max(b.s32min);
                a.s32max = a.s32max.min(b.s32max);
                (b.u32min, b.u32max, b.s32min, b.s32max) = (a.u32min, a.u32max, a.s32min, a.s32max);
                let t = a.var.subreg().intersect(b.var.subreg());
                a.var = a.var.with_subreg(t);
                b.var = b.var.with_subreg(t);
            } else {
                a.umin = a.umin.max(b.umin);
                a.umax = a.umax.min(b.umax);
                a.smin = a.smin.max(b.smin);
                a.smax = a.smax.min(b.smax);
                (b.umin, b.umax, b.smin, b.smax) = (a.umin, a.umax, a.smin, a.smax);
                a.var = a.var.intersect(b.var);
                b.var = a.var;
            }
        }
        Cond::Ne => {
            let (x, k) = if is_const(b, w32) {
                (a, *b)
            } else if is_const(a, w32) {
                (b, *a)
            } else {
                return;
            };
            let val = k.var.value;
            if w32 {
                set32(x, |x| {
                    if x.u32min == val as u32 {
                        x.u32min = x.u32min.wrapping_add(1);
                    }
                    if x.u32max == val as u32 {
                        x.u32max = x.u32max.wrapping_sub(1);
                    }
                    if x.s32min == val as u32 as i32 {
                        x.s32min = x.s32min.wrapping_add(1);
                    }
                    if x.s32max == val as u32 as i32 {
                        x.s32max = x.s32max.wrapping_sub(1);
                    }
                });
            } else {
                if x.umin == val {
                    x.umin = x.umin.wrapping_add(1);
                }
                if x.umax == val {
                    x.umax = x.umax.wrapping_sub(1);
                }
                if x.smin == val as i64 {
                    x.smin = x.smin.wrapping_add(1);
                }
                if x.smax == val as i64 {
                    x.smax = x.smax.wrapping_sub(1);
                }
            }
        }
        Cond::Set => {
            let (x, k) = if is_const(b, w32) {
                (a, *b)
            } else if is_const(a, w32) {
                (b, *a)
            } else {
                return;
            };
            let val = if w32 {
                k.var.value as u32 as u64
            } else {
                k.var.value
            };
            if !val.is_power_of_two() {
                return;
            }
            if w32 {
                let t = x.var.subreg().or(Tnum::constant(val));
                x.var = x.var.with_subreg(t);
            } else {
                x.var = x.var.or(Tnum::constant(val));
            }
        }
        Cond::Le | Cond::Lt => {
            let d = u64::from(c == Cond::Lt);
            if w32 {
                a.u32max = a.u32max.min(b.u32max.wrapping_sub(d as u32));
                b.u32min = b.u32min.max(a.u32min.wrapping_add(d as u32));
            } else {
                a.umax = a.umax.min(b.umax.wrapping_sub(d));
                b.umin = b.umin.max(a.umin.wrapping_add(d));
            }
        }
        Cond::Sle | Cond::Slt => {
            let d = i64::from(c == Cond::Slt);
            if w32 {
                a.s32max = a.s32max.min(b.s32max.wrapping_sub(d as i32));
                b.s32min = b.s32min.max(a.s32min.wrapping_add(d as i32));
            } else {
                a.smax = a.smax.min(b.smax.wrapping_sub(d));
                b.smin = b.smin.max(a.smin.wrapping_add(d));
            }
        }
        Cond::Ge | Cond::Gt | Cond::Sge | Cond::Sgt => refine(b, a, flip(c), w32, false),
    }
}

/// Refines two scalars for the branch where `a c b` is `outcome`
/// (`reg_set_min_max`). Returns false when that branch is impossible.
pub fn refine_scalars(a: &mut Scalar, b: &mut Scalar, c: Cond, w32: bool, outcome: bool) -> bool {
    match (outcome, negate(c)) {
        (true, _) => refine(a, b, c, w32, false),
        (false, Some(n)) => refine(a, b, n, w32, false),
        (false, None) => refine(a, b, c, w32, true),
    }
    a.sync();
    b.sync();
    !a.is_empty() && !b.is_empty()
}

/// After `if rX == 0` on a maybe-NULL pointer with id `id`: every copy
/// becomes NULL (a known 0) or a valid pointer (`mark_ptr_or_null_regs`).
/// A NULL socket or ring buffer record releases its reference when the
/// pointer is the acquired one (its id is the reference's), not a cast of
/// it (`bpf_tcp_sock`, `bpf_skc_to_*`: a new id sharing the reference).
/// `keep_id`: pointer types whose id outlives the test (map values with a
/// spin lock: the lock held is known by it).
pub fn mark_null(st: &mut State, id: u32, is_null: bool, keep_id: &dyn Fn(Ty) -> bool) {
    let mut released = None;
    st.for_each_reg(|r| {
        if r.id == id && r.null && r.ty.is_ptr() {
            if is_null {
                if r.ref_id != 0 && r.ref_id == id {
                    released = Some(r.ref_id);
                }
                *r = Reg::known(0);
            } else {
                r.null = false;
                if !r.ty.is_pkt() && r.ref_id == 0 && !keep_id(r.ty) {
                    r.id = 0;
                }
            }
        }
    });
    if let Some(rid) = released {
        st.refs.retain(|x| x.id != rid);
    }
}

/// Packet range learnt on one side of a comparison with the packet end
/// (`find_good_pkt_pointers`): every pointer with the same type and id
/// becomes readable up to its offset (`+1` when the test was strict).
pub fn good_pkt(st: &mut State, p: &Reg, open: bool) {
    if p.off < 0 || p.s.umax > 0xffff || p.s.umax + p.off as u64 > 0xffff {
        return;
    }
    let new = p.off as u32 + u32::from(open);
    let (ty, id) = (p.ty, p.id);
    st.for_each_reg(|r| {
        if r.ty == ty && r.id == id {
            r.range = r.range.max(new);
        }
    });
}

/// `try_match_pkt_pointers`: for `dst c src` with one packet pointer and
/// the packet end (or meta against data), the range each side learns:
/// `(pointer, strict, on the taken side)`.
pub fn pkt_compare(dst: &Reg, src: &Reg, c: Cond) -> Option<(Reg, bool, bool)> {
    let ptr_vs_end = |p: &Reg, e: &Reg| {
        (p.ty == Ty::Packet && e.ty == Ty::PacketEnd)
            || (p.ty == Ty::PacketMeta
                && e.ty == Ty::Packet
                && e.off == 0
                && e.s.value() == Some(0))
    };
    let (p, c) = if ptr_vs_end(dst, src) {
        (*dst, c)
    } else if ptr_vs_end(src, dst) {
        (*src, flip(c))
    } else {
        return None;
    };
    // Now `p c end`.
    Some(match c {
        Cond::Gt => (p, false, false),
        Cond::Ge => (p, true, false),
        Cond::Lt => (p, true, true),
        Cond::Le => (p, false, true),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_outcomes() {
        let a = Scalar::urange(0, 10);
        assert_eq!(
            scalar_taken(&a, &Scalar::known(10), Cond::Gt, false),
            Some(false)
        );
        assert_eq!(
            scalar_taken(&a, &Scalar::known(10), Cond::Le, false),
            Some(true)
        );
        assert_eq!(scalar_taken(&a, &Scalar::known(5), Cond::Gt, false), None);
        assert_eq!(
            scalar_taken(&a, &Scalar::known(11), Cond::Eq, false),
            Some(false)
        );
        assert_eq!(
            scalar_taken(&a, &Scalar::known(16), Cond::Set, false),
            Some(false)
        );
    }

    #[test]
    fn refinement_narrows_ranges() {
        let (mut a, mut b) = (Scalar::UNKNOWN, Scalar::known(100));
        assert!(refine_scalars(&mut a, &mut b, Cond::Gt, false, false));
        assert_eq!((a.umin, a.umax), (0, 100));
        let (mut a, mut b) = (Scalar::urange(0, 100), Scalar::known(100));
        assert!(refine_scalars(&mut a, &mut b, Cond::Lt, false, true));
        assert_eq!(a.umax, 99);
        let (mut a, mut b) = (Scalar::UNKNOWN, Scalar::known(7));
        assert!(refine_scalars(&mut a, &mut b, Cond::Eq, true, true));
        assert_eq!(a.var.subreg().value, 7);
        let (mut a, mut b) = (Scalar::urange(0, 5), Scalar::known(9));
        assert!(!refine_scalars(&mut a, &mut b, Cond::Eq, false, true));
    }
}

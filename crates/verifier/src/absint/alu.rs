//! ALU instructions on abstract registers (`check_alu_op`,
//! `adjust_reg_min_max_vals`, `adjust_ptr_min_max_vals`): scalar bounds,
//! register copies with linked ids, and the pointer arithmetic the kernel
//! allows a privileged program.

use super::scalar::{self, Scalar};
use super::state::{Delta, Reg, State, Ty};
use super::{Fail, Walk};
use crate::diag::Code;
use bpfbox_isa::{AluOp, Endian, Reg as R, Src, Width};

/// Before a scalar is copied (`r1 = r2`, a spill): a register with a
/// delta gives up its link (a copy cannot carry two deltas), and an
/// unlinked one that is not a constant gets a new id the copy shares
/// (`assign_scalar_id_before_mov`).
pub(super) fn link_before_copy(r: &mut Reg, new_id: impl FnOnce() -> u32) {
    if r.ty != Ty::Scalar {
        return;
    }
    if r.delta.is_some() {
        r.id = 0;
        r.delta = None;
    }
    if r.id == 0 && r.s.value().is_none() {
        r.id = new_id();
    }
}

/// `dst += const` or `dst -= const` on a linked scalar keeps the link with
/// the constant as its delta, once (`adjust_reg_min_max_vals`): a 64-bit
/// constant must fit in an `i32`, a 32-bit one needs `dst` below 2^32
/// before, and `-= i32::MIN` cannot be negated. Any other arithmetic
/// breaks the link.
fn link_delta(width: Width, op: AluOp, d: &Reg, src: &Reg) -> Option<Delta> {
    if d.id == 0 || d.delta.is_some() || !matches!(op, AluOp::Add | AluOp::Sub) {
        return None;
    }
    let off = match width {
        Width::W64 => i32::try_from(src.s.value()? as i64).ok()?,
        Width::W32 => {
            if d.s.umax > u32::MAX as u64 {
                return None;
            }
            src.s.subreg_value()? as i32
        }
    };
    let off = if op == AluOp::Sub {
        off.checked_neg()?
    } else {
        off
    };
    Some(Delta {
        off,
        w32: width == Width::W32,
    })
}

/// Largest offset a pointer may carry (`BPF_MAX_VAR_OFF`).
const MAX_VAR_OFF: i64 = 1 << 29;

fn op_str(op: AluOp) -> &'static str {
    match op {
        AluOp::Add => "+=",
        AluOp::Sub => "-=",
        AluOp::Mul => "*=",
        AluOp::Div | AluOp::Sdiv => "/=",
        AluOp::Or => "|=",
        AluOp::And => "&=",
        AluOp::Lsh => "<<=",
        AluOp::Rsh => ">>=",
        AluOp::Mod | AluOp::Smod => "%=",
        AluOp::Xor => "^=",
        AluOp::Mov | AluOp::Movsx(_) => "=",
        AluOp::Arsh => "s>>=",
    }
}

impl Walk<'_> {
    /// `mov`, `movsx` and the arithmetic instructions.
    pub(super) fn alu(
        &mut self,
        st: &mut State,
        pc: usize,
        width: Width,
        op: AluOp,
        dst: R,
        src: Src,
    ) -> Result<(), Fail> {
        let srcreg = match src {
            Src::Reg(r) => *st.reg(r),
            Src::Imm(i) => Reg::known(match width {
                Width::W64 => i as i64 as u64,
                Width::W32 => i as u32 as u64,
            }),
        };
        if let AluOp::Mov | AluOp::Movsx(_) = op {
            // A narrowing copy of a value that fits copies the register in
            // the kernel, which first gives up a link with a delta.
            let fits = match (op, width) {
                (AluOp::Movsx(bits), _) => srcreg.s.umax < 1u64 << (bits - 1),
                (_, Width::W32) => srcreg.s.umax <= u32::MAX as u64,
                _ => false,
            };
            if let (true, Src::Reg(r), Some(_)) = (fits, src, srcreg.delta) {
                let s = st.reg_mut(r);
                s.id = 0;
                s.delta = None;
            }
            let v = self.mov(st, width, op, srcreg, src);
            *st.reg_mut(dst) = v;
            return Ok(());
        }
        let d = *st.reg(dst);
        let res = if d.ty == Ty::Scalar && srcreg.ty == Ty::Scalar {
            let mut s = d.s;
            scalar::alu(width, op, &mut s, &srcreg.s);
            let mut r = Reg::scalar(s);
            r.delta = None;
            if let Some(delta) = link_delta(width, op, &d, &srcreg) {
                r.id = d.id;
                r.delta = Some(delta);
            }
            r
        } else if d.ty.is_ptr() && srcreg.ty.is_ptr() {
            if op == AluOp::Sub && width == Width::W64 {
                Reg::unknown()
            } else if width == Width::W32 {
                if op == AluOp::Sub {
                    Reg::unknown()
                } else {
                    return Err(self
                        .fail(
                            pc,
                            Code::PtrArith,
                            format!("R{dst} 32-bit pointer arithmetic prohibited"),
                        )
                        .reg(dst));
                }
            } else {
                return Err(self
                    .fail(
                        pc,
                        Code::PtrArith,
                        format!("R{dst} pointer {} pointer prohibited", op_str(op)),
                    )
                    .reg(dst));
            }
        } else if d.ty.is_ptr() {
            // The offset decides the pointer: it must be exact.
            if let Src::Reg(r) = src {
                self.need_scalar(st, r);
            }
            self.ptr_arith(pc, width, op, dst, d, srcreg, false)?
        } else {
            self.need_scalar(st, dst);
            self.ptr_arith(pc, width, op, dst, srcreg, d, true)?
        };
        *st.reg_mut(dst) = res;
        Ok(())
    }

    fn mov(&mut self, st: &mut State, width: Width, op: AluOp, srcreg: Reg, src: Src) -> Reg {
        match (op, width) {
            (AluOp::Mov, Width::W64) => {
                if let (Src::Reg(r), Ty::Scalar) = (src, srcreg.ty) {
                    // A copy links both registers (`assign_scalar_id_before_mov`).
                    let src = st.reg_mut(r);
                    link_before_copy(src, || self.new_id());
                    *src
                } else {
                    srcreg
                }
            }
            (AluOp::Mov, Width::W32) => {
                if srcreg.ty.is_ptr() {
                    return Reg::scalar(Scalar::urange(0, u32::MAX as u64));
                }
                let mut s = srcreg.s;
                s.truncate(4);
                Reg::scalar(s)
            }
            (AluOp::Movsx(bits), w) => {
                if srcreg.ty.is_ptr() {
                    return Reg::unknown();
                }
                let mut s = srcreg.s;
                if w == Width::W64 {
                    s.sign_extend(bits as u32 / 8);
                } else {
                    s.sign_extend32(bits as u32 / 8);
                }
                Reg::scalar(s)
            }
            _ => unreachable!("only moves"),
        }
    }

    /// `neg` and `BPF_END`: pointers become unknown numbers (root).
    pub(super) fn unary(&mut self, st: &mut State, dst: R, f: impl FnOnce(&mut Scalar)) {
        let r = st.reg_mut(dst);
        if r.ty.is_ptr() {
            *r = Reg::unknown();
            return;
        }
        let mut s = r.s;
        f(&mut s);
        *r = Reg::scalar(s);
    }

    /// Byte swap.
    pub(super) fn endian(&mut self, st: &mut State, dst: R, kind: Endian, bits: u8) {
        self.unary(st, dst, |s| scalar::endian(s, kind, bits));
    }

    /// `ptr op off` (or `off op ptr` when `swapped`), the rules of
    /// `adjust_ptr_min_max_vals`.
    #[allow(clippy::too_many_arguments)]
    fn ptr_arith(
        &mut self,
        pc: usize,
        width: Width,
        op: AluOp,
        dst: R,
        ptr: Reg,
        off: Reg,
        swapped: bool,
    ) -> Result<Reg, Fail> {
        let fail = |w: &Self, m: String| Err(w.fail(pc, Code::PtrArith, m).reg(dst));
        if width == Width::W32 {
            if op == AluOp::Sub {
                return Ok(Reg::unknown());
            }
            return fail(self, format!("R{dst} 32-bit pointer arithmetic prohibited"));
        }
        let name = ptr.ty.kernel_name();
        if ptr.null {
            return fail(
                self,
                format!(
                    "R{dst} pointer arithmetic on {name}_or_null prohibited, null-check it first"
                ),
            );
        }
        let known = off.s.value().is_some();
        let allowed = match ptr.ty {
            Ty::FlowKeys => known,
            Ty::MapPtr(_) => known && off.s.value() == Some(0) && op == AluOp::Add,
            Ty::PacketEnd | Ty::Socket | Ty::SockCommon | Ty::TcpSock => false,
            _ => true,
        };
        if !allowed {
            return fail(
                self,
                format!("R{dst} pointer arithmetic on {name} prohibited"),
            );
        }
        match op {
            AluOp::Add => {}
            AluOp::Sub if swapped => {
                return fail(
                    self,
                    format!("R{dst} tried to subtract pointer from scalar"),
                )
            }
            AluOp::Sub if matches!(ptr.ty, Ty::Stack(_)) => {
                return fail(
                    self,
                    format!("R{dst} subtraction from stack pointer prohibited"),
                )
            }
            AluOp::Sub => {}
            AluOp::And | AluOp::Or | AluOp::Xor => {
                return fail(
                    self,
                    format!(
                        "R{dst} bitwise operator {} on pointer prohibited",
                        op_str(op)
                    ),
                )
            }
            _ => {
                return fail(
                    self,
                    format!(
                        "R{dst} pointer arithmetic with {} operator prohibited",
                        op_str(op)
                    ),
                )
            }
        }
        let (val, smin) = (off.s.var.value as i64, off.s.smin);
        if known && !(-MAX_VAR_OFF + 1..MAX_VAR_OFF).contains(&val) {
            return fail(
                self,
                format!("math between {name} pointer and {val} is not allowed"),
            );
        }
        if smin == i64::MIN {
            return fail(self, format!("math between {name} pointer and register with unbounded min value is not allowed"));
        }
        if !(-MAX_VAR_OFF + 1..MAX_VAR_OFF).contains(&smin) {
            return fail(
                self,
                format!("value {smin} makes {name} pointer be out of bounds"),
            );
        }
        let mut res = ptr;
        if known {
            let new = if op == AluOp::Add {
                ptr.off as i64 + val
            } else {
                ptr.off as i64 - val
            };
            if (-MAX_VAR_OFF + 1..MAX_VAR_OFF).contains(&new) {
                res.off = new as i32;
                return Ok(res);
            }
        }
        let mut v = ptr.s;
        let mut o = off.s;
        if known {
            // Offset overflow: move the constant into the variable part.
            o = Scalar::known(val as u64);
        }
        if op == AluOp::Add {
            scalar::alu(Width::W64, AluOp::Add, &mut v, &o);
        } else {
            scalar::alu(Width::W64, AluOp::Sub, &mut v, &o);
        }
        res.s = v;
        if ptr.ty.is_pkt() {
            res.id = self.new_id();
            res.range = 0;
        }
        // As `check_reg_sane_offset` on the result: only its minimum; a
        // large maximum is refused at the access ("unbounded memory
        // access").
        if res.s.smin <= -MAX_VAR_OFF || res.s.smin >= MAX_VAR_OFF {
            return fail(
                self,
                format!("value {} makes {name} pointer be out of bounds", res.s.smin),
            );
        }
        Ok(res)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn linked(id: u32, umax: u64) -> Reg {
        Reg {
            id,
            ..Reg::scalar(Scalar::urange(0, umax))
        }
    }

    fn delta(off: i32, w32: bool) -> Option<Delta> {
        Some(Delta { off, w32 })
    }

    #[test]
    fn add_or_sub_of_a_constant_keeps_the_link_once() {
        let d = linked(3, 10);
        let c = |v: u64| Reg::known(v);
        assert_eq!(
            link_delta(Width::W64, AluOp::Add, &d, &c(4)),
            delta(4, false)
        );
        assert_eq!(
            link_delta(Width::W64, AluOp::Sub, &d, &c(4)),
            delta(-4, false)
        );
        assert_eq!(
            link_delta(Width::W64, AluOp::Add, &d, &c(-4i64 as u64)),
            delta(-4, false)
        );
        assert_eq!(
            link_delta(Width::W32, AluOp::Add, &d, &c(0xffff_fffc)),
            delta(-4, true)
        );
        // Too large for an i32, or i32::MIN negated.
        assert_eq!(link_delta(Width::W64, AluOp::Add, &d, &c(1 << 31)), None);
        assert_eq!(
            link_delta(Width::W64, AluOp::Sub, &d, &c(i32::MIN as i64 as u64)),
            None
        );
        // A second shift, an unlinked register, a variable addend, another op.
        let shifted = Reg {
            delta: delta(4, false),
            ..d
        };
        assert_eq!(link_delta(Width::W64, AluOp::Add, &shifted, &c(4)), None);
        assert_eq!(
            link_delta(Width::W64, AluOp::Add, &linked(0, 10), &c(4)),
            None
        );
        assert_eq!(link_delta(Width::W64, AluOp::Add, &d, &linked(0, 3)), None);
        assert_eq!(link_delta(Width::W64, AluOp::Mul, &d, &c(4)), None);
        // 32-bit: only while the register fits in 32 bits.
        assert_eq!(
            link_delta(Width::W32, AluOp::Add, &linked(3, 1 << 32), &c(4)),
            None
        );
    }

    #[test]
    fn a_copy_of_a_shifted_register_starts_a_new_link() {
        let mut r = Reg {
            delta: delta(4, false),
            ..linked(3, 10)
        };
        link_before_copy(&mut r, || 9);
        assert_eq!((r.id, r.delta), (9, None));
        let mut r = linked(3, 10);
        link_before_copy(&mut r, || 9);
        assert_eq!((r.id, r.delta), (3, None));
        let mut k = Reg::known(5);
        link_before_copy(&mut k, || 9);
        assert_eq!(k.id, 0);
    }
}

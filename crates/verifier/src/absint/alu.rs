//! ALU instructions on abstract registers (`check_alu_op`,
//! `adjust_reg_min_max_vals`, `adjust_ptr_min_max_vals`): scalar bounds,
//! register copies with linked ids, and the pointer arithmetic the kernel
//! allows a privileged program.

use super::scalar::{self, Scalar};
use super::state::{Reg, State, Ty};
use super::{Fail, Walk};
use crate::diag::Code;
use bpfbox_isa::{AluOp, Endian, Reg as R, Src, Width};

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
            let v = self.mov(st, width, op, srcreg, src);
            *st.reg_mut(dst) = v;
            return Ok(());
        }
        let d = *st.reg(dst);
        let res = if d.ty == Ty::Scalar && srcreg.ty == Ty::Scalar {
            let mut s = d.s;
            scalar::alu(width, op, &mut s, &srcreg.s);
            Reg::scalar(s)
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
                    let mut v = srcreg;
                    if v.id == 0 && v.s.value().is_none() {
                        v.id = self.new_id();
                        st.reg_mut(r).id = v.id;
                    }
                    v
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

//! Pass (c), the frame pointer: writes to `r10` are refused by decoding
//! (and by [`crate::shape`]); here, the ALU operations that take `r10` as
//! an operand and that the kernel refuses even for a privileged loader
//! (`adjust_reg_min_max_vals` and `adjust_ptr_min_max_vals` in
//! kernel/bpf/verifier.c, checked against Linux 6.18):
//!
//! - 64-bit: only `=`, `+=` and `-=` accept a pointer operand; `*=`, `/=`,
//!   `%=`, shifts and the bitwise operations are refused whatever the
//!   destination holds;
//! - 64-bit `-=`: refused when the destination is a scalar ("tried to
//!   subtract pointer from scalar"); reported only when the destination is
//!   a known constant, since this layer does not track pointer types;
//! - 32-bit: everything except `=`, sign-extending `=` and `-=` ("32-bit
//!   pointer arithmetic prohibited").
//!
//! And loads, stores and atomics addressed directly off `r10`: they must be
//! aligned to their size ("misaligned stack access", `check_ptr_alignment`
//! is always strict for the stack) and stay inside the 512-byte stack below
//! `r10` ("invalid read from stack" / "invalid write to stack",
//! `check_stack_access_within_bounds`). Reading stack that was never
//! written is allowed for a privileged loader, as here.
//!
//! Copies of `r10` in other registers are not followed (that needs the
//! type tracking of the full verifier).

use crate::diag::{Code, Diagnostic, Label};
use crate::flow::Flow;
use bpfbox_isa::{AluOp, AtomicOp, Insn, Size, Src, Width, FP};

/// Bytes of stack below `r10` (`MAX_BPF_STACK`).
pub(crate) const STACK_SIZE: i64 = 512;

/// The kernel's spelling of an ALU operator (`bpf_alu_string`).
fn alu_str(op: AluOp) -> &'static str {
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

/// Appends `(slot, order within the slot, diagnostic)` for each refused
/// use of `r10`. Runs on reached slots only, after the register reads of
/// the same slot (which the kernel checks first).
pub(crate) fn check(insns: &[Insn], flow: &Flow, out: &mut Vec<(usize, usize, Diagnostic)>) {
    for (pc, st) in flow.states.iter().enumerate() {
        let Some(st) = st else { continue };
        if let Some(d) = stack_access(&insns[pc], pc) {
            out.push((pc, 60, d));
        }
        let Insn::Alu {
            width,
            op,
            dst,
            src: Src::Reg(FP),
        } = insns[pc]
        else {
            continue;
        };
        let sym = alu_str(op);
        let (message, kernel) = match (width, op) {
            (_, AluOp::Mov | AluOp::Movsx(_))
            | (Width::W64, AluOp::Add)
            | (Width::W32, AluOp::Sub) => continue,
            (Width::W64, AluOp::Sub) if st[dst as usize].known().is_none() => continue,
            (Width::W64, AluOp::Sub) => (
                "frame pointer `r10` subtracted from a scalar".to_string(),
                format!("R{dst} tried to subtract pointer from scalar"),
            ),
            (Width::W64, AluOp::And | AluOp::Or | AluOp::Xor) => (
                format!("bitwise `{sym}` on the frame pointer `r10`"),
                format!("R{dst} bitwise operator {sym} on pointer prohibited"),
            ),
            (Width::W64, _) => (
                format!("pointer arithmetic with `{sym}` on the frame pointer `r10`"),
                format!("R{dst} pointer arithmetic with {sym} operator prohibited"),
            ),
            (Width::W32, _) => (
                format!("32-bit `{sym}` on the frame pointer `r10`"),
                format!("R{dst} 32-bit pointer arithmetic prohibited"),
            ),
        };
        let d = Diagnostic::error(Code::FpArith, message, Label::new(pc, "`r10` is a pointer"))
            .with_help(
                "only `=`, and `+=`/`-=` on 64 bits, accept a pointer; for a stack address write \
                 `rX = r10` then `rX += -N`",
            )
            .with_kernel(kernel);
        out.push((pc, 100, d));
    }
}

/// The stack access of `insn` when its base is `r10`: (size, offset,
/// whether the kernel checks it as a write first).
fn fp_access(insn: &Insn) -> Option<(Size, i16, bool)> {
    match *insn {
        Insn::Load {
            size, src: FP, off, ..
        } => Some((size, off, false)),
        Insn::Store {
            size, dst: FP, off, ..
        } => Some((size, off, true)),
        Insn::Atomic {
            size,
            op: AtomicOp::LoadAcquire,
            src: FP,
            off,
            ..
        } => Some((size, off, false)),
        Insn::Atomic {
            size,
            op: AtomicOp::StoreRelease,
            dst: FP,
            off,
            ..
        } => Some((size, off, true)),
        // read-modify-write: the kernel checks the read first
        Insn::Atomic {
            size,
            op,
            dst: FP,
            off,
            ..
        } if op != AtomicOp::LoadAcquire => Some((size, off, false)),
        _ => None,
    }
}

fn stack_access(insn: &Insn, pc: usize) -> Option<Diagnostic> {
    let (size, off, write) = fp_access(insn)?;
    let (n, off) = (size.bytes() as i64, off as i64);
    let at = if off < 0 {
        format!("`r10 - {}`", -off)
    } else {
        format!("`r10 + {off}`")
    };
    if off.rem_euclid(n) != 0 {
        return Some(
            Diagnostic::error(
                Code::StackAlign,
                format!("misaligned {n}-byte stack access at {at}"),
                Label::new(pc, format!("offset {off} is not a multiple of {n}")),
            )
            .with_help("stack accesses must be aligned to their size")
            .with_kernel(format!("misaligned stack access off 0+0+{off} size {n}")),
        );
    }
    if off < -STACK_SIZE || off + n > 0 {
        let kernel = if write {
            format!("invalid write to stack R10 off={off} size={n}")
        } else {
            format!("invalid read from stack R10 off={off} size={n}")
        };
        return Some(
            Diagnostic::error(
                Code::StackBounds,
                format!("{n}-byte stack access at {at} is outside the stack"),
                Label::new(
                    pc,
                    format!("the stack is `r10 - {STACK_SIZE}` to `r10 - 1`"),
                ),
            )
            .with_help(format!(
                "the BPF stack is {STACK_SIZE} bytes just below `r10`"
            ))
            .with_kernel(kernel),
        );
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stack_offsets() {
        let st = |off: i16| Insn::Store {
            size: Size::DW,
            dst: FP,
            off,
            src: Src::Imm(0),
        };
        assert!(stack_access(&st(-8), 0).is_none());
        assert!(stack_access(&st(-512), 0).is_none());
        assert_eq!(
            stack_access(&st(-520), 0).map(|d| d.code),
            Some(Code::StackBounds)
        );
        assert_eq!(
            stack_access(&st(0), 0).map(|d| d.code),
            Some(Code::StackBounds)
        );
        assert_eq!(
            stack_access(&st(-4), 0).map(|d| d.code),
            Some(Code::StackAlign)
        );
        assert_eq!(
            stack_access(&st(-521), 0).map(|d| d.code),
            Some(Code::StackAlign)
        );
    }

    #[test]
    fn kernel_operator_spelling() {
        assert_eq!(alu_str(AluOp::Arsh), "s>>=");
        assert_eq!(alu_str(AluOp::Smod), "%=");
        assert_eq!(alu_str(AluOp::Movsx(8)), "=");
    }
}

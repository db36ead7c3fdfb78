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
//! Copies of `r10` in other registers are not followed (that needs the
//! type tracking of the full verifier).

use crate::diag::{Code, Diagnostic, Label};
use crate::flow::Flow;
use bpfbox_isa::{AluOp, Insn, Src, Width, FP};

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kernel_operator_spelling() {
        assert_eq!(alu_str(AluOp::Arsh), "s>>=");
        assert_eq!(alu_str(AluOp::Smod), "%=");
        assert_eq!(alu_str(AluOp::Movsx(8)), "=");
    }
}

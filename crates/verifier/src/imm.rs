//! Pass (d), immediate operands the kernel refuses in `check_alu_op`
//! (kernel/bpf/verifier.c) once the instruction's registers have been
//! read: division or modulo by an immediate 0 ("div by zero") and shifts by
//! an immediate outside `0..width` ("invalid shift %d"). Checked on reached
//! instructions only, as the kernel does.

use crate::diag::{Applicability, Code, Diagnostic, Edit, Label, Suggestion};
use crate::flow::Flow;
use crate::options::Options;
use bpfbox_isa::{AluOp, Insn, Src, Width};

/// Appends `(slot, order within the slot, diagnostic)` for each refused
/// immediate.
pub(crate) fn check(
    insns: &[Insn],
    flow: &Flow,
    opts: &Options,
    out: &mut Vec<(usize, usize, Diagnostic)>,
) {
    for (pc, st) in flow.states.iter().enumerate() {
        if st.is_none() {
            continue;
        }
        let Insn::Alu {
            width,
            op,
            dst,
            src: Src::Imm(imm),
        } = insns[pc]
        else {
            continue;
        };
        let bits: i32 = if width == Width::W64 { 64 } else { 32 };
        match op {
            AluOp::Div | AluOp::Sdiv | AluOp::Mod | AluOp::Smod if imm == 0 => {
                let (what, runtime) = if matches!(op, AluOp::Div | AluOp::Sdiv) {
                    ("division", "0".to_string())
                } else {
                    ("modulo", format!("`r{dst}` unchanged"))
                };
                out.push((
                    pc,
                    50,
                    Diagnostic::error(
                        Code::DivByZero,
                        format!("{what} by the constant 0"),
                        Label::new(pc, "divisor is 0"),
                    )
                    .with_help(format!(
                        "the kernel refuses a constant 0 divisor; a register divisor that is 0 at run \
                         time gives {runtime}"
                    ))
                    .with_kernel("div by zero"),
                ));
            }
            AluOp::Lsh | AluOp::Rsh | AluOp::Arsh
                if !(0..bits).contains(&imm) && !opts.allow_out_of_range_shifts =>
            {
                let masked = imm & (bits - 1);
                let reg = if width == Width::W64 { 'r' } else { 'w' };
                let sym = match op {
                    AluOp::Lsh => "<<=",
                    AluOp::Rsh => ">>=",
                    _ => "s>>=",
                };
                out.push((
                    pc,
                    50,
                    Diagnostic::error(
                        Code::BadShift,
                        format!("shift by {imm}, outside 0..{bits}"),
                        Label::new(
                            pc,
                            format!("a {bits}-bit shift needs an amount below {bits}"),
                        ),
                    )
                    .with_help(format!(
                        "run-time masking would shift by {masked}; write that if it is meant"
                    ))
                    .with_suggestion(Suggestion {
                        insn: pc,
                        edit: Edit::Replace,
                        code: format!("{reg}{dst} {sym} {masked}"),
                        applicability: Applicability::MaybeIncorrect,
                    })
                    .with_kernel(format!("invalid shift {imm}")),
                ));
            }
            _ => {}
        }
    }
}

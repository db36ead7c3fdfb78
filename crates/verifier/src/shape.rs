//! Well-formedness of the instruction list itself, before any pass looks
//! at it: what `bpfbox_isa::decode` guarantees, re-checked because an
//! `&[Insn]` can be built by hand, and the later passes index by these
//! numbers. Failing here stops verification.

use crate::diag::{Code, Diagnostic, Label};
use bpfbox_isa::{AtomicOp, Insn, Reg, Src, FP};

/// The registers an instruction names, as (register, written) pairs.
fn named_regs(insn: &Insn) -> Vec<(Reg, bool)> {
    let src = |s: Src| match s {
        Src::Reg(r) => vec![(r, false)],
        Src::Imm(_) => vec![],
    };
    match *insn {
        Insn::Alu { dst, src: s, .. } => [vec![(dst, true)], src(s)].concat(),
        Insn::Neg { dst, .. } | Insn::End { dst, .. } => vec![(dst, true)],
        Insn::Jmp { dst, src: s, .. } => [vec![(dst, false)], src(s)].concat(),
        Insn::Load { dst, src, .. } => vec![(dst, true), (src, false)],
        Insn::Store { dst, src: s, .. } => [vec![(dst, false)], src(s)].concat(),
        Insn::Atomic { op, dst, src, .. } => {
            let fetch = matches!(
                op,
                AtomicOp::Add { fetch: true }
                    | AtomicOp::Or { fetch: true }
                    | AtomicOp::And { fetch: true }
                    | AtomicOp::Xor { fetch: true }
                    | AtomicOp::Xchg
            );
            match op {
                AtomicOp::LoadAcquire => vec![(dst, true), (src, false)],
                _ => vec![(dst, false), (src, fetch)],
            }
        }
        Insn::LdImm64 { dst, .. } => vec![(dst, true)],
        Insn::LdInd { src, .. } => vec![(src, false)],
        Insn::CallX { reg } => vec![(reg, false)],
        _ => vec![],
    }
}

/// Checks that `insns` is a decoded program: not empty, `lddw` halves
/// paired, targets inside the program and not on a second half, register
/// numbers valid and `r10` never written.
pub(crate) fn check(insns: &[Insn]) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    if insns.is_empty() {
        out.push(Diagnostic::error(
            Code::Malformed,
            "program has no instructions",
            Label::new(0, "empty program"),
        ));
        return out;
    }
    for (pc, insn) in insns.iter().enumerate() {
        let bad = |msg: String, label: &str| {
            Diagnostic::error(Code::Malformed, msg, Label::new(pc, label))
        };
        match insn {
            Insn::LdImm64 { .. } if insns.get(pc + 1) != Some(&Insn::LdImm64Hi) => {
                out.push(
                    bad(
                        "`lddw` without its second slot".into(),
                        "needs a second slot",
                    )
                    .with_kernel("invalid BPF_LD_IMM insn"),
                );
            }
            Insn::LdImm64Hi if pc == 0 || !matches!(insns[pc - 1], Insn::LdImm64 { .. }) => {
                out.push(bad(
                    "second slot of a `lddw` without its first".into(),
                    "stray second slot",
                ));
            }
            _ => {}
        }
        if let Some(t) = insn.target() {
            if t >= insns.len() {
                let shown = if t == usize::MAX {
                    "before the start".to_string()
                } else {
                    format!("insn {t}")
                };
                out.push(
                    bad(
                        format!("jump target outside the program ({shown})"),
                        "jumps out of the program",
                    )
                    .with_kernel(format!("jump out of range from insn {pc}")),
                );
            } else if insns[t] == Insn::LdImm64Hi {
                let lddw = t.saturating_sub(1);
                out.push(
                    bad(
                        format!("jump into the middle of the `lddw` at insn {lddw}"),
                        "jumps into a `lddw`",
                    )
                    .with_related(Label::new(lddw, "this `lddw` takes two slots"))
                    .with_kernel(format!("jump into the middle of ldimm64 insn {lddw}")),
                );
            }
        }
        for (r, written) in named_regs(insn) {
            if r > FP {
                out.push(
                    bad(format!("invalid register `r{r}`"), "no such register")
                        .with_kernel(format!("R{r} is invalid")),
                );
            } else if r == FP && written {
                out.push(
                    bad(
                        "write to the frame pointer `r10`".into(),
                        "`r10` is read only",
                    )
                    .with_kernel("frame pointer is read only"),
                );
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use bpfbox_isa::{AluOp, LdImm64, Width};

    #[test]
    fn well_formed_program_passes() {
        let p = [
            Insn::LdImm64 {
                dst: 0,
                value: LdImm64::Imm(1),
            },
            Insn::LdImm64Hi,
            Insn::Exit,
        ];
        assert!(check(&p).is_empty());
    }

    #[test]
    fn malformed_shapes() {
        assert_eq!(check(&[]).len(), 1);
        assert_eq!(check(&[Insn::LdImm64Hi, Insn::Exit]).len(), 1);
        assert_eq!(
            check(&[Insn::LdImm64 {
                dst: 0,
                value: LdImm64::Imm(1)
            }])
            .len(),
            1
        );
        assert_eq!(
            check(&[Insn::Ja {
                target: 9,
                long: false
            }])
            .len(),
            1
        );
        assert_eq!(
            check(&[Insn::Ja {
                target: usize::MAX,
                long: false
            }])
            .len(),
            1
        );
        let into_hi = [
            Insn::Ja {
                target: 2,
                long: false,
            },
            Insn::LdImm64 {
                dst: 0,
                value: LdImm64::Imm(1),
            },
            Insn::LdImm64Hi,
            Insn::Exit,
        ];
        assert_eq!(
            check(&into_hi)[0].kernel.as_deref(),
            Some("jump into the middle of ldimm64 insn 1")
        );
        let bad_reg = [
            Insn::Alu {
                width: Width::W64,
                op: AluOp::Mov,
                dst: 0,
                src: Src::Reg(12),
            },
            Insn::Exit,
        ];
        assert_eq!(check(&bad_reg).len(), 1);
        let fp_write = [
            Insn::Alu {
                width: Width::W64,
                op: AluOp::Add,
                dst: 10,
                src: Src::Imm(8),
            },
            Insn::Exit,
        ];
        assert_eq!(
            check(&fp_write)[0].kernel.as_deref(),
            Some("frame pointer is read only")
        );
    }
}

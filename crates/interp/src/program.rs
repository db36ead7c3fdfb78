//! A decoded, validated program: what [`crate::Vm::run`] executes.
//!
//! Validation here is structural only (what the decoder already guarantees
//! for raw input, re-checked for hand-built [`Insn`] lists): registers in
//! range, `r10` never written, jump targets inside the program and never
//! into the second half of a `lddw`. It is not the verifier; everything it
//! lets through is still run memory-safely.

use bpfbox_isa::{
    decode, encode_one, AtomicOp, DecodeError, DecodeErrorKind, Insn, RawInsn, Src, FP,
};

/// Base of the synthetic addresses `lddw rX, func` loads: a sub-program at
/// slot `s` has address `FUNC_ADDR_BASE + 8 * s`. No region is ever mapped
/// there (it is in the kernel half of x86-64), so the value is useless as a
/// data pointer but recognisable by [`func_slot`] and `callx`.
pub const FUNC_ADDR_BASE: u64 = 0xffff_ffff_c000_0000;

/// The address `lddw rX, func` loads for the sub-program at `slot`.
pub fn func_addr(slot: usize) -> u64 {
    FUNC_ADDR_BASE.wrapping_add((slot as u64).wrapping_mul(8))
}

/// Inverse of [`func_addr`]: the slot a function address names, if it is one.
/// The slot is not checked against any program here.
pub fn func_slot(addr: u64) -> Option<usize> {
    let off = addr.checked_sub(FUNC_ADDR_BASE)?;
    if off % 8 != 0 {
        return None;
    }
    usize::try_from(off / 8).ok()
}

/// A validated program (one [`Insn`] per slot). Share it with `Arc`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Program {
    insns: Box<[Insn]>,
}

impl Program {
    /// Validates decoded instructions (as [`bpfbox_isa::decode()`] returns
    /// them: `lddw` followed by [`Insn::LdImm64Hi`]).
    pub fn new(insns: Vec<Insn>) -> Result<Self, DecodeError> {
        validate(&insns)?;
        Ok(Program {
            insns: insns.into_boxed_slice(),
        })
    }

    /// Decodes and validates raw slots.
    pub fn from_raw(slots: &[RawInsn]) -> Result<Self, DecodeError> {
        Self::new(decode(slots)?)
    }

    /// The instructions, one per slot.
    pub fn insns(&self) -> &[Insn] {
        &self.insns
    }

    /// Number of slots.
    pub fn len(&self) -> usize {
        self.insns.len()
    }

    /// Always false for a validated program (it has at least one slot).
    pub fn is_empty(&self) -> bool {
        self.insns.is_empty()
    }

    /// Whether `slot` can start a function (in range, not a `lddw` tail).
    pub fn is_entry(&self, slot: usize) -> bool {
        matches!(self.insns.get(slot), Some(i) if *i != Insn::LdImm64Hi)
    }
}

fn err(insns: &[Insn], pc: usize, kind: DecodeErrorKind) -> DecodeError {
    let raw = encode_one(&insns[pc], pc)
        .ok()
        .and_then(|v| v.first().copied())
        .unwrap_or_default();
    DecodeError {
        index: pc,
        raw,
        kind,
    }
}

/// Registers an instruction reads or writes; `w` marks written ones.
fn regs_of(insn: &Insn) -> ([Option<(u8, bool)>; 3], Option<usize>) {
    let src = |s: Src| match s {
        Src::Reg(r) => Some((r, false)),
        Src::Imm(_) => None,
    };
    let none = [None; 3];
    match *insn {
        Insn::Alu { dst, src: s, .. } => ([Some((dst, true)), src(s), None], None),
        Insn::Neg { dst, .. } | Insn::End { dst, .. } => ([Some((dst, true)), None, None], None),
        Insn::Ja { target, .. } | Insn::MayGoto { target } | Insn::CallLocal { target } => {
            (none, Some(target))
        }
        Insn::Jmp {
            dst,
            src: s,
            target,
            ..
        } => ([Some((dst, false)), src(s), None], Some(target)),
        Insn::Load { dst, src, .. } => ([Some((dst, true)), Some((src, false)), None], None),
        Insn::Store { dst, src: s, .. } => ([Some((dst, false)), src(s), None], None),
        Insn::Atomic { op, dst, src, .. } => match op {
            AtomicOp::LoadAcquire => ([Some((dst, true)), Some((src, false)), None], None),
            AtomicOp::StoreRelease
            | AtomicOp::Add { fetch: false }
            | AtomicOp::Or { fetch: false }
            | AtomicOp::And { fetch: false }
            | AtomicOp::Xor { fetch: false } => {
                ([Some((dst, false)), Some((src, false)), None], None)
            }
            AtomicOp::Cmpxchg => (
                [Some((dst, false)), Some((src, false)), Some((0, true))],
                None,
            ),
            _ => ([Some((dst, false)), Some((src, true)), None], None),
        },
        Insn::LdImm64 { dst, value } => {
            let t = match value {
                bpfbox_isa::LdImm64::Func(t) => Some(t),
                _ => None,
            };
            ([Some((dst, true)), None, None], t)
        }
        Insn::LdInd { src, .. } => ([Some((src, false)), None, None], None),
        Insn::CallX { reg } => ([Some((reg, false)), None, None], None),
        Insn::LdImm64Hi
        | Insn::LdAbs { .. }
        | Insn::Call { .. }
        | Insn::CallKfunc { .. }
        | Insn::Exit => (none, None),
    }
}

fn validate(insns: &[Insn]) -> Result<(), DecodeError> {
    if insns.is_empty() {
        return Err(DecodeError {
            index: 0,
            raw: RawInsn::default(),
            kind: DecodeErrorKind::Empty,
        });
    }
    for (pc, insn) in insns.iter().enumerate() {
        let e = |kind| Err(err(insns, pc, kind));
        let (regs, target) = regs_of(insn);
        for (r, written) in regs.into_iter().flatten() {
            if r > FP {
                return e(DecodeErrorKind::BadRegister(r));
            }
            if written && r == FP {
                return e(DecodeErrorKind::FramePointerWrite);
            }
        }
        if let Some(t) = target {
            if t >= insns.len() {
                return e(DecodeErrorKind::JumpOutOfRange(t as i64));
            }
            if insns[t] == Insn::LdImm64Hi {
                return e(DecodeErrorKind::JumpIntoLdImm64(t));
            }
        }
        let is_ld = matches!(insn, Insn::LdImm64 { .. });
        let next_hi = insns.get(pc + 1) == Some(&Insn::LdImm64Hi);
        if is_ld != next_hi {
            return e(DecodeErrorKind::TruncatedLdImm64);
        }
        if *insn == Insn::LdImm64Hi && (pc == 0 || !matches!(insns[pc - 1], Insn::LdImm64 { .. })) {
            return e(DecodeErrorKind::TruncatedLdImm64);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use bpfbox_isa::{AluOp, LdImm64, Width};

    fn mov(dst: u8, imm: i32) -> Insn {
        Insn::Alu {
            width: Width::W64,
            op: AluOp::Mov,
            dst,
            src: Src::Imm(imm),
        }
    }

    #[test]
    fn accepts_decoder_output() {
        let p = Program::new(vec![
            Insn::LdImm64 {
                dst: 0,
                value: LdImm64::Imm(1),
            },
            Insn::LdImm64Hi,
            Insn::Exit,
        ])
        .unwrap();
        assert_eq!(p.len(), 3);
        assert!(p.is_entry(2) && !p.is_entry(1) && !p.is_entry(3));
    }

    #[test]
    fn rejects_bad_hand_built_programs() {
        let kind = |v: Vec<Insn>| Program::new(v).unwrap_err().kind;
        assert_eq!(kind(vec![]), DecodeErrorKind::Empty);
        assert_eq!(
            kind(vec![mov(11, 0), Insn::Exit]),
            DecodeErrorKind::BadRegister(11)
        );
        assert_eq!(
            kind(vec![mov(10, 0), Insn::Exit]),
            DecodeErrorKind::FramePointerWrite
        );
        assert_eq!(
            kind(vec![Insn::Ja {
                target: 5,
                long: false
            }]),
            DecodeErrorKind::JumpOutOfRange(5)
        );
        assert_eq!(
            kind(vec![Insn::LdImm64Hi, Insn::Exit]),
            DecodeErrorKind::TruncatedLdImm64
        );
        assert_eq!(
            kind(vec![
                Insn::LdImm64 {
                    dst: 1,
                    value: LdImm64::Imm(0)
                },
                Insn::Exit
            ]),
            DecodeErrorKind::TruncatedLdImm64
        );
        assert_eq!(
            kind(vec![
                Insn::Ja {
                    target: 2,
                    long: false
                },
                Insn::LdImm64 {
                    dst: 1,
                    value: LdImm64::Imm(0)
                },
                Insn::LdImm64Hi,
                Insn::Exit
            ]),
            DecodeErrorKind::JumpIntoLdImm64(2)
        );
        let cmpxchg_fp = Insn::Atomic {
            size: bpfbox_isa::Size::DW,
            op: AtomicOp::Xchg,
            dst: 1,
            src: 10,
            off: 0,
        };
        assert_eq!(
            kind(vec![cmpxchg_fp, Insn::Exit]),
            DecodeErrorKind::FramePointerWrite
        );
    }

    #[test]
    fn func_addresses_roundtrip() {
        assert_eq!(func_slot(func_addr(17)), Some(17));
        assert_eq!(func_slot(func_addr(1) + 1), None);
        assert_eq!(func_slot(5), None);
    }
}

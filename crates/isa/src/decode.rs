//! Raw slots to [`Insn`], with the kernel's reserved-field checks
//! (`check_alu_op`, `check_mem_access` preconditions, `check_cfg` jump ranges
//! in kernel/bpf/verifier.c).

use crate::insn::*;
use crate::raw::{op, RawInsn};
use std::fmt;

/// Why a slot could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecodeErrorKind {
    /// The program has no instructions.
    Empty,
    /// The opcode byte is not a known instruction.
    UnknownOpcode(u8),
    /// A field the opcode does not use is not zero.
    ReservedField(&'static str),
    /// A register number above 10.
    BadRegister(u8),
    /// An instruction writes `r10`, which is read-only.
    FramePointerWrite,
    /// The opcode is known but this operand combination is not valid.
    BadOperand(&'static str),
    /// `lddw` without its second slot.
    TruncatedLdImm64,
    /// A jump or call whose target is outside the program.
    JumpOutOfRange(i64),
    /// A jump or call into the middle of a `lddw`.
    JumpIntoLdImm64(usize),
}

/// A decoding error: which slot and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct DecodeError {
    /// Slot index of the offending instruction.
    pub index: usize,
    /// The raw slot (zero for [`DecodeErrorKind::Empty`]).
    pub raw: RawInsn,
    /// What is wrong.
    pub kind: DecodeErrorKind,
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use DecodeErrorKind::*;
        if self.kind == Empty {
            return write!(f, "program has no instructions");
        }
        write!(f, "insn {} (opcode {:#04x}): ", self.index, self.raw.code)?;
        match &self.kind {
            Empty => Ok(()),
            UnknownOpcode(c) => write!(f, "unknown opcode {c:#04x}"),
            ReservedField(name) => write!(f, "reserved field `{name}` must be zero"),
            BadRegister(r) => write!(f, "invalid register r{r}"),
            FramePointerWrite => write!(f, "frame pointer r10 is read only"),
            BadOperand(what) => write!(f, "{what}"),
            TruncatedLdImm64 => write!(f, "lddw is missing its second half"),
            JumpOutOfRange(t) => write!(f, "jump out of range (target {t})"),
            JumpIntoLdImm64(t) => write!(f, "jump into the middle of lddw at {t}"),
        }
    }
}

type Result<T> = std::result::Result<T, DecodeErrorKind>;

fn reg(r: u8) -> Result<Reg> {
    if r > 10 {
        Err(DecodeErrorKind::BadRegister(r))
    } else {
        Ok(r)
    }
}

fn dst_w(r: u8) -> Result<Reg> {
    match reg(r)? {
        FP => Err(DecodeErrorKind::FramePointerWrite),
        r => Ok(r),
    }
}

fn zero(v: i64, name: &'static str) -> Result<()> {
    if v != 0 {
        Err(DecodeErrorKind::ReservedField(name))
    } else {
        Ok(())
    }
}

fn size_of(code: u8) -> Size {
    match code & 0x18 {
        op::W => Size::W,
        op::H => Size::H,
        op::B => Size::B,
        _ => Size::DW,
    }
}

/// A target before range checking: slot index as a signed number.
fn rel(pc: usize, off: i64) -> i64 {
    pc as i64 + 1 + off
}

/// Decodes a whole program. The result has one entry per slot (the second
/// slot of `lddw` is [`Insn::LdImm64Hi`]) so slot indices stay valid.
pub fn decode(slots: &[RawInsn]) -> std::result::Result<Vec<Insn>, DecodeError> {
    if slots.is_empty() {
        return Err(DecodeError {
            index: 0,
            raw: RawInsn::default(),
            kind: DecodeErrorKind::Empty,
        });
    }
    let mut out = Vec::with_capacity(slots.len());
    let mut targets = Vec::new();
    let mut pc = 0;
    while pc < slots.len() {
        let raw = slots[pc];
        let err = |kind| DecodeError {
            index: pc,
            raw,
            kind,
        };
        let (insn, target) = decode_one(slots, pc).map_err(err)?;
        if let Some(t) = target {
            targets.push((pc, t));
        }
        out.push(insn);
        if insn.slots() == 2 {
            out.push(Insn::LdImm64Hi);
        }
        pc += insn.slots();
    }
    for (pc, t) in targets {
        let kind = if t < 0 || t >= out.len() as i64 {
            DecodeErrorKind::JumpOutOfRange(t)
        } else if out[t as usize] == Insn::LdImm64Hi {
            DecodeErrorKind::JumpIntoLdImm64(t as usize)
        } else {
            continue;
        };
        return Err(DecodeError {
            index: pc,
            raw: slots[pc],
            kind,
        });
    }
    Ok(out)
}

/// Decodes the instruction starting at `pc`, returning it with its raw
/// (unchecked) target. Targets are resolved into the instruction as a
/// `usize`; a negative raw target is reported by [`decode`].
fn decode_one(slots: &[RawInsn], pc: usize) -> Result<(Insn, Option<i64>)> {
    let r = slots[pc];
    let code = r.code;
    let with_target = |insn: Insn, t: i64| Ok((insn, Some(t)));
    let clamp = |t: i64| if t < 0 { usize::MAX } else { t as usize };
    match r.class() {
        op::ALU | op::ALU64 => decode_alu(r).map(|i| (i, None)),
        op::JMP | op::JMP32 => {
            let width = if r.class() == op::JMP {
                Width::W64
            } else {
                Width::W32
            };
            let is_x = code & op::X != 0;
            match code & 0xf0 {
                op::JA => {
                    if is_x {
                        return Err(DecodeErrorKind::UnknownOpcode(code));
                    }
                    zero(r.src as i64, "src")?;
                    zero(r.dst as i64, "dst")?;
                    let (t, long) = if width == Width::W64 {
                        zero(r.imm as i64, "imm")?;
                        (rel(pc, r.off as i64), false)
                    } else {
                        zero(r.off as i64, "off")?;
                        (rel(pc, r.imm as i64), true)
                    };
                    with_target(
                        Insn::Ja {
                            target: clamp(t),
                            long,
                        },
                        t,
                    )
                }
                op::CALL if width == Width::W64 => {
                    zero(r.off as i64, "off")?;
                    if is_x {
                        zero(r.src as i64, "src")?;
                        zero(r.imm as i64, "imm")?;
                        return Ok((Insn::CallX { reg: reg(r.dst)? }, None));
                    }
                    zero(r.dst as i64, "dst")?;
                    match r.src {
                        0 => Ok((Insn::Call { helper: r.imm }, None)),
                        op::PSEUDO_CALL => {
                            let t = rel(pc, r.imm as i64);
                            with_target(Insn::CallLocal { target: clamp(t) }, t)
                        }
                        op::PSEUDO_KFUNC_CALL => Ok((
                            Insn::CallKfunc {
                                btf_id: r.imm,
                                off: r.off,
                            },
                            None,
                        )),
                        _ => Err(DecodeErrorKind::BadOperand("unknown call kind in `src`")),
                    }
                }
                op::EXIT if width == Width::W64 && !is_x => {
                    zero(r.src as i64, "src")?;
                    zero(r.dst as i64, "dst")?;
                    zero(r.off as i64, "off")?;
                    zero(r.imm as i64, "imm")?;
                    Ok((Insn::Exit, None))
                }
                op::JCOND if width == Width::W64 && !is_x => {
                    if r.src != op::MAY_GOTO {
                        return Err(DecodeErrorKind::BadOperand("unknown jcond kind in `src`"));
                    }
                    zero(r.dst as i64, "dst")?;
                    zero(r.imm as i64, "imm")?;
                    let t = rel(pc, r.off as i64);
                    with_target(Insn::MayGoto { target: clamp(t) }, t)
                }
                c => {
                    let cond = match c {
                        op::JEQ => Cond::Eq,
                        op::JGT => Cond::Gt,
                        op::JGE => Cond::Ge,
                        op::JSET => Cond::Set,
                        op::JNE => Cond::Ne,
                        op::JSGT => Cond::Sgt,
                        op::JSGE => Cond::Sge,
                        op::JLT => Cond::Lt,
                        op::JLE => Cond::Le,
                        op::JSLT => Cond::Slt,
                        op::JSLE => Cond::Sle,
                        _ => return Err(DecodeErrorKind::UnknownOpcode(code)),
                    };
                    let src = if is_x {
                        zero(r.imm as i64, "imm")?;
                        Src::Reg(reg(r.src)?)
                    } else {
                        zero(r.src as i64, "src")?;
                        Src::Imm(r.imm)
                    };
                    let t = rel(pc, r.off as i64);
                    with_target(
                        Insn::Jmp {
                            width,
                            cond,
                            dst: reg(r.dst)?,
                            src,
                            target: clamp(t),
                        },
                        t,
                    )
                }
            }
        }
        op::LD => decode_ld(slots, pc),
        op::LDX => {
            let signed = match code & 0xe0 {
                op::MEM => false,
                op::MEMSX if size_of(code) != Size::DW => true,
                _ => return Err(DecodeErrorKind::UnknownOpcode(code)),
            };
            zero(r.imm as i64, "imm")?;
            Ok((
                Insn::Load {
                    size: size_of(code),
                    signed,
                    dst: dst_w(r.dst)?,
                    src: reg(r.src)?,
                    off: r.off,
                },
                None,
            ))
        }
        op::ST => {
            if code & 0xe0 != op::MEM {
                return Err(DecodeErrorKind::UnknownOpcode(code));
            }
            zero(r.src as i64, "src")?;
            Ok((
                Insn::Store {
                    size: size_of(code),
                    dst: reg(r.dst)?,
                    off: r.off,
                    src: Src::Imm(r.imm),
                },
                None,
            ))
        }
        op::STX => {
            let size = size_of(code);
            match code & 0xe0 {
                op::MEM => {
                    zero(r.imm as i64, "imm")?;
                    Ok((
                        Insn::Store {
                            size,
                            dst: reg(r.dst)?,
                            off: r.off,
                            src: Src::Reg(reg(r.src)?),
                        },
                        None,
                    ))
                }
                op::ATOMIC => decode_atomic(r, size).map(|i| (i, None)),
                _ => Err(DecodeErrorKind::UnknownOpcode(code)),
            }
        }
        _ => unreachable!("class is three bits"),
    }
}

fn decode_alu(r: RawInsn) -> Result<Insn> {
    let code = r.code;
    let width = if r.class() == op::ALU64 {
        Width::W64
    } else {
        Width::W32
    };
    let is_x = code & op::X != 0;
    match code & 0xf0 {
        op::END => {
            zero(r.src as i64, "src")?;
            zero(r.off as i64, "off")?;
            if !matches!(r.imm, 16 | 32 | 64) {
                return Err(DecodeErrorKind::BadOperand(
                    "byte swap width must be 16, 32 or 64",
                ));
            }
            let kind = match (width, is_x) {
                (Width::W32, false) => Endian::ToLe,
                (Width::W32, true) => Endian::ToBe,
                (Width::W64, false) => Endian::Swap,
                (Width::W64, true) => return Err(DecodeErrorKind::UnknownOpcode(code)),
            };
            Ok(Insn::End {
                kind,
                bits: r.imm as u8,
                dst: dst_w(r.dst)?,
            })
        }
        op::NEG => {
            if is_x {
                return Err(DecodeErrorKind::UnknownOpcode(code));
            }
            zero(r.src as i64, "src")?;
            zero(r.off as i64, "off")?;
            zero(r.imm as i64, "imm")?;
            Ok(Insn::Neg {
                width,
                dst: dst_w(r.dst)?,
            })
        }
        o => {
            let op = match (o, r.off) {
                (op::ADD, 0) => AluOp::Add,
                (op::SUB, 0) => AluOp::Sub,
                (op::MUL, 0) => AluOp::Mul,
                (op::DIV, 0) => AluOp::Div,
                (op::DIV, 1) => AluOp::Sdiv,
                (op::OR, 0) => AluOp::Or,
                (op::AND, 0) => AluOp::And,
                (op::LSH, 0) => AluOp::Lsh,
                (op::RSH, 0) => AluOp::Rsh,
                (op::MOD, 0) => AluOp::Mod,
                (op::MOD, 1) => AluOp::Smod,
                (op::XOR, 0) => AluOp::Xor,
                (op::MOV, 0) => AluOp::Mov,
                (op::MOV, 8 | 16) if is_x => AluOp::Movsx(r.off as u8),
                (op::MOV, 32) if is_x && width == Width::W64 => AluOp::Movsx(32),
                (op::ARSH, 0) => AluOp::Arsh,
                (op::ADD..=op::ARSH, _) => return Err(DecodeErrorKind::ReservedField("off")),
                _ => return Err(DecodeErrorKind::UnknownOpcode(code)),
            };
            let src = if is_x {
                zero(r.imm as i64, "imm")?;
                Src::Reg(reg(r.src)?)
            } else {
                zero(r.src as i64, "src")?;
                Src::Imm(r.imm)
            };
            Ok(Insn::Alu {
                width,
                op,
                dst: dst_w(r.dst)?,
                src,
            })
        }
    }
}

fn decode_atomic(r: RawInsn, size: Size) -> Result<Insn> {
    let fetch = r.imm & op::FETCH != 0;
    let aop = match r.imm {
        op::LOAD_ACQ => AtomicOp::LoadAcquire,
        op::STORE_REL => AtomicOp::StoreRelease,
        op::XCHG => AtomicOp::Xchg,
        op::CMPXCHG => AtomicOp::Cmpxchg,
        i => match i & !op::FETCH {
            0x00 => AtomicOp::Add { fetch },
            0x40 => AtomicOp::Or { fetch },
            0x50 => AtomicOp::And { fetch },
            0xa0 => AtomicOp::Xor { fetch },
            _ => {
                return Err(DecodeErrorKind::BadOperand(
                    "unknown atomic operation in `imm`",
                ))
            }
        },
    };
    let rmw = !matches!(aop, AtomicOp::LoadAcquire | AtomicOp::StoreRelease);
    if rmw && !matches!(size, Size::W | Size::DW) {
        return Err(DecodeErrorKind::BadOperand(
            "atomic read-modify-write needs a 32- or 64-bit size",
        ));
    }
    let (dst, src) = if aop == AtomicOp::LoadAcquire {
        (dst_w(r.dst)?, reg(r.src)?)
    } else {
        (reg(r.dst)?, reg(r.src)?)
    };
    if fetch && src == FP && rmw {
        return Err(DecodeErrorKind::FramePointerWrite);
    }
    Ok(Insn::Atomic {
        size,
        op: aop,
        dst,
        src,
        off: r.off,
    })
}

fn decode_ld(slots: &[RawInsn], pc: usize) -> Result<(Insn, Option<i64>)> {
    let r = slots[pc];
    let size = size_of(r.code);
    match r.code & 0xe0 {
        op::IMM if size == Size::DW => {
            let hi = *slots.get(pc + 1).ok_or(DecodeErrorKind::TruncatedLdImm64)?;
            if hi.code != 0 || hi.dst != 0 || hi.src != 0 || hi.off != 0 {
                return Err(DecodeErrorKind::TruncatedLdImm64);
            }
            zero(r.off as i64, "off")?;
            let dst = dst_w(r.dst)?;
            let lo = r.imm as u32 as u64;
            let mut target = None;
            let need_hi_zero = |v| {
                zero(hi.imm as i64, "imm of second slot")?;
                Ok(v)
            };
            let value = match r.src {
                0 => LdImm64::Imm(lo | (hi.imm as u32 as u64) << 32),
                op::PSEUDO_MAP_FD => need_hi_zero(LdImm64::MapFd(r.imm))?,
                op::PSEUDO_MAP_VALUE => LdImm64::MapValue {
                    fd: r.imm,
                    off: hi.imm as u32,
                },
                op::PSEUDO_BTF_ID => LdImm64::BtfId {
                    id: r.imm,
                    btf_fd: hi.imm,
                },
                op::PSEUDO_FUNC => {
                    let t = rel(pc, r.imm as i64);
                    target = Some(t);
                    need_hi_zero(LdImm64::Func(if t < 0 { usize::MAX } else { t as usize }))?
                }
                op::PSEUDO_MAP_IDX => need_hi_zero(LdImm64::MapIdx(r.imm))?,
                op::PSEUDO_MAP_IDX_VALUE => LdImm64::MapIdxValue {
                    idx: r.imm,
                    off: hi.imm as u32,
                },
                _ => return Err(DecodeErrorKind::BadOperand("unknown lddw kind in `src`")),
            };
            Ok((Insn::LdImm64 { dst, value }, target))
        }
        m @ (op::ABS | op::IND) if size != Size::DW => {
            zero(r.dst as i64, "dst")?;
            zero(r.off as i64, "off")?;
            if m == op::ABS {
                zero(r.src as i64, "src")?;
                Ok((Insn::LdAbs { size, imm: r.imm }, None))
            } else {
                Ok((
                    Insn::LdInd {
                        size,
                        src: reg(r.src)?,
                        imm: r.imm,
                    },
                    None,
                ))
            }
        }
        _ => Err(DecodeErrorKind::UnknownOpcode(r.code)),
    }
}

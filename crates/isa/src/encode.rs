//! [`Insn`] back to raw slots: the inverse of [`crate::decode()`].

use crate::insn::*;
use crate::raw::{op, RawInsn};

/// Why an instruction could not be encoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("insn {index}: {what}")]
pub struct EncodeError {
    /// Slot index of the instruction.
    pub index: usize,
    /// What does not fit.
    pub what: String,
}

fn size_bits(s: Size) -> u8 {
    match s {
        Size::W => op::W,
        Size::H => op::H,
        Size::B => op::B,
        Size::DW => op::DW,
    }
}

fn cond_bits(c: Cond) -> u8 {
    match c {
        Cond::Eq => op::JEQ,
        Cond::Gt => op::JGT,
        Cond::Ge => op::JGE,
        Cond::Set => op::JSET,
        Cond::Ne => op::JNE,
        Cond::Sgt => op::JSGT,
        Cond::Sge => op::JSGE,
        Cond::Lt => op::JLT,
        Cond::Le => op::JLE,
        Cond::Slt => op::JSLT,
        Cond::Sle => op::JSLE,
    }
}

/// `(opcode bits, off)` of an ALU operation.
fn alu_bits(o: AluOp) -> (u8, i16) {
    match o {
        AluOp::Add => (op::ADD, 0),
        AluOp::Sub => (op::SUB, 0),
        AluOp::Mul => (op::MUL, 0),
        AluOp::Div => (op::DIV, 0),
        AluOp::Sdiv => (op::DIV, 1),
        AluOp::Or => (op::OR, 0),
        AluOp::And => (op::AND, 0),
        AluOp::Lsh => (op::LSH, 0),
        AluOp::Rsh => (op::RSH, 0),
        AluOp::Mod => (op::MOD, 0),
        AluOp::Smod => (op::MOD, 1),
        AluOp::Xor => (op::XOR, 0),
        AluOp::Mov => (op::MOV, 0),
        AluOp::Movsx(bits) => (op::MOV, bits as i16),
        AluOp::Arsh => (op::ARSH, 0),
    }
}

fn atomic_imm(o: AtomicOp) -> i32 {
    let f = |fetch: bool| if fetch { op::FETCH } else { 0 };
    match o {
        AtomicOp::Add { fetch } => f(fetch),
        AtomicOp::Or { fetch } => 0x40 | f(fetch),
        AtomicOp::And { fetch } => 0x50 | f(fetch),
        AtomicOp::Xor { fetch } => 0xa0 | f(fetch),
        AtomicOp::Xchg => op::XCHG,
        AtomicOp::Cmpxchg => op::CMPXCHG,
        AtomicOp::LoadAcquire => op::LOAD_ACQ,
        AtomicOp::StoreRelease => op::STORE_REL,
    }
}

fn src_fields(src: Src) -> (u8, u8, i32) {
    match src {
        Src::Reg(r) => (op::X, r, 0),
        Src::Imm(i) => (op::K, 0, i),
    }
}

/// Encodes instruction `insn` sitting at slot `pc`. Returns one slot, or two
/// for `lddw`.
pub fn encode_one(insn: &Insn, pc: usize) -> Result<Vec<RawInsn>, EncodeError> {
    let err = |what: &str| EncodeError {
        index: pc,
        what: what.to_string(),
    };
    let rel = |t: usize| t as i64 - pc as i64 - 1;
    let off16 =
        |t: usize| i16::try_from(rel(t)).map_err(|_| err("jump offset does not fit in 16 bits"));
    let imm32 = |t: usize| i32::try_from(rel(t)).map_err(|_| err("offset does not fit in 32 bits"));
    let one = |r: RawInsn| Ok(vec![r]);
    match *insn {
        Insn::Alu {
            width,
            op: o,
            dst,
            src,
        } => {
            let class = if width == Width::W64 {
                op::ALU64
            } else {
                op::ALU
            };
            let (bits, off) = alu_bits(o);
            let (x, s, imm) = src_fields(src);
            one(RawInsn::new(class | bits | x, dst, s, off, imm))
        }
        Insn::Neg { width, dst } => {
            let class = if width == Width::W64 {
                op::ALU64
            } else {
                op::ALU
            };
            one(RawInsn::new(class | op::NEG, dst, 0, 0, 0))
        }
        Insn::End { kind, bits, dst } => {
            let code = match kind {
                Endian::ToLe => op::ALU | op::END | op::TO_LE,
                Endian::ToBe => op::ALU | op::END | op::TO_BE,
                Endian::Swap => op::ALU64 | op::END | op::TO_LE,
            };
            one(RawInsn::new(code, dst, 0, 0, bits as i32))
        }
        Insn::Ja { target, long } => {
            if long {
                one(RawInsn::new(op::JMP32 | op::JA, 0, 0, 0, imm32(target)?))
            } else {
                one(RawInsn::new(op::JMP | op::JA, 0, 0, off16(target)?, 0))
            }
        }
        Insn::Jmp {
            width,
            cond,
            dst,
            src,
            target,
        } => {
            let class = if width == Width::W64 {
                op::JMP
            } else {
                op::JMP32
            };
            let (x, s, imm) = src_fields(src);
            one(RawInsn::new(
                class | cond_bits(cond) | x,
                dst,
                s,
                off16(target)?,
                imm,
            ))
        }
        Insn::MayGoto { target } => one(RawInsn::new(
            op::JMP | op::JCOND,
            0,
            op::MAY_GOTO,
            off16(target)?,
            0,
        )),
        Insn::Load {
            size,
            signed,
            dst,
            src,
            off,
        } => {
            let mode = if signed { op::MEMSX } else { op::MEM };
            one(RawInsn::new(
                op::LDX | mode | size_bits(size),
                dst,
                src,
                off,
                0,
            ))
        }
        Insn::Store {
            size,
            dst,
            off,
            src,
        } => match src {
            Src::Reg(s) => one(RawInsn::new(
                op::STX | op::MEM | size_bits(size),
                dst,
                s,
                off,
                0,
            )),
            Src::Imm(i) => one(RawInsn::new(
                op::ST | op::MEM | size_bits(size),
                dst,
                0,
                off,
                i,
            )),
        },
        Insn::Atomic {
            size,
            op: o,
            dst,
            src,
            off,
        } => one(RawInsn::new(
            op::STX | op::ATOMIC | size_bits(size),
            dst,
            src,
            off,
            atomic_imm(o),
        )),
        Insn::LdImm64 { dst, value } => {
            let (src, lo, hi) = match value {
                LdImm64::Imm(v) => (0, v as u32 as i32, (v >> 32) as u32 as i32),
                LdImm64::MapFd(fd) => (op::PSEUDO_MAP_FD, fd, 0),
                LdImm64::MapValue { fd, off } => (op::PSEUDO_MAP_VALUE, fd, off as i32),
                LdImm64::BtfId { id, btf_fd } => (op::PSEUDO_BTF_ID, id, btf_fd),
                LdImm64::Func(t) => (op::PSEUDO_FUNC, imm32(t)?, 0),
                LdImm64::MapIdx(i) => (op::PSEUDO_MAP_IDX, i, 0),
                LdImm64::MapIdxValue { idx, off } => (op::PSEUDO_MAP_IDX_VALUE, idx, off as i32),
            };
            Ok(vec![
                RawInsn::new(op::LD | op::IMM | op::DW, dst, src, 0, lo),
                RawInsn::new(0, 0, 0, 0, hi),
            ])
        }
        Insn::LdImm64Hi => Ok(vec![]),
        Insn::LdAbs { size, imm } => one(RawInsn::new(
            op::LD | op::ABS | size_bits(size),
            0,
            0,
            0,
            imm,
        )),
        Insn::LdInd { size, src, imm } => one(RawInsn::new(
            op::LD | op::IND | size_bits(size),
            0,
            src,
            0,
            imm,
        )),
        Insn::Call { helper } => one(RawInsn::new(op::JMP | op::CALL, 0, 0, 0, helper)),
        Insn::CallLocal { target } => one(RawInsn::new(
            op::JMP | op::CALL,
            0,
            op::PSEUDO_CALL,
            0,
            imm32(target)?,
        )),
        Insn::CallKfunc { btf_id, off } => one(RawInsn::new(
            op::JMP | op::CALL,
            0,
            op::PSEUDO_KFUNC_CALL,
            off,
            btf_id,
        )),
        Insn::CallX { reg } => one(RawInsn::new(op::JMP | op::CALL | op::X, reg, 0, 0, 0)),
        Insn::Exit => one(RawInsn::new(op::JMP | op::EXIT, 0, 0, 0, 0)),
    }
}

/// Encodes a decoded program (one entry per slot, as [`crate::decode()`]
/// returns it) back into slots.
pub fn encode(insns: &[Insn]) -> Result<Vec<RawInsn>, EncodeError> {
    let mut out = Vec::with_capacity(insns.len());
    for (pc, insn) in insns.iter().enumerate() {
        out.extend(encode_one(insn, pc)?);
    }
    Ok(out)
}

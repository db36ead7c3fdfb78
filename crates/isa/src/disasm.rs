//! Pseudo-C disassembly, in the spelling `llvm-objdump-19 -d` prints for BPF
//! objects (without the address and hex-byte columns and without the
//! trailing `<symbol+offset>` annotation of jumps).
//!
//! The text matches llvm-objdump's default mode (no `--mcpu`) exactly, with
//! these deliberate differences, all for encodings llvm-objdump-19 prints
//! ambiguously, wrongly or not at all; each keeps the text unambiguous so that
//! the `bpfbox-asm` pseudo-C assembler turns it back into the same bytes:
//!
//! - bpf-to-bpf calls (`BPF_PSEUDO_CALL`) print as `call pc+0x2` /
//!   `call pc-0x1` (llvm prints `call 0x2`, the same text as a helper call);
//!   kfunc calls print as `call kfunc 0x5` (plus `, 0xOFF` when `off` is not
//!   zero).
//! - 32-bit atomics other than the plain `lock ... += ` print the way
//!   `llvm-objdump-19 --mcpu=v3` prints them
//!   (`w0 = atomic_fetch_add((u32 *)(r1 + 0x0), w0)`,
//!   `w1 = xchg32_32(...)`, `lock *(u32 *)(...) |= w1`); the default mode
//!   prints these as `<unknown>` or, for the fetching add, as the
//!   non-fetching form.
//! - load-acquire / store-release (LLVM 20 syntax): `r0 =
//!   load_acquire((u64 *)(r1 + 0x0))`, `store_release((u32 *)(r1 + 0x0),
//!   r2)`.
//! - `ld_pseudo` prints its second immediate (`, 0x10`) when it is not zero
//!   (llvm drops it), and `LD_IND` prints its immediate (`skb[r1 + 0x2]`) when
//!   it is not zero (llvm prints only the register).

use crate::insn::*;
use std::fmt::Write;

/// A signed number the way llvm-objdump prints immediates: `0x1f`, `-0x8`.
fn imm(v: i64) -> String {
    if v < 0 {
        format!("-{:#x}", v.unsigned_abs())
    } else {
        format!("{v:#x}")
    }
}

/// A jump displacement: `+0x2`, `-0x3`, `+0x0`.
fn disp(v: i64) -> String {
    if v < 0 {
        format!("-{:#x}", v.unsigned_abs())
    } else {
        format!("+{v:#x}")
    }
}

/// `(r1 + 0x4)` / `(r10 - 0x8)`.
fn addr(base: Reg, off: i16) -> String {
    if off < 0 {
        format!("(r{base} - {:#x})", (off as i32).unsigned_abs())
    } else {
        format!("(r{base} + {off:#x})")
    }
}

/// `u8`, `u16`, `u32`, `u64` (or `s8`... when `signed`).
fn ty(size: Size, signed: bool) -> String {
    format!("{}{}", if signed { 's' } else { 'u' }, size.bits())
}

fn reg(width: Width, r: Reg) -> String {
    match width {
        Width::W32 => format!("w{r}"),
        Width::W64 => format!("r{r}"),
    }
}

fn alu_op(op: AluOp) -> &'static str {
    match op {
        AluOp::Add => "+=",
        AluOp::Sub => "-=",
        AluOp::Mul => "*=",
        AluOp::Div => "/=",
        AluOp::Sdiv => "s/=",
        AluOp::Or => "|=",
        AluOp::And => "&=",
        AluOp::Lsh => "<<=",
        AluOp::Rsh => ">>=",
        AluOp::Mod => "%=",
        AluOp::Smod => "s%=",
        AluOp::Xor => "^=",
        AluOp::Mov | AluOp::Movsx(_) => "=",
        AluOp::Arsh => "s>>=",
    }
}

fn cond_op(c: Cond) -> &'static str {
    match c {
        Cond::Eq => "==",
        Cond::Gt => ">",
        Cond::Ge => ">=",
        Cond::Set => "&",
        Cond::Ne => "!=",
        Cond::Sgt => "s>",
        Cond::Sge => "s>=",
        Cond::Lt => "<",
        Cond::Le => "<=",
        Cond::Slt => "s<",
        Cond::Sle => "s<=",
    }
}

fn src_text(width: Width, src: Src) -> String {
    match src {
        Src::Reg(r) => reg(width, r),
        Src::Imm(i) => imm(i as i64),
    }
}

/// Displacement of `target` as seen from the instruction at `pc`.
fn rel(target: usize, pc: usize) -> i64 {
    target as i64 - pc as i64 - 1
}

fn atomic(size: Size, op: AtomicOp, dst: Reg, src: Reg, off: i16) -> String {
    let w = if size == Size::DW {
        Width::W64
    } else {
        Width::W32
    };
    let t = ty(size, false);
    let a = addr(dst, off);
    let s = reg(w, src);
    let rmw = |sym: &str, name: &str, fetch: bool| {
        if fetch {
            format!("{s} = atomic_fetch_{name}(({t} *){a}, {s})")
        } else if size == Size::W && name == "add" {
            // llvm-objdump's default mode prints the plain 32-bit add with
            // an `r` register; every other 32-bit form needs `--mcpu=v3`.
            format!("lock *({t} *){a} {sym}= r{src}")
        } else {
            format!("lock *({t} *){a} {sym}= {s}")
        }
    };
    let sfx = if size == Size::DW { "_64" } else { "32_32" };
    let a_bare = &a[1..a.len() - 1];
    match op {
        AtomicOp::Add { fetch } => rmw("+", "add", fetch),
        AtomicOp::Or { fetch } => rmw("|", "or", fetch),
        AtomicOp::And { fetch } => rmw("&", "and", fetch),
        AtomicOp::Xor { fetch } => rmw("^", "xor", fetch),
        AtomicOp::Xchg => format!("{s} = xchg{sfx}({a_bare}, {s})"),
        AtomicOp::Cmpxchg => {
            let r0 = reg(w, 0);
            format!("{r0} = cmpxchg{sfx}({a_bare}, {r0}, {s})")
        }
        AtomicOp::LoadAcquire => format!("r{dst} = load_acquire(({t} *){})", addr(src, off)),
        AtomicOp::StoreRelease => format!("store_release(({t} *){a}, r{src})"),
    }
}

fn ld_imm64(dst: Reg, value: LdImm64, pc: usize) -> String {
    let pseudo = |kind: u8, a: i64, b: i64| {
        let mut s = format!("ld_pseudo\tr{dst}, {kind:#x}, {}", imm(a));
        if b != 0 {
            let _ = write!(s, ", {}", imm(b));
        }
        s
    };
    match value {
        LdImm64::Imm(v) => format!("r{dst} = {} ll", imm(v as i64)),
        LdImm64::MapFd(fd) => pseudo(1, fd as i64, 0),
        LdImm64::MapValue { fd, off } => pseudo(2, fd as i64, off as i32 as i64),
        LdImm64::BtfId { id, btf_fd } => pseudo(3, id as i64, btf_fd as i64),
        LdImm64::Func(t) => pseudo(4, rel(t, pc), 0),
        LdImm64::MapIdx(i) => pseudo(5, i as i64, 0),
        LdImm64::MapIdxValue { idx, off } => pseudo(6, idx as i64, off as i32 as i64),
    }
}

/// The text of one instruction sitting at slot `pc` (needed to turn its
/// absolute jump target back into a displacement). [`Insn::LdImm64Hi`], the
/// second half of a `lddw`, has no text of its own: the result is empty.
pub fn disasm_insn(insn: &Insn, pc: usize) -> String {
    match *insn {
        Insn::Alu {
            width,
            op: AluOp::Movsx(bits),
            dst,
            src,
        } => format!("{} = (s{bits}){}", reg(width, dst), src_text(width, src)),
        Insn::Alu {
            width,
            op,
            dst,
            src,
        } => format!(
            "{} {} {}",
            reg(width, dst),
            alu_op(op),
            src_text(width, src)
        ),
        Insn::Neg { width, dst } => format!("{0} = -{0}", reg(width, dst)),
        Insn::End { kind, bits, dst } => {
            let name = match kind {
                Endian::ToLe => "le",
                Endian::ToBe => "be",
                Endian::Swap => "bswap",
            };
            format!("r{dst} = {name}{bits} r{dst}")
        }
        Insn::Ja { target, long } => {
            let kw = if long { "gotol" } else { "goto" };
            format!("{kw} {}", disp(rel(target, pc)))
        }
        Insn::Jmp {
            width,
            cond,
            dst,
            src,
            target,
        } => format!(
            "if {} {} {} goto {}",
            reg(width, dst),
            cond_op(cond),
            src_text(width, src),
            disp(rel(target, pc))
        ),
        Insn::MayGoto { target } => format!("may_goto {}", disp(rel(target, pc))),
        Insn::Load {
            size,
            signed,
            dst,
            src,
            off,
        } => format!("r{dst} = *({} *){}", ty(size, signed), addr(src, off)),
        Insn::Store {
            size,
            dst,
            off,
            src,
        } => format!(
            "*({} *){} = {}",
            ty(size, false),
            addr(dst, off),
            src_text(Width::W64, src)
        ),
        Insn::Atomic {
            size,
            op,
            dst,
            src,
            off,
        } => atomic(size, op, dst, src, off),
        Insn::LdImm64 { dst, value } => ld_imm64(dst, value, pc),
        Insn::LdImm64Hi => String::new(),
        Insn::LdAbs { size, imm: i } => {
            format!("r0 = *({} *)skb[{}]", ty(size, false), imm(i as i64))
        }
        Insn::LdInd { size, src, imm: i } => {
            let t = ty(size, false);
            match i {
                0 => format!("r0 = *({t} *)skb[r{src}]"),
                i if i < 0 => format!("r0 = *({t} *)skb[r{src} - {:#x}]", i.unsigned_abs()),
                i => format!("r0 = *({t} *)skb[r{src} + {i:#x}]"),
            }
        }
        Insn::Call { helper } => format!("call {}", imm(helper as i64)),
        Insn::CallLocal { target } => format!("call pc{}", disp(rel(target, pc))),
        Insn::CallKfunc { btf_id, off: 0 } => format!("call kfunc {}", imm(btf_id as i64)),
        Insn::CallKfunc { btf_id, off } => {
            format!("call kfunc {}, {}", imm(btf_id as i64), imm(off as i64))
        }
        Insn::CallX { reg } => format!("callx r{reg}"),
        Insn::Exit => "exit".to_string(),
    }
}

/// Disassembles a decoded program (one entry per slot, as
/// [`crate::decode()`] returns it) into `(slot index, text)` pairs, one per
/// instruction; the second half of a `lddw` has no line.
pub fn disasm_lines(insns: &[Insn]) -> Vec<(usize, String)> {
    insns
        .iter()
        .enumerate()
        .filter(|(_, i)| **i != Insn::LdImm64Hi)
        .map(|(pc, i)| (pc, disasm_insn(i, pc)))
        .collect()
}

/// Disassembles a decoded program into text, one instruction per line, each
/// line ending in `\n`. Feeding the result to the `bpfbox-asm` pseudo-C
/// assembler gives back the same slots.
pub fn disasm(insns: &[Insn]) -> String {
    let mut out = String::new();
    for (_, line) in disasm_lines(insns) {
        out.push_str(&line);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{decode, RawInsn};

    /// Disassembles one or two raw slots given as little-endian words.
    fn dis(words: &[u64]) -> String {
        let slots: Vec<RawInsn> = words.iter().map(|w| RawInsn::from_u64(*w)).collect();
        let mut slots = slots;
        // Pad so that jump targets stay inside the program.
        slots.extend([RawInsn::new(0x95, 0, 0, 0, 0); 8]);
        let insns = decode(&slots).expect("decodes");
        disasm_insn(&insns[0], 0)
    }

    fn raw(code: u8, dst: u8, src: u8, off: i16, imm: i32) -> u64 {
        RawInsn::new(code, dst, src, off, imm).to_u64()
    }

    #[test]
    fn alu_forms() {
        assert_eq!(dis(&[raw(0x0c, 1, 2, 0, 0)]), "w1 += w2");
        assert_eq!(dis(&[raw(0x04, 1, 0, 0, -5)]), "w1 += -0x5");
        assert_eq!(dis(&[raw(0x07, 2, 0, 0, -4)]), "r2 += -0x4");
        assert_eq!(dis(&[raw(0xbf, 2, 1, 8, 0)]), "r2 = (s8)r1");
        assert_eq!(dis(&[raw(0xbc, 2, 1, 16, 0)]), "w2 = (s16)w1");
        assert_eq!(dis(&[raw(0x3c, 0, 2, 1, 0)]), "w0 s/= w2");
        assert_eq!(dis(&[raw(0x97, 1, 0, 1, 3)]), "r1 s%= 0x3");
        assert_eq!(dis(&[raw(0xc7, 1, 0, 0, 3)]), "r1 s>>= 0x3");
        assert_eq!(dis(&[raw(0x84, 1, 0, 0, 0)]), "w1 = -w1");
        assert_eq!(dis(&[raw(0xb7, 1, 0, 0, i32::MIN)]), "r1 = -0x80000000");
        assert_eq!(dis(&[raw(0xdc, 1, 0, 0, 16)]), "r1 = be16 r1");
        assert_eq!(dis(&[raw(0xd4, 3, 0, 0, 32)]), "r3 = le32 r3");
        assert_eq!(dis(&[raw(0xd7, 7, 0, 0, 64)]), "r7 = bswap64 r7");
    }

    #[test]
    fn jump_forms() {
        assert_eq!(dis(&[raw(0x25, 1, 0, 2, 5)]), "if r1 > 0x5 goto +0x2");
        assert_eq!(dis(&[raw(0x4e, 1, 2, 1, 0)]), "if w1 & w2 goto +0x1");
        assert_eq!(dis(&[raw(0x05, 0, 0, 0, 0)]), "goto +0x0");
        assert_eq!(dis(&[raw(0x06, 0, 0, 0, 3)]), "gotol +0x3");
        assert_eq!(dis(&[raw(0xe5, 0, 0, 3, 0)]), "may_goto +0x3");
        assert_eq!(dis(&[raw(0x85, 0, 1, 0, 2)]), "call pc+0x2");
        assert_eq!(dis(&[raw(0x85, 0, 0, 0, 5)]), "call 0x5");
        assert_eq!(dis(&[raw(0x85, 0, 2, 0, 7)]), "call kfunc 0x7");
        assert_eq!(dis(&[raw(0x8d, 2, 0, 0, 0)]), "callx r2");
    }

    #[test]
    fn backward_targets() {
        let slots: Vec<RawInsn> = [
            raw(0xb7, 0, 0, 0, 0),
            raw(0x05, 0, 0, -2, 0),
            raw(0x85, 0, 1, 0, -3),
            raw(0x95, 0, 0, 0, 0),
        ]
        .iter()
        .map(|w| RawInsn::from_u64(*w))
        .collect();
        let insns = decode(&slots).unwrap();
        assert_eq!(disasm_insn(&insns[1], 1), "goto -0x2");
        assert_eq!(disasm_insn(&insns[2], 2), "call pc-0x3");
    }

    #[test]
    fn memory_forms() {
        assert_eq!(dis(&[raw(0x61, 0, 1, 4, 0)]), "r0 = *(u32 *)(r1 + 0x4)");
        assert_eq!(dis(&[raw(0x89, 0, 1, 2, 0)]), "r0 = *(s16 *)(r1 + 0x2)");
        assert_eq!(
            dis(&[raw(0x7a, 1, 0, -0x7fff, -7)]),
            "*(u64 *)(r1 - 0x7fff) = -0x7"
        );
        assert_eq!(
            dis(&[raw(0x72, 1, 0, i16::MIN, 0x80)]),
            "*(u8 *)(r1 - 0x8000) = 0x80"
        );
        assert_eq!(dis(&[raw(0x63, 10, 1, -8, 0)]), "*(u32 *)(r10 - 0x8) = r1");
        assert_eq!(dis(&[raw(0x30, 0, 0, 0, 0x17)]), "r0 = *(u8 *)skb[0x17]");
        assert_eq!(dis(&[raw(0x48, 0, 1, 0, 0)]), "r0 = *(u16 *)skb[r1]");
        assert_eq!(dis(&[raw(0x48, 0, 1, 0, 2)]), "r0 = *(u16 *)skb[r1 + 0x2]");
    }

    #[test]
    fn atomic_forms() {
        assert_eq!(
            dis(&[raw(0xdb, 10, 1, -8, 0)]),
            "lock *(u64 *)(r10 - 0x8) += r1"
        );
        assert_eq!(
            dis(&[raw(0xc3, 10, 1, -8, 0)]),
            "lock *(u32 *)(r10 - 0x8) += r1"
        );
        assert_eq!(
            dis(&[raw(0xc3, 10, 1, -8, 0x40)]),
            "lock *(u32 *)(r10 - 0x8) |= w1"
        );
        assert_eq!(
            dis(&[raw(0xdb, 10, 0, -8, 1)]),
            "r0 = atomic_fetch_add((u64 *)(r10 - 0x8), r0)"
        );
        assert_eq!(
            dis(&[raw(0xc3, 10, 0, -8, 0x51)]),
            "w0 = atomic_fetch_and((u32 *)(r10 - 0x8), w0)"
        );
        assert_eq!(
            dis(&[raw(0xdb, 1, 7, 0, 0xe1)]),
            "r7 = xchg_64(r1 + 0x0, r7)"
        );
        assert_eq!(
            dis(&[raw(0xc3, 10, 1, -8, 0xf1)]),
            "w0 = cmpxchg32_32(r10 - 0x8, w0, w1)"
        );
        assert_eq!(
            dis(&[raw(0xdb, 0, 1, 0, 0x100)]),
            "r0 = load_acquire((u64 *)(r1 + 0x0))"
        );
        assert_eq!(
            dis(&[raw(0xcb, 1, 2, 0, 0x110)]),
            "store_release((u16 *)(r1 + 0x0), r2)"
        );
    }

    #[test]
    fn lddw_forms() {
        let lo = |src: u8, imm: i32| raw(0x18, 1, src, 0, imm);
        let hi = |imm: i32| raw(0, 0, 0, 0, imm);
        assert_eq!(dis(&[lo(0, 0x1234), hi(0)]), "r1 = 0x1234 ll");
        assert_eq!(dis(&[lo(0, -1), hi(-1)]), "r1 = -0x1 ll");
        assert_eq!(
            dis(&[lo(0, 0), hi(i32::MIN)]),
            "r1 = -0x8000000000000000 ll"
        );
        assert_eq!(dis(&[lo(1, 5), hi(0)]), "ld_pseudo\tr1, 0x1, 0x5");
        assert_eq!(dis(&[lo(2, 5), hi(16)]), "ld_pseudo\tr1, 0x2, 0x5, 0x10");
    }

    #[test]
    fn whole_program_skips_second_lddw_slot() {
        let slots: Vec<RawInsn> = [
            raw(0x18, 1, 0, 0, 1),
            raw(0, 0, 0, 0, 0),
            raw(0x95, 0, 0, 0, 0),
        ]
        .iter()
        .map(|w| RawInsn::from_u64(*w))
        .collect();
        let insns = decode(&slots).unwrap();
        assert_eq!(disasm(&insns), "r1 = 0x1 ll\nexit\n");
        assert_eq!(disasm_lines(&insns)[1].0, 2);
    }
}

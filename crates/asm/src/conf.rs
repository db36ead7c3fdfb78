//! The bpf_conformance / uBPF assembler syntax: `mov32 %r0, 0`,
//! `ldxw %r0, [%r1+4]`, `jne %r0, %r1, exit`, `lock fetch add [%r10-8], %r1`.
//!
//! Mnemonics follow the bpf_conformance assembler: a plain ALU or jump
//! mnemonic is 64-bit and a `32` suffix selects the 32-bit class (`64` is
//! accepted as an explicit alias); `movsx<from><to>` (`movsx832`,
//! `movsx3264`), `sdiv`/`smod`, `ldxs{b,h,w}`, `le`/`be`/`swap`/`bswap` with
//! a width, `ja32` (32-bit displacement), `call N` (helper), `call %rN`
//! (callx, register in `dst`), `call local L`, `call runtime N` (kfunc).
//! A jump target is `+N`, `-N` or a label; `exit` with no such label names
//! the first `exit` instruction (as the bpf_conformance assembler does).

use crate::error::{Error, ErrorKind, KResult};
use crate::num::{imm32, imm64, off16, parse_int, reg_digits};
use crate::prog::{Builder, Field, Target};
use bpfbox_isa::raw::op;
use bpfbox_isa::RawInsn;

/// 64-bit ALU base names with `(opcode bits, off)`.
const ALU_OPS: &[(&str, u8, i16)] = &[
    ("add", op::ADD, 0),
    ("sub", op::SUB, 0),
    ("mul", op::MUL, 0),
    ("div", op::DIV, 0),
    ("sdiv", op::DIV, 1),
    ("or", op::OR, 0),
    ("and", op::AND, 0),
    ("lsh", op::LSH, 0),
    ("rsh", op::RSH, 0),
    ("mod", op::MOD, 0),
    ("smod", op::MOD, 1),
    ("xor", op::XOR, 0),
    ("mov", op::MOV, 0),
    ("arsh", op::ARSH, 0),
];

const JMP_OPS: &[(&str, u8)] = &[
    ("jeq", op::JEQ),
    ("jgt", op::JGT),
    ("jge", op::JGE),
    ("jset", op::JSET),
    ("jne", op::JNE),
    ("jsgt", op::JSGT),
    ("jsge", op::JSGE),
    ("jlt", op::JLT),
    ("jle", op::JLE),
    ("jslt", op::JSLT),
    ("jsle", op::JSLE),
];

const SIZES: &[(&str, u8)] = &[("b", op::B), ("h", op::H), ("w", op::W), ("dw", op::DW)];

/// Atomic operation names with their `imm`.
const ATOMIC_OPS: &[(&str, i32)] = &[
    ("add", 0x00),
    ("or", 0x40),
    ("and", 0x50),
    ("xor", 0xa0),
    ("xchg", op::XCHG),
    ("cmpxchg", op::CMPXCHG),
];

/// One parsed mnemonic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mn {
    Alu { code: u8, off: i16 },
    Movsx { class: u8, bits: i16 },
    Neg { class: u8 },
    End { code: u8, bits: i32 },
    Ldx { code: u8 },
    St { code: u8 },
    Stx { code: u8 },
    Lddw,
    Ja,
    Ja32,
    Jmp { code: u8 },
    Exit,
    Call,
    Lock,
}

/// Splits a `32`/`64` width suffix: returns the base name and the class.
fn split_width(m: &str, c32: u8, c64: u8) -> (&str, u8) {
    if let Some(b) = m.strip_suffix("32") {
        (b, c32)
    } else if let Some(b) = m.strip_suffix("64") {
        (b, c64)
    } else {
        (m, c64)
    }
}

fn mnemonic(m: &str) -> Option<Mn> {
    match m {
        "lddw" => return Some(Mn::Lddw),
        "ja" => return Some(Mn::Ja),
        "ja32" => return Some(Mn::Ja32),
        "exit" => return Some(Mn::Exit),
        "call" => return Some(Mn::Call),
        "lock" => return Some(Mn::Lock),
        _ => {}
    }
    for (pfx, code) in [("le", 0xd4), ("be", 0xdc), ("swap", 0xd7), ("bswap", 0xd7)] {
        if let Some(bits) = m.strip_prefix(pfx) {
            if let Ok(bits @ (16 | 32 | 64)) = bits.parse::<i32>() {
                return Some(Mn::End { code, bits });
            }
        }
    }
    if let Some(rest) = m.strip_prefix("movsx") {
        let (from, class) = split_width(rest, op::ALU, op::ALU64);
        return match (from, rest.len() > from.len(), class) {
            ("8" | "16", true, _) | ("32", true, op::ALU64) => Some(Mn::Movsx {
                class,
                bits: from.parse().ok()?,
            }),
            _ => None,
        };
    }
    for (s, sz) in SIZES {
        if m.strip_prefix("ldx") == Some(s) {
            return Some(Mn::Ldx {
                code: op::LDX | op::MEM | sz,
            });
        }
        if *s != "dw" && m.strip_prefix("ldxs") == Some(s) {
            return Some(Mn::Ldx {
                code: op::LDX | op::MEMSX | sz,
            });
        }
        if m.strip_prefix("stx") == Some(s) {
            return Some(Mn::Stx {
                code: op::STX | op::MEM | sz,
            });
        }
        if m.strip_prefix("st") == Some(s) {
            return Some(Mn::St {
                code: op::ST | op::MEM | sz,
            });
        }
    }
    let (base, class) = split_width(m, op::ALU, op::ALU64);
    if base == "neg" {
        return Some(Mn::Neg { class });
    }
    if let Some((_, bits, off)) = ALU_OPS.iter().find(|(n, _, _)| *n == base) {
        return Some(Mn::Alu {
            code: class | bits,
            off: *off,
        });
    }
    let (base, class) = split_width(m, op::JMP32, op::JMP);
    JMP_OPS
        .iter()
        .find(|(n, _)| *n == base)
        .map(|(_, bits)| Mn::Jmp { code: class | bits })
}

/// Whether `word` is a mnemonic of this syntax (used by syntax detection).
pub(crate) fn is_mnemonic(word: &str) -> bool {
    mnemonic(word).is_some()
}

/// `%rN` (or plain `rN`).
fn reg(text: &str) -> KResult<u8> {
    let t = text.trim();
    let digits = t
        .strip_prefix("%r")
        .or_else(|| t.strip_prefix('r'))
        .unwrap_or("");
    match reg_digits(digits, t) {
        Some(r) => r,
        None => Err(ErrorKind::BadRegister(t.to_string())),
    }
}

fn is_reg(text: &str) -> bool {
    let t = text.trim();
    t.starts_with('%')
        || (t.starts_with('r') && t.len() > 1 && t[1..].bytes().all(|b| b.is_ascii_digit()))
}

/// `[%rN]`, `[%rN+off]`, `[%rN - off]`.
fn mem(text: &str) -> KResult<(u8, i16)> {
    let bad = || ErrorKind::BadMemOperand(text.trim().to_string());
    let inner = text
        .trim()
        .strip_prefix('[')
        .and_then(|t| t.strip_suffix(']'))
        .ok_or_else(bad)?;
    match inner.find(['+', '-']) {
        None => Ok((reg(inner)?, 0)),
        Some(i) => {
            let r = reg(&inner[..i])?;
            let off = inner[i..].trim();
            if parse_int(off).is_err() {
                return Err(bad());
            }
            Ok((r, off16(off)?))
        }
    }
}

/// A jump target: `+N`/`-N` or a label.
fn target(text: &str) -> KResult<Target> {
    let t = text.trim();
    if t.starts_with(['+', '-']) {
        let v = parse_int(t)?;
        return Ok(Target::Rel(
            i64::try_from(v).map_err(|_| ErrorKind::OffsetOutOfRange(t.to_string()))?,
        ));
    }
    if !t.is_empty()
        && t.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
    {
        Ok(Target::Label(t.to_string()))
    } else {
        Err(ErrorKind::Syntax(format!("malformed jump target `{t}`")))
    }
}

fn count(mn: &str, ops: &[&str], n: usize) -> KResult<()> {
    if ops.len() != n {
        return Err(ErrorKind::OperandCount {
            mnemonic: mn.to_string(),
            expected: n,
            found: ops.len(),
        });
    }
    Ok(())
}

fn split_operands(rest: &str) -> Vec<&str> {
    if rest.trim().is_empty() {
        Vec::new()
    } else {
        rest.split(',').map(str::trim).collect()
    }
}

/// Assembles one statement (comments and labels already removed).
fn statement(b: &mut Builder, stmt: &str, line: usize) -> KResult<()> {
    let (mn_text, rest) = match stmt.find(char::is_whitespace) {
        Some(i) => (&stmt[..i], stmt[i..].trim()),
        None => (stmt, ""),
    };
    let mn = mnemonic(mn_text).ok_or_else(|| ErrorKind::UnknownMnemonic(mn_text.to_string()))?;
    let ops = split_operands(rest);
    let one = |b: &mut Builder, r: RawInsn| {
        b.push(&[r]);
        Ok(())
    };
    match mn {
        Mn::Alu { code, off } => {
            count(mn_text, &ops, 2)?;
            let dst = reg(ops[0])?;
            if is_reg(ops[1]) {
                one(b, RawInsn::new(code | op::X, dst, reg(ops[1])?, off, 0))
            } else {
                one(b, RawInsn::new(code, dst, 0, off, imm32(ops[1])?))
            }
        }
        Mn::Movsx { class, bits } => {
            count(mn_text, &ops, 2)?;
            let (dst, src) = (reg(ops[0])?, reg(ops[1])?);
            one(b, RawInsn::new(class | op::MOV | op::X, dst, src, bits, 0))
        }
        Mn::Neg { class } => {
            count(mn_text, &ops, 1)?;
            one(b, RawInsn::new(class | op::NEG, reg(ops[0])?, 0, 0, 0))
        }
        Mn::End { code, bits } => {
            count(mn_text, &ops, 1)?;
            one(b, RawInsn::new(code, reg(ops[0])?, 0, 0, bits))
        }
        Mn::Ldx { code } => {
            count(mn_text, &ops, 2)?;
            let dst = reg(ops[0])?;
            let (src, off) = mem(ops[1])?;
            one(b, RawInsn::new(code, dst, src, off, 0))
        }
        Mn::St { code } => {
            count(mn_text, &ops, 2)?;
            let (dst, off) = mem(ops[0])?;
            one(b, RawInsn::new(code, dst, 0, off, imm32(ops[1])?))
        }
        Mn::Stx { code } => {
            count(mn_text, &ops, 2)?;
            let (dst, off) = mem(ops[0])?;
            one(b, RawInsn::new(code, dst, reg(ops[1])?, off, 0))
        }
        Mn::Lddw => {
            count(mn_text, &ops, 2)?;
            let dst = reg(ops[0])?;
            let v = imm64(ops[1])?;
            b.push(&[
                RawInsn::new(op::LD | op::IMM | op::DW, dst, 0, 0, v as u32 as i32),
                RawInsn::new(0, 0, 0, 0, (v >> 32) as u32 as i32),
            ]);
            Ok(())
        }
        Mn::Ja | Mn::Ja32 => {
            count(mn_text, &ops, 1)?;
            let (code, field) = if mn == Mn::Ja {
                (op::JMP | op::JA, Field::Off)
            } else {
                (op::JMP32 | op::JA, Field::Imm)
            };
            b.push_jump(
                RawInsn::new(code, 0, 0, 0, 0),
                &[],
                target(ops[0])?,
                field,
                line,
            )
        }
        Mn::Jmp { code } => {
            count(mn_text, &ops, 3)?;
            let dst = reg(ops[0])?;
            let slot = if is_reg(ops[1]) {
                RawInsn::new(code | op::X, dst, reg(ops[1])?, 0, 0)
            } else {
                RawInsn::new(code, dst, 0, 0, imm32(ops[1])?)
            };
            b.push_jump(slot, &[], target(ops[2])?, Field::Off, line)
        }
        Mn::Exit => {
            count(mn_text, &ops, 0)?;
            one(b, RawInsn::new(op::JMP | op::EXIT, 0, 0, 0, 0))
        }
        Mn::Call => call(b, rest, line),
        Mn::Lock => lock(b, rest),
    }
}

/// `call N`, `call %rN`, `call helper N`, `call local L`, `call runtime N`.
fn call(b: &mut Builder, rest: &str, line: usize) -> KResult<()> {
    let words: Vec<&str> = rest.split_whitespace().collect();
    let code = op::JMP | op::CALL;
    let (mode, arg) = match words.as_slice() {
        [arg] => ("helper", *arg),
        [mode, arg] => (*mode, *arg),
        _ => {
            return Err(ErrorKind::OperandCount {
                mnemonic: "call".into(),
                expected: 1,
                found: words.len(),
            })
        }
    };
    match mode {
        "helper" if is_reg(arg) => {
            b.push(&[RawInsn::new(code | op::X, reg(arg)?, 0, 0, 0)]);
            Ok(())
        }
        "helper" => {
            b.push(&[RawInsn::new(code, 0, 0, 0, imm32(arg)?)]);
            Ok(())
        }
        "runtime" => {
            b.push(&[RawInsn::new(code, 0, op::PSEUDO_KFUNC_CALL, 0, imm32(arg)?)]);
            Ok(())
        }
        "local" => b.push_jump(
            RawInsn::new(code, 0, op::PSEUDO_CALL, 0, 0),
            &[],
            target(arg)?,
            Field::Imm,
            line,
        ),
        m => Err(ErrorKind::Syntax(format!(
            "unknown call mode `{m}` (expected helper, local or runtime)"
        ))),
    }
}

/// `lock [fetch] op[32] [%rN+off], %rS`.
fn lock(b: &mut Builder, rest: &str) -> KResult<()> {
    let mut words = rest.splitn(2, char::is_whitespace);
    let mut name = words.next().unwrap_or("");
    let mut tail = words.next().unwrap_or("").trim();
    let fetch = name == "fetch";
    if fetch {
        let mut w = tail.splitn(2, char::is_whitespace);
        name = w.next().unwrap_or("");
        tail = w.next().unwrap_or("").trim();
    }
    let ops = split_operands(tail);
    let full = if fetch {
        format!("lock fetch {name}")
    } else {
        format!("lock {name}")
    };
    if name.is_empty() || ops.len() != 2 {
        let found = ops.len() + usize::from(!name.is_empty());
        return Err(ErrorKind::OperandCount {
            mnemonic: full,
            expected: 3,
            found,
        });
    }
    let (base, size) = match name.strip_suffix("32") {
        Some(b) => (b, op::W),
        None => (name, op::DW),
    };
    let imm = ATOMIC_OPS
        .iter()
        .find(|(n, _)| *n == base)
        .map(|(_, i)| *i)
        .ok_or_else(|| ErrorKind::UnknownMnemonic(full.clone()))?;
    if fetch && imm & op::FETCH != 0 {
        return Err(ErrorKind::Syntax(format!(
            "`{base}` always fetches; write `lock {name}`"
        )));
    }
    let imm = if fetch { imm | op::FETCH } else { imm };
    let (dst, off) = mem(ops[0])?;
    let src = reg(ops[1])?;
    b.push(&[RawInsn::new(
        op::STX | op::ATOMIC | size,
        dst,
        src,
        off,
        imm,
    )]);
    Ok(())
}

/// Assembles a whole program in this syntax.
pub(crate) fn assemble(text: &str) -> Result<Vec<RawInsn>, Error> {
    let mut b = Builder::default();
    for (i, raw_line) in text.lines().enumerate() {
        let line = i + 1;
        let mut stmt = crate::strip_comment(raw_line).trim();
        // `name:` possibly followed by a statement.
        if let Some(colon) = stmt.find(':') {
            let name = stmt[..colon].trim();
            if !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
            {
                b.label(name, line)?;
                stmt = stmt[colon + 1..].trim();
            }
        }
        if stmt.is_empty() {
            continue;
        }
        statement(&mut b, stmt, line).map_err(|k| Error::new(line, k))?;
    }
    b.finish(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(src: &str) -> RawInsn {
        let p = assemble(src).unwrap_or_else(|e| panic!("{src}: {e}"));
        assert_eq!(p.len(), 1, "{src}");
        p[0]
    }

    fn err(src: &str) -> ErrorKind {
        assemble(src).unwrap_err().kind().clone()
    }

    #[test]
    fn alu() {
        assert_eq!(one("mov32 %r0, 0"), RawInsn::new(0xb4, 0, 0, 0, 0));
        assert_eq!(one("add %r0, 1"), RawInsn::new(0x07, 0, 0, 0, 1));
        assert_eq!(one("add64 %r0, %r1"), RawInsn::new(0x0f, 0, 1, 0, 0));
        assert_eq!(one("sub32 %r3, %r2"), RawInsn::new(0x1c, 3, 2, 0, 0));
        assert_eq!(one("sdiv %r1, -3"), RawInsn::new(0x37, 1, 0, 1, -3));
        assert_eq!(one("smod32 %r1, %r2"), RawInsn::new(0x9c, 1, 2, 1, 0));
        assert_eq!(
            one("arsh32 %r1, 0xffffffff"),
            RawInsn::new(0xc4, 1, 0, 0, -1)
        );
        assert_eq!(one("neg %r2"), RawInsn::new(0x87, 2, 0, 0, 0));
        assert_eq!(one("neg32 %r2"), RawInsn::new(0x84, 2, 0, 0, 0));
        assert_eq!(one("movsx832 %r0, %r1"), RawInsn::new(0xbc, 0, 1, 8, 0));
        assert_eq!(one("movsx1664 %r8, %r7"), RawInsn::new(0xbf, 8, 7, 16, 0));
        assert_eq!(one("movsx3264 %r0, %r9"), RawInsn::new(0xbf, 0, 9, 32, 0));
        assert_eq!(
            err("movsx3232 %r0, %r9"),
            ErrorKind::UnknownMnemonic("movsx3232".into())
        );
    }

    #[test]
    fn byte_swaps() {
        assert_eq!(one("be16 %r0"), RawInsn::new(0xdc, 0, 0, 0, 16));
        assert_eq!(one("le32 %r1"), RawInsn::new(0xd4, 1, 0, 0, 32));
        assert_eq!(one("swap64 %r1"), RawInsn::new(0xd7, 1, 0, 0, 64));
        assert_eq!(one("bswap16 %r1"), RawInsn::new(0xd7, 1, 0, 0, 16));
    }

    #[test]
    fn memory() {
        assert_eq!(one("ldxw %r0, [%r1+4]"), RawInsn::new(0x61, 0, 1, 4, 0));
        assert_eq!(one("ldxb %r0, [%r1]"), RawInsn::new(0x71, 0, 1, 0, 0));
        assert_eq!(one("ldxsh %r0, [%r1 - 2]"), RawInsn::new(0x89, 0, 1, -2, 0));
        assert_eq!(one("stxdw [%r10-8], %r0"), RawInsn::new(0x7b, 10, 0, -8, 0));
        assert_eq!(
            one("stw [%r1+2], 0x1234"),
            RawInsn::new(0x62, 1, 0, 2, 0x1234)
        );
        assert_eq!(one("sth [%r1], 1"), RawInsn::new(0x6a, 1, 0, 0, 1));
        assert_eq!(
            assemble("lddw %r0, 0x1122334455667788").unwrap(),
            vec![
                RawInsn::new(0x18, 0, 0, 0, 0x55667788),
                RawInsn::new(0, 0, 0, 0, 0x11223344)
            ]
        );
    }

    #[test]
    fn atomics() {
        assert_eq!(
            one("lock add [%r10-8], %r1"),
            RawInsn::new(0xdb, 10, 1, -8, 0)
        );
        assert_eq!(
            one("lock add32 [%r10-8], %r1"),
            RawInsn::new(0xc3, 10, 1, -8, 0)
        );
        assert_eq!(
            one("lock fetch or [%r1], %r2"),
            RawInsn::new(0xdb, 1, 2, 0, 0x41)
        );
        assert_eq!(
            one("lock xchg32 [%r1], %r2"),
            RawInsn::new(0xc3, 1, 2, 0, 0xe1)
        );
        assert_eq!(
            one("lock cmpxchg [%r1+8], %r2"),
            RawInsn::new(0xdb, 1, 2, 8, 0xf1)
        );
        assert!(matches!(
            err("lock or [%r10-8]"),
            ErrorKind::OperandCount { .. }
        ));
        assert!(matches!(err("lock"), ErrorKind::OperandCount { .. }));
        assert!(matches!(
            err("lock nand [%r1], %r2"),
            ErrorKind::UnknownMnemonic(_)
        ));
    }

    #[test]
    fn jumps_and_calls() {
        let p = assemble("jne %r0, %r1, exit\nja +1\nexit\nja32 -2\nexit").unwrap();
        assert_eq!(p[0], RawInsn::new(0x5d, 0, 1, 1, 0));
        assert_eq!(p[1], RawInsn::new(0x05, 0, 0, 1, 0));
        assert_eq!(p[3], RawInsn::new(0x06, 0, 0, 0, -2));
        assert_eq!(one("jsle32 %r1, -5, +3"), RawInsn::new(0xd6, 1, 0, 3, -5));
        assert_eq!(one("call 5"), RawInsn::new(0x85, 0, 0, 0, 5));
        assert_eq!(one("call %r2"), RawInsn::new(0x8d, 2, 0, 0, 0));
        assert_eq!(one("call runtime 7"), RawInsn::new(0x85, 0, 2, 0, 7));
        let p = assemble("call local f\nexit\nf:\nexit").unwrap();
        assert_eq!(p[0], RawInsn::new(0x85, 0, 1, 0, 1));
    }

    #[test]
    fn refusals() {
        assert_eq!(err("or %r0, %r50"), ErrorKind::BadRegister("%r50".into()));
        assert_eq!(
            err("ldxq %r0, %r1"),
            ErrorKind::UnknownMnemonic("ldxq".into())
        );
        assert_eq!(err("ldxb %r0, %r1"), ErrorKind::BadMemOperand("%r1".into()));
        assert!(matches!(
            err("ldxb %r0, [%r1+0x10000]"),
            ErrorKind::OffsetOutOfRange(_)
        ));
        assert!(matches!(err("lddw %r0"), ErrorKind::OperandCount { .. }));
        assert!(matches!(
            err("mov32 %r0, 2147483648"),
            ErrorKind::ImmOutOfRange(_)
        ));
        assert!(matches!(
            err("mov32 %r0, 0x100000000"),
            ErrorKind::ImmOutOfRange(_)
        ));
        assert_eq!(
            err("ja NOT_A_LABEL\nexit"),
            ErrorKind::UnknownLabel("NOT_A_LABEL".into())
        );
        assert!(matches!(err("x:\nx:\nexit"), ErrorKind::DuplicateLabel(_)));
        assert!(matches!(
            err("ldxw %r0, [%r1+x]"),
            ErrorKind::BadMemOperand(_)
        ));
        let e = assemble("mov %r0, 1\n\nadd %r0, %r11").unwrap_err();
        assert_eq!(e.line(), 3);
        assert_eq!(e.to_string(), "line 3: invalid register `%r11`");
    }
}

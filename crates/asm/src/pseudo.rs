//! The pseudo-C syntax of llvm-objdump / clang and the verifier log.

use crate::error::{Error, ErrorKind, KResult};
use crate::lex::{tokenize, Cur, Tok};
use crate::num::{imm32, imm64, off16, parse_int, reg_digits};
use crate::prog::{Builder, Field, Target};
use bpfbox_isa::raw::op;
use bpfbox_isa::RawInsn;

/// A register as written: number and whether it is the `w` (32-bit) view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct R {
    n: u8,
    w32: bool,
}

/// `rN`/`wN` if the word is register-shaped.
fn as_reg(word: &str) -> Option<KResult<R>> {
    let (w32, digits) = match word.as_bytes().first() {
        Some(b'r') => (false, &word[1..]),
        Some(b'w') => (true, &word[1..]),
        _ => return None,
    };
    reg_digits(digits, word).map(|r| r.map(|n| R { n, w32 }))
}

fn reg(c: &mut Cur) -> KResult<R> {
    match c.peek() {
        Some(Tok::Word(w)) => match as_reg(w) {
            Some(r) => {
                c.next();
                r
            }
            None => Err(ErrorKind::BadRegister(w.clone())),
        },
        _ => Err(c.unexpected("a register")),
    }
}

fn is_reg_next(c: &Cur) -> bool {
    matches!(c.peek(), Some(Tok::Word(w)) if as_reg(w).is_some())
}

/// An optionally signed number; returns its text (`-0x3`).
fn number(c: &mut Cur) -> KResult<String> {
    let sign = if c.eat("-") {
        "-"
    } else {
        c.eat("+");
        ""
    };
    match c.next() {
        Some(Tok::Num(n)) => Ok(format!("{sign}{n}")),
        Some(t) => Err(ErrorKind::Syntax(format!(
            "expected a number, found `{t:?}`"
        ))),
        None => Err(ErrorKind::Syntax("expected a number at end of line".into())),
    }
}

fn is_num_next(c: &Cur) -> bool {
    match c.peek() {
        Some(Tok::Num(_)) => true,
        Some(Tok::Sym("-" | "+")) => matches!(c.peek_at(1), Some(Tok::Num(_))),
        _ => false,
    }
}

/// `u8`..`u64` / `s8`..`s32` to (size bits, signed).
fn mem_type(word: &str) -> Option<(u8, bool)> {
    let (signed, bits) = match word.as_bytes().first() {
        Some(b'u') => (false, &word[1..]),
        Some(b's') => (true, &word[1..]),
        _ => return None,
    };
    let size = match bits {
        "8" => op::B,
        "16" => op::H,
        "32" => op::W,
        "64" => op::DW,
        _ => return None,
    };
    Some((size, signed))
}

/// `(u32 *)`; the opening `(` already consumed when `open` is false.
fn cast(c: &mut Cur, open: bool) -> KResult<(u8, bool)> {
    if open {
        c.expect("(")?;
    }
    let t = match c.next() {
        Some(Tok::Word(w)) => mem_type(&w).ok_or(ErrorKind::BadMemOperand(w))?,
        _ => return Err(ErrorKind::BadMemOperand(c.rest_text())),
    };
    c.expect("*")?;
    c.expect(")")?;
    Ok(t)
}

/// `rN + off` / `rN - off` / `rN` (no parentheses).
fn base_off(c: &mut Cur) -> KResult<(u8, i16)> {
    let r = reg(c)?;
    if r.w32 {
        return Err(ErrorKind::BadMemOperand(format!("w{}", r.n)));
    }
    let neg = if c.eat("-") {
        true
    } else if c.eat("+") {
        false
    } else {
        return Ok((r.n, 0));
    };
    let n = match c.next() {
        Some(Tok::Num(n)) => n,
        _ => return Err(ErrorKind::BadMemOperand(c.rest_text())),
    };
    let text = if neg { format!("-{n}") } else { n };
    Ok((r.n, off16(&text)?))
}

/// `(rN + off)`.
fn paren_addr(c: &mut Cur) -> KResult<(u8, i16)> {
    c.expect("(")?;
    let a = base_off(c)?;
    c.expect(")")?;
    Ok(a)
}

/// A jump target: `+N`, `-N`, `pc+N`, `pc-N` or a label.
fn target(c: &mut Cur) -> KResult<Target> {
    c.eat_word("pc");
    if is_num_next(c) {
        let text = number(c)?;
        let v = parse_int(&text)?;
        return Ok(Target::Rel(
            i64::try_from(v).map_err(|_| ErrorKind::OffsetOutOfRange(text))?,
        ));
    }
    match c.next() {
        Some(Tok::Word(w)) => Ok(Target::Label(w)),
        _ => Err(c.unexpected("a jump target")),
    }
}

fn alu_bits(sym: &str) -> Option<(u8, i16)> {
    Some(match sym {
        "+=" => (op::ADD, 0),
        "-=" => (op::SUB, 0),
        "*=" => (op::MUL, 0),
        "/=" => (op::DIV, 0),
        "s/=" => (op::DIV, 1),
        "|=" => (op::OR, 0),
        "&=" => (op::AND, 0),
        "<<=" => (op::LSH, 0),
        ">>=" => (op::RSH, 0),
        "%=" => (op::MOD, 0),
        "s%=" => (op::MOD, 1),
        "^=" => (op::XOR, 0),
        "s>>=" => (op::ARSH, 0),
        _ => return None,
    })
}

fn cond_bits(sym: &str) -> Option<u8> {
    Some(match sym {
        "==" => op::JEQ,
        ">" => op::JGT,
        ">=" => op::JGE,
        "&" => op::JSET,
        "!=" => op::JNE,
        "s>" => op::JSGT,
        "s>=" => op::JSGE,
        "<" => op::JLT,
        "<=" => op::JLE,
        "s<" => op::JSLT,
        "s<=" => op::JSLE,
        _ => return None,
    })
}

fn same_width(a: R, b: R) -> KResult<()> {
    if a.w32 != b.w32 {
        return Err(ErrorKind::Syntax(format!(
            "mixed register widths: {}{} and {}{}",
            if a.w32 { 'w' } else { 'r' },
            a.n,
            if b.w32 { 'w' } else { 'r' },
            b.n
        )));
    }
    Ok(())
}

/// Parses one statement and emits it.
/// `log_opcode` is the `(xx)` opcode of a verifier-log line, if any: the log
/// prints `lddw` as `(18) r1 = 0x5` without `ll`.
fn statement(b: &mut Builder, c: &mut Cur, line: usize, log_opcode: Option<u8>) -> KResult<()> {
    let first = match c.peek() {
        Some(Tok::Word(w)) => w.clone(),
        Some(Tok::Sym("*")) => return store(b, c),
        _ => return Err(c.unexpected("a statement")),
    };
    let jmp = op::JMP;
    match first.as_str() {
        "exit" => {
            c.next();
            c.end()?;
            b.push(&[RawInsn::new(jmp | op::EXIT, 0, 0, 0, 0)]);
            Ok(())
        }
        "goto" | "gotol" | "may_goto" => {
            c.next();
            let t = target(c)?;
            c.end()?;
            let (slot, field) = match first.as_str() {
                "goto" => (RawInsn::new(jmp | op::JA, 0, 0, 0, 0), Field::Off),
                "gotol" => (RawInsn::new(op::JMP32 | op::JA, 0, 0, 0, 0), Field::Imm),
                _ => (
                    RawInsn::new(jmp | op::JCOND, 0, op::MAY_GOTO, 0, 0),
                    Field::Off,
                ),
            };
            b.push_jump(slot, &[], t, field, line)
        }
        "call" => {
            c.next();
            call(b, c, line)
        }
        "callx" => {
            c.next();
            let r = reg(c)?;
            c.end()?;
            b.push(&[RawInsn::new(jmp | op::CALL | op::X, r.n, 0, 0, 0)]);
            Ok(())
        }
        "if" => {
            c.next();
            cond_jump(b, c, line)
        }
        "lock" => {
            c.next();
            lock(b, c)
        }
        "ld_pseudo" => {
            c.next();
            ld_pseudo(b, c, line)
        }
        "store_release" => {
            c.next();
            c.expect("(")?;
            let (size, _) = cast(c, true)?;
            let (dst, off) = paren_addr(c)?;
            c.expect(",")?;
            let src = reg(c)?;
            c.expect(")")?;
            c.end()?;
            let code = op::STX | op::ATOMIC | size;
            b.push(&[RawInsn::new(code, dst, src.n, off, op::STORE_REL)]);
            Ok(())
        }
        w if as_reg(w).is_some() => {
            let dst = reg(c)?;
            match c.next() {
                Some(Tok::Sym("=")) => assign(b, c, dst, log_opcode == Some(0x18)),
                Some(Tok::Sym(s)) if alu_bits(s).is_some() => {
                    let (bits, off) = alu_bits(s).unwrap_or((0, 0));
                    alu(b, c, dst, bits, off)
                }
                _ => Err(ErrorKind::Syntax(format!(
                    "expected an assignment operator after `{w}`"
                ))),
            }
        }
        w => Err(ErrorKind::UnknownMnemonic(w.to_string())),
    }
}

fn class(r: R) -> u8 {
    if r.w32 {
        op::ALU
    } else {
        op::ALU64
    }
}

/// `dst op= src|imm`.
fn alu(b: &mut Builder, c: &mut Cur, dst: R, bits: u8, off: i16) -> KResult<()> {
    let slot = if is_reg_next(c) {
        let src = reg(c)?;
        same_width(dst, src)?;
        RawInsn::new(class(dst) | bits | op::X, dst.n, src.n, off, 0)
    } else {
        let v = imm32(&number(c)?)?;
        RawInsn::new(class(dst) | bits, dst.n, 0, off, v)
    };
    c.end()?;
    b.push(&[slot]);
    Ok(())
}

/// Everything of the form `dst = ...`.
fn assign(b: &mut Builder, c: &mut Cur, dst: R, lddw: bool) -> KResult<()> {
    let need64 = |what: &str| -> KResult<()> {
        if dst.w32 {
            Err(ErrorKind::Syntax(format!(
                "{what} needs a 64-bit `r` destination"
            )))
        } else {
            Ok(())
        }
    };
    // Loads: `*(u32 *)(r1 + 4)` and `*(u8 *)skb[...]`.
    if c.eat("*") {
        let (size, signed) = cast(c, true)?;
        if c.eat_word("skb") {
            need64("a packet load")?;
            if signed || size == op::DW || dst.n != 0 {
                return Err(ErrorKind::Syntax(
                    "packet loads are `r0 = *(u8|u16|u32 *)skb[...]`".into(),
                ));
            }
            c.expect("[")?;
            let slot = if is_reg_next(c) {
                let src = reg(c)?;
                if src.w32 {
                    return Err(ErrorKind::BadMemOperand(format!("w{}", src.n)));
                }
                // The offset of LD_IND is the 32-bit `imm`.
                let imm = match c.peek() {
                    Some(Tok::Sym("+" | "-")) => imm32(&number(c)?)?,
                    _ => 0,
                };
                RawInsn::new(op::LD | op::IND | size, 0, src.n, 0, imm)
            } else {
                RawInsn::new(op::LD | op::ABS | size, 0, 0, 0, imm32(&number(c)?)?)
            };
            c.expect("]")?;
            c.end()?;
            b.push(&[slot]);
            return Ok(());
        }
        let (src, off) = paren_addr(c)?;
        c.end()?;
        if dst.w32 && (signed || size == op::DW) {
            return Err(ErrorKind::Syntax(
                "a `w` destination only takes an unsigned load of 32 bits or less".into(),
            ));
        }
        let mode = if signed { op::MEMSX } else { op::MEM };
        if signed && size == op::DW {
            return Err(ErrorKind::BadMemOperand("s64".into()));
        }
        b.push(&[RawInsn::new(op::LDX | mode | size, dst.n, src, off, 0)]);
        return Ok(());
    }
    // `dst = -dst`.
    if c.peek() == Some(&Tok::Sym("-")) && !is_num_next(c) {
        c.next();
        let src = reg(c)?;
        if src != dst {
            return Err(ErrorKind::Syntax("negation must be `rN = -rN`".into()));
        }
        c.end()?;
        b.push(&[RawInsn::new(class(dst) | op::NEG, dst.n, 0, 0, 0)]);
        return Ok(());
    }
    // `dst = (s8)src`.
    if c.eat("(") {
        let bits: i16 = match c.next() {
            Some(Tok::Word(w)) if w == "s8" => 8,
            Some(Tok::Word(w)) if w == "s16" => 16,
            Some(Tok::Word(w)) if w == "s32" && !dst.w32 => 32,
            _ => {
                return Err(ErrorKind::Syntax(
                    "expected `(s8)`, `(s16)` or `(s32)`".into(),
                ))
            }
        };
        c.expect(")")?;
        let src = reg(c)?;
        same_width(dst, src)?;
        c.end()?;
        let code = class(dst) | op::MOV | op::X;
        b.push(&[RawInsn::new(code, dst.n, src.n, bits, 0)]);
        return Ok(());
    }
    // Immediates: `dst = 5` or `dst = 5 ll`.
    if is_num_next(c) {
        let text = number(c)?;
        if c.eat_word("ll") || lddw {
            need64("`ll`")?;
            c.end()?;
            let v = imm64(&text)?;
            b.push(&[
                RawInsn::new(op::LD | op::IMM | op::DW, dst.n, 0, 0, v as u32 as i32),
                RawInsn::new(0, 0, 0, 0, (v >> 32) as u32 as i32),
            ]);
            return Ok(());
        }
        c.end()?;
        let v = imm32(&text)?;
        b.push(&[RawInsn::new(class(dst) | op::MOV, dst.n, 0, 0, v)]);
        return Ok(());
    }
    if is_reg_next(c) {
        let src = reg(c)?;
        same_width(dst, src)?;
        c.end()?;
        b.push(&[RawInsn::new(
            class(dst) | op::MOV | op::X,
            dst.n,
            src.n,
            0,
            0,
        )]);
        return Ok(());
    }
    let word = match c.next() {
        Some(Tok::Word(w)) => w,
        _ => return Err(c.unexpected("an expression")),
    };
    if let Some(slot) = byte_swap(&word, c, dst)? {
        b.push(&[slot]);
        return Ok(());
    }
    atomic_expr(b, c, dst, &word)
}

/// `dst = be16 dst` / `le32` / `bswap64`.
fn byte_swap(word: &str, c: &mut Cur, dst: R) -> KResult<Option<RawInsn>> {
    let (code, bits) = match ["le", "be", "bswap"]
        .iter()
        .find_map(|p| word.strip_prefix(p).map(|b| (*p, b)))
    {
        Some((p, bits @ ("16" | "32" | "64"))) => {
            let code = match p {
                "le" => op::ALU | op::END | op::TO_LE,
                "be" => op::ALU | op::END | op::TO_BE,
                _ => op::ALU64 | op::END | op::TO_LE,
            };
            (code, bits.parse::<i32>().unwrap_or(0))
        }
        _ => return Ok(None),
    };
    let src = reg(c)?;
    if src.n != dst.n {
        return Err(ErrorKind::Syntax(format!(
            "`{word}` converts in place: write `r{0} = {word} r{0}`",
            dst.n
        )));
    }
    c.end()?;
    Ok(Some(RawInsn::new(code, dst.n, 0, 0, bits)))
}

/// The call-like atomic forms after `dst =`.
fn atomic_expr(b: &mut Builder, c: &mut Cur, dst: R, word: &str) -> KResult<()> {
    let fetch_op = |name: &str| -> Option<i32> {
        Some(
            match name {
                "add" => 0x00,
                "or" => 0x40,
                "and" => 0x50,
                "xor" => 0xa0,
                _ => return None,
            } | op::FETCH,
        )
    };
    // (imm, explicit size from the name, form): form 0 = `((uN *)(rB + off), rS)`,
    // 1 = `(rB + off, rS)`, 2 = cmpxchg `(rB + off, r0, rS)`,
    // 3 = `((uN *)(rB + off), r0, rS)`, 4 = load_acquire `((uN *)(rB + off))`.
    let (imm, size, form) = if let Some(n) = word
        .strip_prefix("atomic_fetch_")
        .or_else(|| word.strip_prefix("atomic64_fetch_"))
    {
        (fetch_op(n), None, 0)
    } else {
        match word {
            "xchg_64" => (Some(op::XCHG), Some(op::DW), 1),
            "xchg32_32" => (Some(op::XCHG), Some(op::W), 1),
            "cmpxchg_64" => (Some(op::CMPXCHG), Some(op::DW), 2),
            "cmpxchg32_32" => (Some(op::CMPXCHG), Some(op::W), 2),
            "atomic_xchg" | "atomic64_xchg" => (Some(op::XCHG), None, 0),
            "atomic_cmpxchg" | "atomic64_cmpxchg" => (Some(op::CMPXCHG), None, 3),
            "load_acquire" => (Some(op::LOAD_ACQ), None, 4),
            _ => (None, None, 0),
        }
    };
    let Some(imm) = imm else {
        return Err(ErrorKind::UnknownMnemonic(word.to_string()));
    };
    c.expect("(")?;
    let (size, dst_mem, off) = if form == 1 || form == 2 {
        let (r, off) = base_off(c)?;
        (size.unwrap_or(op::DW), r, off)
    } else {
        let (sz, signed) = cast(c, true)?;
        if signed {
            return Err(ErrorKind::BadMemOperand("signed atomic type".into()));
        }
        let (r, off) = paren_addr(c)?;
        (sz, r, off)
    };
    let code = op::STX | op::ATOMIC | size;
    if form == 4 {
        c.expect(")")?;
        c.end()?;
        // load_acquire: `dst` is the loaded register, the base goes in `src`.
        b.push(&[RawInsn::new(code, dst.n, dst_mem, off, imm)]);
        return Ok(());
    }
    c.expect(",")?;
    if form == 2 || form == 3 {
        let r0 = reg(c)?;
        if r0.n != 0 || dst.n != 0 {
            return Err(ErrorKind::Syntax("cmpxchg compares and returns r0".into()));
        }
        c.expect(",")?;
    }
    let src = reg(c)?;
    c.expect(")")?;
    c.end()?;
    if form != 2 && form != 3 && src.n != dst.n {
        return Err(ErrorKind::Syntax(format!(
            "`{word}` returns the old value in its source register: write `r{0} = {word}(..., r{0})`",
            src.n
        )));
    }
    b.push(&[RawInsn::new(code, dst_mem, src.n, off, imm)]);
    Ok(())
}

/// `*(u32 *)(r1 + off) = src|imm`.
fn store(b: &mut Builder, c: &mut Cur) -> KResult<()> {
    c.expect("*")?;
    let (size, signed) = cast(c, true)?;
    if signed {
        return Err(ErrorKind::BadMemOperand(
            "stores take an unsigned type".into(),
        ));
    }
    let (dst, off) = paren_addr(c)?;
    c.expect("=")?;
    let slot = if is_reg_next(c) {
        let src = reg(c)?;
        RawInsn::new(op::STX | op::MEM | size, dst, src.n, off, 0)
    } else {
        RawInsn::new(op::ST | op::MEM | size, dst, 0, off, imm32(&number(c)?)?)
    };
    c.end()?;
    b.push(&[slot]);
    Ok(())
}

/// `lock *(u64 *)(r1 + off) op= src`.
fn lock(b: &mut Builder, c: &mut Cur) -> KResult<()> {
    c.expect("*")?;
    let (size, signed) = cast(c, true)?;
    if signed {
        return Err(ErrorKind::BadMemOperand("signed atomic type".into()));
    }
    let (dst, off) = paren_addr(c)?;
    let imm = match c.next() {
        Some(Tok::Sym("+=")) => 0x00,
        Some(Tok::Sym("|=")) => 0x40,
        Some(Tok::Sym("&=")) => 0x50,
        Some(Tok::Sym("^=")) => 0xa0,
        _ => {
            return Err(ErrorKind::Syntax(
                "expected `+=`, `|=`, `&=` or `^=`".into(),
            ))
        }
    };
    let src = reg(c)?;
    c.end()?;
    b.push(&[RawInsn::new(
        op::STX | op::ATOMIC | size,
        dst,
        src.n,
        off,
        imm,
    )]);
    Ok(())
}

/// `if dst op src|imm goto target`.
fn cond_jump(b: &mut Builder, c: &mut Cur, line: usize) -> KResult<()> {
    let dst = reg(c)?;
    let bits = match c.next() {
        Some(Tok::Sym(s)) => cond_bits(s),
        _ => None,
    }
    .ok_or_else(|| ErrorKind::Syntax("expected a comparison operator".into()))?;
    let class = if dst.w32 { op::JMP32 } else { op::JMP };
    let slot = if is_reg_next(c) {
        let src = reg(c)?;
        same_width(dst, src)?;
        RawInsn::new(class | bits | op::X, dst.n, src.n, 0, 0)
    } else {
        RawInsn::new(class | bits, dst.n, 0, 0, imm32(&number(c)?)?)
    };
    if !c.eat_word("goto") {
        return Err(c.unexpected("`goto`"));
    }
    let t = target(c)?;
    c.end()?;
    b.push_jump(slot, &[], t, Field::Off, line)
}

/// `call 5`, `call -1`, `call pc+2`, `call LABEL`, `call name#5`,
/// `call kfunc 5[, off]`.
fn call(b: &mut Builder, c: &mut Cur, line: usize) -> KResult<()> {
    let code = op::JMP | op::CALL;
    if c.eat_word("pc") {
        let t = target(c)?;
        // Verifier log: `call pc+16#bpf_prog_5e1f_F` names the callee.
        if c.eat("#") {
            c.next();
        }
        c.end()?;
        let slot = RawInsn::new(code, 0, op::PSEUDO_CALL, 0, 0);
        return b.push_jump(slot, &[], t, Field::Imm, line);
    }
    if is_num_next(c) {
        let id = imm32(&number(c)?)?;
        c.end()?;
        b.push(&[RawInsn::new(code, 0, 0, 0, id)]);
        return Ok(());
    }
    let name = match c.next() {
        Some(Tok::Word(w)) => w,
        _ => return Err(c.unexpected("a helper id, `pc+N` or a label")),
    };
    if name == "kfunc" {
        let id = imm32(&number(c)?)?;
        let off = if c.eat(",") { off16(&number(c)?)? } else { 0 };
        c.end()?;
        b.push(&[RawInsn::new(code, 0, op::PSEUDO_KFUNC_CALL, off, id)]);
        return Ok(());
    }
    // Verifier log: `call bpf_map_lookup_elem#1`.
    if c.eat("#") {
        let id = imm32(&number(c)?)?;
        c.end()?;
        b.push(&[RawInsn::new(code, 0, 0, 0, id)]);
        return Ok(());
    }
    c.end()?;
    let slot = RawInsn::new(code, 0, op::PSEUDO_CALL, 0, 0);
    b.push_jump(slot, &[], Target::Label(name), Field::Imm, line)
}

/// `ld_pseudo rN, KIND, IMM[, IMM2]` (`BPF_LD | BPF_IMM | BPF_DW` with a
/// pseudo source). Kind 4 (`BPF_PSEUDO_FUNC`) takes a displacement or label.
fn ld_pseudo(b: &mut Builder, c: &mut Cur, line: usize) -> KResult<()> {
    let dst = reg(c)?;
    c.expect(",")?;
    let kind_text = number(c)?;
    let kind = match parse_int(&kind_text)? {
        k @ 1..=6 => k as u8,
        _ => {
            return Err(ErrorKind::Syntax(format!(
                "ld_pseudo kind `{kind_text}` is not 1..=6"
            )))
        }
    };
    c.expect(",")?;
    let lo = RawInsn::new(op::LD | op::IMM | op::DW, dst.n, kind, 0, 0);
    if kind == op::PSEUDO_FUNC {
        let t = if is_num_next(c) {
            target(c)?
        } else {
            match c.next() {
                Some(Tok::Word(w)) => Target::Label(w),
                _ => return Err(c.unexpected("a displacement or label")),
            }
        };
        c.end()?;
        return b.push_jump(lo, &[RawInsn::default()], t, Field::Imm, line);
    }
    let imm = imm32(&number(c)?)?;
    let hi = if c.eat(",") { imm32(&number(c)?)? } else { 0 };
    c.end()?;
    b.push(&[RawInsn { imm, ..lo }, RawInsn::new(0, 0, 0, 0, hi)]);
    Ok(())
}

/// Drops a trailing `<symbol+0x10>` annotation as llvm-objdump prints after
/// jump targets.
fn strip_annotation(s: &str) -> &str {
    let t = s.trim_end();
    if t.ends_with('>') {
        if let Some(i) = t.rfind('<') {
            let inner = &t[i + 1..t.len() - 1];
            if !inner.is_empty() && !inner.contains(char::is_whitespace) {
                return &t[..i];
            }
        }
    }
    t
}

/// Assembles a whole program in this syntax.
pub(crate) fn assemble(text: &str) -> Result<Vec<RawInsn>, Error> {
    let mut b = Builder::default();
    for (line, raw_line) in crate::vlog::in_slot_order(text)? {
        let code = strip_annotation(crate::strip_comment(raw_line));
        let toks = tokenize(code).map_err(|k| Error::new(line, k))?;
        let mut c = Cur::new(toks);
        let mut log_opcode = None;
        // Verifier log prefix `12: (bf) `; labels `name:`.
        loop {
            match (c.peek().cloned(), c.peek_at(1)) {
                (Some(Tok::Num(_)), Some(Tok::Sym(":"))) => {
                    c.next();
                    c.next();
                }
                (Some(Tok::Word(w)), Some(Tok::Sym(":"))) => {
                    c.next();
                    c.next();
                    b.label(&w, line)?;
                }
                (Some(Tok::Sym("(")), Some(Tok::Num(n) | Tok::Word(n)))
                    if n.len() == 2
                        && n.chars().all(|ch| ch.is_ascii_hexdigit())
                        && c.peek_at(2) == Some(&Tok::Sym(")"))
                        && c.peek_at(3).is_some() =>
                {
                    log_opcode = u8::from_str_radix(n, 16).ok();
                    c.next();
                    c.next();
                    c.next();
                }
                _ => break,
            }
        }
        if c.at_end() {
            continue;
        }
        // Assembler directives (`.text`, `.globl f`) carry no instruction.
        if matches!(c.peek(), Some(Tok::Word(w)) if w.starts_with('.')) {
            continue;
        }
        statement(&mut b, &mut c, line, log_opcode).map_err(|k| Error::new(line, k))?;
    }
    b.finish(false)
}

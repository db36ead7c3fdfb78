//! bpfbox-asm: text to raw eBPF instruction slots.
//!
//! Two syntaxes are understood:
//!
//! - [`Syntax::PseudoC`]: the pseudo-C that `llvm-objdump -d` prints and that
//!   clang's BPF assembler reads (`r0 = *(u32 *)(r1 + 0x4)`, `w1 += w2`,
//!   `if r1 > 0x5 goto +0x2`, `lock *(u64 *)(r10 - 0x8) += r1`,
//!   `r1 = 0x1234 ll`, `call 0x5`), plus the spellings of
//!   `bpfbox_isa::disasm` (`call pc+0x2`, `call kfunc 0x5`) and the common
//!   kernel verifier-log forms (`0: (bf) r6 = r1`, `goto pc+2`,
//!   `call bpf_map_lookup_elem#1`, `atomic64_fetch_add(...)`, `(18) r1 =
//!   0x5` for `lddw`; a log in the verifier's walk order, with repeated
//!   indices, is put back into slot order). Anything
//!   `bpfbox_isa::disasm::disasm` prints assembles back to the same slots.
//! - [`Syntax::Conformance`]: the bpf_conformance / uBPF assembler syntax
//!   (`mov32 %r0, 0`, `ldxw %r0, [%r1+4]`, `jne %r0, %r1, exit`).
//!
//! Input: program text (labels `name:`, comments `#`, `;` and `//`).
//! Output: `Vec<RawInsn>`, one entry per 8-byte slot (`lddw` gives two).
//! The assembler encodes what is written; whether the kernel would accept
//! the program is `bpfbox_isa::decode`'s (and the verifier's) business, so
//! for example a jump past the end assembles fine.
//!
//! Depends only on `bpfbox-isa`.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod conf;
mod error;
mod lex;
mod num;
mod prog;
mod pseudo;
mod vlog;

pub use bpfbox_isa::RawInsn;
pub use error::{Error, ErrorKind};

/// Which assembler syntax a text is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Syntax {
    /// llvm-objdump / clang / verifier-log pseudo-C.
    PseudoC,
    /// bpf_conformance / uBPF mnemonics with `%r` registers.
    Conformance,
}

/// Removes a trailing comment: `//`, `;`, or `#` at the start of the line or
/// after whitespace (so the verifier log's `call name#1` keeps its id).
pub(crate) fn strip_comment(line: &str) -> &str {
    let mut end = line.len();
    if let Some(i) = line.find("//") {
        end = end.min(i);
    }
    if let Some(i) = line.find(';') {
        end = end.min(i);
    }
    let bytes = line.as_bytes();
    for (i, &b) in bytes.iter().enumerate().take(end) {
        if b == b'#' && (i == 0 || bytes[i - 1].is_ascii_whitespace()) {
            end = i;
            break;
        }
    }
    &line[..end]
}

/// Guesses the syntax of `text`. The first line that only one syntax can
/// have decides: `%r` registers or a bpf_conformance mnemonic mean
/// [`Syntax::Conformance`]; an `=` or a pseudo-C keyword (`if`, `goto`,
/// `lock *`, ...) means [`Syntax::PseudoC`]. Lines both share (`exit`,
/// `call 5`, labels) do not decide; with nothing decisive the answer is
/// [`Syntax::PseudoC`].
pub fn detect_syntax(text: &str) -> Syntax {
    for line in text.lines() {
        let code = strip_comment(line).trim();
        // Drop a leading label.
        let code = match code.split_once(':') {
            Some((l, rest))
                if !l.is_empty()
                    && l.chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.') =>
            {
                rest.trim()
            }
            _ => code,
        };
        if code.is_empty() {
            continue;
        }
        if code.contains("%r") {
            return Syntax::Conformance;
        }
        if code.contains('=') {
            return Syntax::PseudoC;
        }
        let first = code.split_whitespace().next().unwrap_or("");
        match first {
            "exit" | "call" => continue,
            "if" | "goto" | "gotol" | "may_goto" | "callx" | "ld_pseudo" => return Syntax::PseudoC,
            "lock" if code[4..].trim_start().starts_with('*') => return Syntax::PseudoC,
            w if conf::is_mnemonic(w) => return Syntax::Conformance,
            _ => continue,
        }
    }
    Syntax::PseudoC
}

/// Assembles `text`, detecting its syntax with [`detect_syntax`].
pub fn assemble(text: &str) -> Result<Vec<RawInsn>, Error> {
    assemble_as(text, detect_syntax(text))
}

/// Assembles `text` written in `syntax`.
pub fn assemble_as(text: &str, syntax: Syntax) -> Result<Vec<RawInsn>, Error> {
    match syntax {
        Syntax::PseudoC => pseudo::assemble(text),
        Syntax::Conformance => conf::assemble(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments() {
        assert_eq!(strip_comment("exit # done"), "exit ");
        assert_eq!(strip_comment("# all"), "");
        assert_eq!(strip_comment("r0 = 1 ; R0=1"), "r0 = 1 ");
        assert_eq!(strip_comment("r0 = 1 // c"), "r0 = 1 ");
        assert_eq!(strip_comment("call bpf_trace#6"), "call bpf_trace#6");
    }

    #[test]
    fn detection() {
        assert_eq!(detect_syntax("mov32 %r0, 0\nexit"), Syntax::Conformance);
        assert_eq!(detect_syntax("# c\nexit\nja +1"), Syntax::Conformance);
        assert_eq!(
            detect_syntax("l:\n  lock add [%r1], %r2"),
            Syntax::Conformance
        );
        assert_eq!(detect_syntax("w0 = 0\nexit"), Syntax::PseudoC);
        assert_eq!(detect_syntax("call 5\ngoto +1\nexit"), Syntax::PseudoC);
        assert_eq!(
            detect_syntax("lock *(u64 *)(r1 + 0) += r2"),
            Syntax::PseudoC
        );
        assert_eq!(detect_syntax("exit"), Syntax::PseudoC);
    }

    #[test]
    fn both_syntaxes_agree() {
        let a = assemble("mov32 %r0, 1\nldxw %r1, [%r1-4]\njeq %r1, 5, +1\nexit\nexit").unwrap();
        let b = assemble("w0 = 1\nr1 = *(u32 *)(r1 - 0x4)\nif r1 == 0x5 goto +0x1\nexit\nexit")
            .unwrap();
        assert_eq!(a, b);
    }
}

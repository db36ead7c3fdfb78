//! The assembler's error type: which line, and why.

use std::fmt;

/// Why a line could not be assembled.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A register name that is not `r0`..`r10` (`%r0`..`%r10`).
    BadRegister(String),
    /// A mnemonic or statement form the syntax does not have.
    UnknownMnemonic(String),
    /// The mnemonic takes another number of operands.
    OperandCount {
        /// The mnemonic.
        mnemonic: String,
        /// How many it takes (the smallest accepted count).
        expected: usize,
        /// How many were given.
        found: usize,
    },
    /// An immediate that does not fit its field (32-bit: decimal
    /// -2^31..=2^31-1, hex up to 0xffffffff; 64-bit for `lddw`).
    ImmOutOfRange(String),
    /// A memory or jump offset that does not fit in 16 signed bits (or a
    /// 32-bit `gotol`/call displacement that does not fit in 32).
    OffsetOutOfRange(String),
    /// A jump or call to a label that is never defined.
    UnknownLabel(String),
    /// A label defined twice.
    DuplicateLabel(String),
    /// A memory operand that is not `[%rN]`, `[%rN+off]`, `[%rN-off]`
    /// (or `*(u32 *)(rN + off)` in pseudo-C).
    BadMemOperand(String),
    /// A number that cannot be parsed.
    BadNumber(String),
    /// Any other malformed statement; the text says what was expected.
    Syntax(String),
}

/// An assembly error: the 1-based source line and the cause.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct Error {
    line: usize,
    kind: ErrorKind,
}

impl Error {
    /// Builds an error for 1-based source line `line`.
    pub fn new(line: usize, kind: ErrorKind) -> Self {
        Error { line, kind }
    }

    /// The 1-based line number of the offending statement.
    pub fn line(&self) -> usize {
        self.line
    }

    /// What is wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: ", self.line)?;
        match &self.kind {
            ErrorKind::BadRegister(r) => write!(f, "invalid register `{r}`"),
            ErrorKind::UnknownMnemonic(m) => write!(f, "unknown mnemonic `{m}`"),
            ErrorKind::OperandCount {
                mnemonic,
                expected,
                found,
            } => write!(
                f,
                "`{mnemonic}` takes {expected} operand{}, found {found}",
                if *expected == 1 { "" } else { "s" }
            ),
            ErrorKind::ImmOutOfRange(v) => write!(f, "immediate `{v}` out of range"),
            ErrorKind::OffsetOutOfRange(v) => write!(f, "offset `{v}` out of range"),
            ErrorKind::UnknownLabel(l) => write!(f, "unknown label `{l}`"),
            ErrorKind::DuplicateLabel(l) => write!(f, "label `{l}` defined twice"),
            ErrorKind::BadMemOperand(m) => write!(f, "malformed memory operand `{m}`"),
            ErrorKind::BadNumber(n) => write!(f, "malformed number `{n}`"),
            ErrorKind::Syntax(s) => write!(f, "{s}"),
        }
    }
}

/// Shorthand used by the parsers: an error kind not yet tied to a line.
pub(crate) type KResult<T> = std::result::Result<T, ErrorKind>;

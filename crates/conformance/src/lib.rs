//! bpfbox-conformance: reads bpf_conformance `.data` test files and runs
//! them against an execution engine supplied by the caller.
//!
//! Input: a `.data` file (sections `-- asm`, `-- raw`, `-- mem`,
//! `-- result`, `-- error`, `-- no register offset`, `-- c`; `#` comments).
//! Output: a [`TestCase`] (program slots, memory, expected result) and, given
//! an engine closure, an [`Outcome`].
//!
//! The engine is `FnMut(&[RawInsn], &[u8]) -> Result<u64, String>`: it gets
//! the program and the `-- mem` bytes (r1 = their address, r2 = their
//! length at entry; no memory means r1 = r2 = 0), and returns r0 or a
//! refusal. This crate depends only on `bpfbox-isa` and `bpfbox-asm`, never
//! on an interpreter, so any engine (interpreter, JIT, kernel) can be
//! checked with it.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod parse;
mod run;

pub use bpfbox_isa::RawInsn;
pub use parse::{is_negative_path, load, parse};
pub use run::{run_case, run_dir, run_file, static_refusal, Engine, Outcome};

use std::fmt;

/// One parsed test file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestCase {
    /// File stem (empty when parsed from text).
    pub name: String,
    /// The `-- asm` text, if any.
    pub asm: Option<String>,
    /// The program slots: `-- raw` when present (it must then equal the
    /// assembled `-- asm`), else the assembled `-- asm`.
    pub program: Vec<RawInsn>,
    /// The `-- mem` bytes (empty without that section).
    pub mem: Vec<u8>,
    /// The expected r0 from `-- result`.
    pub result: Option<u64>,
    /// The file has `-- error`: the program must be refused.
    pub expect_error: bool,
    /// Text after `-- error` (the reference runner's message; informative).
    pub error_text: Option<String>,
    /// Text of a `-- no register offset` note, if present.
    pub no_register_offset: Option<String>,
    /// The `-- c` source, if present (documentation only).
    pub c_source: Option<String>,
    /// The file is one of the suite's negative tests (its directory is named
    /// `negative`): it must be refused even without `-- error`.
    pub negative: bool,
}

impl TestCase {
    /// Whether a correct runtime must refuse this program.
    pub fn must_refuse(&self) -> bool {
        self.negative || self.expect_error
    }
}

/// Why a file could not be read as a test case.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Reading the file failed.
    Io(String),
    /// A `-- NAME` header that is not one of the known sections.
    UnknownDirective(String),
    /// The same section appears twice.
    DuplicateSection(String),
    /// Non-comment text before the first section.
    TextOutsideSection,
    /// Neither `-- asm` nor `-- raw`.
    NoProgram,
    /// The `-- asm` program does not assemble.
    Asm(bpfbox_asm::Error),
    /// A malformed `-- raw` section.
    BadRaw(String),
    /// `-- raw` and `-- asm` are both present and differ.
    AsmRawMismatch,
    /// A malformed `-- mem` token.
    BadMem(String),
    /// A malformed `-- result`.
    BadResult(String),
}

/// A parse error: where (1-based line, when known) and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct Error {
    /// Line in the file, when the error has one.
    pub line: Option<usize>,
    /// What is wrong.
    pub kind: ErrorKind,
}

impl Error {
    /// What is wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(l) = self.line {
            write!(f, "line {l}: ")?;
        }
        match &self.kind {
            ErrorKind::Io(e) => write!(f, "{e}"),
            ErrorKind::UnknownDirective(d) => write!(f, "unknown directive `-- {d}`"),
            ErrorKind::DuplicateSection(d) => write!(f, "section `-- {d}` appears twice"),
            ErrorKind::TextOutsideSection => write!(f, "text before the first `-- ` section"),
            ErrorKind::NoProgram => write!(f, "no `-- asm` or `-- raw` program"),
            // The assembler's message carries its own line prefix.
            ErrorKind::Asm(e) => write!(f, "assembly: {}", e.kind_message()),
            ErrorKind::BadRaw(m) => write!(f, "malformed `-- raw`: {m}"),
            ErrorKind::AsmRawMismatch => write!(f, "`-- raw` differs from the assembled `-- asm`"),
            ErrorKind::BadMem(t) => write!(f, "malformed `-- mem` byte `{t}`"),
            ErrorKind::BadResult(t) => write!(f, "malformed `-- result` `{t}`"),
        }
    }
}

/// The assembler error's message without its `line N: ` prefix.
trait KindMessage {
    fn kind_message(&self) -> String;
}

impl KindMessage for bpfbox_asm::Error {
    fn kind_message(&self) -> String {
        let s = self.to_string();
        match s.split_once(": ") {
            Some((pfx, rest)) if pfx.starts_with("line ") => rest.to_string(),
            _ => s,
        }
    }
}

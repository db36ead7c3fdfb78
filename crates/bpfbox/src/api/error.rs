//! The library's error type: what went wrong, as a value to match on, with
//! the cause kept as a source.

use std::path::PathBuf;

use crate::engine::{Cause, RunError, RunErrorKind};

/// Which verifier refused a program.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verifier {
    /// bpfbox's, for the kernel profile chosen (it runs before either
    /// engine loads the program).
    Bpfbox,
    /// The running kernel's (`BPF_PROG_LOAD` on the kernel engine).
    Kernel,
}

/// Why a library call failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The object file cannot be read or is not a BPF object bpfbox loads.
    #[error("{source}")]
    Object {
        /// The file.
        path: PathBuf,
        /// The loader's error.
        #[source]
        source: Box<bpfbox_object::Error>,
    },
    /// The setup cannot be applied to the object.
    #[error("{0}")]
    Setup(#[source] Box<crate::setup::SetupError>),
    /// The object has no program of that name.
    #[error("{}: no program `{name}` (programs: {have})", path.display())]
    NoProgram {
        /// The name asked for.
        name: String,
        /// The object file.
        path: PathBuf,
        /// The programs it has.
        have: String,
    },
    /// The program is of another type than the one asked for.
    #[error("program `{program}` is {actual}, not {wanted}")]
    WrongType {
        /// The program.
        program: String,
        /// Its type.
        actual: String,
        /// The type asked for.
        wanted: &'static str,
    },
    /// A verifier refused the program: bpfbox's (as the kernel would, for
    /// the kernel profile chosen) or, on the kernel engine, the kernel's
    /// (`BPF_PROG_LOAD` failing with a verifier log).
    #[error("verifier refused `{program}`: {message}")]
    VerifierRefused {
        /// The program.
        program: String,
        /// Whose verifier refused it.
        verifier: Verifier,
        /// The first diagnostic, with its source line.
        message: String,
        /// The whole log: the kernel's verifier log, or bpfbox's
        /// diagnostics one per line.
        log: String,
        /// The underlying error (the kernel's `bpf()` error).
        #[source]
        cause: Option<Cause>,
    },
    /// The engine could not load the program for another reason (a map
    /// the kernel refuses, an instruction that does not decode, ...).
    #[error("loading `{program}`: {message}")]
    Load {
        /// The program.
        program: String,
        /// Why.
        message: String,
        /// The underlying error, when there is one.
        #[source]
        cause: Option<Cause>,
    },
    /// `bpf()` cannot be used here (the kernel engine needs root or
    /// `CAP_BPF`).
    #[error("the kernel engine is unavailable: {reason}")]
    KernelUnavailable {
        /// Why.
        reason: String,
    },
    /// The input of a run does not fit the program's type: a packet or
    /// context the kernel's `BPF_PROG_TEST_RUN` refuses (EINVAL: too short,
    /// wrong EtherType, non-zero bytes past the context), or an event of
    /// the wrong shape.
    #[error("running `{program}`: bad {what}: {message}")]
    BadInput {
        /// The program.
        program: String,
        /// What was bad: `packet or context`, `event`.
        what: &'static str,
        /// The errno the kernel gives, when it is one.
        errno: Option<i32>,
        /// Why, one line.
        message: String,
        /// The underlying error.
        #[source]
        cause: Option<Cause>,
    },
    /// A run failed otherwise (a trap, an errno of the kernel's).
    #[error("running `{program}`: {message}")]
    Run {
        /// The program.
        program: String,
        /// The errno the kernel would give, when it is one.
        errno: Option<i32>,
        /// Why.
        message: String,
        /// The underlying error, when there is one.
        #[source]
        cause: Option<Cause>,
    },
    /// The program calls a helper (kernel id `id`) its type may use but
    /// bpfbox does not implement (at load, or when reached if it loads).
    #[error("{message}")]
    UnsupportedHelper {
        /// The program.
        program: String,
        /// The helper's id (`BPF_FUNC_*`).
        id: u32,
        /// The whole line, as [`Error::Load`] or [`Error::Run`] would say it.
        message: String,
    },
    /// The object has no map of that name.
    #[error("no map `{0}`")]
    NoMap(String),
    /// A map is used with key or value types of the wrong size, or as the
    /// wrong kind of map.
    #[error("map `{map}`: {message}")]
    MapType {
        /// The map.
        map: String,
        /// What does not match.
        message: String,
    },
    /// A map operation failed.
    #[error("map `{map}`: {message}")]
    Map {
        /// The map.
        map: String,
        /// The errno, when the failure is one.
        errno: Option<i32>,
        /// Why.
        message: String,
    },
}

impl Error {
    /// A load failure of `program`, as a value; `verifier` is the one that
    /// ran if it is a refusal.
    pub(crate) fn load(program: &str, verifier: Verifier, e: RunError) -> Error {
        let program = program.to_string();
        match e.kind {
            RunErrorKind::UnsupportedHelper(id) => Error::UnsupportedHelper {
                message: format!("loading `{program}`: {}", e.message),
                program,
                id,
            },
            RunErrorKind::VerifierRefused => Error::VerifierRefused {
                program,
                verifier,
                log: e.log.unwrap_or_else(|| e.message.clone()),
                message: e.message,
                cause: e.cause,
            },
            RunErrorKind::KernelUnavailable => Error::KernelUnavailable { reason: e.message },
            _ => Error::Load {
                program,
                message: e.message,
                cause: e.cause,
            },
        }
    }

    /// A failure of `program` running on `what` (`packet or context`,
    /// `event`), as a value.
    pub(crate) fn run(program: &str, what: &'static str, e: RunError) -> Error {
        let program = program.to_string();
        match e.kind {
            RunErrorKind::UnsupportedHelper(id) => Error::UnsupportedHelper {
                message: format!("running `{program}`: {}", e.message),
                program,
                id,
            },
            RunErrorKind::BadInput => Error::BadInput {
                program,
                what,
                errno: e.errno,
                message: e.message,
                cause: e.cause,
            },
            RunErrorKind::KernelUnavailable => Error::KernelUnavailable { reason: e.message },
            _ => Error::Run {
                program,
                errno: e.errno,
                message: e.message,
                cause: e.cause,
            },
        }
    }
}

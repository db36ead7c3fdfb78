//! The library's error type: what went wrong, as a value to match on, with
//! the cause kept as a source.

use std::path::PathBuf;

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
    /// bpfbox's verifier refused the program (as the kernel would).
    #[error("verifier refused `{program}`: {message}")]
    Refused {
        /// The program.
        program: String,
        /// The first diagnostic, with its source line.
        message: String,
    },
    /// The engine could not load the program (for the kernel engine: the
    /// kernel's refusal with its verifier log's cause).
    #[error("loading `{program}`: {message}")]
    Load {
        /// The program.
        program: String,
        /// Why.
        message: String,
    },
    /// `bpf()` cannot be used here (the kernel engine needs root or
    /// `CAP_BPF`).
    #[error("the kernel engine is unavailable: {reason}")]
    KernelUnavailable {
        /// Why.
        reason: String,
    },
    /// A run failed (bad packet or context size, a helper the type lacks,
    /// a trap).
    #[error("running `{program}`: {message}")]
    Run {
        /// The program.
        program: String,
        /// The errno the kernel would give, when it is one.
        errno: Option<i32>,
        /// Why.
        message: String,
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
    /// A load failure of `program`, as a value.
    pub(crate) fn load(program: &str, e: crate::engine::RunError) -> Error {
        match e.kind {
            crate::engine::RunErrorKind::UnsupportedHelper(id) => Error::UnsupportedHelper {
                program: program.to_string(),
                id,
                message: format!("loading `{program}`: {}", e.message),
            },
            _ => Error::Load {
                program: program.to_string(),
                message: e.message,
            },
        }
    }

    /// A run failure of `program`, as a value.
    pub(crate) fn run(program: &str, e: crate::engine::RunError) -> Error {
        match e.kind {
            crate::engine::RunErrorKind::UnsupportedHelper(id) => Error::UnsupportedHelper {
                program: program.to_string(),
                id,
                message: format!("running `{program}`: {}", e.message),
            },
            _ => Error::Run {
                program: program.to_string(),
                errno: e.errno,
                message: e.message,
            },
        }
    }
}

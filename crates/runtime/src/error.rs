//! The crate's error type: one enum, the cause kept as a source where
//! there is one.

use bpfbox_isa::DecodeError;
use bpfbox_maps::MapError;

/// A load-time error of the runtime.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Malformed program or arguments (no program of that name, a
    /// reference to a map the object lacks, ...).
    #[error("{0}")]
    Invalid(String),
    /// The instructions do not decode or break the instruction set's
    /// rules.
    #[error("{}invalid program: {source}", program.as_deref().map(|p| format!("{p}: ")).unwrap_or_default())]
    InvalidProgram {
        /// The program, when known.
        program: Option<String>,
        /// The decoder's or validator's error.
        #[source]
        source: DecodeError,
    },
    /// A map of the object cannot be created or filled.
    #[error("map {map}: {step}{source}")]
    Map {
        /// The map's name.
        map: String,
        /// What was being done (`""`, `"initial data: "`, `"slot 3: "`).
        step: String,
        /// The map's error.
        #[source]
        source: MapError,
    },
    /// The program calls a helper its type may not use (the kernel's
    /// verifier rejects it at load).
    #[error("{message}")]
    HelperNotAllowed {
        /// The refused call's instruction index (None: the whole program).
        insn: Option<usize>,
        /// The kernel's wording.
        message: String,
    },
    /// The program calls a helper of Linux 6.18 that its type may use but
    /// bpfbox does not implement.
    #[error("{message}")]
    UnsupportedHelper {
        /// The helper's id (`BPF_FUNC_*`).
        id: u32,
        /// One line naming it.
        message: String,
    },
    /// A feature bpfbox does not implement.
    #[error("{0}")]
    Unsupported(String),
}

impl Error {
    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        Error::Invalid(message.into())
    }

    pub(crate) fn unsupported(message: impl Into<String>) -> Self {
        Error::Unsupported(message.into())
    }

    /// An instruction stream that does not decode or validate.
    pub(crate) fn program(program: Option<&str>, source: DecodeError) -> Self {
        Error::InvalidProgram {
            program: program.map(str::to_string),
            source,
        }
    }

    /// A map step that failed.
    pub(crate) fn map(map: &str, step: impl Into<String>, source: MapError) -> Self {
        Error::Map {
            map: map.to_string(),
            step: step.into(),
            source,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::error::Error as _;

    #[test]
    fn causes_are_sources_and_lines_read_as_before() {
        let slots = [bpfbox_isa::RawInsn::new(0xff, 0, 0, 0, 0)];
        let decode = bpfbox_isa::decode(&slots).unwrap_err();
        let e = Error::program(Some("prog"), decode.clone());
        assert_eq!(e.to_string(), format!("prog: invalid program: {decode}"));
        assert_eq!(e.source().unwrap().to_string(), decode.to_string());
        let e = Error::program(None, decode.clone());
        assert_eq!(e.to_string(), format!("invalid program: {decode}"));
    }
}

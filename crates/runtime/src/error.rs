//! The crate's error type.

/// What kind of failure an [`Error`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Malformed program or arguments.
    Invalid,
    /// The program calls a helper its type may not use (the kernel's
    /// verifier rejects it at load).
    HelperNotAllowed,
    /// A feature bpfbox does not implement.
    Unsupported,
    /// The program calls a helper of Linux 6.18 (this id) that its type
    /// may use but bpfbox does not implement.
    UnsupportedHelper(u32),
}

/// A load-time error of the runtime.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct Error {
    kind: ErrorKind,
    message: String,
}

impl Error {
    /// The kind.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        Error {
            kind: ErrorKind::Invalid,
            message: message.into(),
        }
    }

    pub(crate) fn helper_not_allowed(message: impl Into<String>) -> Self {
        Error {
            kind: ErrorKind::HelperNotAllowed,
            message: message.into(),
        }
    }

    pub(crate) fn unsupported_helper(id: u32, message: impl Into<String>) -> Self {
        Error {
            kind: ErrorKind::UnsupportedHelper(id),
            message: message.into(),
        }
    }

    pub(crate) fn unsupported(message: impl Into<String>) -> Self {
        Error {
            kind: ErrorKind::Unsupported,
            message: message.into(),
        }
    }
}

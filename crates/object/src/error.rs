//! The crate's one error type.

use std::path::PathBuf;

/// What went wrong while loading an object, coarsely.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The file could not be read.
    Io,
    /// Not a well-formed ELF file, or not a little-endian eBPF ELF.
    Elf,
    /// The `.BTF` or `.BTF.ext` section is malformed.
    Btf,
    /// A section cannot be understood (for example code in a section whose
    /// name is not a known `SEC()` name, or a malformed `license`).
    Section,
    /// A relocation is of an unknown type or points somewhere it must not.
    Relocation,
    /// A map definition is malformed or uses an unknown map type.
    Map,
    /// The object uses a feature this loader does not implement yet
    /// (externs/kfuncs, arena, struct_ops, ...).
    Unsupported,
}

/// An error from [`crate::load`] or [`crate::load_file`]. `Display` prints
/// one line: the file (when known) and the cause.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{}{}", .file.as_ref().map(|p| format!("{}: ", p.display())).unwrap_or_default(), .msg)]
pub struct Error {
    kind: ErrorKind,
    msg: String,
    file: Option<PathBuf>,
}

impl Error {
    pub(crate) fn new(kind: ErrorKind, msg: impl Into<String>) -> Self {
        Error {
            kind,
            msg: msg.into(),
            file: None,
        }
    }

    pub(crate) fn with_file(mut self, file: PathBuf) -> Self {
        self.file = Some(file);
        self
    }

    /// The coarse category of the failure.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The cause, without the file name.
    pub fn message(&self) -> &str {
        &self.msg
    }

    /// The file being loaded, when the error came from [`crate::load_file`].
    pub fn file(&self) -> Option<&std::path::Path> {
        self.file.as_deref()
    }
}

/// Shorthand constructors used across the crate.
pub(crate) fn err<T>(kind: ErrorKind, msg: impl Into<String>) -> Result<T, Error> {
    Err(Error::new(kind, msg))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_file_and_cause_on_one_line() {
        let e = Error::new(ErrorKind::Elf, "not an ELF file").with_file("/tmp/x.o".into());
        assert_eq!(e.to_string(), "/tmp/x.o: not an ELF file");
        assert_eq!(e.kind(), ErrorKind::Elf);
        assert!(!e.to_string().contains('\n'));
    }
}

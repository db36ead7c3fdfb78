//! The crate's error type: a kernel errno plus a human-readable reason.

use std::fmt;

/// Kernel errno values (positive, as in `errno.h`; from bpfbox-uapi).
pub use bpfbox_uapi::errno;

/// Coarse classification of a [`MapError`], derived from its errno.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// `EINVAL`.
    InvalidArgument,
    /// `ENOENT`.
    NotFound,
    /// `EEXIST`.
    Exists,
    /// `E2BIG`.
    TooBig,
    /// `ENOSPC` or `EAGAIN` (no room left).
    NoSpace,
    /// `ENOMEM`.
    NoMemory,
    /// `ENOTSUPP` / `EOPNOTSUPP`.
    NotSupported,
    /// `EPERM`.
    PermissionDenied,
    /// `EBUSY`.
    Busy,
    /// `EBADF`.
    BadFd,
    /// Anything else.
    Other,
}

/// Error of a syscall-side map operation: the errno the kernel's `bpf()` would
/// return (positive) plus a message saying why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct MapError {
    errno: i32,
    message: String,
}

impl MapError {
    /// Build an error from a positive errno and a reason.
    pub fn new(errno: i32, message: impl Into<String>) -> Self {
        MapError {
            errno,
            message: message.into(),
        }
    }

    /// The positive errno (`22` for `EINVAL`).
    pub fn errno(&self) -> i32 {
        self.errno
    }

    /// The value a helper would return for this error: `-errno`.
    pub fn neg(&self) -> i64 {
        -i64::from(self.errno)
    }

    /// The reason, without the errno name.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Classification of the errno.
    pub fn kind(&self) -> ErrorKind {
        use errno::*;
        match self.errno {
            EINVAL => ErrorKind::InvalidArgument,
            ENOENT => ErrorKind::NotFound,
            EEXIST => ErrorKind::Exists,
            E2BIG => ErrorKind::TooBig,
            ENOSPC | EAGAIN => ErrorKind::NoSpace,
            ENOMEM => ErrorKind::NoMemory,
            ENOTSUPP | EOPNOTSUPP => ErrorKind::NotSupported,
            EPERM => ErrorKind::PermissionDenied,
            EBUSY => ErrorKind::Busy,
            EBADF => ErrorKind::BadFd,
            _ => ErrorKind::Other,
        }
    }
}

/// Symbolic name of an errno, for messages.
pub fn errno_name(e: i32) -> &'static str {
    use errno::*;
    match e {
        EPERM => "EPERM",
        ENOENT => "ENOENT",
        EAGAIN => "EAGAIN",
        EBADF => "EBADF",
        ENOMEM => "ENOMEM",
        EBUSY => "EBUSY",
        EEXIST => "EEXIST",
        EINVAL => "EINVAL",
        E2BIG => "E2BIG",
        ENOSPC => "ENOSPC",
        EOPNOTSUPP => "EOPNOTSUPP",
        ENODEV => "ENODEV",
        EOVERFLOW => "EOVERFLOW",
        ENOTSUPP => "ENOTSUPP",
        _ => "E?",
    }
}

impl fmt::Display for MapError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.message, errno_name(self.errno))
    }
}

/// Shorthand constructor used throughout the crate.
pub(crate) fn err(errno: i32, message: impl Into<String>) -> MapError {
    MapError::new(errno, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kind_and_display() {
        let e = MapError::new(errno::E2BIG, "map is full");
        assert_eq!(e.kind(), ErrorKind::TooBig);
        assert_eq!(e.neg(), -7);
        assert_eq!(e.to_string(), "map is full (E2BIG)");
        assert_eq!(MapError::new(524, "x").kind(), ErrorKind::NotSupported);
    }
}

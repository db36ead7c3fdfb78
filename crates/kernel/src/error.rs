//! Errors: the kernel's errno values by name, the crate's opaque [`Error`]
//! and the [`Unavailable`] reason.

use std::fmt;

/// An errno value returned by `bpf(2)`, with the kernel's name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Errno(pub i32);

/// The kernel-internal `ENOTSUPP` (include/linux/errno.h), which leaks to
/// user space from `BPF_PROG_TEST_RUN` for types without a test runner.
pub use bpfbox_uapi::errno::ENOTSUPP;

impl Errno {
    /// The calling thread's current `errno`.
    pub(crate) fn last() -> Errno {
        Errno(std::io::Error::last_os_error().raw_os_error().unwrap_or(0))
    }

    /// The raw number.
    pub fn raw(self) -> i32 {
        self.0
    }

    /// The symbolic name (`"EINVAL"`), or `None` for a number this crate
    /// does not name.
    pub fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            libc::EPERM => "EPERM",
            libc::ENOENT => "ENOENT",
            libc::ESRCH => "ESRCH",
            libc::EINTR => "EINTR",
            libc::EIO => "EIO",
            libc::ENXIO => "ENXIO",
            libc::E2BIG => "E2BIG",
            libc::EBADF => "EBADF",
            libc::EAGAIN => "EAGAIN",
            libc::ENOMEM => "ENOMEM",
            libc::EACCES => "EACCES",
            libc::EFAULT => "EFAULT",
            libc::EBUSY => "EBUSY",
            libc::EEXIST => "EEXIST",
            libc::ENODEV => "ENODEV",
            libc::EINVAL => "EINVAL",
            libc::ENFILE => "ENFILE",
            libc::EMFILE => "EMFILE",
            libc::ENOSPC => "ENOSPC",
            libc::ERANGE => "ERANGE",
            libc::ENOSYS => "ENOSYS",
            libc::ELOOP => "ELOOP",
            libc::ENOTSUP => "EOPNOTSUPP",
            libc::EPROTO => "EPROTO",
            libc::EOVERFLOW => "EOVERFLOW",
            libc::EAFNOSUPPORT => "EAFNOSUPPORT",
            libc::ENOBUFS => "ENOBUFS",
            libc::ETIMEDOUT => "ETIMEDOUT",
            libc::ECANCELED => "ECANCELED",
            ENOTSUPP => "ENOTSUPP",
            _ => return None,
        })
    }
}

impl fmt::Display for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(n) => write!(f, "{n} ({})", self.0),
            None => write!(f, "errno {}", self.0),
        }
    }
}

/// What went wrong, for matching.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// `bpf()` cannot be used by this process (see [`crate::availability`]).
    Unavailable,
    /// `BPF_PROG_LOAD` failed; [`Error::log`] holds the verifier log.
    Rejected,
    /// `BPF_BTF_LOAD` failed; [`Error::log`] holds the BTF verifier log.
    BtfRejected,
    /// Any other `bpf()` command failed with [`Error::errno`].
    Syscall,
    /// The arguments cannot be passed to the kernel (wrong key or value
    /// length, a NUL in the license, an instruction that does not encode).
    InvalidInput,
    /// Reading a file under /sys failed or it could not be parsed.
    Io,
}

/// The error of every fallible operation in this crate.
#[derive(Debug, Clone, thiserror::Error)]
pub struct Error {
    kind: ErrorKind,
    op: &'static str,
    errno: Option<Errno>,
    log: Option<String>,
    detail: Option<String>,
}

impl Error {
    pub(crate) fn sys(op: &'static str, errno: Errno) -> Error {
        Error {
            kind: ErrorKind::Syscall,
            op,
            errno: Some(errno),
            log: None,
            detail: None,
        }
    }

    pub(crate) fn rejected(kind: ErrorKind, op: &'static str, errno: Errno, log: String) -> Error {
        Error {
            kind,
            op,
            errno: Some(errno),
            log: Some(log),
            detail: None,
        }
    }

    pub(crate) fn invalid(op: &'static str, detail: impl Into<String>) -> Error {
        Error {
            kind: ErrorKind::InvalidInput,
            op,
            errno: None,
            log: None,
            detail: Some(detail.into()),
        }
    }

    pub(crate) fn io(op: &'static str, detail: impl Into<String>) -> Error {
        Error {
            kind: ErrorKind::Io,
            op,
            errno: None,
            log: None,
            detail: Some(detail.into()),
        }
    }

    pub(crate) fn unavailable(u: &Unavailable) -> Error {
        Error {
            kind: ErrorKind::Unavailable,
            op: "bpf",
            errno: u.errno,
            log: None,
            detail: Some(u.reason.clone()),
        }
    }

    /// What went wrong.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The `bpf()` command or operation that failed (`"BPF_PROG_LOAD"`).
    pub fn op(&self) -> &'static str {
        self.op
    }

    /// The errno the kernel returned, if the error came from the kernel.
    pub fn errno(&self) -> Option<Errno> {
        self.errno
    }

    /// The verifier (or BTF verifier) log for [`ErrorKind::Rejected`] and
    /// [`ErrorKind::BtfRejected`]; may be empty when the kernel wrote none
    /// (for example EPERM before verification).
    pub fn log(&self) -> Option<&str> {
        self.log.as_deref()
    }
}

/// The line of a verifier log that says why the program was refused: the
/// last non-empty line that is not one of the trailers the kernel prints
/// after the reason (`processed N insns`, `verification time`, `stack
/// depth`, the `cur state:`/`old state:` dumps after `infinite loop
/// detected`, register-state-only lines).
pub(crate) fn log_summary(log: &str) -> Option<&str> {
    let mut lines = log.lines().rev().map(str::trim).filter(|l| !l.is_empty());
    let last = lines.next()?;
    Some(
        std::iter::once(last)
            .chain(lines)
            .find(|l| !is_trailer(l))
            .unwrap_or(last),
    )
}

/// A verifier log line that follows the reason rather than giving it.
fn is_trailer(line: &str) -> bool {
    const PREFIXES: [&str; 5] = [
        "processed ",
        "verification time",
        "stack depth",
        "cur state:",
        "old state:",
    ];
    PREFIXES.iter().any(|p| line.starts_with(p)) || is_state_dump(line)
}

/// `R0=0 R1=ctx() R10=fp0` or `5: R1_w=scalar() fp-8=mmmm`: only
/// register and stack slot states.
fn is_state_dump(line: &str) -> bool {
    let body = match line.split_once(": ") {
        Some((n, rest)) if n.chars().all(|c| c.is_ascii_digit()) => rest,
        _ => line,
    };
    let mut tokens = body.split_whitespace().peekable();
    tokens.peek().is_some()
        && tokens.all(|t| {
            (t.starts_with('R') || t.starts_with("fp") || t.starts_with("frame"))
                && (t.contains('=') || t.ends_with(':'))
        })
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.op)?;
        if let Some(e) = self.errno {
            write!(f, ": {e}")?;
        }
        if let Some(d) = &self.detail {
            write!(f, ": {d}")?;
        }
        if let Some(s) = self.log.as_deref().and_then(log_summary) {
            write!(f, ": {s}")?;
        }
        Ok(())
    }
}

/// Why the kernel engine cannot be used in this process.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct Unavailable {
    /// One-line reason, e.g. "bpf() not permitted (EPERM): needs root or
    /// CAP_BPF".
    pub reason: String,
    /// The errno of the probe load, when it reached the kernel.
    pub errno: Option<Errno>,
}

#[cfg(test)]
mod tests {
    #[test]
    fn log_summary_skips_what_follows_the_reason() {
        let log = "0: R1=ctx() R10=fp0\n0: (b7) r0 = 0 ; R0_w=0\n\
                   2: (15) if r1 == 0x0 goto pc-1\ninfinite loop detected at insn 2\n\
                   cur state: R0=0 R1=P0 R10=fp0\nold state: R0=0 R1=P0 R10=fp0\n\
                   verification time 30 usec\nstack depth 0\n\
                   processed 3 insns (limit 1000000) max_states_per_insn 0\n";
        assert_eq!(
            super::log_summary(log),
            Some("infinite loop detected at insn 2")
        );
        assert_eq!(
            super::log_summary("R5 !read_ok\nprocessed 1 insns\n"),
            Some("R5 !read_ok")
        );
        assert_eq!(
            super::log_summary("3: R1=ctx() R2_w=0\n"),
            Some("3: R1=ctx() R2_w=0")
        );
        assert_eq!(super::log_summary(""), None);
    }

    use super::*;

    #[test]
    fn errno_names() {
        assert_eq!(Errno(libc::EINVAL).to_string(), "EINVAL (22)");
        assert_eq!(Errno(ENOTSUPP).name(), Some("ENOTSUPP"));
        assert_eq!(Errno(9999).to_string(), "errno 9999");
    }

    #[test]
    fn summary_skips_statistics() {
        let log = "0: (bf) r0 = r2\nR2 !read_ok\nprocessed 1 insns (limit 1000000)\n";
        assert_eq!(log_summary(log), Some("R2 !read_ok"));
        let e = Error::rejected(
            ErrorKind::Rejected,
            "BPF_PROG_LOAD",
            Errno(libc::EACCES),
            log.into(),
        );
        assert_eq!(e.to_string(), "BPF_PROG_LOAD: EACCES (13): R2 !read_ok");
        assert_eq!(log_summary(""), None);
    }
}

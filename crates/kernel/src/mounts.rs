//! The pseudo file systems the kernel engine needs: tracefs (trace_printk
//! output, tracepoint ids and formats), bpffs (pinning) and cgroup v2
//! (cgroup attachments).
//!
//! A fresh machine may have none of them mounted. Each function finds the
//! file system in `/proc/self/mounts`; when it is missing and this process
//! may mount (root), it mounts it at the conventional place and says so on
//! stderr, once per process; otherwise it fails with one line naming what
//! is missing and the command that provides it.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use crate::error::Error;

/// Where tracefs is mounted, mounting it at `/sys/kernel/tracing` when it
/// is not mounted anywhere.
pub fn tracefs() -> Result<PathBuf, Error> {
    static DONE: OnceLock<Result<PathBuf, Error>> = OnceLock::new();
    DONE.get_or_init(|| {
        ensure(Fs {
            fstype: "tracefs",
            what: "tracefs",
            preferred: &["/sys/kernel/tracing", "/sys/kernel/debug/tracing"],
            target: "/sys/kernel/tracing",
        })
    })
    .clone()
}

/// Where bpffs is mounted, mounting it at `/sys/fs/bpf` when it is not
/// mounted anywhere.
pub fn bpffs() -> Result<PathBuf, Error> {
    static DONE: OnceLock<Result<PathBuf, Error>> = OnceLock::new();
    DONE.get_or_init(|| {
        ensure(Fs {
            fstype: "bpf",
            what: "bpffs",
            preferred: &["/sys/fs/bpf"],
            target: "/sys/fs/bpf",
        })
    })
    .clone()
}

/// Where the cgroup v2 hierarchy is mounted, mounting it when it is not:
/// at `/sys/fs/cgroup/unified` when `/sys/fs/cgroup` holds v1 controllers
/// (a tmpfs), else at `/sys/fs/cgroup`.
pub fn cgroup2() -> Result<PathBuf, Error> {
    static DONE: OnceLock<Result<PathBuf, Error>> = OnceLock::new();
    DONE.get_or_init(|| {
        let v1_tmpfs = mounted("tmpfs")
            .iter()
            .any(|p| p == Path::new("/sys/fs/cgroup"));
        let target = if v1_tmpfs {
            "/sys/fs/cgroup/unified"
        } else {
            "/sys/fs/cgroup"
        };
        ensure(Fs {
            fstype: "cgroup2",
            what: "cgroup v2",
            preferred: &["/sys/fs/cgroup/unified", "/sys/fs/cgroup"],
            target,
        })
    })
    .clone()
}

/// A file system to find or mount.
struct Fs {
    fstype: &'static str,
    what: &'static str,
    /// Mount points preferred when it is mounted in several places.
    preferred: &'static [&'static str],
    /// Where to mount it when it is missing.
    target: &'static str,
}

/// Mount points of file systems of type `fstype`, in `/proc/self/mounts`
/// order.
pub(crate) fn mounted(fstype: &str) -> Vec<PathBuf> {
    let Ok(mounts) = std::fs::read_to_string("/proc/self/mounts") else {
        return Vec::new();
    };
    mounts
        .lines()
        .filter_map(|l| {
            let mut f = l.split_whitespace();
            let (_, dir, ty) = (f.next()?, f.next()?, f.next()?);
            (ty == fstype).then(|| PathBuf::from(unescape(dir)))
        })
        .collect()
}

/// `/proc/self/mounts` escapes spaces, tabs, newlines and backslashes as
/// octal.
fn unescape(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && i + 3 < b.len() && b[i + 1..i + 4].iter().all(u8::is_ascii_digit) {
            let v = (b[i + 1] - b'0') as u32 * 64
                + (b[i + 2] - b'0') as u32 * 8
                + (b[i + 3] - b'0') as u32;
            out.push(v as u8);
            i += 4;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn find(fs: &Fs) -> Option<PathBuf> {
    let found = mounted(fs.fstype);
    fs.preferred
        .iter()
        .map(Path::new)
        .find(|p| found.iter().any(|f| f == p))
        .map(Path::to_path_buf)
        .or_else(|| found.into_iter().next())
}

fn ensure(fs: Fs) -> Result<PathBuf, Error> {
    // One mount attempt at a time: two threads must not both mount.
    static LOCK: Mutex<()> = Mutex::new(());
    let _guard = LOCK.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(p) = find(&fs) {
        return Ok(p);
    }
    let how = format!(
        "{} is not mounted; as root run: mkdir -p {t} && mount -t {} none {t}",
        fs.what,
        fs.fstype,
        t = fs.target
    );
    if let Err(e) = std::fs::create_dir_all(fs.target) {
        return Err(Error::io(
            "mount",
            format!("{how} (mkdir {}: {e})", fs.target),
        ));
    }
    match mount(fs.fstype, fs.target) {
        Ok(()) => {
            eprintln!(
                "bpfbox: mounted {} at {} (it was not mounted)",
                fs.what, fs.target
            );
            Ok(PathBuf::from(fs.target))
        }
        Err(e) => Err(Error::io("mount", format!("{how} (mount: {e})"))),
    }
}

/// `mount -t fstype none target`.
fn mount(fstype: &str, target: &str) -> Result<(), std::io::Error> {
    let src = std::ffi::CString::new("none").expect("no NUL");
    let ty = std::ffi::CString::new(fstype).map_err(std::io::Error::other)?;
    let dir = std::ffi::CString::new(target).map_err(std::io::Error::other)?;
    // SAFETY: all three are valid NUL-terminated strings that outlive the
    // call; no data argument.
    let r = unsafe { libc::mount(src.as_ptr(), dir.as_ptr(), ty.as_ptr(), 0, std::ptr::null()) };
    if r == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unescapes_octal_sequences() {
        assert_eq!(unescape(r"/a\040b"), "/a b");
        assert_eq!(unescape(r"/plain"), "/plain");
        assert_eq!(unescape(r"/end\04"), r"/end\04");
    }

    #[test]
    fn proc_mounts_lists_proc() {
        assert!(mounted("proc").iter().any(|p| p == Path::new("/proc")));
    }
}

//! Attaching programs to kernel hooks: `BPF_PROG_ATTACH` / `BPF_PROG_DETACH`
//! (cgroup and other fd targets), `BPF_LINK_CREATE` ([`KernelLink`], detached
//! when dropped), and [`TestCgroup`], a throw-away cgroup v2 for tests that
//! run real processes under an attached program.
//!
//! Attribute layouts are those of Linux 6.18 (`union bpf_attr`'s
//! attach/detach and `link_create` members).

use crate::avail::require;
use crate::error::{Errno, Error};
use crate::prog::KernelProg;
use crate::sys::{bpf, bpf_fd, Attr};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::path::{Path, PathBuf};

use bpfbox_uapi::cmd;

/// `BPF_F_ALLOW_MULTI`: programs of descendants and ancestors all run.
pub use bpfbox_uapi::attach_flags::F_ALLOW_MULTI;
/// `BPF_F_ALLOW_OVERRIDE`: a sub-cgroup may attach its own program, which
/// replaces this one for its subtree.
pub use bpfbox_uapi::attach_flags::F_ALLOW_OVERRIDE;

/// The `BPF_PROG_ATTACH`/`BPF_PROG_DETACH` member of `union bpf_attr`.
#[repr(C)]
#[derive(Default)]
struct AttachAttr {
    target_fd: u32,
    attach_bpf_fd: u32,
    attach_type: u32,
    attach_flags: u32,
    replace_bpf_fd: u32,
    relative_fd: u32,
    expected_revision: u64,
}
// SAFETY: repr(C), integers only, no implicit padding (6 * 4 + 8 bytes).
unsafe impl Attr for AttachAttr {}
const _: () = assert!(std::mem::size_of::<AttachAttr>() == 32);

/// The `BPF_LINK_CREATE` member, with the cgroup/netns/sockmap target
/// shape (`relative_fd`, `expected_revision`); the other union members are
/// left zero.
#[repr(C)]
#[derive(Default)]
struct LinkCreateAttr {
    prog_fd: u32,
    target_fd: u32,
    attach_type: u32,
    flags: u32,
    relative_fd: u32,
    pad: u32,
    expected_revision: u64,
    rest: [u64; 4],
}
// SAFETY: repr(C), integers only, no implicit padding.
unsafe impl Attr for LinkCreateAttr {}
const _: () = assert!(std::mem::size_of::<LinkCreateAttr>() == 64);

/// `BPF_PROG_ATTACH`: attaches `prog` to `target` (a cgroup directory fd,
/// a sockmap fd, ...) at `attach_type` (`enum bpf_attach_type`) with
/// `flags` ([`F_ALLOW_OVERRIDE`], [`F_ALLOW_MULTI`] or 0).
pub fn prog_attach(
    target: BorrowedFd<'_>,
    prog: &KernelProg,
    attach_type: u32,
    flags: u32,
) -> Result<(), Error> {
    require()?;
    let mut a = AttachAttr {
        target_fd: target.as_raw_fd() as u32,
        attach_bpf_fd: prog.fd().as_raw_fd() as u32,
        attach_type,
        attach_flags: flags,
        ..Default::default()
    };
    // SAFETY: the attribute holds no pointers.
    unsafe { bpf(cmd::PROG_ATTACH, &mut a) }.map_err(|e| Error::sys("BPF_PROG_ATTACH", e))?;
    Ok(())
}

/// `BPF_PROG_DETACH` of `prog` from `target` at `attach_type`.
pub fn prog_detach(
    target: BorrowedFd<'_>,
    prog: &KernelProg,
    attach_type: u32,
) -> Result<(), Error> {
    require()?;
    let mut a = AttachAttr {
        target_fd: target.as_raw_fd() as u32,
        attach_bpf_fd: prog.fd().as_raw_fd() as u32,
        attach_type,
        ..Default::default()
    };
    // SAFETY: the attribute holds no pointers.
    unsafe { bpf(cmd::PROG_DETACH, &mut a) }.map_err(|e| Error::sys("BPF_PROG_DETACH", e))?;
    Ok(())
}

/// A bpf link (`BPF_LINK_CREATE`); closing it (drop) detaches the program.
#[derive(Debug)]
pub struct KernelLink {
    fd: OwnedFd,
}

impl KernelLink {
    /// The link's file descriptor.
    pub fn fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

/// `BPF_LINK_CREATE`: links `prog` to `target` (a cgroup fd, a netns fd,
/// a sockmap fd) at `attach_type` with `flags`.
pub fn link_create(
    prog: &KernelProg,
    target: BorrowedFd<'_>,
    attach_type: u32,
    flags: u32,
) -> Result<KernelLink, Error> {
    require()?;
    let mut a = LinkCreateAttr {
        prog_fd: prog.fd().as_raw_fd() as u32,
        target_fd: target.as_raw_fd() as u32,
        attach_type,
        flags,
        ..Default::default()
    };
    // SAFETY: the attribute holds no pointers.
    let fd = unsafe { bpf_fd(cmd::LINK_CREATE, &mut a) }
        .map_err(|e| Error::sys("BPF_LINK_CREATE", e))?;
    Ok(KernelLink { fd })
}

/// Where the cgroup v2 hierarchy is mounted (`/sys/fs/cgroup/unified` on
/// hosts that also mount v1 controllers, `/sys/fs/cgroup` on pure v2
/// hosts), mounting it when root and it is missing (see [`crate::mounts`]).
pub fn cgroup2_root() -> Option<PathBuf> {
    crate::mounts::cgroup2().ok()
}

/// A fresh cgroup v2 directory for a test, `<root>/bpfbox-test-<pid>-<n>`,
/// removed on drop (member processes are moved back to the root first).
#[derive(Debug)]
pub struct TestCgroup {
    path: PathBuf,
    root: PathBuf,
    dir: OwnedFd,
}

impl TestCgroup {
    /// Creates the cgroup under [`cgroup2_root`]. Errors with
    /// [`crate::ErrorKind::Io`] when cgroup v2 is not mounted or the
    /// directory cannot be created (not root).
    pub fn new() -> Result<TestCgroup, Error> {
        use std::sync::atomic::{AtomicU32, Ordering};
        static N: AtomicU32 = AtomicU32::new(0);
        let root = crate::mounts::cgroup2()?;
        let n = N.fetch_add(1, Ordering::Relaxed);
        let path = root.join(format!("bpfbox-test-{}-{n}", std::process::id()));
        std::fs::create_dir(&path)
            .map_err(|e| Error::io("cgroup2", format!("mkdir {}: {e}", path.display())))?;
        let dir = std::fs::File::open(&path)
            .map_err(|e| Error::io("cgroup2", format!("open {}: {e}", path.display())))?;
        Ok(TestCgroup {
            path,
            root,
            dir: OwnedFd::from(dir),
        })
    }

    /// The cgroup's directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The directory fd programs are attached to.
    pub fn fd(&self) -> BorrowedFd<'_> {
        self.dir.as_fd()
    }

    /// Moves process `pid` (all its threads) into the cgroup (0 = the
    /// calling process; call it in a forked child to confine only the child).
    pub fn add_process(&self, pid: u32) -> Result<(), Error> {
        std::fs::write(self.path.join("cgroup.procs"), format!("{pid}\n"))
            .map_err(|e| Error::io("cgroup2", format!("add {pid} to cgroup.procs: {e}")))
    }

    /// The processes in the cgroup.
    pub fn processes(&self) -> Vec<u32> {
        std::fs::read_to_string(self.path.join("cgroup.procs"))
            .map(|s| s.lines().filter_map(|l| l.trim().parse().ok()).collect())
            .unwrap_or_default()
    }

    /// The cgroup's id (its inode number, what `bpf_get_current_cgroup_id`
    /// returns for tasks inside it).
    pub fn id(&self) -> Result<u64, Error> {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata(&self.path)
            .map(|m| m.ino())
            .map_err(|e| Error::io("cgroup2", format!("stat {}: {e}", self.path.display())))
    }
}

impl Drop for TestCgroup {
    fn drop(&mut self) {
        for pid in self.processes() {
            // Best effort: a process that already exited is gone anyway.
            let _ = std::fs::write(self.root.join("cgroup.procs"), format!("{pid}\n"));
        }
        let _ = std::fs::remove_dir(&self.path);
    }
}

/// Whether an attach error means "this kernel or process cannot do it"
/// (for tests that skip): `EPERM`, `EINVAL` for an unknown attach type,
/// `EOPNOTSUPP`.
pub fn attach_unsupported(e: &Error) -> bool {
    matches!(e.errno(), Some(Errno(1 | 22 | 95)))
}

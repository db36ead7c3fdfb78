//! Loading BTF (`BPF_BTF_LOAD`) so programs can carry func/line info and
//! maps can carry key/value types.

use crate::error::{Error, ErrorKind};
use crate::prog::log_text;
use crate::sys::{self, cmd, BtfLoadAttr};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};

/// A loaded BTF object; the fd is closed on drop. Pass [`KernelBtf::fd`]
/// as `prog_btf_fd` / `btf_fd`.
#[derive(Debug)]
pub struct KernelBtf {
    fd: OwnedFd,
}

impl KernelBtf {
    /// The BTF object's fd.
    pub fn fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

impl AsFd for KernelBtf {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

impl AsRawFd for KernelBtf {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

/// Loads raw BTF (the contents of an object's `.BTF` section, header
/// included). On failure the load is retried with a log so the error
/// ([`ErrorKind::BtfRejected`]) carries the kernel's BTF verifier message.
pub fn load_btf(bytes: &[u8]) -> Result<KernelBtf, Error> {
    const OP: &str = "BPF_BTF_LOAD";
    crate::avail::require()?;
    let size = u32::try_from(bytes.len()).map_err(|_| Error::invalid(OP, "BTF too large"))?;
    let attempt = |level: u32| {
        let mut log = vec![0u8; if level == 0 { 0 } else { 1 << 20 }];
        let mut a = BtfLoadAttr {
            btf: sys::slice_ptr(bytes),
            btf_size: size,
            btf_log_level: level,
            btf_log_size: log.len() as u32,
            btf_log_buf: sys::out_ptr(&mut log),
            ..Default::default()
        };
        // SAFETY: `bytes` is live for `btf_size` bytes; the kernel writes
        // at most `btf_log_size` bytes into `log`.
        let r = unsafe { sys::bpf_fd(cmd::BTF_LOAD, &mut a) };
        (r, log_text(&log))
    };
    match attempt(0).0 {
        Ok(fd) => Ok(KernelBtf { fd }),
        Err(_) => match attempt(1) {
            (Ok(fd), _) => Ok(KernelBtf { fd }),
            (Err(e), log) => Err(Error::rejected(ErrorKind::BtfRejected, OP, e, log)),
        },
    }
}

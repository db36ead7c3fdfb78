//! Whether `bpf()` can be used by this process, probed once.

use crate::error::{Errno, Error, Unavailable};
use crate::sys::{self, cmd, ProgLoadAttr};
use bpfbox_isa::RawInsn;
use std::sync::OnceLock;

static AVAILABLE: OnceLock<Result<(), Unavailable>> = OnceLock::new();

/// Detects whether `bpf()` is usable, by loading the socket filter
/// `r0 = 0; exit`. The probe runs once per process; later calls return the
/// cached answer.
pub fn availability() -> Result<(), Unavailable> {
    AVAILABLE.get_or_init(probe).clone()
}

/// [`availability`] as a crate [`Error`].
pub(crate) fn require() -> Result<(), Error> {
    availability().map_err(|u| Error::unavailable(&u))
}

fn probe() -> Result<(), Unavailable> {
    // r0 = 0; exit
    let insns = [
        RawInsn::new(0xb7, 0, 0, 0, 0),
        RawInsn::new(0x95, 0, 0, 0, 0),
    ];
    let bytes = bpfbox_isa::slots_to_bytes(&insns);
    let license = c"GPL";
    let mut a = ProgLoadAttr {
        prog_type: crate::consts::prog_type::SOCKET_FILTER,
        insn_cnt: insns.len() as u32,
        insns: sys::slice_ptr(&bytes),
        license: sys::ptr(license.as_ptr()),
        ..Default::default()
    };
    // SAFETY: insns and license are live for the call; no output buffers.
    match unsafe { sys::bpf_fd(cmd::PROG_LOAD, &mut a) } {
        Ok(_fd) => Ok(()),
        Err(e) => Err(Unavailable {
            reason: reason(e),
            errno: Some(e),
        }),
    }
}

/// A one-line explanation of a failed probe.
fn reason(e: Errno) -> String {
    let seccomp = seccomp_mode().filter(|&m| m != 0);
    match e.0 {
        libc::ENOSYS if seccomp.is_some() => {
            "bpf() blocked by a seccomp filter (ENOSYS)".to_string()
        }
        libc::ENOSYS => "kernel has no bpf() system call (ENOSYS)".to_string(),
        libc::EPERM if seccomp.is_some() => {
            "bpf() not permitted (EPERM): needs root or CAP_BPF, or a seccomp filter blocks it"
                .to_string()
        }
        libc::EPERM => {
            let unpriv = std::fs::read_to_string("/proc/sys/kernel/unprivileged_bpf_disabled")
                .ok()
                .map(|s| s.trim().to_string());
            match unpriv {
                Some(v) if v != "0" => format!(
                    "bpf() not permitted (EPERM): needs root or CAP_BPF \
                     (kernel.unprivileged_bpf_disabled={v})"
                ),
                _ => "bpf() not permitted (EPERM): needs root or CAP_BPF".to_string(),
            }
        }
        _ => format!("probe load of a trivial socket filter failed: {e}"),
    }
}

/// The `Seccomp:` mode of this process (0 none, 1 strict, 2 filter).
fn seccomp_mode() -> Option<u32> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("Seccomp:"))
        .and_then(|v| v.trim().parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_are_one_line() {
        for e in [libc::EPERM, libc::ENOSYS, libc::EINVAL] {
            let r = reason(Errno(e));
            assert!(!r.contains('\n'), "{r}");
            assert!(r.contains(Errno(e).name().unwrap_or("?")), "{r}");
        }
    }

    #[test]
    fn probe_is_cached() {
        assert_eq!(availability(), availability());
    }
}

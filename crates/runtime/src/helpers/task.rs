//! Task identity helpers: `bpf_get_current_pid_tgid`, `_uid_gid`, `_comm`,
//! `bpf_get_ns_current_pid_tgid` (kernel/bpf/helpers.c), answering from
//! [`crate::host::Task`], and
//! `bpf_get_netns_cookie` from [`HostState::netns_cookie`].

use super::HelperImpl;
use super::{write_guest, HostVm};
use bpfbox_interp::Trap;
use bpfbox_uapi::helper::id;

/// `bpf_get_current_pid_tgid()`: `tgid << 32 | pid`.
fn get_current_pid_tgid(vm: &mut HostVm<'_>, _: [u64; 5]) -> Result<u64, Trap> {
    let t = &vm.host.task;
    Ok(u64::from(t.tgid) << 32 | u64::from(t.pid))
}

/// `bpf_get_current_uid_gid()`: `gid << 32 | uid`.
fn get_current_uid_gid(vm: &mut HostVm<'_>, _: [u64; 5]) -> Result<u64, Trap> {
    let t = &vm.host.task;
    Ok(u64::from(t.gid) << 32 | u64::from(t.uid))
}

/// `comm`'s size in the kernel (`TASK_COMM_LEN`).
const TASK_COMM_LEN: usize = 16;

/// The bytes `bpf_get_current_comm(buf, size)` writes: `strscpy_pad` of
/// the (at most 15-byte) comm into `size` bytes — NUL-terminated and
/// zero-padded, truncated to `size - 1` characters.
pub(crate) fn comm_bytes(comm: &str, size: usize) -> Vec<u8> {
    let mut out = vec![0u8; size];
    if size == 0 {
        return out;
    }
    let c = comm.as_bytes();
    let c = &c[..c.len().min(TASK_COMM_LEN - 1)];
    let n = c.len().min(size - 1);
    out[..n].copy_from_slice(&c[..n]);
    out
}

/// `bpf_get_current_comm(buf, size)`: returns 0.
fn get_current_comm(vm: &mut HostVm<'_>, a: [u64; 5]) -> Result<u64, Trap> {
    let bytes = comm_bytes(&vm.host.task.comm, a[1] as u32 as usize);
    write_guest(vm, a[0], &bytes)?;
    Ok(0)
}

/// `sizeof(struct bpf_pidns_info)`.
const PIDNS_INFO_SIZE: usize = 8;

/// `bpf_get_ns_current_pid_tgid(dev, ino, nsdata, size)`: the task's pid
/// and tgid in the pid namespace `dev`/`ino` (its own: bpfbox models one
/// level). A size other than 8, a `dev` that does not fit a kernel
/// `dev_t` (32 bits) or another namespace: `-EINVAL` with `nsdata` zeroed.
fn get_ns_current_pid_tgid(vm: &mut HostVm<'_>, a: [u64; 5]) -> Result<u64, Trap> {
    let (dev, ino, buf, size) = (a[0], a[1], a[2], a[3] as u32 as usize);
    let t = &vm.host.task;
    let ok = size == PIDNS_INFO_SIZE && dev == u64::from(dev as u32) && t.pidns == (dev, ino);
    let (pid, tgid) = (t.pid, t.tgid);
    if !ok {
        if size > 0 {
            write_guest(vm, buf, &vec![0u8; size])?;
        }
        return Ok(super::neg(bpfbox_uapi::errno::EINVAL));
    }
    let mut info = pid.to_ne_bytes().to_vec();
    info.extend_from_slice(&tgid.to_ne_bytes());
    write_guest(vm, buf, &info)?;
    Ok(0)
}

/// `bpf_get_netns_cookie(ctx)`: the cookie of the netns of the hook's
/// socket (or of `init_net` for a NULL ctx, which is the same namespace
/// here).
fn get_netns_cookie(vm: &mut HostVm<'_>, _: [u64; 5]) -> Result<u64, Trap> {
    Ok(vm.host.netns_cookie)
}

/// The implementations of this module, keyed by declaration.
pub(super) const HELPERS: &[HelperImpl] = &[
    HelperImpl::new(id::GET_CURRENT_PID_TGID, get_current_pid_tgid),
    HelperImpl::new(id::GET_CURRENT_UID_GID, get_current_uid_gid),
    HelperImpl::new(id::GET_CURRENT_COMM, get_current_comm),
    HelperImpl::new(id::GET_NS_CURRENT_PID_TGID, get_ns_current_pid_tgid),
    HelperImpl::new(id::GET_NETNS_COOKIE, get_netns_cookie),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comm_is_truncated_and_padded_like_strscpy_pad() {
        assert_eq!(comm_bytes("abc", 6), b"abc\0\0\0");
        assert_eq!(comm_bytes("abcdef", 4), b"abc\0");
        assert_eq!(comm_bytes("a", 1), b"\0");
        let long = comm_bytes("0123456789abcdefXYZ", 20);
        assert_eq!(&long[..16], b"0123456789abcde\0");
        assert!(long[16..].iter().all(|&b| b == 0));
    }
}

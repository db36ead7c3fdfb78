//! The CGROUP_SYSCTL helpers (kernel/bpf/cgroup.c): `bpf_sysctl_get_name`,
//! `_get_current_value`, `_get_new_value`, `_set_new_value`, over the
//! [`SysctlAccess`] the sysctl event driver puts in the run's
//! [`super::cgroup::CgroupRun`]. The string copies follow the kernel's
//! `strscpy` (word-at-a-time) and `copy_sysctl_value` byte for byte.

use super::cgroup::CgroupRun;
use super::HelperImpl;
use super::{neg, read_guest, write_guest, HostVm};
use bpfbox_interp::Trap;
use bpfbox_uapi::helper::id;

/// `E2BIG`.
use bpfbox_uapi::errno::E2BIG;
/// `EINVAL`.
use bpfbox_uapi::errno::EINVAL;
/// `PAGE_SIZE` on x86-64.
pub const PAGE_SIZE: usize = 4096;
/// `BPF_F_SYSCTL_BASE_NAME`: only the last component of the name.
pub const F_SYSCTL_BASE_NAME: u64 = 1;

/// One read or write of a `/proc/sys` file, as `__cgroup_bpf_run_filter_sysctl`
/// prepares it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SysctlAccess {
    /// Path below /proc/sys, `net/ipv4/tcp_mem`.
    pub name: String,
    /// A write (1) or a read (0).
    pub write: bool,
    /// The value the sysctl's handler prints (`cur_val`, at most a page);
    /// empty when the handler failed (`cur_len` = 0).
    pub current: Vec<u8>,
    /// The bytes being written (`new_val`; none for reads and empty
    /// writes), at most a page.
    pub new_value: Option<Vec<u8>>,
    /// Set by `bpf_sysctl_set_new_value`.
    pub new_updated: bool,
}

/// The kernel's `sized_strscpy` (lib/string.c) on x86-64: copies `src`
/// (a C string without its NUL) into `dst` and returns its length, or
/// `-E2BIG` when it does not fit (then `dst` holds a NUL-terminated
/// prefix). Like the kernel's word-at-a-time loop, the 8-byte word that
/// holds the NUL is written whole, so bytes after the NUL up to the end of
/// that word (counted from `dst`'s start) become 0. (The kernel also stops
/// the word loop at the source's page end, which depends on where the
/// string lives; bpfbox assumes it does not.)
pub fn strscpy(dst: &mut [u8], src: &[u8]) -> i64 {
    let src_at = |i: usize| src.get(i).copied().unwrap_or(0);
    let mut count = dst.len();
    if count == 0 {
        return -i64::from(E2BIG);
    }
    let mut res = 0usize;
    let mut max = count;
    while max >= 8 {
        let mut word = [0u8; 8];
        for (k, w) in word.iter_mut().enumerate() {
            *w = src_at(res + k);
        }
        if let Some(z) = word.iter().position(|&b| b == 0) {
            for w in &mut word[z..] {
                *w = 0;
            }
            dst[res..res + 8].copy_from_slice(&word);
            return (res + z) as i64;
        }
        count -= 8;
        if count == 0 {
            word[7] = 0;
            dst[res..res + 8].copy_from_slice(&word);
            return -i64::from(E2BIG);
        }
        dst[res..res + 8].copy_from_slice(&word);
        res += 8;
        max -= 8;
    }
    while count > 0 {
        let c = src_at(res);
        dst[res] = c;
        if c == 0 {
            return res as i64;
        }
        res += 1;
        count -= 1;
    }
    if res > 0 {
        dst[res - 1] = 0;
    }
    -i64::from(E2BIG)
}

/// `bpf_sysctl_get_name` into `buf` (its current bytes, updated in
/// place): the full name (each directory through `sysctl_cpy_dir`, then
/// the base name) or, with [`F_SYSCTL_BASE_NAME`], the base name only.
pub fn get_name(name: &str, buf: &mut [u8], flags: u64) -> i64 {
    let mut parts: Vec<&str> = name.split('/').filter(|p| !p.is_empty()).collect();
    let base = parts.pop().unwrap_or("");
    let mut pos = 0usize;
    let mut total = 0i64;
    if flags & F_SYSCTL_BASE_NAME == 0 {
        for dir in parts {
            let r = strscpy(&mut buf[pos..], dir.as_bytes());
            if r < 0 {
                return r;
            }
            pos += r as usize;
            total += r;
            if total == 0 {
                continue;
            }
            let r = strscpy(&mut buf[pos..], b"/");
            if r < 0 {
                return r;
            }
            pos += r as usize;
            total += r;
        }
    }
    let r = strscpy(&mut buf[pos..], base.as_bytes());
    if r < 0 {
        r
    } else {
        total + r
    }
}

/// The kernel's `copy_sysctl_value`: the value NUL-padded into `dst`
/// (returns its length), `-E2BIG` when it does not fit (then truncated and
/// NUL-terminated), `-EINVAL` with `dst` zeroed when there is no value.
pub fn copy_value(dst: &mut [u8], src: Option<&[u8]>) -> i64 {
    if dst.is_empty() {
        return -i64::from(E2BIG);
    }
    let src = match src {
        Some(s) if !s.is_empty() => s,
        _ => {
            dst.fill(0);
            return -i64::from(EINVAL);
        }
    };
    let n = dst.len().min(src.len());
    dst[..n].copy_from_slice(&src[..n]);
    if dst.len() > src.len() {
        dst[src.len()..].fill(0);
        return src.len() as i64;
    }
    let last = dst.len() - 1;
    dst[last] = 0;
    -i64::from(E2BIG)
}

/// `bpf_sysctl_get_new_value` on `access` into `dst`.
pub fn get_new_value(access: &SysctlAccess, dst: &mut [u8]) -> i64 {
    if !access.write {
        dst.fill(0);
        return -i64::from(EINVAL);
    }
    copy_value(dst, access.new_value.as_deref())
}

/// `bpf_sysctl_set_new_value(buf)` on `access`.
pub fn set_new_value(access: &mut SysctlAccess, buf: &[u8]) -> i64 {
    let has_new = access.new_value.as_ref().is_some_and(|v| !v.is_empty());
    if !access.write || !has_new || buf.is_empty() {
        return -i64::from(EINVAL);
    }
    if buf.len() > PAGE_SIZE - 1 {
        return -i64::from(E2BIG);
    }
    access.new_value = Some(buf.to_vec());
    access.new_updated = true;
    0
}

fn access(vm: &HostVm<'_>) -> Option<SysctlAccess> {
    vm.host
        .event
        .get::<CgroupRun>()
        .and_then(|r| r.sysctl.clone())
}

/// Runs `f` on the guest buffer `addr..addr+len` (read, changed, written
/// back) and returns `f`'s result as the helper's return value.
fn with_buf(
    vm: &mut HostVm<'_>,
    addr: u64,
    len: usize,
    f: impl FnOnce(&mut [u8]) -> i64,
) -> Result<u64, Trap> {
    let mut buf = read_guest(vm, addr, len)?;
    let r = f(&mut buf);
    write_guest(vm, addr, &buf)?;
    Ok(r as u64)
}

fn sysctl_get_name(vm: &mut HostVm<'_>, a: [u64; 5]) -> Result<u64, Trap> {
    let Some(acc) = access(vm) else {
        return Ok(neg(EINVAL));
    };
    with_buf(vm, a[1], a[2] as usize, |b| get_name(&acc.name, b, a[3]))
}

fn sysctl_get_current_value(vm: &mut HostVm<'_>, a: [u64; 5]) -> Result<u64, Trap> {
    let acc = access(vm).unwrap_or_default();
    with_buf(vm, a[1], a[2] as usize, |b| {
        copy_value(b, Some(&acc.current))
    })
}

fn sysctl_get_new_value(vm: &mut HostVm<'_>, a: [u64; 5]) -> Result<u64, Trap> {
    let acc = access(vm).unwrap_or_default();
    with_buf(vm, a[1], a[2] as usize, |b| get_new_value(&acc, b))
}

fn sysctl_set_new_value(vm: &mut HostVm<'_>, a: [u64; 5]) -> Result<u64, Trap> {
    let len = a[2] as usize;
    let buf = if len > 0 && len < PAGE_SIZE {
        read_guest(vm, a[1], len)?
    } else {
        vec![0u8; len.min(PAGE_SIZE)]
    };
    let Some(run) = vm.host.event.get_mut::<CgroupRun>() else {
        return Ok(neg(EINVAL));
    };
    let Some(acc) = run.sysctl.as_mut() else {
        return Ok(neg(EINVAL));
    };
    let r = if len >= PAGE_SIZE {
        // E2BIG is decided on the length alone (after the EINVAL checks)
        let has_new = acc.new_value.as_ref().is_some_and(|v| !v.is_empty());
        if !acc.write || !has_new {
            -i64::from(EINVAL)
        } else {
            -i64::from(E2BIG)
        }
    } else {
        set_new_value(acc, &buf)
    };
    Ok(r as u64)
}

/// The implementations of this module, keyed by declaration.
pub(super) const HELPERS: &[HelperImpl] = &[
    HelperImpl::new(id::SYSCTL_GET_NAME, sysctl_get_name),
    HelperImpl::new(id::SYSCTL_GET_CURRENT_VALUE, sysctl_get_current_value),
    HelperImpl::new(id::SYSCTL_GET_NEW_VALUE, sysctl_get_new_value),
    HelperImpl::new(id::SYSCTL_SET_NEW_VALUE, sysctl_set_new_value),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strscpy_returns_length_or_e2big_and_zeroes_the_rest_of_the_word() {
        let mut b = [0xffu8; 16];
        assert_eq!(strscpy(&mut b, b"abc"), 3);
        assert_eq!(&b[..8], b"abc\0\0\0\0\0");
        assert_eq!(b[8], 0xff, "the next word is untouched");
        // short buffers go byte by byte: nothing after the NUL changes
        let mut b = [0xffu8; 6];
        assert_eq!(strscpy(&mut b, b"ab"), 2);
        assert_eq!(b, [b'a', b'b', 0, 0xff, 0xff, 0xff]);
        // truncation
        let mut b = [0xffu8; 4];
        assert_eq!(strscpy(&mut b, b"abcdef"), -7);
        assert_eq!(&b, b"abc\0");
        let mut b = [0xffu8; 8];
        assert_eq!(strscpy(&mut b, b"abcdefgh"), -7);
        assert_eq!(&b, b"abcdefg\0");
        let mut b = [0xffu8; 8];
        assert_eq!(strscpy(&mut b, b"abcdefg"), 7);
        assert_eq!(&b, b"abcdefg\0");
        assert_eq!(strscpy(&mut [], b"a"), -7);
    }

    #[test]
    fn get_name_full_and_base() {
        let mut b = [0u8; 32];
        assert_eq!(get_name("net/ipv4/tcp_mem", &mut b, 0), 16);
        assert_eq!(&b[..17], b"net/ipv4/tcp_mem\0");
        let mut b = [0u8; 32];
        assert_eq!(get_name("net/ipv4/tcp_mem", &mut b, F_SYSCTL_BASE_NAME), 7);
        assert_eq!(&b[..8], b"tcp_mem\0");
        // too small: E2BIG, NUL-terminated prefix
        let mut b = [0xffu8; 10];
        assert_eq!(get_name("net/ipv4/tcp_mem", &mut b, 0), -7);
        assert_eq!(&b, b"net/ipv4/\0");
        let mut b = [0xffu8; 5];
        assert_eq!(get_name("net/ipv4/tcp_mem", &mut b, 0), -7);
        assert_eq!(&b[..4], b"net/");
        assert_eq!(b[4], 0);
    }

    #[test]
    fn values_copy_like_copy_sysctl_value() {
        let mut b = [0xffu8; 4];
        assert_eq!(copy_value(&mut b, Some(b"1\n")), 2);
        assert_eq!(b, [b'1', b'\n', 0, 0]);
        let mut b = [0xffu8; 2];
        assert_eq!(copy_value(&mut b, Some(b"1\n")), -7);
        assert_eq!(b, [b'1', 0]);
        let mut b = [0xffu8; 3];
        assert_eq!(copy_value(&mut b, Some(b"")), -22);
        assert_eq!(b, [0; 3]);
        assert_eq!(copy_value(&mut [], Some(b"1")), -7);
        let read = SysctlAccess {
            name: "kernel/ostype".into(),
            current: b"Linux\n".to_vec(),
            ..Default::default()
        };
        let mut b = [0xffu8; 3];
        assert_eq!(get_new_value(&read, &mut b), -22);
        assert_eq!(b, [0; 3]);
    }

    #[test]
    fn set_new_value_needs_a_write_with_a_value() {
        let mut w = SysctlAccess {
            name: "kernel/domainname".into(),
            write: true,
            new_value: Some(b"abc".to_vec()),
            ..Default::default()
        };
        assert_eq!(set_new_value(&mut w, b""), -22);
        assert_eq!(set_new_value(&mut w, &[b'x'; PAGE_SIZE]), -7);
        assert_eq!(set_new_value(&mut w, b"xyz\n"), 0);
        assert!(w.new_updated);
        assert_eq!(w.new_value.as_deref(), Some(&b"xyz\n"[..]));
        let mut r = SysctlAccess {
            write: false,
            ..w.clone()
        };
        r.new_updated = false;
        assert_eq!(set_new_value(&mut r, b"1"), -22);
        let mut empty = SysctlAccess {
            write: true,
            new_value: None,
            ..Default::default()
        };
        assert_eq!(set_new_value(&mut empty, b"1"), -22);
    }
}

//! `bpf_strtol` / `bpf_strtoul` (kernel/bpf/helpers.c over lib/kstrtox.c's
//! `_parse_integer`): parse an integer at the start of a buffer.

use super::HelperImpl;
use super::{neg, read_guest, write_guest, HostVm};
use bpfbox_interp::Trap;
use bpfbox_uapi::helper::id;

use bpfbox_uapi::errno::EINVAL;
use bpfbox_uapi::errno::ERANGE;
/// `BPF_STRTOX_BASE_MASK`.
const BASE_MASK: u64 = 0x1f;

/// The kernel's `isspace` (its Latin-1 ctype table: also 0xa0).
fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r' | 0xa0)
}

/// `__bpf_strtoull`: `Ok((consumed, value, negative))` or the errno.
pub fn strtoull(buf: &[u8], flags: u64) -> Result<(usize, u64, bool), i32> {
    let mut base = (flags & BASE_MASK) as u32;
    if buf.is_empty() || !matches!(base, 0 | 8 | 10 | 16) || flags & !BASE_MASK != 0 {
        return Err(EINVAL);
    }
    let mut i = 0;
    while i < buf.len() && is_space(buf[i]) {
        i += 1;
    }
    let negative = i < buf.len() && buf[i] == b'-';
    if negative {
        i += 1;
    }
    let consumed = i;
    if consumed == buf.len() {
        return Err(EINVAL);
    }
    // copied into a 64-byte NUL-terminated string
    let rest = &buf[i..];
    let s: Vec<u8> = rest[..rest.len().min(63)].to_vec();
    let at = |k: usize| s.get(k).copied().unwrap_or(0);
    // _parse_integer_fixup_radix
    let mut p = 0;
    if base == 0 {
        base = if at(0) == b'0' {
            if at(1).eq_ignore_ascii_case(&b'x') && at(2).is_ascii_hexdigit() {
                16
            } else {
                8
            }
        } else {
            10
        };
    }
    if base == 16 && at(0) == b'0' && at(1).eq_ignore_ascii_case(&b'x') {
        p = 2;
    }
    // _parse_integer_limit
    let mut res: u64 = 0;
    let mut n = 0usize;
    let mut overflow = false;
    loop {
        let c = at(p + n);
        let val = match c {
            b'0'..=b'9' => u32::from(c - b'0'),
            b'a'..=b'f' | b'A'..=b'F' => u32::from(c.to_ascii_lowercase() - b'a') + 10,
            _ => break,
        };
        if val >= base {
            break;
        }
        if res & (!0u64 << 60) != 0 && res > (u64::MAX - u64::from(val)) / u64::from(base) {
            overflow = true;
        }
        res = res
            .wrapping_mul(u64::from(base))
            .wrapping_add(u64::from(val));
        n += 1;
    }
    if overflow {
        return Err(ERANGE);
    }
    if n == 0 {
        return Err(EINVAL);
    }
    Ok((consumed + p + n, res, negative))
}

/// `__bpf_strtoll`: `Ok((consumed, value))` or the errno.
pub fn strtoll(buf: &[u8], flags: u64) -> Result<(usize, i64), i32> {
    let (n, v, negative) = strtoull(buf, flags)?;
    if negative {
        let r = v.wrapping_neg() as i64;
        if r > 0 {
            return Err(ERANGE);
        }
        Ok((n, r))
    } else {
        if (v as i64) < 0 {
            return Err(ERANGE);
        }
        Ok((n, v as i64))
    }
}

/// `bpf_strtol(buf, buf_len, flags, res)`: `*res` is zeroed first.
fn strtol(vm: &mut HostVm<'_>, a: [u64; 5]) -> Result<u64, Trap> {
    write_guest(vm, a[3], &[0; 8])?;
    let buf = read_guest(vm, a[0], a[1] as usize)?;
    match strtoll(&buf, a[2]) {
        Err(e) => Ok(neg(e)),
        Ok((n, v)) => {
            write_guest(vm, a[3], &v.to_le_bytes())?;
            Ok(n as u64)
        }
    }
}

/// `bpf_strtoul(buf, buf_len, flags, res)`: a leading `-` is `-EINVAL`.
fn strtoul(vm: &mut HostVm<'_>, a: [u64; 5]) -> Result<u64, Trap> {
    write_guest(vm, a[3], &[0; 8])?;
    let buf = read_guest(vm, a[0], a[1] as usize)?;
    match strtoull(&buf, a[2]) {
        Err(e) => Ok(neg(e)),
        Ok((_, _, true)) => Ok(neg(EINVAL)),
        Ok((n, v, false)) => {
            write_guest(vm, a[3], &v.to_le_bytes())?;
            Ok(n as u64)
        }
    }
}

/// The implementations of this module, keyed by declaration.
pub(super) const HELPERS: &[HelperImpl] = &[
    HelperImpl::new(id::STRTOL, strtol),
    HelperImpl::new(id::STRTOUL, strtoul),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_like_the_kernel() {
        assert_eq!(strtoll(b"  -42 abc", 0), Ok((5, -42)));
        assert_eq!(strtoll(b"0x1fz", 0), Ok((4, 31)));
        assert_eq!(strtoll(b"0x1f", 16), Ok((4, 31)));
        assert_eq!(strtoll(b"0x", 0), Ok((1, 0))); // octal 0, "x" stops
        assert_eq!(strtoll(b"017", 0), Ok((3, 15)));
        assert_eq!(strtoll(b"019", 0), Ok((2, 1)));
        assert_eq!(strtoll(b"1\n", 10), Ok((1, 1)));
        assert_eq!(strtoll(b"abc", 10), Err(EINVAL));
        assert_eq!(strtoll(b"   ", 10), Err(EINVAL));
        assert_eq!(strtoll(b"", 10), Err(EINVAL));
        assert_eq!(strtoll(b"1", 7), Err(EINVAL));
        assert_eq!(strtoll(b"1", 0x20), Err(EINVAL));
        assert_eq!(strtoll(b"9223372036854775807", 10), Ok((19, i64::MAX)));
        assert_eq!(strtoll(b"9223372036854775808", 10), Err(ERANGE));
        assert_eq!(strtoll(b"-9223372036854775808", 10), Ok((20, i64::MIN)));
        assert_eq!(
            strtoull(b"18446744073709551615", 10),
            Ok((20, u64::MAX, false))
        );
        assert_eq!(strtoull(b"18446744073709551616", 10), Err(ERANGE));
        assert_eq!(strtoull(b"-1", 10), Ok((2, 1, true)));
    }
}

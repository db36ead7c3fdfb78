//! The format checker and formatter behind `bpf_trace_printk` and
//! `bpf_snprintf`: `bpf_bprintf_prepare` (kernel/bpf/helpers.c) accepts the
//! format, then `bstr_printf` (lib/vsprintf.c) renders it.
//!
//! Accepted conversions: `%d %i %u %x %X` with `l`/`ll`, `%c`, `%s`, `%%`,
//! `%p`, `%px`, `%pK`, `%ps`, `%pS`, `%pB`, `%pI4`/`%pi4`/`%pI6`/`%pi6`,
//! `%pks`/`%pus`; flags `0 + - space` and a width. Anything else is
//! `-EINVAL`, like the kernel.
//!
//! Host-specific output (documented differences): `%p` prints the raw
//! value like `%px` (the kernel prints a boot-keyed hash); `%pK`, `%ps`,
//! `%pS`, `%pB` print the raw value in hex (the kernel resolves kernel
//! symbols or hides the value).

/// Reads guest memory for `%s` (up to a NUL, at most `max` bytes) and
/// `%pI4`/`%pI6` (exactly `len` bytes).
pub trait ArgMemory {
    /// A NUL-terminated string at `addr`, without the NUL, at most `max`
    /// bytes; `None` when unreadable.
    fn string(&mut self, addr: u64, max: usize) -> Option<Vec<u8>>;
    /// `len` bytes at `addr`; `None` when unreadable.
    fn bytes(&mut self, addr: u64, len: usize) -> Option<Vec<u8>>;
}

#[derive(Clone, Copy, Default)]
struct Spec {
    zero: bool,
    plus: bool,
    left: bool,
    space: bool,
    width: usize,
}

fn pad(out: &mut Vec<u8>, body: &[u8], spec: Spec, numeric: bool) {
    let n = body.len();
    if n >= spec.width {
        out.extend_from_slice(body);
        return;
    }
    let fill = spec.width - n;
    if spec.left {
        out.extend_from_slice(body);
        out.extend(std::iter::repeat_n(b' ', fill));
    } else if spec.zero && numeric {
        // zeros go after the sign
        let (sign, digits) = match body.first() {
            Some(b'-' | b'+' | b' ') => body.split_at(1),
            _ => body.split_at(0),
        };
        out.extend_from_slice(sign);
        out.extend(std::iter::repeat_n(b'0', fill));
        out.extend_from_slice(digits);
    } else {
        out.extend(std::iter::repeat_n(b' ', fill));
        out.extend_from_slice(body);
    }
}

fn fmt_ip4(b: &[u8]) -> String {
    format!("{}.{}.{}.{}", b[0], b[1], b[2], b[3])
}

fn fmt_ip6(b: &[u8], compressed: bool) -> String {
    let words: Vec<u16> = b
        .chunks(2)
        .map(|c| u16::from_be_bytes([c[0], c[1]]))
        .collect();
    if !compressed {
        // %pi6: 32 hex digits, no colons
        return words.iter().map(|w| format!("{w:04x}")).collect();
    }
    // %pI6: colon-separated full words (the kernel's %pI6 does not
    // compress; only %pI6c does)
    words
        .iter()
        .map(|w| format!("{w:04x}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// Formats `fmt` (bytes up to the first NUL) with `args`. Returns the
/// rendered bytes (without NUL) or a negative errno (`-EINVAL` for a bad
/// format or too few arguments).
pub fn format(fmt: &[u8], args: &[u64], mem: &mut dyn ArgMemory) -> Result<Vec<u8>, i64> {
    const EINVAL: i64 = -22;
    let Some(nul) = fmt.iter().position(|&c| c == 0) else {
        return Err(EINVAL);
    };
    let fmt = &fmt[..nul];
    let at = |i: usize| fmt.get(i).copied().unwrap_or(0);
    let mut out = Vec::new();
    let mut nargs = 0usize;
    let mut i = 0usize;
    while i < fmt.len() {
        let c = fmt[i];
        if !(c.is_ascii_graphic() || c.is_ascii_whitespace() || c == b' ') {
            return Err(EINVAL);
        }
        if c != b'%' {
            out.push(c);
            i += 1;
            continue;
        }
        if at(i + 1) == b'%' {
            out.push(b'%');
            i += 2;
            continue;
        }
        if nargs >= args.len() {
            return Err(EINVAL);
        }
        let arg = args[nargs];
        i += 1;
        let mut spec = Spec::default();
        loop {
            match at(i) {
                b'0' => spec.zero = true,
                b'+' => spec.plus = true,
                b'-' => spec.left = true,
                b' ' => spec.space = true,
                _ => break,
            }
            i += 1;
        }
        if (b'1'..=b'9').contains(&at(i)) {
            while at(i).is_ascii_digit() {
                spec.width = spec.width * 10 + usize::from(at(i) - b'0');
                i += 1;
            }
        }
        let is_end = |c: u8| c == 0 || c.is_ascii_whitespace() || c.is_ascii_punctuation();
        match at(i) {
            b'p' => {
                let n = at(i + 1);
                if is_end(n) {
                    pad(&mut out, format!("{arg:016x}").as_bytes(), spec, false);
                    i += 1;
                } else if (n == b'k' || n == b'u') && at(i + 2) == b's' {
                    if !is_end(at(i + 3)) {
                        return Err(EINVAL);
                    }
                    let s = mem.string(arg, 1024).unwrap_or_default();
                    pad(&mut out, &s, spec, false);
                    i += 3;
                } else if matches!(n, b'K' | b'x' | b's' | b'S' | b'B') {
                    pad(&mut out, format!("{arg:016x}").as_bytes(), spec, false);
                    i += 2;
                } else if matches!(n, b'i' | b'I') && matches!(at(i + 2), b'4' | b'6') {
                    let v6 = at(i + 2) == b'6';
                    let len = if v6 { 16 } else { 4 };
                    let b = mem.bytes(arg, len).unwrap_or_else(|| vec![0; len]);
                    let s = if v6 {
                        fmt_ip6(&b, n == b'I')
                    } else {
                        fmt_ip4(&b)
                    };
                    pad(&mut out, s.as_bytes(), spec, false);
                    i += 3;
                } else {
                    return Err(EINVAL);
                }
            }
            b's' => {
                if !is_end(at(i + 1)) {
                    return Err(EINVAL);
                }
                let s = mem.string(arg, 1024).unwrap_or_default();
                pad(&mut out, &s, spec, false);
                i += 1;
            }
            b'c' => {
                pad(&mut out, &[arg as u8], spec, false);
                i += 1;
            }
            _ => {
                let mut long = 0;
                while at(i) == b'l' && long < 2 {
                    long += 1;
                    i += 1;
                }
                let conv = at(i);
                let body = match conv {
                    b'd' | b'i' => {
                        let v = if long == 0 {
                            i64::from(arg as u32 as i32)
                        } else {
                            arg as i64
                        };
                        let mut s = v.to_string();
                        if v >= 0 && spec.plus {
                            s.insert(0, '+');
                        } else if v >= 0 && spec.space {
                            s.insert(0, ' ');
                        }
                        s
                    }
                    b'u' => {
                        if long == 0 {
                            (arg as u32).to_string()
                        } else {
                            arg.to_string()
                        }
                    }
                    b'x' | b'X' => {
                        let v = if long == 0 {
                            u64::from(arg as u32)
                        } else {
                            arg
                        };
                        if conv == b'x' {
                            format!("{v:x}")
                        } else {
                            format!("{v:X}")
                        }
                    }
                    _ => return Err(EINVAL),
                };
                pad(&mut out, body.as_bytes(), spec, true);
                i += 1;
            }
        }
        nargs += 1;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    struct NoMem;
    impl ArgMemory for NoMem {
        fn string(&mut self, addr: u64, _max: usize) -> Option<Vec<u8>> {
            (addr == 1).then(|| b"hi".to_vec())
        }
        fn bytes(&mut self, _addr: u64, len: usize) -> Option<Vec<u8>> {
            Some((1..=len as u8).collect())
        }
    }

    fn f(fmt: &str, args: &[u64]) -> Result<String, i64> {
        let mut v = fmt.as_bytes().to_vec();
        v.push(0);
        format(&v, args, &mut NoMem).map(|b| String::from_utf8(b).unwrap())
    }

    #[test]
    fn integers_and_widths() {
        assert_eq!(
            f("%d %u %x", &[u64::MAX, u64::MAX, 255]).unwrap(),
            "-1 4294967295 ff"
        );
        assert_eq!(
            f("%lld|%5d|%-4d|%05d", &[u64::MAX, 42, 7, 0xffff_fffe]).unwrap(),
            "-1|   42|7   |-0002"
        );
        assert_eq!(
            f("%llx %lu", &[0x1_0000_0000, 1 << 40]).unwrap(),
            "100000000 1099511627776"
        );
        assert_eq!(f("%+d %c%%", &[5, u64::from(b'z')]).unwrap(), "+5 z%");
    }

    #[test]
    fn strings_ips_and_errors() {
        assert_eq!(f("%s,%s", &[1, 2]).unwrap(), "hi,");
        assert_eq!(f("%pI4", &[0]).unwrap(), "1.2.3.4");
        assert_eq!(f("%d %d", &[1]), Err(-22));
        assert_eq!(f("%q", &[1]), Err(-22));
        assert_eq!(f("%sx", &[1]), Err(-22));
        assert_eq!(format(b"no nul", &[], &mut NoMem), Err(-22));
    }
}

//! The format checker and formatter behind `bpf_trace_printk` and
//! `bpf_snprintf`: `bpf_bprintf_prepare` (kernel/bpf/helpers.c) accepts the
//! format, then `bstr_printf` (lib/vsprintf.c) renders it.
//!
//! Accepted conversions: `%d %i %u %x %X` with `l`/`ll`, `%c`, `%s`, `%%`,
//! `%p`, `%px`, `%pK`, `%ps`, `%pS`, `%pB`, `%pI4`/`%pi4`/`%pI6`/`%pi6`,
//! `%pks`/`%pus`; flags `0 + - space` and a width. Anything else is
//! `-EINVAL`, like the kernel.
//!
//! Arguments are packed as `bpf_bprintf_prepare` packs them and read back
//! with `bstr_printf`'s alignment, so its quirks carry over: pre-rendered
//! arguments (`%pI4`, `%pi6`, `%pks`, `%pB`) ignore the width, swallow
//! letters after the conversion (`%pI6c` prints as `%pI6`) and, once the
//! output fills the buffer, are skipped without being consumed.
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

/// `%pI4` (`1.2.3.4`) or `%pi4` (`001.002.003.004`, the kernel's
/// leading-zero form).
fn fmt_ip4(b: &[u8], dotted_plain: bool) -> String {
    if dotted_plain {
        format!("{}.{}.{}.{}", b[0], b[1], b[2], b[3])
    } else {
        format!("{:03}.{:03}.{:03}.{:03}", b[0], b[1], b[2], b[3])
    }
}

/// vsprintf ends a `%p<ext>` conversion by skipping every alphanumeric
/// character after it (`%pI6c` prints as `%pI6`: the kernel pre-formats
/// the address with exactly `%pI6`).
fn skip_alnum(fmt: &[u8], mut i: usize) -> usize {
    while fmt.get(i).is_some_and(u8::is_ascii_alphanumeric) {
        i += 1;
    }
    i
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

/// `MAX_BPRINTF_BIN_ARGS`: room for the packed arguments.
const MAX_BIN_ARGS: usize = 512;
const EINVAL: i64 = -(bpfbox_uapi::errno::EINVAL as i64);
const ENOSPC: i64 = -(bpfbox_uapi::errno::ENOSPC as i64);

/// How `bstr_printf` consumes one conversion's packed argument.
#[derive(Clone, Copy)]
enum Kind {
    /// `%d %i %u %x %X`: 4 or 8 bytes at a 4-byte boundary.
    Num { conv: u8, size: usize },
    /// `%c`: one byte.
    Char,
    /// `%s`: a NUL-terminated copy, always consumed.
    Str,
    /// `%pI4`, `%pks`, `%pB`, ...: a string pre-rendered by
    /// `bpf_bprintf_prepare`, consumed only while the output is shorter
    /// than the buffer (`str < end` in `bstr_printf`).
    Preformatted,
    /// `%p`, `%px`, `%pK`, `%ps`, `%pS`: the 8-byte value itself.
    Pointer,
}

struct Conv {
    kind: Kind,
    spec: Spec,
    /// Format bytes `[start, end)` this conversion covers.
    start: usize,
    end: usize,
}

fn align4(bin: &mut Vec<u8>) {
    while !bin.len().is_multiple_of(4) {
        bin.push(0);
    }
}

/// `bpf_bprintf_prepare`: checks `fmt` and packs `args` the way the kernel
/// does (numbers 4-aligned, strings and pre-rendered addresses with their
/// NUL, chars as one byte).
fn prepare(fmt: &[u8], args: &[u64], mem: &mut dyn ArgMemory) -> Result<(Vec<Conv>, Vec<u8>), i64> {
    let at = |i: usize| fmt.get(i).copied().unwrap_or(0);
    let is_end = |c: u8| c == 0 || c.is_ascii_whitespace() || c.is_ascii_punctuation();
    let mut convs = Vec::new();
    let mut bin: Vec<u8> = Vec::new();
    let mut i = 0usize;
    while i < fmt.len() {
        let c = fmt[i];
        // isprint() or isspace() (which includes \v), ASCII only
        if !(c.is_ascii_graphic() || c.is_ascii_whitespace() || c == b' ' || c == 0x0b) {
            return Err(EINVAL);
        }
        if c != b'%' {
            i += 1;
            continue;
        }
        if at(i + 1) == b'%' {
            i += 2;
            continue;
        }
        let Some(&arg) = args.get(convs.len()) else {
            return Err(EINVAL);
        };
        let start = i;
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
        let room = MAX_BIN_ARGS.saturating_sub(bin.len());
        let kind = match at(i) {
            b'p' => {
                let n = at(i + 1);
                if is_end(n) || matches!(n, b'K' | b'x' | b's' | b'S') {
                    i += if is_end(n) { 1 } else { 2 };
                    push_num(&mut bin, arg, 8)?;
                    Kind::Pointer
                } else if (n == b'k' || n == b'u') && at(i + 2) == b's' {
                    if !is_end(at(i + 3)) {
                        return Err(EINVAL);
                    }
                    i += 3;
                    push_string(&mut bin, mem, arg, room)?;
                    Kind::Preformatted
                } else if n == b'B' {
                    // the kernel renders the symbol; bpfbox has none
                    bin.extend_from_slice(format!("{arg:#x}").as_bytes());
                    bin.push(0);
                    i += 2;
                    Kind::Preformatted
                } else if matches!(n, b'i' | b'I') && matches!(at(i + 2), b'4' | b'6') {
                    let v6 = at(i + 2) == b'6';
                    let len = if v6 { 16 } else { 4 };
                    if room < len {
                        return Err(ENOSPC);
                    }
                    let b = mem.bytes(arg, len).unwrap_or_else(|| vec![0; len]);
                    let s = if v6 {
                        fmt_ip6(&b, n == b'I')
                    } else {
                        fmt_ip4(&b, n == b'I')
                    };
                    bin.extend_from_slice(s.as_bytes());
                    bin.push(0);
                    i += 3;
                    Kind::Preformatted
                } else {
                    return Err(EINVAL);
                }
            }
            b's' => {
                if !is_end(at(i + 1)) {
                    return Err(EINVAL);
                }
                i += 1;
                push_string(&mut bin, mem, arg, room)?;
                Kind::Str
            }
            b'c' => {
                if room == 0 {
                    return Err(ENOSPC);
                }
                bin.push(arg as u8);
                i += 1;
                Kind::Char
            }
            _ => {
                let mut size = 4;
                for _ in 0..2 {
                    if at(i) == b'l' {
                        size = 8;
                        i += 1;
                    }
                }
                let conv = at(i);
                if !matches!(conv, b'd' | b'i' | b'u' | b'x' | b'X') {
                    return Err(EINVAL);
                }
                i += 1;
                push_num(&mut bin, arg, size)?;
                Kind::Num { conv, size }
            }
        };
        convs.push(Conv {
            kind,
            spec,
            start,
            end: i,
        });
    }
    Ok((convs, bin))
}

fn push_num(bin: &mut Vec<u8>, v: u64, size: usize) -> Result<(), i64> {
    align4(bin);
    if MAX_BIN_ARGS - bin.len().min(MAX_BIN_ARGS) < size {
        return Err(ENOSPC);
    }
    bin.extend_from_slice(&v.to_le_bytes()[..size]);
    Ok(())
}

/// `bpf_trace_copy_string`: at most `room - 1` bytes and a NUL; an
/// unreadable string packs as an empty one.
fn push_string(
    bin: &mut Vec<u8>,
    mem: &mut dyn ArgMemory,
    addr: u64,
    room: usize,
) -> Result<(), i64> {
    if room == 0 {
        return Err(ENOSPC);
    }
    let s = mem.string(addr, room - 1).unwrap_or_default();
    bin.extend_from_slice(&s[..s.len().min(room - 1)]);
    bin.push(0);
    Ok(())
}

/// A reader over the packed arguments with `bstr_printf`'s `get_arg`
/// alignment; bytes past the packed ones read as zero.
struct Args<'a> {
    bin: &'a [u8],
    pos: usize,
}

impl Args<'_> {
    fn byte(&self, i: usize) -> u8 {
        self.bin.get(i).copied().unwrap_or(0)
    }
    fn num(&mut self, size: usize) -> u64 {
        self.pos = self.pos.next_multiple_of(4);
        let mut b = [0u8; 8];
        for (k, x) in b.iter_mut().take(size).enumerate() {
            *x = self.byte(self.pos + k);
        }
        self.pos += size;
        u64::from_le_bytes(b)
    }
    fn cstr(&self) -> Vec<u8> {
        let rest = self.bin.get(self.pos..).unwrap_or(&[]);
        let n = rest.iter().position(|&c| c == 0).unwrap_or(rest.len());
        rest[..n].to_vec()
    }
}

/// `bstr_printf` into a buffer of `size` bytes: the rendered output,
/// untruncated (its length is the return value before the caller cuts it).
fn render(fmt: &[u8], convs: &[Conv], bin: &[u8], size: usize) -> Vec<u8> {
    let mut out = Vec::new();
    let mut a = Args { bin, pos: 0 };
    let mut i = 0usize;
    let mut next = convs.iter().peekable();
    while i < fmt.len() {
        if let Some(c) = next.peek().filter(|c| c.start == i) {
            match c.kind {
                Kind::Num { conv, size: n } => {
                    let v = a.num(n);
                    pad(
                        &mut out,
                        number(conv, n, v, c.spec).as_bytes(),
                        c.spec,
                        true,
                    );
                }
                Kind::Char => {
                    let v = a.byte(a.pos);
                    a.pos += 1;
                    pad(&mut out, &[v], c.spec, false);
                }
                Kind::Str => {
                    let s = a.cstr();
                    a.pos += s.len() + 1;
                    pad(&mut out, &s, c.spec, false);
                }
                Kind::Pointer => {
                    let v = a.num(8);
                    pad(&mut out, format!("{v:016x}").as_bytes(), c.spec, false);
                }
                Kind::Preformatted => {
                    // copied as is (no width), and skipped once the
                    // output reached the end of the buffer
                    if out.len() < size {
                        let s = a.cstr();
                        a.pos += s.len() + 1;
                        out.extend_from_slice(&s);
                    }
                }
            }
            i = match c.kind {
                Kind::Preformatted | Kind::Pointer => skip_alnum(fmt, c.end),
                _ => c.end,
            };
            next.next();
            continue;
        }
        if fmt[i] == b'%' && fmt.get(i + 1) == Some(&b'%') {
            out.push(b'%');
            i += 2;
            continue;
        }
        out.push(fmt[i]);
        i += 1;
    }
    out
}

fn number(conv: u8, size: usize, v: u64, spec: Spec) -> String {
    match conv {
        b'd' | b'i' => {
            let v = if size == 4 {
                i64::from(v as u32 as i32)
            } else {
                v as i64
            };
            let mut s = v.to_string();
            if v >= 0 && spec.plus {
                s.insert(0, '+');
            } else if v >= 0 && spec.space {
                s.insert(0, ' ');
            }
            s
        }
        b'u' => v.to_string(),
        b'x' => format!("{v:x}"),
        _ => format!("{v:X}"),
    }
}

/// Formats `fmt` (bytes up to the first NUL) with `args` for a buffer of
/// `size` bytes (`bpf_snprintf`'s `str_size`, 1024 for
/// `bpf_trace_printk`). Returns the rendered bytes, without NUL and not cut
/// to `size` (their length is what the helpers report), or a negative errno
/// (`-EINVAL` for a bad format or too few arguments, `-ENOSPC` when the
/// packed arguments exceed 512 bytes).
///
/// The arguments are packed and read back as the kernel does, including
/// its quirk: a pre-rendered argument (`%pI4`, `%pks`, ...) reached when
/// the output already fills the buffer is neither printed nor consumed, so
/// later conversions read the following bytes.
pub fn format(
    fmt: &[u8],
    args: &[u64],
    size: usize,
    mem: &mut dyn ArgMemory,
) -> Result<Vec<u8>, i64> {
    let Some(nul) = fmt.iter().position(|&c| c == 0) else {
        return Err(EINVAL);
    };
    let fmt = &fmt[..nul];
    let (convs, bin) = prepare(fmt, args, mem)?;
    Ok(render(fmt, &convs, &bin, size))
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
        format(&v, args, 1024, &mut NoMem).map(|b| String::from_utf8(b).unwrap())
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
        assert_eq!(format(b"no nul", &[], 1024, &mut NoMem), Err(-22));
    }

    #[test]
    fn kernel_address_rendering() {
        assert_eq!(f("%pi4", &[0]).unwrap(), "001.002.003.004");
        // %pI6c renders as %pI6; the `c` is swallowed
        assert_eq!(
            f("%pI6c|", &[0]).unwrap(),
            "0102:0304:0506:0708:090a:0b0c:0d0e:0f10|"
        );
        // pre-rendered addresses ignore the width
        assert_eq!(f("%9pI4|", &[0]).unwrap(), "1.2.3.4|");
    }

    #[test]
    fn full_buffer_skips_prerendered_arguments() {
        let mut v = b"%pI4|%pI4|%d".to_vec();
        v.push(0);
        // room for the first address only: the second is skipped and %d
        // reads the first bytes of its text ("1.2." little-endian)
        let out = format(&v, &[0, 0, 5], 4, &mut NoMem).unwrap();
        let n = i32::from_le_bytes(*b"1.2.");
        assert_eq!(out, format!("1.2.3.4||{n}").into_bytes());
        let out = format(&v, &[0, 0, 5], 64, &mut NoMem).unwrap();
        assert_eq!(out, b"1.2.3.4|1.2.3.4|5".to_vec());
    }
}

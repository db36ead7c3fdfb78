//! Input files read with a bound: every file a command reads (object,
//! packet, context, event, program) is checked against the largest size
//! it can usefully have before it is read, and read through a limit, so
//! `/dev/zero`, a pipe or a huge file is refused with one line instead of
//! filling memory.
//!
//! The bounds are the kernel's own where it has one:
//! - a packet (`data_in`): [`MAX_PACKET`], the largest frame any
//!   `BPF_PROG_TEST_RUN` runner accepts (XDP with fragments; skb runners
//!   stop at 3712 bytes and answer `EINVAL` themselves);
//! - a context (`ctx_in`): [`MAX_CTX`], one page (the kernel answers
//!   `E2BIG` above it);
//! - raw bytecode: [`MAX_BYTECODE`], the kernel's instruction limit;
//! - text (assembly, JSON events, conformance files) and objects: generous
//!   fixed bounds ([`MAX_TEXT`], [`MAX_OBJECT`]) far above any real file.

use std::io::Read;
use std::path::Path;

/// `PAGE_SIZE` on x86-64.
const PAGE: u64 = 4096;

/// Largest `data_in` the kernel's runners accept, measured on 6.18:
/// XDP's linear part (4096 − 256 headroom − 320 `skb_shared_info` = 3520
/// bytes) plus `MAX_SKB_FRAGS` (17) page fragments = 73152 bytes (73153
/// is `ENOMEM`); plus up to 256 bytes of XDP metadata that `ctx_in` may
/// carve from the front.
pub const MAX_PACKET: u64 = 3520 + 17 * PAGE + 256;
/// Largest `ctx_in`: one page (`bpf_ctx_init` answers `E2BIG` above).
pub const MAX_CTX: u64 = PAGE;
/// Largest raw program: `BPF_COMPLEXITY_LIMIT_INSNS` (1M) instructions of
/// 8 bytes.
pub const MAX_BYTECODE: u64 = 1_000_000 * 8;
/// Largest text input (assembly, JSON events, memory blocks): 32 MiB
/// (1M instructions of assembly are about 20 MB).
pub const MAX_TEXT: u64 = 32 << 20;
/// Largest object file: 1 GiB (a vmlinux-sized object is ~500 MB).
pub const MAX_OBJECT: u64 = 1 << 30;

/// An input file could not be read or is too big.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {cause}")]
pub struct Error {
    /// The file.
    pub path: String,
    /// Why.
    pub cause: String,
}

/// Reads `path`, a `what` (`packet`, `ctx`), refusing it when it holds
/// more than `max` bytes: regular files by their size before reading,
/// anything else (devices, pipes) by reading at most `max + 1` bytes.
pub fn read_bounded(path: &Path, what: &str, max: u64) -> Result<Vec<u8>, Error> {
    let fail = |cause: String| Error {
        path: path.display().to_string(),
        cause,
    };
    let too_big = |size: Option<u64>| {
        let size = size.map_or_else(|| "longer than".into(), |n| format!("{n} bytes, over"));
        fail(format!(
            "{what} is {size} the limit of {max} bytes{}",
            reason(max)
        ))
    };
    let meta = std::fs::metadata(path).map_err(|e| fail(e.to_string()))?;
    if meta.is_dir() {
        return Err(fail(format!("is a directory, not a {what} file")));
    }
    if meta.is_file() && meta.len() > max {
        return Err(too_big(Some(meta.len())));
    }
    let file = std::fs::File::open(path).map_err(|e| fail(e.to_string()))?;
    let mut buf = Vec::with_capacity(if meta.is_file() {
        meta.len() as usize
    } else {
        0
    });
    file.take(max + 1)
        .read_to_end(&mut buf)
        .map_err(|e| fail(e.to_string()))?;
    if buf.len() as u64 > max {
        return Err(too_big(None));
    }
    Ok(buf)
}

/// A reader that fails once more than its limit has been read, naming
/// the file (a device or pipe is stopped there, not read to the end).
pub struct Limited {
    inner: std::io::Take<std::fs::File>,
    what: String,
    max: u64,
}

impl Read for Limited {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n == 0 && self.inner.limit() == 0 {
            return Err(std::io::Error::other(format!(
                "{} is longer than the limit of {} bytes",
                self.what, self.max
            )));
        }
        Ok(n)
    }
}

/// Opens `path`, a `what`, to be read as a stream of at most `max` bytes
/// (checked by size first for a regular file).
pub fn open_bounded(
    path: &Path,
    what: &str,
    max: u64,
) -> Result<std::io::BufReader<Limited>, Error> {
    let fail = |cause: String| Error {
        path: path.display().to_string(),
        cause,
    };
    let meta = std::fs::metadata(path).map_err(|e| fail(e.to_string()))?;
    if meta.is_dir() {
        return Err(fail(format!("is a directory, not a {what} file")));
    }
    if meta.is_file() && meta.len() > max {
        return Err(fail(format!(
            "{what} is {} bytes, over the limit of {max} bytes",
            meta.len()
        )));
    }
    let file = std::fs::File::open(path).map_err(|e| fail(e.to_string()))?;
    Ok(std::io::BufReader::new(Limited {
        inner: file.take(max + 1),
        what: what.to_string(),
        max,
    }))
}

/// Whether `path` starts with the ELF magic, reading only those 4 bytes.
pub fn is_elf(path: &Path) -> Result<bool, Error> {
    let fail = |e: std::io::Error| Error {
        path: path.display().to_string(),
        cause: e.to_string(),
    };
    if std::fs::metadata(path).map_err(fail)?.is_dir() {
        return Err(Error {
            path: path.display().to_string(),
            cause: "is a directory".into(),
        });
    }
    let mut head = Vec::with_capacity(4);
    std::fs::File::open(path)
        .and_then(|f| f.take(4).read_to_end(&mut head))
        .map_err(fail)?;
    Ok(head == b"\x7fELF")
}

/// Reads a UTF-8 text file of at most [`MAX_TEXT`] bytes.
pub fn read_text(path: &Path, what: &str) -> Result<String, Error> {
    let bytes = read_bounded(path, what, MAX_TEXT)?;
    String::from_utf8(bytes).map_err(|e| Error {
        path: path.display().to_string(),
        cause: format!(
            "{what} is not UTF-8 text (byte {})",
            e.utf8_error().valid_up_to()
        ),
    })
}

fn reason(max: u64) -> &'static str {
    match max {
        MAX_PACKET => " (the largest packet BPF_PROG_TEST_RUN accepts: XDP with 17 fragments)",
        MAX_CTX => " (BPF_PROG_TEST_RUN refuses a ctx_in over a page)",
        MAX_BYTECODE => " (the kernel's limit of 1M instructions)",
        _ => "",
    }
}

/// `s` cut to at most `max` characters for an error line, saying how
/// long it was: `"aaaa…" (100000 characters)`.
pub fn cut(s: &str, max: usize) -> String {
    let n = s.chars().count();
    if n <= max {
        return s.to_string();
    }
    let head: String = s.chars().take(max).collect();
    format!("{head}… ({n} characters)")
}

/// `msg` with every word (whitespace-separated run) longer than `max`
/// characters [`cut`] to `max`: an error line that echoes a huge bad
/// value stays readable and says how long the value was.
pub fn cut_long_words(msg: &str, max: usize) -> String {
    if msg.len() <= max {
        return msg.to_string();
    }
    let mut out = String::with_capacity(msg.len().min(4 * max));
    let mut rest = msg;
    while !rest.is_empty() {
        let ws = rest
            .find(|c: char| !c.is_whitespace())
            .unwrap_or(rest.len());
        out.push_str(&rest[..ws]);
        rest = &rest[ws..];
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        out.push_str(&cut(&rest[..end], max));
        rest = &rest[end..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmp(name: &str, bytes: &[u8]) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("bpfbox-input-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    }

    #[test]
    fn regular_files_are_refused_by_size_before_reading() {
        let p = tmp("big.bin", &vec![0; 5000]);
        let e = read_bounded(&p, "ctx", MAX_CTX).unwrap_err().to_string();
        assert!(
            e.contains("big.bin") && e.contains("ctx is 5000 bytes, over the limit of 4096"),
            "{e}"
        );
        assert_eq!(read_bounded(&p, "packet", MAX_PACKET).unwrap().len(), 5000);
    }

    #[test]
    fn endless_devices_stop_at_the_bound() {
        let e = read_bounded(Path::new("/dev/zero"), "packet", MAX_PACKET)
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("/dev/zero: packet is longer than the limit of 73408 bytes"),
            "{e}"
        );
        let e = read_bounded(Path::new("/"), "packet", MAX_PACKET).unwrap_err();
        assert!(e.to_string().contains("is a directory"), "{e}");
    }

    #[test]
    fn streams_stop_at_the_bound() {
        let mut r = open_bounded(Path::new("/dev/zero"), "event", 1000).unwrap();
        let mut v = Vec::new();
        let e = r.read_to_end(&mut v).unwrap_err().to_string();
        assert_eq!(e, "event is longer than the limit of 1000 bytes");
        assert!(v.len() <= 1001);
        let p = tmp("small.json", b"[1]");
        let mut s = String::new();
        open_bounded(&p, "event", 3)
            .unwrap()
            .read_to_string(&mut s)
            .unwrap();
        assert_eq!(s, "[1]");
        let e = open_bounded(&p, "event", 2).err().unwrap().to_string();
        assert!(
            e.ends_with("event is 3 bytes, over the limit of 2 bytes"),
            "{e}"
        );
    }

    #[test]
    fn cut_says_how_long_the_value_was() {
        assert_eq!(cut("short", 10), "short");
        let long = "x".repeat(100_000);
        let c = cut(&long, 20);
        assert!(c.len() < 60 && c.ends_with("(100000 characters)"), "{c}");
        let line = format!("bad value `{long}` in field x");
        let c = cut_long_words(&line, 40);
        assert!(
            c.starts_with("bad value `xxx") && c.ends_with("(100002 characters) in field x"),
            "{c}"
        );
    }
}

//! Reading a `.data` file into a [`TestCase`].

use crate::{Error, ErrorKind, TestCase};
use bpfbox_asm::{assemble_as, Syntax};
use bpfbox_isa::RawInsn;
use std::path::Path;

/// The sections a file may have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Section {
    Asm,
    Raw,
    Mem,
    Result,
    Error,
    NoRegisterOffset,
    C,
}

fn section(name: &str) -> Option<Section> {
    Some(match name {
        "asm" => Section::Asm,
        "raw" => Section::Raw,
        "mem" => Section::Mem,
        "result" => Section::Result,
        "error" => Section::Error,
        "no register offset" => Section::NoRegisterOffset,
        "c" => Section::C,
        _ => return None,
    })
}

/// Body lines of one section, with the 1-based line number of the header.
struct Body {
    line: usize,
    text: String,
}

fn err(line: usize, kind: ErrorKind) -> Error {
    Error {
        line: Some(line),
        kind,
    }
}

/// Drops a `#` comment (at line start or after whitespace) and trims.
fn strip(line: &str) -> &str {
    let b = line.as_bytes();
    let end = (0..b.len())
        .find(|&i| b[i] == b'#' && (i == 0 || b[i - 1].is_ascii_whitespace()))
        .unwrap_or(b.len());
    line[..end].trim()
}

fn tokens(body: &Body) -> Vec<&str> {
    body.text
        .lines()
        .flat_map(|l| strip(l).split_whitespace())
        .collect()
}

/// `-- raw`: `0x` + 16 hex digits per instruction word, or one hex byte per
/// token (8 per instruction).
fn raw(body: &Body) -> Result<Vec<RawInsn>, Error> {
    let toks = tokens(body);
    let bad = |what: String| err(body.line, ErrorKind::BadRaw(what));
    let words = toks.iter().all(|t| t.starts_with("0x") && t.len() == 18);
    if words {
        return toks
            .iter()
            .map(|t| {
                u64::from_str_radix(&t[2..], 16)
                    .map(RawInsn::from_u64)
                    .map_err(|_| bad(format!("`{t}` is not a 64-bit hex word")))
            })
            .collect();
    }
    let mut bytes = Vec::with_capacity(toks.len());
    for t in &toks {
        let digits = t.strip_prefix("0x").unwrap_or(t);
        if digits.is_empty() || digits.len() > 2 {
            return Err(bad(format!(
                "`{t}` is neither a byte nor a 0x-prefixed 64-bit word"
            )));
        }
        bytes.push(u8::from_str_radix(digits, 16).map_err(|_| bad(format!("`{t}` is not hex")))?);
    }
    if bytes.len() % 8 != 0 {
        return Err(bad(format!(
            "{} bytes is not a whole number of 8-byte instructions",
            bytes.len()
        )));
    }
    bpfbox_isa::slots_from_bytes(&bytes).ok_or_else(|| bad("length".into()))
}

fn mem(body: &Body) -> Result<Vec<u8>, Error> {
    tokens(body)
        .iter()
        .map(|t| {
            let d = t.strip_prefix("0x").unwrap_or(t);
            match d.len() {
                1 | 2 => u8::from_str_radix(d, 16).ok(),
                _ => None,
            }
            .ok_or_else(|| err(body.line, ErrorKind::BadMem(t.to_string())))
        })
        .collect()
}

/// `-- result`: `0x` hex, or decimal without the prefix (as the
/// bpf_conformance runner reads it).
fn result(body: &Body) -> Result<u64, Error> {
    let toks = tokens(body);
    let bad = || err(body.line, ErrorKind::BadResult(toks.join(" ")));
    let [t] = toks.as_slice() else {
        return Err(bad());
    };
    match t.strip_prefix("0x") {
        Some(h) => u64::from_str_radix(h, 16).map_err(|_| bad()),
        None => t.parse::<u64>().map_err(|_| bad()),
    }
}

/// Parses the text of a `.data` file. The result's `name` is empty and
/// `negative` false; [`load`] fills both from the path.
pub fn parse(text: &str) -> Result<TestCase, Error> {
    let mut bodies: Vec<(Section, Body)> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        let line = line.strip_suffix('\r').unwrap_or(line);
        if let Some(name) = line.strip_prefix("--") {
            let name = name.trim();
            let s = section(name)
                .ok_or_else(|| err(n, ErrorKind::UnknownDirective(name.to_string())))?;
            if bodies.iter().any(|(x, _)| *x == s) {
                return Err(err(n, ErrorKind::DuplicateSection(name.to_string())));
            }
            bodies.push((
                s,
                Body {
                    line: n,
                    text: String::new(),
                },
            ));
            continue;
        }
        match bodies.last_mut() {
            Some((_, body)) => {
                body.text.push_str(line);
                body.text.push('\n');
            }
            None if strip(line).is_empty() => {}
            None => return Err(err(n, ErrorKind::TextOutsideSection)),
        }
    }
    let get = |s: Section| bodies.iter().find(|(x, _)| *x == s).map(|(_, b)| b);

    let asm_prog = match get(Section::Asm) {
        Some(b) => {
            // Line numbers in assembler errors count from the file's top.
            let padded = "\n".repeat(b.line) + &b.text;
            Some(
                assemble_as(&padded, Syntax::Conformance).map_err(|e| Error {
                    line: Some(e.line()),
                    kind: ErrorKind::Asm(e),
                })?,
            )
        }
        None => None,
    };
    let raw_prog = get(Section::Raw).map(raw).transpose()?;
    let program = match (asm_prog, raw_prog) {
        (Some(a), Some(r)) if a != r => {
            let line = get(Section::Raw).map_or(0, |b| b.line);
            return Err(err(line, ErrorKind::AsmRawMismatch));
        }
        (_, Some(p)) | (Some(p), None) => p,
        (None, None) => {
            return Err(Error {
                line: None,
                kind: ErrorKind::NoProgram,
            })
        }
    };
    let text_of = |s: Section| get(s).map(|b| b.text.trim().to_string());
    Ok(TestCase {
        name: String::new(),
        asm: text_of(Section::Asm),
        program,
        mem: get(Section::Mem).map(mem).transpose()?.unwrap_or_default(),
        result: get(Section::Result).map(result).transpose()?,
        expect_error: get(Section::Error).is_some(),
        error_text: text_of(Section::Error).filter(|t| !t.is_empty()),
        no_register_offset: text_of(Section::NoRegisterOffset),
        c_source: text_of(Section::C),
        negative: false,
    })
}

/// Largest `.data` file read (the suite's are a few KB).
pub const MAX_DATA_FILE: u64 = 16 << 20;

/// Reads a text file of at most [`MAX_DATA_FILE`] bytes (a device or pipe
/// is read only that far).
fn read_text(path: &Path) -> Result<String, std::io::Error> {
    use std::io::{Error as IoError, ErrorKind as Io, Read};
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(MAX_DATA_FILE + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_DATA_FILE {
        return Err(IoError::new(
            Io::InvalidData,
            format!("larger than the limit of {MAX_DATA_FILE} bytes for a .data file"),
        ));
    }
    String::from_utf8(bytes).map_err(|_| IoError::new(Io::InvalidData, "not UTF-8 text"))
}

/// Reads and parses a `.data` file. `name` is the file stem; `negative` is
/// set when the file sits in a directory named `negative` (the suite's
/// programs that must be refused, whether or not they have `-- error`).
pub fn load(path: &Path) -> Result<TestCase, Error> {
    let text = read_text(path).map_err(|e| Error {
        line: None,
        kind: ErrorKind::Io(format!("{}: {e}", path.display())),
    })?;
    let mut case = parse(&text)?;
    case.name = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    case.negative = is_negative_path(path);
    Ok(case)
}

/// Whether `path` is in the suite's `negative/` directory.
pub fn is_negative_path(path: &Path) -> bool {
    path.parent()
        .and_then(|p| p.file_name())
        .is_some_and(|n| n == "negative")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections() {
        let c = parse(
            "# header\n-- asm\nmov %r0, 1 # c\nexit\n-- mem\n11 22\n33\n-- result\n0x1\n\
             -- no register offset\ncall instruction\n",
        )
        .unwrap();
        assert_eq!(c.program.len(), 2);
        assert_eq!(c.mem, vec![0x11, 0x22, 0x33]);
        assert_eq!(c.result, Some(1));
        assert_eq!(c.no_register_offset.as_deref(), Some("call instruction"));
        assert!(!c.expect_error);
    }

    #[test]
    fn raw_words_and_bytes() {
        let w = parse("-- raw\n0x0000000000000095\n-- result\n0\n").unwrap();
        assert_eq!(w.program, vec![RawInsn::new(0x95, 0, 0, 0, 0)]);
        assert_eq!(w.result, Some(0));
        let b =
            parse("-- raw\n07 00 01 00 01 00 00 00\n95 00 00 00 00 00 00 00\n-- error\n").unwrap();
        assert_eq!(b.program[0], RawInsn::new(0x07, 0, 0, 1, 1));
        assert!(b.expect_error);
        assert_eq!(b.error_text, None);
        assert!(parse("-- raw\n07 00 01\n").is_err());
    }

    #[test]
    fn refusals() {
        let k = |t: &str| parse(t).unwrap_err().kind;
        assert_eq!(k("# nothing\n"), ErrorKind::NoProgram);
        assert_eq!(k("-- result\n0x0\n"), ErrorKind::NoProgram);
        assert_eq!(
            k("-- asm\n-- Unknown directive\n"),
            ErrorKind::UnknownDirective("Unknown directive".into())
        );
        assert!(matches!(k("-- asm\nor %r0, %r50\n"), ErrorKind::Asm(_)));
        assert_eq!(k("exit\n"), ErrorKind::TextOutsideSection);
        assert_eq!(
            k("-- asm\nexit\n-- raw\n0x0000000000000000\n"),
            ErrorKind::AsmRawMismatch
        );
        assert!(matches!(
            k("-- asm\nexit\n-- result\nzz\n"),
            ErrorKind::BadResult(_)
        ));
        assert!(matches!(
            k("-- asm\nexit\n-- mem\n123\n"),
            ErrorKind::BadMem(_)
        ));
        let e = parse("# c\n-- asm\nexit\nldxq %r0, %r1\n").unwrap_err();
        assert_eq!(e.line, Some(4));
    }
}

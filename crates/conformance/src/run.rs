//! Running a [`TestCase`] against a caller-supplied engine.

use crate::{load, Error, ErrorKind, TestCase};
use bpfbox_isa::{decode, RawInsn};
use std::path::{Path, PathBuf};

/// An execution engine: program slots and `-- mem` bytes in, r0 (or the
/// reason the program was refused) out.
pub type Engine<'a> = dyn FnMut(&[RawInsn], &[u8]) -> Result<u64, String> + 'a;

/// The verdict on one test.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The runtime behaved as the test requires.
    Pass,
    /// It did not.
    Fail {
        /// What went wrong.
        reason: String,
    },
}

impl Outcome {
    /// Whether this is [`Outcome::Pass`].
    pub fn passed(&self) -> bool {
        *self == Outcome::Pass
    }
}

fn fail(reason: String) -> Outcome {
    Outcome::Fail { reason }
}

/// Why the program is refused before it runs (it does not decode with the
/// kernel's field checks), or `None` if it decodes.
pub fn static_refusal(case: &TestCase) -> Option<String> {
    decode(&case.program).err().map(|e| e.to_string())
}

/// Runs one parsed test.
///
/// A test that must be refused ([`TestCase::must_refuse`]) passes when the
/// program does not decode, when the engine refuses it, or when the engine
/// returns something other than the file's `-- result`. Any other test
/// passes when the program decodes and the engine returns exactly
/// `-- result`.
pub fn run_case(case: &TestCase, engine: &mut Engine<'_>) -> Outcome {
    let refuse = case.must_refuse();
    if let Some(why) = static_refusal(case) {
        return if refuse {
            Outcome::Pass
        } else {
            fail(format!("program does not decode: {why}"))
        };
    }
    match engine(&case.program, &case.mem) {
        Err(_) if refuse => Outcome::Pass,
        Err(e) => fail(format!("engine refused the program: {e}")),
        Ok(v) if refuse => match case.result {
            Some(r) if r != v => Outcome::Pass,
            _ => fail(format!("program was not refused (returned {v:#x})")),
        },
        Ok(v) => match case.result {
            Some(r) if r == v => Outcome::Pass,
            Some(r) => fail(format!("returned {v:#x}, expected {r:#x}")),
            None => fail(format!("returned {v:#x}, but the test has no `-- result`")),
        },
    }
}

/// Loads and runs one file. A file that cannot be parsed (or assembled)
/// passes when it must be refused (it is in `negative/`), and fails
/// otherwise.
pub fn run_file(path: &Path, engine: &mut Engine<'_>) -> Outcome {
    match load(path) {
        Ok(case) => run_case(&case, engine),
        Err(e) if matches!(e.kind, ErrorKind::Io(_)) => fail(e.to_string()),
        Err(_) if crate::is_negative_path(path) => Outcome::Pass,
        Err(e) => fail(format!("cannot read test: {e}")),
    }
}

/// Runs every `*.data` file of `dir`, in name order.
pub fn run_dir(dir: &Path, engine: &mut Engine<'_>) -> Result<Vec<(PathBuf, Outcome)>, Error> {
    let io = |e: std::io::Error| Error {
        line: None,
        kind: ErrorKind::Io(format!("{}: {e}", dir.display())),
    };
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let p = entry.map_err(io)?.path();
        if p.extension().is_some_and(|e| e == "data") {
            files.push(p);
        }
    }
    files.sort();
    Ok(files
        .into_iter()
        .map(|p| {
            let o = run_file(&p, engine);
            (p, o)
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse;

    fn case(text: &str) -> TestCase {
        parse(text).unwrap()
    }

    #[test]
    fn positive_results() {
        let c = case("-- asm\nmov %r0, 2\nexit\n-- result\n0x2\n");
        assert!(run_case(&c, &mut |_, _| Ok(2)).passed());
        assert_eq!(
            run_case(&c, &mut |_, _| Ok(3)),
            fail("returned 0x3, expected 0x2".into())
        );
        assert!(!run_case(&c, &mut |_, _| Err("no".into())).passed());
    }

    #[test]
    fn engine_sees_program_and_memory() {
        let c = case("-- asm\nldxb %r0, [%r1]\nexit\n-- mem\n2a\n-- result\n0x2a\n");
        let mut seen = None;
        let o = run_case(&c, &mut |p, m| {
            seen = Some((p.len(), m.to_vec()));
            Ok(m[0] as u64)
        });
        assert!(o.passed());
        assert_eq!(seen, Some((2, vec![0x2a])));
    }

    #[test]
    fn refusals() {
        // Undecodable: refused before the engine runs.
        let mut c = case("-- raw\n07 00 01 00 01 00 00 00\n95 00 00 00 00 00 00 00\n-- error\n");
        let mut ran = false;
        assert!(run_case(&c, &mut |_, _| {
            ran = true;
            Ok(0)
        })
        .passed());
        assert!(!ran);
        // Decodable negative: the engine must refuse or disagree.
        c = case("-- asm\nmov %r0, 1\nexit\n-- result\n0x2\n");
        c.negative = true;
        assert!(run_case(&c, &mut |_, _| Err("refused".into())).passed());
        assert!(run_case(&c, &mut |_, _| Ok(1)).passed());
        assert!(!run_case(&c, &mut |_, _| Ok(2)).passed());
        // A positive test whose program does not decode fails.
        let bad = case("-- raw\n0x0000000000000000\n-- result\n0x0\n");
        let p = parse("-- raw\n07 00 01 00 01 00 00 00\n95 00 00 00 00 00 00 00\n").unwrap();
        assert!(static_refusal(&p).is_some());
        assert!(!run_case(&bad, &mut |_, _| Ok(0)).passed());
    }
}

//! Running the bpf_conformance suite on bpfbox's interpreter.

use crate::rawprog;
use serde::Serialize;
use std::path::{Path, PathBuf};

pub use bpfbox_conformance as format;

/// The verdict on one `.data` file.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct CaseResult {
    /// The file.
    pub file: String,
    /// Why it failed; `None` when it passed.
    pub failure: Option<String>,
}

/// The interpreter as a conformance engine: the verifier's first layer
/// checks the program, then r1 = copy of the test's memory, r2 = its
/// length, helper 5 = "unwind".
pub fn interp_engine(slots: &[bpfbox_isa::RawInsn], mem: &[u8]) -> Result<u64, String> {
    rawprog::exec_interp(slots, mem.to_vec(), None, true)
        .map(|o| o.r0)
        .map_err(|e| e.to_string())
}

/// Expands directories into the `*.data` files under them, in every
/// subdirectory (symbolic links to directories are not followed, so a
/// loop cannot recurse forever), sorted; files are kept as given. A
/// directory with no `.data` file under it is an error naming it.
pub fn expand(paths: &[PathBuf]) -> Result<Vec<PathBuf>, std::io::Error> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut files = Vec::new();
            walk(p, &mut files)?;
            if files.is_empty() {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    format!(
                        "{}: no test found (no .data file in it or its subdirectories)",
                        p.display()
                    ),
                ));
            }
            files.sort();
            out.extend(files);
        } else {
            out.push(p.clone());
        }
    }
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), std::io::Error> {
    let ctx = |e: std::io::Error| std::io::Error::new(e.kind(), format!("{}: {e}", dir.display()));
    for entry in std::fs::read_dir(dir).map_err(ctx)? {
        let entry = entry.map_err(ctx)?;
        let path = entry.path();
        let ty = entry.file_type().map_err(ctx)?;
        if ty.is_dir() {
            walk(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "data") {
            out.push(path);
        }
    }
    Ok(())
}

/// Runs one file on the interpreter.
pub fn run_file(path: &Path) -> CaseResult {
    let outcome = format::run_file(path, &mut interp_engine);
    CaseResult {
        file: path.display().to_string(),
        failure: match outcome {
            format::Outcome::Pass => None,
            format::Outcome::Fail { reason } => Some(reason),
        },
    }
}

/// Runs files and directories of files on the interpreter.
pub fn run_paths(paths: &[PathBuf]) -> Result<Vec<CaseResult>, std::io::Error> {
    Ok(expand(paths)?.iter().map(|p| run_file(p)).collect())
}

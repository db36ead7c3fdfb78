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

/// Expands directories into their `*.data` files (sorted); files are kept
/// as given.
pub fn expand(paths: &[PathBuf]) -> Result<Vec<PathBuf>, std::io::Error> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut files: Vec<PathBuf> = std::fs::read_dir(p)?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| f.extension().is_some_and(|e| e == "data"))
                .collect();
            files.sort();
            out.extend(files);
        } else {
            out.push(p.clone());
        }
    }
    Ok(out)
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

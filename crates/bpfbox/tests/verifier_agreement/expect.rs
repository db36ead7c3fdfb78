//! Checked-in expectation files: one known disagreement per line,
//! `<status> <program> <detail>  # <comment>`. The comparison ignores
//! comments; the test fails when a disagreement appears that is not
//! listed, and when a listed one is gone (so the list only shrinks, and
//! progress is recorded). `BPFBOX_BLESS=1` rewrites the file.

use std::collections::BTreeSet;
use std::path::Path;

/// One known disagreement.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Entry {
    /// `gap` (bpfbox accepts, the kernel refuses), `strict` (bpfbox
    /// refuses, the kernel accepts), `class` (both refuse, for different
    /// reasons), `name` (the kernel's verdict is not the one the program's
    /// `ok_`/`bad_` name promises: a corpus program that does not test its
    /// rule on this kernel).
    pub status: &'static str,
    /// `object:program`, or a random case's id.
    pub key: String,
    /// Class details, compared.
    pub detail: String,
    /// Shown after `#`, not compared (the kernel's own line, say).
    pub comment: String,
}

impl Entry {
    fn id(&self) -> String {
        format!("{} {} {}", self.status, self.key, self.detail)
    }
}

fn read_ids(path: &Path) -> BTreeSet<String> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .map(|l| l.split('#').next().unwrap_or("").trim())
        .filter(|l| !l.is_empty())
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect()
}

/// Compares `entries` with the file at `path` (or rewrites it when
/// blessing). Returns the failure message, if any.
pub fn check(path: &Path, header: &str, entries: &[Entry]) -> Result<(), String> {
    let mut sorted = entries.to_vec();
    sorted.sort();
    if crate::blessing() {
        let mut text = String::new();
        for l in header.lines() {
            text.push_str(&format!("# {l}\n").replace("# \n", "#\n"));
        }
        for e in &sorted {
            let line = e.id();
            if e.comment.is_empty() {
                text.push_str(&format!("{line}\n"));
            } else {
                text.push_str(&format!("{line:<72} # {}\n", e.comment.replace('\n', " ")));
            }
        }
        std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))?;
        eprintln!("blessed {} ({} entries)", path.display(), sorted.len());
        return Ok(());
    }
    let expected = read_ids(path);
    let current: BTreeSet<String> = sorted.iter().map(Entry::id).collect();
    let new: Vec<_> = current.difference(&expected).collect();
    let gone: Vec<_> = expected.difference(&current).collect();
    if new.is_empty() && gone.is_empty() {
        return Ok(());
    }
    let mut msg = format!("{} is out of date:\n", path.display());
    for n in &new {
        let c = sorted
            .iter()
            .find(|e| &&e.id() == n)
            .map_or("", |e| e.comment.as_str());
        msg.push_str(&format!("  NEW   {n}   # {c}\n"));
    }
    for g in &gone {
        msg.push_str(&format!("  FIXED {g}\n"));
    }
    msg.push_str(
        "a NEW line is a regression (or a new program): fix it, or list it if it is known; \
         a FIXED line is progress: rerun with BPFBOX_BLESS=1 \
         (cargo test -p bpfbox --test verifier_agreement) to record it\n",
    );
    Err(msg)
}

//! Rendering reports as text or JSON, and errors as one line.

use super::GlobalOpts;
use serde::Serialize;
use std::io::{self, Write};
use std::process::ExitCode;

/// A command's result: data that renders as text or serializes to JSON.
pub trait Report: Serialize {
    /// Writes the human-readable form.
    fn text(&self, w: &mut dyn Write) -> io::Result<()>;
}

/// Prints `report` according to the global options. A closed pipe is not
/// an error.
pub fn print<R: Report>(g: &GlobalOpts, report: &R) -> anyhow::Result<()> {
    let stdout = io::stdout();
    let mut w = stdout.lock();
    let res = if g.json() {
        let s = if g.pretty {
            serde_json::to_string_pretty(report)
        } else {
            serde_json::to_string(report)
        }?;
        writeln!(w, "{s}")
    } else {
        report.text(&mut w)
    };
    match res.and_then(|_| w.flush()) {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        r => Ok(r?),
    }
}

/// Prints an error as `bpfbox: cause: cause...` (or `{"error": ...}` with
/// --json) and returns exit code 1.
pub fn report_error(g: &GlobalOpts, e: &anyhow::Error) -> ExitCode {
    if e.chain().any(|c| {
        c.downcast_ref::<io::Error>()
            .is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
    }) {
        return ExitCode::SUCCESS;
    }
    // a bad value echoed whole (a 100 KB hex string) is cut, with its length
    let msg = bpfbox::input::cut_long_words(&format!("{e:#}").replace('\n', " "), 200);
    if g.json() {
        println!("{}", serde_json::json!({ "error": msg }));
    } else {
        eprintln!("bpfbox: {msg}");
    }
    ExitCode::from(1)
}

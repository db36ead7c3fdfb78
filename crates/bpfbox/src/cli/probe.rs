//! `bpfbox probe`: measure what the running kernel offers to BPF programs.

use super::GlobalOpts;
use anyhow::Result;
use bpfbox_progtype::Profile;
use std::io::Write;
use std::process::ExitCode;

/// Options of `bpfbox probe` (its help text is on `Command::Probe`).
#[derive(clap::Args, Debug)]
pub struct ProbeArgs {
    /// Print the built-in model's profile instead of probing (with --json:
    /// a starting point for a hand-written profile).
    #[arg(long)]
    pub builtin: bool,
}

pub fn run(g: &GlobalOpts, a: ProbeArgs) -> Result<ExitCode> {
    let p = if a.builtin {
        Profile::builtin_shared()
    } else {
        bpfbox::profiles::running()?
    };
    let stdout = std::io::stdout();
    let mut w = stdout.lock();
    let res = if g.json() {
        let text = if g.pretty || !g.json {
            p.to_json()
        } else {
            serde_json::to_string(&*p)?
        };
        writeln!(w, "{text}")
    } else {
        let diffs = p.differences(Profile::builtin());
        if diffs.is_empty() && !g.quiet {
            writeln!(
                w,
                "Linux {}: no differences from the built-in model (upstream 6.18, every BPF option on)",
                p.kernel.release
            )
        } else {
            diffs.iter().try_for_each(|d| writeln!(w, "{d}"))
        }
    };
    match res.and_then(|_| w.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(ExitCode::SUCCESS),
        r => {
            r?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

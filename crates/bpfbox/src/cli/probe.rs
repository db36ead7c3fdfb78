//! `bpfbox probe`: measure what the running kernel offers to BPF programs.

use super::GlobalOpts;
use anyhow::Result;
use bpfbox_progtype::Profile;
use std::io::Write;
use std::process::ExitCode;

/// Measure the running kernel's BPF profile (needs root): program types,
/// helpers per program type and expected attach type, map types, and
/// behaviour facts.
///
/// Without --json, prints one line per difference from bpfbox's built-in
/// model (upstream Linux 6.18 with every BPF option on), e.g.
/// `BPF_PROG_TYPE_XDP: helper bpf_xdp_adjust_meta (54) missing`.
/// With --json, writes the whole profile: a file to carry to another
/// machine and give to `--kernel PROFILE.json` of `verify`, `run`,
/// `fire` and `diff`, which then refuse exactly what that kernel refuses.
///
/// A helper counts as missing when the verifier says "program of this
/// type cannot use helper", "unknown func" or "invalid func" (or another
/// per-type refusal); other load errors mean the helper exists.
#[derive(clap::Args, Debug)]
#[command(verbatim_doc_comment)]
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

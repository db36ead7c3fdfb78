//! Command definitions (clap derive), dispatch, error reporting and exit
//! codes: 0 success, 1 failure or bad input, 2 usage errors (clap).

mod asm;
mod conformance;
mod diff;
mod exec;
mod fire;
mod output;
mod packets;
mod probe;
mod prog;
mod run;
mod setup;
mod types;
mod verify;

use clap::{Args, Parser, Subcommand};
use std::process::ExitCode;

/// Run and check eBPF programs of every Linux program type in userspace.
#[derive(Parser, Debug)]
#[command(name = "bpfbox", version, about, max_term_width = 100)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalOpts,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command accepts.
#[derive(Args, Debug, Clone)]
pub struct GlobalOpts {
    /// Print one JSON object (or JSON Lines for streams) instead of text.
    #[arg(long, global = true)]
    pub json: bool,
    /// Pretty-print JSON (implies --json).
    #[arg(long, global = true)]
    pub pretty: bool,
    /// Print less: only results.
    #[arg(short, long, global = true)]
    pub quiet: bool,
}

impl GlobalOpts {
    /// Whether output is JSON.
    pub fn json(&self) -> bool {
        self.json || self.pretty
    }
}

/// Which engine runs a program.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    /// bpfbox's interpreter.
    Interp,
    /// The running Linux kernel (BPF_PROG_LOAD + BPF_PROG_TEST_RUN; needs root).
    Kernel,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run a raw program: r1 points at a copy of --mem (or is 0), r2 is its
    /// length; the last line of output is r0.
    Exec(exec::ExecArgs),
    /// Assemble a `.s` file (pseudo-C or bpf_conformance syntax, detected).
    Asm(asm::AsmArgs),
    /// Disassemble raw bytecode into the pseudo-C syntax of `llvm-objdump -d`.
    Disasm(asm::DisasmArgs),
    /// Run bpf_conformance `.data` files (or directories of them).
    Conformance(conformance::ConformanceArgs),
    /// Speak the upstream bpf_conformance runner's plugin protocol.
    ConformancePlugin(conformance::PluginArgs),
    /// Run an object's program on a packet or a capture (BPF_PROG_TEST_RUN semantics).
    Run(run::RunArgs),
    /// Run on bpfbox and in the kernel; show every difference (exit 1 if any).
    Diff(diff::DiffArgs),
    /// Inspect programs in an object file.
    #[command(subcommand)]
    Prog(prog::ProgCmd),
    /// Run an event-driven program (cgroup, sock_ops, kprobe, ...) on JSON events.
    Fire(fire::FireArgs),
    /// Check programs with bpfbox's verifier; diagnostics point at the C source line.
    Verify(verify::VerifyArgs),
    /// Explain a verifier diagnostic code (`uninit_reg` or `bpfbox::verifier::uninit_reg`).
    Explain {
        /// The code.
        code: String,
    },
    /// Describe the program types of Linux 6.18 (all, or one in full).
    Types(types::TypesArgs),
    /// Maps of an object: `map dump` prints their initial state as a setup.
    #[command(subcommand)]
    Map(setup::MapCmd),
    /// Measure what the running kernel offers (program types, helpers, map
    /// types); print where it differs from the built-in model, or --json.
    ///
    /// Needs root. Measures program types, the helpers each program type
    /// (and expected attach type) may call, map types and behaviour facts
    /// (XDP live-frame test runs).
    ///
    /// Without --json, prints one line per difference from bpfbox's built-in
    /// model (upstream Linux 6.18 with every BPF option on), e.g.
    /// `BPF_PROG_TYPE_XDP: helper bpf_xdp_adjust_meta (54) missing`.
    ///
    /// With --json, writes the whole profile (format `bpfbox-kernel-profile`,
    /// version 1): a file to carry from a production host to a laptop and give
    /// to `--kernel PROFILE.json` of `verify`, `run`, `fire` and `diff`, which
    /// then refuse exactly what that kernel refuses, in its words.
    ///
    /// A helper counts as missing when the verifier says "program of this type
    /// cannot use helper", "unknown func" or "invalid func" (or another
    /// per-type refusal); any other load error means the helper exists.
    Probe(probe::ProbeArgs),
}

/// Parses arguments, runs the command, prints errors as one `bpfbox:` line.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage_error(e),
    };
    let g = cli.global.clone();
    let result = match cli.command {
        Command::Exec(a) => exec::run(&g, a),
        Command::Asm(a) => asm::run_asm(&g, a),
        Command::Disasm(a) => asm::run_disasm(&g, a),
        Command::Conformance(a) => conformance::run(&g, a),
        Command::ConformancePlugin(a) => conformance::run_plugin(a),
        Command::Run(a) => run::run(&g, a),
        Command::Diff(a) => diff::run(&g, a),
        Command::Prog(c) => prog::run(&g, c),
        Command::Types(a) => types::run(&g, a),
        Command::Fire(a) => fire::run(&g, a),
        Command::Verify(a) => verify::run(&g, a),
        Command::Map(c) => setup::run_map(&g, c),
        Command::Explain { code } => explain(&g, &code),
        Command::Probe(a) => probe::run(&g, a),
    };
    match result {
        Ok(code) => code,
        Err(e) => output::report_error(&g, &e),
    }
}

/// A clap error: help and version as clap prints them; usage errors on
/// stderr with any huge echoed value cut (a 100 KB `--repeat` value is
/// not printed whole), exit 2.
fn usage_error(e: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    if matches!(
        e.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    ) {
        e.exit();
    }
    let text = e.render().to_string();
    let cut: Vec<String> = text
        .lines()
        .map(|l| bpfbox::input::cut_long_words(l, 200))
        .collect();
    eprintln!("{}", cut.join("\n").trim_end());
    ExitCode::from(2)
}

/// `bpfbox explain CODE`'s answer.
#[derive(serde::Serialize)]
struct Explanation {
    /// `bpfbox::verifier::uninit_reg`.
    code: String,
    /// What the diagnostic means and how to fix it.
    explanation: String,
}

impl output::Report for Explanation {
    fn text(&self, w: &mut dyn std::io::Write) -> std::io::Result<()> {
        writeln!(w, "{}\n\n{}", self.code, self.explanation)
    }
}

/// `bpfbox explain CODE`.
fn explain(g: &GlobalOpts, code: &str) -> anyhow::Result<ExitCode> {
    let short = code.rsplit("::").next().unwrap_or(code);
    let c = bpfbox_verifier::Code::from_name(short).ok_or_else(|| {
        let all: Vec<_> = bpfbox_verifier::Code::ALL
            .iter()
            .map(|c| c.name())
            .collect();
        anyhow::anyhow!("unknown code `{code}` (codes: {})", all.join(", "))
    })?;
    output::print(
        g,
        &Explanation {
            code: c.as_string(),
            explanation: c.explain().to_string(),
        },
    )?;
    Ok(ExitCode::SUCCESS)
}

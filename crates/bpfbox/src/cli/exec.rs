//! `bpfbox exec`: run a raw program on a flat memory block.

use super::output::{print, Report};
use super::{Engine, GlobalOpts};
use anyhow::{Context, Result};
use bpfbox::rawprog;
use serde::Serialize;
use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct ExecArgs {
    /// Program: a `.s`/`.asm` file (either syntax) or raw little-endian
    /// bytecode (any other extension).
    pub program: PathBuf,
    /// File whose bytes r1 points at (r2 = its length); without it r1 = r2 = 0.
    #[arg(long)]
    pub mem: Option<PathBuf>,
    /// Engine to run on.
    #[arg(long, value_enum, default_value = "interp")]
    pub engine: Engine,
    /// Maximum number of instructions the interpreter executes.
    #[arg(long)]
    pub insn_limit: Option<u64>,
    /// Skip the verifier: run any bytecode; the interpreter's bounds
    /// checks alone keep it safe.
    #[arg(long)]
    pub no_verify: bool,
}

#[derive(Serialize)]
struct ExecReport {
    engine: &'static str,
    /// r0 as `0x` + lowercase hex.
    r0: String,
    /// Instructions executed (interpreter only).
    #[serde(skip_serializing_if = "Option::is_none")]
    insns_executed: Option<u64>,
    /// Note on what the engine could observe.
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<String>,
}

impl Report for ExecReport {
    fn text(&self, w: &mut dyn Write) -> io::Result<()> {
        if let Some(n) = &self.note {
            writeln!(w, "# {n}")?;
        }
        writeln!(w, "{}", self.r0)
    }
}

pub fn run(g: &GlobalOpts, a: ExecArgs) -> Result<ExitCode> {
    let slots = rawprog::load_program_file(&a.program)?;
    let mem = match &a.mem {
        Some(p) => bpfbox::input::read_bounded(p, "memory block", bpfbox::input::MAX_TEXT)?,
        None => Vec::new(),
    };
    if a.no_verify {
        super::run::warn_no_verify();
    }
    let report = match a.engine {
        Engine::Interp => {
            let out = rawprog::exec_interp(&slots, mem, a.insn_limit, !a.no_verify)
                .with_context(|| a.program.display().to_string())?;
            ExecReport {
                engine: "interp",
                r0: format!("{:#x}", out.r0),
                insns_executed: Some(out.insns_executed),
                note: None,
            }
        }
        Engine::Kernel => {
            let r0 = rawprog::exec_kernel(&slots, &mem)
                .with_context(|| a.program.display().to_string())?;
            ExecReport {
                engine: "kernel",
                r0: format!("{r0:#x}"),
                insns_executed: None,
                note: Some(
                    "the kernel reports only the low 32 bits of r0 (BPF_PROG_TEST_RUN retval)"
                        .into(),
                ),
            }
        }
    };
    print(g, &report)?;
    Ok(ExitCode::SUCCESS)
}

//! `bpfbox asm` and `bpfbox disasm`.

use super::output::{print, Report};
use super::GlobalOpts;
use anyhow::{Context, Result};
use bpfbox::rawprog;
use serde::Serialize;
use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct AsmArgs {
    /// Assembly source (pseudo-C or bpf_conformance syntax).
    pub input: PathBuf,
    /// Output file for the raw little-endian bytecode.
    #[arg(short, long)]
    pub output: PathBuf,
}

#[derive(clap::Args, Debug)]
pub struct DisasmArgs {
    /// Raw bytecode file, or a `.s` file to normalise.
    pub file: PathBuf,
}

#[derive(Serialize)]
struct AsmReport {
    output: String,
    insns: usize,
}

impl Report for AsmReport {
    fn text(&self, _w: &mut dyn Write) -> io::Result<()> {
        Ok(())
    }
}

pub fn run_asm(g: &GlobalOpts, a: AsmArgs) -> Result<ExitCode> {
    let text = std::fs::read_to_string(&a.input).with_context(|| a.input.display().to_string())?;
    let slots =
        bpfbox::asm::assemble(&text).map_err(|e| anyhow::anyhow!("{}: {e}", a.input.display()))?;
    std::fs::write(&a.output, bpfbox::isa::slots_to_bytes(&slots))
        .with_context(|| a.output.display().to_string())?;
    print(
        g,
        &AsmReport {
            output: a.output.display().to_string(),
            insns: slots.len(),
        },
    )?;
    Ok(ExitCode::SUCCESS)
}

#[derive(Serialize)]
struct DisasmLine {
    index: usize,
    text: String,
}

#[derive(Serialize)]
struct DisasmReport {
    insns: Vec<DisasmLine>,
}

impl Report for DisasmReport {
    fn text(&self, w: &mut dyn Write) -> io::Result<()> {
        for l in &self.insns {
            writeln!(w, "{:>6}:\t{}", l.index, l.text)?;
        }
        Ok(())
    }
}

pub fn run_disasm(g: &GlobalOpts, a: DisasmArgs) -> Result<ExitCode> {
    let slots = rawprog::load_program_file(&a.file)?;
    let lines = rawprog::disassemble(&slots).with_context(|| a.file.display().to_string())?;
    let insns = lines
        .into_iter()
        .map(|(index, text)| DisasmLine { index, text })
        .collect();
    print(g, &DisasmReport { insns })?;
    Ok(ExitCode::SUCCESS)
}

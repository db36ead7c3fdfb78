//! `bpfbox conformance` (run bpf_conformance `.data` files) and
//! `bpfbox conformance-plugin` (the upstream runner's plugin protocol).

use super::output::{print, Report};
use super::GlobalOpts;
use anyhow::{bail, Context, Result};
use bpfbox::conformance::{run_paths, CaseResult};
use serde::Serialize;
use std::io::{self, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct ConformanceArgs {
    /// `.data` files or directories containing them.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Also list passing tests.
    #[arg(long)]
    pub verbose: bool,
}

#[derive(Serialize)]
struct ConformanceReport {
    passed: usize,
    failed: usize,
    results: Vec<CaseResult>,
    #[serde(skip)]
    verbose: bool,
}

impl Report for ConformanceReport {
    fn text(&self, w: &mut dyn Write) -> io::Result<()> {
        for r in &self.results {
            match &r.failure {
                Some(why) => writeln!(w, "FAIL {}: {why}", r.file)?,
                None if self.verbose => writeln!(w, "PASS {}", r.file)?,
                None => {}
            }
        }
        writeln!(w, "{} passed, {} failed", self.passed, self.failed)
    }
}

pub fn run(g: &GlobalOpts, a: ConformanceArgs) -> Result<ExitCode> {
    let results = run_paths(&a.paths)?;
    let failed = results.iter().filter(|r| r.failure.is_some()).count();
    let report = ConformanceReport {
        passed: results.len() - failed,
        failed,
        results,
        verbose: a.verbose,
    };
    print(g, &report)?;
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

#[derive(clap::Args, Debug)]
pub struct PluginArgs {
    /// The program as hex bytes; read from stdin (one line) when absent.
    #[arg(long)]
    pub program: Option<String>,
    /// The memory block as hex bytes.
    pub memory: Option<String>,
    /// Print the disassembly to stderr before running.
    #[arg(long)]
    pub debug: bool,
    /// The program is an ELF object (not supported by this plugin).
    #[arg(long)]
    pub elf: bool,
}

fn parse_hex(what: &str, s: &str) -> Result<Vec<u8>> {
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    if !s.len().is_multiple_of(2) {
        bail!("{what}: odd number of hex digits");
    }
    (0..s.len())
        .step_by(2)
        .map(|i| {
            u8::from_str_radix(&s[i..i + 2], 16)
                .with_context(|| format!("{what}: bad hex byte {:?}", &s[i..i + 2]))
        })
        .collect()
}

/// Plugin protocol: prints r0 as bare hex and exits 0, or exits 1 when the
/// program is refused or traps.
pub fn run_plugin(a: PluginArgs) -> Result<ExitCode> {
    if a.elf {
        bail!("--elf: ELF input is not supported by the plugin; use `bpfbox run`");
    }
    let program = match a.program {
        Some(p) => p,
        None => {
            // hex of at most 1M instructions (16 MB), and a line end
            let max = 2 * bpfbox::input::MAX_BYTECODE + 2;
            let mut s = String::new();
            io::stdin()
                .take(max + 1)
                .read_to_string(&mut s)
                .context("stdin")?;
            if s.len() as u64 > max {
                bail!("stdin: program longer than {max} hex digits (1M instructions)");
            }
            s
        }
    };
    let code = parse_hex("program", &program)?;
    let mem = match a.memory {
        Some(m) => parse_hex("memory", &m)?,
        None => Vec::new(),
    };
    let slots = bpfbox::isa::slots_from_bytes(&code)
        .with_context(|| format!("program: {} bytes is not a multiple of 8", code.len()))?;
    if a.debug {
        for (pc, text) in bpfbox::rawprog::disassemble(&slots)? {
            eprintln!("{pc:>5}: {text}");
        }
    }
    let out = bpfbox::rawprog::exec_interp(&slots, mem, None, true)?;
    println!("{:x}", out.r0);
    Ok(ExitCode::SUCCESS)
}

//! `bpfbox diff`: run a program on bpfbox and in the kernel with the same
//! inputs and show every difference.

use super::output::{print, Report};
use super::run::{jobs, Loaded, PacketSource, Progress};
use super::{Engine as EngineArg, GlobalOpts};
use anyhow::Result;
use bpfbox::diff::{compare, compare_maps, Difference};
use bpfbox::objects;
use serde::Serialize;
use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct DiffArgs {
    /// The clang-built BPF object.
    pub object: PathBuf,
    /// Program to run (needed when the object has several).
    #[arg(long)]
    pub prog: Option<String>,
    #[command(flatten)]
    pub input: PacketSource,
    /// Run the program this many times per packet (default: once).
    #[arg(long)]
    pub repeat: Option<u32>,
}

#[derive(Serialize)]
struct DiffReport {
    program: String,
    packets: usize,
    identical: bool,
    differences: Vec<Difference>,
}

impl Report for DiffReport {
    fn text(&self, w: &mut dyn Write) -> io::Result<()> {
        for d in &self.differences {
            writeln!(w, "{}: {} differs", d.at, d.what)?;
            writeln!(w, "  - interp: {}", d.interp)?;
            writeln!(w, "  + kernel: {}", d.kernel)?;
        }
        if self.identical {
            writeln!(
                w,
                "{}: {} runs, interp and kernel identical (retval, data_out, ctx_out, maps)",
                self.program, self.packets
            )
        } else {
            writeln!(
                w,
                "{}: {} differences",
                self.program,
                self.differences.len()
            )
        }
    }
}

pub fn run(g: &GlobalOpts, a: DiffArgs) -> Result<ExitCode> {
    let loaded = Loaded::new(&a.object, a.prog.as_deref())?;
    let jobs = jobs(&a.input, a.repeat.unwrap_or(0))?;
    let mut interp = loaded.engine(EngineArg::Interp)?;
    let mut kernel = loaded.engine(EngineArg::Kernel)?;
    let def = loaded.def();
    let mut differences = Vec::new();
    let progress = Progress::new(jobs.len(), g.quiet);
    for (i, job) in jobs.iter().enumerate() {
        progress.tick(i);
        let x = interp.test_run(&job.input);
        let y = kernel.test_run(&job.input);
        compare(&format!("packet {}", i + 1), &x, &y, &mut differences);
    }
    compare_maps(&interp.dump_maps(), &kernel.dump_maps(), &mut differences);
    let identical = differences.is_empty();
    print(
        g,
        &DiffReport {
            program: format!("{} ({})", def.name, objects::verdict_kind(def)),
            packets: jobs.len(),
            identical,
            differences,
        },
    )?;
    Ok(if identical {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

//! `bpfbox diff`: run a program on bpfbox and in the kernel with the same
//! inputs and show every difference.

use super::output::{print, Report};
use super::run::{jobs, Loaded, PacketSource, Progress};
use super::{Engine as EngineArg, GlobalOpts};
use anyhow::Result;
use bpfbox::engine::{MapDump, RunError, RunOutput};
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
    /// Run the program this many times per packet.
    #[arg(long, default_value_t = 1)]
    pub repeat: u32,
}

#[derive(Serialize)]
struct Difference {
    /// `packet N` or `map NAME`.
    at: String,
    what: String,
    interp: String,
    kernel: String,
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
            writeln!(w, "{}: {} packets, interp and kernel identical (retval, data_out, ctx_out, maps)", self.program, self.packets)
        } else {
            writeln!(w, "{}: {} differences", self.program, self.differences.len())
        }
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Where two byte strings first differ, for a readable line.
fn bytes_diff(a: &[u8], b: &[u8]) -> (String, String) {
    let first = a.iter().zip(b).position(|(x, y)| x != y).unwrap_or(a.len().min(b.len()));
    let show = |v: &[u8]| {
        let from = first.saturating_sub(4);
        let to = (first + 12).min(v.len());
        format!("{} bytes, from offset {first}: …{}", v.len(), hex(&v[from.min(v.len())..to]))
    };
    (show(a), show(b))
}

fn compare(
    at: &str,
    a: &Result<RunOutput, RunError>,
    b: &Result<RunOutput, RunError>,
    out: &mut Vec<Difference>,
) {
    let mut push = |what: &str, i: String, k: String| {
        out.push(Difference {
            at: at.to_string(),
            what: what.to_string(),
            interp: i,
            kernel: k,
        })
    };
    match (a, b) {
        (Ok(x), Ok(y)) => {
            if x.retval != y.retval {
                push("retval", x.retval.to_string(), y.retval.to_string());
            }
            if x.errno != y.errno {
                push("errno", format!("{:?}", x.errno), format!("{:?}", y.errno));
            }
            if x.data_out != y.data_out {
                let (i, k) = bytes_diff(&x.data_out, &y.data_out);
                push("data_out", i, k);
            }
            if x.ctx_out != y.ctx_out {
                let e = Vec::new();
                let (i, k) = bytes_diff(
                    x.ctx_out.as_ref().unwrap_or(&e),
                    y.ctx_out.as_ref().unwrap_or(&e),
                );
                push("ctx_out", i, k);
            }
        }
        (Err(x), Err(y)) if x.errno == y.errno => {}
        (x, y) => {
            let s = |r: &Result<RunOutput, RunError>| match r {
                Ok(o) => format!("ran, retval {}", o.retval),
                Err(e) => format!("error: {e}"),
            };
            push("outcome", s(x), s(y));
        }
    }
}

fn compare_maps(a: &[MapDump], b: &[MapDump], out: &mut Vec<Difference>) {
    for (x, y) in a.iter().zip(b) {
        if x.note.is_some() || y.note.is_some() {
            continue;
        }
        let at = format!("map {}", x.name);
        let keys = |m: &MapDump| m.entries.iter().map(|e| e.0.clone()).collect::<Vec<_>>();
        for (k, v) in &x.entries {
            match y.entries.iter().find(|e| &e.0 == k) {
                Some((_, w)) if w == v => {}
                Some((_, w)) => out.push(Difference {
                    at: at.clone(),
                    what: format!("value of key {}", hex(k)),
                    interp: hex(v),
                    kernel: hex(w),
                }),
                None => out.push(Difference {
                    at: at.clone(),
                    what: format!("key {}", hex(k)),
                    interp: format!("present, value {}", hex(v)),
                    kernel: "absent".into(),
                }),
            }
        }
        let have = keys(x);
        for (k, w) in &y.entries {
            if !have.contains(k) {
                out.push(Difference {
                    at: at.clone(),
                    what: format!("key {}", hex(k)),
                    interp: "absent".into(),
                    kernel: format!("present, value {}", hex(w)),
                });
            }
        }
    }
}

pub fn run(g: &GlobalOpts, a: DiffArgs) -> Result<ExitCode> {
    let loaded = Loaded::new(&a.object, a.prog.as_deref())?;
    let jobs = jobs(&a.input, a.repeat)?;
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
    Ok(if identical { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

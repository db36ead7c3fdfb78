//! `bpfbox diff`: run a program on bpfbox and in the kernel with the same
//! inputs and show every difference.

use super::output::{print, Report};
use super::packets::{PacketLine, Packets, Progress};
use super::run::{ignore_broken_pipe, with_log, Loaded, PacketSource};
use super::{Engine as EngineArg, GlobalOpts};
use anyhow::Result;
use bpfbox::diff::{compare, compare_maps, Difference};
use bpfbox::objects;
use bpfbox::profiles::KernelChoice;
use bpfbox::stream::map_changes_zeroed;
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
    #[command(flatten)]
    pub setup: super::setup::SetupArg,
    /// When the kernel refuses the program, print its whole verifier log
    /// to stderr (the error line has its cause).
    #[arg(long)]
    pub verifier_log: bool,
    /// Kernel bpfbox models: `running` (default: this machine's kernel,
    /// probed, so a reported difference is a real one), `builtin`
    /// (upstream Linux 6.18 with every BPF option on) or a profile file
    /// written by `bpfbox probe --json`.
    #[arg(long, value_name = "running|PROFILE.json", default_value = "running")]
    pub kernel: KernelChoice,
}

/// Both engines refused to load the program.
#[derive(Serialize)]
struct RefusalReport {
    program: String,
    /// Whether bpfbox refuses with the kernel's words (bpfbox's kernel
    /// message appears in the kernel's verifier log).
    agree: bool,
    interp: String,
    kernel: String,
}

impl Report for RefusalReport {
    fn text(&self, w: &mut dyn Write) -> io::Result<()> {
        if self.agree {
            writeln!(
                w,
                "{}: kernel and bpfbox agree: the program is refused: {}",
                self.program, self.interp
            )
        } else {
            writeln!(w, "{}: load refusal differs", self.program)?;
            writeln!(w, "  - interp: {}", self.interp)?;
            writeln!(w, "  + kernel: {}", self.kernel)
        }
    }
}

/// Differences a report lists (the rest are counted).
const KEEP_DIFFERENCES: usize = 100;

#[derive(Serialize)]
struct DiffReport {
    program: String,
    packets: u64,
    identical: bool,
    /// The first differences (`difference_count` in all).
    differences: Vec<Difference>,
    difference_count: u64,
}

/// One `--per-packet` line of a diff: both engines' results.
#[derive(Serialize)]
struct DiffLine<'a> {
    packet: u64,
    identical: bool,
    interp: PacketLine<'a>,
    kernel: PacketLine<'a>,
}

impl Report for DiffReport {
    fn text(&self, w: &mut dyn Write) -> io::Result<()> {
        for d in &self.differences {
            writeln!(w, "{}: {} differs", d.at, d.what)?;
            writeln!(w, "  - interp: {}", d.interp)?;
            writeln!(w, "  + kernel: {}", d.kernel)?;
        }
        let more = self.difference_count - self.differences.len() as u64;
        if more > 0 {
            writeln!(w, "... and {more} more differences")?;
        }
        if self.identical {
            writeln!(
                w,
                "{}: {} runs, interp and kernel identical (retval, data_out, ctx_out, maps)",
                self.program, self.packets
            )
        } else {
            writeln!(w, "{}: {} differences", self.program, self.difference_count)
        }
    }
}

pub fn run(g: &GlobalOpts, a: DiffArgs) -> Result<ExitCode> {
    let loaded = Loaded::new(&a.object, a.prog.as_deref(), a.setup.setup.as_deref())?
        .on_kernel(a.kernel.profile()?);
    let mut packets = Packets::open(&a.input, a.repeat.unwrap_or(0))?;
    let def = loaded.def();
    let (mut interp, mut kernel) = match (
        loaded.engine(EngineArg::Interp),
        with_log(a.verifier_log, loaded.engine(EngineArg::Kernel)),
    ) {
        (Ok(i), Ok(k)) => (i, k),
        (Err(i), Err(k)) => {
            // Both refuse: the same refusal when bpfbox's words for the
            // kernel's reason are in the kernel's log.
            let (i, k) = (i.to_string(), k.to_string());
            let words = bpfbox::diff::kernel_words(&i);
            let agree = k.contains(words);
            print(
                g,
                &RefusalReport {
                    program: format!("{} ({})", def.name, objects::verdict_kind(def)),
                    agree,
                    interp: words.to_string(),
                    kernel: k,
                },
            )?;
            return Ok(if agree {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            });
        }
        (Err(e), Ok(_)) => return Err(e.context("bpfbox refuses a program the kernel loads")),
        (Ok(_), Err(e)) => return Err(e.context("the kernel refuses a program bpfbox loads")),
    };
    let mut differences = Vec::new();
    let mut count = 0u64;
    let mut keep = |d: &mut Vec<Difference>| {
        count += d.len() as u64;
        let room = KEEP_DIFFERENCES.saturating_sub(differences.len());
        differences.extend(d.drain(..).take(room));
    };
    let mut progress = Progress::new(&packets, g.quiet);
    let mut before = a
        .input
        .map_changes
        .then(|| (interp.peek_maps(), kernel.peek_maps()));
    let stdout = io::stdout();
    let mut lines = stdout.lock();
    let mut n = 0u64;
    while let Some(job) = packets.next_job()? {
        n += 1;
        progress.tick(&packets, n);
        let x = interp.test_run(&job.input);
        let y = kernel.test_run(&job.input);
        let mut found = Vec::new();
        compare(&format!("packet {n}"), &x, &y, &mut found);
        let changes = before.as_mut().map(|(bi, bk)| {
            let (ai, ak) = (interp.peek_maps(), kernel.peek_maps());
            let zd = |m: &str| loaded.zero_default(m);
            let c = (
                map_changes_zeroed(bi, &ai, zd),
                map_changes_zeroed(bk, &ak, zd),
            );
            (*bi, *bk) = (ai, ak);
            c
        });
        if let Some((ci, ck)) = &changes {
            if ci != ck {
                let list = |c: &[bpfbox::stream::MapChange]| {
                    let s: Vec<_> = c
                        .iter()
                        .map(|c| {
                            format!("{}[{}]={}", c.map, c.key, c.after.as_deref().unwrap_or("-"))
                        })
                        .collect();
                    s.join(" ")
                };
                found.push(Difference {
                    at: format!("packet {n}"),
                    what: "map changes".into(),
                    interp: list(ci),
                    kernel: list(ck),
                });
            }
        }
        if a.input.per_packet {
            let len_in = job.input.data_in.len();
            let verdict = |r| objects::verdict(def, r);
            let mut line = DiffLine {
                packet: n,
                identical: found.is_empty(),
                interp: PacketLine::new(n, len_in, &x, verdict, changes.as_ref().map(|c| &c.0[..])),
                kernel: PacketLine::new(n, len_in, &y, verdict, changes.as_ref().map(|c| &c.1[..])),
            };
            line.interp.engine = Some("interp");
            line.kernel.engine = Some("kernel");
            write_line(g, &mut lines, &line).or_else(ignore_broken_pipe)?;
        }
        keep(&mut found);
    }
    progress.done();
    drop(lines);
    let mut found = Vec::new();
    compare_maps(&interp.dump_maps(), &kernel.dump_maps(), &mut found);
    keep(&mut found);
    let identical = count == 0;
    print(
        g,
        &DiffReport {
            program: format!("{} ({})", def.name, objects::verdict_kind(def)),
            packets: n,
            identical,
            differences,
            difference_count: count,
        },
    )?;
    Ok(if identical {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// A diff's per-packet line: one line when both engines agree, one per
/// engine when they do not.
fn write_line(g: &GlobalOpts, w: &mut dyn Write, l: &DiffLine) -> io::Result<()> {
    if g.json() {
        let s = serde_json::to_string(l).map_err(io::Error::other)?;
        return writeln!(w, "{s}");
    }
    if l.identical {
        let mut one = Vec::new();
        let mut same = l.interp.clone();
        same.engine = None;
        same.write(g, &mut one)?;
        let text = String::from_utf8_lossy(&one);
        let mut it = text.splitn(2, '\n');
        writeln!(w, "{} (interp = kernel)", it.next().unwrap_or(""))?;
        return write!(w, "{}", it.next().unwrap_or(""));
    }
    l.interp.write(g, w)?;
    l.kernel.write(g, w)
}

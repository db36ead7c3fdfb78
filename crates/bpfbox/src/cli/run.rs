//! `bpfbox run`: run an object's program on one packet or a capture.

use super::output::{print, Report};
use super::{Engine as EngineArg, GlobalOpts};
use anyhow::{bail, Context, Result};
use bpfbox::engine::{self, Engine, InterpEngine, KernelEngine, MapDump, RunInput};
use bpfbox::objects;
use bpfbox::pcap;
use bpfbox_object::{Object, ProgramDef};
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Where packets come from; shared by `run` and `diff`.
#[derive(clap::Args, Debug)]
pub struct PacketSource {
    /// One packet: the raw bytes of this file are `data_in`.
    #[arg(long, conflicts_with = "pcap")]
    pub data_in: Option<PathBuf>,
    /// Every packet of a pcap or pcapng capture.
    #[arg(long)]
    pub pcap: Option<PathBuf>,
    /// Context given to the program (`ctx_in`: raw bytes of the ctx struct).
    #[arg(long)]
    pub ctx_in: Option<PathBuf>,
}

#[derive(clap::Args, Debug)]
pub struct RunArgs {
    /// The clang-built BPF object.
    pub object: PathBuf,
    /// Program to run (needed when the object has several).
    #[arg(long)]
    pub prog: Option<String>,
    #[command(flatten)]
    pub input: PacketSource,
    /// With --pcap: write the packets the program did not drop, as it left them.
    #[arg(long, requires = "pcap")]
    pub pcap_out: Option<PathBuf>,
    /// Run the program this many times per packet (BPF_PROG_TEST_RUN
    /// `repeat`; when absent 0 is passed, which the kernel runs once and
    /// which is the only value context-only runners accept).
    #[arg(long)]
    pub repeat: Option<u32>,
    /// Engine to run on.
    #[arg(long, value_enum, default_value = "interp")]
    pub engine: EngineArg,
    /// Print every map's contents after the run.
    #[arg(long)]
    pub dump_maps: bool,
}

/// A loaded object with its selected program.
pub struct Loaded {
    pub path: PathBuf,
    pub obj: Object,
    pub prog: String,
}

impl Loaded {
    pub fn new(path: &Path, prog: Option<&str>) -> Result<Loaded> {
        let obj = objects::load(path)?;
        let name = objects::select(&obj, path, prog)?.name.clone();
        Ok(Loaded {
            path: path.to_path_buf(),
            obj,
            prog: name,
        })
    }

    pub fn def(&self) -> &ProgramDef {
        self.obj
            .program(&self.prog)
            .expect("selected program exists")
    }

    pub fn engine(&self, kind: EngineArg) -> Result<Box<dyn Engine>> {
        let ctx = |e: engine::RunError| anyhow::anyhow!("{}: {e}", self.path.display());
        Ok(match kind {
            EngineArg::Interp => Box::new(
                InterpEngine::new(&self.obj, self.def(), engine::host_like_kernel())
                    .map_err(ctx)?,
            ),
            EngineArg::Kernel => {
                engine::pin_to_cpu0();
                Box::new(KernelEngine::new(&self.obj, self.def()).map_err(ctx)?)
            }
        })
    }
}

/// One packet to run: its input and, for captures, its timestamp.
pub struct Job {
    pub input: RunInput,
    pub packet: Option<pcap::Packet>,
}

/// Reads the packets named by `src`.
pub fn jobs(src: &PacketSource, repeat: u32) -> Result<Vec<Job>> {
    let ctx_in = match &src.ctx_in {
        Some(p) => Some(std::fs::read(p).with_context(|| p.display().to_string())?),
        None => None,
    };
    let mk = |data: Vec<u8>| RunInput {
        data_in: data,
        ctx_in: ctx_in.clone(),
        repeat,
        flags: 0,
    };
    if let Some(p) = &src.pcap {
        let pkts = pcap::read(p)?;
        return Ok(pkts
            .into_iter()
            .map(|pk| Job {
                input: mk(pk.data.clone()),
                packet: Some(pk),
            })
            .collect());
    }
    let data = match (&src.data_in, &ctx_in) {
        (Some(p), _) => std::fs::read(p).with_context(|| p.display().to_string())?,
        // context-only programs (raw tracepoint, syscall)
        (None, Some(_)) => Vec::new(),
        (None, None) => bail!("give the input with --data-in FILE, --pcap FILE or --ctx-in FILE"),
    };
    Ok(vec![Job {
        input: mk(data),
        packet: None,
    }])
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[derive(Serialize)]
struct MapJson {
    name: String,
    entries: Vec<(String, String)>,
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<String>,
}

fn maps_json(d: Vec<MapDump>) -> Vec<MapJson> {
    d.into_iter()
        .map(|m| MapJson {
            name: m.name,
            entries: m.entries.iter().map(|(k, v)| (hex(k), hex(v))).collect(),
            note: m.note,
        })
        .collect()
}

#[derive(Serialize)]
struct OneReport {
    program: String,
    engine: &'static str,
    retval: u32,
    verdict: String,
    data_out: String,
    ctx_out: Option<String>,
    /// Mean per run: ns in the kernel; bpfbox reports instructions per run.
    duration_ns: u32,
    repeat: u32,
    trace: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    errno: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    maps: Option<Vec<MapJson>>,
}

impl Report for OneReport {
    fn text(&self, w: &mut dyn Write) -> io::Result<()> {
        writeln!(w, "program: {} ({} engine)", self.program, self.engine)?;
        writeln!(w, "retval:  {} ({})", self.retval, self.verdict)?;
        let avg = if self.repeat > 1 { " (mean)" } else { "" };
        writeln!(
            w,
            "duration: {} ns/run{avg}, repeat {}",
            self.duration_ns, self.repeat
        )?;
        writeln!(
            w,
            "data_out ({} bytes): {}",
            self.data_out.len() / 2,
            self.data_out
        )?;
        if let Some(c) = &self.ctx_out {
            writeln!(w, "ctx_out  ({} bytes): {c}", c.len() / 2)?;
        }
        for t in &self.trace {
            writeln!(w, "trace: {t}")?;
        }
        write_maps(w, self.maps.as_deref())
    }
}

fn write_maps(w: &mut dyn Write, maps: Option<&[MapJson]>) -> io::Result<()> {
    for m in maps.unwrap_or_default() {
        match &m.note {
            Some(n) => writeln!(w, "map {}: ({n})", m.name)?,
            None => writeln!(w, "map {}: {} entries", m.name, m.entries.len())?,
        }
        for (k, v) in &m.entries {
            writeln!(w, "  {k}: {v}")?;
        }
    }
    Ok(())
}

#[derive(Serialize)]
struct PcapReport {
    program: String,
    engine: &'static str,
    packets: usize,
    verdicts: BTreeMap<String, usize>,
    errors: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    written: Option<usize>,
    trace: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    maps: Option<Vec<MapJson>>,
}

impl Report for PcapReport {
    fn text(&self, w: &mut dyn Write) -> io::Result<()> {
        writeln!(
            w,
            "program: {} ({} engine), {} packets",
            self.program, self.engine, self.packets
        )?;
        for (v, n) in &self.verdicts {
            writeln!(w, "{n:>8}  {v}")?;
        }
        for e in &self.errors {
            writeln!(w, "error: {e}")?;
        }
        if let Some(n) = self.written {
            writeln!(w, "wrote {n} packets")?;
        }
        for t in &self.trace {
            writeln!(w, "trace: {t}")?;
        }
        write_maps(w, self.maps.as_deref())
    }
}

/// Shows progress on a terminal for long captures.
pub struct Progress {
    total: usize,
    on: bool,
}

impl Progress {
    pub fn new(total: usize, quiet: bool) -> Progress {
        Progress {
            total,
            on: !quiet && total >= 1000 && io::stderr().is_terminal(),
        }
    }

    pub fn tick(&self, i: usize) {
        if self.on && (i.is_multiple_of((self.total / 100).max(1)) || i + 1 == self.total) {
            eprint!(
                "\r{} / {} packets ({}%)",
                i + 1,
                self.total,
                (i + 1) * 100 / self.total
            );
            if i + 1 == self.total {
                eprintln!();
            }
        }
    }
}

pub fn run(g: &GlobalOpts, a: RunArgs) -> Result<ExitCode> {
    let loaded = Loaded::new(&a.object, a.prog.as_deref())?;
    let jobs = jobs(&a.input, a.repeat.unwrap_or(0))?;
    let mut eng = loaded.engine(a.engine)?;
    let def = loaded.def();
    let program = format!("{} ({})", def.name, def.section);
    if a.input.pcap.is_none() {
        let job = &jobs[0];
        let path = a
            .input
            .data_in
            .as_ref()
            .or(a.input.ctx_in.as_ref())
            .expect("data_in or ctx_in given");
        let out = eng
            .test_run(&job.input)
            .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        let maps = a.dump_maps.then(|| maps_json(eng.dump_maps()));
        print(
            g,
            &OneReport {
                program,
                engine: eng.name(),
                retval: out.retval,
                verdict: objects::verdict(def, out.retval),
                data_out: hex(&out.data_out),
                ctx_out: out.ctx_out.as_deref().map(hex),
                duration_ns: out.duration_ns,
                repeat: a.repeat.unwrap_or(1).max(1),
                trace: out.trace,
                errno: out.errno,
                maps,
            },
        )?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut verdicts = BTreeMap::new();
    let mut errors = Vec::new();
    let mut trace = Vec::new();
    let mut kept = Vec::new();
    let progress = Progress::new(jobs.len(), g.quiet);
    for (i, job) in jobs.iter().enumerate() {
        progress.tick(i);
        match eng.test_run(&job.input) {
            Ok(out) => {
                *verdicts
                    .entry(objects::verdict(def, out.retval))
                    .or_insert(0) += 1;
                trace.extend(out.trace);
                if !objects::drops(def, out.retval) {
                    if let Some(p) = &job.packet {
                        kept.push(pcap::Packet {
                            timestamp: p.timestamp,
                            orig_len: out.data_out.len() as u32,
                            data: out.data_out,
                        });
                    }
                }
            }
            Err(e) => {
                *verdicts.entry("error".to_string()).or_insert(0) += 1;
                errors.push(format!(
                    "packet {} ({} bytes): {e}",
                    i + 1,
                    job.input.data_in.len()
                ));
            }
        }
    }
    let written = match &a.pcap_out {
        Some(p) => {
            pcap::write(p, &kept)?;
            Some(kept.len())
        }
        None => None,
    };
    let maps = a.dump_maps.then(|| maps_json(eng.dump_maps()));
    let failed = !errors.is_empty();
    print(
        g,
        &PcapReport {
            program,
            engine: eng.name(),
            packets: jobs.len(),
            verdicts,
            errors,
            written,
            trace,
            maps,
        },
    )?;
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

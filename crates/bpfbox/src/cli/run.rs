//! `bpfbox run`: run an object's program on one packet or a capture.

use super::output::{print, Report};
pub use super::packets::PacketSource;
use super::packets::{culprit, Job, PacketLine, Packets, Progress};
use super::{Engine as EngineArg, GlobalOpts};
use anyhow::Result;
use bpfbox::engine::{self, Engine, InterpEngine, KernelEngine};
use bpfbox::objects;
use bpfbox::pcap;
use bpfbox::profiles::KernelChoice;
use bpfbox::stream::{map_changes_zeroed, Tally};
use bpfbox_object::{Object, ProgramDef};
use bpfbox_progtype::Profile;
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

#[derive(clap::Args, Debug)]
pub struct RunArgs {
    /// The clang-built BPF object.
    pub object: PathBuf,
    /// Program to run (needed when the object has several).
    #[arg(long)]
    pub prog: Option<String>,
    #[command(flatten)]
    pub input: PacketSource,
    /// Write the packets the program did not drop, as it left them (an
    /// Ethernet pcap; with --data-in, the one packet or none).
    #[arg(long)]
    pub pcap_out: Option<PathBuf>,
    /// Run the program this many times per packet (BPF_PROG_TEST_RUN
    /// `repeat`; when absent 0 is passed, which the kernel runs once and
    /// which is the only value context-only runners accept).
    #[arg(long)]
    pub repeat: Option<u32>,
    /// Engine to run on.
    #[arg(long, value_enum, default_value = "interp")]
    pub engine: EngineArg,
    /// Print every map's contents after the run, BTF-typed, in the setup
    /// format (`--setup` reads it back); with FILE, write them there.
    #[arg(long, num_args = 0..=1, value_name = "FILE")]
    pub dump_maps: Option<Option<PathBuf>>,
    #[command(flatten)]
    pub setup: super::setup::SetupArg,
    /// With --engine kernel: when the kernel refuses the program, print
    /// its whole verifier log to stderr (the error line has its cause).
    #[arg(long)]
    pub verifier_log: bool,
    /// Skip the verifier (with a warning): run programs the kernel would
    /// refuse; the interpreter's run-time checks still keep it safe.
    #[arg(long)]
    pub no_verify: bool,
    /// Attach tracing programs to the program run (fentry/fexit on a BPF
    /// program, libbpf's `bpf_program__set_attach_target`; interpreter
    /// only): `OBJECT` attaches every fentry/fexit program of OBJECT whose
    /// section names the program run (`fentry/PROG`), `OBJECT:NAME` that
    /// program. Repeatable. Fentry runs before each run, fexit after;
    /// their maps are listed as `OBJECT:MAP` (the file name without `.o`).
    #[arg(long, value_name = "OBJECT[:PROG]")]
    pub attach: Vec<String>,
    #[command(flatten)]
    pub kernel: KernelArg,
}

/// `--kernel`: which kernel bpfbox models (shared by run, fire, verify).
#[derive(clap::Args, Debug, Clone)]
pub struct KernelArg {
    /// Kernel to model: `builtin` (upstream Linux 6.18 with every BPF
    /// option on), `running` (probe this machine's kernel) or a profile
    /// file written by `bpfbox probe --json`. bpfbox then refuses exactly
    /// what that kernel refuses.
    #[arg(
        long = "kernel",
        value_name = "running|PROFILE.json",
        default_value = "builtin"
    )]
    pub choice: KernelChoice,
}

impl KernelArg {
    /// The chosen profile.
    pub fn profile(&self) -> Result<Arc<Profile>> {
        self.choice.profile()
    }
}

/// The warning `--no-verify` prints.
pub fn warn_no_verify() {
    eprintln!(
        "warning: --no-verify: the program was not verified and may not load into the kernel; \
         the interpreter's run-time checks still apply"
    );
}

/// A loaded object with its selected program.
pub struct Loaded {
    pub path: PathBuf,
    pub obj: Object,
    pub prog: String,
    /// The setup applied (`--setup`), with the entries still to insert.
    pub setup: Option<(bpfbox::setup::Setup, bpfbox::setup::Prepared)>,
    /// The kernel the interpreter models.
    pub kernel: Arc<Profile>,
    /// Tracing programs to attach (`--attach`): objects and program names.
    pub attach: Vec<(Object, Vec<String>)>,
}

impl Loaded {
    pub fn new(path: &Path, prog: Option<&str>, setup: Option<&Path>) -> Result<Loaded> {
        let (obj, setup) = super::setup::load(path, setup)?;
        let name = objects::select(&obj, path, prog)?.name.clone();
        Ok(Loaded {
            path: path.to_path_buf(),
            obj,
            prog: name,
            setup,
            kernel: Profile::builtin_shared(),
            attach: Vec::new(),
        })
    }

    /// Adds the tracing programs `--attach` names (`OBJECT` or
    /// `OBJECT:PROG`).
    pub fn with_attached(mut self, specs: &[String]) -> Result<Loaded> {
        for spec in specs {
            let (file, prog) = match spec.rsplit_once(':') {
                Some((f, p)) if !Path::new(spec).exists() => (PathBuf::from(f), Some(p)),
                _ => (PathBuf::from(spec), None),
            };
            let obj =
                objects::load(&file).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
            let names: Vec<String> = match prog {
                Some(p) => vec![objects::select(&obj, &file, Some(p))?.name.clone()],
                None => obj
                    .programs
                    .iter()
                    .filter(|d| {
                        bpfbox::support::runs_attached(d) && d.attach_target() == Some(&self.prog)
                    })
                    .map(|d| d.name.clone())
                    .collect(),
            };
            if names.is_empty() {
                anyhow::bail!(
                    "{}: no fentry/fexit program traces `{}` (SEC(\"fentry/{}\"))",
                    file.display(),
                    self.prog,
                    self.prog
                );
            }
            self.attach.push((obj, names));
        }
        Ok(self)
    }

    /// The object as dumps list its maps: the object's, then those of the
    /// attached tracers' objects as `OBJECT:MAP` (shown as hex: their BTF
    /// is not the object's).
    pub fn dump_object(&self) -> std::borrow::Cow<'_, Object> {
        if self.attach.is_empty() {
            return std::borrow::Cow::Borrowed(&self.obj);
        }
        let mut obj = self.obj.clone();
        let mut seen: Vec<&str> = Vec::new();
        for (o, _) in &self.attach {
            if seen.contains(&o.name.as_str()) {
                continue;
            }
            seen.push(&o.name);
            for m in &o.maps {
                let mut m = m.clone();
                m.name = format!("{}:{}", o.name, m.name);
                m.btf_key_type_id = 0;
                m.btf_value_type_id = 0;
                obj.maps.push(m);
            }
        }
        std::borrow::Cow::Owned(obj)
    }

    /// Whether map `name` is an array, whose dumps leave out all-zero
    /// elements (a missing element is a zero one).
    pub fn zero_default(&self, name: &str) -> bool {
        use bpfbox_maps::MapType;
        self.obj.maps.iter().any(|m| {
            m.name == name
                && [MapType::Array as u32, MapType::PercpuArray as u32].contains(&m.map_type)
        })
    }

    /// The same object, modelled on `kernel`.
    pub fn on_kernel(mut self, kernel: Arc<Profile>) -> Loaded {
        self.kernel = kernel;
        self
    }

    pub fn def(&self) -> &ProgramDef {
        self.obj
            .program(&self.prog)
            .expect("selected program exists")
    }

    pub fn engine(&self, kind: EngineArg) -> Result<Box<dyn Engine>> {
        self.engine_with(kind, true)
    }

    /// [`Loaded::engine`]; `verify: false` skips bpfbox's verifier for
    /// the interpreter (the kernel engine always verifies).
    pub fn engine_with(&self, kind: EngineArg, verify: bool) -> Result<Box<dyn Engine>> {
        let mut eng = self.bare_engine(kind, verify)?;
        if let Some((_, prep)) = &self.setup {
            prep.fill(&mut *eng, super::setup::ncpus())?;
        }
        Ok(eng)
    }

    fn bare_engine(&self, kind: EngineArg, verify: bool) -> Result<Box<dyn Engine>> {
        let ctx = |e: engine::RunError| anyhow::anyhow!("{}: {e}", self.path.display());
        let mut host = engine::host_like_kernel();
        host.kernel = self.kernel.clone();
        let mut eng: Box<dyn Engine> = match kind {
            EngineArg::Interp if verify => {
                Box::new(InterpEngine::new(&self.obj, self.def(), host).map_err(ctx)?)
            }
            EngineArg::Interp => {
                Box::new(InterpEngine::new_unverified(&self.obj, self.def(), host).map_err(ctx)?)
            }
            EngineArg::Kernel => {
                engine::pin_to_cpu0();
                let mut k = KernelEngine::new(&self.obj, self.def()).map_err(ctx)?;
                // bpf_trace_printk lines, as the interpreter reports them
                k.capture_trace().map_err(ctx)?;
                Box::new(k)
            }
        };
        for (obj, names) in &self.attach {
            for name in names {
                let def = obj.program(name).expect("selected program exists");
                eng.attach_tracing(obj, def, self.def(), false, verify)
                    .map_err(|e| anyhow::anyhow!("{}: {name}: {e}", obj.name))?;
            }
        }
        Ok(eng)
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

type MapJson = serde_json::Value;

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
    written: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    maps: Option<MapJson>,
}

/// A return value with its meaning, `1 (XDP_DROP)`, without repeating a
/// number the meaning already shows (`56322 (invalid action: ...)`).
pub fn retval_text(retval: u32, verdict: &str) -> String {
    let shows = |n: String| verdict == n || verdict.starts_with(&format!("{n} "));
    if shows(retval.to_string()) || shows((retval as i32).to_string()) {
        verdict.to_string()
    } else {
        format!("{retval} ({verdict})")
    }
}

impl Report for OneReport {
    fn text(&self, w: &mut dyn Write) -> io::Result<()> {
        writeln!(w, "program: {} ({} engine)", self.program, self.engine)?;
        writeln!(w, "retval:  {}", retval_text(self.retval, &self.verdict))?;
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
        if let Some(n) = self.written {
            writeln!(w, "wrote {n} packets")?;
        }
        for t in &self.trace {
            writeln!(w, "trace: {t}")?;
        }
        write_maps(w, self.maps.as_ref())
    }
}

fn write_maps(w: &mut dyn Write, maps: Option<&MapJson>) -> io::Result<()> {
    super::setup::write_dump(w, maps)
}

#[derive(Serialize)]
struct PcapReport {
    program: String,
    engine: &'static str,
    packets: u64,
    verdicts: BTreeMap<String, u64>,
    /// The first errors (`error_count` in all).
    errors: Vec<String>,
    error_count: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    written: Option<u64>,
    /// The first trace lines (`trace_count` in all).
    trace: Vec<String>,
    trace_count: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    maps: Option<MapJson>,
    /// Trace lines were printed per packet.
    #[serde(skip)]
    per_packet: bool,
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
        let more = self.error_count - self.errors.len() as u64;
        if more > 0 {
            writeln!(w, "error: ... and {more} more errors")?;
        }
        if let Some(n) = self.written {
            writeln!(w, "wrote {n} packets")?;
        }
        if !self.per_packet {
            for t in &self.trace {
                writeln!(w, "trace: {t}")?;
            }
            let more = self.trace_count - self.trace.len() as u64;
            if more > 0 {
                writeln!(
                    w,
                    "trace: ... and {more} more lines (--per-packet prints them all)"
                )?;
            }
        }
        write_maps(w, self.maps.as_ref())
    }
}

/// Writes what a run left of a packet to `--pcap-out`, unless it dropped it.
fn keep(
    out: &mut Option<pcap::Writer>,
    def: &ProgramDef,
    job: &Job,
    result: &Result<engine::RunOutput, engine::RunError>,
) -> Result<()> {
    if let (Some(w), Ok(o)) = (out.as_mut(), result) {
        if !objects::drops(def, o.retval) {
            w.write(&pcap::Packet {
                timestamp: job.timestamp,
                orig_len: o.data_out.len() as u32,
                data: o.data_out.clone(),
            })?;
        }
    }
    Ok(())
}

pub fn run(g: &GlobalOpts, a: RunArgs) -> Result<ExitCode> {
    let loaded = Loaded::new(&a.object, a.prog.as_deref(), a.setup.setup.as_deref())?
        .on_kernel(a.kernel.profile()?)
        .with_attached(&a.attach)?;
    let mut packets = Packets::open(&a.input, a.repeat.unwrap_or(0))?;
    if a.no_verify {
        warn_no_verify();
    }
    let mut eng = with_log(a.verifier_log, loaded.engine_with(a.engine, !a.no_verify))?;
    let def = loaded.def();
    let program = format!("{} ({})", def.name, def.section);
    let mut pcap_out = a
        .pcap_out
        .as_deref()
        .map(pcap::Writer::create)
        .transpose()?;
    if a.input.pcap.is_none() {
        let job = packets.next_job()?.expect("one packet");
        let result = eng.test_run(&job.input);
        keep(&mut pcap_out, def, &job, &result)?;
        let out = result.map_err(|e| anyhow::anyhow!("{}: {e}", culprit(&a.input, &e)))?;
        let written = pcap_out.map(|w| w.finish()).transpose()?;
        let maps = super::setup::dump(&loaded, &mut *eng, a.dump_maps.as_ref())?;
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
                written,
                maps,
            },
        )?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut tally = Tally::default();
    let mut progress = Progress::new(&packets, g.quiet);
    let mut before = a.input.map_changes.then(|| eng.peek_maps());
    let stdout = io::stdout();
    let mut lines = stdout.lock();
    while let Some(job) = packets.next_job()? {
        let n = tally.packets + 1;
        progress.tick(&packets, n);
        let result = eng.test_run(&job.input);
        keep(&mut pcap_out, def, &job, &result)?;
        let len_in = job.input.data_in.len();
        if a.input.per_packet {
            let changes = before.as_mut().map(|b| {
                let after = eng.peek_maps();
                let c = map_changes_zeroed(b, &after, |m| loaded.zero_default(m));
                *b = after;
                c
            });
            let verdict = |r| objects::verdict(def, r);
            PacketLine::new(n, len_in, &result, verdict, changes.as_deref())
                .write(g, &mut lines)
                .or_else(ignore_broken_pipe)?;
        }
        tally.add(n, len_in, &result, |r| objects::verdict(def, r));
    }
    progress.done();
    drop(lines);
    let written = pcap_out.map(|w| w.finish()).transpose()?;
    let maps = super::setup::dump(&loaded, &mut *eng, a.dump_maps.as_ref())?;
    let failed = tally.error_count > 0;
    print(
        g,
        &PcapReport {
            program,
            engine: eng.name(),
            packets: tally.packets,
            verdicts: tally.verdicts,
            errors: tally.errors,
            error_count: tally.error_count,
            written,
            trace: tally.trace,
            trace_count: tally.trace_count,
            maps,
            per_packet: a.input.per_packet,
        },
    )?;
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// With `--verifier-log`, prints the kernel's whole verifier log when it
/// refused the program.
pub fn with_log<T>(show: bool, r: Result<T>) -> Result<T> {
    if show && r.is_err() {
        if let Some(log) = bpfbox::kobj::take_rejection_log() {
            eprint!("{log}");
            if !log.ends_with('\n') {
                eprintln!();
            }
        }
    }
    r
}

/// A closed pipe ends output quietly.
pub fn ignore_broken_pipe(e: io::Error) -> io::Result<()> {
    if e.kind() == io::ErrorKind::BrokenPipe {
        Ok(())
    } else {
        Err(e)
    }
}

//! `bpfbox fire`: run an event-driven program on one event or a sequence.

use super::run::{ignore_broken_pipe, KernelArg, Loaded};
use super::GlobalOpts;
use anyhow::{anyhow, bail, Result};
use bpfbox::jsonseq;
use bpfbox_runtime::events::{fire_one, EventOutcome};
use bpfbox_runtime::{HostState, LoadedProgram};
use std::io::{self, BufRead, Write};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct FireArgs {
    /// The clang-built BPF object.
    pub object: PathBuf,
    /// Program to run (needed when the object has several).
    #[arg(long)]
    pub prog: Option<String>,
    /// The event (a JSON object) or a sequence of events (a JSON array),
    /// given inline (`--event '{"pid": 1}'`) or as the path of a file
    /// holding it; map state is kept across a sequence. `bpfbox types
    /// NAME` documents each type's event schema.
    #[arg(long)]
    pub event: String,
    #[command(flatten)]
    pub setup: super::setup::SetupArg,
    /// Skip the verifier (with a warning); the interpreter's run-time
    /// checks still keep the run safe.
    #[arg(long)]
    pub no_verify: bool,
    #[command(flatten)]
    pub kernel: KernelArg,
}

fn write_one(w: &mut dyn Write, i: Option<usize>, o: &EventOutcome) -> io::Result<()> {
    let head = i.map_or_else(String::new, |i| format!("event {i}: "));
    // the signed reading only when it differs: `retval 4294967295 (-1)`
    let signed = o.retval as i64 as i32;
    let retval = if i64::from(signed) == o.retval as i64 {
        o.retval.to_string()
    } else {
        format!("{} ({signed})", o.retval)
    };
    writeln!(w, "{head}retval {retval} -> {}", o.action)?;
    for (k, v) in &o.effects {
        writeln!(w, "  {k}: {v}")?;
    }
    for t in &o.trace {
        writeln!(w, "  trace: {t}")?;
    }
    Ok(())
}

/// Where the events come from and how to name them in errors: inline
/// JSON when the argument starts with `{` or `[`, else the file it names
/// (streamed, at most 32 MiB).
fn event_source(arg: &str) -> Result<(String, Box<dyn BufRead>)> {
    let t = arg.trim_start();
    if t.starts_with('{') || t.starts_with('[') {
        return Ok((
            "--event".into(),
            Box::new(io::Cursor::new(arg.as_bytes().to_vec())),
        ));
    }
    let path = PathBuf::from(arg);
    let r = bpfbox::input::open_bounded(&path, "event", bpfbox::input::MAX_TEXT)?;
    Ok((path.display().to_string(), Box::new(r)))
}

/// Prints outcomes as they come: text lines, or JSON (an array for a
/// sequence, written element by element, as `--json` printed it whole).
struct Printer<'a> {
    g: &'a GlobalOpts,
    out: io::StdoutLock<'static>,
    started: bool,
}

impl Printer<'_> {
    fn one(&mut self, index: Option<usize>, o: &EventOutcome) -> io::Result<()> {
        if !self.g.json() {
            return write_one(&mut self.out, index, o);
        }
        let json = if self.g.pretty {
            serde_json::to_string_pretty(o)
        } else {
            serde_json::to_string(o)
        }
        .map_err(io::Error::other)?;
        if index.is_none() {
            return writeln!(self.out, "{json}");
        }
        let (open, sep) = if self.g.pretty {
            ("[\n", ",\n")
        } else {
            ("[", ",")
        };
        let head = if self.started { sep } else { open };
        self.started = true;
        if self.g.pretty {
            let indented: Vec<String> = json.lines().map(|l| format!("  {l}")).collect();
            write!(self.out, "{head}{}", indented.join("\n"))
        } else {
            write!(self.out, "{head}{json}")
        }
    }

    fn end_array(&mut self) -> io::Result<()> {
        if !self.g.json() {
            return Ok(());
        }
        match (self.started, self.g.pretty) {
            (false, _) => writeln!(self.out, "[]"),
            (true, true) => writeln!(self.out, "\n]"),
            (true, false) => writeln!(self.out, "]"),
        }
    }
}

pub fn run(g: &GlobalOpts, a: FireArgs) -> Result<ExitCode> {
    let (source, reader) = event_source(&a.event)?;
    let loaded = Loaded::new(&a.object, a.prog.as_deref(), a.setup.setup.as_deref())?
        .on_kernel(a.kernel.profile()?);
    if a.no_verify {
        super::run::warn_no_verify();
    } else {
        bpfbox::engine::verify_object_on(&loaded.obj, loaded.def(), &loaded.kernel)
            .map_err(|e| anyhow!("{}: {e}", a.object.display()))?;
    }
    let mut host = HostState::default();
    host.kernel = loaded.kernel.clone();
    let prog = LoadedProgram::from_object_with(
        &mut host,
        &loaded.obj,
        &loaded.prog,
        bpfbox_runtime::drivers::MissingHelpers::TrapIfReached,
    )
    .map_err(|e| anyhow!("{}: {e}", a.object.display()))?;
    super::setup::fill_host(&loaded, &mut host)?;
    if bpfbox_runtime::events::driver_for(prog.prog_type_id()).is_none() {
        // before reading any event: the type has no driver
        fire_one(&prog, &mut host, &serde_json::Value::Null)
            .map_err(|e| anyhow!("{source}: {e}"))?;
    }
    let mut p = Printer {
        g,
        out: io::stdout().lock(),
        started: false,
    };
    // events run as they are parsed; their outcomes are printed, not kept
    let shape = jsonseq::for_each(reader, |i, ev| {
        let o = fire_one(&prog, &mut host, &ev).map_err(|e| e.to_string())?;
        p.one(i, &o)
            .or_else(ignore_broken_pipe)
            .map_err(|e| e.to_string())
    });
    match shape {
        Ok(jsonseq::Shape::Array) => p.end_array().or_else(ignore_broken_pipe)?,
        Ok(jsonseq::Shape::One) => {}
        Err(e) => {
            if matches!(e, jsonseq::Error::Element { index: Some(_), .. }) {
                p.end_array().or_else(ignore_broken_pipe)?;
            }
            bail!("{source}: {e}")
        }
    }
    Ok(ExitCode::SUCCESS)
}

//! `bpfbox fire`: run an event-driven program on one event or a sequence.

use super::output::{print, Report};
use super::run::Loaded;
use super::GlobalOpts;
use anyhow::{anyhow, Result};
use bpfbox_runtime::events::{fire_all, EventOutcome};
use bpfbox_runtime::{HostState, LoadedProgram};
use serde::Serialize;
use std::io::{self, Write};
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
}

#[derive(Serialize)]
#[serde(untagged)]
enum FireReport {
    One(EventOutcome),
    Many(Vec<EventOutcome>),
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

impl Report for FireReport {
    fn text(&self, w: &mut dyn Write) -> io::Result<()> {
        match self {
            FireReport::One(o) => write_one(w, None, o),
            FireReport::Many(v) => v
                .iter()
                .enumerate()
                .try_for_each(|(i, o)| write_one(w, Some(i), o)),
        }
    }
}

/// The event's JSON text and how to name it in errors: inline when it
/// starts with `{` or `[`, else read from the file it names.
fn event_text(arg: &str) -> Result<(String, String)> {
    let t = arg.trim_start();
    if t.starts_with('{') || t.starts_with('[') {
        return Ok(("--event".into(), arg.to_string()));
    }
    let path = PathBuf::from(arg);
    let text = bpfbox::input::read_text(&path, "event")?;
    Ok((path.display().to_string(), text))
}

pub fn run(g: &GlobalOpts, a: FireArgs) -> Result<ExitCode> {
    let (source, text) = event_text(&a.event)?;
    let events: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| anyhow!("{source}: not valid JSON: {e}"))?;
    let loaded = Loaded::new(&a.object, a.prog.as_deref(), a.setup.setup.as_deref())?;
    if a.no_verify {
        super::run::warn_no_verify();
    } else {
        bpfbox::engine::verify_object(&loaded.obj, loaded.def())
            .map_err(|e| anyhow!("{}: {e}", a.object.display()))?;
    }
    let mut host = HostState::default();
    let prog = LoadedProgram::from_object(&mut host, &loaded.obj, &loaded.prog)
        .map_err(|e| anyhow!("{}: {e}", a.object.display()))?;
    super::setup::fill_host(&loaded, &mut host)?;
    let outcomes = fire_all(&prog, &mut host, &events).map_err(|e| anyhow!("{source}: {e}"))?;
    let report = if events.is_array() {
        FireReport::Many(outcomes)
    } else {
        FireReport::One(
            outcomes
                .into_iter()
                .next()
                .ok_or_else(|| anyhow!("no outcome"))?,
        )
    };
    print(g, &report)?;
    Ok(ExitCode::SUCCESS)
}

//! `--setup FILE` for `run`, `diff`, `fire` and `verify`, `--dump-maps`
//! in the setup format, and `bpfbox map dump`.

use super::output::{print, Report};
use super::run::Loaded;
use super::GlobalOpts;
use anyhow::{anyhow, Result};
use bpfbox::engine::Engine;
use bpfbox::setup::{self as lib, Prepared, Setup};
use bpfbox_object::Object;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// The `--setup` option.
#[derive(clap::Args, Debug, Default)]
pub struct SetupArg {
    /// Prepare the object first as its loader would: map sizes and
    /// entries, global variables, prog-array and map-in-map slots,
    /// `__kconfig` values (JSON; the format `--dump-maps` writes).
    #[arg(long, value_name = "FILE")]
    pub setup: Option<PathBuf>,
}

/// Loads `object` prepared with the setup file, if any.
pub fn load(object: &Path, setup: Option<&Path>) -> Result<(Object, Option<(Setup, Prepared)>)> {
    let setup = setup.map(Setup::load).transpose()?;
    let (obj, prep) = lib::load_object(object, setup.as_ref()).map_err(|e| anyhow!(e))?;
    Ok((obj, setup.map(|s| (s, prep))))
}

/// CPUs per-CPU values are laid out for: the kernel's possible CPUs
/// (bpfbox's engines use the same count).
pub fn ncpus() -> u32 {
    bpfbox::kernel::possible_cpus().map_or(1, |n| n as u32)
}

/// Inserts the setup's entries into the maps of a host `fire` runs with.
pub fn fill_host(loaded: &Loaded, host: &mut bpfbox_runtime::HostState) -> Result<()> {
    let Some((_, prep)) = &loaded.setup else {
        return Ok(());
    };
    let obj = &loaded.obj;
    prep.fill_with(host.nr_cpus, &mut |name, k, v| {
        let i = obj
            .map_index(name)
            .ok_or_else(|| format!("the object has no map `{name}`"))?;
        host.maps[i]
            .update(k, v, 0)
            .map_err(|e| format!("updating `{name}`: {e}"))
    })?;
    Ok(())
}

/// `--dump-maps[=FILE]`: the maps after the runs as a setup; written to
/// FILE when given (and then left out of the report).
pub fn dump(
    loaded: &Loaded,
    eng: &mut dyn Engine,
    arg: Option<&Option<PathBuf>>,
) -> Result<Option<serde_json::Value>> {
    let Some(file) = arg else {
        return Ok(None);
    };
    let v = lib::dump::to_setup(
        &loaded.dump_object(),
        &eng.dump_maps(),
        loaded.setup.as_ref().map(|s| &s.0),
        ncpus(),
    );
    match file {
        Some(f) => {
            let text = serde_json::to_string_pretty(&v)? + "\n";
            std::fs::write(f, text).map_err(|e| anyhow!("{}: {e}", f.display()))?;
            Ok(None)
        }
        None => Ok(Some(v)),
    }
}

/// The text form of a dump: the setup JSON, indented.
pub fn write_dump(w: &mut dyn Write, maps: Option<&serde_json::Value>) -> io::Result<()> {
    if let Some(m) = maps {
        writeln!(w, "maps (setup format):")?;
        let text = serde_json::to_string_pretty(m).map_err(io::Error::other)?;
        for l in text.lines() {
            writeln!(w, "  {l}")?;
        }
    }
    Ok(())
}

#[derive(clap::Subcommand, Debug)]
pub enum MapCmd {
    /// Print an object's maps and global variables before any program
    /// runs (after the setup, if given), BTF-typed, in the setup format: a
    /// template to write a setup from.
    Dump {
        /// The clang-built BPF object.
        object: PathBuf,
        #[command(flatten)]
        setup: SetupArg,
    },
}

struct DumpReport(serde_json::Value);

impl Report for DumpReport {
    fn text(&self, w: &mut dyn Write) -> io::Result<()> {
        let text = serde_json::to_string_pretty(&self.0).map_err(io::Error::other)?;
        writeln!(w, "{text}")
    }
}

impl serde::Serialize for DumpReport {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

/// `bpfbox map ...`.
pub fn run_map(g: &GlobalOpts, cmd: MapCmd) -> Result<ExitCode> {
    let MapCmd::Dump { object, setup } = cmd;
    let (obj, s) = load(&object, setup.setup.as_deref())?;
    let empty = Prepared::default();
    let prep = s.as_ref().map_or(&empty, |s| &s.1);
    let dumps = lib::dump::initial_state(&obj, prep, ncpus()).map_err(|e| {
        if e.origin.is_empty() {
            anyhow!("{}: {}", object.display(), e.message)
        } else {
            anyhow!(e)
        }
    })?;
    let v = lib::dump::to_setup(&obj, &dumps, s.as_ref().map(|s| &s.0), ncpus());
    print(g, &DumpReport(v))?;
    Ok(ExitCode::SUCCESS)
}

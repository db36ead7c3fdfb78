//! `bpfbox prog list`: what an object holds.

use super::output::{print, Report};
use super::GlobalOpts;
use anyhow::Result;
use bpfbox::objects;
use serde::Serialize;
use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Subcommand, Debug)]
pub enum ProgCmd {
    /// List the programs and maps of an object file.
    List {
        /// The clang-built BPF object.
        object: PathBuf,
    },
}

#[derive(Serialize)]
struct ProgRow {
    name: String,
    section: String,
    #[serde(rename = "type")]
    prog_type: String,
    attach_type: String,
    insns: usize,
}

#[derive(Serialize)]
struct MapRow {
    name: String,
    #[serde(rename = "type")]
    map_type: String,
    key_size: u32,
    value_size: u32,
    max_entries: u32,
}

#[derive(Serialize)]
struct ListReport {
    programs: Vec<ProgRow>,
    maps: Vec<MapRow>,
    /// `__kconfig`/`__ksym` externs and what they resolved to.
    externs: Vec<String>,
    /// What the object needs that bpfbox does not support.
    unsupported: Vec<bpfbox::support::Missing>,
    /// Programs bpfbox runs only attached to a program it runs
    /// (fentry/fexit: `bpfbox run TARGET.o --attach OBJECT`), with the
    /// function their section names.
    attached_only: Vec<AttachedRow>,
}

#[derive(Serialize)]
struct AttachedRow {
    name: String,
    target: String,
}

impl Report for ListReport {
    fn text(&self, w: &mut dyn Write) -> io::Result<()> {
        writeln!(w, "programs:")?;
        for p in &self.programs {
            writeln!(
                w,
                "  {:<24} {:<24} {:<30} {:<28} {} insns",
                p.name, p.section, p.prog_type, p.attach_type, p.insns
            )?;
        }
        writeln!(w, "maps:")?;
        for m in &self.maps {
            writeln!(
                w,
                "  {:<24} {:<18} key {:<4} value {:<6} max_entries {}",
                m.name, m.map_type, m.key_size, m.value_size, m.max_entries
            )?;
        }
        if !self.externs.is_empty() {
            writeln!(w, "externs:")?;
            for e in &self.externs {
                writeln!(w, "  {e}")?;
            }
        }
        if !self.attached_only.is_empty() {
            writeln!(
                w,
                "run only attached to a BPF program bpfbox runs (`bpfbox run TARGET.o --prog T \
                 --attach OBJECT`; on a kernel function they do not run):"
            )?;
            for a in &self.attached_only {
                writeln!(w, "  {} (traces {})", a.name, a.target)?;
            }
        }
        if !self.unsupported.is_empty() {
            writeln!(w, "not supported by bpfbox:")?;
            for m in &self.unsupported {
                writeln!(w, "  {m}")?;
            }
        }
        Ok(())
    }
}

fn map_type_name(t: u32) -> String {
    bpfbox::support::map_type_name(t)
}

pub fn run(g: &GlobalOpts, cmd: ProgCmd) -> Result<ExitCode> {
    let ProgCmd::List { object } = cmd;
    let obj = objects::load(&object)?;
    let programs = obj
        .programs
        .iter()
        .map(|p| ProgRow {
            name: p.name.clone(),
            section: p.section.clone(),
            prog_type: objects::verdict_kind(p),
            attach_type: objects::attach_label(p),
            insns: p.insns.len(),
        })
        .collect();
    let maps = obj
        .maps
        .iter()
        .map(|m| MapRow {
            name: m.name.clone(),
            map_type: map_type_name(m.map_type),
            key_size: m.key_size,
            value_size: m.value_size,
            max_entries: m.max_entries,
        })
        .collect();
    let externs = obj.externs.iter().map(|e| e.describe()).collect();
    let unsupported = bpfbox::support::missing(&obj);
    let attached_only = obj
        .programs
        .iter()
        .filter(|p| bpfbox::support::runs_attached(p))
        .map(|p| AttachedRow {
            name: p.name.clone(),
            target: p.attach_target().unwrap_or("").to_string(),
        })
        .collect();
    print(
        g,
        &ListReport {
            programs,
            maps,
            externs,
            unsupported,
            attached_only,
        },
    )?;
    Ok(ExitCode::SUCCESS)
}

//! `bpfbox types [NAME]`: a reference for every program type.

use super::output::print;
use super::GlobalOpts;
use anyhow::Result;
use bpfbox_progtype::TypeInfo;
use serde::Serialize;
use std::io::{self, Write};
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct TypesArgs {
    /// One type: `xdp`, `BPF_PROG_TYPE_XDP`, `XDP` or its number. Without
    /// it, a table of all types (`--json`: an array of full descriptions).
    pub name: Option<String>,
}

#[derive(Serialize)]
#[serde(transparent)]
struct All(Vec<TypeInfo>);

impl super::output::Report for All {
    fn text(&self, w: &mut dyn Write) -> io::Result<()> {
        // columns as wide as their longest cell, so long context names
        // (`struct bpf_raw_tracepoint_args`) keep the table aligned
        let width = |head: &str, cell: &dyn Fn(&TypeInfo) -> usize| {
            self.0.iter().map(cell).max().unwrap_or(0).max(head.len())
        };
        let wt = width("type", &|t| t.name.len());
        let wc = width("context", &|t| t.context.struct_name.len());
        let wb = width("bpfbox", &|t| t.bpfbox.len());
        writeln!(
            w,
            "{:<4} {:<wt$} {:<wc$} {:<8} {:<wb$} sections",
            "id", "type", "context", "test_run", "bpfbox"
        )?;
        for t in &self.0 {
            let secs: Vec<_> = t.sec_names.iter().take(3).map(|s| s.name).collect();
            writeln!(
                w,
                "{:<4} {:<wt$} {:<wc$} {:<8} {:<wb$} {}",
                t.id,
                t.name,
                t.context.struct_name,
                if t.test_run.supported { "yes" } else { "no" },
                t.bpfbox,
                secs.join(" ")
            )?;
        }
        writeln!(w, "\n`bpfbox types NAME` describes one type in full.")
    }
}

/// The type's bpfbox commands as a sentence: `run` →
/// "Run in bpfbox with: bpfbox run".
fn commands_line(bpfbox: &str) -> String {
    let cmds: Vec<_> = bpfbox
        .split(',')
        .map(str::trim)
        .filter(|c| matches!(*c, "run" | "fire" | "diff" | "exec"))
        .map(|c| format!("bpfbox {c}"))
        .collect();
    if bpfbox == "attach" {
        "Run in bpfbox attached to a program it runs: bpfbox run TARGET.o --attach OBJECT \
         (fentry/fexit; fmod_ret, tp_btf and iterators not yet)"
            .to_string()
    } else if cmds.is_empty() {
        format!("bpfbox cannot run this type yet ({bpfbox})")
    } else {
        format!("Run in bpfbox with: {}", cmds.join(", "))
    }
}

#[derive(Serialize)]
struct One {
    #[serde(flatten)]
    info: TypeInfo,
    /// The JSON event `bpfbox fire` takes for this type, documented.
    #[serde(skip_serializing_if = "Option::is_none")]
    event_schema: Option<&'static str>,
}

impl super::output::Report for One {
    fn text(&self, w: &mut dyn Write) -> io::Result<()> {
        let t = &self.info;
        writeln!(w, "{} ({}, id {})", t.name, t.short, t.id)?;
        writeln!(w, "\nUse cases:\n  {}", t.use_cases)?;
        writeln!(w, "\nHook:\n  {}", t.hook)?;
        let c = &t.context;
        writeln!(w, "\nContext: {} ({} bytes)", c.struct_name, c.size)?;
        writeln!(
            w,
            "  {:>6} {:>4}  {:<28} {:<8} {:<8} loads as",
            "offset", "size", "field", "read", "write"
        )?;
        for f in &c.fields {
            writeln!(
                w,
                "  {:>6} {:>4}  {:<28} {:<8} {:<8} {}",
                f.offset, f.size, f.name, f.read, f.write, f.result
            )?;
        }
        for p in &c.pointees {
            writeln!(
                w,
                "  -> {} ({} bytes) reachable through a pointer field",
                p.struct_name, p.size
            )?;
        }
        writeln!(w, "\nReturn values:")?;
        for r in &t.return_values {
            let range = r.range.map_or_else(
                || r.range_note.unwrap_or("unchecked").to_string(),
                |[a, b]| format!("[{a}, {b}]"),
            );
            writeln!(w, "  when {}: verifier range {range}", r.when)?;
            for v in &r.values {
                writeln!(w, "    {:>4}  {:<18} {}", v.value, v.name, v.meaning)?;
            }
            if !r.other.is_empty() {
                writeln!(w, "    other values: {}", r.other)?;
            }
        }
        writeln!(w, "\nAttach:\n  {}", t.attach.method)?;
        writeln!(w, "  expected_attach_type: {}", t.attach.expected)?;
        if !t.attach.attach_types.is_empty() {
            writeln!(w, "  attach types: {}", t.attach.attach_types.join(", "))?;
        }
        let secs: Vec<_> = t.sec_names.iter().map(|s| s.name).collect();
        writeln!(w, "\nSEC() names: {}", secs.join(" "))?;
        writeln!(
            w,
            "\nCharacteristic helpers ({} callable): {}",
            t.helper_count,
            t.helpers.join(", ")
        )?;
        writeln!(
            w,
            "\nBPF_PROG_TEST_RUN: {} ({})",
            if t.test_run.supported {
                "supported"
            } else {
                "not supported"
            },
            t.test_run.detail
        )?;
        writeln!(w, "\n{}", commands_line(&t.bpfbox))?;
        if let Some(schema) = self.event_schema {
            writeln!(w, "\nEvent for `bpfbox fire`:\n{schema}")?;
        }
        Ok(())
    }
}

pub fn run(g: &GlobalOpts, a: TypesArgs) -> Result<ExitCode> {
    match a.name {
        None => print(g, &All(bpfbox::types::all()))?,
        Some(n) => {
            let spec = bpfbox_progtype::by_name(&n)?;
            let event_schema = bpfbox_runtime::events::driver_for(spec.id()).map(|d| d.schema);
            print(
                g,
                &One {
                    info: bpfbox::types::info(spec),
                    event_schema,
                },
            )?
        }
    }
    Ok(ExitCode::SUCCESS)
}

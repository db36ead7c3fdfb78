//! `bpfbox asm` and `bpfbox disasm`.

use super::output::{print, Report};
use super::GlobalOpts;
use anyhow::{Context, Result};
use bpfbox::rawprog;
use serde::Serialize;
use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct AsmArgs {
    /// Assembly source (pseudo-C or bpf_conformance syntax).
    pub input: PathBuf,
    /// Output file for the raw little-endian bytecode.
    #[arg(short, long)]
    pub output: PathBuf,
}

#[derive(clap::Args, Debug)]
pub struct DisasmArgs {
    /// Raw bytecode, a `.s` file to normalise, or an ELF object (each
    /// program's section, with C source lines from BTF line info).
    pub file: PathBuf,
}

#[derive(Serialize)]
struct AsmReport {
    output: String,
    insns: usize,
}

impl Report for AsmReport {
    fn text(&self, _w: &mut dyn Write) -> io::Result<()> {
        Ok(())
    }
}

pub fn run_asm(g: &GlobalOpts, a: AsmArgs) -> Result<ExitCode> {
    let text = bpfbox::input::read_text(&a.input, "assembly")?;
    let slots =
        bpfbox::asm::assemble(&text).map_err(|e| anyhow::anyhow!("{}: {e}", a.input.display()))?;
    std::fs::write(&a.output, bpfbox::isa::slots_to_bytes(&slots))
        .with_context(|| a.output.display().to_string())?;
    print(
        g,
        &AsmReport {
            output: a.output.display().to_string(),
            insns: slots.len(),
        },
    )?;
    Ok(ExitCode::SUCCESS)
}

#[derive(Serialize)]
struct DisasmLine {
    index: usize,
    text: String,
}

#[derive(Serialize)]
struct DisasmReport {
    insns: Vec<DisasmLine>,
}

impl Report for DisasmReport {
    fn text(&self, w: &mut dyn Write) -> io::Result<()> {
        for l in &self.insns {
            writeln!(w, "{:>6}:\t{}", l.index, l.text)?;
        }
        Ok(())
    }
}

#[derive(Serialize)]
struct ObjLine {
    index: usize,
    text: String,
    /// `file:line` and the C source line, where it changes.
    #[serde(skip_serializing_if = "Option::is_none")]
    source: Option<String>,
}

#[derive(Serialize)]
struct ObjProg {
    name: String,
    section: String,
    insns: Vec<ObjLine>,
}

#[derive(Serialize)]
struct ObjDisasm {
    programs: Vec<ObjProg>,
}

impl Report for ObjDisasm {
    fn text(&self, w: &mut dyn Write) -> io::Result<()> {
        for p in &self.programs {
            writeln!(w, "Disassembly of section {}:\n\n<{}>:", p.section, p.name)?;
            for l in &p.insns {
                if let Some(s) = &l.source {
                    writeln!(w, "; {s}")?;
                }
                writeln!(w, "{:>6}:\t{}", l.index, l.text)?;
            }
            writeln!(w)?;
        }
        Ok(())
    }
}

/// Disassembles every program of an object, with its BTF line info.
fn disasm_object(g: &GlobalOpts, path: &std::path::Path) -> Result<ExitCode> {
    let obj = bpfbox::objects::load(path)?;
    let mut programs = Vec::new();
    for p in &obj.programs {
        let lines = rawprog::disassemble(&p.insns).with_context(|| path.display().to_string())?;
        let mut last = None;
        let insns = lines
            .into_iter()
            .map(|(index, text)| {
                let source = p.line_for(index).and_then(|l| {
                    let key = (l.file.clone(), l.line);
                    (last.as_ref() != Some(&key)).then(|| {
                        last = Some(key);
                        format!("{}:{}: {}", l.file, l.line, l.text.trim())
                    })
                });
                let text = match p.map_refs.iter().find(|(slot, _)| *slot == index) {
                    Some((_, bpfbox_object::MapRef::Map(m))) => {
                        format!("{text}\t# map `{}`", obj.maps[*m].name)
                    }
                    Some((_, bpfbox_object::MapRef::MapValue { map, off })) => {
                        format!("{text}\t# `{}` + {off}", obj.maps[*map].name)
                    }
                    None => text,
                };
                ObjLine {
                    index,
                    text,
                    source,
                }
            })
            .collect();
        programs.push(ObjProg {
            name: p.name.clone(),
            section: p.section.clone(),
            insns,
        });
    }
    print(g, &ObjDisasm { programs })?;
    Ok(ExitCode::SUCCESS)
}

pub fn run_disasm(g: &GlobalOpts, a: DisasmArgs) -> Result<ExitCode> {
    let head = bpfbox::input::is_elf(&a.file)?;
    if head {
        return disasm_object(g, &a.file);
    }
    let slots = rawprog::load_program_file(&a.file)?;
    let lines = rawprog::disassemble(&slots).with_context(|| a.file.display().to_string())?;
    let insns = lines
        .into_iter()
        .map(|(index, text)| DisasmLine { index, text })
        .collect();
    print(g, &DisasmReport { insns })?;
    Ok(ExitCode::SUCCESS)
}

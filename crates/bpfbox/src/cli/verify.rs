//! `bpfbox verify`: the verifier's diagnostics, rendered like rustc's,
//! with the C source line of each labelled instruction when the object has
//! BTF line info.

use super::run::KernelArg;
use super::GlobalOpts;
use anyhow::{Context, Result};
use bpfbox::{objects, rawprog};
use std::path::PathBuf;
use std::process::ExitCode;

/// Checks as a privileged loader does (CAP_BPF + CAP_PERFMON +
/// CAP_NET_ADMIN): unprivileged mode (pointer leaks, speculation
/// hardening) is out of scope.
#[derive(clap::Args, Debug)]
pub struct VerifyArgs {
    /// A clang-built object, or a raw program (`.s` or bytecode; checked
    /// with the `exec` convention: r1 and r2 set at entry).
    pub file: PathBuf,
    /// Program to check (default: every program of the object).
    #[arg(long)]
    pub prog: Option<String>,
    #[command(flatten)]
    pub setup: super::setup::SetupArg,
    /// Also print the verifier's walk as a kernel-style state log
    /// (`N: R1=ctx() R10=fp0 ...` per processed instruction).
    #[arg(long)]
    pub log: bool,
    #[command(flatten)]
    pub kernel: KernelArg,
    /// For fentry/fexit programs: the object holding the BPF program they
    /// trace (`SEC("fentry/NAME")`: program NAME of TARGET). Their context
    /// is then typed as the kernel types it for a tracer of that program
    /// (`struct xdp_buff *` for XDP, ...); without it their arguments are
    /// numbers, as for a loader that gives no attach target.
    #[arg(long, value_name = "TARGET")]
    pub target: Option<PathBuf>,
}

/// The typing of tracer `def`'s context from the program its section
/// names in `target`.
fn target_typing(
    obj: &bpfbox_object::Object,
    def: &bpfbox_object::ProgramDef,
    target: &bpfbox_object::Object,
    a: &VerifyArgs,
) -> Result<bpfbox::tracing::TargetArgs> {
    let t = a.target.as_deref().unwrap_or(std::path::Path::new(""));
    let name = def.attach_target().unwrap_or("");
    let tdef = target
        .programs
        .iter()
        .find(|p| p.name == name)
        .ok_or_else(|| {
            anyhow::anyhow!(
                "{}: no program `{name}` (traced by `{}`)",
                t.display(),
                def.name
            )
        })?;
    let ty = bpfbox_progtype::ProgType::from_id(tdef.prog_type)
        .ok_or_else(|| anyhow::anyhow!("{}: `{name}` has an unknown program type", t.display()))?;
    let btf = bpfbox::tracing::model_btf(obj).map_err(|e| anyhow::anyhow!(e))?;
    Ok(bpfbox::tracing::TargetArgs::new(btf, def, ty, name))
}

pub fn run(g: &GlobalOpts, a: VerifyArgs) -> Result<ExitCode> {
    let is_elf = bpfbox::input::is_elf(&a.file)?;
    let mut rejected = 0;
    let mut json = Vec::new();
    if is_elf {
        let kernel = a.kernel.profile()?;
        let (obj, _) = super::setup::load(&a.file, a.setup.setup.as_deref())?;
        let target = match &a.target {
            Some(t) => Some(objects::load(t).map_err(|e| anyhow::anyhow!("{}: {e}", t.display()))?),
            None => None,
        };
        let progs: Vec<_> = match &a.prog {
            Some(_) => vec![objects::select(&obj, &a.file, a.prog.as_deref())?],
            None => obj.programs.iter().collect(),
        };
        for def in progs {
            let insns = bpfbox_isa::decode(&def.insns)
                .with_context(|| format!("{}: {}", a.file.display(), def.name))?;
            let type_missing = bpfbox_progtype::ProgType::from_id(def.prog_type)
                .filter(|t| !kernel.prog_type_loadable(*t));
            if let Some(t) = type_missing {
                // the kernel refuses the type before verifying anything
                let why = format!(
                    "program type {} is not supported by this kernel",
                    t.spec().name
                );
                if g.json() {
                    json.push(serde_json::json!({ "program": def.name, "accepted": false, "diagnostics": [], "refusal": why }));
                } else {
                    println!("{}: rejected: {why}", def.name);
                }
                rejected += 1;
                continue;
            }
            let typing = match (&target, bpfbox::support::runs_attached(def)) {
                (Some(t), true) => Some(target_typing(&obj, def, t, &a)?),
                _ => None,
            };
            let checked = bpfbox::engine::check_object_traced(
                &obj,
                def,
                &insns,
                &kernel,
                typing
                    .as_ref()
                    .map(|t| t as &dyn bpfbox_verifier::BtfTyping),
            );
            let diags = checked.err().unwrap_or_default();
            let source = |i: usize| {
                def.line_for(i)
                    .map(|l| format!("{}:{}: {}", l.file, l.line, l.text.trim()))
            };
            if a.log {
                print_log(&obj, def, &insns);
            }
            report(g, &def.name, &diags, &insns, Some(&source), &mut json);
            rejected += usize::from(!diags.is_empty());
            // named before anything runs: what bpfbox cannot run (the
            // verdict, and the exit code, stay the verifier's)
            let missing = bpfbox::support::missing_for_program(&obj, def);
            if !missing.is_empty() {
                unsupported(g, &def.name, &missing, &mut json);
            }
        }
        let unloadable = bpfbox::support::unloadable(&obj);
        if !unloadable.is_empty() {
            unsupported(g, &a.file.display().to_string(), &unloadable, &mut json);
        }
    } else {
        let slots = rawprog::load_program_file(&a.file)?;
        let insns = bpfbox_isa::decode(&slots).with_context(|| a.file.display().to_string())?;
        let diags = bpfbox_verifier::check(&insns, &bpfbox_verifier::Options::conformance())
            .err()
            .unwrap_or_default();
        let name = a.file.display().to_string();
        report(g, &name, &diags, &insns, None, &mut json);
        rejected += usize::from(!diags.is_empty());
    }
    if g.json() {
        let all = serde_json::Value::Array(json);
        if g.pretty {
            println!("{}", serde_json::to_string_pretty(&all)?);
        } else {
            println!("{all}");
        }
    }
    Ok(if rejected == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// What a program (or the object) needs that bpfbox does not support:
/// one text line, or an `unsupported` list in its JSON record.
fn unsupported(
    g: &GlobalOpts,
    name: &str,
    missing: &[bpfbox::support::Missing],
    json: &mut Vec<serde_json::Value>,
) {
    if g.json() {
        let list = serde_json::to_value(missing).unwrap_or_default();
        match json.last_mut() {
            Some(v) if v["program"] == name => v["unsupported"] = list,
            _ => json.push(serde_json::json!({ "program": name, "unsupported": list })),
        }
        return;
    }
    let list: Vec<String> = missing
        .iter()
        .map(|m| format!("{} {}", m.what, m.name))
        .collect();
    println!("{name}: not supported by bpfbox: {}", list.join(", "));
}

fn report(
    g: &GlobalOpts,
    name: &str,
    diags: &[bpfbox_verifier::Diagnostic],
    insns: &[bpfbox_isa::Insn],
    source: Option<&dyn Fn(usize) -> Option<String>>,
    json: &mut Vec<serde_json::Value>,
) {
    if g.json() {
        json.push(serde_json::json!({ "program": name, "accepted": diags.is_empty(), "diagnostics": diags }));
        return;
    }
    if diags.is_empty() {
        println!("{name}: accepted");
        return;
    }
    println!("{name}: rejected");
    for d in diags {
        print!("{}", bpfbox_verifier::render_text(d, insns, source));
    }
}

fn print_log(
    obj: &bpfbox_object::Object,
    def: &bpfbox_object::ProgramDef,
    insns: &[bpfbox_isa::Insn],
) {
    let maps = bpfbox::engine::map_infos(obj);
    let mut opts = bpfbox_verifier::Options::kernel();
    opts.prog = Some(bpfbox_verifier::ProgInfo {
        prog_type: def.prog_type,
        expected_attach_type: def.expected_attach_type,
    });
    opts.maps = &maps;
    opts.gpl = bpfbox::engine::gpl_compatible(&obj.license);
    opts.allow_ld_abs = bpfbox_progtype::by_id(def.prog_type).is_some_and(|s| s.ld_abs);
    for line in bpfbox_verifier::verify_log(insns, &opts) {
        eprintln!("{line}");
    }
}

//! Pass (b), register initialisation: every register an instruction reads
//! must hold a value on every feasible path (`check_reg_arg` with
//! `SRC_OP`, "R%d !read_ok" in kernel/bpf/verifier.c). The dataflow itself
//! is in [`crate::flow`]; this module turns its result into diagnostics.

use crate::cfg::Cfg;
use crate::diag::{Applicability, Code, Diagnostic, Edit, Label, Suggestion};
use crate::flow::{reads, Clobber, ExitKind, Flow, Origin, Val};
use crate::options::{Options, RegSet};
use crate::path::Paths;
use bpfbox_isa::{Insn, Reg};

/// Appends `(slot, order within the slot, diagnostic)` for every read of an
/// uninitialised register.
pub(crate) fn check(
    insns: &[Insn],
    cfg: &Cfg,
    flow: &Flow,
    opts: &Options,
    out: &mut Vec<(usize, usize, Diagnostic)>,
) {
    let mut paths: Option<Paths> = None;
    for (pc, st) in flow.states.iter().enumerate() {
        let Some(st) = st else { continue };
        let kind = flow.exit_kinds[cfg.func_of[pc]];
        let mut seen = RegSet::EMPTY;
        for (i, &r) in reads(&insns[pc], kind, opts).as_slice().iter().enumerate() {
            if let Val::Uninit(origin) = st[r as usize] {
                if !seen.contains(r) {
                    seen = seen.with(r);
                    let mut d = uninit(insns, cfg, opts, pc, r, origin, kind);
                    let paths = paths.get_or_insert_with(|| Paths::new(insns, cfg, flow, opts));
                    let stop = match origin {
                        Origin::Clobbered { at, .. } => Some(at),
                        Origin::NotPassed { call } => Some(call),
                        Origin::CalleeReturn { .. } | Origin::Entry { .. } => None,
                    };
                    if let Some(l) = paths.bypass(pc, r, stop) {
                        d.related.push(l);
                    }
                    out.push((pc, i, d));
                }
            }
        }
    }
}

fn reg_list(set: RegSet) -> String {
    let v: Vec<String> = set.iter().map(|r| format!("`r{r}`")).collect();
    match v.len() {
        0 => "no register".to_string(),
        1 => v[0].clone(),
        n => format!("{} and {}", v[..n - 1].join(", "), v[n - 1]),
    }
}

fn uninit(
    insns: &[Insn],
    cfg: &Cfg,
    opts: &Options,
    pc: usize,
    r: Reg,
    origin: Origin,
    kind: ExitKind,
) -> Diagnostic {
    let insn = &insns[pc];
    let (message, label) = match (insn, kind) {
        (Insn::Exit, ExitKind::Callback) => (
            "callback returns without setting `r0`".to_string(),
            "`r0` is returned here".to_string(),
        ),
        (Insn::Exit, _) => (
            "return value `r0` is not initialised".to_string(),
            "`r0` is returned here".to_string(),
        ),
        (Insn::Call { .. }, _) => (
            format!("use of uninitialised register `r{r}`"),
            format!("`r{r}` is argument {r} of this helper call"),
        ),
        (Insn::LdAbs { .. } | Insn::LdInd { .. }, _) if r == 6 => (
            "use of uninitialised register `r6`".to_string(),
            "packet loads read the context from `r6`".to_string(),
        ),
        _ => (
            format!("use of uninitialised register `r{r}`"),
            format!("`r{r}` read here"),
        ),
    };
    let mut d = Diagnostic::error(Code::UninitReg, message, Label::new(pc, label));
    let mut help = None;
    match origin {
        Origin::Entry { func_start } if cfg.func_of[func_start] == 0 => {
            let set = opts.entry_regs.with(bpfbox_isa::FP);
            d = d.with_related(Label::new(
                func_start,
                format!("the program starts here with only {} set", reg_list(set)),
            ));
            if insn != &Insn::Exit {
                help = Some(format!("assign `r{r}` before reading it"));
            }
        }
        Origin::Entry { func_start } => {
            d = d.with_related(Label::new(
                func_start,
                "the function starts here; only `r1`-`r5` are passed to it",
            ));
            if r != 0 {
                help = Some("pass values to a function in `r1`-`r5`".to_string());
            }
        }
        Origin::NotPassed { call } => {
            d = d.with_related(Label::new(
                call,
                format!("`r{r}` is not set when the function is called here"),
            ));
            help = Some(format!("assign `r{r}` before the call"));
        }
        Origin::Clobbered { at, by } => {
            let what = match by {
                Clobber::Helper => "helper call",
                Clobber::Kfunc => "kfunc call",
                Clobber::Callx => "`callx`",
                Clobber::Local => "bpf-to-bpf call",
                Clobber::LdAbs => "packet load",
            };
            d = d.with_related(Label::new(at, format!("`r{r}` clobbered by {what} here")));
            let clobberers = if by == Clobber::LdAbs {
                "`LD_ABS`/`LD_IND` loads"
            } else {
                "calls"
            };
            help = Some(format!(
                "{clobberers} clobber `r1`-`r5`; keep values that must survive in `r6`-`r9`"
            ));
        }
        Origin::CalleeReturn { exit } => {
            d = d.with_related(Label::new(
                exit,
                "the callee can return here without setting `r0`",
            ));
            help = Some("set `r0` before every `exit` of the callee".to_string());
        }
    }
    if insn == &Insn::Exit {
        help = help.or(Some(
            "initialise `r0` before `exit`, e.g. `r0 = 0`".to_string(),
        ));
        d = d.with_suggestion(Suggestion {
            insn: pc,
            edit: Edit::InsertBefore,
            code: "r0 = 0".to_string(),
            applicability: Applicability::MaybeIncorrect,
        });
    }
    if let Some(h) = help {
        d = d.with_help(h);
    }
    if insn == &Insn::Exit && kind == ExitKind::Callback {
        d.with_kernel("R0 not a scalar value")
    } else {
        d.with_kernel(format!("R{r} !read_ok"))
    }
}

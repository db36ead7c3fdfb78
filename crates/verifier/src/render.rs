//! The rustc-like text form of a [`Diagnostic`]: a header with the code, the
//! location, the disassembled instructions the labels point at (with the C
//! source line above each, when known, as the kernel prints `; line`), a
//! caret line per label (`^` primary, `-` related), then help, suggestion
//! and the kernel's message. No colour: a terminal front end can add it.

use crate::diag::{Applicability, Diagnostic, Edit, Severity};
use bpfbox_isa::disasm::disasm_insn;
use bpfbox_isa::Insn;
use std::fmt::Write;

/// Renders `diag` as text. `insns` is the program the diagnostic is about;
/// `source` maps a slot index to its C source line (from BTF line info),
/// if there is one. The result ends with a newline.
pub fn render_text(
    diag: &Diagnostic,
    insns: &[Insn],
    source: Option<&dyn Fn(usize) -> Option<String>>,
) -> String {
    let mut out = String::new();
    let sev = match diag.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    };
    let _ = writeln!(out, "{sev}[{}]: {}", diag.code, diag.message);
    let mut labels: Vec<(usize, bool, &str)> =
        std::iter::once((diag.primary.insn, true, diag.primary.text.as_str()))
            .chain(
                diag.related
                    .iter()
                    .map(|l| (l.insn, false, l.text.as_str())),
            )
            .collect();
    // Stable: within one slot, the primary label first, then in given order.
    labels.sort_by_key(|&(insn, primary, _)| (insn, !primary));
    let width = labels
        .iter()
        .map(|l| l.0.to_string().len())
        .max()
        .unwrap_or(1);
    let pad = " ".repeat(width);
    let _ = writeln!(out, "{pad}--> insn {}", diag.primary.insn);
    let _ = writeln!(out, "{pad} |");
    let mut prev: Option<usize> = None;
    let mut prev_src: Option<String> = None;
    let mut i = 0;
    while i < labels.len() {
        let insn = labels[i].0;
        if let Some(p) = prev {
            if !adjacent(insns, p, insn) {
                let _ = writeln!(out, "{}", ".".repeat(width.max(3)));
            }
        }
        if let Some(line) = source.and_then(|f| f(insn)) {
            if prev_src.as_deref() != Some(line.as_str()) {
                let _ = writeln!(out, "{pad} | ; {}", line.trim());
                prev_src = Some(line);
            }
        }
        let text = match insns.get(insn) {
            Some(Insn::LdImm64Hi) => "(second slot of lddw)".to_string(),
            Some(x) => disasm_insn(x, insn),
            None => "(no instruction)".to_string(),
        };
        let _ = writeln!(out, "{insn:>width$} | {text}");
        let len = text.chars().count().max(1);
        while i < labels.len() && labels[i].0 == insn {
            let (_, primary, label) = labels[i];
            let mark = if primary { "^" } else { "-" };
            let _ = writeln!(out, "{pad} | {} {label}", mark.repeat(len));
            i += 1;
        }
        prev = Some(insn);
    }
    let _ = writeln!(out, "{pad} |");
    if let Some(h) = &diag.help {
        let _ = writeln!(out, "{pad} = help: {h}");
    }
    if let Some(s) = &diag.suggestion {
        let how = match s.applicability {
            Applicability::MachineApplicable => "",
            Applicability::MaybeIncorrect => " (may not be what you meant)",
            Applicability::HasPlaceholders => " (fill in the placeholders)",
        };
        let (what, at) = match s.edit {
            Edit::InsertBefore => ("insert", format!(" before insn {}", s.insn)),
            Edit::Replace => ("replace it with", String::new()),
        };
        let _ = writeln!(out, "{pad} = suggestion: {what} `{}`{at}{how}", s.code);
    }
    if let Some(k) = &diag.kernel {
        let _ = writeln!(out, "{pad} = kernel: \"{k}\"");
    }
    out
}

/// Whether slot `b` directly follows the instruction at slot `a` (so no
/// `...` separator is needed between their lines).
fn adjacent(insns: &[Insn], a: usize, b: usize) -> bool {
    let step = insns.get(a).map_or(1, Insn::slots);
    b <= a + step
}

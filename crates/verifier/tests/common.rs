//! Shared test helpers: assembling pseudo-C, loading into the kernel.

use bpfbox_isa::Insn;
use bpfbox_verifier::{check, Diagnostic, Options};

/// Assembles pseudo-C (one instruction per `;` or line) and decodes it.
pub fn prog(text: &str) -> Vec<Insn> {
    let text = text.replace(';', "\n");
    let raw = bpfbox_asm::assemble(&text).unwrap_or_else(|e| panic!("assemble {text:?}: {e}"));
    bpfbox_isa::decode(&raw).unwrap_or_else(|e| panic!("decode {text:?}: {e}"))
}

/// Whether the kernel can be used: always true, since tests comparing
/// with the kernel are listed `=> [kernel]` and the harness skips them
/// (visibly) where it cannot; a test not listed so fails here instead of
/// passing without its kernel part.
pub fn kernel_available() -> bool {
    if let Err(u) = bpfbox_kernel::availability() {
        panic!("needs the kernel but is not listed `=> [kernel]`: {u}");
    }
    true
}

/// Loads `insns` as a privileged SOCKET_FILTER. `Ok(())` if accepted, the
/// verifier log if refused; `None` when the kernel is unavailable.
pub fn kernel_load(insns: &[Insn]) -> Option<Result<(), String>> {
    kernel_load_as(bpfbox_kernel::consts::prog_type::SOCKET_FILTER, insns)
}

/// [`kernel_load`] as another program type.
pub fn kernel_load_as(prog_type: u32, insns: &[Insn]) -> Option<Result<(), String>> {
    if !kernel_available() {
        return None;
    }
    let raw = bpfbox_isa::encode(insns).expect("encodes");
    let r = bpfbox_kernel::ProgLoad::new(prog_type, &raw)
        .log_level(1)
        .load();
    Some(match r {
        Ok(_) => Ok(()),
        Err(e) => Err(e.log().unwrap_or("").to_string()),
    })
}

/// The kernel's error line (the last line before the "processed" summary)
/// and the slot index of the instruction it stopped at, when the log says.
pub fn kernel_error(log: &str) -> (String, Option<usize>) {
    let lines: Vec<&str> = log.lines().filter(|l| !l.trim().is_empty()).collect();
    let end = lines
        .iter()
        .rposition(|l| l.starts_with("processed "))
        .unwrap_or(lines.len());
    let msg = end.checked_sub(1).map_or("", |i| lines[i]).to_string();
    let at = end
        .checked_sub(2)
        .and_then(|i| lines[i].split(':').next())
        .and_then(|n| n.trim().parse().ok());
    (msg, at)
}

/// Checks with the kernel options.
pub fn verify(insns: &[Insn]) -> Result<(), Vec<Diagnostic>> {
    check(insns, &Options::kernel())
}

//! The disassembler against llvm-objdump-19: every `fixtures/*.bin` (a code
//! section of a clang-19-compiled object, see `fixtures/gen_fixtures.sh`) is
//! decoded and disassembled, and each line must equal the text
//! `llvm-objdump-19 -d` printed for that instruction in `*.objdump`.
//!
//! The one documented difference (see `bpfbox_isa::disasm`): a bpf-to-bpf
//! call prints as `call pc+0x7` where llvm prints `call 0x7`, so for those
//! instructions the `pc` is removed before comparing.

use bpfbox_isa::disasm::disasm_insn;
use bpfbox_isa::{decode, slots_from_bytes, Insn};
use std::path::PathBuf;

fn fixtures() -> Vec<PathBuf> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "bin"))
        .collect();
    v.sort();
    v
}

/// `(slot index, text)` of each instruction line of llvm-objdump output,
/// without the hex bytes and the trailing `<symbol+off>` annotation.
fn objdump_lines(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for line in text.lines() {
        let mut cols = line.splitn(3, '\t');
        let (Some(addr), Some(_hex), Some(insn)) = (cols.next(), cols.next(), cols.next()) else {
            continue;
        };
        let Some(Ok(pc)) = addr.trim().strip_suffix(':').map(str::parse::<usize>) else {
            continue;
        };
        let insn = match insn.rfind(" <") {
            Some(i) if insn.ends_with('>') => &insn[..i],
            _ => insn,
        };
        out.push((pc, insn.to_string()));
    }
    out
}

#[test]
fn matches_llvm_objdump() {
    let files = fixtures();
    assert!(files.len() >= 6, "fixtures missing");
    let mut checked = 0;
    for bin in files {
        let slots = slots_from_bytes(&std::fs::read(&bin).unwrap()).unwrap();
        let insns = decode(&slots).unwrap_or_else(|e| panic!("{}: {e}", bin.display()));
        let want = objdump_lines(&std::fs::read_to_string(bin.with_extension("objdump")).unwrap());
        let got: Vec<usize> = (0..insns.len())
            .filter(|&pc| insns[pc] != Insn::LdImm64Hi)
            .collect();
        assert_eq!(
            got,
            want.iter().map(|(pc, _)| *pc).collect::<Vec<_>>(),
            "{}: instruction boundaries differ",
            bin.display()
        );
        for (pc, text) in want {
            let mut mine = disasm_insn(&insns[pc], pc);
            if matches!(insns[pc], Insn::CallLocal { .. }) {
                mine = mine
                    .replacen("call pc+", "call ", 1)
                    .replacen("call pc-", "call -", 1);
            }
            assert_eq!(mine, text, "{} slot {pc}", bin.display());
            checked += 1;
        }
    }
    assert!(checked > 200, "only {checked} instructions checked");
}

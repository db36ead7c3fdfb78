//! The bpf_conformance suite (tests/*.data, assembled with bpfbox-asm):
//! every program must return the expected r0 through `run_simple`.
//! The suite lives outside the repository, in `../shared/conformance`
//! (or `BPF_CONFORMANCE_DIR`); where `../shared` is absent the harness
//! reports the test as ignored, with the reason.

use bpfbox_interp::{conformance_helpers, run_simple};
use std::path::PathBuf;

struct Case {
    asm: String,
    mem: Vec<u8>,
    result: Option<u64>,
}

fn parse(text: &str) -> Case {
    let mut section = "";
    let mut case = Case {
        asm: String::new(),
        mem: Vec::new(),
        result: None,
    };
    for line in text.lines() {
        if let Some(name) = line.strip_prefix("-- ") {
            section = name.trim();
            continue;
        }
        let code = line.split('#').next().unwrap_or("").trim();
        match section {
            "asm" => {
                case.asm.push_str(line);
                case.asm.push('\n');
            }
            "mem" => case.mem.extend(
                code.split_whitespace()
                    .map(|b| u8::from_str_radix(b, 16).unwrap()),
            ),
            "result" if !code.is_empty() => {
                let hex = code.trim_start_matches("0x");
                case.result = Some(u64::from_str_radix(hex, 16).unwrap());
            }
            _ => {}
        }
    }
    case
}

fn conformance_suite() {
    let dir = std::env::var_os("BPF_CONFORMANCE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| bpfbox_testkit::shared_dir().join("conformance"))
        .join("tests");
    let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let helpers = conformance_helpers();
    let mut failures = Vec::new();
    let mut passed = 0;
    for e in entries {
        let path = e.unwrap().path();
        if path.extension().is_none_or(|x| x != "data") {
            continue;
        }
        let case = parse(&std::fs::read_to_string(&path).unwrap());
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let Some(want) = case.result else {
            continue;
        };
        let slots = match bpfbox_asm::assemble(&case.asm) {
            Ok(s) => s,
            Err(e) => {
                failures.push(format!("{name}: assembler: {e}"));
                continue;
            }
        };
        let mut mem = case.mem.clone();
        match run_simple(&slots, &mut mem, &helpers) {
            Ok(got) if got == want => passed += 1,
            Ok(got) => failures.push(format!("{name}: got {got:#x}, want {want:#x}")),
            Err(e) => failures.push(format!("{name}: {e}")),
        }
    }
    eprintln!("conformance: {passed} passed, {} failed", failures.len());
    assert!(passed > 250, "only {passed} cases ran");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

bpfbox_testkit::main! {
    conformance_suite => [shared],
}

//! Every positive test parses, assembles, decodes and survives a
//! disassemble/reassemble round trip; every negative test is refused before
//! execution, except the few that only an engine can refuse.

use bpfbox_asm::{assemble, detect_syntax, Syntax};
use bpfbox_conformance::{load, run_file, static_refusal, Outcome};
use bpfbox_isa::decode;
use bpfbox_isa::disasm::disasm;
use std::path::{Path, PathBuf};

/// Negative tests whose programs assemble and decode: only executing them
/// (or verifying them) can refuse them.
/// - `error`: `or %r0, %r10` is valid encoding; the kernel verifier
///   refuses bitwise operations on the frame pointer.
/// - `incorrect_return_value_high_bits`: a valid program whose `-- result`
///   is wrong on purpose; the engine must return something else.
const NEED_ENGINE: &[&str] = &["error", "incorrect_return_value_high_bits"];

fn suite(sub: &str) -> Vec<PathBuf> {
    let dir = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/conformance"
    ))
    .join(sub);
    let rd = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let mut v: Vec<PathBuf> = rd
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "data"))
        .collect();
    v.sort();
    v
}

pub(crate) fn every_positive_test_parses_assembles_and_decodes() {
    let files = suite("tests");
    assert_eq!(files.len(), 313);
    for f in &files {
        let case = load(f).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        assert!(!case.negative && !case.expect_error, "{}", f.display());
        assert!(case.result.is_some(), "{}: no result", f.display());
        if let Some(why) = static_refusal(&case) {
            panic!("{}: {why}", f.display());
        }
    }
}

pub(crate) fn positive_programs_roundtrip_through_pseudo_c() {
    let files = suite("tests");
    for f in &files {
        let case = load(f).unwrap();
        if let Some(asm) = &case.asm {
            assert_eq!(detect_syntax(asm), Syntax::Conformance, "{}", f.display());
        }
        let text = disasm(&decode(&case.program).unwrap());
        assert_eq!(detect_syntax(&text), Syntax::PseudoC, "{}", f.display());
        let back = assemble(&text).unwrap_or_else(|e| panic!("{}: {e}\n{text}", f.display()));
        assert_eq!(back, case.program, "{}", f.display());
    }
}

pub(crate) fn negative_tests_are_refused_before_execution() {
    let files = suite("negative");
    assert_eq!(files.len(), 60);
    // An engine that accepts everything: only parsing, assembling and
    // decoding can make these pass.
    let mut accept_all = |_: &[bpfbox_isa::RawInsn], _: &[u8]| Ok(0x1122_3344_5566_7788u64);
    let mut needed = Vec::new();
    for f in &files {
        let stem = f.file_stem().unwrap().to_string_lossy().into_owned();
        let refused_statically = match load(f) {
            Err(_) => true,
            Ok(case) => {
                assert!(case.negative);
                static_refusal(&case).is_some()
            }
        };
        if refused_statically {
            assert!(run_file(f, &mut accept_all).passed(), "{stem}");
            assert!(
                !NEED_ENGINE.contains(&stem.as_str()),
                "{stem} is refused statically"
            );
        } else {
            needed.push(stem);
        }
    }
    assert_eq!(
        needed, NEED_ENGINE,
        "negative tests not refused by parse/assemble/decode"
    );
}

pub(crate) fn engine_only_negatives_need_the_engine() {
    let files = suite("negative");
    for name in NEED_ENGINE {
        let f = files
            .iter()
            .find(|f| f.file_stem().unwrap() == *name)
            .unwrap();
        let case = load(f).unwrap();
        // Refusing passes; returning the (wrong) expected result fails.
        assert!(run_file(f, &mut |_, _| Err("refused".into())).passed());
        if let Some(r) = case.result {
            assert!(!run_file(f, &mut |_, _| Ok(r)).passed());
        }
    }
    // incorrect_return_value_high_bits: the correct value differs from
    // the file's, so an engine computing it passes.
    let f = files
        .iter()
        .find(|f| f.file_stem().unwrap() == "incorrect_return_value_high_bits")
        .unwrap();
    assert_eq!(
        run_file(f, &mut |_, _| Ok(0x8877_6655_4433_2211)),
        Outcome::Pass
    );
}

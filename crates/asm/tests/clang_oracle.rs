//! `fixtures/clang_oracle.s` holds every pseudo-C form clang-19's BPF
//! assembler accepts; `fixtures/clang_oracle.bin` is what clang made of it.
//! Our assembler must produce the same bytes.

use bpfbox_asm::{assemble_as, Syntax};
use bpfbox_isa::slots_to_bytes;

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");

pub(crate) fn same_bytes_as_clang() {
    let src = std::fs::read_to_string(format!("{DIR}/clang_oracle.s")).unwrap();
    let want = std::fs::read(format!("{DIR}/clang_oracle.bin")).unwrap();
    let got = slots_to_bytes(&assemble_as(&src, Syntax::PseudoC).unwrap());
    assert_eq!(got.len(), want.len(), "slot count differs");
    for (i, (g, w)) in got.chunks(8).zip(want.chunks(8)).enumerate() {
        assert_eq!(g, w, "slot {i} differs");
    }
}

/// When clang-19 is installed, the committed .bin must still be what clang
/// makes of the .s (so the fixture cannot go stale).
pub(crate) fn fixture_matches_live_clang() {
    let out = std::env::temp_dir().join(format!("bpfbox_asm_oracle_{}.o", std::process::id()));
    let st = std::process::Command::new("clang-19")
        .args(["-target", "bpf", "-mcpu=v4", "-c"])
        .arg(format!("{DIR}/clang_oracle.s"))
        .arg("-o")
        .arg(&out)
        .status()
        .expect("clang-19 (the harness checks it first)");
    assert!(st.success());
    let bin = out.with_extension("bin");
    let st = std::process::Command::new("llvm-objcopy-19")
        .args(["-O", "binary", "--only-section=.text"])
        .arg(&out)
        .arg(&bin)
        .status()
        .expect("llvm-objcopy-19 comes with clang-19");
    assert!(st.success());
    let live = std::fs::read(&bin).unwrap();
    let _ = std::fs::remove_file(&out);
    let _ = std::fs::remove_file(&bin);
    assert_eq!(
        live,
        std::fs::read(format!("{DIR}/clang_oracle.bin")).unwrap()
    );
}

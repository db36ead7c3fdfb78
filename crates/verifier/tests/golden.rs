//! Golden files of the text rendering: `tests/golden/<name>.txt` holds
//! the rendered diagnostics of one program. `BPFBOX_BLESS=1` rewrites them.

use crate::common::prog;
use bpfbox_verifier::{check, render_text, Options};
use std::path::PathBuf;

fn golden(
    name: &str,
    text: &str,
    opts: &Options,
    source: Option<&dyn Fn(usize) -> Option<String>>,
) {
    let insns = prog(text);
    let diags = check(&insns, opts).expect_err("program must be refused");
    // The kernel refuses it for the reason of the first diagnostic.
    if let (Some(Err(log)), Some(k)) = (crate::common::kernel_load(&insns), &diags[0].kernel) {
        assert!(
            log.contains(k.as_str()),
            "{name}: kernel log lacks {k:?}:\n{log}"
        );
    }
    let rendered: Vec<String> = diags
        .iter()
        .map(|d| render_text(d, &insns, source))
        .collect();
    let actual = rendered.join("\n");
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(format!("{name}.txt"));
    if std::env::var_os("BPFBOX_BLESS").is_some() {
        std::fs::write(&path, &actual).expect("write golden file");
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (run with BPFBOX_BLESS=1 to create it)",
            path.display()
        )
    });
    assert!(
        expected == actual,
        "{name}: rendering changed (BPFBOX_BLESS=1 to accept)\n--- expected\n{expected}\n--- actual\n{actual}"
    );
}

pub(crate) fn uninit_return_value() {
    golden(
        "uninit_r0",
        "r2 = *(u32 *)(r1 + 0); if r2 > 5 goto +1; r0 = 0; exit",
        &Options::kernel(),
        None,
    );
}

pub(crate) fn clobbered_by_helper_with_source_lines() {
    let src = |pc: usize| -> Option<String> {
        Some(match pc {
            0..=1 => "int key = 1;".to_string(),
            2 => "u64 t = bpf_get_prandom_u32();".to_string(),
            _ => "return key + t;".to_string(),
        })
    };
    golden(
        "clobbered",
        "r1 = 1; r6 = r0; call 7; r0 += r1; exit",
        &Options::kernel(),
        Some(&src),
    );
}

pub(crate) fn structural_errors() {
    golden(
        "structure",
        "r0 = 0; call pc+2; r0 = 0; exit; r0 = 0; if r0 == 0 goto -4; exit",
        &Options::kernel(),
        None,
    );
}

pub(crate) fn dead_code_and_frame_pointer() {
    golden(
        "dead_code_fp",
        "r0 = 0; r0 |= r10; exit; r0 = 1; r0 = 2; exit",
        &Options::kernel(),
        None,
    );
    golden(
        "fp_arith",
        "r0 = 0; r0 *= r10; exit",
        &Options::kernel(),
        None,
    );
}

pub(crate) fn json_form() {
    let insns = prog("exit");
    let d = check(&insns, &Options::kernel()).unwrap_err();
    let v: serde_json::Value = serde_json::to_value(&d[0]).expect("serialises");
    assert_eq!(v["code"], "bpfbox::verifier::uninit_reg");
    assert_eq!(v["severity"], "error");
    assert_eq!(v["primary"]["insn"], 0);
    assert_eq!(v["kernel"], "R0 !read_ok");
    assert_eq!(v["suggestion"]["applicability"], "maybe_incorrect");
    assert!(v["related"].is_array());
}

pub(crate) fn immediates() {
    golden(
        "bad_shift",
        "w0 = 1; w0 <<= 36; r1 = 3; r1 /= 0; exit",
        &Options::kernel(),
        None,
    );
}

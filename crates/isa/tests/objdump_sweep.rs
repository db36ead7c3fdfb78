//! Every opcode byte with several operand combinations, disassembled both by
//! us and by the installed llvm-objdump-19 (skipped when clang-19 or
//! llvm-objdump-19 is missing). Encodings llvm-objdump-19 prints ambiguously,
//! wrongly or not at all are left out; `bpfbox_isa::disasm` lists them.

use bpfbox_isa::disasm::disasm_insn;
use bpfbox_isa::{decode, AtomicOp, DecodeErrorKind, Insn, LdImm64, RawInsn, Size};

/// Slots of padding on each side of a far-jumping instruction.
const PAD: usize = 33000;

/// Instructions are printed at slot `PAD`; those decoded from the short
/// program (at slot 0) get their target moved by `PAD` to match.
fn shift(insn: Insn) -> Insn {
    match insn {
        Insn::Ja { target, long } => Insn::Ja {
            target: target + PAD,
            long,
        },
        Insn::Jmp {
            width,
            cond,
            dst,
            src,
            target,
        } => Insn::Jmp {
            width,
            cond,
            dst,
            src,
            target: target + PAD,
        },
        Insn::MayGoto { target } => Insn::MayGoto {
            target: target + PAD,
        },
        i => i,
    }
}

use std::process::Command;

/// Whether llvm-objdump-19's default mode prints this instruction faithfully.
fn llvm_prints_it(insn: &Insn) -> bool {
    match insn {
        Insn::CallLocal { .. } | Insn::CallKfunc { .. } => false,
        Insn::Atomic { size, op, .. } => {
            *size == Size::DW && !matches!(op, AtomicOp::LoadAcquire | AtomicOp::StoreRelease)
                || *size == Size::W && *op == AtomicOp::Add { fetch: false }
        }
        Insn::LdImm64 { value, .. } => {
            matches!(
                value,
                LdImm64::Imm(_) | LdImm64::MapFd(_) | LdImm64::MapIdx(_)
            ) || matches!(
                value,
                LdImm64::MapValue { off: 0, .. }
                    | LdImm64::MapIdxValue { off: 0, .. }
                    | LdImm64::BtfId { btf_fd: 0, .. }
            )
        }
        Insn::LdInd { imm, .. } => *imm == 0,
        _ => true,
    }
}

fn candidates() -> Vec<Vec<RawInsn>> {
    let mut out = Vec::new();
    let imms = [
        0,
        1,
        -1,
        16,
        32,
        64,
        0x7fff_ffff,
        i32::MIN,
        0xe1,
        0xf1,
        0x41,
        0x51,
        0xa1,
    ];
    for code in 0..=255u8 {
        for (dst, src) in [(0, 0), (1, 2), (10, 1), (3, 10), (0, 1)] {
            for off in [0i16, 1, -1, 8, 16, 32, i16::MIN, i16::MAX] {
                for imm in imms {
                    let r = RawInsn::new(code, dst, src, off, imm);
                    let mut prog = vec![r];
                    if code == 0x18 {
                        prog.push(RawInsn::new(0, 0, 0, 0, imm.wrapping_mul(3)));
                    }
                    out.push(prog);
                }
            }
        }
    }
    out
}

pub(crate) fn sweep_against_live_objdump() {
    // Keep one representative per distinct decoded instruction shape that
    // decodes on its own (jumps may leave the one-slot program: give them
    // room by decoding inside a padded program).
    let mut progs = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for p in candidates() {
        // Decode in a short program first; only jumps that leave it need
        // the (slow) padded one.
        let mut short = p.clone();
        short.push(RawInsn::new(0x95, 0, 0, 0, 0));
        let insn = match decode(&short) {
            Ok(insns) => shift(insns[0]),
            Err(e) if matches!(e.kind, DecodeErrorKind::JumpOutOfRange(_)) => {
                let mut padded = vec![RawInsn::new(0x95, 0, 0, 0, 0); 2 * PAD];
                padded.splice(PAD..PAD, p.iter().copied());
                // Decoded at slot `PAD`: already in the printing frame.
                let Ok(insns) = decode(&padded) else { continue };
                insns[PAD]
            }
            Err(_) => continue,
        };
        if !llvm_prints_it(&insn) || !seen.insert(p.clone()) {
            continue;
        }
        progs.push((p, insn));
    }
    assert!(progs.len() > 2000, "only {} encodings", progs.len());

    let dir = std::env::temp_dir().join(format!("bpfbox_sweep_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut s = String::from("\t.text\nf:\n");
    for (p, _) in &progs {
        let bytes: Vec<String> = p
            .iter()
            .flat_map(|r| r.to_bytes())
            .map(|b| format!("{b:#04x}"))
            .collect();
        s.push_str(&format!("\t.byte {}\n", bytes.join(",")));
    }
    let src = dir.join("sweep.s");
    let obj = dir.join("sweep.o");
    std::fs::write(&src, s).unwrap();
    let built = Command::new("clang-19")
        .args(["-target", "bpf", "-c"])
        .arg(&src)
        .arg("-o")
        .arg(&obj)
        .status()
        .expect("clang-19 (the harness checks it first)");
    assert!(built.success());
    let out = Command::new("llvm-objdump-19")
        .arg("-d")
        .arg(&obj)
        .output()
        .expect("llvm-objdump-19 comes with clang-19");
    let _ = std::fs::remove_dir_all(&dir);
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text
        .lines()
        .filter_map(|l| l.splitn(3, '\t').nth(2))
        .collect();
    assert_eq!(lines.len(), progs.len());
    let mut bad = Vec::new();
    for ((p, insn), llvm) in progs.iter().zip(lines) {
        let llvm = match llvm.rfind(" <") {
            Some(i) if llvm.ends_with('>') => &llvm[..i],
            _ => llvm,
        };
        // Displacements are relative, so the slot index does not matter
        // as long as it is the one the target was computed from.
        let mine = disasm_insn(insn, PAD);
        if mine != llvm {
            bad.push(format!(
                "{:016x}: ours `{mine}`, llvm `{llvm}`",
                p[0].to_u64()
            ));
        }
    }
    assert!(
        bad.is_empty(),
        "{} differences:\n{}",
        bad.len(),
        bad[..bad.len().min(40)].join("\n")
    );
}

bpfbox_testkit::main! {
    sweep_against_live_objdump => [clang, llvm],
}

//! Random programs, bpfbox against the kernel.
//!
//! 1. `bpfbox_kernel::fuzzgen` programs (which the 6.18 verifier accepts,
//!    as that crate's tests check): all must pass `check`.
//! 2. Small random scalar programs with uninitialised reads, calls and
//!    branches on constants: whatever bpfbox accepts the kernel must
//!    accept, and every "R%d !read_ok" of the kernel must be one of
//!    bpfbox's diagnostics, at the same instruction.

use crate::common::{kernel_error, kernel_load, verify};
use bpfbox_isa::{AluOp, Cond, Insn, Src, Width};
use bpfbox_kernel::fuzzgen::{random_program, Rng};

pub(crate) fn fuzzgen_programs_pass() {
    for seed in 0..500u64 {
        let p = random_program(seed, 20 + (seed as usize % 8) * 40);
        if let Err(d) = verify(&p) {
            panic!(
                "seed {seed}: {}",
                bpfbox_verifier::render_text(&d[0], &p, None)
            );
        }
    }
    // Spot-check the premise on this kernel.
    for seed in (0..500u64).step_by(25) {
        let p = random_program(seed, 20 + (seed as usize % 8) * 40);
        if let Some(r) = kernel_load(&p) {
            assert_eq!(r.map_err(|l| kernel_error(&l).0), Ok(()), "seed {seed}");
        }
    }
}

/// Registers the generator uses: scalars only (`r1` holds the context
/// pointer, whose arithmetic rules need type tracking).
const REGS: [u8; 8] = [0, 2, 3, 4, 5, 6, 7, 8];
/// With packet loads, `r6` must keep the context.
const REGS_NO_R6: [u8; 7] = [0, 2, 3, 4, 5, 7, 8];

/// What a generated function may contain besides scalar ALU, jumps,
/// helper calls and stack stores.
#[derive(Clone, Copy)]
struct Extras {
    /// `call pc+N` to the function at this slot.
    callee: Option<usize>,
    /// `LD_ABS`/`LD_IND`.
    ld_abs: bool,
}

/// One function body of about `len` instructions, placed at slot `base`,
/// ending in `exit`; jumps go forward inside it.
fn random_function(
    rng: &mut Rng,
    regs: &[u8],
    len: usize,
    base: usize,
    extras: Extras,
    prologue: bool,
) -> Vec<Insn> {
    let reg = |rng: &mut Rng| regs[rng.below(regs.len())];
    let mut body = Vec::new();
    // Most registers start with a (small, so branches on them are often
    // decided) constant; the others are read uninitialised sooner or later.
    if prologue {
        if extras.ld_abs && rng.chance(90) {
            body.push(Insn::Alu {
                width: Width::W64,
                op: AluOp::Mov,
                dst: 6,
                src: Src::Reg(1),
            });
        }
        for &r in regs {
            if rng.chance(90) {
                let v = rng.below(4) as i32;
                body.push(Insn::Alu {
                    width: Width::W64,
                    op: AluOp::Mov,
                    dst: r,
                    src: Src::Imm(v),
                });
            }
        }
    }
    let start = body.len();
    for i in start..start + len {
        let width = if rng.chance(20) {
            Width::W32
        } else {
            Width::W64
        };
        let src = |rng: &mut Rng| {
            if rng.chance(50) {
                Src::Imm(rng.below(4) as i32)
            } else {
                Src::Reg(reg(rng))
            }
        };
        let insn = match rng.below(100) {
            0..=29 => Insn::Alu {
                width,
                op: AluOp::Mov,
                dst: reg(rng),
                src: src(rng),
            },
            30..=54 => {
                let ops = [
                    AluOp::Add,
                    AluOp::Sub,
                    AluOp::Mul,
                    AluOp::Or,
                    AluOp::And,
                    AluOp::Xor,
                    AluOp::Lsh,
                ];
                let op = ops[rng.below(ops.len())];
                let s = if op == AluOp::Lsh {
                    Src::Imm(rng.below(8) as i32)
                } else {
                    src(rng)
                };
                Insn::Alu {
                    width,
                    op,
                    dst: reg(rng),
                    src: s,
                }
            }
            55..=77 => {
                let conds = [Cond::Eq, Cond::Ne, Cond::Gt, Cond::Lt, Cond::Sge, Cond::Set];
                let skip = 1 + rng.below(start + len - i);
                Insn::Jmp {
                    width,
                    cond: conds[rng.below(conds.len())],
                    dst: reg(rng),
                    src: src(rng),
                    target: i + skip,
                }
            }
            78..=81 => Insn::Call { helper: 7 },
            82..=84 => match (extras.callee, extras.ld_abs) {
                (Some(target), _) => Insn::CallLocal { target },
                (None, true) if rng.chance(50) => Insn::LdAbs {
                    size: bpfbox_isa::Size::B,
                    imm: rng.below(8) as i32,
                },
                (None, true) => Insn::LdInd {
                    size: bpfbox_isa::Size::B,
                    src: reg(rng),
                    imm: 0,
                },
                (None, false) => Insn::Call { helper: 7 },
            },
            // Stack stores, now and then misaligned or out of the stack.
            85..=93 => Insn::Store {
                size: bpfbox_isa::Size::DW,
                dst: 10,
                off: if rng.chance(90) {
                    -8
                } else {
                    [-4, -12, 0, -520, -512, 8][rng.below(6)]
                },
                src: Src::Reg(reg(rng)),
            },
            94..=95 => Insn::Neg {
                width,
                dst: reg(rng),
            },
            96..=97 => {
                let kinds = [
                    bpfbox_isa::Endian::ToLe,
                    bpfbox_isa::Endian::ToBe,
                    bpfbox_isa::Endian::Swap,
                ];
                let bits = [16, 32, 64][rng.below(3)];
                Insn::End {
                    kind: kinds[rng.below(3)],
                    bits,
                    dst: reg(rng),
                }
            }
            _ => {
                let ops = [
                    AluOp::Div,
                    AluOp::Mod,
                    AluOp::Sdiv,
                    AluOp::Smod,
                    AluOp::Arsh,
                    AluOp::Rsh,
                ];
                let op = ops[rng.below(ops.len())];
                Insn::Alu {
                    width,
                    op,
                    dst: reg(rng),
                    // Now and then an immediate the kernel refuses (a 0
                    // divisor, a shift amount out of range).
                    src: Src::Imm(if rng.chance(15) {
                        [0, 31, 32, 63, 64, -1][rng.below(6)]
                    } else {
                        1 + rng.below(3) as i32
                    }),
                }
            }
        };
        body.push(insn);
    }
    if rng.chance(60) {
        let v = rng.below(3) as i32;
        body.push(Insn::Alu {
            width: Width::W64,
            op: AluOp::Mov,
            dst: 0,
            src: Src::Imm(v),
        });
    }
    body.push(Insn::Exit);
    // Jumps go forward, at most onto the final `exit`; then to slots.
    let n = body.len();
    for insn in body.iter_mut() {
        if let Insn::Jmp { target, .. } = insn {
            *target = (*target).min(n - 1) + base;
        }
    }
    body
}

/// A main program, optionally with one called function or with packet
/// loads.
fn random_scalar_program(rng: &mut Rng) -> Vec<Insn> {
    let len = 3 + rng.below(18);
    match rng.below(4) {
        0 => {
            // main + a callee; the callee's slot is known once main is built,
            // so build main with a placeholder and patch it.
            let mut main = random_function(
                rng,
                &REGS,
                len,
                0,
                Extras {
                    callee: Some(usize::MAX),
                    ld_abs: false,
                },
                true,
            );
            let callee_at = main.len();
            for insn in main.iter_mut() {
                if let Insn::CallLocal { target } = insn {
                    *target = callee_at;
                }
            }
            let callee_len = 1 + rng.below(10);
            let callee = random_function(
                rng,
                &REGS,
                callee_len,
                callee_at,
                Extras {
                    callee: None,
                    ld_abs: false,
                },
                false,
            );
            if !main.iter().any(|i| matches!(i, Insn::CallLocal { .. })) {
                return main;
            }
            main.extend(callee);
            main
        }
        1 => random_function(
            rng,
            &REGS_NO_R6,
            len,
            0,
            Extras {
                callee: None,
                ld_abs: true,
            },
            true,
        ),
        _ => random_function(
            rng,
            &REGS,
            len,
            0,
            Extras {
                callee: None,
                ld_abs: false,
            },
            true,
        ),
    }
}

pub(crate) fn random_scalar_programs_agree_with_the_kernel() {
    if kernel_load(&[Insn::Exit]).is_none() {
        return;
    }
    let mut rng = Rng::new(0x5eed);
    let (mut both_ok, mut both_refuse, mut first_same, mut only_we_refuse) = (0, 0, 0, 0);
    for case in 0..2000 {
        let p = random_scalar_program(&mut rng);
        let ours = verify(&p);
        let Some(kernel) = kernel_load(&p) else {
            return;
        };
        match (&ours, kernel) {
            (Ok(()), Ok(())) => both_ok += 1,
            (Ok(()), Err(log)) => panic!(
                "case {case}: bpfbox accepts, the kernel refuses: {}\n{}",
                kernel_error(&log).0,
                bpfbox_isa::disasm::disasm(&p)
            ),
            (Err(d), Ok(())) => {
                // Imprecision: the kernel proved a branch dead with range
                // knowledge this layer does not have. Only reads can differ.
                assert!(
                    d.iter().all(|d| d.code == bpfbox_verifier::Code::UninitReg),
                    "case {case}: {d:?}"
                );
                only_we_refuse += 1;
            }
            (Err(d), Err(log)) => {
                both_refuse += 1;
                let (msg, at) = kernel_error(&log);
                let known = ["!read_ok", "div by zero", "invalid shift", "stack"];
                if !known.iter().any(|k| msg.contains(k)) {
                    panic!("case {case}: unexpected kernel refusal {msg:?}");
                }
                let found = d.iter().any(|d| {
                    d.kernel.as_deref() == Some(msg.as_str()) && Some(d.primary.insn) == at
                });
                assert!(
                    found,
                    "case {case}: kernel {msg:?} at {at:?} not among {d:#?}\n{}",
                    bpfbox_isa::disasm::disasm(&p)
                );
                if d[0].kernel.as_deref() == Some(msg.as_str()) && Some(d[0].primary.insn) == at {
                    first_same += 1;
                }
            }
        }
    }
    eprintln!(
        "random scalar programs: {both_ok} accepted by both, {both_refuse} refused by both \
         ({first_same} with the same first diagnostic), {only_we_refuse} refused only by bpfbox"
    );
    assert!(
        both_ok > 200 && both_refuse > 200,
        "generator lost its balance"
    );
    // The first diagnostic is the kernel's in the vast majority of cases,
    // and bpfbox rarely refuses what the kernel accepts.
    assert!(
        first_same * 20 >= both_refuse * 19,
        "{first_same} of {both_refuse}"
    );
    assert!(
        only_we_refuse * 50 <= both_ok,
        "{only_we_refuse} refused only by bpfbox"
    );
}

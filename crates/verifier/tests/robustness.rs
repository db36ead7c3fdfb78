//! `check` never panics, whatever the instruction list: random lists with
//! stray `lddw` halves, targets anywhere (also past the end), register
//! numbers above 10 and writes to `r10`.

use bpfbox_isa::{AluOp, AtomicOp, Cond, Insn, LdImm64, Size, Src, Width};
use bpfbox_kernel::fuzzgen::Rng;
use bpfbox_verifier::{check, render_text, Options};

fn random_insn(rng: &mut Rng, len: usize) -> Insn {
    let reg = |rng: &mut Rng| rng.below(12) as u8;
    let target = |rng: &mut Rng| {
        if rng.chance(5) {
            usize::MAX
        } else {
            rng.below(len + 2)
        }
    };
    let src = |rng: &mut Rng| {
        if rng.chance(50) {
            Src::Reg(reg(rng))
        } else {
            Src::Imm(rng.below(8) as i32 - 2)
        }
    };
    let width = if rng.chance(50) {
        Width::W32
    } else {
        Width::W64
    };
    match rng.below(16) {
        0 => Insn::Alu {
            width,
            op: AluOp::Or,
            dst: reg(rng),
            src: src(rng),
        },
        1 => Insn::Alu {
            width,
            op: AluOp::Mov,
            dst: reg(rng),
            src: src(rng),
        },
        2 => Insn::Jmp {
            width,
            cond: Cond::Gt,
            dst: reg(rng),
            src: src(rng),
            target: target(rng),
        },
        3 => Insn::Ja {
            target: target(rng),
            long: false,
        },
        4 => Insn::MayGoto {
            target: target(rng),
        },
        5 => Insn::CallLocal {
            target: target(rng),
        },
        6 => Insn::LdImm64 {
            dst: reg(rng),
            value: LdImm64::Func(target(rng)),
        },
        7 => Insn::LdImm64 {
            dst: reg(rng),
            value: LdImm64::Imm(3),
        },
        8 => Insn::LdImm64Hi,
        9 => Insn::Call { helper: 7 },
        10 => Insn::CallX { reg: reg(rng) },
        11 => Insn::Atomic {
            size: Size::DW,
            op: AtomicOp::Cmpxchg,
            dst: reg(rng),
            src: reg(rng),
            off: 0,
        },
        12 => Insn::LdInd {
            size: Size::B,
            src: reg(rng),
            imm: 0,
        },
        13 => Insn::Store {
            size: Size::W,
            dst: reg(rng),
            off: -4,
            src: src(rng),
        },
        14 => Insn::Neg {
            width,
            dst: reg(rng),
        },
        _ => Insn::Exit,
    }
}

pub(crate) fn never_panics() {
    let mut rng = Rng::new(42);
    let mut refused = 0;
    for _ in 0..20_000 {
        let len = rng.below(30);
        let mut p: Vec<Insn> = (0..len).map(|_| random_insn(&mut rng, len)).collect();
        // Often make the lddw pairs well-formed so later passes run too.
        if rng.chance(70) {
            p.retain(|i| *i != Insn::LdImm64Hi);
            let mut fixed = Vec::new();
            for i in p {
                fixed.push(i);
                if matches!(i, Insn::LdImm64 { .. }) {
                    fixed.push(Insn::LdImm64Hi);
                }
            }
            p = fixed;
        }
        for opts in [Options::kernel(), Options::conformance()] {
            if let Err(d) = check(&p, &opts) {
                refused += 1;
                assert!(!d.is_empty());
                for d in &d {
                    let text = render_text(d, &p, Some(&|pc| Some(format!("line {pc}"))));
                    assert!(text.starts_with("error["), "{text}");
                }
            }
        }
    }
    assert!(refused > 0);
}

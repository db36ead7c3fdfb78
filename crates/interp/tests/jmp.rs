//! Jumps: every condition both ways in both widths, `ja`, `gotol` and
//! `may_goto`'s kernel loop budget.

use crate::common::*;
use bpfbox_interp::MAY_GOTO_BUDGET;
use bpfbox_isa::{Cond, Insn, Src, Width};

/// 1 when `a cond b` jumps, 0 otherwise.
fn jumps(width: Width, cond: Cond, a: u64, b: u64) -> u64 {
    let mut p = lddw(1, a).to_vec();
    p.extend(lddw(2, b));
    p.extend([
        mov(0, 0),
        Insn::Jmp {
            width,
            cond,
            dst: 1,
            src: Src::Reg(2),
            target: 7,
        },
        EXIT,
        mov(0, 1),
        EXIT,
    ]);
    // Slots: 0-1 lddw, 2-3 lddw, 4 mov, 5 jmp, 6 exit, 7 mov, 8 exit.
    run(p).unwrap()
}

#[test]
fn conditions_64() {
    use Cond::*;
    let w = Width::W64;
    let m1 = u64::MAX;
    let cases = [
        (Eq, 5, 5, 1),
        (Eq, 5, 6, 0),
        (Ne, 5, 6, 1),
        (Ne, 5, 5, 0),
        (Gt, m1, 1, 1),
        (Gt, 1, 1, 0),
        (Ge, 1, 1, 1),
        (Ge, 0, 1, 0),
        (Lt, 1, m1, 1),
        (Lt, 1, 1, 0),
        (Le, 1, 1, 1),
        (Le, 2, 1, 0),
        (Sgt, 1, m1, 1),
        (Sgt, m1, 1, 0),
        (Sge, m1, m1, 1),
        (Sge, m1, 0, 0),
        (Slt, m1, 0, 1),
        (Slt, 0, m1, 0),
        (Sle, m1, m1, 1),
        (Sle, 0, m1, 0),
        (Set, 6, 2, 1),
        (Set, 6, 1, 0),
    ];
    for (c, a, b, want) in cases {
        assert_eq!(jumps(w, c, a, b), want, "{c:?} {a:#x} {b:#x}");
    }
}

#[test]
fn conditions_32_use_low_halves() {
    use Cond::*;
    let w = Width::W32;
    let cases = [
        (Eq, 0x1_0000_0005, 5, 1),
        (Ne, 0x1_0000_0005, 5, 0),
        (Gt, 0xffff_ffff, 0x1_0000_0000, 1),
        (Slt, 0xffff_ffff, 0, 1),
        (Sgt, 0x7fff_ffff, 0xffff_ffff_8000_0000, 1),
        (Set, 0x1_0000_0000, 0x1_0000_0000, 0),
        (Le, 0x2_0000_0000, 0, 1),
    ];
    for (c, a, b, want) in cases {
        assert_eq!(jumps(w, c, a, b), want, "{c:?} {a:#x} {b:#x}");
    }
}

#[test]
fn immediate_operand_is_sign_extended() {
    let p = vec![
        mov(0, 0),
        mov(1, -1),
        jmp(Cond::Eq, 1, Src::Imm(-1), 4),
        EXIT,
        mov(0, 1),
        EXIT,
    ];
    assert_eq!(run(p), Ok(1));
}

#[test]
fn unconditional_and_long_jumps() {
    let p = vec![
        mov(0, 1),
        ja(3),
        mov(0, 2),
        Insn::Ja {
            target: 5,
            long: true,
        },
        mov(0, 3),
        EXIT,
    ];
    assert_eq!(run(p), Ok(1));
}

#[test]
fn may_goto_budget_is_8m_per_frame() {
    // r0 counts iterations of `loop: r0 += 1; may_goto out; goto loop`.
    let p = vec![
        mov(0, 0),
        add(0, 1),                   // 1
        Insn::MayGoto { target: 4 }, // 2
        ja(1),                       // 3
        EXIT,                        // 4
    ];
    assert_eq!(run(p), Ok(MAY_GOTO_BUDGET + 1));
}

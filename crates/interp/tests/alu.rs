//! ALU, NEG and END: raw slots decode to the expected `Insn` and compute
//! hand-checked results (64-bit and 32-bit, register and immediate).

use crate::common::*;
use bpfbox_interp::{conformance_helpers, run_simple};
use bpfbox_isa::{decode, AluOp, Endian, Insn, RawInsn, Src, Width};

/// Runs `r0 = a; r1 = b; r0 op= r1 (or imm b)` and returns r0.
fn eval(width: Width, op: AluOp, a: u64, b: Src, b_reg: u64) -> u64 {
    let mut p = Vec::new();
    p.extend(lddw(0, a));
    p.extend(lddw(1, b_reg));
    p.push(Insn::Alu {
        width,
        op,
        dst: 0,
        src: b,
    });
    p.push(EXIT);
    run(p).expect("runs")
}

#[test]
fn raw_alu_slot_decodes_and_runs() {
    // add64 r0, 7 (0x07) then add32 r0, r1 (0x0c) with r1 = 0xffff_ffff.
    let slots = [
        RawInsn::new(0xb7, 0, 0, 0, 5),  // mov r0, 5
        RawInsn::new(0x07, 0, 0, 0, 7),  // add r0, 7
        RawInsn::new(0xb7, 1, 0, 0, -1), // mov r1, -1
        RawInsn::new(0x0c, 0, 1, 0, 0),  // add32 r0, r1
        RawInsn::new(0x95, 0, 0, 0, 0),  // exit
    ];
    let d = decode(&slots).unwrap();
    assert_eq!(
        d[1],
        Insn::Alu {
            width: Width::W64,
            op: AluOp::Add,
            dst: 0,
            src: Src::Imm(7)
        }
    );
    assert_eq!(
        d[3],
        Insn::Alu {
            width: Width::W32,
            op: AluOp::Add,
            dst: 0,
            src: Src::Reg(1)
        }
    );
    assert_eq!(
        run_simple(&slots, &mut [], &conformance_helpers()).unwrap(),
        11
    );
}

#[test]
fn alu64_results() {
    use AluOp::*;
    let w = Width::W64;
    let r = |op, a, b| eval(w, op, a, Src::Reg(1), b);
    assert_eq!(r(Add, u64::MAX, 2), 1);
    assert_eq!(r(Sub, 1, 2), u64::MAX);
    assert_eq!(r(Mul, 1 << 63, 2), 0);
    assert_eq!(r(Div, 100, 7), 14);
    assert_eq!(r(Div, 100, 0), 0);
    assert_eq!(r(Sdiv, -100i64 as u64, 7), -14i64 as u64);
    assert_eq!(r(Or, 0xf0, 0x0f), 0xff);
    assert_eq!(r(And, 0xf0, 0x3c), 0x30);
    assert_eq!(r(Lsh, 1, 64 + 4), 16);
    assert_eq!(r(Rsh, 1 << 63, 63), 1);
    assert_eq!(r(Mod, 100, 7), 2);
    assert_eq!(r(Mod, 100, 0), 100);
    assert_eq!(r(Smod, -100i64 as u64, 7), -2i64 as u64);
    assert_eq!(r(Xor, 0xff, 0x0f), 0xf0);
    assert_eq!(r(Mov, 1, 2), 2);
    assert_eq!(r(Movsx(8), 0, 0x1ff), u64::MAX);
    assert_eq!(r(Movsx(16), 0, 0x8000), 0xffff_ffff_ffff_8000);
    assert_eq!(r(Movsx(32), 0, 0x8000_0000), 0xffff_ffff_8000_0000);
    assert_eq!(r(Arsh, 1 << 63, 62), 0xffff_ffff_ffff_fffe);
    // Immediates are sign-extended to 64 bits.
    assert_eq!(eval(w, Add, 0, Src::Imm(-1), 0), u64::MAX);
    assert_eq!(eval(w, Rsh, u64::MAX, Src::Imm(60), 0), 15);
}

#[test]
fn alu32_results_zero_extend() {
    use AluOp::*;
    let w = Width::W32;
    let r = |op, a, b| eval(w, op, a, Src::Reg(1), b);
    assert_eq!(r(Add, 0xffff_ffff_ffff_ffff, 2), 1);
    assert_eq!(r(Sub, 0xdead_0000_0000_0001, 2), 0xffff_ffff);
    assert_eq!(r(Mul, 0x1_0000_0003, 3), 9);
    assert_eq!(
        r(Div, 0x1_0000_0064, 0x1_0000_0000),
        0,
        "divisor is 0 in 32 bits"
    );
    assert_eq!(r(Mod, 0x1_0000_0064, 0x1_0000_0000), 100);
    assert_eq!(r(Sdiv, 0xffff_ff9c, 7), 0xffff_fff2);
    assert_eq!(r(Lsh, 1, 33), 2);
    assert_eq!(r(Arsh, 0x8000_0000, 31), 0xffff_ffff);
    assert_eq!(r(Movsx(8), 0, 0x80), 0xffff_ff80);
    assert_eq!(r(Mov, 0, 0xffff_ffff_1234_5678), 0x1234_5678);
    assert_eq!(eval(w, Add, 0, Src::Imm(-1), 0), 0xffff_ffff);
}

#[test]
fn neg_and_byte_order() {
    let one = |i: Insn, v: u64| {
        let mut p = lddw(0, v).to_vec();
        p.push(i);
        p.push(EXIT);
        run(p).unwrap()
    };
    assert_eq!(
        one(
            Insn::Neg {
                width: Width::W64,
                dst: 0
            },
            1
        ),
        u64::MAX
    );
    assert_eq!(
        one(
            Insn::Neg {
                width: Width::W32,
                dst: 0
            },
            1
        ),
        0xffff_ffff
    );
    let v = 0x0102_0304_0506_0708;
    assert_eq!(
        one(
            Insn::End {
                kind: Endian::ToBe,
                bits: 16,
                dst: 0
            },
            v
        ),
        0x0807
    );
    assert_eq!(
        one(
            Insn::End {
                kind: Endian::ToBe,
                bits: 32,
                dst: 0
            },
            v
        ),
        0x0807_0605
    );
    assert_eq!(
        one(
            Insn::End {
                kind: Endian::ToBe,
                bits: 64,
                dst: 0
            },
            v
        ),
        0x0807_0605_0403_0201
    );
    assert_eq!(
        one(
            Insn::End {
                kind: Endian::ToLe,
                bits: 16,
                dst: 0
            },
            v
        ),
        0x0708
    );
    assert_eq!(
        one(
            Insn::End {
                kind: Endian::ToLe,
                bits: 32,
                dst: 0
            },
            v
        ),
        0x0506_0708
    );
    assert_eq!(
        one(
            Insn::End {
                kind: Endian::Swap,
                bits: 32,
                dst: 0
            },
            v
        ),
        0x0807_0605
    );
}

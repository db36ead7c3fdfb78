//! Per-instruction-class decoding tests: exact `Insn` from exact bytes, the
//! encoder as inverse, and the kernel's reserved-field rejections.

use bpfbox_isa::*;

fn r(code: u8, dst: u8, src: u8, off: i16, imm: i32) -> RawInsn {
    RawInsn::new(code, dst, src, off, imm)
}

const EXIT: RawInsn = RawInsn::new(0x95, 0, 0, 0, 0);

/// Decodes `slots` + exit, checks the first insn and that encoding gives
/// the same slots back.
fn one(slots: &[RawInsn], want: Insn) {
    let mut prog = slots.to_vec();
    prog.push(EXIT);
    let got = decode(&prog).unwrap_or_else(|e| panic!("{slots:?}: {e}"));
    assert_eq!(got[0], want, "decoding {slots:?}");
    assert_eq!(encode(&got).unwrap(), prog, "re-encoding {want:?}");
}

fn refused(slots: &[RawInsn]) -> DecodeError {
    let mut prog = slots.to_vec();
    prog.push(EXIT);
    decode(&prog).expect_err("must be refused")
}

#[test]
fn alu() {
    use AluOp::*;
    let alu = |width, op, dst, src| Insn::Alu {
        width,
        op,
        dst,
        src,
    };
    one(
        &[r(0x07, 1, 0, 0, -3)],
        alu(Width::W64, Add, 1, Src::Imm(-3)),
    );
    one(&[r(0x0f, 1, 2, 0, 0)], alu(Width::W64, Add, 1, Src::Reg(2)));
    one(&[r(0x04, 0, 0, 0, 7)], alu(Width::W32, Add, 0, Src::Imm(7)));
    one(&[r(0x1c, 3, 4, 0, 0)], alu(Width::W32, Sub, 3, Src::Reg(4)));
    one(
        &[r(0x3f, 1, 2, 1, 0)],
        alu(Width::W64, Sdiv, 1, Src::Reg(2)),
    );
    one(
        &[r(0x97, 1, 0, 1, 5)],
        alu(Width::W64, Smod, 1, Src::Imm(5)),
    );
    one(
        &[r(0xbf, 1, 2, 8, 0)],
        alu(Width::W64, Movsx(8), 1, Src::Reg(2)),
    );
    one(
        &[r(0xbf, 1, 2, 32, 0)],
        alu(Width::W64, Movsx(32), 1, Src::Reg(2)),
    );
    one(
        &[r(0xbc, 1, 2, 16, 0)],
        alu(Width::W32, Movsx(16), 1, Src::Reg(2)),
    );
    one(
        &[r(0xc7, 1, 0, 0, 63)],
        alu(Width::W64, Arsh, 1, Src::Imm(63)),
    );
    one(
        &[r(0x87, 4, 0, 0, 0)],
        Insn::Neg {
            width: Width::W64,
            dst: 4,
        },
    );
    one(
        &[r(0x84, 4, 0, 0, 0)],
        Insn::Neg {
            width: Width::W32,
            dst: 4,
        },
    );
}

#[test]
fn alu_reserved_fields() {
    // add with non-zero off, K with src, X with imm: as the conformance
    // negative tests and the kernel's check_alu_op require.
    assert_eq!(
        refused(&[r(0x07, 0, 0, 1, 1)]).kind,
        DecodeErrorKind::ReservedField("off")
    );
    assert_eq!(
        refused(&[r(0x07, 0, 1, 0, 1)]).kind,
        DecodeErrorKind::ReservedField("src")
    );
    assert_eq!(
        refused(&[r(0x0f, 0, 0, 0, 1)]).kind,
        DecodeErrorKind::ReservedField("imm")
    );
    // movsx32 only exists for ALU64; movsx with K is not an instruction.
    assert!(matches!(
        refused(&[r(0xbc, 1, 2, 32, 0)]).kind,
        DecodeErrorKind::ReservedField(_)
    ));
    assert!(matches!(
        refused(&[r(0xb7, 1, 0, 8, 0)]).kind,
        DecodeErrorKind::ReservedField(_)
    ));
    assert_eq!(
        refused(&[r(0x07, 10, 0, 0, 1)]).kind,
        DecodeErrorKind::FramePointerWrite
    );
    assert_eq!(
        refused(&[r(0x0f, 1, 11, 0, 0)]).kind,
        DecodeErrorKind::BadRegister(11)
    );
    assert!(matches!(
        refused(&[r(0x8f, 1, 0, 0, 0)]).kind,
        DecodeErrorKind::UnknownOpcode(0x8f)
    ));
    assert!(matches!(
        refused(&[r(0xe7, 1, 0, 0, 0)]).kind,
        DecodeErrorKind::UnknownOpcode(0xe7)
    ));
}

#[test]
fn byte_swaps() {
    let end = |kind, bits| Insn::End { kind, bits, dst: 1 };
    one(&[r(0xd4, 1, 0, 0, 16)], end(Endian::ToLe, 16));
    one(&[r(0xdc, 1, 0, 0, 32)], end(Endian::ToBe, 32));
    one(&[r(0xd7, 1, 0, 0, 64)], end(Endian::Swap, 64));
    assert!(matches!(
        refused(&[r(0xdc, 1, 0, 0, 8)]).kind,
        DecodeErrorKind::BadOperand(_)
    ));
    assert!(matches!(
        refused(&[r(0xdf, 1, 0, 0, 16)]).kind,
        DecodeErrorKind::UnknownOpcode(_)
    ));
    assert_eq!(
        refused(&[r(0xdc, 1, 1, 0, 16)]).kind,
        DecodeErrorKind::ReservedField("src")
    );
}

#[test]
fn jumps() {
    one(
        &[r(0x05, 0, 0, 0, 0)],
        Insn::Ja {
            target: 1,
            long: false,
        },
    );
    one(
        &[r(0x06, 0, 0, 0, 0)],
        Insn::Ja {
            target: 1,
            long: true,
        },
    );
    one(
        &[r(0x2d, 1, 2, 0, 0)],
        Insn::Jmp {
            width: Width::W64,
            cond: Cond::Gt,
            dst: 1,
            src: Src::Reg(2),
            target: 1,
        },
    );
    one(
        &[r(0xc6, 1, 0, 0, -1)],
        Insn::Jmp {
            width: Width::W32,
            cond: Cond::Slt,
            dst: 1,
            src: Src::Imm(-1),
            target: 1,
        },
    );
    one(&[r(0xe5, 0, 0, 0, 0)], Insn::MayGoto { target: 1 });
    // Out of range both ways, and into the middle of lddw.
    let e = refused(&[r(0x05, 0, 0, 5, 0)]);
    assert_eq!((e.index, e.kind), (0, DecodeErrorKind::JumpOutOfRange(6)));
    assert_eq!(
        refused(&[r(0x05, 0, 0, -2, 0)]).kind,
        DecodeErrorKind::JumpOutOfRange(-1)
    );
    let e = refused(&[r(0x05, 0, 0, 1, 0), r(0x18, 0, 0, 0, 1), r(0, 0, 0, 0, 0)]);
    assert_eq!(e.kind, DecodeErrorKind::JumpIntoLdImm64(2));
    assert!(e.to_string().starts_with("insn 0 "), "{e}");
    // JMP32 has no call, exit or may_goto.
    assert!(matches!(
        refused(&[r(0x96, 0, 0, 0, 0)]).kind,
        DecodeErrorKind::UnknownOpcode(_)
    ));
}

#[test]
fn calls_and_exit() {
    one(&[r(0x85, 0, 0, 0, 1)], Insn::Call { helper: 1 });
    one(&[r(0x85, 0, 1, 0, 0)], Insn::CallLocal { target: 1 });
    one(&[r(0x8d, 2, 0, 0, 0)], Insn::CallX { reg: 2 });
    one(
        &[r(0x85, 0, 2, 0, 77)],
        Insn::CallKfunc { btf_id: 77, off: 0 },
    );
    assert_eq!(
        refused(&[r(0x85, 1, 0, 0, 0)]).kind,
        DecodeErrorKind::ReservedField("dst")
    );
    assert_eq!(
        refused(&[r(0x85, 0, 0, 1, 0)]).kind,
        DecodeErrorKind::ReservedField("off")
    );
    assert_eq!(
        refused(&[r(0x95, 0, 0, 0, 1)]).kind,
        DecodeErrorKind::ReservedField("imm")
    );
}

#[test]
fn memory() {
    let load = |size, signed| Insn::Load {
        size,
        signed,
        dst: 0,
        src: 1,
        off: -4,
    };
    one(&[r(0x61, 0, 1, -4, 0)], load(Size::W, false));
    one(&[r(0x79, 0, 1, -4, 0)], load(Size::DW, false));
    one(&[r(0x91, 0, 1, -4, 0)], load(Size::B, true));
    one(&[r(0x89, 0, 1, -4, 0)], load(Size::H, true));
    one(&[r(0x81, 0, 1, -4, 0)], load(Size::W, true));
    one(
        &[r(0x72, 10, 0, -8, 9)],
        Insn::Store {
            size: Size::B,
            dst: 10,
            off: -8,
            src: Src::Imm(9),
        },
    );
    one(
        &[r(0x6b, 10, 3, -8, 0)],
        Insn::Store {
            size: Size::H,
            dst: 10,
            off: -8,
            src: Src::Reg(3),
        },
    );
    assert!(matches!(
        refused(&[r(0x99, 0, 1, 0, 0)]).kind,
        DecodeErrorKind::UnknownOpcode(_)
    ));
    assert_eq!(
        refused(&[r(0x61, 0, 1, 0, 1)]).kind,
        DecodeErrorKind::ReservedField("imm")
    );
    assert_eq!(
        refused(&[r(0x62, 1, 1, 0, 1)]).kind,
        DecodeErrorKind::ReservedField("src")
    );
    assert_eq!(
        refused(&[r(0x61, 10, 1, 0, 0)]).kind,
        DecodeErrorKind::FramePointerWrite
    );
}

#[test]
fn atomics() {
    let at = |size, op| Insn::Atomic {
        size,
        op,
        dst: 10,
        src: 1,
        off: -8,
    };
    one(
        &[r(0xdb, 10, 1, -8, 0x00)],
        at(Size::DW, AtomicOp::Add { fetch: false }),
    );
    one(
        &[r(0xc3, 10, 1, -8, 0x01)],
        at(Size::W, AtomicOp::Add { fetch: true }),
    );
    one(
        &[r(0xdb, 10, 1, -8, 0x41)],
        at(Size::DW, AtomicOp::Or { fetch: true }),
    );
    one(
        &[r(0xdb, 10, 1, -8, 0x50)],
        at(Size::DW, AtomicOp::And { fetch: false }),
    );
    one(
        &[r(0xc3, 10, 1, -8, 0xa1)],
        at(Size::W, AtomicOp::Xor { fetch: true }),
    );
    one(&[r(0xdb, 10, 1, -8, 0xe1)], at(Size::DW, AtomicOp::Xchg));
    one(&[r(0xdb, 10, 1, -8, 0xf1)], at(Size::DW, AtomicOp::Cmpxchg));
    one(
        &[r(0xd3, 10, 1, -8, 0x110)],
        at(Size::B, AtomicOp::StoreRelease),
    );
    assert!(matches!(
        refused(&[r(0xd3, 10, 1, -8, 0x00)]).kind,
        DecodeErrorKind::BadOperand(_)
    ));
    assert!(matches!(
        refused(&[r(0xdb, 10, 1, -8, 0x20)]).kind,
        DecodeErrorKind::BadOperand(_)
    ));
}

#[test]
fn ld_imm64_every_source() {
    let lo = |src, imm| r(0x18, 1, src, 0, imm);
    let hi = |imm| r(0, 0, 0, 0, imm);
    let ld = |value| Insn::LdImm64 { dst: 1, value };
    one(
        &[lo(0, 0x5678), hi(0x1234)],
        ld(LdImm64::Imm(0x1234_0000_5678)),
    );
    one(&[lo(0, -1), hi(-1)], ld(LdImm64::Imm(u64::MAX)));
    one(&[lo(1, 3), hi(0)], ld(LdImm64::MapFd(3)));
    one(
        &[lo(2, 3), hi(16)],
        ld(LdImm64::MapValue { fd: 3, off: 16 }),
    );
    one(
        &[lo(3, 99), hi(0)],
        ld(LdImm64::BtfId { id: 99, btf_fd: 0 }),
    );
    one(&[lo(4, 1), hi(0)], ld(LdImm64::Func(2)));
    one(&[lo(5, 0), hi(0)], ld(LdImm64::MapIdx(0)));
    one(
        &[lo(6, 1), hi(4)],
        ld(LdImm64::MapIdxValue { idx: 1, off: 4 }),
    );
    let prog = [lo(0, 1), hi(0), EXIT];
    assert_eq!(decode(&prog).unwrap()[1], Insn::LdImm64Hi);
    let e = decode(&[lo(0, 1)]).unwrap_err();
    assert_eq!((e.index, e.kind), (0, DecodeErrorKind::TruncatedLdImm64));
    assert_eq!(
        refused(&[lo(0, 1), r(0x07, 0, 0, 0, 0)]).kind,
        DecodeErrorKind::TruncatedLdImm64
    );
    assert!(matches!(
        refused(&[lo(7, 1), hi(0)]).kind,
        DecodeErrorKind::BadOperand(_)
    ));
}

#[test]
fn legacy_packet_loads() {
    one(
        &[r(0x30, 0, 0, 0, 23)],
        Insn::LdAbs {
            size: Size::B,
            imm: 23,
        },
    );
    one(
        &[r(0x48, 0, 1, 0, 2)],
        Insn::LdInd {
            size: Size::H,
            src: 1,
            imm: 2,
        },
    );
    assert!(matches!(
        refused(&[r(0x38, 0, 0, 0, 0)]).kind,
        DecodeErrorKind::UnknownOpcode(_)
    ));
    assert_eq!(
        refused(&[r(0x20, 1, 0, 0, 0)]).kind,
        DecodeErrorKind::ReservedField("dst")
    );
}

#[test]
fn empty_program() {
    assert_eq!(decode(&[]).unwrap_err().kind, DecodeErrorKind::Empty);
}

//! Byte-exact encodings of the pseudo-C syntax, one test per instruction
//! class. Expected bytes were checked against clang-19's BPF assembler
//! (see `clang_oracle`), or against the kernel uapi encoding for forms clang
//! cannot write (load-acquire, kfunc calls, LD_IND with an offset).

use bpfbox_asm::{assemble_as, ErrorKind, Syntax};
use bpfbox_isa::slots_to_bytes;

fn bytes(src: &str) -> Vec<u8> {
    let p = assemble_as(src, Syntax::PseudoC).unwrap_or_else(|e| panic!("{src}: {e}"));
    slots_to_bytes(&p)
}

fn hex(src: &str) -> String {
    bytes(src)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(" ")
}

fn err(src: &str) -> ErrorKind {
    assemble_as(src, Syntax::PseudoC)
        .unwrap_err()
        .kind()
        .clone()
}

pub(crate) fn alu64_and_alu32() {
    assert_eq!(hex("r1 += r2"), "0f 21 00 00 00 00 00 00");
    assert_eq!(hex("w1 += w2"), "0c 21 00 00 00 00 00 00");
    assert_eq!(hex("w1 += -5"), "04 01 00 00 fb ff ff ff");
    assert_eq!(hex("r1 s/= r2"), "3f 21 01 00 00 00 00 00");
    assert_eq!(hex("r1 s%= 3"), "97 01 01 00 03 00 00 00");
    assert_eq!(hex("w3 s>>= w4"), "cc 43 00 00 00 00 00 00");
    assert_eq!(hex("r1 = 0xffffffff"), "b7 01 00 00 ff ff ff ff");
    assert_eq!(hex("r1 = -0x80000000"), "b7 01 00 00 00 00 00 80");
    assert_eq!(hex("w1 = -w1"), "84 01 00 00 00 00 00 00");
    assert_eq!(hex("r1 = -r1"), "87 01 00 00 00 00 00 00");
    assert_eq!(hex("r2 = (s8)r1"), "bf 12 08 00 00 00 00 00");
    assert_eq!(hex("w2 = (s16)w1"), "bc 12 10 00 00 00 00 00");
    assert_eq!(hex("r2 = (s32)r1"), "bf 12 20 00 00 00 00 00");
}

pub(crate) fn byte_order() {
    assert_eq!(hex("r1 = be16 r1"), "dc 01 00 00 10 00 00 00");
    assert_eq!(hex("r1 = le64 r1"), "d4 01 00 00 40 00 00 00");
    assert_eq!(hex("r1 = bswap32 r1"), "d7 01 00 00 20 00 00 00");
}

pub(crate) fn loads_and_stores() {
    assert_eq!(hex("r0 = *(u32 *)(r1 + 0x4)"), "61 10 04 00 00 00 00 00");
    assert_eq!(hex("w0 = *(u32 *)(r1 + 4)"), "61 10 04 00 00 00 00 00");
    assert_eq!(hex("r0 = *(s16 *)(r1 + 2)"), "89 10 02 00 00 00 00 00");
    assert_eq!(
        hex("r0 = *(u64 *)(r10 - 0x8000)"),
        "79 a0 00 80 00 00 00 00"
    );
    assert_eq!(hex("*(u64 *)(r10 - 8) = r1"), "7b 1a f8 ff 00 00 00 00");
    assert_eq!(hex("*(u8 *)(r1 + 0) = -7"), "72 01 00 00 f9 ff ff ff");
    assert_eq!(hex("r0 = *(u8 *)skb[0x17]"), "30 00 00 00 17 00 00 00");
    assert_eq!(hex("r0 = *(u16 *)skb[r1]"), "48 10 00 00 00 00 00 00");
    assert_eq!(hex("r0 = *(u16 *)skb[r1 + 0x2]"), "48 10 00 00 02 00 00 00");
}

pub(crate) fn lddw_and_pseudo() {
    assert_eq!(
        hex("r1 = 0x1234 ll"),
        "18 01 00 00 34 12 00 00 00 00 00 00 00 00 00 00"
    );
    assert_eq!(
        hex("r1 = -0x1 ll"),
        "18 01 00 00 ff ff ff ff 00 00 00 00 ff ff ff ff"
    );
    assert_eq!(
        hex("ld_pseudo\tr1, 0x2, 0x5, 0x10"),
        "18 21 00 00 05 00 00 00 00 00 00 00 10 00 00 00"
    );
    assert_eq!(
        hex("ld_pseudo r1, 4, +1\nexit"),
        "18 41 00 00 01 00 00 00 00 00 00 00 00 00 00 00 95 00 00 00 00 00 00 00"
    );
}

pub(crate) fn atomics() {
    assert_eq!(
        hex("lock *(u64 *)(r10 - 0x8) += r1"),
        "db 1a f8 ff 00 00 00 00"
    );
    assert_eq!(
        hex("lock *(u32 *)(r10 - 0x8) += r1"),
        "c3 1a f8 ff 00 00 00 00"
    );
    assert_eq!(
        hex("lock *(u32 *)(r10 - 0x8) ^= w1"),
        "c3 1a f8 ff a0 00 00 00"
    );
    assert_eq!(
        hex("r0 = atomic_fetch_add((u64 *)(r10 - 8), r0)"),
        "db 0a f8 ff 01 00 00 00"
    );
    assert_eq!(
        hex("w0 = atomic_fetch_and((u32 *)(r10 - 8), w0)"),
        "c3 0a f8 ff 51 00 00 00"
    );
    assert_eq!(hex("r1 = xchg_64(r10 - 8, r1)"), "db 1a f8 ff e1 00 00 00");
    assert_eq!(
        hex("r0 = cmpxchg_64(r10 - 8, r0, r1)"),
        "db 1a f8 ff f1 00 00 00"
    );
    assert_eq!(
        hex("w0 = cmpxchg32_32(r10 - 8, w0, w1)"),
        "c3 1a f8 ff f1 00 00 00"
    );
    assert_eq!(
        hex("r0 = load_acquire((u64 *)(r1 + 0x0))"),
        "db 10 00 00 00 01 00 00"
    );
    assert_eq!(
        hex("store_release((u16 *)(r1 + 0x0), w2)"),
        "cb 21 00 00 10 01 00 00"
    );
    // Verifier-log spellings.
    assert_eq!(
        hex("r0 = atomic64_fetch_add((u64 *)(r10 -8), r0)"),
        "db 0a f8 ff 01 00 00 00"
    );
    assert_eq!(
        hex("r0 = atomic64_cmpxchg((u64 *)(r10 -8), r0, r1)"),
        "db 1a f8 ff f1 00 00 00"
    );
}

pub(crate) fn jumps() {
    assert_eq!(hex("if r1 > 0x5 goto +0x2"), "25 01 02 00 05 00 00 00");
    assert_eq!(hex("if w1 s< w2 goto -3"), "ce 21 fd ff 00 00 00 00");
    assert_eq!(hex("if r1 & 3 goto +1"), "45 01 01 00 03 00 00 00");
    assert_eq!(hex("goto +5"), "05 00 05 00 00 00 00 00");
    assert_eq!(hex("gotol +100000"), "06 00 00 00 a0 86 01 00");
    assert_eq!(hex("may_goto +3"), "e5 00 03 00 00 00 00 00");
    assert_eq!(hex("goto pc-1"), "05 00 ff ff 00 00 00 00");
    assert_eq!(
        hex("if r1 > 0x5 goto +0x2 <LBB0_2>"),
        "25 01 02 00 05 00 00 00"
    );
    assert_eq!(
        hex("top:\n  r0 = 0\n  if r0 == 0 goto top\n  goto end\nend: exit"),
        "b7 00 00 00 00 00 00 00 15 00 fe ff 00 00 00 00 \
         05 00 00 00 00 00 00 00 95 00 00 00 00 00 00 00"
    );
}

pub(crate) fn calls_and_exit() {
    assert_eq!(hex("call 0x5"), "85 00 00 00 05 00 00 00");
    assert_eq!(hex("call -0x3"), "85 00 00 00 fd ff ff ff");
    assert_eq!(hex("call pc+2"), "85 10 00 00 02 00 00 00");
    assert_eq!(hex("call pc-0x1"), "85 10 00 00 ff ff ff ff");
    assert_eq!(hex("call bpf_map_lookup_elem#1"), "85 00 00 00 01 00 00 00");
    assert_eq!(hex("call kfunc 0x7, 0x1"), "85 20 01 00 07 00 00 00");
    assert_eq!(hex("callx r2"), "8d 02 00 00 00 00 00 00");
    assert_eq!(hex("exit"), "95 00 00 00 00 00 00 00");
    assert_eq!(
        hex("call f\nexit\nf: exit"),
        "85 10 00 00 01 00 00 00 95 00 00 00 00 00 00 00 95 00 00 00 00 00 00 00"
    );
}

pub(crate) fn comments_labels_and_log_prefixes() {
    let src = "# c\n// c\n  .text\nf: ; c\n0: (b7) r0 = 1 ; R0_w=1\n1: (95) exit";
    assert_eq!(hex(src), "b7 00 00 00 01 00 00 00 95 00 00 00 00 00 00 00");
}

pub(crate) fn refusals_name_the_line_and_cause() {
    let e = assemble_as("r0 = 0\nr11 = 1", Syntax::PseudoC).unwrap_err();
    assert_eq!(e.line(), 2);
    assert_eq!(e.kind(), &ErrorKind::BadRegister("r11".into()));
    assert_eq!(err("frob r1"), ErrorKind::UnknownMnemonic("frob".into()));
    assert!(matches!(
        err("r1 = 2147483648"),
        ErrorKind::ImmOutOfRange(_)
    ));
    assert!(matches!(
        err("r1 += 0x100000000"),
        ErrorKind::ImmOutOfRange(_)
    ));
    assert!(matches!(
        err("r0 = *(u32 *)(r1 + 0x8000)"),
        ErrorKind::OffsetOutOfRange(_)
    ));
    assert!(matches!(err("goto +32768"), ErrorKind::OffsetOutOfRange(_)));
    assert!(matches!(err("goto nowhere"), ErrorKind::UnknownLabel(_)));
    assert!(matches!(
        err("r0 = *(u24 *)(r1 + 0)"),
        ErrorKind::BadMemOperand(_)
    ));
    assert!(matches!(
        err("r0 = *(u32 *)(w1 + 0)"),
        ErrorKind::BadMemOperand(_)
    ));
    assert!(matches!(err("r1 += w2"), ErrorKind::Syntax(_)));
    assert!(matches!(err("r1 = be16 r2"), ErrorKind::Syntax(_)));
    assert!(matches!(
        err("r1 = xchg_64(r10 - 8, r2)"),
        ErrorKind::Syntax(_)
    ));
    assert!(matches!(err("w1 = 1 ll"), ErrorKind::Syntax(_)));
    assert!(matches!(err("exit r0"), ErrorKind::Syntax(_)));
    assert!(matches!(err("a:\na:"), ErrorKind::DuplicateLabel(_)));
}

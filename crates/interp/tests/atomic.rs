//! `BPF_ATOMIC`: every operation in 32 and 64 bits, fetch variants,
//! cmpxchg success and failure, acquire/release, and bounds.

use crate::common::*;
use bpfbox_interp::Trap;
use bpfbox_isa::{AtomicOp, Size};

/// Memory starts as `init` (8 bytes at r1); r2 = operand, r0 = `r0`.
/// Returns (memory after, r0 at exit, r2 at exit).
fn op(size: Size, o: AtomicOp, init: u64, operand: u64, r0: u64) -> (u64, u64, u64) {
    let mut mem = init.to_le_bytes();
    let mut p = lddw(2, operand).to_vec();
    p.extend(lddw(0, r0));
    p.extend([atomic(size, o, 1, 2, 0), movr(0, 2), EXIT]);
    // First run returns r2, a second one from the same start returns r0.
    let r2 = run_mem(p.clone(), &mut mem).expect("runs");
    let after = u64::from_le_bytes(mem);
    let mut mem2 = init.to_le_bytes();
    let n = p.len();
    p[n - 2] = movr(0, 0);
    let r0_out = run_mem(p, &mut mem2).expect("runs");
    (after, r0_out, r2)
}

#[test]
fn rmw_64() {
    let f = |fetch| AtomicOp::Add { fetch };
    assert_eq!(op(Size::DW, f(false), 10, 5, 0), (15, 0, 5));
    assert_eq!(op(Size::DW, f(true), 10, 5, 0), (15, 0, 10));
    assert_eq!(
        op(Size::DW, AtomicOp::Or { fetch: true }, 0xf0, 0x0f, 0),
        (0xff, 0, 0xf0)
    );
    assert_eq!(
        op(Size::DW, AtomicOp::And { fetch: false }, 0xf0, 0x3c, 0),
        (0x30, 0, 0x3c)
    );
    assert_eq!(
        op(Size::DW, AtomicOp::Xor { fetch: true }, 0xff, 0x0f, 0),
        (0xf0, 0, 0xff)
    );
    assert_eq!(op(Size::DW, AtomicOp::Xchg, 1, 2, 0), (2, 0, 1));
    // cmpxchg: success swaps, failure leaves memory; r0 gets the old value.
    assert_eq!(op(Size::DW, AtomicOp::Cmpxchg, 7, 9, 7), (9, 7, 9));
    assert_eq!(op(Size::DW, AtomicOp::Cmpxchg, 7, 9, 8), (7, 7, 9));
}

#[test]
fn rmw_32_touches_low_half_and_zero_extends() {
    let hi = 0xaaaa_aaaa_0000_0000u64;
    assert_eq!(
        op(
            Size::W,
            AtomicOp::Add { fetch: true },
            hi | 0xffff_ffff,
            1,
            0
        ),
        (hi, 0, 0xffff_ffff)
    );
    assert_eq!(
        op(Size::W, AtomicOp::Xchg, hi | 5, 0x1_0000_0006, 0),
        (hi | 6, 0, 5)
    );
    // 32-bit cmpxchg compares the low half of r0 only.
    assert_eq!(
        op(Size::W, AtomicOp::Cmpxchg, hi | 5, 6, 0xffff_0000_0000_0005),
        (hi | 6, 5, 6)
    );
    assert_eq!(op(Size::W, AtomicOp::Cmpxchg, hi | 5, 6, 4), (hi | 5, 5, 6));
}

#[test]
fn acquire_release() {
    let mut mem = 0x1122_3344_5566_7788u64.to_le_bytes();
    let p = vec![
        atomic(Size::H, AtomicOp::LoadAcquire, 0, 1, 2),
        mov(3, 0x99),
        atomic(Size::B, AtomicOp::StoreRelease, 1, 3, 7),
        EXIT,
    ];
    assert_eq!(run_mem(p, &mut mem), Ok(0x5566));
    assert_eq!(mem[7], 0x99);
}

#[test]
fn atomics_are_bounds_checked() {
    let mut mem = [0u8; 8];
    for o in [
        AtomicOp::Add { fetch: false },
        AtomicOp::Cmpxchg,
        AtomicOp::StoreRelease,
    ] {
        let r = run_mem(vec![atomic(Size::DW, o, 1, 2, 1), EXIT], &mut mem);
        assert!(
            matches!(
                r,
                Err(Trap::OutOfBounds {
                    pc: 0,
                    size: 8,
                    write: true,
                    ..
                })
            ),
            "{o:?}"
        );
    }
    let r = run_mem(
        vec![atomic(Size::W, AtomicOp::LoadAcquire, 0, 1, 6), EXIT],
        &mut mem,
    );
    assert!(matches!(r, Err(Trap::OutOfBounds { write: false, .. })));
}

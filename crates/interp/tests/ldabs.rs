//! `LD_ABS` / `LD_IND`: big-endian loads from the configured packet, the
//! kernel's "miss ends the function with r0 = 0" rule, offset arithmetic.

use crate::common::*;
use bpfbox_interp::{Config, Helpers, Memory, RegionKind, Trap, Vm};
use bpfbox_isa::{Insn, Size};

fn run_pkt(p: Vec<Insn>, r6: u64) -> Result<u64, Trap> {
    let mut pkt: Vec<u8> = (1..=16).collect();
    let helpers = Helpers::<()>::new();
    let mut m = Memory::new();
    let (_, a) = m.add(&mut pkt, RegionKind::Packet);
    let mut vm = Vm::new(m, (), &helpers, Config::default());
    // Only the first 12 bytes are the LD_ABS packet.
    vm.set_ld_abs_source(a, 12);
    vm.run(&prog(p), [r6, 0, 0, 0, 0])
}

fn abs(size: Size, imm: i32) -> Insn {
    Insn::LdAbs { size, imm }
}

#[test]
fn ld_abs_is_big_endian() {
    assert_eq!(run_pkt(vec![abs(Size::B, 3), EXIT], 0), Ok(4));
    assert_eq!(run_pkt(vec![abs(Size::H, 2), EXIT], 0), Ok(0x0304));
    assert_eq!(run_pkt(vec![abs(Size::W, 8), EXIT], 0), Ok(0x090a_0b0c));
}

#[test]
fn miss_ends_the_program_with_zero() {
    for (size, off) in [
        (Size::W, 9),
        (Size::H, 11),
        (Size::B, 12),
        (Size::B, -1),
        (Size::B, i32::MIN),
    ] {
        assert_eq!(
            run_pkt(vec![mov(0, 7), abs(size, off), mov(0, 9), EXIT], 0),
            Ok(0),
            "{size:?} {off}"
        );
    }
}

#[test]
fn miss_in_a_subprogram_returns_from_it_only() {
    let p = vec![
        mov(6, 5),
        local(4),
        add(0, 100),
        EXIT,
        abs(Size::W, 100),
        mov(0, 1),
        EXIT,
    ];
    assert_eq!(run_pkt(p, 0), Ok(100));
}

#[test]
fn ld_ind_adds_the_register_as_a_32_bit_int() {
    let ind = |size, src, imm| Insn::LdInd { size, src, imm };
    let p = |r: i32, imm| vec![mov(0, 7), mov(1, r), ind(Size::H, 1, imm), EXIT];
    assert_eq!(run_pkt(p(4, 2), 0), Ok(0x0708));
    assert_eq!(run_pkt(p(-2, 4), 0), Ok(0x0304));
    assert_eq!(run_pkt(p(-6, 4), 0), Ok(0));
    // 0x1_0000_0002 truncates to offset 2.
    let mut q = lddw(1, 0x1_0000_0002).to_vec();
    q.extend([ind(Size::B, 1, 0), EXIT]);
    assert_eq!(run_pkt(q, 0), Ok(3));
}

#[test]
fn without_a_source_every_load_misses() {
    let helpers = Helpers::<()>::new();
    let mut vm = Vm::new(Memory::new(), (), &helpers, Config::default());
    assert_eq!(
        vm.run(&prog(vec![mov(0, 1), abs(Size::B, 0), EXIT]), [0; 5]),
        Ok(0)
    );
}

#[test]
fn a_source_outside_memory_traps() {
    let helpers = Helpers::<()>::new();
    let mut vm = Vm::new(Memory::new(), (), &helpers, Config::default());
    vm.set_ld_abs_source(0x1000, 64);
    assert_eq!(
        vm.run(&prog(vec![abs(Size::W, 4), EXIT]), [0; 5]),
        Err(Trap::OutOfBounds {
            pc: 0,
            addr: 0x1004,
            size: 4,
            write: false
        })
    );
}

/// Values measured with BPF_PROG_TEST_RUN on Linux 6.18 (socket filter,
/// 64-byte packet 01 02 .. 40; the skb data starts after the 14-byte
/// Ethernet header, so the LD_ABS packet is bytes 15..=64, 50 bytes).
/// Each program: r6 = r1; r0 = 7; <load>; r0 += 0x100000; exit.
#[test]
fn matches_the_kernel() {
    let pkt: Vec<u8> = (1..=64).collect();
    let helpers = Helpers::<()>::new();
    let mut m = Memory::new();
    let (_, a) = m.add_readonly(&pkt, RegionKind::Packet);
    let mut vm = Vm::new(m, (), &helpers, Config::default());
    vm.set_ld_abs_source(a + 14, 50);
    let mut check = |load: Insn, pre: Vec<Insn>, want: u64| {
        let mut p = pre;
        p.extend([mov(0, 7), load, add(0, 0x100000), EXIT]);
        assert_eq!(vm.run(&prog(p), [0; 5]), Ok(want), "{load:?}");
    };
    check(abs(Size::H, 0), vec![], 0x100f10);
    for (size, off) in [
        (Size::H, 62),
        (Size::H, 63),
        (Size::W, 60),
        (Size::W, 61),
        (Size::B, 63),
        (Size::B, 64),
    ] {
        check(abs(size, off), vec![], 0);
    }
    let mut wide = lddw(7, 0x1_0000_0002).to_vec();
    wide.push(mov(1, 0));
    check(
        Insn::LdInd {
            size: Size::B,
            src: 7,
            imm: 0,
        },
        wide,
        0x100011,
    );
    check(
        Insn::LdInd {
            size: Size::H,
            src: 7,
            imm: 4,
        },
        vec![mov(7, -2)],
        0x101112,
    );
}

//! Loads and stores: values, sign extension, and bounds at every region
//! edge for every size (reads and writes), on the stack, read-only and
//! windowed regions.

use crate::common::*;
use bpfbox_interp::{Config, Helpers, Memory, RegionKind, Trap, Vm};
use bpfbox_isa::{Insn, Size};

#[test]
fn loads_and_stores_every_size() {
    let mut mem = [0u8; 16];
    let p = vec![
        st(Size::DW, 1, 0, -2),   // sign-extended imm
        st(Size::B, 1, 8, 0x1ff), // truncated
        mov(3, 0x1234),
        stx(Size::H, 1, 9, 3),
        ldx(Size::W, 0, 1, 8), // 0x00123 4ff -> 0x001234ff
        ldx(Size::DW, 4, 1, 0),
        jmp(bpfbox_isa::Cond::Ne, 4, bpfbox_isa::Src::Imm(-2), 8),
        EXIT,
        mov(0, -1),
        EXIT,
    ];
    assert_eq!(run_mem(p, &mut mem), Ok(0x0012_34ff));
    assert_eq!(mem[..8], [0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
    assert_eq!(mem[8..11], [0xff, 0x34, 0x12]);
}

#[test]
fn signed_loads_sign_extend() {
    let mut mem = [0x80, 0x00, 0x00, 0x80, 0xff, 0xff, 0xff, 0xff];
    let l = |size, off| vec![ldsx(size, 0, 1, off), EXIT];
    assert_eq!(run_mem(l(Size::B, 0), &mut mem), Ok(0xffff_ffff_ffff_ff80));
    assert_eq!(run_mem(l(Size::H, 0), &mut mem), Ok(0x80));
    assert_eq!(run_mem(l(Size::H, 2), &mut mem), Ok(0xffff_ffff_ffff_8000));
    assert_eq!(run_mem(l(Size::W, 0), &mut mem), Ok(0xffff_ffff_8000_0080));
    assert_eq!(
        run_mem(vec![ldx(Size::W, 0, 1, 0), EXIT], &mut mem),
        Ok(0x8000_0080)
    );
}

#[test]
fn every_size_at_region_edges() {
    for size in SIZES {
        let n = size.bytes() as i16;
        for write in [false, true] {
            let access = |off: i16| {
                let i = if write {
                    st(size, 1, off, 0)
                } else {
                    ldx(size, 0, 1, off)
                };
                let mut mem = [0u8; 16];
                run_mem(vec![i, mov(0, 7), EXIT], &mut mem)
            };
            assert_eq!(access(0), Ok(7), "{size:?} write={write} at start");
            assert_eq!(access(16 - n), Ok(7), "{size:?} write={write} at end");
            for off in [16 - n + 1, 16, -1, -n, i16::MAX, i16::MIN] {
                match access(off) {
                    Err(Trap::OutOfBounds {
                        pc: 0,
                        size: s,
                        write: w,
                        ..
                    }) => {
                        assert_eq!((s as i16, w), (n, write), "{size:?} at {off}")
                    }
                    other => panic!("{size:?} write={write} at {off}: {other:?}"),
                }
            }
        }
    }
}

#[test]
fn trap_reports_address() {
    let mut mem = [0u8; 4];
    let a = mem.as_ptr() as u64;
    let r = run_mem(vec![mov(0, 0), ldx(Size::W, 0, 1, 1), EXIT], &mut mem);
    assert_eq!(
        r,
        Err(Trap::OutOfBounds {
            pc: 1,
            addr: a + 1,
            size: 4,
            write: false
        })
    );
    assert_eq!(
        r.unwrap_err().to_string(),
        format!("insn 1: out-of-bounds read of 4 bytes at {:#x}", a + 1)
    );
}

#[test]
fn wild_addresses_trap() {
    for addr in [0u64, 1, u64::MAX, u64::MAX - 3, 0x8000_0000_0000_0000] {
        let mut p = lddw(1, addr).to_vec();
        p.extend([ldx(Size::DW, 0, 1, 0), EXIT]);
        assert!(
            matches!(run(p.clone()), Err(Trap::OutOfBounds { .. })),
            "{addr:#x}"
        );
        p[2] = st(Size::DW, 1, 0, 0);
        assert!(
            matches!(run(p), Err(Trap::OutOfBounds { write: true, .. })),
            "{addr:#x}"
        );
    }
}

#[test]
fn stack_frame_bounds() {
    let ok = |off: i16, size: Size| run(vec![st(size, 10, off, 1), ldx(size, 0, 10, off), EXIT]);
    assert_eq!(ok(-512, Size::DW), Ok(1));
    assert_eq!(ok(-8, Size::DW), Ok(1));
    assert_eq!(ok(-1, Size::B), Ok(1));
    assert!(matches!(
        ok(-513, Size::B),
        Err(Trap::OutOfBounds { write: true, .. })
    ));
    assert!(matches!(ok(-7, Size::DW), Err(Trap::OutOfBounds { .. })));
    assert!(matches!(ok(0, Size::B), Err(Trap::OutOfBounds { .. })));
}

#[test]
fn stack_is_zeroed_between_runs() {
    let helpers = Helpers::<()>::new();
    let mut vm = Vm::new(Memory::new(), (), &helpers, Config::default());
    let p = prog(vec![
        ldx(Size::DW, 0, 10, -8),
        st(Size::DW, 10, -8, 9),
        EXIT,
    ]);
    assert_eq!(vm.run(&p, [0; 5]), Ok(0));
    assert_eq!(vm.run(&p, [0; 5]), Ok(0));
}

#[test]
fn readonly_region() {
    let ro = [1u8, 2, 3, 4];
    let helpers = Helpers::<()>::new();
    let mut m = Memory::new();
    let (_, a) = m.add_readonly(&ro, RegionKind::ReadOnly);
    let mut vm = Vm::new(m, (), &helpers, Config::default());
    assert_eq!(
        vm.run(&prog(vec![ldx(Size::W, 0, 1, 0), EXIT]), [a, 0, 0, 0, 0]),
        Ok(0x0403_0201)
    );
    let w = prog(vec![st(Size::B, 1, 0, 0), EXIT]);
    assert_eq!(
        vm.run(&w, [a, 0, 0, 0, 0]),
        Err(Trap::OutOfBounds {
            pc: 0,
            addr: a,
            size: 1,
            write: true
        })
    );
    assert_eq!(ro, [1, 2, 3, 4]);
}

#[test]
fn window_moves_packet_bounds() {
    let mut pkt = [0u8; 32];
    pkt[8] = 0xaa;
    let helpers = Helpers::<()>::new();
    let mut m = Memory::new();
    let (id, a) = m.add(&mut pkt, RegionKind::Packet);
    m.set_window(id, a + 8, 8).unwrap();
    let mut vm = Vm::new(m, (), &helpers, Config::default());
    let read = |off: i16| prog(vec![ldx(Size::B, 0, 1, off), EXIT]);
    assert_eq!(vm.run(&read(8), [a, 0, 0, 0, 0]), Ok(0xaa));
    assert!(vm.run(&read(7), [a, 0, 0, 0, 0]).is_err());
    assert!(vm.run(&read(16), [a, 0, 0, 0, 0]).is_err());
    vm.mem.set_window(id, a, 32).unwrap();
    assert_eq!(vm.run(&read(0), [a, 0, 0, 0, 0]), Ok(0));
    assert_eq!(vm.mem.window(id), (a, 32));
}

#[test]
fn two_regions_alternating() {
    // Alternate between a ctx and a packet region to exercise the lookup cache.
    let mut ctx = [0u8; 8];
    let mut pkt = [0u8; 8];
    pkt[0] = 3;
    ctx[0] = 4;
    let helpers = Helpers::<()>::new();
    let mut m = Memory::new();
    let (_, c) = m.add(&mut ctx, RegionKind::Ctx);
    let (_, p) = m.add(&mut pkt, RegionKind::Packet);
    let mut vm = Vm::new(m, (), &helpers, Config::default());
    let code = prog(vec![
        ldx(Size::B, 3, 1, 0),
        ldx(Size::B, 4, 2, 0),
        stx(Size::B, 10, -1, 3),
        ldx(Size::B, 5, 1, 0),
        movr(0, 3),
        alu64(bpfbox_isa::AluOp::Mul, 0, bpfbox_isa::Src::Reg(4)),
        addr(0, 5),
        ldx(Size::B, 5, 2, 8), // one past the packet: traps
        EXIT,
    ]);
    let r = vm.run(&code, [c, p, 0, 0, 0]);
    assert_eq!(
        r,
        Err(Trap::OutOfBounds {
            pc: 7,
            addr: p + 8,
            size: 1,
            write: false
        })
    );
    let _ = Insn::Exit;
}

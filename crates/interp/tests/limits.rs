//! Run limits and structural traps: instruction budget, falling off the
//! end, unlinked `lddw`, instruction counting.

use crate::common::*;
use bpfbox_interp::{Config, Helpers, Memory, Trap, Vm};
use bpfbox_isa::{Insn, LdImm64};

#[test]
fn insn_limit_traps_exactly() {
    let helpers = Helpers::<()>::new();
    let config = Config {
        insn_limit: 100,
        ..Config::default()
    };
    let mut vm = Vm::new(Memory::new(), (), &helpers, config);
    let forever = prog(vec![mov(0, 0), add(0, 1), ja(1)]);
    // Slot 0, then slots 1 and 2 alternate: the 101st would be slot 2.
    assert_eq!(vm.run(&forever, [0; 5]), Err(Trap::InsnLimit { pc: 2 }));
    assert_eq!(vm.insns_executed(), 100);
    let short = prog(vec![mov(0, 0); 99].into_iter().chain([EXIT]).collect());
    assert_eq!(vm.run(&short, [0; 5]), Ok(0));
    assert_eq!(vm.insns_executed(), 100);
    let long = prog(vec![mov(0, 0); 100].into_iter().chain([EXIT]).collect());
    assert_eq!(vm.run(&long, [0; 5]), Err(Trap::InsnLimit { pc: 100 }));
}

#[test]
fn default_limit_stops_an_infinite_loop() {
    assert_eq!(Config::default().insn_limit, 1 << 26);
    assert_eq!(run(vec![ja(0)]), Err(Trap::InsnLimit { pc: 0 }));
}

#[test]
fn counts_instructions() {
    let helpers = Helpers::<()>::new();
    let mut vm = Vm::new(Memory::new(), (), &helpers, Config::default());
    let mut p = lddw(0, 1).to_vec();
    p.extend([local(4), EXIT, mov(0, 2), EXIT]);
    assert_eq!(vm.run(&prog(p), [0; 5]), Ok(2));
    // lddw, call, mov, exit, exit
    assert_eq!(vm.insns_executed(), 5);
}

#[test]
fn falling_off_the_end() {
    assert_eq!(run(vec![mov(0, 1)]), Err(Trap::FellOffEnd { pc: 1 }));
    assert_eq!(
        run(vec![mov(0, 1), local(3), EXIT, mov(0, 2)]),
        Err(Trap::FellOffEnd { pc: 4 })
    );
}

#[test]
fn unlinked_lddw() {
    for value in [
        LdImm64::MapFd(3),
        LdImm64::MapValue { fd: 3, off: 0 },
        LdImm64::BtfId { id: 1, btf_fd: 0 },
        LdImm64::MapIdx(0),
        LdImm64::MapIdxValue { idx: 0, off: 4 },
    ] {
        let p = vec![
            mov(0, 0),
            Insn::LdImm64 { dst: 1, value },
            Insn::LdImm64Hi,
            EXIT,
        ];
        assert_eq!(run(p), Err(Trap::Unlinked { pc: 1 }), "{value:?}");
    }
}

#[test]
fn frames_and_budget_reset_between_runs() {
    let helpers = Helpers::<()>::new();
    let mut vm = Vm::new(Memory::new(), (), &helpers, Config::default());
    let bad = prog(vec![
        local(2),
        EXIT,
        mov(0, 1),
        mov(1, 0),
        Insn::Load {
            size: bpfbox_isa::Size::B,
            signed: false,
            dst: 0,
            src: 1,
            off: 0,
        },
        EXIT,
    ]);
    assert!(vm.run(&bad, [0; 5]).is_err());
    assert_eq!(vm.call_depth(), 0);
    // After a trap inside a call, a new run starts at depth 1 with a full
    // 512-byte main frame.
    let p = prog(vec![st(bpfbox_isa::Size::B, 10, -512, 1), mov(0, 0), EXIT]);
    assert_eq!(vm.run(&p, [0; 5]), Ok(0));
}

#[test]
fn probe_mem_loads_read_zero_where_a_load_would_trap() {
    use bpfbox_interp::RegionKind;
    use bpfbox_isa::Size;
    let helpers = Helpers::<()>::new();
    let data = 0x1122_3344_5566_7788u64.to_le_bytes();
    // r0 = *(u64 *)(r1 + 0) + *(u64 *)(r2 + 0); r2 points nowhere
    let body = prog(vec![
        ldx(Size::DW, 0, 1, 0),
        ldx(Size::DW, 3, 2, 0),
        Insn::Alu {
            op: bpfbox_isa::AluOp::Add,
            width: bpfbox_isa::Width::W64,
            dst: 0,
            src: bpfbox_isa::Src::Reg(3),
        },
        Insn::Exit,
    ]);
    let run = |probe_mem: bool| {
        let mut m = Memory::new();
        let (_, a) = m.add_readonly(&data, RegionKind::ReadOnly);
        let config = Config {
            probe_mem,
            ..Config::default()
        };
        let mut vm = Vm::new(m, (), &helpers, config);
        vm.run(&body, [a, 0x10, 0, 0, 0])
    };
    assert!(
        matches!(run(false), Err(Trap::OutOfBounds { .. })),
        "{:?}",
        run(false)
    );
    assert_eq!(run(true), Ok(0x1122_3344_5566_7788));
}

//! Calls: bpf-to-bpf frames and the depth limit, helpers (results, errors,
//! memory faults, unwinding), `callx`, kfuncs, callbacks through
//! `call_function`, and tail calls.

use crate::common::*;
use bpfbox_interp::{
    conformance_helpers, func_addr, func_slot, Config, Helpers, Memory, Program, RegionKind, Trap,
    Vm, MAX_TAIL_CALL_CNT,
};
use bpfbox_isa::{Cond, Insn, LdImm64, Size, Src};
use std::sync::Arc;

fn vm_run<H>(helpers: &Helpers<H>, host: H, p: Vec<Insn>, args: [u64; 5]) -> Result<u64, Trap> {
    let mut vm = Vm::new(Memory::new(), host, helpers, Config::default());
    vm.run(&prog(p), args)
}

#[test]
fn local_call_saves_r6_to_r9_and_moves_r10() {
    let p = vec![
        mov(6, 6),
        mov(7, 7),
        mov(8, 8),
        mov(9, 9),
        st(Size::DW, 10, -8, 40),
        movr(1, 10), // pointer to the caller's stack
        local(12),
        addr(0, 6), // 7: r0 += r6 + r7 + r8 + r9 + caller slot
        addr(0, 7),
        addr(0, 8),
        addr(0, 9),
        ja(16),
        // 12: callee: clobbers r6..r9, reads the caller's slot via r1,
        // and its own r10 is 512 below the caller's.
        movr(6, 1),
        alu64(bpfbox_isa::AluOp::Sub, 6, Src::Reg(10)),
        ldx(Size::DW, 0, 1, -8),
        jmp(Cond::Eq, 6, Src::Imm(512), 18),
        // 16: main: add the slot the callee wrote, exit
        ldx(Size::DW, 2, 10, -16),
        ja(20),
        // 18: callee continued: write into the caller frame, return
        st(Size::DW, 1, -16, 100),
        EXIT,
        // 20
        addr(0, 2),
        EXIT,
    ];
    // 40 + 6+7+8+9 + 100
    assert_eq!(run(p), Ok(170));
}

/// main calls f; f recurses until it has `n` frames below main, then
/// returns its depth.
fn recursion(n: i32, config: Config) -> Result<u64, Trap> {
    let helpers = Helpers::<()>::new();
    let mut vm = Vm::new(Memory::new(), (), &helpers, config);
    let p = prog(vec![
        mov(1, 0),
        local(3),
        EXIT,
        add(1, 1), // 3: f
        movr(0, 1),
        jmp(Cond::Sge, 1, Src::Imm(n), 7),
        local(3),
        EXIT,
    ]);
    vm.run(&p, [0; 5])
}

#[test]
fn eight_frames_ok_ninth_traps() {
    assert_eq!(recursion(7, Config::default()), Ok(7));
    assert_eq!(
        recursion(8, Config::default()),
        Err(Trap::CallDepth { pc: 6 })
    );
    let deep = Config {
        max_call_depth: 20,
        ..Config::default()
    };
    assert_eq!(recursion(19, deep), Ok(19));
    assert_eq!(recursion(20, deep), Err(Trap::CallDepth { pc: 6 }));
}

#[test]
fn callee_cannot_touch_below_its_frame() {
    let p = vec![local(2), EXIT, st(Size::B, 10, -513, 0), EXIT];
    assert!(matches!(
        run(p),
        Err(Trap::OutOfBounds {
            pc: 2,
            write: true,
            ..
        })
    ));
}

fn sum_helper(_: &mut Vm<'_, ()>, a: [u64; 5]) -> Result<u64, Trap> {
    Ok(a.iter().sum())
}

fn failing_helper(vm: &mut Vm<'_, ()>, _: [u64; 5]) -> Result<u64, Trap> {
    Err(vm.helper_error(-22))
}

fn read_arg_helper(vm: &mut Vm<'_, ()>, a: [u64; 5]) -> Result<u64, Trap> {
    let bytes = vm
        .mem
        .read(a[0], a[1] as usize)
        .map_err(|f| vm.mem_trap(f))?;
    Ok(bytes.iter().map(|&b| b as u64).sum())
}

#[test]
fn helper_gets_r1_to_r5_and_sets_r0() {
    let h = Helpers::new().with(1, sum_helper);
    let p = vec![
        mov(1, 1),
        mov(2, 2),
        mov(3, 3),
        mov(4, 4),
        mov(5, 5),
        call(1),
        addr(0, 1),
        EXIT,
    ];
    // r1 is not scrubbed after the call: 15 + 1.
    assert_eq!(vm_run(&h, (), p, [0; 5]), Ok(16));
}

#[test]
fn helper_errors_and_faults() {
    let h = Helpers::new()
        .with(2, failing_helper)
        .with(3, read_arg_helper);
    assert_eq!(
        vm_run(&h, (), vec![mov(0, 0), call(2), EXIT], [0; 5]),
        Err(Trap::Helper {
            pc: 1,
            id: 2,
            code: -22
        })
    );
    assert_eq!(
        vm_run(&h, (), vec![call(9), EXIT], [0; 5]),
        Err(Trap::UnknownHelper { pc: 0, id: 9 })
    );
    assert_eq!(
        vm_run(&h, (), vec![call(300), EXIT], [0; 5]),
        Err(Trap::UnknownHelper { pc: 0, id: 300 })
    );
    // The helper reads 4 bytes of stack, then 600 (past the frame).
    let p = |len| {
        vec![
            st(Size::W, 10, -4, 0x01010101),
            movr(1, 10),
            add(1, -4),
            mov(2, len),
            call(3),
            EXIT,
        ]
    };
    assert_eq!(vm_run(&h, (), p(4), [0; 5]), Ok(4));
    assert!(matches!(
        vm_run(&h, (), p(600), [0; 5]),
        Err(Trap::OutOfBounds {
            pc: 4,
            size: 255,
            write: false,
            ..
        })
    ));
}

#[test]
fn unwind_helper_stops_the_program() {
    let h = conformance_helpers();
    let p = |r1| vec![mov(1, r1), call(5), mov(0, 2), EXIT];
    assert_eq!(vm_run(&h, (), p(-1), [0; 5]), Ok(2));
    assert_eq!(vm_run(&h, (), p(0), [0; 5]), Ok(0));
    // From a nested frame too.
    let nested = vec![
        mov(0, 3),
        local(3),
        EXIT,
        mov(1, 0),
        call(5),
        mov(0, 7),
        EXIT,
    ];
    assert_eq!(vm_run(&h, (), nested, [0; 5]), Ok(0));
}

#[test]
fn callx_takes_helper_ids_and_function_addresses() {
    let h = conformance_helpers();
    let p = vec![
        mov(1, -1),
        mov(2, 5),
        Insn::CallX { reg: 2 },
        mov(0, 2),
        EXIT,
    ];
    assert_eq!(vm_run(&h, (), p, [0; 5]), Ok(2));
    let p = vec![
        mov(1, 0),
        mov(2, 5),
        Insn::CallX { reg: 2 },
        mov(0, 2),
        EXIT,
    ];
    assert_eq!(vm_run(&h, (), p, [0; 5]), Ok(0));
    let p = vec![
        Insn::LdImm64 {
            dst: 3,
            value: LdImm64::Func(4),
        },
        Insn::LdImm64Hi,
        Insn::CallX { reg: 3 },
        EXIT,
        mov(0, 44), // 4
        EXIT,
    ];
    assert_eq!(vm_run(&h, (), p, [0; 5]), Ok(44));
    let p = vec![mov(2, 6), Insn::CallX { reg: 2 }, EXIT];
    assert_eq!(
        vm_run(&h, (), p, [0; 5]),
        Err(Trap::UnknownHelper { pc: 1, id: 6 })
    );
    let mut p = lddw(2, 1 << 40).to_vec();
    p.extend([Insn::CallX { reg: 2 }, EXIT]);
    assert_eq!(
        vm_run(&h, (), p, [0; 5]),
        Err(Trap::BadCallTarget {
            pc: 2,
            value: 1 << 40
        })
    );
    // A function address pointing at the second half of a lddw.
    let mut p = lddw(2, func_addr(1)).to_vec();
    p.extend([Insn::CallX { reg: 2 }, EXIT]);
    assert!(matches!(
        vm_run(&h, (), p, [0; 5]),
        Err(Trap::BadCallTarget { pc: 2, .. })
    ));
}

#[test]
fn kfuncs() {
    let mut h = Helpers::<()>::new();
    let p = vec![
        mov(1, 3),
        Insn::CallKfunc {
            btf_id: 1234,
            off: 0,
        },
        EXIT,
    ];
    assert_eq!(
        vm_run(&h, (), p.clone(), [0; 5]),
        Err(Trap::Kfunc { pc: 1, id: 1234 })
    );
    h.set_kfunc(1234, sum_helper);
    assert_eq!(vm_run(&h, (), p, [0; 5]), Ok(3));
}

/// `bpf_loop(nr, callback, ctx, flags)`: calls `callback(i, ctx)` until it
/// returns non-zero; returns the number of calls.
fn loop_helper(vm: &mut Vm<'_, ()>, a: [u64; 5]) -> Result<u64, Trap> {
    let slot = func_slot(a[1]).ok_or(Trap::BadCallTarget {
        pc: vm.pc(),
        value: a[1],
    })?;
    for i in 0..a[0] {
        if vm.call_function(slot, [i, a[2], 0, 0, 0])? != 0 {
            return Ok(i + 1);
        }
    }
    Ok(a[0])
}

#[test]
fn callbacks_run_in_a_new_frame() {
    let h = Helpers::new()
        .with(181, loop_helper)
        .with(5, conformance_helpers().get(5).unwrap());
    // ctx is a counter on the main stack; the callback adds i to it and
    // stops when i == 9 (so the sum is 0 + .. + 9 = 45, 10 calls).
    let p = vec![
        st(Size::DW, 10, -8, 0),
        mov(6, 77),
        mov(1, 100),
        Insn::LdImm64 {
            dst: 2,
            value: LdImm64::Func(13),
        },
        Insn::LdImm64Hi,
        movr(3, 10),
        add(3, -8),
        mov(4, 0),
        call(181), // 8
        ldx(Size::DW, 1, 10, -8),
        alu64(bpfbox_isa::AluOp::Mul, 0, Src::Imm(1000)),
        addr(0, 1), // r0 = calls * 1000 + sum
        ja(22),
        // 13: callback(i, ctx)
        ldx(Size::DW, 3, 2, 0),
        addr(3, 1),
        stx(Size::DW, 2, 0, 3),
        st(Size::DW, 10, -8, 1), // its own frame
        mov(0, 0),
        jmp(Cond::Ne, 1, Src::Imm(9), 20),
        mov(0, 1),
        mov(6, 0), // 20: clobber r6 (a separate register file)
        EXIT,
        // 22
        addr(0, 6),
        EXIT,
    ];
    assert_eq!(vm_run(&h, (), p, [0; 5]), Ok(10_045 + 77));
}

#[test]
fn callback_unwind_and_bad_targets() {
    let h = Helpers::new()
        .with(181, loop_helper)
        .with(5, conformance_helpers().get(5).unwrap());
    // Callback calls unwind(0): the whole program ends with 0.
    let p = vec![
        mov(1, 3),
        Insn::LdImm64 {
            dst: 2,
            value: LdImm64::Func(6),
        },
        Insn::LdImm64Hi,
        call(181),
        mov(0, 5),
        EXIT,
        mov(1, 0), // 6
        call(5),
        EXIT,
    ];
    assert_eq!(vm_run(&h, (), p, [0; 5]), Ok(0));
    let mut p = vec![mov(1, 3)];
    p.extend(lddw(2, func_addr(50)));
    p.extend([call(181), EXIT]);
    assert_eq!(
        vm_run(&h, (), p, [0; 5]),
        Err(Trap::BadCallTarget { pc: 3, value: 50 })
    );
}

#[test]
fn callbacks_count_toward_the_frame_limit() {
    let h = Helpers::new().with(181, loop_helper);
    // The callback calls bpf_loop with itself: unbounded nesting.
    let p = vec![
        mov(1, 1),
        Insn::LdImm64 {
            dst: 2,
            value: LdImm64::Func(0),
        },
        Insn::LdImm64Hi,
        call(181),
        EXIT,
    ];
    assert_eq!(vm_run(&h, (), p, [0; 5]), Err(Trap::CallDepth { pc: 3 }));
}

/// Host state for tail calls: a program array.
struct Progs(Vec<Arc<Program>>);

/// `bpf_tail_call(ctx, map, index)`: like the kernel, a missing entry or an
/// exhausted budget makes the helper return and the program continue.
fn tail_call(vm: &mut Vm<'_, Progs>, a: [u64; 5]) -> Result<u64, Trap> {
    let Some(p) = vm.host.0.get(a[2] as usize).cloned() else {
        return Ok(-2i64 as u64);
    };
    if vm.tail_call_count() >= MAX_TAIL_CALL_CNT {
        return Ok(-2i64 as u64);
    }
    vm.set_tail_call_count(vm.tail_call_count() + 1);
    vm.request_tail_call(p);
    Ok(0)
}

#[test]
fn tail_call_from_a_subprogram_returns_to_its_caller() {
    let h = Helpers::new().with(12, tail_call);
    // Program 1: returns ctx + r10 check (r10 must be the main frame's top).
    let target = prog(vec![ldx(Size::DW, 0, 1, 0), add(0, 1), EXIT]);
    let mut ctx = 41u64.to_le_bytes();
    let mut m = Memory::new();
    let (_, c) = m.add(&mut ctx, RegionKind::Ctx);
    let mut vm = Vm::new(
        m,
        Progs(vec![Arc::clone(&target), target]),
        &h,
        Config::default(),
    );
    // Program 0: calls a subprogram which tail-calls program 1. As in the
    // kernel's JIT, program 1 replaces only the subprogram: its r0 returns
    // to program 0, which resumes after the call.
    let p = prog(vec![
        local(3),
        add(0, 1000),
        EXIT,
        mov(2, 0), // 3: r1 is still ctx
        mov(3, 1),
        call(12),
        mov(0, 98),
        EXIT,
    ]);
    assert_eq!(vm.run(&p, [c, 0, 0, 0, 0]), Ok(1042));
    assert_eq!(vm.tail_call_count(), 1);
    // A missing index: the helper returns and the program continues.
    let miss = prog(vec![mov(2, 0), mov(3, 7), call(12), mov(0, 5), EXIT]);
    assert_eq!(vm.run(&miss, [c, 0, 0, 0, 0]), Ok(5));
}

#[test]
fn tail_call_chain_is_bounded_by_the_helper() {
    let h = Helpers::new().with(12, tail_call);
    let mut counter = [0u8; 8];
    let mut m = Memory::new();
    let (_, c) = m.add(&mut counter, RegionKind::Ctx);
    // Increments *ctx and tail-calls itself (index 0).
    let selfcall = prog(vec![
        ldx(Size::DW, 2, 1, 0),
        add(2, 1),
        stx(Size::DW, 1, 0, 2),
        mov(2, 0),
        mov(3, 0),
        call(12),
        ldx(Size::DW, 0, 1, 0),
        EXIT,
    ]);
    let mut vm = Vm::new(m, Progs(vec![Arc::clone(&selfcall)]), &h, Config::default());
    assert_eq!(vm.run(&selfcall, [c, 0, 0, 0, 0]), Ok(34));
    assert_eq!(vm.tail_call_count(), 33);
    // 33 runs stop at the call (6 insns), the last runs all 8.
    assert_eq!(vm.insns_executed(), 33 * 6 + 8);
}

#[test]
fn tail_call_inside_callback_traps() {
    fn loop_p(vm: &mut Vm<'_, Progs>, a: [u64; 5]) -> Result<u64, Trap> {
        let slot = func_slot(a[1]).unwrap_or(usize::MAX);
        vm.call_function(slot, [0, a[2], 0, 0, 0])
    }
    let h = Helpers::new().with(12, tail_call).with(181, loop_p);
    let t = prog(vec![mov(0, 1), EXIT]);
    let mut vm = Vm::new(Memory::new(), Progs(vec![t]), &h, Config::default());
    let p = prog(vec![
        mov(1, 1),
        Insn::LdImm64 {
            dst: 2,
            value: LdImm64::Func(5),
        },
        Insn::LdImm64Hi,
        call(181),
        EXIT,
        mov(2, 0), // 5: callback tail-calls
        mov(3, 0),
        call(12),
        EXIT,
    ]);
    assert_eq!(vm.run(&p, [0; 5]), Err(Trap::TailCallInCallback { pc: 7 }));
}

#[test]
fn run_is_not_reentrant() {
    fn rerun(vm: &mut Vm<'_, Progs>, _: [u64; 5]) -> Result<u64, Trap> {
        let p = Arc::clone(&vm.host.0[0]);
        vm.run(&p, [0; 5])
    }
    let h = Helpers::new().with(1, rerun);
    let p = prog(vec![call(1), EXIT]);
    let mut vm = Vm::new(
        Memory::new(),
        Progs(vec![Arc::clone(&p)]),
        &h,
        Config::default(),
    );
    assert_eq!(vm.run(&p, [0; 5]), Err(Trap::Reentrant));
    // The VM is usable afterwards.
    assert_eq!(vm.run(&prog(vec![mov(0, 3), EXIT]), [0; 5]), Ok(3));
}

//! Interpreter throughput in ns per executed instruction, on two programs
//! written as `Insn`s: a 1M-iteration arithmetic loop, and an
//! Ethernet/IPv4/TCP header parser run over a 64-byte packet region.
//!
//! Besides criterion's per-iteration time, each group prints ns/insn
//! computed from `Vm::insns_executed`.

use bpfbox_interp::{Config, Helpers, Memory, Program, RegionKind, Vm};
use bpfbox_isa::{AluOp, Cond, Endian, Insn, Size, Src, Width};
use criterion::{black_box, criterion_group, criterion_main, Criterion};
use std::sync::Arc;
use std::time::Instant;

fn alu(op: AluOp, dst: u8, src: Src) -> Insn {
    Insn::Alu {
        width: Width::W64,
        op,
        dst,
        src,
    }
}
fn imm(op: AluOp, dst: u8, i: i32) -> Insn {
    alu(op, dst, Src::Imm(i))
}
fn reg(op: AluOp, dst: u8, s: u8) -> Insn {
    alu(op, dst, Src::Reg(s))
}
fn jmp(cond: Cond, dst: u8, src: Src, target: usize) -> Insn {
    Insn::Jmp {
        width: Width::W64,
        cond,
        dst,
        src,
        target,
    }
}
fn ldx(size: Size, dst: u8, src: u8, off: i16) -> Insn {
    Insn::Load {
        size,
        signed: false,
        dst,
        src,
        off,
    }
}

/// `r0 = sum(i*3 ^ i)` for i in 0..1M: six instructions per iteration.
fn loop_program() -> Program {
    Program::new(vec![
        imm(AluOp::Mov, 0, 0),
        imm(AluOp::Mov, 1, 0),
        reg(AluOp::Mov, 2, 1), // 2: loop
        imm(AluOp::Mul, 2, 3),
        reg(AluOp::Add, 0, 2),
        reg(AluOp::Xor, 0, 1),
        imm(AluOp::Add, 1, 1),
        jmp(Cond::Lt, 1, Src::Imm(1_000_000), 2),
        Insn::Exit,
    ])
    .expect("valid")
}

/// XDP-style parser: r1 = data, r2 = data_end. Returns 2 (pass) for TCP to
/// port 80 with SYN, 1 otherwise; 0 when a header is truncated.
fn parse_program() -> Program {
    let drop = 31;
    let pass = 33;
    let v = vec![
        reg(AluOp::Mov, 6, 1),                    // 0
        reg(AluOp::Mov, 7, 2),                    // 1
        reg(AluOp::Mov, 3, 6),                    // 2
        imm(AluOp::Add, 3, 14),                   // 3
        jmp(Cond::Gt, 3, Src::Reg(7), drop),      // 4
        ldx(Size::H, 4, 6, 12),                   // 5 ethertype
        jmp(Cond::Ne, 4, Src::Imm(0x0008), pass), // 6 != htons(0x0800)
        reg(AluOp::Mov, 3, 6),                    // 7
        imm(AluOp::Add, 3, 34),                   // 8
        jmp(Cond::Gt, 3, Src::Reg(7), drop),      // 9
        ldx(Size::B, 4, 6, 14),                   // 10 version/ihl
        imm(AluOp::And, 4, 0xf),                  // 11
        ldx(Size::B, 5, 6, 23),                   // 12 protocol
        jmp(Cond::Ne, 5, Src::Imm(6), pass),      // 13
        imm(AluOp::Lsh, 4, 2),                    // 14
        reg(AluOp::Mov, 8, 6),                    // 15
        imm(AluOp::Add, 8, 14),                   // 16
        reg(AluOp::Add, 8, 4),                    // 17 tcp header
        reg(AluOp::Mov, 3, 8),                    // 18
        imm(AluOp::Add, 3, 20),                   // 19
        jmp(Cond::Gt, 3, Src::Reg(7), drop),      // 20
        ldx(Size::W, 1, 6, 26),                   // 21 saddr
        Insn::Store {
            size: Size::W,
            dst: 10,
            off: -8,
            src: Src::Reg(1),
        }, // 22
        ldx(Size::H, 0, 8, 2),                    // 23 dport
        Insn::End {
            kind: Endian::ToBe,
            bits: 16,
            dst: 0,
        }, // 24
        ldx(Size::B, 5, 8, 13),                   // 25 flags
        jmp(Cond::Ne, 0, Src::Imm(80), pass),     // 26
        jmp(Cond::Set, 5, Src::Imm(0x02), 29),    // 27 SYN
        Insn::Ja {
            target: pass,
            long: false,
        }, // 28
        imm(AluOp::Mov, 0, 2),                    // 29
        Insn::Exit,                               // 30
        imm(AluOp::Mov, 0, 0),                    // 31 drop
        Insn::Exit,                               // 32
        imm(AluOp::Mov, 0, 1),                    // 33 pass
        Insn::Exit,                               // 34
    ];
    Program::new(v).expect("valid")
}

fn packet() -> [u8; 64] {
    let mut p = [0u8; 64];
    p[12] = 0x08; // IPv4
    p[14] = 0x45;
    p[23] = 6; // TCP
    p[26..30].copy_from_slice(&[10, 0, 0, 1]);
    p[30..34].copy_from_slice(&[10, 0, 0, 2]);
    p[34 + 2] = 0;
    p[34 + 3] = 80; // dport 80
    p[34 + 13] = 0x02; // SYN
    p
}

fn report(name: &str, insns: u64, elapsed: std::time::Duration) {
    let ns = elapsed.as_nanos() as f64 / insns as f64;
    println!("{name}: {insns} insns in {elapsed:?} = {ns:.3} ns/insn");
}

fn bench_loop(c: &mut Criterion) {
    let prog = Arc::new(loop_program());
    let helpers = Helpers::<()>::new();
    let mut vm = Vm::new(Memory::new(), (), &helpers, Config::default());
    assert!(vm.run(&prog, [0; 5]).is_ok());
    let per_run = vm.insns_executed();
    let t = Instant::now();
    for _ in 0..10 {
        black_box(vm.run(&prog, [0; 5]).expect("runs"));
    }
    report("loop (1M iterations)", per_run * 10, t.elapsed());
    c.bench_function("interp/loop_1m", |b| {
        b.iter(|| black_box(vm.run(&prog, [0; 5]).expect("runs")))
    });
}

fn bench_parse(c: &mut Criterion) {
    let prog = Arc::new(parse_program());
    let helpers = Helpers::<()>::new();
    let mut pkt = packet();
    let mut mem = Memory::new();
    let (_, data) = mem.add(&mut pkt, RegionKind::Packet);
    let mut vm = Vm::new(mem, (), &helpers, Config::default());
    let args = [data, data + 64, 0, 0, 0];
    assert_eq!(vm.run(&prog, args), Ok(2));
    let per_run = vm.insns_executed();
    let runs = 1_000_000u64;
    let t = Instant::now();
    for _ in 0..runs {
        black_box(vm.run(&prog, black_box(args)).expect("runs"));
    }
    report(
        "packet parse (64-byte TCP SYN)",
        per_run * runs,
        t.elapsed(),
    );
    println!(
        "packet parse: {per_run} insns/run, {:.1} ns/run",
        t.elapsed().as_nanos() as f64 / runs as f64
    );
    c.bench_function("interp/parse_tcp64", |b| {
        b.iter(|| black_box(vm.run(&prog, black_box(args)).expect("runs")))
    });
}

/// Fixed cost of one `run` (stack setup, frame, result): a 2-insn program.
fn bench_overhead(c: &mut Criterion) {
    let prog = Arc::new(Program::new(vec![imm(AluOp::Mov, 0, 0), Insn::Exit]).expect("valid"));
    let helpers = Helpers::<()>::new();
    let mut vm = Vm::new(Memory::new(), (), &helpers, Config::default());
    let runs = 1_000_000u32;
    let t = Instant::now();
    for _ in 0..runs {
        black_box(vm.run(&prog, black_box([0; 5])).expect("runs"));
    }
    println!(
        "run overhead (2-insn program): {:.1} ns/run",
        t.elapsed().as_nanos() as f64 / runs as f64
    );
    c.bench_function("interp/run_overhead", |b| {
        b.iter(|| black_box(vm.run(&prog, black_box([0; 5])).expect("runs")))
    });
}

criterion_group!(interp, bench_loop, bench_parse, bench_overhead);
criterion_main!(interp);

//! Speed: ns per executed instruction, interpreter vs the kernel's JIT.

use crate::asm::*;
use crate::harness::*;
use crate::{env_u64, CTX_LEN, ETH_HLEN};
use bpfbox_interp::{Config, Helpers, Memory, Program, RegionKind, Vm};
use bpfbox_isa::{AluOp, Cond, Insn, Size, Src, Width, FP};
use bpfbox_kernel::TestRun;
use std::hint::black_box;
use std::sync::Arc;
use std::time::Instant;
/// A loop-heavy program: 2000 iterations of an arithmetic body over the
/// stack (a bounded loop the verifier walks once per iteration).
fn loop_program() -> Vec<Insn> {
    let mut p = load_operands(&[7]);
    p.extend([
        mov(0, 0),
        mov(8, 0),
        Insn::Store {
            size: Size::DW,
            dst: FP,
            off: -8,
            src: Src::Imm(0),
        },
    ]);
    let top = p.len();
    p.extend([
        alu64(AluOp::Add, 0, Src::Reg(7)),
        alu64(AluOp::Mul, 0, Src::Imm(0x0100_0193)),
        alu64(AluOp::Xor, 0, Src::Reg(8)),
        Insn::Load {
            size: Size::DW,
            signed: false,
            dst: 1,
            src: FP,
            off: -8,
        },
        alu64(AluOp::Add, 1, Src::Reg(0)),
        Insn::Store {
            size: Size::DW,
            dst: FP,
            off: -8,
            src: Src::Reg(1),
        },
        alu64(AluOp::Add, 8, Src::Imm(1)),
    ]);
    let jmp = p.len();
    p.push(Insn::Jmp {
        width: Width::W64,
        cond: Cond::Lt,
        dst: 8,
        src: Src::Imm(2000),
        target: top,
    });
    p.extend([
        Insn::Load {
            size: Size::DW,
            signed: false,
            dst: 1,
            src: FP,
            off: -8,
        },
        alu64(AluOp::Xor, 0, Src::Reg(1)),
        EXIT,
    ]);
    debug_assert!(jmp > top);
    p
}

/// A packet-parsing program in the classic socket-filter style: IPv4
/// header checks, IHL, protocol, UDP/TCP ports, all through LD_ABS/LD_IND.
fn parse_program() -> Vec<Insn> {
    // Offsets are LD_ABS offsets (after the Ethernet header).
    let mut p = vec![movr(6, 1), ld_abs(Size::B, 0), movr(7, 0)];
    // version == 4 else drop.
    p.extend([
        alu64(AluOp::Rsh, 7, Src::Imm(4)),
        Insn::Jmp {
            width: Width::W64,
            cond: Cond::Ne,
            dst: 7,
            src: Src::Imm(4),
            target: usize::MAX,
        },
    ]);
    let drop_jumps_start = p.len() - 1;
    // r7 = ihl * 4 (header length).
    p.extend([
        movr(7, 0),
        alu64(AluOp::And, 7, Src::Imm(0xf)),
        alu64(AluOp::Lsh, 7, Src::Imm(2)),
        ld_abs(Size::H, 2),
        movr(8, 0), // total length
        ld_abs(Size::H, 6),
        alu64(AluOp::And, 0, Src::Imm(0x1fff)), // fragment offset
        Insn::Jmp {
            width: Width::W64,
            cond: Cond::Ne,
            dst: 0,
            src: Src::Imm(0),
            target: usize::MAX,
        },
        ld_abs(Size::B, 9), // protocol
        movr(9, 0),
        ld_abs(Size::W, 12), // saddr
        alu64(AluOp::Xor, 8, Src::Reg(0)),
        ld_abs(Size::W, 16), // daddr
        alu64(AluOp::Xor, 8, Src::Reg(0)),
        ld_ind(Size::H, 7, 0), // sport
        alu64(AluOp::Lsh, 0, Src::Imm(16)),
        alu64(AluOp::Xor, 8, Src::Reg(0)),
        ld_ind(Size::H, 7, 2), // dport
        alu64(AluOp::Xor, 8, Src::Reg(0)),
        Insn::Jmp {
            width: Width::W64,
            cond: Cond::Eq,
            dst: 9,
            src: Src::Imm(17),
            target: usize::MAX,
        },
    ]);
    let to_udp = p.len() - 1;
    // TCP: flags and sequence number.
    p.extend([
        ld_ind(Size::W, 7, 4),
        alu64(AluOp::Add, 8, Src::Reg(0)),
        ld_ind(Size::B, 7, 13),
        alu64(AluOp::And, 0, Src::Imm(0x12)),
        alu64(AluOp::Xor, 8, Src::Reg(0)),
    ]);
    let udp = p.len();
    p.extend([
        ld_ind(Size::H, 7, 4),
        alu64(AluOp::Add, 8, Src::Reg(0)),
        movr(0, 8),
        alu32(AluOp::Or, 0, Src::Imm(1)),
        EXIT,
    ]);
    let drop = p.len();
    p.extend([mov(0, 0), EXIT]);
    for (i, insn) in p.iter_mut().enumerate().skip(drop_jumps_start) {
        if let Insn::Jmp { target, .. } = insn {
            if *target == usize::MAX {
                *target = if i == to_udp { udp } else { drop };
            }
        }
    }
    p
}

/// An IPv4/UDP packet for [`parse_program`], behind a 14-byte Ethernet
/// header with ethertype IPv4.
fn udp_packet() -> Vec<u8> {
    let mut p = vec![0u8; 12];
    p.extend([0x08, 0x00]);
    p.extend([
        0x45, 0x00, 0x00, 0x30, 0x12, 0x34, 0x40, 0x00, 0x40, 0x11, 0x00, 0x00, 10, 0, 0, 1, 10, 0,
        0, 2,
    ]);
    p.extend([0x30, 0x39, 0x00, 0x35, 0x00, 0x1c, 0x00, 0x00]);
    p.extend([0xab; 20]);
    p
}

/// Mean ns of one interpreter run of `prog` on `pkt` over `runs` runs of
/// one VM. Building the context, packet and VM is outside the timing, as
/// building the skb is outside the kernel's test-run duration.
fn interp_ns_per_run(prog: &Arc<Program>, pkt: &[u8], runs: u64) -> f64 {
    let mut data = pkt.to_vec();
    let mut ctx = [0u8; CTX_LEN];
    let helpers = Helpers::<()>::new();
    let mut mem = Memory::new();
    let (_, ctx_addr) = mem.add(&mut ctx, RegionKind::Ctx);
    let len = data.len() as u64;
    let (_, addr) = mem.add(&mut data, RegionKind::Packet);
    let mut vm = Vm::new(mem, (), &helpers, Config::default());
    vm.set_ld_abs_source(addr + ETH_HLEN as u64, len - ETH_HLEN as u64);
    let t = Instant::now();
    for _ in 0..runs {
        black_box(
            vm.run(prog, black_box([ctx_addr, 0, 0, 0, 0]))
                .expect("runs"),
        );
    }
    t.elapsed().as_nanos() as f64 / runs as f64
}

/// ns per executed instruction: the interpreter (mean of `runs` runs)
/// and the kernel's JIT (`BPF_PROG_TEST_RUN` with `repeat` = 100000, whose
/// duration is the mean ns per run), both divided by the instruction
/// count the interpreter executed. Run with
/// `cargo test --release -p bpfbox --test differential -- --ignored --nocapture vs_kernel`.
pub(crate) fn vs_kernel_ns_per_insn() {
    let repeat = env_u64("BPFBOX_BENCH_REPEAT", 100_000) as u32;
    let cases = [
        (
            "loop",
            loop_program(),
            operand_packet(&[0x0123_4567_89ab_cdef]),
        ),
        ("parse", parse_program(), udp_packet()),
    ];
    for (name, insns, pkt) in cases {
        let b = Both::load(name, insns);
        let mut diffs = Diffs::default();
        b.check(name, &pkt, &mut diffs);
        diffs.finish(name);
        let once = interp_run(&b.interp, &pkt).expect("runs");
        let n = once.executed;
        // About 2e8 instructions (well under a second) per measurement.
        let runs = (200_000_000 / n.max(1)).clamp(1000, 1_000_000);
        let interp_ns = interp_ns_per_run(&b.interp, &pkt, runs);
        let out = b
            .kernel
            .test_run(&TestRun {
                data_in: Some(&pkt),
                repeat,
                ..Default::default()
            })
            .expect("test run");
        assert_eq!(out.retval, once.r0 as u32);
        let kernel_ns = out.duration_ns as f64;
        eprintln!(
            "{name}: {n} insns executed; interpreter {interp_ns:.0} ns/run = {:.2} ns/insn \
             ({runs} runs); kernel JIT {kernel_ns:.0} ns/run = {:.2} ns/insn \
             (repeat {repeat}); ratio {:.1}x",
            interp_ns / n as f64,
            kernel_ns / n as f64,
            interp_ns / kernel_ns.max(1.0)
        );
    }
}

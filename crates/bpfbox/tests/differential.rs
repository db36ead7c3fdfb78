//! Differential tests: the running kernel (the reference) against
//! bpfbox-interp on the same instructions.
//!
//! * `random_programs`: thousands of random verifier-friendly programs from
//!   [`bpfbox_kernel::fuzzgen`] (ALU/ALU64, every jump, stack loads and
//!   stores, atomics, byte swaps, movsx, signed div/mod), run as a
//!   SOCKET_FILTER on a zero packet and in the interpreter; the 32-bit
//!   results must be equal. `BPFBOX_DIFF_N` sets the number of programs
//!   (default [`DEFAULT_N`]), `BPFBOX_DIFF_SEED` the first seed and
//!   `BPFBOX_DIFF_MAXLEN` the longest body (default 400).
//! * Targeted cases the generator avoids or rarely hits: division and
//!   modulo by a zero register, `INT_MIN s/ -1`, `s% -1`, register shifts
//!   by the width or more, every movsx / byte-swap width, JMP32 on
//!   registers with the high half set, LD_ABS/LD_IND on the test-run
//!   packet, bpf-to-bpf calls and the preservation of `r6..r9`. Their
//!   operands come from the packet through LD_ABS, so the verifier cannot
//!   fold them and the JIT computes every result.
//! * `vs_kernel_ns_per_insn` (ignored by default): ns per executed
//!   instruction of the interpreter and of the kernel's JIT.
//!
//! Every test prints `skipped: <reason>` and passes when `bpf()` is not
//! usable.
//!
//! Packet convention (SOCKET_FILTER test run, checked by
//! `ld_abs_base_is_after_the_ethernet_header`): the kernel treats the
//! first 14 bytes as an Ethernet header and runs the program with
//! `skb->data` after it, so `LD_ABS k` reads packet byte `14 + k` and the
//! LD_ABS length is `len - 14`. The interpreter is given the same window
//! with `Vm::set_ld_abs_source(data + 14, len - 14)`.

use bpfbox_interp::{Config, Helpers, Memory, Program, RegionKind, Trap, Vm};
use bpfbox_isa::disasm::disasm;
use bpfbox_isa::{AluOp, Cond, Endian, Insn, Reg, Size, Src, Width, FP};
use bpfbox_kernel::consts::prog_type;
use bpfbox_kernel::{availability, fuzzgen, KernelProg, ProgLoad, TestRun, FUZZ_PACKET_LEN};
use std::sync::Arc;
use std::time::Instant;

/// Random programs run by `cargo test` unless `BPFBOX_DIFF_N` says
/// otherwise (about 1 ms each in a debug build).
const DEFAULT_N: u64 = 10_000;
/// Body lengths of the random programs: `MIN_LEN..=MAX_LEN`, where
/// `BPFBOX_DIFF_MAXLEN` may raise the upper bound.
const MIN_LEN: usize = 20;
const MAX_LEN: usize = 400;
/// Bytes the kernel's SOCKET_FILTER test run treats as the Ethernet header.
const ETH_HLEN: usize = 14;
/// Size of `struct __sk_buff`, the context region given to the interpreter.
const CTX_LEN: usize = 192;
/// `SKF_NET_OFF` and `SKF_LL_OFF` (include/uapi/linux/filter.h).
const SKF_NET_OFF: i32 = -0x10_0000;
const SKF_LL_OFF: i32 = -0x20_0000;

/// Returns early (skipping the test) when the kernel engine is unavailable.
macro_rules! require_kernel {
    () => {
        if let Err(u) = availability() {
            eprintln!("skipped: {u}");
            return;
        }
    };
}

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(default)
}

// ---------------------------------------------------------------------
// Running one program in both engines
// ---------------------------------------------------------------------

/// What the interpreter produced for one run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct InterpOut {
    r0: u64,
    executed: u64,
}

/// Runs `prog` in the interpreter the way the kernel's SOCKET_FILTER test
/// run does: `r1` = a zeroed 192-byte context, the packet in a region and
/// the LD_ABS window starting after the Ethernet header.
fn interp_run(prog: &Arc<Program>, packet: &[u8]) -> Result<InterpOut, Trap> {
    let mut pkt = packet.to_vec();
    let mut ctx = [0u8; CTX_LEN];
    let helpers = Helpers::<()>::new();
    let mut mem = Memory::new();
    let (_, ctx_addr) = mem.add(&mut ctx, RegionKind::Ctx);
    let pkt_len = pkt.len() as u64;
    let (_, data) = mem.add(&mut pkt, RegionKind::Packet);
    let mut vm = Vm::new(mem, (), &helpers, Config::default());
    let eth = (ETH_HLEN as u64).min(pkt_len);
    vm.set_ld_abs_source(data + eth, pkt_len - eth);
    let r0 = vm.run(prog, [ctx_addr, 0, 0, 0, 0])?;
    Ok(InterpOut {
        r0,
        executed: vm.insns_executed(),
    })
}

/// A program loaded into the kernel and prepared for the interpreter.
struct Both {
    insns: Vec<Insn>,
    kernel: KernelProg,
    interp: Arc<Program>,
}

impl Both {
    /// Loads `insns` as a SOCKET_FILTER; panics with the verifier log when
    /// the kernel refuses it (every program here is meant to pass).
    fn load(what: &str, insns: Vec<Insn>) -> Both {
        let raw = bpfbox_isa::encode(&insns).unwrap_or_else(|e| panic!("{what}: encode: {e}"));
        let kernel = ProgLoad::new(prog_type::SOCKET_FILTER, &raw)
            .name("bpfbox_diff")
            .load()
            .unwrap_or_else(|e| {
                panic!(
                    "{what}: kernel rejected the program: {e}\n{}\n{}",
                    e.log().unwrap_or(""),
                    disasm(&insns)
                )
            });
        let interp = Arc::new(
            Program::new(insns.clone()).unwrap_or_else(|e| panic!("{what}: interp: {e}")),
        );
        Both {
            insns,
            kernel,
            interp,
        }
    }

    fn kernel_run(&self, packet: &[u8]) -> u32 {
        let out = self
            .kernel
            .test_run(&TestRun {
                data_in: Some(packet),
                repeat: 1,
                ..Default::default()
            })
            .unwrap_or_else(|e| panic!("test run: {e}"));
        out.retval
    }

    /// Runs on `packet` in both engines; a difference is recorded in
    /// `diffs` with everything needed to reproduce it.
    fn check(&self, what: &str, packet: &[u8], diffs: &mut Diffs) {
        let k = self.kernel_run(packet);
        let i = interp_run(&self.interp, packet);
        diffs.runs += 1;
        match i {
            Ok(o) if o.r0 as u32 == k => diffs.executed += o.executed,
            _ => diffs.push(format!(
                "{what}: packet {}: kernel {k:#x}, interpreter {}\n{}",
                hex(packet),
                match i {
                    Ok(o) => format!("{:#x} (r0 = {:#x})", o.r0 as u32, o.r0),
                    Err(t) => format!("trap {t}"),
                },
                disasm(&self.insns)
            )),
        }
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Differences found by a test, reported together at its end.
#[derive(Default)]
struct Diffs {
    list: Vec<String>,
    runs: u64,
    executed: u64,
}

impl Diffs {
    fn push(&mut self, d: String) {
        if self.list.len() < 20 {
            eprintln!("DIFFERENCE {d}");
        }
        self.list.push(d);
    }

    fn finish(self, what: &str) {
        eprintln!(
            "{what}: {} runs, {} instructions executed, {} differences",
            self.runs,
            self.executed,
            self.list.len()
        );
        assert!(
            self.list.is_empty(),
            "{what}: {} differences between the kernel and the interpreter; first:\n{}",
            self.list.len(),
            self.list[0]
        );
    }
}

// ---------------------------------------------------------------------
// Instruction builders
// ---------------------------------------------------------------------

fn alu(width: Width, op: AluOp, dst: Reg, src: Src) -> Insn {
    Insn::Alu {
        width,
        op,
        dst,
        src,
    }
}
fn alu64(op: AluOp, dst: Reg, src: Src) -> Insn {
    alu(Width::W64, op, dst, src)
}
fn mov(dst: Reg, imm: i32) -> Insn {
    alu64(AluOp::Mov, dst, Src::Imm(imm))
}
fn movr(dst: Reg, src: Reg) -> Insn {
    alu64(AluOp::Mov, dst, Src::Reg(src))
}
fn ld_abs(size: Size, imm: i32) -> Insn {
    Insn::LdAbs { size, imm }
}
fn ld_ind(size: Size, src: Reg, imm: i32) -> Insn {
    Insn::LdInd { size, src, imm }
}
const EXIT: Insn = Insn::Exit;

/// `r6 = r1` (LD_ABS needs the context in `r6`), then loads the 64-bit
/// big-endian operands at LD_ABS offsets 0, 8, 16, ... into `regs`.
/// Clobbers `r0..r5`.
fn load_operands(regs: &[Reg]) -> Vec<Insn> {
    let mut p = vec![movr(6, 1)];
    for (k, &r) in regs.iter().enumerate() {
        let off = 8 * k as i32;
        p.extend([
            ld_abs(Size::W, off),
            movr(r, 0),
            alu64(AluOp::Lsh, r, Src::Imm(32)),
            ld_abs(Size::W, off + 4),
            alu64(AluOp::Or, r, Src::Reg(0)),
        ]);
    }
    p
}

/// A packet whose LD_ABS bytes are the big-endian `operands`.
fn operand_packet(operands: &[u64]) -> Vec<u8> {
    let mut p = vec![0u8; ETH_HLEN];
    for v in operands {
        p.extend(v.to_be_bytes());
    }
    p
}

/// `r0 = reg` (low half) or `r0 = reg >> 32` (high half); `exit`.
fn return_half(reg: Reg, high: bool) -> Vec<Insn> {
    let mut p = vec![movr(0, reg)];
    if high {
        p.push(alu64(AluOp::Rsh, 0, Src::Imm(32)));
    }
    p.push(EXIT);
    p
}

/// 64-bit values at the edges of every ALU rule, including shift amounts
/// at and past both widths and registers whose high half differs from the
/// low one.
const EDGES: [u64; 26] = [
    0,
    1,
    2,
    3,
    31,
    32,
    33,
    63,
    64,
    65,
    0xff,
    0x80,
    0x7fff,
    0x8000,
    0x7fff_ffff,
    0x8000_0000,
    0xffff_ffff,
    0x1_0000_0000,
    0x1_0000_0001,
    0xffff_ffff_0000_0000,
    0xffff_ffff_8000_0000,
    0x8000_0000_0000_0001,
    i64::MAX as u64,
    i64::MIN as u64,
    u64::MAX,
    0x0123_4567_89ab_cdef,
];

const ALL_ALU_OPS: [AluOp; 14] = [
    AluOp::Add,
    AluOp::Sub,
    AluOp::Mul,
    AluOp::Div,
    AluOp::Sdiv,
    AluOp::Or,
    AluOp::And,
    AluOp::Lsh,
    AluOp::Rsh,
    AluOp::Mod,
    AluOp::Smod,
    AluOp::Xor,
    AluOp::Mov,
    AluOp::Arsh,
];

const CONDS: [Cond; 11] = [
    Cond::Eq,
    Cond::Gt,
    Cond::Ge,
    Cond::Set,
    Cond::Ne,
    Cond::Sgt,
    Cond::Sge,
    Cond::Lt,
    Cond::Le,
    Cond::Slt,
    Cond::Sle,
];

const WIDTHS: [Width; 2] = [Width::W32, Width::W64];

// ---------------------------------------------------------------------
// Random programs
// ---------------------------------------------------------------------

#[test]
fn random_programs() {
    require_kernel!();
    let n = env_u64("BPFBOX_DIFF_N", DEFAULT_N);
    let first = env_u64("BPFBOX_DIFF_SEED", 0);
    let max_len = (env_u64("BPFBOX_DIFF_MAXLEN", MAX_LEN as u64) as usize).max(MIN_LEN);
    let span = max_len - MIN_LEN + 1;
    let packet = [0u8; FUZZ_PACKET_LEN];
    let started = Instant::now();
    let (mut insns_total, mut executed, mut diffs) = (0u64, 0u64, 0usize);
    for seed in first..first + n {
        let len = MIN_LEN + (seed as usize).wrapping_mul(7919) % span;
        let prog = fuzzgen::random_program(seed, len);
        insns_total += prog.iter().filter(|i| **i != Insn::LdImm64Hi).count() as u64;
        let k = bpfbox_kernel::run_in_kernel(&prog).unwrap_or_else(|e| {
            panic!(
                "seed {seed} len {len}: kernel: {e}\n{}\n{}",
                e.log().unwrap_or(""),
                disasm(&prog)
            )
        });
        let interp = Program::new(prog.clone())
            .map(Arc::new)
            .unwrap_or_else(|e| panic!("seed {seed} len {len}: interp refused the program: {e}"));
        let i = interp_run(&interp, &packet);
        match i {
            Ok(o) if o.r0 as u32 == k => executed += o.executed,
            _ => {
                diffs += 1;
                if diffs <= 5 {
                    eprintln!(
                        "DIFFERENCE seed {seed} len {len}: kernel {k:#x}, interpreter {:?}\n{}",
                        i,
                        disasm(&prog)
                    );
                }
            }
        }
    }
    eprintln!(
        "random_programs: {n} programs (seeds {first}..{}, body lengths {MIN_LEN}..={max_len}), \
         {insns_total} instructions, {executed} executed, {diffs} differences, {:.1} s",
        first + n,
        started.elapsed().as_secs_f64()
    );
    assert_eq!(diffs, 0, "differences between the kernel and the interpreter");
}

// ---------------------------------------------------------------------
// ALU edges
// ---------------------------------------------------------------------

/// Every ALU operation of both widths on every pair of edge values, the
/// second operand in a register: division and modulo by zero, `INT_MIN s/
/// -1`, `s% -1`, shifts by 32, 64 and more, 32-bit operations on registers
/// with a non-zero high half.
#[test]
fn alu_register_operands() {
    require_kernel!();
    let mut diffs = Diffs::default();
    let packets: Vec<Vec<u8>> = EDGES
        .iter()
        .flat_map(|&a| EDGES.iter().map(move |&b| operand_packet(&[a, b])))
        .collect();
    for width in WIDTHS {
        for op in ALL_ALU_OPS {
            for high in [false, true] {
                let mut p = load_operands(&[7, 8]);
                p.push(alu(width, op, 7, Src::Reg(8)));
                p.extend(return_half(7, high));
                let what = format!("{width:?} {op:?} reg high={high}");
                let b = Both::load(&what, p);
                for pkt in &packets {
                    b.check(&what, pkt, &mut diffs);
                }
            }
        }
    }
    diffs.finish("alu_register_operands");
}

/// Division and modulo (signed and unsigned) by the immediates the
/// verifier accepts at the edges (-1, 1, ±2, INT_MIN, INT_MAX), and
/// immediate shifts by the largest legal amounts.
#[test]
fn alu_immediate_edges() {
    require_kernel!();
    let mut diffs = Diffs::default();
    let packets: Vec<Vec<u8>> = EDGES.iter().map(|&a| operand_packet(&[a])).collect();
    let mut cases: Vec<(AluOp, i32)> = Vec::new();
    for op in [AluOp::Div, AluOp::Sdiv, AluOp::Mod, AluOp::Smod] {
        for imm in [-1, 1, 2, -2, 3, i32::MIN, i32::MAX] {
            cases.push((op, imm));
        }
    }
    for width in WIDTHS {
        let bits = if width == Width::W64 { 64 } else { 32 };
        let mut all = cases.clone();
        for op in [AluOp::Lsh, AluOp::Rsh, AluOp::Arsh] {
            for imm in [0, 1, 31, bits - 1] {
                all.push((op, imm));
            }
        }
        all.dedup();
        for &(op, imm) in &all {
            for high in [false, true] {
                let mut p = load_operands(&[7]);
                p.push(alu(width, op, 7, Src::Imm(imm)));
                p.extend(return_half(7, high));
                let what = format!("{width:?} {op:?} imm {imm} high={high}");
                let b = Both::load(&what, p);
                for pkt in &packets {
                    b.check(&what, pkt, &mut diffs);
                }
            }
        }
    }
    diffs.finish("alu_immediate_edges");
}

/// `movsx` of every width (ALU64: s8, s16, s32; ALU32: s8, s16), `neg`,
/// and `le`/`be`/`bswap` of 16, 32 and 64 bits.
#[test]
fn movsx_neg_and_byte_swaps() {
    require_kernel!();
    let mut diffs = Diffs::default();
    let mut values = EDGES.to_vec();
    values.extend([0x8081_8283_8485_8687, 0x7f7e_7d7c_ff80_7fff, 0xdead_beef_cafe_f00d]);
    let packets: Vec<Vec<u8>> = values.iter().map(|&a| operand_packet(&[a])).collect();
    let mut ops: Vec<(String, Insn)> = Vec::new();
    for (width, bits) in [
        (Width::W64, 8),
        (Width::W64, 16),
        (Width::W64, 32),
        (Width::W32, 8),
        (Width::W32, 16),
    ] {
        ops.push((
            format!("movsx{bits} {width:?}"),
            alu(width, AluOp::Movsx(bits), 7, Src::Reg(8)),
        ));
    }
    for width in WIDTHS {
        ops.push((format!("neg {width:?}"), Insn::Neg { width, dst: 7 }));
    }
    for kind in [Endian::ToLe, Endian::ToBe, Endian::Swap] {
        for bits in [16u8, 32, 64] {
            ops.push((format!("{kind:?}{bits}"), Insn::End { kind, bits, dst: 7 }));
        }
    }
    for (name, op) in ops {
        for high in [false, true] {
            let mut p = load_operands(&[8]);
            // r7 = a different value, so movsx visibly overwrites it.
            p.extend([movr(7, 8), alu64(AluOp::Xor, 7, Src::Imm(0x5a5a))]);
            if !matches!(op, Insn::Alu { .. }) {
                p.push(movr(7, 8));
            }
            p.push(op);
            p.extend(return_half(7, high));
            let what = format!("{name} high={high}");
            let b = Both::load(&what, p);
            for pkt in &packets {
                b.check(&what, pkt, &mut diffs);
            }
        }
    }
    diffs.finish("movsx_neg_and_byte_swaps");
}

// ---------------------------------------------------------------------
// Jumps
// ---------------------------------------------------------------------

/// `if r7 <cond> src goto +3; r0 = 1; exit; r0 = 2; exit` after the
/// operand loads; the program returns which way the jump went.
fn branch_program(operands: &[Reg], width: Width, cond: Cond, src: Src) -> Vec<Insn> {
    let mut p = load_operands(operands);
    let at = p.len();
    p.extend([
        Insn::Jmp {
            width,
            cond,
            dst: 7,
            src,
            target: at + 3,
        },
        mov(0, 1),
        EXIT,
        mov(0, 2),
        EXIT,
    ]);
    p
}

/// Every condition of JMP and JMP32 on every pair of edge values (many of
/// them with a high half that JMP32 must ignore), register operand.
#[test]
fn jumps_register_operands() {
    require_kernel!();
    let mut diffs = Diffs::default();
    let packets: Vec<Vec<u8>> = EDGES
        .iter()
        .flat_map(|&a| EDGES.iter().map(move |&b| operand_packet(&[a, b])))
        .collect();
    for width in WIDTHS {
        for cond in CONDS {
            let what = format!("{width:?} {cond:?} reg");
            let b = Both::load(&what, branch_program(&[7, 8], width, cond, Src::Reg(8)));
            for pkt in &packets {
                b.check(&what, pkt, &mut diffs);
            }
        }
    }
    diffs.finish("jumps_register_operands");
}

/// Every condition against immediates, which JMP sign-extends to 64 bits
/// and JMP32 compares with the low half only.
#[test]
fn jumps_immediate_operands() {
    require_kernel!();
    let mut diffs = Diffs::default();
    let packets: Vec<Vec<u8>> = EDGES.iter().map(|&a| operand_packet(&[a])).collect();
    for width in WIDTHS {
        for cond in CONDS {
            for imm in [0, 1, -1, 32, i32::MIN, i32::MAX, 0x8000] {
                let what = format!("{width:?} {cond:?} imm {imm}");
                let b = Both::load(&what, branch_program(&[7], width, cond, Src::Imm(imm)));
                for pkt in &packets {
                    b.check(&what, pkt, &mut diffs);
                }
            }
        }
    }
    diffs.finish("jumps_immediate_operands");
}

// ---------------------------------------------------------------------
// LD_ABS / LD_IND
// ---------------------------------------------------------------------

/// A packet of `len` bytes `0x80 + i` (never zero, so a successful load is
/// distinguishable from a miss's `r0 = 0`).
fn pattern_packet(len: usize) -> Vec<u8> {
    (0..len).map(|i| 0x80u8.wrapping_add(i as u8) | 1).collect()
}

/// Fact the runtime needs: in the SOCKET_FILTER test run, `LD_ABS 0` reads
/// packet byte 14 (the byte after the Ethernet header) and the last
/// readable LD_ABS offset is `len - 15`. Checked on the kernel alone, then
/// differentially.
#[test]
fn ld_abs_base_is_after_the_ethernet_header() {
    require_kernel!();
    let pkt = pattern_packet(64);
    let probe = |imm: i32| {
        // r0 = *(u8 *)skb[imm] + 0x100: 0 for a miss, 0x1xx for a hit.
        let p = vec![
            movr(6, 1),
            ld_abs(Size::B, imm),
            alu64(AluOp::Add, 0, Src::Imm(0x100)),
            EXIT,
        ];
        Both::load(&format!("ld_abs b {imm}"), p)
    };
    let b0 = probe(0);
    assert_eq!(b0.kernel_run(&pkt), 0x100 + pkt[ETH_HLEN] as u32);
    let last = probe(64 - ETH_HLEN as i32 - 1);
    assert_eq!(last.kernel_run(&pkt), 0x100 + pkt[63] as u32);
    let past = probe(64 - ETH_HLEN as i32);
    assert_eq!(past.kernel_run(&pkt), 0, "a load past skb->len must miss");
    let mut diffs = Diffs::default();
    for b in [&b0, &last, &past] {
        b.check("ld_abs base", &pkt, &mut diffs);
    }
    diffs.finish("ld_abs_base_is_after_the_ethernet_header");
}

/// LD_ABS of every size at every offset around both ends of the packet,
/// for several packet lengths (misses end the program with `r0 = 0`).
#[test]
fn ld_abs_sizes_and_offsets() {
    require_kernel!();
    let mut diffs = Diffs::default();
    let packets: Vec<Vec<u8>> = [14, 15, 17, 18, 20, 33, 64, 100]
        .iter()
        .map(|&n| pattern_packet(n))
        .collect();
    for size in [Size::B, Size::H, Size::W] {
        for imm in (-2..=90).chain([i32::MAX, i32::MIN, -4096, 0x7fff_fffc]) {
            let p = vec![
                movr(6, 1),
                mov(0, 7),
                ld_abs(size, imm),
                alu64(AluOp::Xor, 0, Src::Imm(0x5500_0000)),
                EXIT,
            ];
            let what = format!("ld_abs {size:?} {imm}");
            let b = Both::load(&what, p);
            for pkt in &packets {
                b.check(&what, pkt, &mut diffs);
            }
        }
    }
    diffs.finish("ld_abs_sizes_and_offsets");
}

/// LD_IND with a 64-bit register from the packet plus an immediate: the
/// offset is the low 32 bits of the sum as a signed int.
#[test]
fn ld_ind_register_offsets() {
    require_kernel!();
    let mut diffs = Diffs::default();
    // (SKF_*_OFF sums are in `ld_abs_negative_skf_offsets_kernel_facts`.)
    let regs: [u64; 14] = [
        0,
        1,
        7,
        8,
        20,
        40,
        u64::MAX,
        (-8i64) as u64,
        0x1_0000_0002,
        0xffff_ffff_0000_0009,
        0x8000_0000,
        0x7fff_ffff,
        (-0x1000i64) as u64,
        (-0x30_0000i64) as u64,
    ];
    let packets: Vec<Vec<u8>> = regs
        .iter()
        .map(|&r| {
            let mut p = operand_packet(&[r]);
            p.extend(pattern_packet(40));
            p
        })
        .collect();
    for size in [Size::B, Size::H, Size::W] {
        for imm in [0, 1, 8, 9, -1, -8, 44, i32::MIN] {
            let mut p = load_operands(&[7]);
            p.extend([
                ld_ind(size, 7, imm),
                alu64(AluOp::Add, 0, Src::Imm(0x1000_0000)),
                EXIT,
            ]);
            let what = format!("ld_ind {size:?} r7{imm:+}");
            let b = Both::load(&what, p);
            for pkt in &packets {
                b.check(&what, pkt, &mut diffs);
            }
        }
    }
    diffs.finish("ld_ind_register_offsets");
}

/// The kernel's negative LD_ABS offsets (`bpf_internal_load_pointer_neg_helper`):
/// `SKF_LL_OFF + k` reads from the MAC header (packet byte `k`),
/// `SKF_NET_OFF + k` from the network header (packet byte `14 + k`), up to
/// the end of the packet; offsets just below either base miss (they fall
/// into the other range or below `SKF_LL_OFF`). Checked on the kernel only and printed: the interpreter
/// documents these offsets as unsupported (they miss there), so this is
/// the runtime's job (it knows where the MAC and network headers are).
#[test]
fn ld_abs_negative_skf_offsets_kernel_facts() {
    require_kernel!();
    let pkt = pattern_packet(64);
    let run = |imm: i32| {
        let p = vec![
            movr(6, 1),
            ld_abs(Size::B, imm),
            alu64(AluOp::Add, 0, Src::Imm(0x100)),
            EXIT,
        ];
        let b = Both::load(&format!("ld_abs skf {imm}"), p);
        let i = interp_run(&b.interp, &pkt).map(|o| o.r0 as u32);
        (b.kernel_run(&pkt), i)
    };
    let cases = [
        ("SKF_LL_OFF+0", SKF_LL_OFF, Some(pkt[0])),
        ("SKF_LL_OFF+13", SKF_LL_OFF + 13, Some(pkt[13])),
        ("SKF_LL_OFF+63", SKF_LL_OFF + 63, Some(pkt[63])),
        ("SKF_LL_OFF+64", SKF_LL_OFF + 64, None),
        ("SKF_LL_OFF-1", SKF_LL_OFF - 1, None),
        ("SKF_NET_OFF+0", SKF_NET_OFF, Some(pkt[14])),
        ("SKF_NET_OFF-1", SKF_NET_OFF - 1, None),
        ("SKF_NET_OFF+49", SKF_NET_OFF + 49, Some(pkt[63])),
        ("SKF_NET_OFF+50", SKF_NET_OFF + 50, None),
        ("-1", -1, None),
        ("SKF_AD_OFF", -0x1000, None),
    ];
    for (name, imm, want) in cases {
        let (k, i) = run(imm);
        eprintln!("LD_ABS B {name} ({imm:#x}): kernel {k:#x}, interpreter {i:x?}");
        assert_eq!(k, want.map_or(0, |b| 0x100 + b as u32), "kernel, {name}");
    }
}

// ---------------------------------------------------------------------
// bpf-to-bpf calls
// ---------------------------------------------------------------------

/// `r0 = r0 * 0x01000193 ^ src` (the fuzz generator's fold).
fn mix(src: Src) -> [Insn; 2] {
    [
        alu64(AluOp::Mul, 0, Src::Imm(0x0100_0193)),
        alu64(AluOp::Xor, 0, src),
    ]
}

/// A main function and two nested sub-programs. Every function writes
/// `r6..r9` and its own stack; the main function folds its `r6..r9`, its
/// stack and the calls' results into `r0`, so a callee-saved register or
/// stack slot that is not preserved changes the result.
fn calls_program() -> Vec<Insn> {
    let mut p = load_operands(&[7, 8]);
    // Main: r6 (the ctx) becomes a scalar, r9 = a ^ b; stack slots.
    p.extend([
        movr(6, 7),
        alu64(AluOp::Add, 6, Src::Imm(0x1111)),
        movr(9, 7),
        alu64(AluOp::Xor, 9, Src::Reg(8)),
        Insn::Store {
            size: Size::DW,
            dst: FP,
            off: -8,
            src: Src::Reg(7),
        },
        Insn::Store {
            size: Size::DW,
            dst: FP,
            off: -16,
            src: Src::Reg(8),
        },
        movr(1, 7),
        movr(2, 8),
        mov(3, 3),
        mov(4, -4),
        mov(5, 5),
    ]);
    let call_f = p.len();
    p.push(Insn::CallLocal { target: 0 });
    p.extend(mix(Src::Reg(6)));
    p.extend(mix(Src::Reg(7)));
    p.extend(mix(Src::Reg(8)));
    p.extend(mix(Src::Reg(9)));
    for off in [-8i16, -16] {
        p.push(Insn::Load {
            size: Size::DW,
            signed: false,
            dst: 1,
            src: FP,
            off,
        });
        p.extend(mix(Src::Reg(1)));
    }
    // Call f a second time on the result, to check r6..r9 again.
    p.extend([movr(1, 0), movr(2, 9), mov(3, 0), mov(4, 0), mov(5, 0)]);
    let call_f2 = p.len();
    p.push(Insn::CallLocal { target: 0 });
    p.extend(mix(Src::Reg(6)));
    p.extend(mix(Src::Reg(9)));
    p.extend([
        movr(1, 0),
        alu64(AluOp::Rsh, 1, Src::Imm(32)),
        alu64(AluOp::Xor, 0, Src::Reg(1)),
        EXIT,
    ]);
    // f(a, b, c, d, e): clobbers r6..r9, uses its own stack, calls g.
    let f = p.len();
    p.extend([
        movr(6, 1),
        alu64(AluOp::Mul, 6, Src::Imm(3)),
        movr(7, 2),
        alu64(AluOp::Sub, 7, Src::Imm(1)),
        movr(8, 1),
        alu64(AluOp::Or, 8, Src::Reg(2)),
        mov(9, 77),
        alu64(AluOp::Add, 9, Src::Reg(3)),
        alu64(AluOp::Add, 9, Src::Reg(4)),
        alu64(AluOp::Add, 9, Src::Reg(5)),
        Insn::Store {
            size: Size::DW,
            dst: FP,
            off: -8,
            src: Src::Reg(9),
        },
        Insn::Store {
            size: Size::W,
            dst: FP,
            off: -16,
            src: Src::Imm(-2),
        },
        movr(1, 6),
        movr(2, 8),
    ]);
    let call_g = p.len();
    p.push(Insn::CallLocal { target: 0 });
    p.extend([
        alu64(AluOp::Add, 0, Src::Reg(6)),
        alu64(AluOp::Xor, 0, Src::Reg(7)),
        alu64(AluOp::Add, 0, Src::Reg(8)),
        Insn::Load {
            size: Size::DW,
            signed: false,
            dst: 1,
            src: FP,
            off: -8,
        },
        alu64(AluOp::Xor, 0, Src::Reg(1)),
        Insn::Load {
            size: Size::W,
            signed: true,
            dst: 1,
            src: FP,
            off: -16,
        },
        alu64(AluOp::Add, 0, Src::Reg(1)),
        EXIT,
    ]);
    // g(x, y): clobbers r6..r9 and writes its own stack.
    let g = p.len();
    p.extend([
        mov(6, 1),
        mov(7, 2),
        mov(8, 3),
        mov(9, 4),
        Insn::Store {
            size: Size::DW,
            dst: FP,
            off: -8,
            src: Src::Imm(-1),
        },
        Insn::Store {
            size: Size::DW,
            dst: FP,
            off: -16,
            src: Src::Imm(-1),
        },
        movr(0, 1),
        alu64(AluOp::Mul, 0, Src::Reg(2)),
        alu64(AluOp::Xor, 0, Src::Reg(6)),
        Insn::Load {
            size: Size::DW,
            signed: false,
            dst: 2,
            src: FP,
            off: -8,
        },
        alu64(AluOp::Add, 0, Src::Reg(2)),
        EXIT,
    ]);
    p[call_f] = Insn::CallLocal { target: f };
    p[call_f2] = Insn::CallLocal { target: f };
    p[call_g] = Insn::CallLocal { target: g };
    p
}

#[test]
fn bpf_to_bpf_calls_preserve_r6_to_r9() {
    require_kernel!();
    let b = Both::load("calls", calls_program());
    let mut diffs = Diffs::default();
    for &a in &EDGES {
        for &c in &EDGES[..10] {
            b.check("calls", &operand_packet(&[a, c]), &mut diffs);
        }
    }
    diffs.finish("bpf_to_bpf_calls_preserve_r6_to_r9");
}

// ---------------------------------------------------------------------
// Speed: interpreter vs the kernel's JIT
// ---------------------------------------------------------------------

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
    for i in drop_jumps_start..p.len() {
        if let Insn::Jmp { target, .. } = &mut p[i] {
            if *target == usize::MAX {
                *target = if i == to_udp { udp } else { drop };
            }
        }
    }
    p
}

fn alu32(op: AluOp, dst: Reg, src: Src) -> Insn {
    alu(Width::W32, op, dst, src)
}

/// An IPv4/UDP packet for [`parse_program`], behind a 14-byte Ethernet
/// header with ethertype IPv4.
fn udp_packet() -> Vec<u8> {
    let mut p = vec![0u8; 12];
    p.extend([0x08, 0x00]);
    p.extend([
        0x45, 0x00, 0x00, 0x30, 0x12, 0x34, 0x40, 0x00, 0x40, 0x11, 0x00, 0x00, 10, 0, 0, 1, 10,
        0, 0, 2,
    ]);
    p.extend([0x30, 0x39, 0x00, 0x35, 0x00, 0x1c, 0x00, 0x00]);
    p.extend([0xab; 20]);
    p
}

/// ns per executed instruction: the interpreter (mean of `runs` runs)
/// and the kernel's JIT (`BPF_PROG_TEST_RUN` with `repeat` = 100000, whose
/// duration is the mean ns per run), both divided by the instruction
/// count the interpreter executed. Run with
/// `cargo test --release -p bpfbox --test differential -- --ignored --nocapture vs_kernel`.
#[test]
#[ignore = "benchmark; run with --ignored --nocapture (use --release)"]
fn vs_kernel_ns_per_insn() {
    require_kernel!();
    let repeat = env_u64("BPFBOX_BENCH_REPEAT", 100_000) as u32;
    let cases = [
        ("loop", loop_program(), operand_packet(&[0x0123_4567_89ab_cdef])),
        ("parse", parse_program(), udp_packet()),
    ];
    for (name, insns, pkt) in cases {
        let b = Both::load(name, insns);
        let mut diffs = Diffs::default();
        b.check(name, &pkt, &mut diffs);
        diffs.finish(name);
        let once = interp_run(&b.interp, &pkt).expect("runs");
        let n = once.executed;
        // Interpreter: same setup per run as the kernel's test run
        // (fresh context and packet copy).
        let runs = (repeat as u64 / n.max(1)).clamp(100, repeat as u64);
        let t = Instant::now();
        let mut acc = 0u64;
        for _ in 0..runs {
            acc ^= interp_run(&b.interp, &pkt).expect("runs").r0;
        }
        let interp_ns = t.elapsed().as_nanos() as f64 / runs as f64;
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
             ({runs} runs, acc {acc:#x}); kernel JIT {kernel_ns:.0} ns/run = {:.2} ns/insn \
             (repeat {repeat}); ratio {:.1}x",
            interp_ns / n as f64,
            kernel_ns / n as f64,
            interp_ns / kernel_ns.max(1.0)
        );
    }
}

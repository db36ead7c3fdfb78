//! Two bugs of the reference itself (Linux 6.18, x86-64 JIT), found by
//! `random_programs`, with minimal reproductions, and the program rewrites
//! that tell a kernel-side difference from an interpreter bug.
//!
//! 1. **32-bit `cmpxchg` leaves stale high bits in `r0`.** The ISA says
//!    `w0 = cmpxchg32(...)` zero-extends `r0`. x86 `lock cmpxchg` with a
//!    32-bit operand does not write `eax` when the comparison succeeds, so
//!    the upper half of `rax` keeps its old value, and the kernel relies
//!    on an explicit zero-extension the verifier inserts after the
//!    instruction (`opt_subreg_zext_lo32_rnd_hi32`, kernel/bpf/verifier.c).
//!    That insertion depends on the verifier having seen a 64-bit read of
//!    `r0` on the path from the cmpxchg; when the only path that reads it
//!    is pruned against an equivalent state, the zext is left out and the
//!    stale bits leak (`cmpxchg32_zero_extends_r0` below: 0x1b instead of
//!    0; first seen as random seed 1006237).
//! 2. **Precision is not propagated through an atomic fetch from the
//!    stack.** For `r3 = atomic64_fetch_and((u64 *)(r10 - 8), r3)` the
//!    result is the old stack value, but precision backtracking keeps
//!    marking `r3` (the operand) instead of the stack slot. Two states that
//!    differ only in that slot are then treated as equivalent, the branch
//!    that depends on the fetched value is explored one way only, and the
//!    other way is removed as dead code, so the program takes the wrong
//!    branch at run time (`atomic_fetch_from_stack_keeps_precision`; first
//!    seen as random seed 1002530).
//!
//! The interpreter follows the ISA in both cases. [`explain`] re-runs a
//! differing program in semantically equal forms that avoid the two kernel
//! paths; when both engines agree on such a form (and the interpreter's
//! result did not change), the difference is the kernel's.

use crate::asm::*;
use crate::harness::*;
use crate::ETH_HLEN;
use bpfbox_interp::Program;
use bpfbox_isa::{AluOp, AtomicOp, Cond, Insn, LdImm64, Size, Src, Width, FP};
use bpfbox_kernel::consts::prog_flags;
use std::sync::Arc;

/// A known bug of the kernel that explains a difference.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum KernelBug {
    /// Bug 1 of the module docs.
    Cmpxchg32Zext,
    /// Bug 2 of the module docs.
    AtomicFetchPrecision,
}

impl KernelBug {
    pub(crate) fn name(self) -> &'static str {
        match self {
            KernelBug::Cmpxchg32Zext => "cmpxchg32 without zero-extension of r0",
            KernelBug::AtomicFetchPrecision => "no precision through atomic fetch from stack",
        }
    }
}

/// Rewrites `insns` (one entry per slot): `f(insn, new_slot)` returns the
/// replacement of an instruction (its own jumps use absolute new slots) or
/// `None` to keep it; the targets of kept jumps are moved along.
fn rewrite(insns: &[Insn], f: impl Fn(&Insn, usize) -> Option<Vec<Insn>>) -> Vec<Insn> {
    let mut map = Vec::with_capacity(insns.len() + 1);
    let mut at = 0;
    for i in insns {
        map.push(at);
        at += f(i, 0).map_or(1, |v| v.len());
    }
    map.push(at);
    let mut out = Vec::with_capacity(at);
    for i in insns {
        match f(i, out.len()) {
            Some(v) => out.extend(v),
            None => out.push(match *i {
                Insn::Ja { target, long } => Insn::Ja {
                    target: map[target],
                    long,
                },
                Insn::Jmp {
                    width,
                    cond,
                    dst,
                    src,
                    target,
                } => Insn::Jmp {
                    width,
                    cond,
                    dst,
                    src,
                    target: map[target],
                },
                Insn::MayGoto { target } => Insn::MayGoto {
                    target: map[target],
                },
                Insn::CallLocal { target } => Insn::CallLocal {
                    target: map[target],
                },
                Insn::LdImm64 {
                    dst,
                    value: LdImm64::Func(t),
                } => Insn::LdImm64 {
                    dst,
                    value: LdImm64::Func(map[t]),
                },
                other => other,
            }),
        }
    }
    out
}

/// Adds an explicit `w0 = w0` after every 32-bit cmpxchg (a no-op by the
/// ISA), so the kernel zero-extends whatever its liveness says.
pub(crate) fn zext_after_cmpxchg32(insns: &[Insn]) -> Vec<Insn> {
    rewrite(insns, |i, _| match i {
        Insn::Atomic {
            size: Size::W,
            op: AtomicOp::Cmpxchg,
            ..
        } => Some(vec![*i, alu32(AluOp::Mov, 0, Src::Reg(0))]),
        _ => None,
    })
}

/// Replaces every fetching atomic on the stack with plain loads and stores
/// computing the same (single-threaded) result; two scratch registers are
/// saved at `r10-72` and `r10-80`, below the generator's 64 bytes.
pub(crate) fn unfetch_stack_atomics(insns: &[Insn]) -> Vec<Insn> {
    rewrite(insns, |i, base| {
        let Insn::Atomic {
            size,
            op,
            dst: FP,
            src,
            off,
        } = *i
        else {
            return None;
        };
        let alu_op = match op {
            AtomicOp::Add { fetch: true } => Some(AluOp::Add),
            AtomicOp::Or { fetch: true } => Some(AluOp::Or),
            AtomicOp::And { fetch: true } => Some(AluOp::And),
            AtomicOp::Xor { fetch: true } => Some(AluOp::Xor),
            AtomicOp::Xchg | AtomicOp::Cmpxchg => None,
            _ => return None,
        };
        let mut temps = (1..=9).filter(|&r| r != src);
        let (t1, t2) = (temps.next()?, temps.next()?);
        let load = |dst, off| Insn::Load {
            size,
            signed: false,
            dst,
            src: FP,
            off,
        };
        let store = |src| Insn::Store {
            size,
            dst: FP,
            off,
            src: Src::Reg(src),
        };
        let spill = |r, off| Insn::Store {
            size: Size::DW,
            dst: FP,
            off,
            src: Src::Reg(r),
        };
        let fill = |r, off| Insn::Load {
            size: Size::DW,
            signed: false,
            dst: r,
            src: FP,
            off,
        };
        // t1 = old value (zero-extended, as the fetch result is).
        let mut v = vec![spill(t1, -72), spill(t2, -80), load(t1, off)];
        match (op, alu_op) {
            (_, Some(a)) => v.extend([
                movr(t2, t1),
                alu64(a, t2, Src::Reg(src)),
                store(t2),
                movr(src, t1),
            ]),
            (AtomicOp::Xchg, _) => v.extend([store(src), movr(src, t1)]),
            _ => {
                let width = if size == Size::W {
                    Width::W32
                } else {
                    Width::W64
                };
                let target = base + v.len() + 2;
                v.extend([
                    Insn::Jmp {
                        width,
                        cond: Cond::Ne,
                        dst: t1,
                        src: Src::Reg(0),
                        target,
                    },
                    store(src),
                    movr(0, t1),
                ]);
            }
        }
        v.extend([fill(t1, -72), fill(t2, -80)]);
        Some(v)
    })
}

/// Which known kernel bug explains a difference on `prog`, if any: the
/// first rewrite on which the kernel and the interpreter agree, provided
/// the interpreter's result is the same as on the original.
pub(crate) fn explain(prog: &[Insn], packet: &[u8]) -> Option<KernelBug> {
    let original = interp_run(&Arc::new(Program::new(prog.to_vec()).ok()?), packet).ok()?;
    let variants = [
        (KernelBug::Cmpxchg32Zext, zext_after_cmpxchg32(prog)),
        (
            KernelBug::AtomicFetchPrecision,
            unfetch_stack_atomics(&zext_after_cmpxchg32(prog)),
        ),
    ];
    for (bug, v) in variants {
        let i = interp_run(&Arc::new(Program::new(v.clone()).ok()?), packet).ok()?;
        let k = bpfbox_kernel::run_in_kernel(&v).ok()?;
        if i.r0 == original.r0 && k == i.r0 as u32 {
            return Some(bug);
        }
    }
    None
}

/// Reports the kernel's answer against the ISA's: the interpreter must
/// give the ISA value; the kernel either that or the known wrong one.
fn check_repro(bug: KernelBug, b: &Both, packet: &[u8], isa: u32, wrong: u32) {
    let i = interp_run(&b.interp, packet).expect("interpreter runs");
    assert_eq!(i.r0 as u32, isa, "interpreter, {}", bug.name());
    let k = b.kernel_run(packet);
    assert!(
        k == isa || k == wrong,
        "{}: kernel returned {k:#x}, neither the ISA value {isa:#x} nor the known wrong {wrong:#x}",
        bug.name()
    );
    eprintln!(
        "{}: kernel {k:#x}, ISA and interpreter {isa:#x}: {}",
        bug.name(),
        if k == isa {
            "fixed in this kernel"
        } else {
            "BUG PRESENT in this kernel"
        }
    );
}

/// Bug 1: path A defines `w0` with a plain 32-bit move and reaches the
/// 64-bit read first; path B's cmpxchg result is pruned against it there.
pub(crate) fn cmpxchg32_zero_extends_r0() {
    let mut p = load_operands(&[7]);
    let at = p.len();
    p.extend([
        ld_abs(Size::B, 8),
        movr(9, 0),
        Insn::Store {
            size: Size::DW,
            dst: FP,
            off: -8,
            src: Src::Reg(7),
        },
        Insn::LdImm64 {
            dst: 0,
            value: LdImm64::Imm(0x1b_0000_0000),
        },
        Insn::LdImm64Hi,
        alu64(AluOp::Or, 0, Src::Reg(7)),
        Insn::Jmp {
            width: Width::W64,
            cond: Cond::Eq,
            dst: 9,
            src: Src::Imm(0),
            target: at + 9,
        },
        alu32(AluOp::Mov, 0, Src::Reg(7)),
        Insn::Ja {
            target: at + 10,
            long: false,
        },
        Insn::Atomic {
            size: Size::W,
            op: AtomicOp::Cmpxchg,
            dst: FP,
            src: 0,
            off: -8,
        },
        alu64(AluOp::Rsh, 0, Src::Imm(32)),
        EXIT,
    ]);
    let b = Both::load("cmpxchg32 zext", p);
    let mut pkt = operand_packet(&[0x0102_0304]);
    pkt.push(0);
    // Selector 0 takes the cmpxchg path, whose comparison succeeds.
    check_repro(KernelBug::Cmpxchg32Zext, &b, &pkt, 0, 0x1b);
    pkt[ETH_HLEN + 8] = 1;
    let mut diffs = Diffs::default();
    b.check("cmpxchg32 zext, mov32 path", &pkt, &mut diffs);
    diffs.finish("cmpxchg32_zero_extends_r0 (mov32 path)");
}

/// Bug 2: the fall-through path stores 1 and is verified first; the
/// other path (slot still 0) is pruned at the join, so `if r3 == 0` is
/// wired to "not taken". `BPF_F_TEST_STATE_FREQ` makes the verifier keep
/// a state at the join, as it does on its own in longer programs.
pub(crate) fn atomic_fetch_from_stack_keeps_precision() {
    let p = vec![
        movr(6, 1),
        ld_abs(Size::B, 0),
        Insn::Store {
            size: Size::DW,
            dst: FP,
            off: -8,
            src: Src::Imm(0),
        },
        Insn::Jmp {
            width: Width::W64,
            cond: Cond::Eq,
            dst: 0,
            src: Src::Imm(0),
            target: 5,
        },
        Insn::Store {
            size: Size::DW,
            dst: FP,
            off: -8,
            src: Src::Imm(1),
        },
        mov(3, -1),
        Insn::Atomic {
            size: Size::DW,
            op: AtomicOp::And { fetch: true },
            dst: FP,
            src: 3,
            off: -8,
        },
        Insn::Jmp {
            width: Width::W64,
            cond: Cond::Eq,
            dst: 3,
            src: Src::Imm(0),
            target: 10,
        },
        mov(0, 1),
        EXIT,
        mov(0, 2),
        EXIT,
    ];
    let b = Both::load_with_flags("fetch precision", p, prog_flags::F_TEST_STATE_FREQ);
    let mut pkt = vec![0u8; ETH_HLEN + 1];
    check_repro(KernelBug::AtomicFetchPrecision, &b, &pkt, 2, 1);
    pkt[ETH_HLEN] = 1;
    let mut diffs = Diffs::default();
    b.check("fetch precision, slot 1", &pkt, &mut diffs);
    diffs.finish("atomic_fetch_from_stack_keeps_precision (slot 1)");
}

/// The rewrites used by [`explain`] keep the interpreter's result on
/// random programs, and the kernel agrees with the rewritten programs.
pub(crate) fn rewrites_preserve_semantics() {
    let packet = [0u8; bpfbox_kernel::FUZZ_PACKET_LEN];
    let mut diffs = Diffs::default();
    for seed in 0..300u64 {
        let prog = bpfbox_kernel::fuzzgen::random_program(seed, 60 + seed as usize % 200);
        let orig = interp_run(
            &Arc::new(Program::new(prog.clone()).expect("valid")),
            &packet,
        )
        .expect("runs");
        for v in [zext_after_cmpxchg32(&prog), unfetch_stack_atomics(&prog)] {
            let what = format!("rewrite of seed {seed}");
            let b = Both::load(&what, v);
            let i = interp_run(&b.interp, &packet).expect("runs");
            assert_eq!(i.r0, orig.r0, "{what} changed the interpreter's result");
            b.check(&what, &packet, &mut diffs);
        }
    }
    diffs.finish("rewrites_preserve_semantics");
}

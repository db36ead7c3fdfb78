//! Random verifier-friendly programs for differential testing of an engine
//! against the kernel.
//!
//! Shape of every generated program (all of it passes the 6.18 verifier as
//! a privileged SOCKET_FILTER, which `tests/tests.rs` checks):
//!
//! 1. zero the eight stack slots `r10-64 .. r10-8` with `BPF_ST`;
//! 2. load random 64-bit constants into `r0..r9` with `lddw`;
//! 3. `len` body instructions: ALU/ALU64 (every op, `sdiv`/`smod`,
//!    `movsx`, never an immediate divisor of 0 or an immediate shift of the
//!    width or more), `neg`, `le`/`be`/`bswap`, `lddw`, loads (also
//!    sign-extending) and stores of every size at size-aligned offsets in
//!    that stack area, atomics (add/or/and/xor with and without fetch,
//!    xchg, cmpxchg; 32 and 64 bit) on aligned slots, forward conditional
//!    jumps (all 11 conditions, JMP and JMP32, register and immediate) and
//!    `goto`/`gotol` inside if/else shapes, so every instruction stays
//!    reachable. At most [`MAX_COND_JUMPS`] conditional jumps, spread over
//!    the body, keep the verifier's path exploration far below its
//!    1M-instruction limit even for bodies of thousands of instructions;
//! 4. a fold that mixes every register and every stack slot into `r0`
//!    (`r0 = r0 * 0x01000193 ^ x`, then `r0 ^= r0 >> 32`), so the 32-bit
//!    return value depends on all 64 bits of all state; `exit`.
//!
//! The program never reads its context, so any engine can run it with any
//! input; [`crate::run_in_kernel`] uses a 64-byte zero packet.

use bpfbox_isa::{AluOp, AtomicOp, Cond, Endian, Insn, LdImm64, Reg, Size, Src, Width, FP};

/// A small deterministic PRNG (splitmix64), so generated programs depend
/// only on the seed.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator seeded with `seed`.
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    /// Next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n` > 0; returns 0 for `n` = 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            return 0;
        }
        (self.next_u64() % n as u64) as usize
    }

    /// True with probability `pct`/100.
    pub fn chance(&mut self, pct: usize) -> bool {
        self.below(100) < pct
    }

    fn pick<T: Copy>(&mut self, xs: &[T]) -> T {
        xs[self.below(xs.len())]
    }
}

/// Upper bound on conditional jumps per program. The verifier explores
/// both sides of every branch whose outcome it cannot decide, so the work
/// grows exponentially with the number of such branches; past this many,
/// long programs continue straight-line.
pub const MAX_COND_JUMPS: usize = JUMP_BUDGET;
const JUMP_BUDGET: usize = 40;

/// Bytes of stack the programs use, below `r10`.
pub const STACK_BYTES: i16 = 64;

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

const ALU_OPS: [AluOp; 14] = [
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

const SIZES: [Size; 4] = [Size::B, Size::H, Size::W, Size::DW];

/// Constants chosen to hit the edges of the ALU rules.
const EDGE64: [u64; 18] = [
    0,
    1,
    u64::MAX,
    2,
    7,
    0x7f,
    0x80,
    0xff,
    0x7fff,
    0x8000,
    0xffff,
    0x7fff_ffff,
    0x8000_0000,
    0xffff_ffff,
    0x1_0000_0000,
    i64::MAX as u64,
    i64::MIN as u64,
    0xffff_ffff_8000_0000,
];

const EDGE32: [i32; 18] = [
    0,
    1,
    -1,
    2,
    3,
    7,
    31,
    32,
    63,
    64,
    0x7f,
    0x80,
    0xff,
    0x7fff,
    0x8000,
    0xffff,
    i32::MAX,
    i32::MIN,
];

/// One element of the program before jump targets are known.
enum Item {
    Insn(Insn),
    /// A jump whose target is `label`.
    Jump(Insn, usize),
    Label(usize),
}

struct Gen {
    rng: Rng,
    items: Vec<Item>,
    labels: usize,
    /// Labels to place after `n` more emitted instructions.
    pending: Vec<(usize, usize)>,
    /// Conditional jumps still allowed (see [`MAX_COND_JUMPS`]).
    jumps_left: usize,
    /// Chance of a conditional jump per instruction, in 1/1000: 15%, less
    /// for long programs so the budget spreads over the whole body.
    jump_permille: usize,
}

impl Gen {
    fn value64(&mut self) -> u64 {
        match self.rng.below(4) {
            0 => self.rng.pick(&EDGE64),
            1 => (self.rng.below(129) as i64 - 64) as u64,
            2 => self.rng.next_u64() as u32 as u64,
            _ => self.rng.next_u64(),
        }
    }

    fn imm(&mut self) -> i32 {
        match self.rng.below(3) {
            0 => self.rng.pick(&EDGE32),
            1 => self.rng.below(129) as i32 - 64,
            _ => self.rng.next_u64() as i32,
        }
    }

    fn reg(&mut self) -> Reg {
        self.rng.below(10) as Reg
    }

    fn width(&mut self) -> Width {
        if self.rng.chance(50) {
            Width::W64
        } else {
            Width::W32
        }
    }

    /// A size-aligned offset inside the zeroed stack area.
    fn stack_off(&mut self, size: Size) -> i16 {
        let n = size.bytes() as i16;
        let slots = STACK_BYTES / n;
        -(n * (1 + self.rng.below(slots as usize) as i16))
    }

    fn new_label(&mut self) -> usize {
        self.labels += 1;
        self.labels - 1
    }

    fn place(&mut self, label: usize) {
        self.items.push(Item::Label(label));
    }

    fn emit(&mut self, item: Item) {
        self.items.push(item);
        let mut i = 0;
        while i < self.pending.len() {
            self.pending[i].1 -= 1;
            if self.pending[i].1 == 0 {
                let (l, _) = self.pending.swap_remove(i);
                self.place(l);
            } else {
                i += 1;
            }
        }
    }

    fn insn(&mut self, i: Insn) {
        self.emit(Item::Insn(i));
    }

    fn alu(&mut self) -> Insn {
        let width = self.width();
        let dst = self.reg();
        if self.rng.chance(8) {
            let bits = match width {
                Width::W64 => self.rng.pick(&[8u8, 16, 32]),
                Width::W32 => self.rng.pick(&[8u8, 16]),
            };
            let src = Src::Reg(self.reg());
            return Insn::Alu {
                width,
                op: AluOp::Movsx(bits),
                dst,
                src,
            };
        }
        let op = self.rng.pick(&ALU_OPS);
        let src = if self.rng.chance(50) {
            Src::Reg(self.reg())
        } else {
            let bits = if width == Width::W64 { 64 } else { 32 };
            let mut imm = self.imm();
            match op {
                AluOp::Lsh | AluOp::Rsh | AluOp::Arsh => imm = imm.rem_euclid(bits),
                AluOp::Div | AluOp::Sdiv | AluOp::Mod | AluOp::Smod if imm == 0 => imm = 1,
                _ => {}
            }
            Src::Imm(imm)
        };
        Insn::Alu {
            width,
            op,
            dst,
            src,
        }
    }

    fn cond_jump(&mut self) -> Insn {
        let src = if self.rng.chance(50) {
            Src::Reg(self.reg())
        } else {
            Src::Imm(self.imm())
        };
        Insn::Jmp {
            width: self.width(),
            cond: self.rng.pick(&CONDS),
            dst: self.reg(),
            src,
            target: 0,
        }
    }

    fn simple(&mut self) -> Insn {
        let r = self.rng.below(100);
        match r {
            0..=55 => self.alu(),
            56..=58 => Insn::Neg {
                width: self.width(),
                dst: self.reg(),
            },
            59..=63 => {
                let kind = self.rng.pick(&[Endian::ToLe, Endian::ToBe, Endian::Swap]);
                Insn::End {
                    kind,
                    bits: self.rng.pick(&[16u8, 32, 64]),
                    dst: self.reg(),
                }
            }
            64..=66 => Insn::LdImm64 {
                dst: self.reg(),
                value: LdImm64::Imm(self.value64()),
            },
            67..=76 => {
                let size = self.rng.pick(&SIZES);
                let src = if self.rng.chance(60) {
                    Src::Reg(self.reg())
                } else {
                    Src::Imm(self.imm())
                };
                Insn::Store {
                    size,
                    dst: FP,
                    off: self.stack_off(size),
                    src,
                }
            }
            77..=88 => {
                let size = self.rng.pick(&SIZES);
                let signed = size != Size::DW && self.rng.chance(40);
                Insn::Load {
                    size,
                    signed,
                    dst: self.reg(),
                    src: FP,
                    off: self.stack_off(size),
                }
            }
            _ => {
                let size = self.rng.pick(&[Size::W, Size::DW]);
                let fetch = self.rng.chance(50);
                let op = match self.rng.below(6) {
                    0 => AtomicOp::Add { fetch },
                    1 => AtomicOp::Or { fetch },
                    2 => AtomicOp::And { fetch },
                    3 => AtomicOp::Xor { fetch },
                    4 => AtomicOp::Xchg,
                    _ => AtomicOp::Cmpxchg,
                };
                Insn::Atomic {
                    size,
                    op,
                    dst: FP,
                    src: self.reg(),
                    off: self.stack_off(size),
                }
            }
        }
    }

    /// Emits about `budget` body instructions.
    fn block(&mut self, budget: usize, depth: usize) {
        let mut left = budget;
        while left > 0 {
            let r = if self.jumps_left == 0 {
                1000
            } else {
                self.rng.below(1000)
            };
            if r < self.jump_permille / 3 && left >= 6 && depth < 4 {
                // if (c) goto ELSE; A; goto END; ELSE: B; END:
                let inner = left - 2;
                let a = 1 + self.rng.below(inner / 2);
                let b = 1 + self.rng.below(inner - a);
                let (else_l, end_l) = (self.new_label(), self.new_label());
                self.jumps_left -= 1;
                let j = self.cond_jump();
                self.emit(Item::Jump(j, else_l));
                self.block(a, depth + 1);
                let long = self.rng.chance(30);
                self.emit(Item::Jump(Insn::Ja { target: 0, long }, end_l));
                self.place(else_l);
                self.block(b, depth + 1);
                self.place(end_l);
                left -= a + b + 2;
            } else if r < self.jump_permille {
                // A conditional jump over the next 1..=12 instructions.
                let l = self.new_label();
                self.jumps_left -= 1;
                let j = self.cond_jump();
                self.emit(Item::Jump(j, l));
                self.pending.push((l, 1 + self.rng.below(12)));
                left -= 1;
            } else if self.rng.chance(2) {
                // goto +0 / gotol +0
                let l = self.new_label();
                let long = self.rng.chance(50);
                self.emit(Item::Jump(Insn::Ja { target: 0, long }, l));
                self.place(l);
                left -= 1;
            } else {
                let i = self.simple();
                self.insn(i);
                left -= 1;
            }
        }
    }

    fn prologue(&mut self) {
        for k in 1..=STACK_BYTES / 8 {
            self.insn(Insn::Store {
                size: Size::DW,
                dst: FP,
                off: -8 * k,
                src: Src::Imm(0),
            });
        }
        for r in 0..10 {
            let v = self.value64();
            self.insn(Insn::LdImm64 {
                dst: r,
                value: LdImm64::Imm(v),
            });
        }
    }

    fn epilogue(&mut self) {
        let pending: Vec<usize> = self.pending.drain(..).map(|(l, _)| l).collect();
        for l in pending {
            self.place(l);
        }
        let mix = |g: &mut Gen, r: Reg| {
            g.insn(Insn::Alu {
                width: Width::W64,
                op: AluOp::Mul,
                dst: 0,
                src: Src::Imm(0x0100_0193),
            });
            g.insn(Insn::Alu {
                width: Width::W64,
                op: AluOp::Xor,
                dst: 0,
                src: Src::Reg(r),
            });
        };
        for r in 1..10 {
            mix(self, r);
        }
        for k in 1..=STACK_BYTES / 8 {
            self.insn(Insn::Load {
                size: Size::DW,
                signed: false,
                dst: 1,
                src: FP,
                off: -8 * k,
            });
            mix(self, 1);
        }
        self.insn(Insn::Alu {
            width: Width::W64,
            op: AluOp::Mov,
            dst: 1,
            src: Src::Reg(0),
        });
        self.insn(Insn::Alu {
            width: Width::W64,
            op: AluOp::Rsh,
            dst: 1,
            src: Src::Imm(32),
        });
        self.insn(Insn::Alu {
            width: Width::W64,
            op: AluOp::Xor,
            dst: 0,
            src: Src::Reg(1),
        });
        self.insn(Insn::Exit);
    }

    /// Resolves labels to slot indices and expands `lddw` into its two
    /// slots, giving the one-entry-per-slot form `bpfbox_isa::encode` takes.
    fn finish(self) -> Vec<Insn> {
        let mut at = vec![0usize; self.labels];
        let mut slot = 0;
        for it in &self.items {
            match it {
                Item::Label(l) => at[*l] = slot,
                Item::Insn(i) | Item::Jump(i, _) => slot += i.slots(),
            }
        }
        let mut out = Vec::with_capacity(slot);
        for it in self.items {
            let insn = match it {
                Item::Label(_) => continue,
                Item::Insn(i) => i,
                Item::Jump(mut i, l) => {
                    match &mut i {
                        Insn::Ja { target, .. } | Insn::Jmp { target, .. } => *target = at[l],
                        _ => {}
                    }
                    i
                }
            };
            out.push(insn);
            if insn.slots() == 2 {
                out.push(Insn::LdImm64Hi);
            }
        }
        out
    }
}

/// A random verifier-friendly program of about `len` body instructions
/// (plus a fixed prologue and epilogue), in the one-entry-per-slot form of
/// [`bpfbox_isa::decode()`] (`lddw` followed by [`Insn::LdImm64Hi`], targets
/// are slot indices). The same seed always gives the same program.
pub fn random_program(rng_seed: u64, len: usize) -> Vec<Insn> {
    let mut g = Gen {
        rng: Rng::new(rng_seed),
        items: Vec::new(),
        labels: 0,
        pending: Vec::new(),
        jumps_left: JUMP_BUDGET,
        jump_permille: (JUMP_BUDGET * 1000 / len.max(1)).clamp(10, 150),
    };
    g.prologue();
    g.block(len, 0);
    g.epilogue();
    g.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_encodable() {
        for seed in 0..50 {
            let p = random_program(seed, 100);
            assert_eq!(p, random_program(seed, 100));
            let raw = bpfbox_isa::encode(&p).expect("encodes");
            assert_eq!(bpfbox_isa::decode(&raw).expect("decodes"), p);
            assert_eq!(p.last(), Some(&Insn::Exit));
        }
    }

    #[test]
    fn jumps_go_forward_and_land_on_instructions() {
        for seed in 0..50 {
            let p = random_program(seed, 200);
            for (pc, i) in p.iter().enumerate() {
                if let Some(t) = i.target() {
                    assert!(t > pc && t < p.len(), "seed {seed} pc {pc} -> {t}");
                    assert_ne!(p[t], Insn::LdImm64Hi);
                }
            }
        }
    }

    #[test]
    fn covers_the_instruction_classes() {
        let mut seen = std::collections::HashSet::new();
        for seed in 0..20 {
            for i in random_program(seed, 300) {
                let tag = match i {
                    Insn::Alu {
                        op: AluOp::Movsx(_),
                        ..
                    } => "movsx",
                    Insn::Alu {
                        op: AluOp::Sdiv, ..
                    } => "sdiv",
                    Insn::Alu {
                        op: AluOp::Smod, ..
                    } => "smod",
                    Insn::Alu { .. } => "alu",
                    Insn::Neg { .. } => "neg",
                    Insn::End {
                        kind: Endian::Swap, ..
                    } => "bswap",
                    Insn::End { .. } => "end",
                    Insn::Ja { long: true, .. } => "gotol",
                    Insn::Ja { .. } => "goto",
                    Insn::Jmp {
                        width: Width::W32, ..
                    } => "jmp32",
                    Insn::Jmp { .. } => "jmp",
                    Insn::Load { signed: true, .. } => "ldsx",
                    Insn::Load { .. } => "ldx",
                    Insn::Store {
                        src: Src::Imm(_), ..
                    } => "st",
                    Insn::Store { .. } => "stx",
                    Insn::Atomic {
                        op: AtomicOp::Cmpxchg,
                        ..
                    } => "cmpxchg",
                    Insn::Atomic {
                        op: AtomicOp::Xchg, ..
                    } => "xchg",
                    Insn::Atomic { .. } => "atomic",
                    _ => "other",
                };
                seen.insert(tag);
            }
        }
        for t in [
            "movsx", "sdiv", "smod", "alu", "neg", "bswap", "end", "gotol", "goto", "jmp32", "jmp",
            "ldsx", "ldx", "st", "stx", "cmpxchg", "xchg", "atomic",
        ] {
            assert!(seen.contains(t), "never generated {t}");
        }
    }
}

//! Instruction builders and run helpers shared by the test modules.

#![allow(dead_code)]

use bpfbox_interp::{Config, Helpers, Memory, Program, RegionKind, Trap, Vm};
use bpfbox_isa::{AluOp, AtomicOp, Cond, Insn, LdImm64, Size, Src, Width};
use std::sync::Arc;

pub fn alu64(op: AluOp, dst: u8, src: Src) -> Insn {
    Insn::Alu {
        width: Width::W64,
        op,
        dst,
        src,
    }
}
pub fn alu32(op: AluOp, dst: u8, src: Src) -> Insn {
    Insn::Alu {
        width: Width::W32,
        op,
        dst,
        src,
    }
}
pub fn mov(dst: u8, imm: i32) -> Insn {
    alu64(AluOp::Mov, dst, Src::Imm(imm))
}
pub fn movr(dst: u8, src: u8) -> Insn {
    alu64(AluOp::Mov, dst, Src::Reg(src))
}
pub fn add(dst: u8, imm: i32) -> Insn {
    alu64(AluOp::Add, dst, Src::Imm(imm))
}
pub fn addr(dst: u8, src: u8) -> Insn {
    alu64(AluOp::Add, dst, Src::Reg(src))
}
pub fn lddw(dst: u8, v: u64) -> [Insn; 2] {
    [
        Insn::LdImm64 {
            dst,
            value: LdImm64::Imm(v),
        },
        Insn::LdImm64Hi,
    ]
}
pub fn jmp(cond: Cond, dst: u8, src: Src, target: usize) -> Insn {
    Insn::Jmp {
        width: Width::W64,
        cond,
        dst,
        src,
        target,
    }
}
pub fn ja(target: usize) -> Insn {
    Insn::Ja {
        target,
        long: false,
    }
}
pub fn ldx(size: Size, dst: u8, src: u8, off: i16) -> Insn {
    Insn::Load {
        size,
        signed: false,
        dst,
        src,
        off,
    }
}
pub fn ldsx(size: Size, dst: u8, src: u8, off: i16) -> Insn {
    Insn::Load {
        size,
        signed: true,
        dst,
        src,
        off,
    }
}
pub fn stx(size: Size, dst: u8, off: i16, src: u8) -> Insn {
    Insn::Store {
        size,
        dst,
        off,
        src: Src::Reg(src),
    }
}
pub fn st(size: Size, dst: u8, off: i16, imm: i32) -> Insn {
    Insn::Store {
        size,
        dst,
        off,
        src: Src::Imm(imm),
    }
}
pub fn atomic(size: Size, op: AtomicOp, dst: u8, src: u8, off: i16) -> Insn {
    Insn::Atomic {
        size,
        op,
        dst,
        src,
        off,
    }
}
pub fn call(helper: i32) -> Insn {
    Insn::Call { helper }
}
pub fn local(target: usize) -> Insn {
    Insn::CallLocal { target }
}
pub const EXIT: Insn = Insn::Exit;

pub const SIZES: [Size; 4] = [Size::B, Size::H, Size::W, Size::DW];

pub fn prog(insns: Vec<Insn>) -> Arc<Program> {
    Arc::new(Program::new(insns).expect("valid test program"))
}

/// Runs with r1 = address of `mem` (a writable Mem region), r2 = its length.
pub fn run_mem(insns: Vec<Insn>, mem: &mut [u8]) -> Result<u64, Trap> {
    let helpers = Helpers::<()>::new();
    let len = mem.len() as u64;
    let mut m = Memory::new();
    let (_, a) = m.add(mem, RegionKind::Mem);
    let mut vm = Vm::new(m, (), &helpers, Config::default());
    vm.run(&prog(insns), [a, len, 0, 0, 0])
}

/// Runs without memory; r1..r5 = 0.
pub fn run(insns: Vec<Insn>) -> Result<u64, Trap> {
    run_mem(insns, &mut [])
}

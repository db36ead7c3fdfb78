//! `bpf_prog_test_run_raw_tp` and `bpf_prog_test_run_syscall`
//! (net/bpf/test_run.c, Linux 6.18), and [`max_ctx_offset`], the static
//! bound both check `ctx_size_in` against.
//!
//! RAW_TRACEPOINT: `data_in`, `data_out`, `ctx_out`, `repeat` and
//! `batch_size` must be absent/0, `ctx_size_in` at least the program's
//! highest ctx byte and at most 96 (12 u64 slots); a non-zero `cpu` needs
//! `BPF_F_TEST_RUN_ON_CPU`, and a CPU the host does not have is `ENXIO`.
//! The program runs once on a copy of `ctx_in`; only `retval` comes back.
//!
//! SYSCALL: the same absent fields plus `flags`; `ctx_size_in` between the
//! program's highest ctx byte and 65535. The program may write the ctx, and
//! the kernel copies it back *into the caller's `ctx_in` buffer*; bpfbox
//! reports those bytes as `ctx_out` (with `ctx_size_out` = `ctx_size_in`).
//! `bpf_sys_bpf` and the other loader helpers are out of scope (the
//! program cannot be loaded when it calls them).

use super::{run_with_ctx, LoadedProgram};
use crate::host::HostState;
use crate::skb::errno;
use crate::testrun::{TestRunError, TestRunInput, TestRunOutput};
use bpfbox_isa::{AluOp, Insn, Size, Src, Width};
use std::collections::BTreeMap;

/// `MAX_BPF_FUNC_ARGS * sizeof(u64)`.
pub const RAW_TP_CTX_MAX: usize = 96;
/// `U16_MAX`: the largest SYSCALL ctx.
pub const SYSCALL_CTX_MAX: usize = 65535;
/// `BPF_F_TEST_RUN_ON_CPU`.
pub const F_RUN_ON_CPU: u32 = 1;
use bpfbox_uapi::errno::ENXIO;

/// What a register (or spilled stack slot) holds, as far as the ctx bound
/// is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Val {
    /// The ctx pointer plus a constant.
    Ctx(i64),
    /// Anything else.
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct State {
    regs: [Val; 11],
    stack: BTreeMap<i16, Val>,
}

impl State {
    fn merge(&mut self, o: &State) -> bool {
        let mut changed = false;
        for (a, b) in self.regs.iter_mut().zip(o.regs.iter()) {
            if *a != *b && *a != Val::Other {
                *a = Val::Other;
                changed = true;
            }
        }
        let before = self.stack.len();
        self.stack.retain(|k, v| o.stack.get(k) == Some(v));
        changed || self.stack.len() != before
    }
}

/// The verifier's `prog->aux->max_ctx_offset`: the highest `off + size`
/// of any ctx access, following the ctx pointer through register moves,
/// constant adds and 8-byte stack spills, into sub-programs through
/// their arguments. Unlike the verifier it also counts accesses on paths
/// that can never run (a documented over-approximation).
pub fn max_ctx_offset(insns: &[Insn]) -> u32 {
    let n = insns.len();
    let mut states: Vec<Option<State>> = vec![None; n];
    let mut work = vec![0usize];
    let entry = State {
        regs: {
            let mut r = [Val::Other; 11];
            r[1] = Val::Ctx(0);
            r
        },
        stack: BTreeMap::new(),
    };
    states[0] = Some(entry);
    let mut max: i64 = 0;
    let push = |states: &mut Vec<Option<State>>, work: &mut Vec<usize>, at: usize, s: &State| {
        if at >= n {
            return;
        }
        match &mut states[at] {
            Some(old) => {
                if old.merge(s) {
                    work.push(at);
                }
            }
            slot @ None => {
                *slot = Some(s.clone());
                work.push(at);
            }
        }
    };
    let mut steps = 0usize;
    while let Some(pc) = work.pop() {
        steps += 1;
        if steps > 1_000_000 {
            break;
        }
        let Some(mut s) = states[pc].clone() else {
            continue;
        };
        let mut access = |base: u8, off: i16, size: Size, s: &State| {
            if let Some(Val::Ctx(c)) = s.regs.get(base as usize) {
                max = max.max(c + i64::from(off) + size.bytes() as i64);
            }
        };
        let insn = insns[pc];
        let mut next = Some(pc + insn.slots());
        match insn {
            Insn::Alu {
                width,
                op,
                dst,
                src,
            } => {
                let d = dst as usize;
                let v = match (width, op, src) {
                    (Width::W64, AluOp::Mov, Src::Reg(r)) => s.regs[r as usize],
                    (Width::W64, AluOp::Add, Src::Imm(i)) => match s.regs[d] {
                        Val::Ctx(c) => Val::Ctx(c + i64::from(i)),
                        Val::Other => Val::Other,
                    },
                    (Width::W64, AluOp::Sub, Src::Imm(i)) => match s.regs[d] {
                        Val::Ctx(c) => Val::Ctx(c - i64::from(i)),
                        Val::Other => Val::Other,
                    },
                    _ => Val::Other,
                };
                if d < 11 {
                    s.regs[d] = v;
                }
            }
            Insn::Neg { dst, .. } | Insn::End { dst, .. } | Insn::LdImm64 { dst, .. } => {
                if (dst as usize) < 11 {
                    s.regs[dst as usize] = Val::Other;
                }
            }
            Insn::Load {
                size,
                dst,
                src,
                off,
                ..
            } => {
                access(src, off, size, &s);
                let v = if src == 10 && size == Size::DW {
                    s.stack.get(&off).copied().unwrap_or(Val::Other)
                } else {
                    Val::Other
                };
                if (dst as usize) < 11 {
                    s.regs[dst as usize] = v;
                }
            }
            Insn::Store {
                size,
                dst,
                off,
                src,
            } => {
                access(dst, off, size, &s);
                if dst == 10 {
                    let end = i32::from(off) + size.bytes() as i32;
                    s.stack
                        .retain(|k, _| i32::from(*k) + 8 <= i32::from(off) || i32::from(*k) >= end);
                    if let (Size::DW, Src::Reg(r)) = (size, src) {
                        s.stack.insert(off, s.regs[r as usize]);
                    }
                }
            }
            Insn::Atomic {
                size,
                dst,
                src,
                off,
                ..
            } => {
                access(dst, off, size, &s);
                if (src as usize) < 11 {
                    s.regs[src as usize] = Val::Other;
                }
                s.regs[0] = Val::Other;
            }
            Insn::Call { .. } | Insn::CallKfunc { .. } | Insn::CallX { .. } => {
                for r in &mut s.regs[0..6] {
                    *r = Val::Other;
                }
            }
            Insn::CallLocal { target } => {
                let callee = State {
                    regs: {
                        let mut r = [Val::Other; 11];
                        r[1..6].copy_from_slice(&s.regs[1..6]);
                        r
                    },
                    stack: BTreeMap::new(),
                };
                push(&mut states, &mut work, target, &callee);
                for r in &mut s.regs[0..6] {
                    *r = Val::Other;
                }
            }
            Insn::Ja { target, .. } => next = Some(target),
            Insn::Jmp { target, .. } | Insn::MayGoto { target } => {
                push(&mut states, &mut work, target, &s);
            }
            Insn::Exit => next = None,
            Insn::LdAbs { .. } | Insn::LdInd { .. } => {
                for r in &mut s.regs[0..6] {
                    *r = Val::Other;
                }
            }
            Insn::LdImm64Hi => {}
        }
        if let Some(nx) = next {
            push(&mut states, &mut work, nx, &s);
        }
    }
    max.clamp(0, i64::from(u32::MAX)) as u32
}

fn einval(msg: &str) -> TestRunError {
    TestRunError::new(errno::EINVAL, msg)
}

fn ctx_in(input: &TestRunInput) -> Vec<u8> {
    input.ctx_in.clone().unwrap_or_default()
}

fn output(retval: u64, ctx_out: Option<Vec<u8>>) -> TestRunOutput {
    let ctx_size_out = ctx_out.as_ref().map_or(0, |c| c.len() as u32);
    TestRunOutput {
        retval: retval as u32,
        ctx_out,
        ctx_size_out,
        ..TestRunOutput::default()
    }
}

fn trap(t: bpfbox_interp::Trap) -> TestRunError {
    TestRunError::new(errno::EFAULT, format!("program trapped: {t}"))
}

/// `bpf_prog_test_run_raw_tp`.
pub fn raw_tp_test_run(
    prog: &LoadedProgram,
    host: &mut HostState,
    input: &TestRunInput,
) -> Result<TestRunOutput, TestRunError> {
    if !input.data_in.is_empty()
        || input.data_size_out.is_some()
        || input.ctx_size_out.is_some()
        || input.repeat != 0
        || input.batch_size != 0
    {
        return Err(einval(
            "raw_tracepoint test runs take only ctx_in (no data, ctx_out, repeat, batch_size)",
        ));
    }
    let mut ctx = ctx_in(input);
    if (ctx.len() as u32) < max_ctx_offset(prog.prog.insns()) || ctx.len() > RAW_TP_CTX_MAX {
        return Err(einval(
            "ctx_size_in must cover every argument the program reads and be at most 96",
        ));
    }
    if input.flags & F_RUN_ON_CPU == 0 && input.cpu != 0 {
        return Err(einval("cpu needs BPF_F_TEST_RUN_ON_CPU"));
    }
    let saved_cpu = host.cpu;
    if input.flags & F_RUN_ON_CPU != 0 && input.cpu != host.cpu {
        if input.cpu >= host.nr_cpus.max(1) {
            return Err(TestRunError::new(ENXIO, "no such CPU"));
        }
        host.cpu = input.cpu;
    }
    let r = run_with_ctx(prog, host, &mut ctx, &mut []);
    host.cpu = saved_cpu;
    let r = r.map_err(trap)?;
    Ok(output(r.retval, None))
}

/// `bpf_prog_test_run_syscall`.
pub fn syscall_test_run(
    prog: &LoadedProgram,
    host: &mut HostState,
    input: &TestRunInput,
) -> Result<TestRunOutput, TestRunError> {
    if !input.data_in.is_empty()
        || input.data_size_out.is_some()
        || input.ctx_size_out.is_some()
        || input.repeat != 0
        || input.flags != 0
        || input.batch_size != 0
    {
        return Err(einval(
            "syscall test runs take only ctx_in (no data, ctx_out, repeat, flags, batch_size)",
        ));
    }
    let mut ctx = ctx_in(input);
    if (ctx.len() as u32) < max_ctx_offset(prog.prog.insns()) || ctx.len() > SYSCALL_CTX_MAX {
        return Err(einval(
            "ctx_size_in must cover every ctx byte the program touches and be at most 65535",
        ));
    }
    let r = run_with_ctx(prog, host, &mut ctx, &mut []).map_err(trap)?;
    let back = (!ctx.is_empty()).then_some(ctx);
    Ok(output(r.retval, back))
}

#[cfg(test)]
mod tests {
    use super::*;
    use bpfbox_isa::LdImm64;

    fn ld(size: Size, dst: u8, src: u8, off: i16) -> Insn {
        Insn::Load {
            size,
            signed: false,
            dst,
            src,
            off,
        }
    }
    fn mov(dst: u8, src: u8) -> Insn {
        Insn::Alu {
            width: Width::W64,
            op: AluOp::Mov,
            dst,
            src: Src::Reg(src),
        }
    }
    fn add(dst: u8, imm: i32) -> Insn {
        Insn::Alu {
            width: Width::W64,
            op: AluOp::Add,
            dst,
            src: Src::Imm(imm),
        }
    }

    #[test]
    fn follows_moves_adds_spills_and_branches() {
        // r6 = r1; r0 = *(u32 *)(r6 + 8); exit
        assert_eq!(
            max_ctx_offset(&[mov(6, 1), ld(Size::W, 0, 6, 8), Insn::Exit]),
            12
        );
        // spill r1, clobber, reload, access at +16 (8 bytes)
        let p = [
            Insn::Store {
                size: Size::DW,
                dst: 10,
                off: -8,
                src: Src::Reg(1),
            },
            Insn::LdImm64 {
                dst: 1,
                value: LdImm64::Imm(0),
            },
            Insn::LdImm64Hi,
            ld(Size::DW, 2, 10, -8),
            add(2, 16),
            ld(Size::DW, 0, 2, 0),
            Insn::Exit,
        ];
        assert_eq!(max_ctx_offset(&p), 24);
        // a branch taken only sometimes still counts; r1 after a helper
        // call is not the ctx
        let p = [
            Insn::Jmp {
                width: Width::W64,
                cond: bpfbox_isa::Cond::Eq,
                dst: 2,
                src: Src::Imm(0),
                target: 3,
            },
            ld(Size::DW, 0, 1, 40),
            Insn::Exit,
            Insn::Call { helper: 5 },
            ld(Size::DW, 0, 1, 80),
            Insn::Exit,
        ];
        assert_eq!(max_ctx_offset(&p), 48);
        // a sub-program reading its first argument
        let p = [
            Insn::CallLocal { target: 2 },
            Insn::Exit,
            ld(Size::DW, 0, 1, 88),
            Insn::Exit,
        ];
        assert_eq!(max_ctx_offset(&p), 96);
        assert_eq!(max_ctx_offset(&[Insn::Exit]), 0);
    }
}

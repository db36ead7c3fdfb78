//! `exit`: returning from a called function or callback
//! (`prepare_func_exit`), and at the end of the program the reference
//! leak check (`check_reference_leak`) and the return value range of the
//! program type (`check_return_code`); the combined stack depth of call
//! chains (`check_max_stack_depth`); the kernel-style state text.

use super::state::{Reg, State, Ty};
use super::walk::Step;
use super::{Fail, Walk};
use crate::diag::Code;
use bpfbox_isa::Insn;
use bpfbox_progtype::helpers::id;
use bpfbox_progtype::ret::RangeRule;

impl Walk<'_> {
    pub(super) fn exit(&mut self, st: &mut State, pc: usize) -> Result<Step, Fail> {
        if st.frames.len() > 1 {
            let callee = st.frames.pop().expect("callee frame");
            let r0 = callee.regs[0];
            if callee.callback {
                if r0.ty != Ty::Scalar {
                    return Err(self
                        .fail(pc, Code::RetRange, "R0 not a scalar value".to_string())
                        .reg(0));
                }
                let hid = match self.insns[callee.callsite] {
                    Insn::Call { helper } => helper as u32,
                    _ => 0,
                };
                if hid == id::TIMER_SET_CALLBACK && (r0.s.smin != 0 || r0.s.smax != 0) {
                    return Err(self
                        .fail(
                            pc,
                            Code::RetRange,
                            format!("At async callback return the register R0 has smin={} smax={} should have been in [0, 0]", r0.s.smin, r0.s.smax),
                        )
                        .reg(0)
                        .help("a timer callback returns 0".to_string()));
                }
                let iterates = super::walk::iterating(hid);
                if iterates && (r0.s.smin < 0 || r0.s.smax > 1) {
                    return Err(self
                        .fail(
                            pc,
                            Code::RetRange,
                            format!("At callback return the register R0 has smin={} smax={} should have been in [0, 1]", r0.s.smin, r0.s.smax),
                        )
                        .reg(0)
                        .help("a callback returns 0 (continue) or 1 (stop)".to_string()));
                }
                if iterates {
                    // Back to the call with the caller's registers as
                    // they were: it checks its arguments again, with the
                    // memory this run left, and runs the callback again
                    // or not (`Walk::step`).
                    self.back_to_call = true;
                    st.unroll = st.unroll.saturating_add(1);
                    return Ok(Step::Next(callee.callsite));
                }
                self.clobber(st, callee.callsite);
                *st.reg_mut(0) = Reg::unknown();
            } else {
                if matches!(r0.ty, Ty::Stack(f) if f as usize == st.frames.len()) {
                    return Err(self
                        .fail(
                            pc,
                            Code::InvalidMemAccess,
                            "cannot return stack pointer to the caller".to_string(),
                        )
                        .reg(0));
                }
                for r in 1..=5 {
                    *st.reg_mut(r) = Reg::NOT_INIT;
                    self.set_def(st, r, callee.callsite);
                }
                *st.reg_mut(0) = r0;
                self.set_def(st, 0, pc);
            }
            return Ok(Step::Next(callee.callsite + 1));
        }
        if st.lock.is_some() && st.frames.len() == 1 {
            return Err(self
                .fail(pc, Code::SpinLock, "BPF_EXIT instruction in main prog cannot be used inside bpf_spin_lock-ed region".to_string())
                .help("call bpf_spin_unlock on every path before returning".to_string()));
        }
        if let Some(r) = st.refs.first() {
            let what = if r.ringbuf {
                "ring buffer record"
            } else {
                "socket reference"
            };
            return Err(self
                .fail(pc, Code::RefLeak, format!("Unreleased reference id={} alloc_insn={}", r.id, r.insn))
                .help(format!(
                    "the {what} acquired at insn {} must be released on every path before `exit` ({})",
                    r.insn,
                    if r.ringbuf { "bpf_ringbuf_submit or bpf_ringbuf_discard" } else { "bpf_sk_release" }
                )));
        }
        if Self::in_global(st) {
            let r0 = st.reg(0);
            if r0.ty != Ty::Scalar {
                return Err(self
                    .fail(
                        pc,
                        Code::RetRange,
                        format!(
                            "At subprogram exit the register R0 is not a scalar value ({})",
                            super::exit::describe_reg(r0)
                        ),
                    )
                    .reg(0));
            }
            return Ok(Step::End);
        }
        self.check_return(st, pc)?;
        Ok(Step::End)
    }

    fn check_return(&self, st: &State, pc: usize) -> Result<(), Fail> {
        let Some(spec) = self.spec else { return Ok(()) };
        let Some(rule) = spec.ret.rule(self.attach) else {
            return Ok(());
        };
        let RangeRule::Range { min, max } = rule.range else {
            return Ok(());
        };
        let r0 = st.reg(0);
        if r0.ty != Ty::Scalar {
            return Err(self
                .fail(
                    pc,
                    Code::RetRange,
                    format!(
                        "At program exit the register R0 is not a known value ({})",
                        r0.ty.kernel_name()
                    ),
                )
                .reg(0));
        }
        if let Err(e) = spec.ret.check(self.attach, r0.s.smin, r0.s.smax) {
            let names: Vec<String> = rule
                .values
                .iter()
                .map(|v| format!("{} ({})", v.name, v.value))
                .collect();
            return Err(self.fail(pc, Code::RetRange, e.to_string()).reg(0).help(
                if names.is_empty() {
                    format!("return a value in [{min}, {max}]")
                } else {
                    format!("return one of {}", names.join(", "))
                },
            ));
        }
        Ok(())
    }
}

/// The combined stack of every call chain must fit in 512 bytes; each
/// frame counts its depth rounded up to 16 (the JIT's alignment).
pub(super) fn check_stack_depth(w: &Walk<'_>) -> Result<(), Box<Fail>> {
    let round = |d: u32| d.div_ceil(16) * 16;
    let callees: Vec<Vec<usize>> = w
        .cfg
        .funcs
        .iter()
        .map(|f| {
            (f.start..f.end)
                .filter_map(|pc| match w.insns[pc] {
                    Insn::CallLocal { target } => w.cfg.func_at(target),
                    Insn::LdImm64 {
                        value: bpfbox_isa::LdImm64::Func(t),
                        ..
                    } => w.cfg.func_at(t),
                    _ => None,
                })
                .collect()
        })
        .collect();
    // Depth-first over the call graph (acyclic: `cfg` refused recursion).
    let mut stack = vec![(0usize, round(w.stack_depth[0]), 1usize)];
    while let Some((f, depth, frames)) = stack.pop() {
        if depth > 512 {
            let mut fail = w.fail(
                w.cfg.funcs[f].start,
                Code::StackDepth,
                format!("combined stack size of {frames} calls is {depth}. Too large"),
            );
            fail.help = Some(
                "keep large buffers in a per-CPU array map instead of on the stack".to_string(),
            );
            return Err(Box::new(fail));
        }
        if frames > 8 {
            continue;
        }
        for &g in &callees[f] {
            stack.push((g, depth + round(w.stack_depth[g]), frames + 1));
        }
    }
    Ok(())
}

/// One register as the kernel's log prints it (`R1=pkt(off=14,r=14)`).
pub fn describe_reg(r: &Reg) -> String {
    match r.ty {
        Ty::NotInit => "?".to_string(),
        Ty::Scalar => match r.s.value() {
            Some(v) => format!("{}", v as i64),
            None => {
                let s = &r.s;
                let mut parts = Vec::new();
                if s.smin != i64::MIN {
                    parts.push(format!("smin={}", s.smin));
                }
                if s.smax != i64::MAX {
                    parts.push(format!("smax={}", s.smax));
                }
                if s.umin != 0 {
                    parts.push(format!("umin={}", s.umin));
                }
                if s.umax != u64::MAX {
                    parts.push(format!("umax={}", s.umax));
                }
                if s.var.mask != u64::MAX {
                    parts.push(format!("var_off=(0x{:x}; 0x{:x})", s.var.value, s.var.mask));
                }
                format!("scalar({})", parts.join(","))
            }
        },
        ty => {
            let mut parts = Vec::new();
            if r.off != 0 {
                parts.push(format!("off={}", r.off));
            }
            if ty.is_pkt() {
                parts.push(format!("r={}", r.range));
            }
            if r.id != 0 {
                parts.push(format!("id={}", r.id));
            }
            if r.ref_id != 0 {
                parts.push(format!("ref_obj_id={}", r.ref_id));
            }
            if r.s.value() != Some(0) {
                parts.push(format!(
                    "var_off=(0x{:x}; 0x{:x})",
                    r.s.var.value, r.s.var.mask
                ));
            }
            let null = if r.null { "_or_null" } else { "" };
            format!("{}{null}({})", ty.kernel_name(), parts.join(","))
        }
    }
}

/// The current frame's initialised registers, kernel-log style.
pub fn describe_state(st: &State) -> String {
    let f = st.cur();
    let mut out: Vec<String> = Vec::new();
    for (i, r) in f.regs.iter().enumerate() {
        if r.ty != Ty::NotInit {
            out.push(format!("R{i}={}", describe_reg(r)));
        }
    }
    if st.frames.len() > 1 {
        out.insert(0, format!("frame{}:", st.frames.len() - 1));
    }
    out.join(" ")
}

//! Global functions (`BTF_FUNC_GLOBAL`): a call checks the caller's
//! registers against the callee's BTF signature (`btf_check_func_arg_match`)
//! and continues with an unknown `r0`, as after a helper; each function
//! called is then checked once on its own, after the main program, from a
//! state built from the signature alone (`do_check_subprogs`): numbers are
//! unknown, the context is the context, and memory arguments are sized
//! pointers that may be NULL.

use super::state::{Frame, Reg, State, Ty};
use super::{Fail, Walk};
use crate::diag::Code;
use crate::options::{GlobalArg, GlobalFunc};

impl<'a> Walk<'a> {
    /// The signature of function `func` (CFG index) when it is global.
    pub(super) fn global(&self, func: usize) -> Option<&'a GlobalFunc> {
        let start = self.cfg.funcs.get(func)?.start;
        if func == 0 {
            return None;
        }
        self.opts.globals.iter().find(|g| g.insn == start)
    }

    /// A call of global function `func`: the arguments against the
    /// signature, then `r1`-`r5` clobbered and `r0` an unknown number.
    pub(super) fn call_global(
        &mut self,
        st: &mut State,
        pc: usize,
        func: usize,
        g: &GlobalFunc,
    ) -> Result<usize, Fail> {
        let invalid = format!("Caller passes invalid args into func#{func} ('{}')", g.name);
        let args = match &g.args {
            Ok(a) => a,
            Err(m) => {
                return Err(self
                    .fail(pc, Code::GlobalFuncArg, m.clone())
                    .detail(invalid)
                    .help(format!("give `{}` a parameter type with a size (not `void *`), or make it `static`", g.name)));
            }
        };
        for (i, arg) in args.iter().enumerate() {
            let regno = i as u8 + 1;
            self.global_arg(st, pc, i, regno, *arg)
                .map_err(|f| f.detail(invalid.clone()))?;
        }
        self.globals_called[func] = true;
        self.clobber(st, pc);
        *st.reg_mut(0) = Reg::unknown();
        Ok(pc + 1)
    }

    fn global_arg(
        &mut self,
        st: &mut State,
        pc: usize,
        i: usize,
        regno: u8,
        arg: GlobalArg,
    ) -> Result<(), Fail> {
        let r = *st.reg(regno);
        if r.ty == Ty::NotInit {
            return Err(self
                .fail(pc, Code::UninitReg, format!("R{regno} !read_ok"))
                .reg(regno));
        }
        match arg {
            GlobalArg::Scalar if r.ty != Ty::Scalar => Err(self
                .fail(pc, Code::GlobalFuncArg, format!("R{regno} is not a scalar"))
                .reg(regno)),
            GlobalArg::Scalar => Ok(()),
            GlobalArg::Ctx if r.ty == Ty::Ctx && !r.null && r.off != 0 => Err(self
                .fail(
                    pc,
                    Code::CtxAccess,
                    format!(
                        "dereference of modified ctx ptr R{regno} off={} disallowed",
                        r.off
                    ),
                )
                .reg(regno)),
            GlobalArg::Ctx if r.ty != Ty::Ctx || r.null || r.s.value() != Some(0) => Err(self
                .fail(
                    pc,
                    Code::GlobalFuncArg,
                    format!("arg#{i} expects pointer to ctx"),
                )
                .reg(regno)),
            GlobalArg::Ctx => Ok(()),
            GlobalArg::Mem { size, nullable } => {
                if r.is_zero() {
                    return Ok(());
                }
                let saved = r;
                st.reg_mut(regno).null = false;
                let checked = self
                    .mem_arg(st, pc, regno, size, false, true)
                    .and_then(|_| self.mem_arg(st, pc, regno, size, true, true));
                *st.reg_mut(regno) = saved;
                checked?;
                if r.null && !nullable {
                    return Err(self
                        .fail(
                            pc,
                            Code::GlobalFuncArg,
                            format!("arg#{i} is expected to be non-NULL"),
                        )
                        .reg(regno));
                }
                Ok(())
            }
        }
    }

    /// The state a global function is checked from.
    pub(super) fn global_entry(&mut self, func: usize, g: &GlobalFunc) -> State {
        let mut f = Frame::new(0, usize::MAX, func);
        for (i, arg) in g.args.iter().flatten().enumerate().take(5) {
            f.regs[i + 1] = match *arg {
                GlobalArg::Scalar => Reg::unknown(),
                GlobalArg::Ctx => Reg::ptr(Ty::Ctx),
                GlobalArg::Mem { size, nullable } => Reg {
                    null: nullable,
                    id: if nullable { self.new_id() } else { 0 },
                    ..Reg::ptr(Ty::Mem {
                        size,
                        ringbuf: false,
                    })
                },
            };
        }
        State {
            frames: vec![f],
            refs: Vec::new(),
            lock: None,
            dynptrs: Vec::new(),
            unroll: 0,
        }
    }

    /// Whether the current frame is a global function checked on its own.
    pub(super) fn in_global(st: &State) -> bool {
        st.frames.len() == 1 && st.cur().func != 0
    }
}

#[cfg(test)]
mod tests {
    use crate::{verify, Code, GlobalArg, GlobalFunc, Options, ProgInfo};

    /// A tc program calling the function at slot 3 with `caller` setting
    /// up the arguments; the callee is `callee`.
    fn check(caller: &str, callee: &str, args: Vec<GlobalArg>) -> Result<u64, Code> {
        let asm = |t: &str| {
            let raw = bpfbox_asm::assemble(&t.replace(';', "\n")).expect("assemble");
            bpfbox_isa::decode(&raw).expect("decode")
        };
        let start = asm(caller).len() + 2;
        let insns = asm(&format!("{caller}; call pc+1; exit; {callee}"));
        let globals = [GlobalFunc {
            insn: start,
            name: "f".to_string(),
            args: Ok(args),
        }];
        let mut opts = Options::kernel();
        opts.prog = Some(ProgInfo {
            prog_type: 3,
            expected_attach_type: 0,
        });
        opts.globals = &globals;
        verify(&insns, &opts)
            .map(|v| v.processed)
            .map_err(|d| d[0].code)
    }

    const MEM8: GlobalArg = GlobalArg::Mem {
        size: 8,
        nullable: true,
    };

    #[test]
    fn arguments_are_checked_against_the_signature() {
        let scalar = vec![GlobalArg::Scalar];
        assert!(check("r1 = 5", "r0 = r1; exit", scalar.clone()).is_ok());
        assert_eq!(
            check("r1 = r10", "r0 = 0; exit", scalar),
            Err(Code::GlobalFuncArg)
        );
        assert_eq!(
            check("r1 = 0", "r0 = 0; exit", vec![GlobalArg::Ctx]),
            Err(Code::GlobalFuncArg)
        );
        let stack8 = "r2 = 0; *(u64 *)(r10 - 8) = r2; r1 = r10; r1 += -8";
        assert!(check(stack8, "r0 = 0; exit", vec![MEM8]).is_ok());
        let stack4 = "r1 = r10; r1 += -4";
        assert_eq!(
            check(stack4, "r0 = 0; exit", vec![MEM8]),
            Err(Code::StackAccess)
        );
    }

    #[test]
    fn the_callee_is_checked_from_its_signature_alone() {
        let stack8 = "r2 = 0; *(u64 *)(r10 - 8) = r2; r1 = r10; r1 += -8";
        // May be NULL: a read needs a test first.
        assert_eq!(
            check(stack8, "r0 = *(u32 *)(r1 + 0); exit", vec![MEM8]),
            Err(Code::InvalidMemAccess)
        );
        assert!(check(
            stack8,
            "r0 = 0; if r1 == 0 goto +1; r0 = *(u32 *)(r1 + 4); exit",
            vec![MEM8]
        )
        .is_ok());
        assert_eq!(
            check(
                stack8,
                "r0 = 0; if r1 == 0 goto +1; r0 = *(u32 *)(r1 + 8); exit",
                vec![MEM8]
            ),
            Err(Code::MemAccess)
        );
        // The caller's constant does not reach the callee: r1 is any number.
        assert_eq!(
            check(
                "r1 = 0",
                "r0 = 0; if r1 == 0 goto +1; r0 = r3; exit",
                vec![GlobalArg::Scalar]
            ),
            Err(Code::UninitReg)
        );
        // A global function returns a number.
        assert_eq!(
            check(stack8, "r0 = r1; exit", vec![MEM8]),
            Err(Code::RetRange)
        );
    }
}

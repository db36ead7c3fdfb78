//! Dynamic pointers (`struct bpf_dynptr`, 16 bytes on the stack): made by
//! `bpf_dynptr_from_mem` (over a map value) or `bpf_ringbuf_reserve_dynptr`
//! (a reference, given back by `bpf_ringbuf_submit_dynptr` or
//! `bpf_ringbuf_discard_dynptr`), used by the helpers that take one; a
//! store over a referenced one is refused, over another one forgets it
//! (`process_dynptr_func`, `mark_stack_slots_dynptr`).

use super::state::{RefState, Reg, State, Ty};
use super::{Fail, Walk};
use crate::diag::Code;
use bpfbox_progtype::helpers::id;

impl Walk<'_> {
    /// The stack location `r` points at, when it is a constant offset.
    fn dynptr_slot(r: &Reg) -> Option<(u8, i64)> {
        match r.ty {
            Ty::Stack(f) => Some((f, r.off as i64 + r.s.value()? as i64)),
            _ => None,
        }
    }

    /// The ring buffer dynptr helpers, which bpfbox checks here rather
    /// than from prototypes: `Some(next pc)` when `hid` is one of them.
    pub(super) fn ringbuf_dynptr(
        &mut self,
        st: &mut State,
        pc: usize,
        hid: u32,
    ) -> Result<Option<usize>, Fail> {
        match hid {
            id::RINGBUF_RESERVE_DYNPTR => {
                for r in 1..=4 {
                    if st.reg(r).ty == Ty::NotInit {
                        return Err(self
                            .fail(pc, Code::UninitReg, format!("R{r} !read_ok"))
                            .reg(r));
                    }
                }
                let Some(at) = Self::dynptr_slot(st.reg(4)) else {
                    return Err(self
                        .fail(
                            pc,
                            Code::HelperArg,
                            format!("R4 type={} expected=fp", st.reg(4).ty.kernel_name()),
                        )
                        .reg(4));
                };
                self.mem_arg(st, pc, 4, 16, true, false)?;
                let rid = self.new_id();
                st.refs.push(RefState {
                    id: rid,
                    insn: pc,
                    ringbuf: true,
                });
                st.dynptrs.retain(|d| (d.0, d.1) != at);
                st.dynptrs.push((at.0, at.1, rid));
            }
            id::RINGBUF_SUBMIT_DYNPTR | id::RINGBUF_DISCARD_DYNPTR => {
                let held = Self::dynptr_slot(st.reg(1))
                    .and_then(|at| st.dynptrs.iter().position(|d| (d.0, d.1) == at && d.2 != 0));
                let Some(i) = held else {
                    return Err(self
                        .fail(
                            pc,
                            Code::HelperArg,
                            "Expected an initialized dynptr as arg #0".to_string(),
                        )
                        .reg(1));
                };
                let (_, _, rid) = st.dynptrs.remove(i);
                st.refs.retain(|r| r.id != rid);
            }
            _ => return Ok(None),
        }
        self.clobber(st, pc);
        *st.reg_mut(0) = Reg::unknown();
        Ok(Some(pc + 1))
    }

    /// A `ARG_PTR_TO_DYNPTR` argument of the other dynptr helpers.
    pub(super) fn dynptr_arg(
        &mut self,
        st: &mut State,
        pc: usize,
        hid: u32,
        regno: u8,
    ) -> Result<(), Fail> {
        let r = *st.reg(regno);
        let Some(at) = Self::dynptr_slot(&r) else {
            return Err(self
                .fail(
                    pc,
                    Code::HelperArg,
                    format!("R{regno} type={} expected=fp", r.ty.kernel_name()),
                )
                .reg(regno));
        };
        if hid == id::DYNPTR_FROM_MEM {
            let data = st.reg(1).ty;
            if !matches!(data, Ty::MapValue(_)) {
                return Err(self
                    .fail(
                        pc,
                        Code::HelperArg,
                        format!(
                            "Unsupported reg type {} for bpf_dynptr_from_mem data",
                            data.kernel_name()
                        ),
                    )
                    .reg(1)
                    .help("bpf_dynptr_from_mem takes a map value, not stack memory".to_string()));
            }
            self.mem_arg(st, pc, regno, 16, true, false)?;
            st.dynptrs.retain(|d| (d.0, d.1) != at);
            st.dynptrs.push((at.0, at.1, 0));
            return Ok(());
        }
        if !st.dynptrs.iter().any(|d| (d.0, d.1) == at) {
            return Err(self
                .fail(
                    pc,
                    Code::HelperArg,
                    format!("Expected an initialized dynptr as arg #{}", regno - 1),
                )
                .reg(regno)
                .help(
                    "initialise the dynptr first (bpf_dynptr_from_mem, bpf_ringbuf_reserve_dynptr)"
                        .to_string(),
                ));
        }
        Ok(())
    }

    /// A store to stack bytes `lo..hi` of `frame`: a referenced dynptr
    /// there may not be overwritten; another one is forgotten.
    pub(super) fn dynptr_store(
        &self,
        st: &mut State,
        pc: usize,
        frame: usize,
        lo: i64,
        hi: i64,
    ) -> Result<(), Fail> {
        let hit = |d: &(u8, i64, u32)| d.0 as usize == frame && lo < d.1 + 16 && hi > d.1;
        if st.dynptrs.iter().any(|d| hit(d) && d.2 != 0) {
            return Err(self.fail(
                pc,
                Code::StackAccess,
                "cannot overwrite referenced dynptr".to_string(),
            ));
        }
        st.dynptrs.retain(|d| !hit(d));
        Ok(())
    }
}

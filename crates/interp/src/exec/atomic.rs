//! `BPF_ATOMIC` instructions. The interpreter is single-threaded: each
//! operation is a checked read-modify-write of host memory, not a locked
//! instruction, so memory shared with another thread (a map value used
//! concurrently) is not updated atomically with respect to that thread.

use super::{ix, Regs};
use crate::trap::Trap;
use crate::vm::Vm;
use bpfbox_isa::{sem, AluOp, AtomicOp, Reg, Size, Width};

impl<H> Vm<'_, H> {
    /// Atomic operation on `*(size *)(dst + off)` (for `load_acquire` the
    /// address is `src + off` and the value goes to `dst`).
    #[allow(clippy::too_many_arguments)]
    #[inline(never)]
    pub(super) fn atomic(
        &mut self,
        regs: &mut Regs,
        pc: usize,
        size: Size,
        op: AtomicOp,
        dst: Reg,
        src: Reg,
        off: i16,
    ) -> Result<(), Trap> {
        let n = size.bytes();
        let off = off as i64 as u64;
        if op == AtomicOp::LoadAcquire {
            let addr = regs[ix(src)].wrapping_add(off);
            let v = self
                .mem
                .load(addr, n)
                .ok_or_else(|| Trap::oob(pc, addr, n, false))?;
            regs[ix(dst)] = v;
            return Ok(());
        }
        let addr = regs[ix(dst)].wrapping_add(off);
        let s = regs[ix(src)];
        if op == AtomicOp::StoreRelease {
            return self
                .mem
                .store(addr, n, s)
                .ok_or_else(|| Trap::oob(pc, addr, n, true));
        }
        // Read-modify-write: the location must be writable before anything
        // is read.
        if self.mem.translate(addr, n as u64, true).is_none() {
            return Err(Trap::oob(pc, addr, n, true));
        }
        let old = self
            .mem
            .load(addr, n)
            .ok_or_else(|| Trap::oob(pc, addr, n, false))?;
        let width = if size == Size::DW {
            Width::W64
        } else {
            Width::W32
        };
        let mask = if n == 8 {
            u64::MAX
        } else {
            (1u64 << (8 * n)) - 1
        };
        let alu = |o| sem::alu(width, o, old, s);
        let new = match op {
            AtomicOp::Add { .. } => alu(AluOp::Add),
            AtomicOp::Or { .. } => alu(AluOp::Or),
            AtomicOp::And { .. } => alu(AluOp::And),
            AtomicOp::Xor { .. } => alu(AluOp::Xor),
            AtomicOp::Xchg => s,
            AtomicOp::Cmpxchg if old == regs[0] & mask => s,
            _ => old,
        };
        self.mem
            .store(addr, n, new)
            .ok_or_else(|| Trap::oob(pc, addr, n, true))?;
        match op {
            AtomicOp::Cmpxchg => regs[0] = old,
            AtomicOp::Xchg
            | AtomicOp::Add { fetch: true }
            | AtomicOp::Or { fetch: true }
            | AtomicOp::And { fetch: true }
            | AtomicOp::Xor { fetch: true } => regs[ix(src)] = old,
            _ => {}
        }
        Ok(())
    }
}

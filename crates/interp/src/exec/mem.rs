//! Loads, stores, `lddw` and the legacy packet loads `LD_ABS`/`LD_IND`.

use super::{ix, operand, Regs};
use crate::program::func_addr;
use crate::trap::Trap;
use crate::vm::Vm;
use bpfbox_isa::{sem, Endian, LdImm64, Reg, Size, Src};

/// Sign-extends the low `bytes` bytes of `v`.
#[inline(always)]
fn sign_extend(v: u64, bytes: usize) -> u64 {
    let shift = 64 - 8 * bytes as u32;
    (((v << shift) as i64) >> shift) as u64
}

/// The value `lddw` loads: a constant or a sub-program's address. Pseudo
/// sources naming maps or BTF objects must have been linked by the loader.
#[inline(always)]
pub(super) fn ld_imm64(pc: usize, value: LdImm64) -> Result<u64, Trap> {
    match value {
        LdImm64::Imm(v) => Ok(v),
        LdImm64::Func(slot) => Ok(func_addr(slot)),
        _ => Err(Trap::unlinked(pc)),
    }
}

impl<H> Vm<'_, H> {
    /// `dst = *(size *)(src + off)`.
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    pub(super) fn load(
        &self,
        regs: &mut Regs,
        pc: usize,
        size: Size,
        signed: bool,
        dst: Reg,
        src: Reg,
        off: i16,
    ) -> Result<(), Trap> {
        let addr = regs[ix(src)].wrapping_add(off as i64 as u64);
        let n = size.bytes();
        match self.mem.load(addr, n) {
            Some(v) => {
                regs[ix(dst)] = if signed { sign_extend(v, n) } else { v };
                Ok(())
            }
            None if self.config.probe_mem => {
                regs[ix(dst)] = 0;
                Ok(())
            }
            None => Err(Trap::oob(pc, addr, n, false)),
        }
    }

    /// `*(size *)(dst + off) = src`.
    #[inline(always)]
    pub(super) fn store(
        &mut self,
        regs: &Regs,
        pc: usize,
        size: Size,
        dst: Reg,
        off: i16,
        src: Src,
    ) -> Result<(), Trap> {
        let addr = regs[ix(dst)].wrapping_add(off as i64 as u64);
        let n = size.bytes();
        let v = operand(src, regs);
        match self.mem.store(addr, n, v) {
            Some(()) => Ok(()),
            None => Err(Trap::oob(pc, addr, n, true)),
        }
    }

    /// `r0 = ntoh(*(size *)(data + off))` with the kernel's
    /// `bpf_skb_load_helper_*` rules: `off` is the low 32 bits as a signed
    /// int; `SKF_NET_OFF + k` / `SKF_LL_OFF + k` address the headers set
    /// with [`Vm::set_ld_abs_headers`]; any other negative offset, or one
    /// past the end, returns `false` (the caller ends the function with
    /// `r0 = 0`).
    #[inline(never)]
    pub(super) fn ld_abs(
        &self,
        regs: &mut Regs,
        pc: usize,
        size: Size,
        off: u64,
    ) -> Result<bool, Trap> {
        let off = off as u32 as i32;
        let (data, len) = self.ld_abs;
        let n = size.bytes();
        let addr = if off >= 0 {
            if (off as u64).saturating_add(n as u64) > len {
                return Ok(false);
            }
            data.wrapping_add(off as u64)
        } else {
            // bpf_internal_load_pointer_neg_helper: SKF_NET_OFF + k and
            // SKF_LL_OFF + k address the network and link-layer headers;
            // the load must stay inside [mac header, data end).
            let Some((mac, net)) = self.ld_abs_headers else {
                return Ok(false);
            };
            let (base, k) = if off >= SKF_NET_OFF {
                (net, off - SKF_NET_OFF)
            } else if off >= SKF_LL_OFF {
                (mac, off - SKF_LL_OFF)
            } else {
                return Ok(false);
            };
            let addr = base.wrapping_add(k as u64);
            let end = data.wrapping_add(len);
            if addr < mac || addr.saturating_add(n as u64) > end {
                return Ok(false);
            }
            addr
        };
        let Some(v) = self.mem.load(addr, n) else {
            return Err(Trap::oob(pc, addr, n, false));
        };
        regs[0] = match size {
            Size::B => v,
            s => sem::endian(Endian::ToBe, s.bits() as u8, v),
        };
        Ok(true)
    }
}

/// `SKF_NET_OFF` (include/uapi/linux/filter.h).
const SKF_NET_OFF: i32 = -0x100000;
/// `SKF_LL_OFF`.
const SKF_LL_OFF: i32 = -0x200000;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_extension() {
        assert_eq!(sign_extend(0x80, 1), 0xffff_ffff_ffff_ff80);
        assert_eq!(sign_extend(0x7fff, 2), 0x7fff);
        assert_eq!(sign_extend(0x8000_0000, 4), 0xffff_ffff_8000_0000);
        assert_eq!(sign_extend(5, 8), 5);
    }

    #[test]
    fn lddw_values() {
        assert_eq!(ld_imm64(0, LdImm64::Imm(7)), Ok(7));
        assert_eq!(ld_imm64(0, LdImm64::Func(3)), Ok(func_addr(3)));
        assert_eq!(
            ld_imm64(4, LdImm64::MapFd(3)),
            Err(Trap::Unlinked { pc: 4 })
        );
    }
}

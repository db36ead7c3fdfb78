//! Loads, stores and atomics through typed pointers (`check_mem_access`):
//! the context through the program type's access table, the stack byte by
//! byte with spills, packets against their checked range, map values and
//! other sized memory against their size, sockets and flow keys through
//! their tables.

use super::scalar::Scalar;
use super::state::{Byte, Reg, State, Ty};
use super::{Fail, MemKind, Walk};
use crate::diag::Code;
use bpfbox_isa::Reg as R;
use bpfbox_progtype::ctx::{sock, RegKind};

/// A memory access being checked.
#[derive(Clone, Copy, Debug)]
pub(super) struct Access {
    /// Register holding the pointer.
    pub reg: R,
    /// Instruction offset.
    pub off: i64,
    /// Size in bytes.
    pub size: u32,
    /// A store (or the write half of an atomic).
    pub write: bool,
    /// Register stored (None for immediates and reads).
    pub value: Option<Reg>,
}

/// The largest packet offset the kernel tracks (`MAX_PACKET_OFF`).
const MAX_PACKET_OFF: u64 = 0xffff;

impl Walk<'_> {
    /// Checks an access; for a load returns the loaded register (before
    /// truncation to the access size).
    pub(super) fn mem(&mut self, st: &mut State, pc: usize, a: Access) -> Result<Reg, Fail> {
        let p = *st.reg(a.reg);
        let name = p.ty.kernel_name();
        if p.null {
            return Err(self
                .fail(
                    pc,
                    Code::InvalidMemAccess,
                    format!("R{} invalid mem access '{name}_or_null'", a.reg),
                )
                .reg(a.reg));
        }
        let fixed = a.off + p.off as i64;
        let kind = match p.ty {
            Ty::Stack(frame) => {
                let r = self.stack_access(st, pc, a, &p, frame as usize)?;
                self.note_mem(pc, MemKind::Stack);
                return Ok(r);
            }
            Ty::Ctx => return self.ctx_access(pc, a, &p, fixed),
            Ty::Packet | Ty::PacketMeta => {
                let pa = self.spec.map(|s| s.packet);
                if a.write && !pa.is_some_and(|x| x.write) {
                    return Err(self
                        .fail(pc, Code::PktAccess, "cannot write into packet".to_string())
                        .reg(a.reg));
                }
                if p.s.smin < 0 {
                    return Err(self
                        .fail(
                            pc,
                            Code::PktAccess,
                            format!("R{} min value is negative, either use unsigned index or do a if (index >=0) check.", a.reg),
                        )
                        .reg(a.reg));
                }
                if fixed < 0 || fixed + a.size as i64 > p.range as i64 {
                    return Err(self
                        .fail(
                            pc,
                            Code::PktAccess,
                            format!("R{} offset is outside of the packet", a.reg),
                        )
                        .reg(a.reg)
                        .detail(format!(
                            "invalid access to packet, off={fixed} size={}, R{}(id={},off={},r={})",
                            a.size, a.reg, p.id, p.off, p.range
                        )));
                }
                MemKind::Packet
            }
            Ty::MapValue(m) | Ty::MapKey(m) => {
                let info = self.map(m);
                let is_key = matches!(p.ty, Ty::MapKey(_));
                let limit = if is_key {
                    info.key_size
                } else {
                    info.value_size
                };
                if a.write && (is_key || info.read_only) {
                    return Err(self
                        .fail(
                            pc,
                            Code::MemAccess,
                            format!(
                                "write into map forbidden, value_size={limit} off={fixed} size={}",
                                a.size
                            ),
                        )
                        .reg(a.reg));
                }
                let what = if is_key {
                    "map key, key_size"
                } else {
                    "map value, value_size"
                };
                self.region(pc, a, &p, fixed, limit, what)?;
                if !is_key {
                    let lo = fixed.saturating_add(p.s.smin);
                    let hi = fixed.saturating_add(p.s.smax).saturating_add(a.size as i64);
                    self.special_fields(pc, m, lo, hi, a.reg)?;
                }
                self.note_mem(pc, MemKind::MapValue);
                if !is_key && !a.write {
                    if let Some(v) = self.frozen_read(m, &p, fixed, a.size) {
                        return Ok(Reg::known(v));
                    }
                }
                MemKind::MapValue
            }
            Ty::Mem { size, .. } => {
                self.region(pc, a, &p, fixed, size, "memory, mem_size")?;
                MemKind::Mem
            }
            Ty::FlowKeys | Ty::Socket | Ty::SockCommon => {
                let table = match p.ty {
                    Ty::FlowKeys => self.spec.and_then(|s| s.pointee(RegKind::PtrToFlowKeys)),
                    Ty::Socket => Some(
                        self.spec
                            .and_then(|s| s.pointee(RegKind::PtrToSocket))
                            .unwrap_or(&sock::SOCK_POINTEE),
                    ),
                    _ => Some(
                        self.spec
                            .and_then(|s| s.pointee(RegKind::PtrToSockCommonOrNull))
                            .unwrap_or(&sock::SOCK_COMMON_POINTEE),
                    ),
                };
                if p.s.value() != Some(0) {
                    return Err(self
                        .fail(
                            pc,
                            Code::MemAccess,
                            format!(
                                "R{} invalid {name} access off={fixed} size={}",
                                a.reg, a.size
                            ),
                        )
                        .reg(a.reg));
                }
                if let Some(t) = table {
                    if let Err(e) = t.check(self.attach, fixed, a.size, a.write) {
                        let msg = if p.ty == Ty::FlowKeys {
                            format!("invalid access to flow keys off={fixed} size={}", a.size)
                        } else {
                            format!(
                                "R{} invalid {name} access off={fixed} size={}",
                                a.reg, a.size
                            )
                        };
                        return Err(self
                            .fail(pc, Code::MemAccess, msg)
                            .reg(a.reg)
                            .help(e.kind.reason().to_string()));
                    }
                }
                MemKind::Other
            }
            Ty::BtfId if p.btf != 0 && !a.write && p.s.value() == Some(0) => {
                return self.btf_load(pc, a, &p, fixed);
            }
            Ty::TcpSock | Ty::TpBuffer | Ty::BtfId | Ty::MapPtr(_) if p.s.value() != Some(0) => {
                return Err(self
                    .fail(
                        pc,
                        Code::MemAccess,
                        format!(
                            "R{} invalid variable buffer offset: off={fixed}, var_off={:?}",
                            a.reg, p.s.var
                        ),
                    )
                    .reg(a.reg));
            }
            Ty::TcpSock | Ty::TpBuffer | Ty::BtfId | Ty::MapPtr(_)
                if !a.write || p.ty == Ty::TpBuffer =>
            {
                MemKind::Other
            }
            _ => {
                return Err(self
                    .fail(
                        pc,
                        Code::InvalidMemAccess,
                        format!("R{} invalid mem access '{name}'", a.reg),
                    )
                    .reg(a.reg))
            }
        };
        self.note_mem(pc, kind);
        Ok(Reg::unknown())
    }

    /// A load through a BTF-typed pointer (`btf_struct_access`): a
    /// number, or a pointer to the struct a pointer member points at.
    fn btf_load(&mut self, pc: usize, a: Access, p: &Reg, fixed: i64) -> Result<Reg, Fail> {
        let Some(btf) = self.opts.btf else {
            self.note_mem(pc, MemKind::Other);
            return Ok(Reg::unknown());
        };
        match btf.load(p.btf, fixed, a.size) {
            Ok(loaded) => {
                self.note_mem(pc, MemKind::Other);
                Ok(btf_reg(loaded, a.size))
            }
            Err(msg) => Err(self.fail(pc, Code::MemAccess, msg).reg(a.reg)),
        }
    }

    /// A load of a BTF-typed context slot (`btf_ctx_access`): the traced
    /// function's argument `fixed / 8`.
    fn btf_arg(&mut self, pc: usize, a: Access, fixed: i64) -> Result<Reg, Fail> {
        let Some(btf) = self.opts.btf else {
            return Ok(Reg::unknown());
        };
        let slot = (fixed / 8) as u32;
        match btf.arg(slot) {
            Some(loaded) => Ok(btf_reg(loaded, a.size)),
            None => Err(self
                .fail(
                    pc,
                    Code::CtxAccess,
                    format!(
                        "func '{}' doesn't have {}-th argument",
                        btf.func_name(),
                        slot + 1
                    ),
                )
                .reg(a.reg)),
        }
    }

    /// A read of a frozen read-only map at a constant offset: the number
    /// stored there.
    fn frozen_read(&self, m: u32, p: &Reg, fixed: i64, size: u32) -> Option<u64> {
        let data = (*self.opts.frozen.get(m as usize)?)?;
        let info = self.map(m);
        if !info.read_only || !matches!(size, 1 | 2 | 4 | 8) {
            return None;
        }
        let at = fixed.checked_add(p.s.value()? as i64)?;
        let at = usize::try_from(at).ok()?;
        let bytes = data.get(at..at.checked_add(size as usize)?)?;
        let mut b = [0u8; 8];
        b[..bytes.len()].copy_from_slice(bytes);
        Some(u64::from_le_bytes(b))
    }

    /// `check_mem_region_access`: fixed plus variable offset inside
    /// `0..limit`.
    fn region(
        &self,
        pc: usize,
        a: Access,
        p: &Reg,
        fixed: i64,
        limit: u32,
        what: &str,
    ) -> Result<(), Fail> {
        let s = &p.s;
        let oob = |off: i64| off < 0 || off + a.size as i64 > limit as i64;
        let r = a.reg;
        if s.smin < 0 && (s.smin == i64::MIN || fixed + s.smin < 0) {
            return Err(self
                .fail(
                    pc,
                    Code::MemAccess,
                    format!("R{r} min value is negative, either use unsigned index or do a if (index >=0) check."),
                )
                .reg(r));
        }
        let detail =
            |off: i64| format!("invalid access to {what}={limit} off={off} size={}", a.size);
        if oob(fixed + s.smin) {
            return Err(self
                .fail(pc, Code::MemAccess, detail(fixed + s.smin))
                .reg(r)
                .detail(format!(
                    "R{r} min value is outside of the allowed memory range"
                )));
        }
        if s.umax >= 1 << 29 {
            return Err(self
                .fail(
                    pc,
                    Code::MemAccess,
                    format!(
                        "R{r} unbounded memory access, make sure to bounds check any such access"
                    ),
                )
                .reg(r));
        }
        if oob(fixed + s.umax as i64) {
            return Err(self
                .fail(pc, Code::MemAccess, detail(fixed + s.umax as i64))
                .reg(r)
                .detail(format!(
                    "R{r} max value is outside of the allowed memory range"
                )));
        }
        Ok(())
    }

    fn ctx_access(&mut self, pc: usize, a: Access, p: &Reg, fixed: i64) -> Result<Reg, Fail> {
        if p.off != 0 {
            return Err(self
                .fail(
                    pc,
                    Code::CtxAccess,
                    format!(
                        "dereference of modified ctx ptr R{} off={} disallowed",
                        a.reg, p.off
                    ),
                )
                .reg(a.reg));
        }
        if p.s.value() != Some(0) {
            return Err(self
                .fail(
                    pc,
                    Code::CtxAccess,
                    format!("variable ctx access var_off={:?} disallowed", p.s.var),
                )
                .reg(a.reg));
        }
        let Some(spec) = self.spec else {
            self.note_mem(pc, MemKind::Ctx);
            return Ok(Reg::unknown());
        };
        match spec.check_access(self.attach, fixed, a.size, a.write) {
            Ok(fa) => {
                self.note_mem(pc, MemKind::Ctx);
                let ty = match fa.result {
                    RegKind::PtrToPacket => Ty::Packet,
                    RegKind::PtrToPacketEnd => Ty::PacketEnd,
                    RegKind::PtrToPacketMeta => Ty::PacketMeta,
                    RegKind::PtrToSocket | RegKind::PtrToSocketOrNull => Ty::Socket,
                    RegKind::PtrToSockCommonOrNull => Ty::SockCommon,
                    RegKind::PtrToFlowKeys => Ty::FlowKeys,
                    RegKind::PtrToTpBuffer => Ty::TpBuffer,
                    RegKind::PtrToBtfId => Ty::BtfId,
                    RegKind::FromBtf => return self.btf_arg(pc, a, fixed),
                    RegKind::Scalar => return Ok(Reg::unknown()),
                };
                let mut r = Reg::ptr(ty);
                if matches!(
                    fa.result,
                    RegKind::PtrToSocketOrNull | RegKind::PtrToSockCommonOrNull
                ) {
                    r.null = true;
                    r.id = self.new_id();
                }
                Ok(r)
            }
            Err(e) => Err(self
                .fail(pc, Code::CtxAccess, e.kernel_message())
                .reg(a.reg)
                .help(format!(
                    "{} ({} byte {} at offset {fixed})",
                    e.kind.reason(),
                    a.size,
                    if a.write { "store" } else { "load" }
                ))),
        }
    }

    fn stack_access(
        &mut self,
        st: &mut State,
        pc: usize,
        a: Access,
        p: &Reg,
        frame: usize,
    ) -> Result<Reg, Fail> {
        let r = a.reg;
        let dir = if a.write { "write to" } else { "read from" };
        let base = a.off + p.off as i64;
        // Alignment first, whatever the offset (`check_ptr_alignment`,
        // always strict for the stack): fixed plus variable part.
        let at = p.s.var.add(super::tnum::Tnum::constant(base as u64));
        if a.size > 1 && (at.value | at.mask) & (a.size as u64 - 1) != 0 {
            let var = if p.s.var.mask == 0 {
                format!("{}", p.s.var.value as i64)
            } else {
                format!("(0x{:x}; 0x{:x})", p.s.var.value, p.s.var.mask)
            };
            return Err(self
                .fail(
                    pc,
                    Code::StackAccess,
                    format!(
                        "misaligned stack access off {var}+{}+{} size {}",
                        p.off, a.off, a.size
                    ),
                )
                .reg(r));
        }
        let (lo, hi) = match p.s.value() {
            Some(v) => (base + v as i64, base + v as i64),
            None => {
                if p.s.smax >= 1 << 29 || p.s.smin <= -(1 << 29) {
                    return Err(self
                        .fail(
                            pc,
                            Code::StackAccess,
                            format!("invalid unbounded variable-offset {dir} stack R{r}"),
                        )
                        .reg(r));
                }
                (base + p.s.smin, base + p.s.smax)
            }
        };
        let var = lo != hi || p.s.value().is_none();
        if r != 10 || frame + 1 != st.frames.len() {
            self.note_escape(st, frame, lo);
        }
        if lo < -512 || hi + a.size as i64 > 0 {
            let m = if var {
                format!(
                    "invalid variable-offset {dir} stack R{r} var_off={:?} off={base} size={}",
                    p.s.var, a.size
                )
            } else {
                format!("invalid {dir} stack R{r} off={lo} size={}", a.size)
            };
            return Err(self.fail(pc, Code::StackAccess, m).reg(r));
        }
        if a.write && !st.dynptrs.is_empty() {
            self.dynptr_store(st, pc, frame, lo, hi + a.size as i64)?;
        }
        self.grow_stack(st, frame, -lo);
        let fr = &mut st.frames[frame];
        if var {
            if a.write {
                for o in lo..hi + a.size as i64 {
                    let s = fr.slot_mut(o);
                    s.bytes[o.rem_euclid(8) as usize] = Byte::Misc;
                    if s.bytes.contains(&Byte::Spill) {
                        s.bytes
                            .iter_mut()
                            .filter(|b| **b == Byte::Spill)
                            .for_each(|b| *b = Byte::Misc);
                    }
                }
            }
            return Ok(Reg::unknown());
        }
        let off = lo;
        let start = off.rem_euclid(8) as usize;
        let n = a.size as usize;
        self.note_slot(frame, off, start == 0 && n == 8);
        if a.write {
            let value = a.value;
            if start == 0 && value.is_some_and(|v| v.ty == Ty::Scalar) {
                // `save_register_state`: a scalar spilled at the slot base,
                // with its id so that fills stay linked.
                let mut v = value.unwrap();
                if n == 8 {
                    if let Some(src) = self.store_src {
                        let r = &mut st.frames.last_mut().expect("frame").regs[src as usize];
                        super::alu::link_before_copy(r, || self.new_id());
                        v = *r;
                    } else {
                        super::alu::link_before_copy(&mut v, || self.new_id());
                    }
                }
                if n < 8 && v.s.umax >> (n * 8) != 0 {
                    v.id = 0;
                    v.delta = None;
                }
                let slot = st.frames[frame].slot_mut(off);
                for (i, b) in slot.bytes.iter_mut().enumerate() {
                    if i < n {
                        *b = Byte::Spill;
                    } else if *b == Byte::Spill {
                        *b = Byte::Misc;
                    }
                }
                slot.spill = v;
                return Ok(Reg::NOT_INIT);
            }
            if let Some(v) = value.filter(|v| v.ty.is_ptr()) {
                if n != 8 {
                    return Err(self
                        .fail(
                            pc,
                            Code::StackAccess,
                            "invalid size of register spill".to_string(),
                        )
                        .reg(r));
                }
                let slot = st.frames[frame].slot_mut(off);
                slot.bytes = [Byte::Spill; 8];
                slot.spill = v;
                return Ok(Reg::NOT_INIT);
            }
            let zero = value.is_some_and(|v| v.is_zero());
            let slot = st.frames[frame].slot_mut(off);
            if slot.bytes.contains(&Byte::Spill) {
                slot.bytes
                    .iter_mut()
                    .filter(|b| **b == Byte::Spill)
                    .for_each(|b| *b = Byte::Misc);
            }
            slot.spill = Reg::NOT_INIT;
            slot.bytes[start..start + n].fill(if zero { Byte::Zero } else { Byte::Misc });
            return Ok(Reg::NOT_INIT);
        }
        let fr = &st.frames[frame];
        let slot = fr.slot(off).copied().unwrap_or(super::state::Slot::EMPTY);
        let bytes = &slot.bytes[start..start + n];
        if slot.bytes[0] == Byte::Spill {
            let spill_size = slot.bytes.iter().take_while(|b| **b == Byte::Spill).count();
            if n == 8 && spill_size == 8 {
                return Ok(slot.spill);
            }
            if slot.spill.ty != Ty::Scalar {
                return Err(self
                    .fail(
                        pc,
                        Code::StackAccess,
                        "invalid size of register fill".to_string(),
                    )
                    .reg(r));
            }
            if n <= spill_size && start == 0 {
                let mut v = slot.spill;
                if v.s.umax >> (n * 8) != 0 {
                    v.id = 0;
                    v.delta = None;
                }
                return Ok(v);
            }
            let spills = bytes.iter().filter(|b| **b == Byte::Spill).count();
            if (spills == n && slot.spill.s.value() == Some(0))
                || bytes.iter().all(|b| *b == Byte::Zero)
            {
                return Ok(Reg::known(0));
            }
            return Ok(Reg::unknown());
        }
        if bytes.iter().all(|b| *b == Byte::Zero) {
            return Ok(Reg::known(0));
        }
        Ok(Reg::unknown())
    }

    /// Records the stack depth of the current function (rounded to 8 as
    /// the kernel's `allocated_stack`... and its `stack_depth`).
    pub(super) fn grow_stack(&mut self, st: &State, frame: usize, depth: i64) {
        let f = st.frames[frame].func;
        let d = (depth.max(0) as u32).div_ceil(8) * 8;
        if self.stack_depth[f] < d {
            self.stack_depth[f] = d;
        }
    }
}

/// The value a load of `size` bytes yields from `r` (`coerce_reg_to_size`,
/// sign-extended for `ldsx`).
/// The register a BTF-typed load of `size` bytes gives.
fn btf_reg(loaded: crate::BtfLoaded, size: u32) -> Reg {
    match loaded {
        crate::BtfLoaded::Ptr(t) if size == 8 => Reg {
            btf: t,
            ..Reg::ptr(Ty::BtfId)
        },
        _ => Reg::unknown(),
    }
}

pub(super) fn loaded(r: Reg, size: u32, signed: bool) -> Reg {
    if r.ty != Ty::Scalar || size >= 8 {
        return r;
    }
    let mut s: Scalar = r.s;
    if signed {
        s.sign_extend(size);
    } else {
        s.truncate(size);
    }
    let _ = MAX_PACKET_OFF;
    Reg::scalar(s)
}

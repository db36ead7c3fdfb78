//! Scalar bounds: a tnum plus signed/unsigned 64- and 32-bit ranges, kept
//! consistent the way the kernel's `reg_bounds_sync` does, and the ALU
//! transfer functions of `adjust_scalar_min_max_vals`
//! (kernel/bpf/verifier.c, Linux 6.18): add, sub, mul, and, or, xor,
//! shifts by constants, neg, byte swaps; division and modulo give an
//! unknown value as in 6.18.

use super::tnum::Tnum;
use bpfbox_isa::{AluOp, Endian, Width};

/// What is known about a 64-bit number.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct Scalar {
    /// Known bits.
    pub var: Tnum,
    /// Signed minimum.
    pub smin: i64,
    /// Signed maximum.
    pub smax: i64,
    /// Unsigned minimum.
    pub umin: u64,
    /// Unsigned maximum.
    pub umax: u64,
    /// Signed minimum of the low 32 bits.
    pub s32min: i32,
    /// Signed maximum of the low 32 bits.
    pub s32max: i32,
    /// Unsigned minimum of the low 32 bits.
    pub u32min: u32,
    /// Unsigned maximum of the low 32 bits.
    pub u32max: u32,
}

impl Scalar {
    /// Nothing known.
    pub const UNKNOWN: Scalar = Scalar {
        var: Tnum::UNKNOWN,
        smin: i64::MIN,
        smax: i64::MAX,
        umin: 0,
        umax: u64::MAX,
        s32min: i32::MIN,
        s32max: i32::MAX,
        u32min: 0,
        u32max: u32::MAX,
    };

    /// A known value.
    pub const fn known(v: u64) -> Scalar {
        Scalar {
            var: Tnum::constant(v),
            smin: v as i64,
            smax: v as i64,
            umin: v,
            umax: v,
            s32min: v as u32 as i32,
            s32max: v as u32 as i32,
            u32min: v as u32,
            u32max: v as u32,
        }
    }

    /// The unsigned range `lo..=hi` (then synced).
    pub fn urange(lo: u64, hi: u64) -> Scalar {
        let mut s = Scalar::UNKNOWN;
        s.umin = lo;
        s.umax = hi;
        s.var = Tnum::range(lo, hi);
        s.sync();
        s
    }

    /// The value when it is a constant (`tnum_is_const`).
    pub fn value(&self) -> Option<u64> {
        self.var.is_const().then_some(self.var.value)
    }

    /// Whether the low 32 bits are a constant.
    pub fn subreg_value(&self) -> Option<u32> {
        self.var
            .subreg()
            .is_const()
            .then_some(self.var.value as u32)
    }

    fn unbounded64(&mut self) {
        self.smin = i64::MIN;
        self.smax = i64::MAX;
        self.umin = 0;
        self.umax = u64::MAX;
    }

    fn unbounded32(&mut self) {
        self.s32min = i32::MIN;
        self.s32max = i32::MAX;
        self.u32min = 0;
        self.u32max = u32::MAX;
    }

    fn update32(&mut self) {
        let v = self.var.subreg();
        self.s32min = self
            .s32min
            .max((v.value | (v.mask & 0x8000_0000)) as u32 as i32);
        self.s32max = self
            .s32max
            .min((v.value | (v.mask & 0x7fff_ffff)) as u32 as i32);
        self.u32min = self.u32min.max(v.value as u32);
        self.u32max = self.u32max.min((v.value | v.mask) as u32);
    }

    fn update64(&mut self) {
        let v = self.var;
        self.smin = self.smin.max((v.value | (v.mask & (1 << 63))) as i64);
        self.smax = self
            .smax
            .min((v.value | (v.mask & (i64::MAX as u64))) as i64);
        self.umin = self.umin.max(v.value);
        self.umax = self.umax.min(v.value | v.mask);
    }

    fn deduce32(&mut self) {
        if self.umin >> 32 == self.umax >> 32 {
            self.u32min = self.u32min.max(self.umin as u32);
            self.u32max = self.u32max.min(self.umax as u32);
            if (self.umin as i32) <= (self.umax as i32) {
                self.s32min = self.s32min.max(self.umin as i32);
                self.s32max = self.s32max.min(self.umax as i32);
            }
        }
        if self.smin >> 32 == self.smax >> 32 {
            self.u32min = self.u32min.max(self.smin as u32);
            self.u32max = self.u32max.min(self.smax as u32);
            if (self.smin as i32) <= (self.smax as i32) {
                self.s32min = self.s32min.max(self.smin as i32);
                self.s32max = self.s32max.min(self.smax as i32);
            }
        }
        if (self.u32min as i32) <= (self.u32max as i32) {
            self.s32min = self.s32min.max(self.u32min as i32);
            self.s32max = self.s32max.min(self.u32max as i32);
        }
        if (self.s32min as u32) <= (self.s32max as u32) {
            self.u32min = self.u32min.max(self.s32min as u32);
            self.u32max = self.u32max.min(self.s32max as u32);
        }
    }

    fn deduce64(&mut self) {
        if (self.umin as i64) <= (self.umax as i64) {
            self.smin = self.smin.max(self.umin as i64);
            self.smax = self.smax.min(self.umax as i64);
        }
        if (self.smin as u64) <= (self.smax as u64) {
            self.umin = self.umin.max(self.smin as u64);
            self.umax = self.umax.min(self.smax as u64);
        } else if self.umax < self.smin as u64 {
            self.smin = self.umin as i64;
            self.umax = self.umax.min(self.smax as u64);
        } else if (self.smax as u64) < self.umin {
            self.smax = self.umax as i64;
            self.umin = self.umin.max(self.smin as u64);
        }
    }

    fn deduce_mixed(&mut self) {
        let hi = !0xffff_ffffu64;
        let nu_min = (self.umin & hi) | self.u32min as u64;
        let nu_max = (self.umax & hi) | self.u32max as u64;
        self.umin = self.umin.max(nu_min);
        self.umax = self.umax.min(nu_max);
        let ns_min = ((self.smin as u64 & hi) | self.u32min as u64) as i64;
        let ns_max = ((self.smax as u64 & hi) | self.u32max as u64) as i64;
        self.smin = self.smin.max(ns_min);
        self.smax = self.smax.min(ns_max);
        if self.s32min >= 0 && self.smin >= i32::MIN as i64 && self.smax <= i32::MAX as i64 {
            self.smin = self.s32min as i64;
            self.smax = self.s32max as i64;
            self.umin = self.s32min as u64;
            self.umax = self.s32max as u64;
            self.var = self
                .var
                .intersect(Tnum::range(self.smin as u64, self.smax as u64));
        }
    }

    fn bound_offset(&mut self) {
        let v64 = self.var.intersect(Tnum::range(self.umin, self.umax));
        let v32 = v64
            .subreg()
            .intersect(Tnum::range(self.u32min as u64, self.u32max as u64));
        self.var = v64.clear_subreg().or(v32);
    }

    /// Makes the ranges and the tnum agree (`reg_bounds_sync`).
    pub fn sync(&mut self) {
        self.update32();
        self.update64();
        for _ in 0..3 {
            self.deduce32();
            self.deduce64();
            self.deduce_mixed();
        }
        self.bound_offset();
        self.update32();
        self.update64();
    }

    /// Whether the ranges are empty (a contradiction: the path cannot run).
    pub fn is_empty(&self) -> bool {
        self.smin > self.smax
            || self.umin > self.umax
            || self.s32min > self.s32max
            || self.u32min > self.u32max
    }

    /// The low 32 bits, zero-extended (`zext_32_to_64`).
    pub fn zext32(&mut self) {
        self.var = self.var.subreg();
        self.umin = self.u32min as u64;
        self.umax = self.u32max as u64;
        if self.s32min >= 0 && self.s32max >= 0 {
            self.smin = self.s32min as i64;
            self.smax = self.s32max as i64;
        } else {
            self.smin = 0;
            self.smax = u32::MAX as i64;
        }
    }

    /// Truncated to `bytes` bytes, zero-extended (`coerce_reg_to_size`).
    pub fn truncate(&mut self, bytes: u32) {
        if bytes >= 8 {
            return;
        }
        self.var = self.var.cast(bytes);
        let mask = (1u64 << (bytes * 8)) - 1;
        if self.umin & !mask == self.umax & !mask {
            self.umin &= mask;
            self.umax &= mask;
        } else {
            self.umin = 0;
            self.umax = mask;
        }
        self.smin = self.umin as i64;
        self.smax = self.umax as i64;
        if bytes >= 4 {
            self.u32min = self.umin as u32;
            self.u32max = self.umax as u32;
            self.s32min = i32::MIN;
            self.s32max = i32::MAX;
        } else {
            self.unbounded32();
        }
        self.sync();
    }

    /// Sign-extension of the low `bytes` bytes to 64 bits (`movsx`, `ldsx`).
    pub fn sign_extend(&mut self, bytes: u32) {
        if let Some(v) = self.value() {
            let sh = 64 - bytes * 8;
            *self = Scalar::known((((v << sh) as i64) >> sh) as u64);
            return;
        }
        let bits = bytes * 8;
        let (lo, hi) = (-(1i64 << (bits - 1)), (1i64 << (bits - 1)) - 1);
        // Values that already fit keep their range; anything else is the
        // whole signed range of the width.
        let fits = self.umax <= hi as u64;
        *self = Scalar::UNKNOWN;
        if fits {
            self.smin = 0;
        } else {
            self.smin = lo;
        }
        self.smax = hi;
        self.sync();
    }

    /// Sign-extension of the low `bytes` bytes to 32 bits, zero-extended to
    /// 64 (`movsx` with 32-bit width).
    pub fn sign_extend32(&mut self, bytes: u32) {
        self.sign_extend(bytes);
        self.truncate(4);
    }
}

fn bswap(t: Tnum, bits: u8) -> Tnum {
    let f = |x: u64| match bits {
        16 => (x as u16).swap_bytes() as u64,
        32 => (x as u32).swap_bytes() as u64,
        _ => x.swap_bytes(),
    };
    Tnum {
        value: f(t.value),
        mask: f(t.mask),
    }
}

/// `BPF_END`: byte swap / truncation on a little-endian host.
pub fn endian(dst: &mut Scalar, kind: Endian, bits: u8) {
    let swap = matches!(kind, Endian::Swap | Endian::ToBe);
    if swap {
        dst.var = bswap(dst.var, bits);
        dst.unbounded64();
        dst.unbounded32();
    }
    if bits == 16 || bits == 32 {
        let var = dst.var.cast(bits as u32 / 8);
        if swap {
            dst.var = var;
        }
        dst.truncate(bits as u32 / 8);
        dst.var = dst.var.intersect(var);
    }
    dst.sync();
}

fn add32(d: &mut Scalar, s: &Scalar) {
    match (
        d.s32min.checked_add(s.s32min),
        d.s32max.checked_add(s.s32max),
    ) {
        (Some(a), Some(b)) => (d.s32min, d.s32max) = (a, b),
        _ => (d.s32min, d.s32max) = (i32::MIN, i32::MAX),
    }
    match (
        d.u32min.checked_add(s.u32min),
        d.u32max.checked_add(s.u32max),
    ) {
        (Some(a), Some(b)) => (d.u32min, d.u32max) = (a, b),
        _ => (d.u32min, d.u32max) = (0, u32::MAX),
    }
}

fn add64(d: &mut Scalar, s: &Scalar) {
    match (d.smin.checked_add(s.smin), d.smax.checked_add(s.smax)) {
        (Some(a), Some(b)) => (d.smin, d.smax) = (a, b),
        _ => (d.smin, d.smax) = (i64::MIN, i64::MAX),
    }
    match (d.umin.checked_add(s.umin), d.umax.checked_add(s.umax)) {
        (Some(a), Some(b)) => (d.umin, d.umax) = (a, b),
        _ => (d.umin, d.umax) = (0, u64::MAX),
    }
}

fn sub32(d: &mut Scalar, s: &Scalar) {
    match (
        d.s32min.checked_sub(s.s32max),
        d.s32max.checked_sub(s.s32min),
    ) {
        (Some(a), Some(b)) => (d.s32min, d.s32max) = (a, b),
        _ => (d.s32min, d.s32max) = (i32::MIN, i32::MAX),
    }
    if d.u32min < s.u32max {
        (d.u32min, d.u32max) = (0, u32::MAX);
    } else {
        d.u32min -= s.u32max;
        d.u32max -= s.u32min;
    }
}

fn sub64(d: &mut Scalar, s: &Scalar) {
    match (d.smin.checked_sub(s.smax), d.smax.checked_sub(s.smin)) {
        (Some(a), Some(b)) => (d.smin, d.smax) = (a, b),
        _ => (d.smin, d.smax) = (i64::MIN, i64::MAX),
    }
    if d.umin < s.umax {
        (d.umin, d.umax) = (0, u64::MAX);
    } else {
        d.umin -= s.umax;
        d.umax -= s.umin;
    }
}

fn mul32(d: &mut Scalar, s: &Scalar) {
    match (
        d.u32min.checked_mul(s.u32min),
        d.u32max.checked_mul(s.u32max),
    ) {
        (Some(a), Some(b)) => (d.u32min, d.u32max) = (a, b),
        _ => (d.u32min, d.u32max) = (0, u32::MAX),
    }
    let p = [
        d.s32min.checked_mul(s.s32min),
        d.s32min.checked_mul(s.s32max),
        d.s32max.checked_mul(s.s32min),
        d.s32max.checked_mul(s.s32max),
    ];
    if p.iter().all(Option::is_some) {
        let v = p.map(Option::unwrap);
        d.s32min = *v.iter().min().unwrap();
        d.s32max = *v.iter().max().unwrap();
    } else {
        (d.s32min, d.s32max) = (i32::MIN, i32::MAX);
    }
}

fn mul64(d: &mut Scalar, s: &Scalar) {
    match (d.umin.checked_mul(s.umin), d.umax.checked_mul(s.umax)) {
        (Some(a), Some(b)) => (d.umin, d.umax) = (a, b),
        _ => (d.umin, d.umax) = (0, u64::MAX),
    }
    let p = [
        d.smin.checked_mul(s.smin),
        d.smin.checked_mul(s.smax),
        d.smax.checked_mul(s.smin),
        d.smax.checked_mul(s.smax),
    ];
    if p.iter().all(Option::is_some) {
        let v = p.map(Option::unwrap);
        d.smin = *v.iter().min().unwrap();
        d.smax = *v.iter().max().unwrap();
    } else {
        (d.smin, d.smax) = (i64::MIN, i64::MAX);
    }
}

/// Signed bounds from unsigned ones when they do not cross the sign bit.
fn signed_from_unsigned(d: &mut Scalar) {
    if (d.umin as i64) <= (d.umax as i64) {
        (d.smin, d.smax) = (d.umin as i64, d.umax as i64);
    } else {
        (d.smin, d.smax) = (i64::MIN, i64::MAX);
    }
    if (d.u32min as i32) <= (d.u32max as i32) {
        (d.s32min, d.s32max) = (d.u32min as i32, d.u32max as i32);
    } else {
        (d.s32min, d.s32max) = (i32::MIN, i32::MAX);
    }
}

/// Whether the kernel computes a range for `op` with this source
/// (`is_safe_to_compute_dst_reg_range`).
fn safe_to_compute(width: Width, op: AluOp, src: &Scalar) -> bool {
    let (konst, amount, bits) = match width {
        Width::W64 => (src.value().is_some(), src.umax, 64),
        Width::W32 => (src.subreg_value().is_some(), src.umax, 32),
    };
    match op {
        AluOp::Add | AluOp::Sub | AluOp::And | AluOp::Or | AluOp::Xor | AluOp::Mul => true,
        AluOp::Lsh | AluOp::Rsh | AluOp::Arsh => konst && amount < bits,
        _ => false,
    }
}

/// `dst op= src` on scalars (not `mov`).
pub fn alu(width: Width, op: AluOp, dst: &mut Scalar, src: &Scalar) {
    if !safe_to_compute(width, op, src) {
        *dst = Scalar::UNKNOWN;
        return;
    }
    let alu32 = width == Width::W32;
    let s = *src;
    let amount = s.umin as u32;
    match op {
        AluOp::Add => {
            add32(dst, &s);
            add64(dst, &s);
            dst.var = dst.var.add(s.var);
        }
        AluOp::Sub => {
            sub32(dst, &s);
            sub64(dst, &s);
            dst.var = dst.var.sub(s.var);
        }
        AluOp::Mul => {
            dst.var = dst.var.mul(s.var);
            mul32(dst, &s);
            mul64(dst, &s);
        }
        AluOp::And | AluOp::Or | AluOp::Xor => {
            let both = dst.var.is_const() && s.var.is_const();
            let both32 = dst.var.subreg().is_const() && s.var.subreg().is_const();
            dst.var = match op {
                AluOp::And => dst.var.and(s.var),
                AluOp::Or => dst.var.or(s.var),
                _ => dst.var.xor(s.var),
            };
            let v = dst.var;
            let v32 = v.subreg();
            match op {
                AluOp::And => {
                    dst.umin = v.value;
                    dst.umax = dst.umax.min(s.umax);
                    dst.u32min = v32.value as u32;
                    dst.u32max = dst.u32max.min(s.u32max);
                }
                AluOp::Or => {
                    dst.umin = dst.umin.max(s.umin);
                    dst.umax = v.value | v.mask;
                    dst.u32min = dst.u32min.max(s.u32min);
                    dst.u32max = (v32.value | v32.mask) as u32;
                }
                _ => {
                    dst.umin = v.value;
                    dst.umax = v.value | v.mask;
                    dst.u32min = v32.value as u32;
                    dst.u32max = (v32.value | v32.mask) as u32;
                }
            }
            signed_from_unsigned(dst);
            if both || (alu32 && both32) {
                let k = if alu32 {
                    v.value as u32 as u64
                } else {
                    v.value
                };
                *dst = Scalar::known(k);
                if alu32 {
                    return;
                }
            }
            dst.update32();
            dst.update64();
        }
        AluOp::Lsh if alu32 => {
            dst.s32min = i32::MIN;
            dst.s32max = i32::MAX;
            if dst.u32max as u64 > 1u64 << (31 - amount) {
                (dst.u32min, dst.u32max) = (0, u32::MAX);
            } else {
                dst.u32min <<= amount;
                dst.u32max <<= amount;
            }
            dst.var = dst.var.subreg().lshift(amount).subreg();
            dst.unbounded64();
            dst.update32();
        }
        AluOp::Lsh => {
            dst.smax = if amount == 32 && dst.s32max >= 0 {
                (dst.s32max as i64) << 32
            } else {
                i64::MAX
            };
            dst.smin = if amount == 32 && dst.s32min >= 0 {
                (dst.s32min as i64) << 32
            } else {
                i64::MIN
            };
            if dst.umax > 1u64 << (63 - amount) {
                (dst.umin, dst.umax) = (0, u64::MAX);
            } else {
                dst.umin <<= amount;
                dst.umax <<= amount;
            }
            dst.s32min = i32::MIN;
            dst.s32max = i32::MAX;
            if amount > 31 || dst.u32max as u64 > 1u64 << (31 - amount) {
                (dst.u32min, dst.u32max) = (0, u32::MAX);
            } else {
                dst.u32min <<= amount;
                dst.u32max <<= amount;
            }
            dst.var = dst.var.lshift(amount);
            dst.update32();
            dst.update64();
        }
        AluOp::Rsh if alu32 => {
            dst.s32min = i32::MIN;
            dst.s32max = i32::MAX;
            dst.var = dst.var.subreg().rshift(amount);
            dst.u32min >>= amount;
            dst.u32max >>= amount;
            dst.unbounded64();
            dst.update32();
        }
        AluOp::Rsh => {
            dst.smin = i64::MIN;
            dst.smax = i64::MAX;
            dst.var = dst.var.rshift(amount);
            dst.umin >>= amount;
            dst.umax >>= amount;
            dst.unbounded32();
            dst.update32();
            dst.update64();
        }
        AluOp::Arsh if alu32 => {
            dst.s32min >>= amount;
            dst.s32max >>= amount;
            dst.var = dst.var.subreg().arshift(amount, 32);
            dst.u32min = 0;
            dst.u32max = u32::MAX;
            dst.unbounded64();
            dst.update32();
        }
        AluOp::Arsh => {
            dst.smin >>= amount;
            dst.smax >>= amount;
            dst.var = dst.var.arshift(amount, 64);
            dst.umin = 0;
            dst.umax = u64::MAX;
            dst.unbounded32();
            dst.update32();
            dst.update64();
        }
        _ => *dst = Scalar::UNKNOWN,
    }
    if alu32 {
        dst.zext32();
    }
    dst.sync();
}

/// `dst = -dst` (computed as `0 - dst`).
pub fn neg(width: Width, dst: &mut Scalar) {
    let v = *dst;
    *dst = Scalar::known(0);
    alu(width, AluOp::Sub, dst, &v);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_sound(width: Width, op: AluOp, a: Scalar, x: u64, b: Scalar, y: u64) {
        let mut d = a;
        alu(width, op, &mut d, &b);
        let r = bpfbox_isa::sem::alu(width, op, x, y);
        assert!(d.var.has(r), "{op:?} {x} {y} -> {r:#x} not in {:?}", d);
        assert!(d.umin <= r && r <= d.umax, "{op:?} {x} {y} -> {r} {d:?}");
        assert!(d.smin <= r as i64 && r as i64 <= d.smax, "{op:?} {d:?}");
        assert!(d.u32min <= r as u32 && r as u32 <= d.u32max, "{op:?} {d:?}");
        assert!(d.s32min <= r as i32 && r as i32 <= d.s32max, "{op:?} {d:?}");
    }

    #[test]
    fn alu_is_sound_on_samples() {
        let ranges = [
            (0u64, 10u64),
            (5, 5),
            (0x7fff_fff0, 0x8000_0010),
            (u64::MAX - 3, u64::MAX),
        ];
        let ops = [
            AluOp::Add,
            AluOp::Sub,
            AluOp::Mul,
            AluOp::And,
            AluOp::Or,
            AluOp::Xor,
            AluOp::Lsh,
            AluOp::Rsh,
            AluOp::Arsh,
            AluOp::Div,
        ];
        for &(alo, ahi) in &ranges {
            for &(blo, bhi) in &ranges {
                let (a, b) = (Scalar::urange(alo, ahi), Scalar::urange(blo, bhi));
                for w in [Width::W64, Width::W32] {
                    for op in ops {
                        for x in [alo, ahi, alo + (ahi - alo) / 2] {
                            for y in [blo, bhi] {
                                if matches!(op, AluOp::Lsh | AluOp::Rsh | AluOp::Arsh) && y > 31 {
                                    continue;
                                }
                                check_sound(w, op, a, x, b, y);
                            }
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn constants_stay_constant() {
        let mut a = Scalar::known(6);
        alu(Width::W64, AluOp::Mul, &mut a, &Scalar::known(7));
        assert_eq!(a.value(), Some(42));
        let mut b = Scalar::known(1);
        endian(&mut b, Endian::ToBe, 16);
        assert_eq!(b.value(), Some(256));
        let mut c = Scalar::known(u64::MAX);
        alu(Width::W32, AluOp::Add, &mut c, &Scalar::known(2));
        assert_eq!(c.value(), Some(1));
        let mut n = Scalar::known(5);
        neg(Width::W64, &mut n);
        assert_eq!(n.value(), Some(-5i64 as u64));
    }

    #[test]
    fn and_bounds_a_value() {
        let mut a = Scalar::UNKNOWN;
        alu(Width::W64, AluOp::And, &mut a, &Scalar::known(0xff));
        assert_eq!((a.umin, a.umax, a.smin, a.smax), (0, 255, 0, 255));
        let mut s = Scalar::UNKNOWN;
        s.sign_extend(1);
        assert_eq!((s.smin, s.smax), (-128, 127));
    }
}

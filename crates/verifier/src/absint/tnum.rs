//! Tristate numbers (the kernel's `struct tnum`, kernel/bpf/tnum.c): a
//! 64-bit value of which the bits set in `mask` are unknown and the others
//! equal the bits of `value`. Every operation is an over-approximation of
//! the concrete operation on all members.

use std::fmt;

/// A tristate number; `value & mask == 0` always holds.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Tnum {
    /// Known bits.
    pub value: u64,
    /// Unknown bits.
    pub mask: u64,
}

impl fmt::Debug for Tnum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "(0x{:x}; 0x{:x})", self.value, self.mask)
    }
}

impl Tnum {
    /// Every bit unknown.
    pub const UNKNOWN: Tnum = Tnum {
        value: 0,
        mask: u64::MAX,
    };

    /// A known constant.
    pub const fn constant(v: u64) -> Tnum {
        Tnum { value: v, mask: 0 }
    }

    /// The smallest tnum holding every value of `min..=max` (unsigned).
    pub fn range(min: u64, max: u64) -> Tnum {
        let chi = min ^ max;
        let bits = 64 - chi.leading_zeros();
        if bits > 63 {
            return Tnum::UNKNOWN;
        }
        let delta = (1u64 << bits) - 1;
        Tnum {
            value: min & !delta,
            mask: delta,
        }
    }

    /// Whether all bits are known.
    pub const fn is_const(self) -> bool {
        self.mask == 0
    }

    /// Shift left.
    pub fn lshift(self, s: u32) -> Tnum {
        Tnum {
            value: self.value.wrapping_shl(s),
            mask: self.mask.wrapping_shl(s),
        }
    }

    /// Logical shift right.
    pub fn rshift(self, s: u32) -> Tnum {
        Tnum {
            value: self.value.wrapping_shr(s),
            mask: self.mask.wrapping_shr(s),
        }
    }

    /// Arithmetic shift right of the low `bits` (32 or 64) bits.
    pub fn arshift(self, s: u32, bits: u32) -> Tnum {
        if bits == 32 {
            Tnum {
                value: ((self.value as u32 as i32) >> s) as u32 as u64,
                mask: ((self.mask as u32 as i32) >> s) as u32 as u64,
            }
        } else {
            Tnum {
                value: ((self.value as i64) >> s) as u64,
                mask: ((self.mask as i64) >> s) as u64,
            }
        }
    }

    /// Addition.
    pub fn add(self, b: Tnum) -> Tnum {
        let sm = self.mask.wrapping_add(b.mask);
        let sv = self.value.wrapping_add(b.value);
        let sigma = sm.wrapping_add(sv);
        let chi = sigma ^ sv;
        let mu = chi | self.mask | b.mask;
        Tnum {
            value: sv & !mu,
            mask: mu,
        }
    }

    /// Subtraction.
    pub fn sub(self, b: Tnum) -> Tnum {
        let dv = self.value.wrapping_sub(b.value);
        let alpha = dv.wrapping_add(self.mask);
        let beta = dv.wrapping_sub(b.mask);
        let chi = alpha ^ beta;
        let mu = chi | self.mask | b.mask;
        Tnum {
            value: dv & !mu,
            mask: mu,
        }
    }

    /// Bitwise and.
    pub fn and(self, b: Tnum) -> Tnum {
        let alpha = self.value | self.mask;
        let beta = b.value | b.mask;
        let v = self.value & b.value;
        Tnum {
            value: v,
            mask: alpha & beta & !v,
        }
    }

    /// Bitwise or.
    pub fn or(self, b: Tnum) -> Tnum {
        let v = self.value | b.value;
        let mu = self.mask | b.mask;
        Tnum {
            value: v,
            mask: mu & !v,
        }
    }

    /// Bitwise xor.
    pub fn xor(self, b: Tnum) -> Tnum {
        let v = self.value ^ b.value;
        let mu = self.mask | b.mask;
        Tnum {
            value: v & !mu,
            mask: mu,
        }
    }

    /// Multiplication (shift-and-add over the bits of `self`).
    pub fn mul(self, b: Tnum) -> Tnum {
        let acc_v = self.value.wrapping_mul(b.value);
        let mut acc_m = Tnum::constant(0);
        let (mut a, mut b) = (self, b);
        while a.value != 0 || a.mask != 0 {
            if a.value & 1 != 0 {
                acc_m = acc_m.add(Tnum {
                    value: 0,
                    mask: b.mask,
                });
            } else if a.mask & 1 != 0 {
                acc_m = acc_m.add(Tnum {
                    value: 0,
                    mask: b.value | b.mask,
                });
            }
            a = a.rshift(1);
            b = b.lshift(1);
        }
        Tnum::constant(acc_v).add(acc_m)
    }

    /// Members of both (`tnum_intersect`).
    pub fn intersect(self, b: Tnum) -> Tnum {
        let v = self.value | b.value;
        let mu = self.mask & b.mask;
        Tnum {
            value: v & !mu,
            mask: mu,
        }
    }

    /// The low `bytes` bytes (zero-extended).
    pub fn cast(self, bytes: u32) -> Tnum {
        if bytes >= 8 {
            return self;
        }
        let keep = (1u64 << (bytes * 8)) - 1;
        Tnum {
            value: self.value & keep,
            mask: self.mask & keep,
        }
    }

    /// The low 32 bits.
    pub fn subreg(self) -> Tnum {
        self.cast(4)
    }

    /// The high 32 bits only (low ones known zero).
    pub fn clear_subreg(self) -> Tnum {
        self.rshift(32).lshift(32)
    }

    /// The high 32 bits of `self` with the low 32 bits set to `v`.
    pub fn with_subreg(self, v: Tnum) -> Tnum {
        self.clear_subreg().or(v.subreg())
    }

    /// Whether every member of `b` is a member of `self` (`tnum_in`).
    pub fn contains(self, b: Tnum) -> bool {
        if b.mask & !self.mask != 0 {
            return false;
        }
        self.value == b.value & !self.mask
    }

    /// Whether `v` is a member.
    #[cfg(test)]
    pub fn has(self, v: u64) -> bool {
        v & !self.mask == self.value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn members(t: Tnum) -> Vec<u64> {
        // Only for small masks.
        let bits: Vec<u32> = (0..64).filter(|b| t.mask >> b & 1 == 1).collect();
        (0..1u64 << bits.len())
            .map(|i| {
                let mut v = t.value;
                for (j, b) in bits.iter().enumerate() {
                    if i >> j & 1 == 1 {
                        v |= 1 << b;
                    }
                }
                v
            })
            .collect()
    }

    #[test]
    fn ops_over_approximate_concrete_results() {
        let samples = [
            Tnum::constant(5),
            Tnum::range(0, 7),
            Tnum { value: 8, mask: 3 },
            Tnum {
                value: 0x100,
                mask: 0x11,
            },
            Tnum::constant(u64::MAX - 1),
        ];
        for &a in &samples {
            for &b in &samples {
                for x in members(a) {
                    for y in members(b) {
                        assert!(a.add(b).has(x.wrapping_add(y)));
                        assert!(a.sub(b).has(x.wrapping_sub(y)));
                        assert!(a.mul(b).has(x.wrapping_mul(y)));
                        assert!(a.and(b).has(x & y));
                        assert!(a.or(b).has(x | y));
                        assert!(a.xor(b).has(x ^ y));
                    }
                }
            }
        }
    }

    #[test]
    fn range_and_in() {
        assert_eq!(
            Tnum::range(0, 255),
            Tnum {
                value: 0,
                mask: 255
            }
        );
        assert_eq!(Tnum::range(4, 4), Tnum::constant(4));
        assert_eq!(Tnum::range(0, u64::MAX), Tnum::UNKNOWN);
        assert!(Tnum::range(0, 255).contains(Tnum::constant(17)));
        assert!(!Tnum::constant(17).contains(Tnum::range(0, 255)));
        assert_eq!(
            Tnum::UNKNOWN.arshift(60, 64).mask,
            u64::MAX,
            "sign bits unknown"
        );
        assert_eq!(
            Tnum::constant(0x8000_0000).arshift(4, 32).value,
            0xf800_0000
        );
    }
}

//! `BPF_MAP_TYPE_BLOOM_FILTER` (kernel/bpf/bloom_filter.c).
//!
//! `nr_hash_funcs` comes from the low 4 bits of `map_extra` (0 means 5). The
//! bit array is sized as the kernel sizes it: `max_entries * nr_hash_funcs /
//! ln 2` bits (computed as `* 7 / 5`), at least 64, rounded up to a power of
//! two, capped at 2^32 bits. Hash `i` is `jhash2` (value size a multiple of 4)
//! or `jhash` of the value with seed `hash_seed + i`, masked to the bit count;
//! the seed is random unless `BPF_F_ZERO_SEED`.

use crate::def::MapDef;
use crate::error::{err, errno::*, MapError};
use crate::flags::*;
use crate::jhash::{jhash, jhash2_bytes};
use std::hash::{BuildHasher, Hasher};

pub(crate) struct BloomStore {
    bits: Vec<u64>,
    mask: u32,
    nr_hash: u32,
    seed: u32,
    value_size: usize,
}

impl BloomStore {
    pub(crate) fn new(def: &MapDef) -> Result<BloomStore, MapError> {
        let mut nr_hash = (def.map_extra & 0xf) as u32;
        if nr_hash == 0 {
            nr_hash = 5;
        }
        let nr_bits = def
            .max_entries
            .checked_mul(nr_hash)
            .and_then(|b| (b / 5).checked_mul(7));
        let (nbits, mask): (u64, u32) = match nr_bits {
            Some(b) if u64::from(b) <= 1 << 31 => {
                let b = if b <= 64 { 64 } else { b.next_power_of_two() };
                (u64::from(b), b - 1)
            }
            _ => (1 << 32, u32::MAX),
        };
        let words = nbits.div_ceil(64) as usize;
        let seed = if def.map_flags & BPF_F_ZERO_SEED != 0 {
            0
        } else {
            std::collections::hash_map::RandomState::new()
                .build_hasher()
                .finish() as u32
        };
        Ok(BloomStore {
            bits: vec![0; words],
            mask,
            nr_hash,
            seed,
            value_size: def.value_size as usize,
        })
    }

    /// Number of bits in the filter.
    #[cfg(test)]
    fn nbits(&self) -> u64 {
        u64::from(self.mask) + 1
    }

    fn hash(&self, value: &[u8], i: u32) -> u32 {
        let seed = self.seed.wrapping_add(i);
        let h = if self.value_size % 4 == 0 {
            jhash2_bytes(&value[..self.value_size], seed)
        } else {
            jhash(&value[..self.value_size], seed)
        };
        h & self.mask
    }

    fn check(&self, value: &[u8]) -> Result<(), MapError> {
        if value.len() < self.value_size {
            return Err(err(EINVAL, "value too short"));
        }
        Ok(())
    }

    /// `bloom_map_push_elem`.
    pub(crate) fn push(&mut self, value: &[u8], flags: u64) -> Result<(), MapError> {
        if flags != BPF_ANY {
            return Err(err(EINVAL, "bloom filter push takes only BPF_ANY"));
        }
        self.check(value)?;
        for i in 0..self.nr_hash {
            let h = self.hash(value, i);
            self.bits[(h / 64) as usize] |= 1 << (h % 64);
        }
        Ok(())
    }

    /// `bloom_map_peek_elem`: `ENOENT` when definitely absent.
    pub(crate) fn peek(&self, value: &[u8]) -> Result<(), MapError> {
        self.check(value)?;
        for i in 0..self.nr_hash {
            let h = self.hash(value, i);
            if self.bits[(h / 64) as usize] & (1 << (h % 64)) == 0 {
                return Err(err(ENOENT, "value not in bloom filter"));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::def::MapType;

    #[test]
    fn sizing_follows_kernel() {
        let b = |n, extra| {
            BloomStore::new(&MapDef::new(MapType::BloomFilter, 0, 4, n).with_extra(extra)).unwrap()
        };
        assert_eq!(b(1, 0).nbits(), 64);
        assert_eq!(b(100, 0).nbits(), 1024); // 100*5/5*7 = 700 -> 1024
        assert_eq!(b(100, 3).nbits(), 512); // 300/5*7 = 420 -> 512
        assert_eq!(b(100, 3).nr_hash, 3);
        assert_eq!(b(u32::MAX, 0).nbits(), 1 << 32);
    }

    #[test]
    fn push_then_peek() {
        let def = MapDef::new(MapType::BloomFilter, 0, 4, 100).with_flags(BPF_F_ZERO_SEED);
        let mut b = BloomStore::new(&def).unwrap();
        assert_eq!(b.peek(&[1, 0, 0, 0]).unwrap_err().errno(), ENOENT);
        b.push(&[1, 0, 0, 0], BPF_ANY).unwrap();
        assert!(b.peek(&[1, 0, 0, 0]).is_ok());
        assert_eq!(b.peek(&[2, 0, 0, 0]).unwrap_err().errno(), ENOENT);
        assert_eq!(
            b.push(&[1, 0, 0, 0], BPF_EXIST).unwrap_err().errno(),
            EINVAL
        );
        let set: u32 = b.bits.iter().map(|w| w.count_ones()).sum();
        assert!((1..=5).contains(&set));
    }
}

//! `BPF_MAP_TYPE_ARRAY` and `BPF_MAP_TYPE_PERCPU_ARRAY` (kernel/bpf/arraymap.c).
//!
//! One block allocated at creation holds every element, `round_up(value_size,
//! 8)` bytes apart; per-CPU arrays hold `ncpus` such slots per element
//! (element-major). Elements always exist: delete is `EINVAL`.

use crate::def::{round8, MapDef, MapType, MAX_MAP_BYTES};
use crate::error::{err, errno::*, MapError};
use crate::flags::*;
use crate::rawbuf::RawBuf;

pub(crate) struct ArrayStore {
    buf: RawBuf,
    elem: usize,
    value_size: usize,
    n: u32,
    ncpus: usize,
    percpu: bool,
}

/// Parse an array key (u32 index, host order).
pub(crate) fn index_of(key: &[u8]) -> Result<u32, MapError> {
    let b: [u8; 4] = key.try_into().map_err(|_| {
        err(
            EINVAL,
            format!("array key must be 4 bytes, got {}", key.len()),
        )
    })?;
    Ok(u32::from_ne_bytes(b))
}

/// `array_map_get_next_key`: shared by every array-indexed map.
pub(crate) fn next_index(key: Option<&[u8]>, n: u32) -> Result<Vec<u8>, MapError> {
    let next = match key {
        None => 0,
        Some(k) => {
            let i = index_of(k)?;
            if i >= n {
                0
            } else if i == n - 1 {
                return Err(err(ENOENT, "no key after the last index"));
            } else {
                i + 1
            }
        }
    };
    Ok(next.to_ne_bytes().to_vec())
}

impl ArrayStore {
    pub(crate) fn new(def: &MapDef, ncpus: u32) -> Result<ArrayStore, MapError> {
        let percpu = def.map_type == MapType::PercpuArray;
        let elem = round8(def.value_size);
        let ncpus = if percpu { ncpus as usize } else { 1 };
        let total = (def.max_entries as u64) * (elem as u64) * (ncpus as u64);
        if total > MAX_MAP_BYTES {
            return Err(err(
                ENOMEM,
                format!("array needs {total} bytes, over bpfbox's limit"),
            ));
        }
        Ok(ArrayStore {
            buf: RawBuf::zeroed(total as usize)?,
            elem,
            value_size: def.value_size as usize,
            n: def.max_entries,
            ncpus,
            percpu,
        })
    }

    fn off(&self, idx: u32, cpu: usize) -> usize {
        (idx as usize * self.ncpus + cpu) * self.elem
    }

    /// Address of element `idx` (for per-CPU arrays: CPU `cpu`'s slot).
    pub(crate) fn slot_ptr(&self, idx: u32, cpu: u32) -> Option<*mut u8> {
        if idx >= self.n || (cpu as usize) >= self.ncpus && self.percpu {
            return None;
        }
        let cpu = if self.percpu { cpu as usize } else { 0 };
        // SAFETY: offset is inside the block.
        Some(unsafe { self.buf.ptr().add(self.off(idx, cpu)) })
    }

    /// Syscall-side lookup.
    pub(crate) fn sys_lookup(&self, idx: u32) -> Result<Vec<u8>, MapError> {
        if idx >= self.n {
            return Err(err(ENOENT, format!("index {idx} out of range")));
        }
        let s = self.buf.as_slice();
        if self.percpu {
            let o = self.off(idx, 0);
            Ok(s[o..o + self.ncpus * self.elem].to_vec())
        } else {
            let o = self.off(idx, 0);
            Ok(s[o..o + self.value_size].to_vec())
        }
    }

    /// `array_map_update_elem` (helper, and syscall for plain arrays) and
    /// `bpf_percpu_array_update` (syscall for per-CPU arrays).
    pub(crate) fn update(
        &mut self,
        idx: u32,
        value: &[u8],
        flags: u64,
        syscall: bool,
        cpu: u32,
    ) -> Result<(), MapError> {
        let full_percpu = self.percpu && syscall;
        if full_percpu {
            if flags > BPF_EXIST {
                return Err(err(EINVAL, format!("invalid update flags {flags:#x}")));
            }
        } else if flags & !BPF_F_LOCK > BPF_EXIST {
            return Err(err(EINVAL, format!("invalid update flags {flags:#x}")));
        }
        if idx >= self.n {
            return Err(err(E2BIG, format!("index {idx} >= max_entries {}", self.n)));
        }
        if flags & BPF_NOEXIST != 0 {
            return Err(err(EEXIST, "array elements always exist (BPF_NOEXIST)"));
        }
        if flags & BPF_F_LOCK != 0 {
            return Err(err(EINVAL, "BPF_F_LOCK needs a bpf_spin_lock in the value"));
        }
        let (elem, vs) = (self.elem, self.value_size);
        if full_percpu {
            let o = self.off(idx, 0);
            let len = self.ncpus * elem;
            self.buf.as_mut_slice()[o..o + len].copy_from_slice(&value[..len]);
        } else {
            let cpu = if self.percpu { cpu as usize } else { 0 };
            let o = self.off(idx, cpu);
            self.buf.as_mut_slice()[o..o + vs].copy_from_slice(&value[..vs]);
        }
        Ok(())
    }

    /// The whole storage block.
    pub(crate) fn region(&self) -> (*mut u8, usize) {
        (self.buf.ptr(), self.buf.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn update_rules_and_layout() {
        let def = MapDef::new(MapType::Array, 4, 5, 3);
        let mut a = ArrayStore::new(&def, 1).unwrap();
        let e = |r: Result<(), MapError>| r.map(|_| 0).unwrap_or_else(|e| e.errno());
        assert_eq!(e(a.update(1, &[1, 2, 3, 4, 5], BPF_ANY, true, 0)), 0);
        assert_eq!(e(a.update(1, &[1; 5], BPF_EXIST, true, 0)), 0);
        assert_eq!(e(a.update(1, &[1; 5], BPF_NOEXIST, true, 0)), EEXIST);
        assert_eq!(e(a.update(3, &[1; 5], BPF_ANY, true, 0)), E2BIG);
        assert_eq!(e(a.update(3, &[1; 5], 3, true, 0)), EINVAL);
        assert_eq!(e(a.update(0, &[1; 5], BPF_F_LOCK, false, 0)), EINVAL);
        // Helper path: index is checked before BPF_F_LOCK.
        assert_eq!(e(a.update(9, &[1; 5], BPF_F_LOCK, false, 0)), E2BIG);
        assert_eq!(a.sys_lookup(1).unwrap(), vec![1; 5]);
        assert_eq!(a.sys_lookup(3).unwrap_err().errno(), ENOENT);
        let (p, len) = a.region();
        assert_eq!(len, 24);
        assert_eq!(a.slot_ptr(1, 0), Some(unsafe { p.add(8) }));
        assert_eq!(a.slot_ptr(3, 0), None);
    }

    #[test]
    fn percpu_layout() {
        let def = MapDef::new(MapType::PercpuArray, 4, 4, 2);
        let mut a = ArrayStore::new(&def, 2).unwrap();
        let v: Vec<u8> = (0..16).collect();
        a.update(1, &v, BPF_ANY, true, 0).unwrap();
        assert_eq!(a.sys_lookup(1).unwrap(), v);
        a.update(1, &[9, 9, 9, 9], BPF_ANY, false, 1).unwrap();
        let got = a.sys_lookup(1).unwrap();
        assert_eq!(&got[8..12], &[9, 9, 9, 9]);
        assert_eq!(&got[12..16], &[12, 13, 14, 15], "padding is kept");
        assert!(a.slot_ptr(0, 2).is_none());
        assert_eq!(
            a.update(0, &v, BPF_F_LOCK, true, 0).unwrap_err().errno(),
            EINVAL
        );
    }

    #[test]
    fn next_key_order() {
        let k = |i: u32| i.to_ne_bytes().to_vec();
        assert_eq!(next_index(None, 3).unwrap(), k(0));
        assert_eq!(next_index(Some(&k(1)), 3).unwrap(), k(2));
        assert_eq!(next_index(Some(&k(2)), 3).unwrap_err().errno(), ENOENT);
        assert_eq!(next_index(Some(&k(7)), 3).unwrap(), k(0));
    }
}

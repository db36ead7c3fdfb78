//! `BPF_MAP_TYPE_ARRAY` and `BPF_MAP_TYPE_PERCPU_ARRAY` (kernel/bpf/arraymap.c).
//!
//! Elements always exist and start zeroed (delete is `EINVAL`), but bpfbox
//! stores only what was touched. An array of at most [`DENSE_MAX_BYTES`]
//! (every `.data`/`.bss`/`.rodata` map among them) is one block, allocated
//! at creation, so its values have addresses before any run and register
//! as one region. A bigger array stores each element on its own, allocated
//! (zeroed) the first time a program takes a pointer to it or a non-zero
//! value is written to it; reading an untouched element reads zeroes
//! without allocating. A 33M-entry array thus costs memory in proportion to
//! the elements a run touches, whatever their spread. Its element values
//! are not registered as regions up front: the helpers that hand a pointer
//! to a program register that value (`lookup`, `for_each_map_elem`).
//! Elements are `round_up(value_size, 8)` bytes; per-CPU arrays hold
//! `ncpus` such slots per element.

use crate::def::{round8, MapDef, MapType, MAX_MAP_BYTES};
use crate::error::{err, errno::*, MapError};
use crate::flags::*;
use crate::rawbuf::RawBuf;
use std::collections::HashMap;

/// Arrays up to this many bytes are stored as one block.
pub(crate) const DENSE_MAX_BYTES: u64 = 1 << 20;

enum Cells {
    /// Every element, `stride` bytes apart.
    Dense(RawBuf),
    /// The touched elements, `stride` bytes each.
    Sparse(HashMap<u32, RawBuf>),
}

pub(crate) struct ArrayStore {
    cells: Cells,
    /// Bytes per element: `elem * ncpus`.
    stride: usize,
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
        let cells = if total <= DENSE_MAX_BYTES {
            Cells::Dense(RawBuf::zeroed(total as usize)?)
        } else {
            Cells::Sparse(HashMap::new())
        };
        Ok(ArrayStore {
            cells,
            stride: elem * ncpus,
            elem,
            value_size: def.value_size as usize,
            n: def.max_entries,
            ncpus,
            percpu,
        })
    }

    /// The bytes of element `idx` (`stride` of them), if stored.
    fn element(&self, idx: u32) -> Option<&[u8]> {
        match &self.cells {
            Cells::Dense(b) => {
                let o = idx as usize * self.stride;
                Some(&b.as_slice()[o..o + self.stride])
            }
            Cells::Sparse(m) => m.get(&idx).map(RawBuf::as_slice),
        }
    }

    /// Element `idx`'s bytes, allocated (zeroed) if it was not yet.
    fn element_mut(&mut self, idx: u32) -> Result<&mut [u8], MapError> {
        let stride = self.stride;
        match &mut self.cells {
            Cells::Dense(b) => {
                let o = idx as usize * stride;
                Ok(&mut b.as_mut_slice()[o..o + stride])
            }
            Cells::Sparse(m) => match m.entry(idx) {
                std::collections::hash_map::Entry::Occupied(e) => Ok(e.into_mut().as_mut_slice()),
                std::collections::hash_map::Entry::Vacant(e) => {
                    Ok(e.insert(RawBuf::zeroed(stride)?).as_mut_slice())
                }
            },
        }
    }

    /// Address of element `idx` (for per-CPU arrays: CPU `cpu`'s slot),
    /// allocating it: the program may write through it.
    pub(crate) fn slot_ptr(&mut self, idx: u32, cpu: u32) -> Option<*mut u8> {
        if idx >= self.n || (cpu as usize) >= self.ncpus && self.percpu {
            return None;
        }
        let cpu = if self.percpu { cpu as usize } else { 0 };
        let off = cpu * self.elem;
        let e = self.element_mut(idx).ok()?;
        // SAFETY: `off` is inside the element (cpu < ncpus); the storage
        // is a RawBuf that never moves while the map holds it.
        Some(unsafe { e.as_mut_ptr().add(off) })
    }

    /// Syscall-side lookup.
    pub(crate) fn sys_lookup(&self, idx: u32) -> Result<Vec<u8>, MapError> {
        if idx >= self.n {
            return Err(err(ENOENT, format!("index {idx} out of range")));
        }
        let len = if self.percpu {
            self.stride
        } else {
            self.value_size
        };
        Ok(match self.element(idx) {
            Some(e) => e[..len].to_vec(),
            None => vec![0; len],
        })
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
        let (off, len) = if full_percpu {
            (0, self.stride)
        } else if self.percpu {
            (cpu as usize * self.elem, self.value_size)
        } else {
            (0, self.value_size)
        };
        let src = &value[..len];
        if self.element(idx).is_none() && src.iter().all(|&b| b == 0) {
            return Ok(()); // zero over zero: nothing to store
        }
        self.element_mut(idx)?[off..off + len].copy_from_slice(src);
        Ok(())
    }

    /// Memory to register before a run: the block of a dense array (a
    /// sparse array's values are registered as they are handed out).
    pub(crate) fn regions(&self, out: &mut Vec<(*mut u8, usize)>) {
        if let Cells::Dense(b) = &self.cells {
            out.push((b.ptr(), b.len()));
        }
    }

    /// Elements whose syscall-side value is not all zero, in index order:
    /// what can differ from a freshly created array.
    pub(crate) fn nonzero(&self) -> Vec<(Vec<u8>, Vec<u8>)> {
        let len = if self.percpu {
            self.stride
        } else {
            self.value_size
        };
        let mut idx: Vec<u32> = match &self.cells {
            Cells::Dense(_) => (0..self.n).collect(),
            Cells::Sparse(m) => m.keys().copied().collect(),
        };
        idx.sort_unstable();
        idx.into_iter()
            .filter_map(|i| {
                let v = &self.element(i)?[..len];
                v.iter()
                    .any(|&x| x != 0)
                    .then(|| (i.to_ne_bytes().to_vec(), v.to_vec()))
            })
            .collect()
    }

    /// Bytes of element storage allocated so far.
    pub(crate) fn allocated_bytes(&self) -> usize {
        match &self.cells {
            Cells::Dense(b) => b.len(),
            Cells::Sparse(m) => m.len() * self.stride,
        }
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
        let mut r = Vec::new();
        a.regions(&mut r);
        let (p, len) = r[0];
        assert_eq!((r.len(), len), (1, 24), "one block, allocated at creation");
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
    fn big_array_stores_only_touched_elements() {
        // 33M entries of 8 bytes: nothing allocated until touched.
        let n = 33 << 20;
        let def = MapDef::new(MapType::Array, 4, 8, n);
        let mut a = ArrayStore::new(&def, 1).unwrap();
        assert_eq!(a.allocated_bytes(), 0);
        assert_eq!(a.sys_lookup(7_000_000).unwrap(), vec![0; 8]);
        a.update(5, &[0; 8], BPF_ANY, true, 0).unwrap();
        assert_eq!(a.allocated_bytes(), 0, "zero over zero allocates nothing");
        a.update(n - 1, &[1; 8], BPF_ANY, true, 0).unwrap();
        assert_eq!(a.allocated_bytes(), 8);
        let p = a.slot_ptr(9_000_001, 0).unwrap();
        // SAFETY: p points at an 8-byte value.
        unsafe { *p = 3 };
        assert_eq!(a.slot_ptr(9_000_001, 0), Some(p), "the element stays put");
        assert_eq!(a.allocated_bytes(), 16);
        assert_eq!(a.sys_lookup(9_000_001).unwrap(), [3, 0, 0, 0, 0, 0, 0, 0]);
        let nz: Vec<u32> = a
            .nonzero()
            .iter()
            .map(|(k, _)| index_of(k).unwrap())
            .collect();
        assert_eq!(nz, vec![9_000_001, n - 1]);
        let mut r = Vec::new();
        a.regions(&mut r);
        assert!(r.is_empty(), "sparse values register when handed out");
        // 100k scattered elements cost about their own size.
        for i in 0..100_000u32 {
            a.slot_ptr(i.wrapping_mul(2_654_435_761) % n, 0).unwrap();
        }
        assert!(a.allocated_bytes() <= 8 * 100_002);
    }

    #[test]
    fn sparse_per_cpu_elements() {
        let def = MapDef::new(MapType::PercpuArray, 4, 40_000, 30);
        let mut a = ArrayStore::new(&def, 2).unwrap();
        let v = vec![7u8; 80_000];
        a.update(2, &v, BPF_ANY, true, 0).unwrap();
        assert_eq!(a.allocated_bytes(), 80_000);
        assert_eq!(a.sys_lookup(2).unwrap(), v);
        assert_eq!(a.sys_lookup(1).unwrap(), vec![0; 80_000]);
        let p0 = a.slot_ptr(2, 0).unwrap();
        let p1 = a.slot_ptr(2, 1).unwrap();
        assert_eq!(p1 as usize - p0 as usize, 40_000);
        a.update(3, &[5; 40_000], BPF_ANY, false, 1).unwrap();
        let got = a.sys_lookup(3).unwrap();
        assert!(got[..40_000].iter().all(|&b| b == 0));
        assert!(got[40_000..].iter().all(|&b| b == 5));
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

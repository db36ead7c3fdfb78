//! `BPF_MAP_TYPE_ARRAY` and `BPF_MAP_TYPE_PERCPU_ARRAY` (kernel/bpf/arraymap.c).
//!
//! Elements always exist and start zeroed (delete is `EINVAL`), but bpfbox
//! stores only what was touched: the index space is cut into chunks of
//! about [`CHUNK_BYTES`], and a chunk is allocated (zeroed) the first time
//! a program takes a pointer into it or a non-zero value is written to it.
//! Reading an untouched element reads zeroes without allocating, so a
//! 33M-entry array costs memory proportional to the entries a run touches.
//! Inside a chunk, elements are `round_up(value_size, 8)` bytes apart;
//! per-CPU arrays hold `ncpus` such slots per element (element-major).
//! An array that fits in one chunk (every `.data`/`.bss`/`.rodata` map) is
//! allocated at creation, so its value has an address before any run.

use crate::def::{round8, MapDef, MapType, MAX_MAP_BYTES};
use crate::error::{err, errno::*, MapError};
use crate::flags::*;
use crate::rawbuf::RawBuf;

/// Target size of one chunk of array storage (a chunk holds at least one
/// element, whatever its size).
pub(crate) const CHUNK_BYTES: usize = 64 << 10;

pub(crate) struct ArrayStore {
    /// Chunk `c` holds elements `c * per_chunk ..`; `None` = all zero.
    chunks: Vec<Option<RawBuf>>,
    per_chunk: u32,
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
        let stride = elem * ncpus;
        let per_chunk =
            (CHUNK_BYTES / stride.max(1)).clamp(1, def.max_entries.max(1) as usize) as u32;
        let n_chunks = def.max_entries.div_ceil(per_chunk) as usize;
        let mut a = ArrayStore {
            chunks: (0..n_chunks).map(|_| None).collect(),
            per_chunk,
            stride,
            elem,
            value_size: def.value_size as usize,
            n: def.max_entries,
            ncpus,
            percpu,
        };
        if n_chunks == 1 {
            a.chunk_mut(0)?;
        }
        Ok(a)
    }

    /// Bytes of chunk `c` (the last one may be short).
    fn chunk_len(&self, c: usize) -> usize {
        let first = c as u64 * u64::from(self.per_chunk);
        let count = (u64::from(self.n) - first).min(u64::from(self.per_chunk));
        count as usize * self.stride
    }

    /// Chunk `c`, allocated (zeroed) if it was not yet.
    fn chunk_mut(&mut self, c: usize) -> Result<&mut RawBuf, MapError> {
        if self.chunks[c].is_none() {
            self.chunks[c] = Some(RawBuf::zeroed(self.chunk_len(c))?);
        }
        Ok(self.chunks[c].as_mut().expect("allocated above"))
    }

    /// Chunk and byte offset of element `idx`, CPU slot `cpu`.
    fn locate(&self, idx: u32, cpu: usize) -> (usize, usize) {
        let c = (idx / self.per_chunk) as usize;
        let off = (idx % self.per_chunk) as usize * self.stride + cpu * self.elem;
        (c, off)
    }

    /// Address of element `idx` (for per-CPU arrays: CPU `cpu`'s slot),
    /// allocating its chunk: the program may write through it.
    pub(crate) fn slot_ptr(&mut self, idx: u32, cpu: u32) -> Option<*mut u8> {
        if idx >= self.n || (cpu as usize) >= self.ncpus && self.percpu {
            return None;
        }
        let cpu = if self.percpu { cpu as usize } else { 0 };
        let (c, off) = self.locate(idx, cpu);
        let chunk = self.chunk_mut(c).ok()?;
        // SAFETY: `off` is inside the chunk (idx < n, cpu < ncpus).
        Some(unsafe { chunk.ptr().add(off) })
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
        let (c, off) = self.locate(idx, 0);
        Ok(match &self.chunks[c] {
            Some(b) => b.as_slice()[off..off + len].to_vec(),
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
        let (cpu, len) = if full_percpu {
            (0, self.stride)
        } else if self.percpu {
            (cpu as usize, self.value_size)
        } else {
            (0, self.value_size)
        };
        let (c, off) = self.locate(idx, cpu);
        let src = &value[..len];
        if self.chunks[c].is_none() && src.iter().all(|&b| b == 0) {
            return Ok(()); // zero over zero: nothing to store
        }
        self.chunk_mut(c)?.as_mut_slice()[off..off + len].copy_from_slice(src);
        Ok(())
    }

    /// The allocated storage blocks (untouched chunks have none).
    pub(crate) fn regions(&self, out: &mut Vec<(*mut u8, usize)>) {
        out.extend(self.chunks.iter().flatten().map(|b| (b.ptr(), b.len())));
    }

    /// Elements whose syscall-side value is not all zero, in index order:
    /// what can differ from a freshly created array.
    pub(crate) fn nonzero(&self) -> Vec<(Vec<u8>, Vec<u8>)> {
        let mut out = Vec::new();
        for (c, b) in self.chunks.iter().enumerate() {
            let Some(b) = b else { continue };
            for (i, e) in b.as_slice().chunks(self.stride).enumerate() {
                let v = if self.percpu {
                    e
                } else {
                    &e[..self.value_size]
                };
                if v.iter().any(|&x| x != 0) {
                    let idx = c as u32 * self.per_chunk + i as u32;
                    out.push((idx.to_ne_bytes().to_vec(), v.to_vec()));
                }
            }
        }
        out
    }

    /// Bytes of element storage allocated so far.
    pub(crate) fn allocated_bytes(&self) -> usize {
        self.chunks.iter().flatten().map(RawBuf::len).sum()
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
        assert_eq!((r.len(), len), (1, 24), "one chunk, allocated at creation");
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
    fn big_array_stores_only_touched_chunks() {
        // 33M entries of 8 bytes: 4096 chunks, none allocated.
        let def = MapDef::new(MapType::Array, 4, 8, 33 << 20);
        let mut a = ArrayStore::new(&def, 1).unwrap();
        assert_eq!(a.allocated_bytes(), 0);
        assert_eq!(a.sys_lookup(7_000_000).unwrap(), vec![0; 8]);
        a.update(5, &[0; 8], BPF_ANY, true, 0).unwrap();
        assert_eq!(a.allocated_bytes(), 0, "zero over zero allocates nothing");
        a.update((33 << 20) - 1, &[1; 8], BPF_ANY, true, 0).unwrap();
        assert_eq!(a.allocated_bytes(), CHUNK_BYTES);
        let p = a.slot_ptr(9_000_001, 0).unwrap();
        // SAFETY: p points at an 8-byte value of an allocated chunk.
        unsafe { *p = 3 };
        assert_eq!(a.allocated_bytes(), 2 * CHUNK_BYTES);
        assert_eq!(a.sys_lookup(9_000_001).unwrap(), [3, 0, 0, 0, 0, 0, 0, 0]);
        let nz: Vec<u32> = a
            .nonzero()
            .iter()
            .map(|(k, _)| index_of(k).unwrap())
            .collect();
        assert_eq!(nz, vec![9_000_001, (33 << 20) - 1]);
        let mut r = Vec::new();
        a.regions(&mut r);
        assert_eq!(r.len(), 2);
    }

    #[test]
    fn chunks_hold_whole_elements() {
        // A value bigger than a chunk: one element per chunk, last one short.
        let def = MapDef::new(MapType::PercpuArray, 4, 40_000, 3);
        let mut a = ArrayStore::new(&def, 2).unwrap();
        assert_eq!(a.per_chunk, 1);
        let v = vec![7u8; 80_000];
        a.update(2, &v, BPF_ANY, true, 0).unwrap();
        assert_eq!(a.allocated_bytes(), 80_000);
        assert_eq!(a.sys_lookup(2).unwrap(), v);
        assert_eq!(a.sys_lookup(1).unwrap(), vec![0; 80_000]);
        let p0 = a.slot_ptr(2, 0).unwrap();
        let p1 = a.slot_ptr(2, 1).unwrap();
        assert_eq!(p1 as usize - p0 as usize, 40_000);
        // 10 entries of 24 bytes (stride 48 on 2 CPUs): one chunk, short.
        let def = MapDef::new(MapType::PercpuArray, 4, 20, 10);
        let a = ArrayStore::new(&def, 2).unwrap();
        assert_eq!(a.allocated_bytes(), 10 * 48);
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

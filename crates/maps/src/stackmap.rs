//! `BPF_MAP_TYPE_STACK_TRACE` (kernel/bpf/stackmap.c): call chains stored
//! by `bpf_get_stackid` under a bucket id.
//!
//! `n_buckets = roundup_pow_of_two(max_entries)`; a chain of `nr` frames
//! hashes with `jhash2` (seed 0) over its 64-bit frames seen as 32-bit
//! words, and its id is `hash & (n_buckets - 1)`. A bucket holding another
//! chain makes `bpf_get_stackid` fail with `-EEXIST` unless
//! `BPF_F_REUSE_STACKID` replaces it; `BPF_F_FAST_STACK_CMP` trusts equal
//! hashes. Chains live in `max_entries` preallocated elements, and a new
//! chain takes its element before the one it replaces is freed: with every
//! element in use, storing (even a replacement) is `-ENOMEM`, and on
//! build-id maps so is any call that compares chains. With `BPF_F_STACK_BUILD_ID`
//! each frame is a 32-byte `struct bpf_stack_build_id`; bpfbox models no
//! address space, so every frame takes the kernel's fallback form
//! (`BPF_STACK_BUILD_ID_IP` and the address), as the kernel does for
//! kernel frames and whenever it cannot read the task's mappings.
//!
//! From user space a chain reads as its frames followed by zeroes up to
//! `value_size`; update is `EINVAL`, delete and lookup-and-delete free a
//! bucket.
//!
//! Where the call chain comes from is the caller's business (bpfbox takes
//! it from the event; the kernel unwinds the stack).

use crate::def::{MapDef, MAX_MAP_BYTES};
use crate::error::{err, errno::*, MapError};
use crate::flags::*;
use crate::jhash::jhash2;
use std::collections::BTreeMap;

/// `sysctl_perf_event_max_stack`'s default (127): the deepest chain a
/// map value or a call chain may hold.
pub const PERF_EVENT_MAX_STACK: u32 = 127;
/// `sizeof(struct bpf_stack_build_id)`.
const BUILD_ID_ENTRY: usize = 32;
/// `BPF_STACK_BUILD_ID_IP`.
const BUILD_ID_STATUS_IP: i32 = 2;
/// `sizeof(struct stack_map_bucket)` before its data.
const BUCKET_HEADER: u64 = 16;

/// `BPF_F_SKIP_FIELD_MASK`.
const SKIP_FIELD_MASK: u64 = 0xff;
/// `BPF_F_USER_STACK`.
const USER_STACK: u64 = 1 << 8;
/// `BPF_F_FAST_STACK_CMP`.
const FAST_STACK_CMP: u64 = 1 << 9;
/// `BPF_F_REUSE_STACKID`.
const REUSE_STACKID: u64 = 1 << 10;

struct Bucket {
    hash: u32,
    nr: u32,
    /// `nr` frames as the value stores them (8 or 32 bytes each).
    data: Vec<u8>,
}

pub(crate) struct StackStore {
    n_buckets: u32,
    max_entries: u32,
    value_size: usize,
    build_id: bool,
    buckets: BTreeMap<u32, Bucket>,
}

/// `stack_map_alloc`'s checks.
pub(crate) fn check(d: &MapDef) -> Result<(), MapError> {
    const MASK: u32 = BPF_F_NUMA_NODE | BPF_F_RDONLY | BPF_F_WRONLY | BPF_F_STACK_BUILD_ID;
    if d.map_flags & !MASK != 0 {
        return Err(err(EINVAL, format!("invalid flags {:#x}", d.map_flags)));
    }
    if d.max_entries == 0 || d.key_size != 4 || d.value_size < 8 || d.value_size % 8 != 0 {
        return Err(err(
            EINVAL,
            "stack_trace needs max_entries > 0, key_size 4, value_size a multiple of 8",
        ));
    }
    let entry = if d.map_flags & BPF_F_STACK_BUILD_ID != 0 {
        BUILD_ID_ENTRY as u32
    } else {
        8
    };
    if d.value_size % entry != 0 || d.value_size / entry > PERF_EVENT_MAX_STACK {
        return Err(err(
            EINVAL,
            format!("value_size must hold at most {PERF_EVENT_MAX_STACK} frames"),
        ));
    }
    if d.max_entries > 1 << 31 {
        return Err(err(E2BIG, "max_entries too large for the bucket table"));
    }
    Ok(())
}

impl StackStore {
    pub(crate) fn new(d: &MapDef) -> Result<StackStore, MapError> {
        let n_buckets = d.max_entries.next_power_of_two();
        let bytes = u64::from(n_buckets) * 8
            + u64::from(d.max_entries) * (BUCKET_HEADER + u64::from(d.value_size));
        if bytes > MAX_MAP_BYTES {
            return Err(err(
                ENOMEM,
                format!("stack_trace map needs {bytes} bytes, over bpfbox's limit"),
            ));
        }
        Ok(StackStore {
            n_buckets,
            max_entries: d.max_entries,
            value_size: d.value_size as usize,
            build_id: d.map_flags & BPF_F_STACK_BUILD_ID != 0,
            buckets: BTreeMap::new(),
        })
    }

    fn entry_size(&self) -> usize {
        if self.build_id {
            BUILD_ID_ENTRY
        } else {
            8
        }
    }

    /// Number of stored chains.
    pub(crate) fn len(&self) -> usize {
        self.buckets.len()
    }

    /// `bpf_stackmap_copy`: the frames, then zeroes.
    pub(crate) fn sys_lookup(&self, id: u32) -> Result<Vec<u8>, MapError> {
        let b = self
            .buckets
            .get(&id)
            .ok_or_else(|| err(ENOENT, format!("no stack under id {id}")))?;
        let mut v = b.data.clone();
        v.resize(self.value_size, 0);
        Ok(v)
    }

    /// `stack_map_delete_elem`.
    pub(crate) fn delete(&mut self, id: u32) -> Result<(), MapError> {
        if id >= self.n_buckets {
            return Err(err(E2BIG, format!("id {id} >= {} buckets", self.n_buckets)));
        }
        self.buckets
            .remove(&id)
            .map(|_| ())
            .ok_or_else(|| err(ENOENT, format!("no stack under id {id}")))
    }

    /// `bpf_stackmap_extract` with delete (`BPF_MAP_LOOKUP_AND_DELETE_ELEM`).
    pub(crate) fn lookup_and_delete(&mut self, id: u32) -> Result<Vec<u8>, MapError> {
        let v = self.sys_lookup(id)?;
        self.buckets.remove(&id);
        Ok(v)
    }

    /// `stack_map_get_next_key`: an unknown or empty id restarts at 0.
    pub(crate) fn get_next_key(&self, id: Option<u32>) -> Result<Vec<u8>, MapError> {
        let from = match id {
            Some(i) if i < self.n_buckets && self.buckets.contains_key(&i) => i + 1,
            _ => 0,
        };
        self.buckets
            .range(from..)
            .next()
            .map(|(k, _)| k.to_ne_bytes().to_vec())
            .ok_or_else(|| err(ENOENT, "no stack after this id"))
    }

    /// Every (id, value) pair in id order.
    pub(crate) fn entries(&self) -> Vec<(Vec<u8>, Vec<u8>)> {
        self.buckets
            .keys()
            .filter_map(|&id| Some((id.to_ne_bytes().to_vec(), self.sys_lookup(id).ok()?)))
            .collect()
    }

    /// `bpf_get_stackid` given the call chain the kernel would collect
    /// (kernel or user frames, innermost first): the id, or `-EINVAL` (bad
    /// flags), `-EFAULT` (no frame left after skipping), `-EEXIST` (another
    /// chain holds the bucket), `-ENOMEM` (every element in use).
    pub(crate) fn get_stackid(&mut self, chain: &[u64], flags: u64) -> i64 {
        if flags & !(SKIP_FIELD_MASK | USER_STACK | FAST_STACK_CMP | REUSE_STACKID) != 0 {
            return -i64::from(EINVAL);
        }
        let skip = (flags & SKIP_FIELD_MASK) as usize;
        // get_perf_callchain collects at most max_depth frames.
        let max_depth =
            (self.value_size / self.entry_size() + skip).min(PERF_EVENT_MAX_STACK as usize);
        let chain = &chain[..chain.len().min(max_depth)];
        if chain.len() <= skip {
            return -i64::from(EFAULT);
        }
        let ips = &chain[skip..];
        let words: Vec<u32> = ips
            .iter()
            .flat_map(|ip| {
                let b = ip.to_ne_bytes();
                [
                    u32::from_ne_bytes([b[0], b[1], b[2], b[3]]),
                    u32::from_ne_bytes([b[4], b[5], b[6], b[7]]),
                ]
            })
            .collect();
        let hash = jhash2(&words, 0);
        let id = hash & (self.n_buckets - 1);
        let nr = ips.len() as u32;
        let old = self.buckets.get(&id);
        let hash_matches = old.is_some_and(|b| b.hash == hash);
        if hash_matches && flags & FAST_STACK_CMP != 0 {
            return i64::from(id);
        }
        // The kernel takes the new element from its free list (max_entries
        // elements) before it lets go of the old one: build-id maps before
        // comparing, the others only when the chain is stored.
        let free = self.buckets.len() < self.max_entries as usize;
        if self.build_id && !free {
            return -i64::from(ENOMEM);
        }
        let data = self.frames(ips);
        if let Some(b) = old {
            if hash_matches && b.nr == nr && b.data == data {
                return i64::from(id);
            }
            if flags & REUSE_STACKID == 0 {
                return -i64::from(EEXIST);
            }
        }
        if !free {
            return -i64::from(ENOMEM);
        }
        self.buckets.insert(id, Bucket { hash, nr, data });
        i64::from(id)
    }

    /// Frames as the value stores them.
    fn frames(&self, ips: &[u64]) -> Vec<u8> {
        let mut out = Vec::with_capacity(ips.len() * self.entry_size());
        for ip in ips {
            if self.build_id {
                out.extend_from_slice(&BUILD_ID_STATUS_IP.to_ne_bytes());
                out.extend_from_slice(&[0; 20]);
            }
            out.extend_from_slice(&ip.to_ne_bytes());
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::def::MapType;

    fn store(max: u32, value_size: u32, flags: u32) -> StackStore {
        let d = MapDef::new(MapType::StackTrace, 4, value_size, max).with_flags(flags);
        check(&d).unwrap();
        StackStore::new(&d).unwrap()
    }

    #[test]
    fn create_checks() {
        let bad = |vs: u32, max: u32, flags: u32| {
            check(&MapDef::new(MapType::StackTrace, 4, vs, max).with_flags(flags))
                .unwrap_err()
                .errno()
        };
        assert_eq!(bad(12, 1, 0), EINVAL);
        assert_eq!(bad(128 * 8, 1, 0), EINVAL);
        assert_eq!(bad(8, 0, 0), EINVAL);
        assert_eq!(bad(8, 1, BPF_F_NO_PREALLOC), EINVAL);
        assert_eq!(bad(40, 1, BPF_F_STACK_BUILD_ID), EINVAL);
        assert_eq!(bad(8, (1 << 31) + 1, 0), E2BIG);
        assert!(check(&MapDef::new(MapType::StackTrace, 4, 127 * 8, 1)).is_ok());
    }

    #[test]
    fn ids_collisions_reuse_and_skip() {
        // One bucket: every chain collides.
        let mut s = store(1, 32, 0);
        let a = [0xffff_ffff_8100_0010u64, 0xffff_ffff_8100_0020, 3];
        assert_eq!(s.get_stackid(&a, 0), 0);
        assert_eq!(s.get_stackid(&a, 0), 0, "same chain, same id");
        assert_eq!(
            s.get_stackid(&a, 1),
            -i64::from(EEXIST),
            "skip 1: other chain"
        );
        assert_eq!(
            s.get_stackid(&a, 1 | REUSE_STACKID),
            -i64::from(ENOMEM),
            "the only element is in use (measured on 6.18)"
        );
        // A second element: the replacement can be stored.
        s.max_entries = 2;
        assert_eq!(s.get_stackid(&a, 1 | REUSE_STACKID), 0);
        assert_eq!(
            s.sys_lookup(0).unwrap()[..16],
            a[1].to_ne_bytes()
                .iter()
                .chain(&a[2].to_ne_bytes())
                .copied()
                .collect::<Vec<u8>>()[..]
        );
        assert_eq!(s.sys_lookup(0).unwrap()[16..], [0; 16]);
        assert_eq!(s.get_stackid(&a, 3), -i64::from(EFAULT), "all skipped");
        assert_eq!(s.get_stackid(&[], 0), -i64::from(EFAULT));
        assert_eq!(s.get_stackid(&a, 1 << 11), -i64::from(EINVAL));
        assert_eq!(s.delete(0).map_err(|e| e.errno()), Ok(()));
        assert_eq!(s.delete(0).map_err(|e| e.errno()), Err(ENOENT));
        assert_eq!(s.delete(1).map_err(|e| e.errno()), Err(E2BIG));
        assert_eq!(s.get_stackid(&a, 0), 0);
        assert!(s.lookup_and_delete(0).is_ok());
        assert_eq!(s.lookup_and_delete(0).unwrap_err().errno(), ENOENT);
    }

    #[test]
    fn chain_is_cut_at_the_value_depth_and_hashed_like_the_kernel() {
        // value of 2 frames: a 5-frame chain is cut to 2 (+skip).
        let mut s = store(1024, 16, 0);
        let chain = [1u64, 2, 3, 4, 5];
        let id = s.get_stackid(&chain, 0) as u32;
        let words = [1u32, 0, 2, 0];
        assert_eq!(id, jhash2(&words, 0) & 1023);
        assert_eq!(
            s.sys_lookup(id).unwrap(),
            [1u64.to_ne_bytes(), 2u64.to_ne_bytes()].concat()
        );
        let id2 = s.get_stackid(&chain, 2) as u32;
        assert_eq!(
            s.sys_lookup(id2).unwrap(),
            [3u64.to_ne_bytes(), 4u64.to_ne_bytes()].concat()
        );
        let keys: Vec<Vec<u8>> = s.entries().into_iter().map(|e| e.0).collect();
        let mut want = vec![id.min(id2), id.max(id2)];
        want.dedup();
        assert_eq!(
            keys,
            want.iter()
                .map(|i| i.to_ne_bytes().to_vec())
                .collect::<Vec<_>>()
        );
        assert_eq!(s.get_next_key(Some(9999)).unwrap(), want[0].to_ne_bytes());
    }

    #[test]
    fn free_list_and_build_id_frames() {
        // max_entries 3 -> 4 buckets, but only 3 chains fit.
        let mut s = store(3, 8, 0);
        let mut stored = 0;
        let mut enomem = false;
        for i in 0..64u64 {
            match s.get_stackid(&[i], 0) {
                r if r >= 0 => stored = s.len(),
                r => enomem |= r == -i64::from(ENOMEM),
            }
        }
        assert!(stored <= 3);
        assert!(enomem || stored < 3);
        let mut b = store(4, 64, BPF_F_STACK_BUILD_ID);
        let id = b.get_stackid(&[0x401000], 0) as u32;
        let v = b.sys_lookup(id).unwrap();
        assert_eq!(v.len(), 64);
        assert_eq!(v[..4], 2i32.to_ne_bytes());
        assert_eq!(v[24..32], 0x401000u64.to_ne_bytes());
        assert!(v[32..].iter().all(|&x| x == 0));
    }
}

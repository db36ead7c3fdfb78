//! Hash tables (kernel/bpf/hashtab.c): `hash`, `percpu_hash`, `lru_hash`,
//! `lru_percpu_hash` and the storage of `hash_of_maps`.
//!
//! Layout follows the kernel so that iteration order can match it:
//! `n_buckets = roundup_pow_of_two(max_entries)`, bucket = `htab_hash(key,
//! seed) & (n_buckets - 1)`, elements are pushed at the head of their bucket
//! list, and a replaced element is a new element at the head (the old one is
//! unlinked). `get_next_key` walks buckets in index order. With
//! `BPF_F_ZERO_SEED` the seed is 0 and the order equals the kernel's; otherwise
//! the seed is random, as in the kernel, and only the set of keys can match.
//!
//! LRU maps differ from the kernel: the kernel keeps approximate per-CPU LRU
//! lists with reference bits and may evict before the map is full, and it
//! takes a fresh node even when an existing key is updated. bpfbox keeps one
//! exact recency order (helper lookups and updates count as uses, syscall
//! lookups do not) and evicts the least recently used element only when a new
//! key is inserted into a full map.

use crate::def::{round8, MapDef, MapType, MAX_MAP_BYTES};
use crate::error::{err, errno::*, MapError};
use crate::flags::*;
use crate::jhash::htab_hash;
use crate::rawbuf::RawBuf;
use std::collections::BTreeMap;
use std::hash::{BuildHasher, Hasher};

const NIL: u32 = u32::MAX;

struct Elem {
    key: Box<[u8]>,
    val: RawBuf,
    hash: u32,
    next: u32,
    stamp: u64,
}

/// Where an update's value comes from.
#[derive(Clone, Copy)]
pub(crate) enum Src<'a> {
    /// Syscall side: per-CPU maps get `ncpus * round_up(value_size, 8)` bytes.
    Sys(&'a [u8]),
    /// Helper side: `value_size` bytes for the given CPU.
    Prog(&'a [u8], u32),
}

pub(crate) struct HashStore {
    percpu: bool,
    lru: bool,
    key_size: usize,
    value_size: usize,
    stored: usize,
    ncpus: usize,
    max_entries: u32,
    /// Bucket heads as `slot + 1` (0 = empty), so the table is calloc-zeroed
    /// and costs no memory until used.
    heads: Vec<u32>,
    slots: Vec<Option<Elem>>,
    free: Vec<u32>,
    count: u32,
    seed: u32,
    recency: BTreeMap<u64, u32>,
    clock: u64,
}

fn random_u32() -> u32 {
    let h = std::collections::hash_map::RandomState::new().build_hasher();
    h.finish() as u32
}

impl HashStore {
    pub(crate) fn new(def: &MapDef, ncpus: u32) -> Result<HashStore, MapError> {
        let t = def.map_type;
        let percpu = matches!(t, MapType::PercpuHash | MapType::LruPercpuHash);
        let lru = matches!(t, MapType::LruHash | MapType::LruPercpuHash);
        let mut max_entries = def.max_entries;
        if lru && def.map_flags & BPF_F_NO_COMMON_LRU != 0 {
            // htab_map_alloc: per-CPU LRU lists split max_entries evenly.
            let n = ncpus.max(1);
            let up = max_entries.div_ceil(n).checked_mul(n);
            max_entries = match up {
                Some(v) => v,
                None => max_entries / n * n,
            };
        }
        // htab_map_alloc: n_buckets = roundup_pow_of_two(max_entries) must
        // not overflow, nor exceed U32_MAX / sizeof(struct bucket) (16).
        if max_entries > 1 << 31 || max_entries.next_power_of_two() > u32::MAX / 16 {
            return Err(err(E2BIG, "max_entries too large for the bucket table"));
        }
        let n_buckets = max_entries.next_power_of_two();
        let stored = if percpu {
            round8(def.value_size) * ncpus as usize
        } else {
            round8(def.value_size)
        };
        let prealloc = def.map_flags & BPF_F_NO_PREALLOC == 0;
        let mut bytes = u64::from(n_buckets) * 4;
        if prealloc {
            bytes += u64::from(max_entries) * (round8(def.key_size) + stored + 48) as u64;
        }
        if bytes > MAX_MAP_BYTES {
            return Err(err(
                ENOMEM,
                format!("hash map needs {bytes} bytes, over bpfbox's limit"),
            ));
        }
        let seed = if def.map_flags & BPF_F_ZERO_SEED != 0 {
            0
        } else {
            random_u32()
        };
        Ok(HashStore {
            percpu,
            lru,
            key_size: def.key_size as usize,
            value_size: def.value_size as usize,
            stored,
            ncpus: ncpus as usize,
            max_entries,
            heads: vec![0; n_buckets as usize],
            slots: Vec::new(),
            free: Vec::new(),
            count: 0,
            seed,
            recency: BTreeMap::new(),
            clock: 0,
        })
    }

    /// The effective max_entries (per-CPU LRU rounds it to a multiple of ncpus).
    pub(crate) fn max_entries(&self) -> u32 {
        self.max_entries
    }

    pub(crate) fn len(&self) -> u32 {
        self.count
    }

    fn check_key(&self, key: &[u8]) -> Result<(), MapError> {
        if key.len() != self.key_size {
            return Err(err(
                EINVAL,
                format!("key must be {} bytes, got {}", self.key_size, key.len()),
            ));
        }
        Ok(())
    }

    fn head(&self, b: usize) -> u32 {
        self.heads[b].wrapping_sub(1)
    }

    fn set_head(&mut self, b: usize, slot: u32) {
        self.heads[b] = slot.wrapping_add(1);
    }

    fn bucket_of(&self, hash: u32) -> usize {
        (hash as usize) & (self.heads.len() - 1)
    }

    fn elem(&self, slot: u32) -> &Elem {
        match &self.slots[slot as usize] {
            Some(e) => e,
            None => unreachable_slot(),
        }
    }

    fn elem_mut(&mut self, slot: u32) -> &mut Elem {
        match &mut self.slots[slot as usize] {
            Some(e) => e,
            None => unreachable_slot(),
        }
    }

    fn find(&self, key: &[u8]) -> Option<u32> {
        let hash = htab_hash(key, self.seed);
        let mut cur = self.head(self.bucket_of(hash));
        while cur != NIL {
            let e = self.elem(cur);
            if e.hash == hash && *e.key == *key {
                return Some(cur);
            }
            cur = e.next;
        }
        None
    }

    fn touch(&mut self, slot: u32) {
        if !self.lru {
            return;
        }
        self.clock += 1;
        let clock = self.clock;
        let e = self.elem_mut(slot);
        let old = std::mem::replace(&mut e.stamp, clock);
        self.recency.remove(&old);
        self.recency.insert(clock, slot);
    }

    /// Unlink `slot` from its bucket and free the slot; returns the value block.
    fn unlink(&mut self, slot: u32) -> RawBuf {
        let (b, next, stamp) = {
            let e = self.elem(slot);
            (self.bucket_of(e.hash), e.next, e.stamp)
        };
        if self.head(b) == slot {
            self.set_head(b, next);
        } else {
            let mut cur = self.head(b);
            while cur != NIL {
                let n = self.elem(cur).next;
                if n == slot {
                    self.elem_mut(cur).next = next;
                    break;
                }
                cur = n;
            }
        }
        self.recency.remove(&stamp);
        self.count -= 1;
        self.free.push(slot);
        match self.slots[slot as usize].take() {
            Some(e) => e.val,
            None => unreachable_slot(),
        }
    }

    fn link_head(&mut self, key: &[u8], val: RawBuf) -> u32 {
        let hash = htab_hash(key, self.seed);
        let b = self.bucket_of(hash);
        let e = Elem {
            key: key.into(),
            val,
            hash,
            next: self.head(b),
            stamp: 0,
        };
        let slot = match self.free.pop() {
            Some(s) => {
                self.slots[s as usize] = Some(e);
                s
            }
            None => {
                self.slots.push(Some(e));
                (self.slots.len() - 1) as u32
            }
        };
        self.set_head(b, slot);
        self.count += 1;
        self.touch(slot);
        slot
    }

    /// Value address for a program (`cpu`'s slot for per-CPU maps); marks LRU use.
    pub(crate) fn lookup_ptr(&mut self, key: &[u8], cpu: u32) -> Option<*mut u8> {
        if key.len() != self.key_size || (self.percpu && cpu as usize >= self.ncpus) {
            return None;
        }
        let slot = self.find(key)?;
        self.touch(slot);
        let off = if self.percpu {
            cpu as usize * round8(self.value_size as u32)
        } else {
            0
        };
        // SAFETY: off is inside the value block.
        Some(unsafe { self.elem(slot).val.ptr().add(off) })
    }

    fn sys_value(&self, slot: u32) -> Vec<u8> {
        let v = self.elem(slot).val.as_slice();
        if self.percpu {
            v[..self.stored].to_vec()
        } else {
            v[..self.value_size].to_vec()
        }
    }

    /// Syscall-side lookup (does not count as an LRU use).
    pub(crate) fn sys_lookup(&self, key: &[u8]) -> Result<Vec<u8>, MapError> {
        self.check_key(key)?;
        match self.find(key) {
            Some(s) => Ok(self.sys_value(s)),
            None => Err(err(ENOENT, "no such key")),
        }
    }

    /// Update; returned blocks (replaced or evicted values) must be kept until
    /// the end of the run.
    pub(crate) fn update(
        &mut self,
        key: &[u8],
        src: Src<'_>,
        flags: u64,
        grave: &mut Vec<RawBuf>,
    ) -> Result<(), MapError> {
        self.check_key(key)?;
        let bad = if self.percpu {
            flags > BPF_EXIST
        } else {
            flags & !BPF_F_LOCK > BPF_EXIST
        };
        if bad {
            return Err(err(EINVAL, format!("invalid update flags {flags:#x}")));
        }
        if flags & BPF_F_LOCK != 0 {
            return Err(err(EINVAL, "BPF_F_LOCK needs a bpf_spin_lock in the value"));
        }
        let old = self.find(key);
        let op = flags & !BPF_F_LOCK;
        if old.is_some() && op == BPF_NOEXIST {
            return Err(err(EEXIST, "key exists (BPF_NOEXIST)"));
        }
        if old.is_none() && op == BPF_EXIST {
            return Err(err(ENOENT, "no such key (BPF_EXIST)"));
        }
        let slot_sz = round8(self.value_size as u32);
        if let (Some(slot), true) = (old, self.percpu) {
            // Per-CPU maps update an existing element in place.
            let vs = self.value_size;
            let stored = self.stored;
            let e = self.elem_mut(slot);
            match src {
                Src::Sys(v) => e.val.as_mut_slice()[..stored].copy_from_slice(&v[..stored]),
                Src::Prog(v, cpu) => {
                    let o = cpu as usize * slot_sz;
                    e.val.as_mut_slice()[o..o + vs].copy_from_slice(&v[..vs]);
                }
            }
            self.touch(slot);
            return Ok(());
        }
        if old.is_none() && self.count >= self.max_entries {
            if !self.lru {
                return Err(err(E2BIG, "map is full"));
            }
            let victim = self.recency.iter().next().map(|(_, s)| *s);
            match victim {
                Some(v) => grave.push(self.unlink(v)),
                None => return Err(err(ENOMEM, "no LRU element to evict")),
            }
        }
        let mut val = RawBuf::zeroed(self.stored)?;
        match src {
            Src::Sys(v) if self.percpu => val.as_mut_slice().copy_from_slice(&v[..self.stored]),
            Src::Sys(v) => {
                val.as_mut_slice()[..self.value_size].copy_from_slice(&v[..self.value_size])
            }
            Src::Prog(v, cpu) => {
                let o = if self.percpu {
                    cpu as usize * slot_sz
                } else {
                    0
                };
                val.as_mut_slice()[o..o + self.value_size].copy_from_slice(&v[..self.value_size]);
            }
        }
        self.link_head(key, val);
        if let Some(o) = old {
            grave.push(self.unlink(o));
        }
        Ok(())
    }

    pub(crate) fn delete(&mut self, key: &[u8], grave: &mut Vec<RawBuf>) -> Result<(), MapError> {
        self.check_key(key)?;
        match self.find(key) {
            Some(s) => {
                grave.push(self.unlink(s));
                Ok(())
            }
            None => Err(err(ENOENT, "no such key")),
        }
    }

    pub(crate) fn lookup_and_delete(
        &mut self,
        key: &[u8],
        grave: &mut Vec<RawBuf>,
    ) -> Result<Vec<u8>, MapError> {
        self.check_key(key)?;
        match self.find(key) {
            Some(s) => {
                let v = self.sys_value(s);
                grave.push(self.unlink(s));
                Ok(v)
            }
            None => Err(err(ENOENT, "no such key")),
        }
    }

    fn first_from(&self, bucket: usize) -> Option<u32> {
        self.heads[bucket..]
            .iter()
            .find(|h| **h != 0)
            .map(|h| h - 1)
    }

    /// `htab_map_get_next_key`: an unknown key restarts from the first element.
    pub(crate) fn get_next_key(&self, key: Option<&[u8]>) -> Result<Vec<u8>, MapError> {
        let mut start = 0usize;
        if let Some(k) = key {
            self.check_key(k)?;
            if let Some(s) = self.find(k) {
                let e = self.elem(s);
                if e.next != NIL {
                    return Ok(self.elem(e.next).key.to_vec());
                }
                start = self.bucket_of(e.hash) + 1;
            }
        }
        if start < self.heads.len() {
            if let Some(s) = self.first_from(start) {
                return Ok(self.elem(s).key.to_vec());
            }
        }
        Err(err(ENOENT, "no more keys"))
    }

    /// All (key, syscall value) pairs in `get_next_key` order.
    pub(crate) fn entries(&self) -> Vec<(Vec<u8>, Vec<u8>)> {
        let mut out = Vec::with_capacity(self.count as usize);
        for &h in &self.heads {
            let mut cur = h.wrapping_sub(1);
            while cur != NIL {
                out.push((self.elem(cur).key.to_vec(), self.sys_value(cur)));
                cur = self.elem(cur).next;
            }
        }
        out
    }
}

#[cold]
fn unreachable_slot() -> ! {
    // Slots referenced from buckets or the recency index are always live; a
    // miss is a bug in this module, not a reachable input condition.
    panic!("bpfbox-maps: hash slot invariant broken")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k(i: u32) -> Vec<u8> {
        i.to_ne_bytes().to_vec()
    }

    fn store(t: MapType, max: u32, ncpus: u32) -> HashStore {
        let def = MapDef::new(t, 4, 4, max).with_flags(BPF_F_ZERO_SEED);
        HashStore::new(&def, ncpus).unwrap()
    }

    #[test]
    fn flags_and_full() {
        let mut g = Vec::new();
        let mut h = store(MapType::Hash, 2, 1);
        let mut up = |h: &mut HashStore, i: u32, f: u64| {
            h.update(&k(i), Src::Sys(&k(i)), f, &mut g)
                .map(|_| 0)
                .unwrap_or_else(|e| e.errno())
        };
        assert_eq!(up(&mut h, 1, BPF_ANY), 0);
        assert_eq!(up(&mut h, 2, BPF_NOEXIST), 0);
        assert_eq!(up(&mut h, 3, BPF_ANY), E2BIG);
        assert_eq!(up(&mut h, 3, BPF_NOEXIST), E2BIG);
        assert_eq!(up(&mut h, 3, BPF_EXIST), ENOENT);
        assert_eq!(up(&mut h, 1, BPF_NOEXIST), EEXIST);
        assert_eq!(up(&mut h, 1, BPF_EXIST), 0, "replacing works when full");
        assert_eq!(up(&mut h, 1, BPF_F_LOCK), EINVAL);
        assert_eq!(up(&mut h, 1, 3), EINVAL);
        assert_eq!(h.len(), 2);
        assert_eq!(h.sys_lookup(&k(1)).unwrap(), k(1));
        assert_eq!(h.sys_lookup(&k(9)).unwrap_err().errno(), ENOENT);
    }

    #[test]
    fn replaced_value_moves_and_old_block_is_kept() {
        let mut g = Vec::new();
        let mut h = store(MapType::Hash, 4, 1);
        h.update(&k(1), Src::Sys(&k(10)), BPF_ANY, &mut g).unwrap();
        let p1 = h.lookup_ptr(&k(1), 0).unwrap();
        h.update(&k(1), Src::Sys(&k(11)), BPF_ANY, &mut g).unwrap();
        let p2 = h.lookup_ptr(&k(1), 0).unwrap();
        assert_ne!(p1, p2);
        assert_eq!(g.len(), 1);
        assert_eq!(g[0].ptr(), p1);
        // SAFETY: p1 is still owned by the graveyard.
        assert_eq!(unsafe { *p1 }, 10);
    }

    #[test]
    fn next_key_walks_buckets_and_restarts_on_unknown() {
        let mut g = Vec::new();
        let mut h = store(MapType::Hash, 8, 1);
        for i in 0..6 {
            h.update(&k(i), Src::Sys(&k(i)), BPF_ANY, &mut g).unwrap();
        }
        let mut seen = Vec::new();
        let mut cur: Option<Vec<u8>> = None;
        while let Ok(n) = h.get_next_key(cur.as_deref()) {
            seen.push(n.clone());
            cur = Some(n);
        }
        let expect: Vec<Vec<u8>> = h.entries().into_iter().map(|(k, _)| k).collect();
        assert_eq!(seen, expect);
        assert_eq!(seen.len(), 6);
        assert_eq!(h.get_next_key(Some(&k(99))).unwrap(), expect[0]);
        assert_eq!(
            store(MapType::Hash, 1, 1)
                .get_next_key(None)
                .unwrap_err()
                .errno(),
            ENOENT
        );
    }

    #[test]
    fn lru_evicts_least_recently_used() {
        let mut g = Vec::new();
        let mut h = store(MapType::LruHash, 3, 1);
        for i in 0..3 {
            h.update(&k(i), Src::Sys(&k(i)), BPF_ANY, &mut g).unwrap();
        }
        h.lookup_ptr(&k(0), 0).unwrap();
        h.update(&k(3), Src::Sys(&k(3)), BPF_NOEXIST, &mut g)
            .unwrap();
        assert!(h.sys_lookup(&k(1)).is_err(), "1 was least recently used");
        assert!(h.sys_lookup(&k(0)).is_ok());
        assert_eq!(h.len(), 3);
        assert_eq!(g.len(), 1);
    }

    #[test]
    fn percpu_values() {
        let mut g = Vec::new();
        let mut h = store(MapType::PercpuHash, 2, 2);
        h.update(&k(1), Src::Prog(&[7, 7, 7, 7], 1), BPF_ANY, &mut g)
            .unwrap();
        assert_eq!(
            h.sys_lookup(&k(1)).unwrap(),
            vec![0, 0, 0, 0, 0, 0, 0, 0, 7, 7, 7, 7, 0, 0, 0, 0]
        );
        let p = h.lookup_ptr(&k(1), 1).unwrap();
        let all: Vec<u8> = (0..16).collect();
        h.update(&k(1), Src::Sys(&all), BPF_EXIST, &mut g).unwrap();
        assert_eq!(
            h.lookup_ptr(&k(1), 1).unwrap(),
            p,
            "per-CPU update is in place"
        );
        assert_eq!(h.sys_lookup(&k(1)).unwrap(), all);
        assert!(h.lookup_ptr(&k(1), 2).is_none());
        assert_eq!(
            h.update(&k(1), Src::Sys(&all), BPF_F_LOCK, &mut g)
                .unwrap_err()
                .errno(),
            EINVAL
        );
    }

    #[test]
    fn per_cpu_lru_rounds_max_entries() {
        let def = MapDef::new(MapType::LruHash, 4, 4, 5).with_flags(BPF_F_NO_COMMON_LRU);
        assert_eq!(HashStore::new(&def, 4).unwrap().max_entries(), 8);
    }
}

//! [`Map`]: creation and the syscall-side operations (`BPF_MAP_*_ELEM`,
//! `BPF_MAP_GET_NEXT_KEY`, `BPF_MAP_FREEZE`) with the kernel's errnos.

use crate::array::{index_of, next_index, ArrayStore};
use crate::bloom::BloomStore;
use crate::def::{round8, MapConfig, MapDef, MapType};
use crate::devmap::DevStore;
use crate::error::{err, errno::*, MapError};
use crate::fdarray::FdArray;
use crate::flags::*;
use crate::hash::{HashStore, Src};
use crate::lpm::LpmStore;
use crate::queue::QueueStore;
use crate::rawbuf::RawBuf;
use crate::ringbuf::RingStore;
use crate::skstorage::SkStorageStore;
use crate::stackmap::StackStore;
use crate::storage::StorageStore;

pub(crate) enum Store {
    Array(ArrayStore),
    Hash(HashStore),
    Lpm(LpmStore),
    Queue(QueueStore),
    Bloom(BloomStore),
    Ring(RingStore),
    Fd(FdArray),
    Dev(DevStore),
    Storage(StorageStore),
    Stack(StackStore),
    SkStorage(SkStorageStore),
}

/// A map instance. Not `Clone`: program-side pointers refer into it.
pub struct Map {
    pub(crate) def: MapDef,
    pub(crate) cfg: MapConfig,
    pub(crate) frozen: bool,
    pub(crate) store: Store,
    /// Blocks of deleted or replaced elements, freed by `end_of_run`.
    pub(crate) grave: Vec<RawBuf>,
}

impl std::fmt::Debug for Map {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Map")
            .field("def", &self.def)
            .field("cfg", &self.cfg)
            .field("frozen", &self.frozen)
            .finish_non_exhaustive()
    }
}

/// Cgroup storage seen from user space: bpfbox models no attachment, so
/// (like the kernel under `BPF_PROG_TEST_RUN`) no storage is linked.
fn no_storage() -> MapError {
    err(
        ENOENT,
        "no cgroup storage is linked to this map (the program is not attached)",
    )
}

fn not_supp(what: &str, t: MapType) -> MapError {
    err(
        ENOTSUPP,
        format!("{what} is not supported on {} maps", t.name()),
    )
}

impl Map {
    /// Create a map, validating `def` as `BPF_MAP_CREATE` does.
    pub fn new(def: MapDef, cfg: MapConfig) -> Result<Map, MapError> {
        if cfg.ncpus == 0 || cfg.current_cpu >= cfg.ncpus {
            return Err(err(
                EINVAL,
                "MapConfig needs ncpus > 0 and current_cpu < ncpus",
            ));
        }
        def.validate()?;
        let store = match def.map_type {
            MapType::Array | MapType::PercpuArray => {
                Store::Array(ArrayStore::new(&def, cfg.ncpus)?)
            }
            MapType::ProgArray
            | MapType::PerfEventArray
            | MapType::CgroupArray
            | MapType::ArrayOfMaps
            | MapType::Sockmap
            | MapType::ReuseportSockarray => Store::Fd(FdArray::new(def.max_entries)?),
            MapType::Hash
            | MapType::PercpuHash
            | MapType::LruHash
            | MapType::LruPercpuHash
            | MapType::HashOfMaps
            | MapType::Sockhash => Store::Hash(HashStore::new(&def, cfg.ncpus)?),
            MapType::LpmTrie => Store::Lpm(LpmStore::new(&def)),
            MapType::Queue | MapType::Stack => Store::Queue(QueueStore::new(&def)?),
            MapType::BloomFilter => Store::Bloom(BloomStore::new(&def)?),
            MapType::Ringbuf => Store::Ring(RingStore::new(def.max_entries)?),
            MapType::Devmap | MapType::DevmapHash | MapType::Cpumap | MapType::Xskmap => {
                Store::Dev(DevStore::new(&def, cfg.ncpus)?)
            }
            MapType::CgroupStorage | MapType::PercpuCgroupStorage => {
                Store::Storage(StorageStore::new(&def, cfg.ncpus)?)
            }
            MapType::StackTrace => Store::Stack(StackStore::new(&def)?),
            MapType::SkStorage => Store::SkStorage(SkStorageStore::new(&def)),
        };
        let mut def = def;
        if let Store::Hash(h) = &store {
            def.max_entries = h.max_entries();
        }
        Ok(Map {
            def,
            cfg,
            frozen: false,
            store,
            grave: Vec::new(),
        })
    }

    /// The definition (`max_entries` as adjusted by the kernel rules, e.g.
    /// per-CPU LRU rounding).
    pub fn def(&self) -> &MapDef {
        &self.def
    }

    /// The map type.
    pub fn map_type(&self) -> MapType {
        self.def.map_type
    }

    /// The runtime configuration.
    pub fn config(&self) -> MapConfig {
        self.cfg
    }

    /// Has `freeze` been called?
    pub fn is_frozen(&self) -> bool {
        self.frozen
    }

    /// Size of a value on the syscall side: `ncpus * round_up(value_size, 8)`
    /// for per-CPU maps, 4 for handle maps, `value_size` otherwise.
    pub fn sys_value_size(&self) -> usize {
        let t = self.def.map_type;
        if t.is_percpu() {
            round8(self.def.value_size) * self.cfg.ncpus as usize
        } else {
            self.def.value_size as usize
        }
    }

    /// Number of elements: arrays count every index, handle arrays their set
    /// slots, queues their values; bloom filters and ring buffers report 0.
    pub fn len(&self) -> usize {
        match &self.store {
            Store::Array(_) => self.def.max_entries as usize,
            Store::Fd(f) => f.count(),
            Store::Hash(h) => h.len() as usize,
            Store::Lpm(l) => l.len(),
            Store::Queue(q) => q.len() as usize,
            Store::Bloom(_) | Store::Ring(_) | Store::Storage(_) => 0,
            Store::Dev(d) => d.len(),
            Store::Stack(st) => st.len(),
            Store::SkStorage(st) => st.len(),
        }
    }

    /// `len() == 0`.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn can_read(&self) -> Result<(), MapError> {
        if self.def.map_flags & BPF_F_WRONLY != 0 {
            return Err(err(EPERM, "map was created write-only (BPF_F_WRONLY)"));
        }
        Ok(())
    }

    fn can_write(&self) -> Result<(), MapError> {
        if self.def.map_flags & BPF_F_RDONLY != 0 {
            return Err(err(EPERM, "map was created read-only (BPF_F_RDONLY)"));
        }
        if self.frozen {
            return Err(err(EPERM, "map is frozen"));
        }
        Ok(())
    }

    fn check_key(&self, key: &[u8]) -> Result<(), MapError> {
        if key.len() != self.def.key_size as usize {
            return Err(err(
                EINVAL,
                format!("key must be {} bytes, got {}", self.def.key_size, key.len()),
            ));
        }
        Ok(())
    }

    fn check_value(&self, value: &[u8]) -> Result<(), MapError> {
        let want = self.sys_value_size();
        if value.len() != want {
            return Err(err(
                EINVAL,
                format!("value must be {want} bytes, got {}", value.len()),
            ));
        }
        Ok(())
    }

    /// `BPF_MAP_LOOKUP_ELEM` with no flags.
    pub fn lookup(&self, key: &[u8]) -> Result<Vec<u8>, MapError> {
        self.lookup_with_flags(key, 0)
    }

    /// `BPF_MAP_LOOKUP_ELEM`. Any flag is `EINVAL` (`BPF_F_LOCK` needs a spin
    /// lock, which values without BTF cannot have). Queue/stack: peek.
    /// Bloom filters need the value: use [`Map::bloom_lookup`].
    pub fn lookup_with_flags(&self, key: &[u8], flags: u64) -> Result<Vec<u8>, MapError> {
        self.can_read()?;
        if flags != 0 {
            return Err(err(EINVAL, format!("invalid lookup flags {flags:#x}")));
        }
        self.check_key(key)?;
        let t = self.def.map_type;
        if t.is_sock() {
            return self.sock_lookup_sys(key);
        }
        match &self.store {
            Store::Array(a) => a.sys_lookup(index_of(key)?),
            Store::Fd(f) => {
                if matches!(t, MapType::PerfEventArray | MapType::CgroupArray) {
                    return Err(not_supp("lookup", t));
                }
                match f.get(index_of(key)?) {
                    Some(h) => Ok(h.to_ne_bytes().to_vec()),
                    None => Err(err(ENOENT, "slot is empty")),
                }
            }
            Store::Hash(h) => h.sys_lookup(key),
            Store::Lpm(l) => l.sys_lookup(key),
            Store::Queue(q) => {
                // Peek without mutation: the first value in pop order.
                q.values()
                    .into_iter()
                    .next()
                    .ok_or_else(|| err(ENOENT, "map is empty"))
            }
            Store::Bloom(_) => Err(err(
                EINVAL,
                "bloom filter lookups take a value: use bloom_lookup",
            )),
            Store::Ring(_) => Err(not_supp("lookup", t)),
            Store::Dev(d) => d.sys_lookup(index_of(key)?),
            Store::Storage(_) => Err(no_storage()),
            Store::Stack(st) => st.sys_lookup(index_of(key)?),
            Store::SkStorage(st) => st.sys_lookup(index_of(key)?),
        }
    }

    /// `BPF_MAP_LOOKUP_ELEM` on a bloom filter: `Ok` if `value` may be
    /// present, `ENOENT` if it is definitely absent.
    pub fn bloom_lookup(&self, value: &[u8]) -> Result<(), MapError> {
        self.can_read()?;
        match &self.store {
            Store::Bloom(b) => {
                if value.len() != self.def.value_size as usize {
                    return Err(err(EINVAL, "value has the wrong size"));
                }
                b.peek(value)
            }
            _ => Err(err(EINVAL, "not a bloom filter")),
        }
    }

    /// `BPF_MAP_UPDATE_ELEM`. Handle maps: prog_array and perf_event_array
    /// store the value as an opaque u32 handle; map-in-map needs
    /// [`Map::update_inner`]. Queue, stack and bloom filter: push (key empty).
    pub fn update(&mut self, key: &[u8], value: &[u8], flags: u64) -> Result<(), MapError> {
        self.can_write()?;
        if flags & BPF_F_LOCK != 0 {
            return Err(err(EINVAL, "BPF_F_LOCK needs a bpf_spin_lock in the value"));
        }
        self.check_key(key)?;
        let t = self.def.map_type;
        if t == MapType::Ringbuf {
            return Err(not_supp("update", t));
        }
        self.check_value(value)?;
        if t.is_sock() {
            return self.sock_update_sys(key, value, flags);
        }
        let cpu = self.cfg.current_cpu;
        match &mut self.store {
            Store::Array(a) => a.update(index_of(key)?, value, flags, true, cpu),
            Store::Fd(f) => {
                if t == MapType::ArrayOfMaps {
                    return Err(err(
                        EINVAL,
                        "array_of_maps values are set with update_inner",
                    ));
                }
                let idx = index_of(key)?;
                f.check_update(idx, flags)?;
                f.set(
                    idx,
                    u32::from_ne_bytes([value[0], value[1], value[2], value[3]]),
                );
                Ok(())
            }
            Store::Hash(h) => {
                if t == MapType::HashOfMaps {
                    return Err(err(EINVAL, "hash_of_maps values are set with update_inner"));
                }
                h.update(key, Src::Sys(value), flags, &mut self.grave)
            }
            Store::Lpm(l) => l.update(key, value, flags, &mut self.grave),
            Store::Queue(q) => q.push(value, flags),
            Store::Bloom(b) => b.push(value, flags),
            Store::Ring(_) => Err(not_supp("update", t)),
            Store::Dev(d) => d.update(index_of(key)?, value, flags),
            Store::Storage(_) => Err(no_storage()),
            Store::Stack(_) => Err(err(
                EINVAL,
                "stack_trace elements are set by bpf_get_stackid",
            )),
            Store::SkStorage(st) => st.update(index_of(key)?, value, flags, &mut self.grave),
        }
    }

    /// `BPF_MAP_UPDATE_ELEM` on a map-in-map: store inner map `inner_id`,
    /// whose definition is `inner_def`, after the kernel's template check
    /// (`bpf_map_meta_equal`; `EINVAL` when incompatible).
    pub fn update_inner(
        &mut self,
        key: &[u8],
        inner_id: u32,
        inner_def: &MapDef,
        flags: u64,
    ) -> Result<(), MapError> {
        self.can_write()?;
        if flags & BPF_F_LOCK != 0 {
            return Err(err(EINVAL, "BPF_F_LOCK needs a bpf_spin_lock in the value"));
        }
        self.check_key(key)?;
        let compatible = match self.def.inner.as_deref() {
            Some(tmpl) => tmpl.meta_equal(inner_def),
            None => false,
        };
        let incompatible = || err(EINVAL, "inner map does not match the map-in-map template");
        let t = self.def.map_type;
        match &mut self.store {
            Store::Fd(f) if t == MapType::ArrayOfMaps => {
                let idx = index_of(key)?;
                f.check_update(idx, flags)?;
                if !compatible {
                    return Err(incompatible());
                }
                f.set(idx, inner_id);
                Ok(())
            }
            Store::Hash(h) if t == MapType::HashOfMaps => {
                if !compatible {
                    return Err(incompatible());
                }
                h.update(
                    key,
                    Src::Sys(&inner_id.to_ne_bytes()),
                    flags,
                    &mut self.grave,
                )
            }
            _ => Err(err(EINVAL, format!("{} is not a map-in-map", t.name()))),
        }
    }

    /// `BPF_MAP_DELETE_ELEM`.
    pub fn delete(&mut self, key: &[u8]) -> Result<(), MapError> {
        self.can_write()?;
        self.check_key(key)?;
        let t = self.def.map_type;
        if t.is_sock() {
            return self.sock_delete_sys(key);
        }
        match &mut self.store {
            Store::Array(_) => Err(err(EINVAL, "array elements cannot be deleted")),
            Store::Fd(f) => f.delete(index_of(key)?),
            Store::Hash(h) => h.delete(key, &mut self.grave),
            Store::Lpm(l) => l.delete(key, &mut self.grave),
            Store::Queue(_) => Err(err(EINVAL, "delete is not valid on queue/stack maps")),
            Store::Bloom(_) => Err(err(EOPNOTSUPP, "bloom filters do not support delete")),
            Store::Ring(_) => Err(not_supp("delete", t)),
            Store::Dev(d) => d.delete(index_of(key)?),
            Store::Storage(_) => Err(err(EINVAL, "cgroup storage cannot be deleted")),
            Store::Stack(st) => st.delete(index_of(key)?),
            Store::SkStorage(st) => st.delete(index_of(key)?, &mut self.grave),
        }
    }

    /// `BPF_MAP_GET_NEXT_KEY`: `None` (or an unknown key) starts from the first key.
    pub fn get_next_key(&self, key: Option<&[u8]>) -> Result<Vec<u8>, MapError> {
        self.can_read()?;
        if let Some(k) = key {
            self.check_key(k)?;
        }
        let t = self.def.map_type;
        match &self.store {
            Store::Array(_) | Store::Fd(_) => next_index(key, self.def.max_entries),
            Store::Hash(h) => h.get_next_key(key),
            Store::Lpm(l) => l.get_next_key(key),
            Store::Queue(_) => Err(err(EINVAL, "queue/stack maps have no keys")),
            Store::Bloom(_) => Err(err(EOPNOTSUPP, "bloom filters have no keys")),
            Store::Ring(_) => Err(not_supp("get_next_key", t)),
            Store::Dev(d) if t == MapType::DevmapHash => {
                d.hash_next_key(key.map(index_of).transpose()?)
            }
            Store::Dev(_) => next_index(key, self.def.max_entries),
            Store::Storage(_) => Err(no_storage()),
            Store::Stack(st) => st.get_next_key(key.map(index_of).transpose()?),
            Store::SkStorage(st) => st.get_next_key(),
        }
    }

    /// `BPF_MAP_LOOKUP_AND_DELETE_ELEM`: queue/stack pop, or hash lookup and
    /// delete; other types `ENOTSUPP`. Any flag is `EINVAL` (no spin locks).
    pub fn lookup_and_delete(&mut self, key: &[u8], flags: u64) -> Result<Vec<u8>, MapError> {
        if flags & !BPF_F_LOCK != 0 {
            return Err(err(EINVAL, format!("invalid flags {flags:#x}")));
        }
        self.can_read()?;
        self.can_write()?;
        if flags != 0 {
            return Err(err(EINVAL, "BPF_F_LOCK needs a bpf_spin_lock in the value"));
        }
        self.check_key(key)?;
        let t = self.def.map_type;
        match &mut self.store {
            Store::Queue(q) => q.get(true),
            Store::Hash(h) if t != MapType::HashOfMaps => h.lookup_and_delete(key, &mut self.grave),
            Store::Stack(st) => st.lookup_and_delete(index_of(key)?),
            _ => Err(not_supp("lookup_and_delete", t)),
        }
    }

    /// `BPF_MAP_FREEZE`: later syscall-side writes fail with `EPERM`
    /// (program-side writes are unaffected). Freezing twice is `EPERM` too.
    pub fn freeze(&mut self) -> Result<(), MapError> {
        self.can_write()?;
        self.frozen = true;
        Ok(())
    }

    /// Every (key, syscall-side value) pair, in `get_next_key` order, for
    /// dumps. Arrays list every index; handle arrays list set slots; queues and
    /// stacks list values in pop order with empty keys; bloom filters and ring
    /// buffers list nothing.
    pub fn entries(&self) -> impl Iterator<Item = (Vec<u8>, Vec<u8>)> {
        let v: Vec<(Vec<u8>, Vec<u8>)> = match &self.store {
            _ if self.def.map_type.is_sock() => self.sock_entries(),
            Store::Array(a) => (0..self.def.max_entries)
                .filter_map(|i| a.sys_lookup(i).ok().map(|v| (i.to_ne_bytes().to_vec(), v)))
                .collect(),
            Store::Fd(f) => f.entries(),
            Store::Hash(h) => h.entries(),
            Store::Lpm(l) => l.entries(),
            Store::Queue(q) => q.values().into_iter().map(|v| (Vec::new(), v)).collect(),
            Store::Bloom(_) | Store::Ring(_) | Store::Storage(_) => Vec::new(),
            Store::Dev(d) => d.entries(),
            Store::Stack(st) => st.entries(),
            Store::SkStorage(st) => st.entries(),
        };
        v.into_iter()
    }

    /// What a dump lists: [`Map::entries`], except that arrays (plain and
    /// per-CPU) list only elements whose value is not all zero. Every
    /// element of an array exists, but one never written holds zeroes, and
    /// listing those of a 33M-entry array would cost what storing them
    /// does; this costs memory proportional to the elements touched.
    pub fn dump_entries(&self) -> Vec<(Vec<u8>, Vec<u8>)> {
        match &self.store {
            Store::Array(a) => a.nonzero(),
            _ => self.entries().collect(),
        }
    }

    /// Bytes of element storage arrays have allocated (0 for other types):
    /// big arrays allocate each element when first touched.
    pub fn allocated_bytes(&self) -> usize {
        match &self.store {
            Store::Array(a) => a.allocated_bytes(),
            _ => 0,
        }
    }
}

#[cfg(test)]
mod tests;

//! `BPF_MAP_TYPE_CGROUP_STORAGE` and `BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE`
//! (kernel/bpf/local_storage.c): one value per (cgroup, attach type) a
//! program is attached to, reached from the program only through
//! `bpf_get_local_storage`. bpfbox models one cgroup: one storage block
//! (per CPU for the per-CPU type).
//!
//! Storage exists in the kernel only while a program is attached; under
//! `BPF_PROG_TEST_RUN` the kernel allocates a fresh zeroed storage for the
//! run and never links it into the map, so user-space lookups find nothing.
//! bpfbox's syscall side answers the same way (`ENOENT`), and
//! [`crate::Map::reset_storage`] zeroes the block at the start of a test
//! run.

use crate::def::{round8, MapDef, MapType, PCPU_MIN_UNIT_SIZE};
use crate::error::{err, errno::*, MapError};
use crate::flags::*;
use crate::rawbuf::RawBuf;

/// `sizeof(struct bpf_cgroup_storage_key)`: u64 cgroup inode id, u32
/// attach type, padded.
const KEY_SIZE: u32 = 16;
/// `BPF_LOCAL_STORAGE_MAX_VALUE_SIZE` on 6.18 x86-64 (U16_MAX minus the
/// element header), measured with BPF_MAP_CREATE.
pub(crate) const MAX_VALUE_SIZE: u32 = 65407;

/// The create-time checks of `cgroup_storage_map_alloc`.
pub(crate) fn check(d: &MapDef) -> Result<(), MapError> {
    if d.key_size != KEY_SIZE && d.key_size != 8 {
        return Err(err(
            EINVAL,
            "key_size must be 8 (cgroup id) or 16 (cgroup id + attach type)",
        ));
    }
    if d.value_size == 0 {
        return Err(err(EINVAL, "value_size must not be 0"));
    }
    let max = if d.map_type == MapType::PercpuCgroupStorage {
        PCPU_MIN_UNIT_SIZE as u32
    } else {
        MAX_VALUE_SIZE
    };
    if d.value_size > max {
        return Err(err(E2BIG, format!("value_size above {max}")));
    }
    let allowed =
        BPF_F_NUMA_NODE | BPF_F_RDONLY | BPF_F_WRONLY | BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG;
    if d.map_flags & !allowed != 0 {
        return Err(err(EINVAL, "unsupported map_flags for cgroup storage"));
    }
    if d.max_entries != 0 {
        return Err(err(EINVAL, "max_entries must be 0 (storage is per cgroup)"));
    }
    Ok(())
}

/// The storage block of the one modelled cgroup.
pub(crate) struct StorageStore {
    buf: RawBuf,
    elem: usize,
    ncpus: usize,
}

impl StorageStore {
    pub(crate) fn new(def: &MapDef, ncpus: u32) -> Result<StorageStore, MapError> {
        let percpu = def.map_type == MapType::PercpuCgroupStorage;
        let ncpus = if percpu { ncpus as usize } else { 1 };
        let elem = round8(def.value_size);
        Ok(StorageStore {
            buf: RawBuf::zeroed(elem * ncpus)?,
            elem,
            ncpus,
        })
    }

    /// `bpf_get_local_storage`: this CPU's block (CPU 0 for the shared type).
    pub(crate) fn ptr(&self, cpu: u32) -> *mut u8 {
        let cpu = (cpu as usize).min(self.ncpus - 1);
        self.buf.ptr().wrapping_add(cpu * self.elem)
    }

    /// Zeroes the storage (a new test run's fresh storage).
    pub(crate) fn reset(&mut self) {
        self.buf.as_mut_slice().fill(0);
    }

    pub(crate) fn region(&self) -> (*mut u8, usize) {
        (self.buf.ptr(), self.buf.len())
    }
}

#[cfg(test)]
mod tests {
    use crate::{Map, MapConfig, MapDef, MapType};

    fn def(t: MapType, key: u32, value: u32, max: u32) -> MapDef {
        MapDef::new(t, key, value, max)
    }

    /// Errnos measured with BPF_MAP_CREATE on 6.18 (bpftool map create).
    #[test]
    fn create_checks_match_the_kernel() {
        use MapType::{CgroupStorage as C, PercpuCgroupStorage as P};
        let cfg = MapConfig::default();
        let errno = |d: MapDef| Map::new(d, cfg).err().map(|e| e.errno());
        for t in [C, P] {
            assert_eq!(errno(def(t, 8, 8, 0)), None);
            assert_eq!(errno(def(t, 16, 8, 0)), None);
            assert_eq!(errno(def(t, 12, 8, 0)), Some(22));
            assert_eq!(errno(def(t, 4, 8, 0)), Some(22));
            assert_eq!(errno(def(t, 8, 8, 1)), Some(22));
            assert_eq!(errno(def(t, 8, 0, 0)), Some(22));
            assert_eq!(errno(def(t, 8, 32768, 0)), None);
            assert_eq!(errno(def(t, 8, 65536, 0)), Some(7));
            assert_eq!(errno(def(t, 8, 8, 0).with_flags(1)), Some(22));
            assert_eq!(errno(def(t, 8, 8, 0).with_flags(128)), None);
        }
        assert_eq!(errno(def(C, 8, 65407, 0)), None);
        assert_eq!(errno(def(C, 8, 65408, 0)), Some(7));
        assert_eq!(errno(def(P, 8, 32769, 0)), Some(7));
    }

    #[test]
    fn storage_is_program_side_only() {
        let cfg = MapConfig {
            ncpus: 2,
            current_cpu: 1,
        };
        let mut m = Map::new(def(MapType::PercpuCgroupStorage, 8, 4, 0), cfg).unwrap();
        let p0 = m.storage_ptr(0).unwrap();
        let p1 = m.storage_ptr(1).unwrap();
        assert_eq!(p1 as usize - p0 as usize, 8);
        // SAFETY: p1 points into the map's live 16-byte block.
        unsafe { *p1 = 7 };
        assert_eq!(m.lookup(&[0; 8]).unwrap_err().errno(), 2);
        assert!(m.entries().next().is_none());
        m.reset_storage();
        // SAFETY: as above.
        assert_eq!(unsafe { *p1 }, 0);
    }
}

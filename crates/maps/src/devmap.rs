//! Redirect target maps (kernel/bpf/devmap.c, cpumap.c, net/xdp/xskmap.c):
//! `devmap`, `devmap_hash`, `cpumap` and `xskmap`, the maps
//! `bpf_redirect_map` sends XDP frames through.
//!
//! Values as the syscall side sees them:
//!
//! * devmap / devmap_hash: `struct bpf_devmap_val` — `ifindex` (u32), and
//!   with an 8-byte value a program handle (the kernel takes an fd of an
//!   `XDP`/`BPF_XDP_DEVMAP` program and reports its id; bpfbox stores the
//!   caller's handle, `<= 0` meaning none). An unknown ifindex is `EINVAL`;
//!   the devices a map knows are set with [`crate::Map::set_devices`]
//!   (default: loopback, ifindex 1).
//! * cpumap: `struct bpf_cpumap_val` — `qsize` (u32, 0 deletes, above
//!   16384 is `EOVERFLOW`), and with 8 bytes a program handle; the key must
//!   be a possible CPU (`ENODEV`).
//! * xskmap: an AF_XDP socket handle (opaque, like sockmap values); the
//!   syscall side cannot read it back (`EOPNOTSUPP`).
//!
//! Programs cannot update or delete these maps (the verifier allows only
//! `bpf_redirect_map`, and `bpf_map_lookup_elem` for devmaps and xskmaps).
//! Iteration: the array types walk indices like arrays; devmap_hash walks
//! its `roundup_pow_of_two(max_entries)` buckets (`key & (n - 1)`), newest
//! element first within a bucket, as the kernel's hlists do.

use crate::def::{MapDef, MapType};
use crate::error::{err, errno::*, MapError};
use crate::flags::*;
use crate::rawbuf::RawBuf;

/// `CONFIG_NR_CPUS` of the reference kernel (6.18 as built for this
/// project's VM: `/sys/devices/system/cpu/kernel_max` + 1): the largest
/// cpumap.
pub const NR_CPUS: u32 = 256;

/// Largest cpumap queue size (`qsize`).
const CPUMAP_MAX_QSIZE: u32 = 16384;

/// Flags devmap, devmap_hash and xskmap may be created with.
const DEV_CREATE_FLAG_MASK: u32 = BPF_F_NUMA_NODE | BPF_F_RDONLY | BPF_F_WRONLY;

/// The kernel's create-time checks (`dev_map_alloc_check`,
/// `cpu_map_alloc`, `xsk_map_alloc`).
pub(crate) fn check(d: &MapDef) -> Result<(), MapError> {
    let t = d.map_type;
    let two_sizes = d.value_size == 4 || d.value_size == 8;
    let (value_ok, flags_ok) = match t {
        MapType::Devmap | MapType::DevmapHash => {
            (two_sizes, d.map_flags & !DEV_CREATE_FLAG_MASK == 0)
        }
        MapType::Cpumap => (two_sizes, d.map_flags & !BPF_F_NUMA_NODE == 0),
        _ => (d.value_size == 4, d.map_flags & !DEV_CREATE_FLAG_MASK == 0),
    };
    if d.max_entries == 0 || d.key_size != 4 || !value_ok || !flags_ok {
        return Err(err(
            EINVAL,
            format!(
                "{} needs max_entries > 0, key_size 4, value_size {} and no other flags",
                t.name(),
                if t == MapType::Xskmap { "4" } else { "4 or 8" }
            ),
        ));
    }
    if t == MapType::Cpumap && d.max_entries > NR_CPUS {
        return Err(err(
            E2BIG,
            format!("cpumap max_entries above NR_CPUS ({NR_CPUS})"),
        ));
    }
    if t == MapType::DevmapHash && d.max_entries.checked_next_power_of_two().is_none() {
        return Err(err(EINVAL, "devmap_hash bucket count overflows"));
    }
    Ok(())
}

pub(crate) struct DevStore {
    kind: MapType,
    vs: usize,
    max: u32,
    /// One value cell per slot (programs read devmap values in place).
    cells: RawBuf,
    /// Key held by each slot (arrays: the index itself).
    keys: Vec<Option<u32>>,
    /// Insertion stamp per slot (devmap_hash bucket order).
    stamp: Vec<u64>,
    next_stamp: u64,
    /// ifindexes devmap values may name.
    devices: Vec<u32>,
    /// Possible CPUs (cpumap keys).
    ncpus: u32,
}

impl DevStore {
    pub(crate) fn new(def: &MapDef, ncpus: u32) -> Result<DevStore, MapError> {
        let n = def.max_entries as usize;
        if (n as u64) * u64::from(def.value_size) > crate::def::MAX_MAP_BYTES {
            return Err(err(ENOMEM, "map too large for bpfbox"));
        }
        Ok(DevStore {
            kind: def.map_type,
            vs: def.value_size as usize,
            max: def.max_entries,
            cells: RawBuf::zeroed(n * def.value_size as usize)?,
            keys: vec![None; n],
            stamp: vec![0; n],
            next_stamp: 1,
            devices: vec![1],
            ncpus,
        })
    }

    pub(crate) fn set_devices(&mut self, ifindexes: &[u32]) {
        self.devices = ifindexes.to_vec();
    }

    fn is_hash(&self) -> bool {
        self.kind == MapType::DevmapHash
    }

    /// Slot holding `key`, if present.
    fn slot_of(&self, key: u32) -> Option<usize> {
        if self.is_hash() {
            self.keys.iter().position(|k| *k == Some(key))
        } else {
            let i = key as usize;
            (key < self.max && self.keys[i].is_some()).then_some(i)
        }
    }

    fn cell(&self, slot: usize) -> &[u8] {
        &self.cells.as_slice()[slot * self.vs..(slot + 1) * self.vs]
    }

    pub(crate) fn len(&self) -> usize {
        self.keys.iter().filter(|k| k.is_some()).count()
    }

    /// Program-side lookup: the value cell (devmap, devmap_hash, xskmap;
    /// cpumap is not readable by programs).
    pub(crate) fn lookup_ptr(&self, key: u32) -> Option<*mut u8> {
        if self.kind == MapType::Cpumap {
            return None;
        }
        let s = self.slot_of(key)?;
        // SAFETY: s < max_entries, so the cell lies inside `cells`.
        Some(unsafe { self.cells.ptr().add(s * self.vs) })
    }

    /// Whether `bpf_redirect_map` finds a target under `key`.
    pub(crate) fn has_target(&self, key: u32) -> bool {
        self.slot_of(key).is_some()
    }

    pub(crate) fn region(&self) -> (*mut u8, usize) {
        (self.cells.ptr(), self.cells.len())
    }

    pub(crate) fn sys_lookup(&self, key: u32) -> Result<Vec<u8>, MapError> {
        if self.kind == MapType::Xskmap {
            return Err(err(
                EOPNOTSUPP,
                "xskmap values cannot be read by the syscall",
            ));
        }
        match self.slot_of(key) {
            Some(s) => Ok(self.cell(s).to_vec()),
            None => Err(err(ENOENT, "no element under this key")),
        }
    }

    /// Decoded value: (first u32, program handle or 0).
    fn decode(&self, value: &[u8]) -> (u32, u32) {
        let first = u32::from_ne_bytes([value[0], value[1], value[2], value[3]]);
        let prog = if self.vs == 8 {
            let fd = i32::from_ne_bytes([value[4], value[5], value[6], value[7]]);
            if fd > 0 {
                fd as u32
            } else {
                0
            }
        } else {
            0
        };
        (first, prog)
    }

    fn store(&mut self, slot: usize, key: u32, value: &[u8]) {
        let (first, prog) = self.decode(value);
        let vs = self.vs;
        let c = &mut self.cells.as_mut_slice()[slot * vs..(slot + 1) * vs];
        c[..4].copy_from_slice(&first.to_ne_bytes());
        if vs == 8 {
            c[4..].copy_from_slice(&prog.to_ne_bytes());
        }
        self.keys[slot] = Some(key);
        self.stamp[slot] = self.next_stamp;
        self.next_stamp += 1;
    }

    fn clear(&mut self, slot: usize) {
        let vs = self.vs;
        self.cells.as_mut_slice()[slot * vs..(slot + 1) * vs].fill(0);
        self.keys[slot] = None;
    }

    /// `BPF_MAP_UPDATE_ELEM`.
    pub(crate) fn update(&mut self, key: u32, value: &[u8], flags: u64) -> Result<(), MapError> {
        match self.kind {
            MapType::DevmapHash => self.update_hash(key, value, flags),
            MapType::Devmap => {
                self.array_checks(key, flags)?;
                let (ifindex, prog) = self.decode(value);
                if ifindex == 0 {
                    if prog != 0 {
                        return Err(err(EINVAL, "a program needs an ifindex"));
                    }
                    self.clear(key as usize);
                    return Ok(());
                }
                self.check_device(ifindex)?;
                self.store(key as usize, key, value);
                Ok(())
            }
            MapType::Cpumap => {
                self.array_checks(key, flags)?;
                let (qsize, _) = self.decode(value);
                if qsize > CPUMAP_MAX_QSIZE {
                    return Err(err(EOVERFLOW, "cpumap qsize above 16384"));
                }
                if key >= self.ncpus {
                    return Err(err(ENODEV, format!("cpu {key} is not possible")));
                }
                if qsize == 0 {
                    self.clear(key as usize);
                } else {
                    self.store(key as usize, key, value);
                }
                Ok(())
            }
            _ => {
                if flags > BPF_EXIST {
                    return Err(err(EINVAL, "invalid update flags"));
                }
                if key >= self.max {
                    return Err(err(E2BIG, "index beyond max_entries"));
                }
                self.store(key as usize, key, value);
                Ok(())
            }
        }
    }

    /// devmap and cpumap: flags, index, then `BPF_NOEXIST` always fails
    /// (every slot counts as existing).
    fn array_checks(&self, key: u32, flags: u64) -> Result<(), MapError> {
        if flags > BPF_EXIST {
            return Err(err(EINVAL, "invalid update flags"));
        }
        if key >= self.max {
            return Err(err(E2BIG, "index beyond max_entries"));
        }
        if flags == BPF_NOEXIST {
            return Err(err(EEXIST, "array slots always exist"));
        }
        Ok(())
    }

    fn check_device(&self, ifindex: u32) -> Result<(), MapError> {
        if self.devices.contains(&ifindex) {
            Ok(())
        } else {
            Err(err(EINVAL, format!("no device with ifindex {ifindex}")))
        }
    }

    fn update_hash(&mut self, key: u32, value: &[u8], flags: u64) -> Result<(), MapError> {
        let (ifindex, _) = self.decode(value);
        if flags > BPF_EXIST || ifindex == 0 {
            return Err(err(EINVAL, "invalid flags or ifindex 0"));
        }
        let old = self.slot_of(key);
        if old.is_some() && flags & BPF_NOEXIST != 0 {
            return Err(err(EEXIST, "key exists"));
        }
        self.check_device(ifindex)?;
        let slot = match old {
            Some(s) => s,
            None => self
                .keys
                .iter()
                .position(Option::is_none)
                .ok_or_else(|| err(E2BIG, "map is full"))?,
        };
        self.store(slot, key, value);
        Ok(())
    }

    /// `BPF_MAP_DELETE_ELEM`.
    pub(crate) fn delete(&mut self, key: u32) -> Result<(), MapError> {
        if self.is_hash() {
            let s = self
                .slot_of(key)
                .ok_or_else(|| err(ENOENT, "no element under this key"))?;
            self.clear(s);
            return Ok(());
        }
        if key >= self.max {
            return Err(err(EINVAL, "index beyond max_entries"));
        }
        self.clear(key as usize);
        Ok(())
    }

    /// devmap_hash keys in the kernel's walk order.
    fn hash_order(&self) -> Vec<u32> {
        let n = self.max.next_power_of_two();
        let mut v: Vec<(u32, std::cmp::Reverse<u64>, u32)> = self
            .keys
            .iter()
            .enumerate()
            .filter_map(|(s, k)| k.map(|k| (k & (n - 1), std::cmp::Reverse(self.stamp[s]), k)))
            .collect();
        v.sort();
        v.into_iter().map(|e| e.2).collect()
    }

    /// `BPF_MAP_GET_NEXT_KEY` for devmap_hash (the array types use the
    /// array walk).
    pub(crate) fn hash_next_key(&self, key: Option<u32>) -> Result<Vec<u8>, MapError> {
        let order = self.hash_order();
        let next = match key.and_then(|k| order.iter().position(|x| *x == k)) {
            Some(i) => order.get(i + 1),
            None => order.first(),
        };
        next.map(|k| k.to_ne_bytes().to_vec())
            .ok_or_else(|| err(ENOENT, "no next key"))
    }

    /// Every readable (key, value), in walk order.
    pub(crate) fn entries(&self) -> Vec<(Vec<u8>, Vec<u8>)> {
        if self.kind == MapType::Xskmap {
            return Vec::new();
        }
        let keys: Vec<u32> = if self.is_hash() {
            self.hash_order()
        } else {
            (0..self.max)
                .filter(|k| self.keys[*k as usize].is_some())
                .collect()
        };
        keys.into_iter()
            .filter_map(|k| {
                let s = self.slot_of(k)?;
                Some((k.to_ne_bytes().to_vec(), self.cell(s).to_vec()))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store(t: MapType, vs: u32, n: u32) -> DevStore {
        DevStore::new(&MapDef::new(t, 4, vs, n), 2).unwrap()
    }

    fn val(a: u32, b: i32) -> Vec<u8> {
        let mut v = a.to_ne_bytes().to_vec();
        v.extend_from_slice(&b.to_ne_bytes());
        v
    }

    #[test]
    fn create_checks() {
        let e = |d: MapDef| check(&d).unwrap_err().errno();
        assert_eq!(e(MapDef::new(MapType::Devmap, 4, 6, 4)), EINVAL);
        assert_eq!(e(MapDef::new(MapType::Xskmap, 4, 8, 4)), EINVAL);
        assert_eq!(e(MapDef::new(MapType::DevmapHash, 8, 4, 4)), EINVAL);
        assert_eq!(e(MapDef::new(MapType::Cpumap, 4, 4, NR_CPUS + 1)), E2BIG);
        assert_eq!(
            e(MapDef::new(MapType::Cpumap, 4, 4, 4).with_flags(BPF_F_RDONLY)),
            EINVAL
        );
        assert!(check(&MapDef::new(MapType::Devmap, 4, 8, 4).with_flags(BPF_F_RDONLY)).is_ok());
    }

    #[test]
    fn devmap_updates() {
        let mut d = store(MapType::Devmap, 8, 4);
        assert_eq!(
            d.update(0, &val(1, 0), BPF_NOEXIST).unwrap_err().errno(),
            EEXIST
        );
        assert_eq!(d.update(4, &val(1, 0), 0).unwrap_err().errno(), E2BIG);
        assert_eq!(d.update(0, &val(7, 0), 0).unwrap_err().errno(), EINVAL);
        assert_eq!(d.update(0, &val(0, 3), 0).unwrap_err().errno(), EINVAL);
        d.update(2, &val(1, -1), BPF_EXIST).unwrap();
        assert_eq!(d.sys_lookup(2).unwrap(), val(1, 0));
        assert_eq!(d.sys_lookup(1).unwrap_err().errno(), ENOENT);
        assert!(d.has_target(2) && !d.has_target(1));
        d.update(2, &val(0, 0), 0).unwrap(); // ifindex 0 empties the slot
        assert!(!d.has_target(2));
        assert!(d.delete(3).is_ok());
        assert_eq!(d.delete(4).unwrap_err().errno(), EINVAL);
    }

    #[test]
    fn devmap_hash_walk_order() {
        let mut d = store(MapType::DevmapHash, 4, 3);
        // 4 buckets: 5 and 1 share bucket 1, 2 is in bucket 2
        for k in [1u32, 2, 5] {
            d.update(k, &1u32.to_ne_bytes(), 0).unwrap();
        }
        assert_eq!(
            d.update(9, &1u32.to_ne_bytes(), 0).unwrap_err().errno(),
            E2BIG
        );
        let keys: Vec<u32> = d
            .entries()
            .iter()
            .map(|e| u32::from_ne_bytes([e.0[0], e.0[1], e.0[2], e.0[3]]))
            .collect();
        assert_eq!(keys, vec![5, 1, 2]);
        assert_eq!(d.hash_next_key(Some(1)).unwrap(), 2u32.to_ne_bytes());
        assert_eq!(d.hash_next_key(Some(77)).unwrap(), 5u32.to_ne_bytes());
        assert_eq!(d.hash_next_key(Some(2)).unwrap_err().errno(), ENOENT);
        assert_eq!(d.delete(7).unwrap_err().errno(), ENOENT);
    }

    #[test]
    fn cpumap_and_xskmap() {
        let mut c = store(MapType::Cpumap, 4, 4);
        assert_eq!(
            c.update(0, &20000u32.to_ne_bytes(), 0).unwrap_err().errno(),
            EOVERFLOW
        );
        assert_eq!(
            c.update(3, &64u32.to_ne_bytes(), 0).unwrap_err().errno(),
            ENODEV
        );
        c.update(1, &64u32.to_ne_bytes(), 0).unwrap();
        assert!(c.has_target(1) && c.lookup_ptr(1).is_none());
        let mut x = store(MapType::Xskmap, 4, 2);
        x.update(1, &9u32.to_ne_bytes(), 0).unwrap();
        assert!(x.has_target(1));
        assert_eq!(x.sys_lookup(1).unwrap_err().errno(), EOPNOTSUPP);
    }
}

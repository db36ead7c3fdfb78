//! Kernel maps: `BPF_MAP_CREATE` and the element commands.
//!
//! Key and value lengths are checked against the map's sizes before every
//! call: the kernel reads and writes exactly `key_size` and value-size bytes
//! through the pointers it is given, so a short buffer would be a memory
//! error, not a kernel error.

use crate::consts::is_percpu_map;
use crate::error::Error;
use crate::sys::{self, cmd, MapBatchAttr, MapCreateAttr, MapElemAttr, MapInfoRaw};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::sync::OnceLock;

/// Everything `BPF_MAP_CREATE` takes. Build with [`MapCreate::new`] and
/// override public fields as needed.
#[derive(Debug, Clone, Default)]
pub struct MapCreate<'a> {
    /// `enum bpf_map_type` (see [`crate::consts::map_type`]).
    pub map_type: u32,
    /// Key size in bytes (0 for queue, stack and bloom filter).
    pub key_size: u32,
    /// Value size in bytes.
    pub value_size: u32,
    /// Capacity.
    pub max_entries: u32,
    /// `BPF_F_*` creation flags.
    pub map_flags: u32,
    /// Template inner map for map-in-map types.
    pub inner_map_fd: Option<RawFd>,
    /// NUMA node (with `BPF_F_NUMA_NODE`).
    pub numa_node: u32,
    /// Object name (15 bytes kept).
    pub name: &'a str,
    /// BTF object describing key and value.
    pub btf_fd: Option<RawFd>,
    /// BTF type id of the key.
    pub btf_key_type_id: u32,
    /// BTF type id of the value.
    pub btf_value_type_id: u32,
    /// vmlinux BTF type id of the value (struct_ops).
    pub btf_vmlinux_value_type_id: u32,
    /// `map_extra` (bloom filter hash count, arena address).
    pub map_extra: u64,
    /// `map_ifindex` for device-bound maps.
    pub map_ifindex: u32,
}

impl<'a> MapCreate<'a> {
    /// A map of `map_type` with these sizes and everything else zero.
    pub fn new(map_type: u32, key_size: u32, value_size: u32, max_entries: u32) -> Self {
        MapCreate {
            map_type,
            key_size,
            value_size,
            max_entries,
            ..Default::default()
        }
    }

    /// Creates the map (same as [`create_map`]).
    pub fn create(&self) -> Result<KernelMap, Error> {
        create_map(self)
    }
}

/// Creates a kernel map.
pub fn create_map(m: &MapCreate<'_>) -> Result<KernelMap, Error> {
    crate::avail::require()?;
    let mut a = MapCreateAttr {
        map_type: m.map_type,
        key_size: m.key_size,
        value_size: m.value_size,
        max_entries: m.max_entries,
        map_flags: m.map_flags,
        inner_map_fd: m.inner_map_fd.map_or(0, |f| f as u32),
        numa_node: m.numa_node,
        map_name: sys::obj_name(m.name),
        map_ifindex: m.map_ifindex,
        btf_fd: m.btf_fd.map_or(0, |f| f as u32),
        btf_key_type_id: m.btf_key_type_id,
        btf_value_type_id: m.btf_value_type_id,
        btf_vmlinux_value_type_id: m.btf_vmlinux_value_type_id,
        map_extra: m.map_extra,
        ..Default::default()
    };
    // SAFETY: the attribute holds no pointers.
    let fd = unsafe { sys::bpf_fd(cmd::MAP_CREATE, &mut a) }
        .map_err(|e| Error::sys("BPF_MAP_CREATE", e))?;
    let value_len = if is_percpu_map(m.map_type) {
        (m.value_size as usize).next_multiple_of(8) * possible_cpus()?
    } else {
        m.value_size as usize
    };
    Ok(KernelMap {
        fd,
        map_type: m.map_type,
        key_size: m.key_size,
        value_size: m.value_size,
        max_entries: m.max_entries,
        map_flags: m.map_flags,
        value_len,
    })
}

/// Number of possible CPUs, parsed from /sys/devices/system/cpu/possible
/// (a list like `0-3,5`); cached. Per-CPU map values hold one slot per
/// possible CPU.
pub fn possible_cpus() -> Result<usize, Error> {
    static CPUS: OnceLock<Result<usize, Error>> = OnceLock::new();
    CPUS.get_or_init(|| {
        const PATH: &str = "/sys/devices/system/cpu/possible";
        let s = std::fs::read_to_string(PATH)
            .map_err(|e| Error::io("possible_cpus", format!("{PATH}: {e}")))?;
        parse_cpu_list(&s)
            .ok_or_else(|| Error::io("possible_cpus", format!("cannot parse {PATH}: {s:?}")))
    })
    .clone()
}

/// The kernel's `nr_cpu_ids`: the highest possible CPU (from
/// /sys/devices/system/cpu/possible) plus one; CPU ids are below it.
pub fn nr_cpu_ids() -> Result<u32, Error> {
    const PATH: &str = "/sys/devices/system/cpu/possible";
    let s = std::fs::read_to_string(PATH)
        .map_err(|e| Error::io("nr_cpu_ids", format!("{PATH}: {e}")))?;
    last_cpu(&s)
        .and_then(|c| c.checked_add(1))
        .ok_or_else(|| Error::io("nr_cpu_ids", format!("cannot parse {PATH}: {s:?}")))
}

/// The highest CPU of a kernel CPU list (`0-3,5`: 5).
fn last_cpu(s: &str) -> Option<u32> {
    parse_cpu_list(s)?;
    s.trim()
        .split(',')
        .filter(|p| !p.is_empty())
        .map(|p| p.rsplit('-').next().and_then(|v| v.parse::<u32>().ok()))
        .try_fold(0u32, |m, v| Some(m.max(v?)))
}

/// Counts the CPUs in a kernel CPU list (`0-3,5`).
fn parse_cpu_list(s: &str) -> Option<usize> {
    let mut n = 0usize;
    for part in s.trim().split(',').filter(|p| !p.is_empty()) {
        let (lo, hi) = match part.split_once('-') {
            Some((a, b)) => (a.parse::<usize>().ok()?, b.parse::<usize>().ok()?),
            None => {
                let v = part.parse::<usize>().ok()?;
                (v, v)
            }
        };
        n += hi.checked_sub(lo)? + 1;
    }
    (n > 0).then_some(n)
}

/// One `(key, value)` pair of a map, as bytes.
pub type Entry = (Vec<u8>, Vec<u8>);

/// A kernel map; the fd is closed on drop.
#[derive(Debug)]
pub struct KernelMap {
    fd: OwnedFd,
    map_type: u32,
    key_size: u32,
    value_size: u32,
    max_entries: u32,
    map_flags: u32,
    value_len: usize,
}

/// What `BPF_OBJ_GET_INFO_BY_FD` reports about a map.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct MapInfo {
    /// `enum bpf_map_type`.
    pub map_type: u32,
    /// Kernel-wide map id.
    pub id: u32,
    /// Key size.
    pub key_size: u32,
    /// Value size (per CPU for per-CPU maps).
    pub value_size: u32,
    /// Capacity.
    pub max_entries: u32,
    /// Creation flags.
    pub map_flags: u32,
    /// Name.
    pub name: String,
}

impl KernelMap {
    /// The map's fd (for `BPF_PSEUDO_MAP_FD` loads or `fd_array`).
    pub fn fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }

    /// `enum bpf_map_type`.
    pub fn map_type(&self) -> u32 {
        self.map_type
    }

    /// Key size in bytes.
    pub fn key_size(&self) -> u32 {
        self.key_size
    }

    /// Value size in bytes as created (per CPU for per-CPU maps).
    pub fn value_size(&self) -> u32 {
        self.value_size
    }

    /// Capacity.
    pub fn max_entries(&self) -> u32 {
        self.max_entries
    }

    /// Creation flags.
    pub fn map_flags(&self) -> u32 {
        self.map_flags
    }

    /// Length of the value buffer user space exchanges with the kernel:
    /// `value_size`, or `round_up(value_size, 8) * possible_cpus()` for
    /// per-CPU maps.
    pub fn value_buf_len(&self) -> usize {
        self.value_len
    }

    fn check(
        &self,
        op: &'static str,
        key: Option<&[u8]>,
        value: Option<&[u8]>,
    ) -> Result<(), Error> {
        if let Some(k) = key {
            if k.len() != self.key_size as usize {
                return Err(Error::invalid(
                    op,
                    format!(
                        "key is {} bytes, map key_size is {}",
                        k.len(),
                        self.key_size
                    ),
                ));
            }
        }
        if let Some(v) = value {
            if v.len() != self.value_len {
                return Err(Error::invalid(
                    op,
                    format!("value is {} bytes, map needs {}", v.len(), self.value_len),
                ));
            }
        }
        Ok(())
    }

    /// Issues an element command. `value` is the value or next-key buffer.
    fn elem(
        &self,
        op: &'static str,
        c: i32,
        key: Option<&[u8]>,
        value: u64,
        flags: u64,
    ) -> Result<(), Error> {
        let mut a = MapElemAttr {
            map_fd: self.fd.as_raw_fd() as u32,
            key: key.map_or(0, sys::slice_ptr),
            value,
            flags,
            ..Default::default()
        };
        // SAFETY: callers pass a key of exactly key_size bytes (or none)
        // and a value/next-key pointer to a live buffer of the length the
        // kernel uses for this map (checked by `check` or allocated here).
        unsafe { sys::bpf(c, &mut a) }
            .map(|_| ())
            .map_err(|e| Error::sys(op, e))
    }

    /// Looks up `key` (`BPF_MAP_LOOKUP_ELEM`); `Ok(None)` on ENOENT. For
    /// queue and stack maps pass an empty key: this peeks.
    pub fn lookup(&self, key: &[u8]) -> Result<Option<Vec<u8>>, Error> {
        self.lookup_flags(key, 0)
    }

    /// [`KernelMap::lookup`] with flags (`BPF_F_LOCK`).
    pub fn lookup_flags(&self, key: &[u8], flags: u64) -> Result<Option<Vec<u8>>, Error> {
        const OP: &str = "BPF_MAP_LOOKUP_ELEM";
        self.check(OP, Some(key), None)?;
        let mut v = vec![0u8; self.value_len];
        let out = sys::out_ptr(&mut v);
        match self.elem(OP, cmd::MAP_LOOKUP_ELEM, Some(key), out, flags) {
            Ok(()) => Ok(Some(v)),
            Err(e) if is_enoent(&e) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Inserts or replaces (`BPF_MAP_UPDATE_ELEM`); `flags` is one of
    /// [`crate::consts::map_flags`] `ANY`, `NOEXIST`, `EXIST`, optionally
    /// with `F_LOCK`. For queue and stack maps pass an empty key (push).
    pub fn update(&self, key: &[u8], value: &[u8], flags: u64) -> Result<(), Error> {
        const OP: &str = "BPF_MAP_UPDATE_ELEM";
        self.check(OP, Some(key), Some(value))?;
        self.elem(
            OP,
            cmd::MAP_UPDATE_ELEM,
            Some(key),
            sys::slice_ptr(value),
            flags,
        )
    }

    /// Deletes `key` (`BPF_MAP_DELETE_ELEM`); a missing key is an error
    /// with errno ENOENT, arrays fail with EINVAL, as in the kernel.
    pub fn delete(&self, key: &[u8]) -> Result<(), Error> {
        const OP: &str = "BPF_MAP_DELETE_ELEM";
        self.check(OP, Some(key), None)?;
        self.elem(OP, cmd::MAP_DELETE_ELEM, Some(key), 0, 0)
    }

    /// The key after `key`, or the first key for `None`
    /// (`BPF_MAP_GET_NEXT_KEY`); `Ok(None)` at the end (ENOENT).
    pub fn get_next_key(&self, key: Option<&[u8]>) -> Result<Option<Vec<u8>>, Error> {
        const OP: &str = "BPF_MAP_GET_NEXT_KEY";
        self.check(OP, key, None)?;
        let mut next = vec![0u8; self.key_size as usize];
        let out = sys::out_ptr(&mut next);
        match self.elem(OP, cmd::MAP_GET_NEXT_KEY, key, out, 0) {
            Ok(()) => Ok(Some(next)),
            Err(e) if is_enoent(&e) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Looks up and deletes (`BPF_MAP_LOOKUP_AND_DELETE_ELEM`): pop for
    /// queue and stack maps (pass `None`), lookup-and-delete for hash maps.
    /// `Ok(None)` on ENOENT (empty queue or missing key).
    pub fn lookup_and_delete(&self, key: Option<&[u8]>) -> Result<Option<Vec<u8>>, Error> {
        const OP: &str = "BPF_MAP_LOOKUP_AND_DELETE_ELEM";
        self.check(OP, key, None)?;
        let mut v = vec![0u8; self.value_len];
        let out = sys::out_ptr(&mut v);
        match self.elem(OP, cmd::MAP_LOOKUP_AND_DELETE_ELEM, key, out, 0) {
            Ok(()) => Ok(Some(v)),
            Err(e) if is_enoent(&e) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Makes the map read-only for user space (`BPF_MAP_FREEZE`).
    pub fn freeze(&self) -> Result<(), Error> {
        self.elem("BPF_MAP_FREEZE", cmd::MAP_FREEZE, None, 0, 0)
    }

    /// Every `(key, value)` pair, as [`KernelMap::for_each_entry`] walks
    /// them. Maps without keys (queue, stack) yield nothing.
    pub fn entries(&self) -> Result<Vec<Entry>, Error> {
        let mut out = Vec::new();
        self.for_each_entry(|k, v| out.push((k.to_vec(), v.to_vec())))?;
        Ok(out)
    }

    /// Calls `f(key, value)` for every element, holding at most one batch
    /// of elements in memory: `BPF_MAP_LOOKUP_BATCH` (up to
    /// [`LOOKUP_BATCH`] elements per call) where the map type has it (hash
    /// and array types), else a walk with [`KernelMap::get_next_key`] and
    /// lookups, two calls per element (keys deleted during the walk are
    /// skipped). Maps without keys (queue, stack) yield nothing.
    pub fn for_each_entry(&self, mut f: impl FnMut(&[u8], &[u8])) -> Result<(), Error> {
        if self.key_size == 0 {
            return Ok(());
        }
        if self.is_mmapable_array() && self.mmap_walk(&mut f)? {
            return Ok(());
        }
        match self.batch_walk(&mut f) {
            Ok(()) => Ok(()),
            Err(Some(e)) => Err(e),
            Err(None) => self.key_walk(&mut f),
        }
    }

    fn is_mmapable_array(&self) -> bool {
        self.map_type == bpfbox_uapi::map_type::ARRAY
            && self.map_flags & bpfbox_uapi::map_flags::F_MMAPABLE != 0
            && self.map_flags & bpfbox_uapi::map_flags::F_WRONLY == 0
    }

    /// The walk of a `BPF_F_MMAPABLE` array through read-only mappings of
    /// its values ([`MMAP_WINDOW`] bytes at a time, each unmapped before
    /// the next, so the pages never add up in this process): memory speed
    /// instead of a copy per element. `Ok(false)` (nothing passed to `f`)
    /// when the first mapping fails.
    fn mmap_walk(&self, f: &mut dyn FnMut(&[u8], &[u8])) -> Result<bool, Error> {
        let stride = (self.value_size as usize).next_multiple_of(8);
        let vs = self.value_size as usize;
        let n = self.max_entries as usize;
        let total = n * stride;
        // SAFETY: sysconf has no memory effects.
        let page = usize::try_from(unsafe { libc::sysconf(libc::_SC_PAGESIZE) }).unwrap_or(4096);
        // Windows start on a page and on an element.
        let lcm = stride * page / gcd(stride, page);
        if lcm > 16 * MMAP_WINDOW {
            return Ok(false);
        }
        let window = MMAP_WINDOW.next_multiple_of(lcm);
        let mut off = 0;
        while off < total {
            let len = window.min(total - off);
            let map_len = len.next_multiple_of(page);
            // SAFETY: maps `map_len` bytes of the array's value area at
            // `off` (page aligned: `window` is a multiple of the page size)
            // read-only; the kernel zero-fills past the last value up to the
            // page end. Unmapped below; read only within `len`.
            let p = unsafe {
                libc::mmap(
                    std::ptr::null_mut(),
                    map_len,
                    libc::PROT_READ,
                    libc::MAP_SHARED,
                    self.fd.as_raw_fd(),
                    off as libc::off_t,
                )
            };
            if p == libc::MAP_FAILED {
                let e = crate::error::Errno::last();
                if off == 0 {
                    return Ok(false);
                }
                // Mid-walk, a fallback would repeat elements: report it.
                return Err(Error::sys("mmap of an array map", e));
            }
            // SAFETY: `p` is a live read-only mapping of at least `len` bytes.
            let bytes = unsafe { std::slice::from_raw_parts(p.cast::<u8>(), len) };
            for (i, v) in bytes.chunks(stride).enumerate() {
                let idx = ((off / stride) + i) as u32;
                f(&idx.to_ne_bytes(), &v[..vs]);
            }
            // SAFETY: unmaps exactly the mapping made above.
            unsafe { libc::munmap(p, map_len) };
            off += len;
        }
        Ok(true)
    }

    /// The batched walk; `Err(None)` when the map type has no batch lookup
    /// (nothing was passed to `f` then).
    fn batch_walk(&self, f: &mut dyn FnMut(&[u8], &[u8])) -> Result<(), Option<Error>> {
        const OP: &str = "BPF_MAP_LOOKUP_BATCH";
        let ks = self.key_size as usize;
        let vs = self.value_len;
        // The batch token is a u32 bucket index for hash maps and a key
        // for the generic (array) walk.
        let tok_len = ks.max(8);
        let (mut tok_in, mut tok_out) = (vec![0u8; tok_len], vec![0u8; tok_len]);
        let per_elem = (ks + vs).max(1);
        let mut room = LOOKUP_BATCH
            .min(self.max_entries.max(1) as usize)
            .min((LOOKUP_BATCH_BYTES / per_elem).max(1));
        let mut first = true;
        loop {
            let mut keys = vec![0u8; room * ks];
            let mut values = vec![0u8; room * vs];
            let mut a = MapBatchAttr {
                in_batch: if first { 0 } else { sys::ptr(tok_in.as_ptr()) },
                out_batch: sys::out_ptr(&mut tok_out),
                keys: sys::out_ptr(&mut keys),
                values: sys::out_ptr(&mut values),
                count: room as u32,
                map_fd: self.fd.as_raw_fd() as u32,
                ..Default::default()
            };
            // SAFETY: `keys` and `values` have room for `count` keys and
            // values of this map's sizes; the batch tokens are at least as
            // long as a key and as the u32 hash maps use.
            let r = unsafe { sys::bpf(cmd::MAP_LOOKUP_BATCH, &mut a) };
            let done = match r {
                Ok(_) => false,
                Err(e) if e.0 == libc::ENOENT => true,
                // A hash bucket holds more elements than `room`: retry bigger.
                Err(e) if e.0 == libc::ENOSPC && room < 1 << 20 => {
                    room *= 2;
                    continue;
                }
                Err(e) if first && matches!(e.0, libc::EINVAL | ENOTSUPP | libc::EOPNOTSUPP) => {
                    return Err(None)
                }
                Err(e) => return Err(Some(Error::sys(OP, e))),
            };
            let n = (a.count as usize).min(room);
            for i in 0..n {
                f(&keys[i * ks..(i + 1) * ks], &values[i * vs..(i + 1) * vs]);
            }
            if done {
                return Ok(());
            }
            std::mem::swap(&mut tok_in, &mut tok_out);
            first = false;
        }
    }

    /// The unbatched walk: `get_next_key` and a lookup per element.
    fn key_walk(&self, f: &mut dyn FnMut(&[u8], &[u8])) -> Result<(), Error> {
        let mut key = self.get_next_key(None)?;
        // A hash walk restarts from the first key if the current one
        // vanishes; bound the walk so a concurrently mutated map cannot
        // loop forever.
        let limit = self.max_entries as usize + 1;
        let mut seen = 0;
        while let Some(k) = key {
            if seen > limit {
                break;
            }
            if let Some(v) = self.lookup(&k)? {
                f(&k, &v);
                seen += 1;
            }
            key = self.get_next_key(Some(&k))?;
        }
        Ok(())
    }

    /// Reads the map's info.
    pub fn info(&self) -> Result<MapInfo, Error> {
        let mut r = MapInfoRaw::default();
        let mut a = sys::InfoAttr {
            bpf_fd: self.fd.as_raw_fd() as u32,
            info_len: std::mem::size_of::<MapInfoRaw>() as u32,
            info: sys::ptr(&mut r as *mut MapInfoRaw),
        };
        // SAFETY: `r` is live and writable for `info_len` bytes and holds
        // no pointers.
        unsafe { sys::bpf(cmd::OBJ_GET_INFO_BY_FD, &mut a) }
            .map_err(|e| Error::sys("BPF_OBJ_GET_INFO_BY_FD", e))?;
        Ok(MapInfo {
            map_type: r.map_type,
            id: r.id,
            key_size: r.key_size,
            value_size: r.value_size,
            max_entries: r.max_entries,
            map_flags: r.map_flags,
            name: sys::name_from(&r.name),
        })
    }
}

/// Elements one `BPF_MAP_LOOKUP_BATCH` call asks for in
/// [`KernelMap::for_each_entry`] (fewer when they would not fit in
/// [`LOOKUP_BATCH_BYTES`]).
pub const LOOKUP_BATCH: usize = 4096;

/// Bytes of an mmap()able array one mapping covers in
/// [`KernelMap::for_each_entry`] (rounded to whole pages and elements).
pub const MMAP_WINDOW: usize = 4 << 20;

fn gcd(a: usize, b: usize) -> usize {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

/// Bytes of keys and values one batch call may return.
pub const LOOKUP_BATCH_BYTES: usize = 4 << 20;

/// The kernel's internal `ENOTSUPP` (524), which `BPF_MAP_LOOKUP_BATCH`
/// returns for map types without batch operations.
const ENOTSUPP: i32 = 524;

fn is_enoent(e: &Error) -> bool {
    e.errno().is_some_and(|n| n.0 == libc::ENOENT)
}

impl AsFd for KernelMap {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

impl AsRawFd for KernelMap {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_lists() {
        assert_eq!(parse_cpu_list("0-1\n"), Some(2));
        assert_eq!(parse_cpu_list("0"), Some(1));
        assert_eq!(parse_cpu_list("0-3,5,7-8"), Some(7));
        assert_eq!(last_cpu("0-3,5,7-8\n"), Some(8));
        assert_eq!(last_cpu("0"), Some(0));
        assert_eq!(last_cpu("0-x"), None);
        assert_eq!(parse_cpu_list(""), None);
        assert_eq!(parse_cpu_list("3-1"), None);
        assert_eq!(parse_cpu_list("x"), None);
    }
}

//! Program-side (helper) operations on [`Map`]: what `bpf_map_*_elem`,
//! `bpf_tail_call`, `bpf_perf_event_output` and the ring buffer helpers do
//! with a map. Results are host pointers or `0`/`-errno` as the helpers
//! return them. Helper paths ignore syscall-side permissions and freezing
//! (the verifier enforces `BPF_F_RDONLY_PROG`/`BPF_F_WRONLY_PROG`).

use crate::array::index_of;
use crate::error::{err, errno::*, MapError};
use crate::fdarray::PerfRecord;
use crate::hash::Src;
use crate::map::{Map, Store};

fn neg(r: Result<(), MapError>) -> i64 {
    match r {
        Ok(()) => 0,
        Err(e) => e.neg(),
    }
}

impl Map {
    /// Set the CPU that later helper calls act on.
    pub fn set_current_cpu(&mut self, cpu: u32) -> Result<(), MapError> {
        if cpu >= self.cfg.ncpus {
            return Err(err(
                EINVAL,
                format!("cpu {cpu} >= ncpus {}", self.cfg.ncpus),
            ));
        }
        self.cfg.current_cpu = cpu;
        Ok(())
    }

    /// `bpf_map_lookup_elem` / `bpf_map_lookup_percpu_elem`: address of the
    /// value (for per-CPU maps, CPU `cpu`'s slot; other maps ignore `cpu`).
    /// `None` is the helper's NULL. The address stays valid until the element
    /// is deleted or replaced *and* [`Map::end_of_run`] is called.
    ///
    /// For map-in-map the address holds the inner map's `u32` id (the kernel
    /// returns the inner map pointer; the caller translates the id).
    /// LRU maps count this as a use. Queue, stack, bloom filter, ring buffer,
    /// prog_array and perf_event_array return `None`.
    pub fn lookup_ptr(&mut self, key: &[u8], cpu: u32) -> Option<*mut u8> {
        if key.len() != self.def.key_size as usize {
            return None;
        }
        match &mut self.store {
            Store::Array(a) => a.slot_ptr(index_of(key).ok()?, cpu),
            Store::Hash(_) if self.def.map_type == crate::MapType::Sockhash => None,
            Store::Hash(h) => h.lookup_ptr(key, cpu),
            Store::Lpm(l) => l.lookup_ptr(key),
            Store::Fd(f) if self.def.map_type == crate::MapType::ArrayOfMaps => {
                f.cell_ptr(index_of(key).ok()?)
            }
            Store::Dev(d) => d.lookup_ptr(index_of(key).ok()?),
            _ => None,
        }
    }

    /// `bpf_get_stackid` on a stack trace map, given the call chain the
    /// kernel would collect for the flags (user frames with
    /// `BPF_F_USER_STACK`, kernel frames without; innermost first): the
    /// id, or `-EINVAL`, `-EFAULT`, `-EEXIST`, `-ENOMEM` as the kernel
    /// returns them. Other map types: `-EINVAL`.
    pub fn get_stackid(&mut self, chain: &[u64], flags: u64) -> i64 {
        match &mut self.store {
            Store::Stack(st) => st.get_stackid(chain, flags),
            _ => -i64::from(EINVAL),
        }
    }

    /// `bpf_sk_storage_get` on socket `sock`: the storage's address, or
    /// `None` (NULL) when the socket has none and `create` is not asked
    /// (or for another map type). New storage is initialised from `init`
    /// (`value_size` bytes) or zeroed.
    pub fn sk_storage_get(
        &mut self,
        sock: u32,
        init: Option<&[u8]>,
        create: bool,
    ) -> Option<*mut u8> {
        match &mut self.store {
            Store::SkStorage(st) => st.get(sock, init, create),
            _ => None,
        }
    }

    /// `bpf_sk_storage_delete` on socket `sock`: 0 or `-ENOENT` (`-EINVAL`
    /// for another map type).
    pub fn sk_storage_delete(&mut self, sock: u32) -> i64 {
        match &mut self.store {
            Store::SkStorage(st) => neg(st.delete(sock, &mut self.grave)),
            _ => -i64::from(EINVAL),
        }
    }

    /// Socket `sock` is gone: drops its storage (no-op for other types).
    pub fn sk_storage_forget(&mut self, sock: u32) {
        if let Store::SkStorage(st) = &mut self.store {
            st.forget(sock, &mut self.grave);
        }
    }

    /// `bpf_get_local_storage`: the storage of the (one modelled) cgroup,
    /// this CPU's slot for the per-CPU type; `None` for other map types.
    pub fn storage_ptr(&self, cpu: u32) -> Option<*mut u8> {
        match &self.store {
            Store::Storage(st) => Some(st.ptr(cpu)),
            _ => None,
        }
    }

    /// Zeroes cgroup storage: the kernel gives every `BPF_PROG_TEST_RUN`
    /// call a freshly allocated storage. No-op for other map types.
    pub fn reset_storage(&mut self) {
        if let Store::Storage(st) = &mut self.store {
            st.reset();
        }
    }

    /// `bpf_redirect_map`'s lookup: whether devmap, devmap_hash, cpumap or
    /// xskmap has a target under `key` (`false` for other types).
    pub fn redirect_target(&self, key: u32) -> bool {
        match &self.store {
            Store::Dev(d) => d.has_target(key),
            _ => false,
        }
    }

    /// The ifindexes devmap and devmap_hash values may name (the kernel
    /// resolves them in the caller's network namespace). Default: 1 (lo).
    /// Other types ignore it.
    pub fn set_devices(&mut self, ifindexes: &[u32]) {
        if let Store::Dev(d) = &mut self.store {
            d.set_devices(ifindexes);
        }
    }

    /// `bpf_map_update_elem` from a program on the current CPU: `value` is
    /// `value_size` bytes (per-CPU maps: only this CPU's slot changes; a new
    /// element's other slots are zero).
    pub fn update_elem(&mut self, key: &[u8], value: &[u8], flags: u64) -> i64 {
        if key.len() != self.def.key_size as usize || value.len() < self.def.value_size as usize {
            return -i64::from(EINVAL);
        }
        let cpu = self.cfg.current_cpu;
        let r = match &mut self.store {
            Store::Array(a) => match index_of(key) {
                Ok(i) => a.update(i, value, flags, false, cpu),
                Err(e) => Err(e),
            },
            Store::Hash(h) => {
                if matches!(
                    self.def.map_type,
                    crate::MapType::HashOfMaps | crate::MapType::Sockhash
                ) {
                    return -i64::from(EINVAL);
                }
                h.update(key, Src::Prog(value, cpu), flags, &mut self.grave)
            }
            Store::Lpm(l) => l.update(key, value, flags, &mut self.grave),
            Store::Queue(_)
            | Store::Fd(_)
            | Store::Dev(_)
            | Store::Storage(_)
            | Store::Stack(_)
            | Store::SkStorage(_) => return -i64::from(EINVAL),
            Store::Bloom(_) => return -i64::from(EOPNOTSUPP),
            Store::Ring(_) => return -i64::from(ENOTSUPP),
        };
        neg(r)
    }

    /// `bpf_map_delete_elem` from a program.
    pub fn delete_elem(&mut self, key: &[u8]) -> i64 {
        if key.len() != self.def.key_size as usize {
            return -i64::from(EINVAL);
        }
        let r = match &mut self.store {
            Store::Hash(h) => h.delete(key, &mut self.grave),
            Store::Lpm(l) => l.delete(key, &mut self.grave),
            Store::Array(_)
            | Store::Queue(_)
            | Store::Fd(_)
            | Store::Dev(_)
            | Store::Storage(_)
            | Store::Stack(_)
            | Store::SkStorage(_) => return -i64::from(EINVAL),
            Store::Bloom(_) => return -i64::from(EOPNOTSUPP),
            Store::Ring(_) => return -i64::from(ENOTSUPP),
        };
        neg(r)
    }

    /// `bpf_map_push_elem`: queue, stack (`BPF_EXIST` overwrites the oldest
    /// when full) and bloom filter (only `BPF_ANY`).
    pub fn push_elem(&mut self, value: &[u8], flags: u64) -> i64 {
        match &mut self.store {
            Store::Queue(q) => neg(q.push(value, flags)),
            Store::Bloom(b) => neg(b.push(value, flags)),
            _ => -i64::from(EINVAL),
        }
    }

    /// `bpf_map_pop_elem`: writes the value into `out`; when empty `out` is
    /// zeroed and the result is `-ENOENT`.
    pub fn pop_elem(&mut self, out: &mut [u8]) -> i64 {
        self.get_elem(out, true)
    }

    /// `bpf_map_peek_elem`: queue/stack write the next value into `value`;
    /// a bloom filter reads `value` and answers `0` (maybe present) or `-ENOENT`.
    pub fn peek_elem(&mut self, value: &mut [u8]) -> i64 {
        if let Store::Bloom(b) = &self.store {
            return neg(b.peek(value));
        }
        self.get_elem(value, false)
    }

    fn get_elem(&mut self, out: &mut [u8], delete: bool) -> i64 {
        let vs = self.def.value_size as usize;
        let Store::Queue(q) = &mut self.store else {
            return -i64::from(EINVAL);
        };
        if out.len() < vs {
            return -i64::from(EINVAL);
        }
        match q.get(delete) {
            Ok(v) => {
                out[..vs].copy_from_slice(&v);
                0
            }
            Err(e) => {
                out[..vs].fill(0);
                e.neg()
            }
        }
    }

    /// Tail-call target: the program handle in prog_array slot `index`.
    pub fn prog_at(&self, index: u32) -> Option<u32> {
        match &self.store {
            Store::Fd(f) if self.def.map_type == crate::MapType::ProgArray => f.get(index),
            _ => None,
        }
    }

    /// The cgroup id in cgroup_array slot `index`, as
    /// `bpf_skb_under_cgroup`/`bpf_current_task_under_cgroup` read it:
    /// `Err(-E2BIG)` past `max_entries`, `Err(-EAGAIN)` for an empty slot,
    /// `Err(-EINVAL)` for other map types.
    pub fn cgroup_at(&self, index: u32) -> Result<u32, i64> {
        match &self.store {
            Store::Fd(f) if self.def.map_type == crate::MapType::CgroupArray => {
                if index >= self.def.max_entries {
                    return Err(-i64::from(E2BIG));
                }
                f.get(index).ok_or(-i64::from(EAGAIN))
            }
            _ => Err(-i64::from(EINVAL)),
        }
    }

    /// Inner map id stored under `key` of a map-in-map (program view).
    pub fn inner_at(&self, key: &[u8]) -> Option<u32> {
        match &self.store {
            Store::Fd(f) if self.def.map_type == crate::MapType::ArrayOfMaps => {
                f.get(index_of(key).ok()?)
            }
            Store::Hash(_) if self.def.map_type == crate::MapType::HashOfMaps => {
                let v = self.lookup(key).ok()?;
                Some(u32::from_ne_bytes([v[0], v[1], v[2], v[3]]))
            }
            _ => None,
        }
    }

    /// perf_event_array: open one event per CPU (slot `i` gets handle `i`,
    /// bound to CPU `i`), as libbpf's perf buffer does.
    pub fn perf_open_all(&mut self) -> Result<(), MapError> {
        let n = self.def.max_entries.min(self.cfg.ncpus);
        match &mut self.store {
            Store::Fd(f) if self.def.map_type == crate::MapType::PerfEventArray => {
                for i in 0..n {
                    f.set(i, i);
                }
                Ok(())
            }
            _ => Err(err(EINVAL, "not a perf_event_array")),
        }
    }

    /// `bpf_perf_event_output` on the current CPU. `flags` holds the index
    /// (`BPF_F_CURRENT_CPU` for this CPU) and no other bits (callers strip
    /// `BPF_F_CTXLEN_MASK` after appending ctx bytes to `data`). Returns 0,
    /// `-EINVAL` (bad flags or map type), `-E2BIG` (index), `-ENOENT` (empty
    /// slot) or `-EOPNOTSUPP` (slot bound to another CPU).
    pub fn perf_output(&mut self, flags: u64, data: &[u8]) -> i64 {
        let cpu = self.cfg.current_cpu;
        match &mut self.store {
            Store::Fd(f) if self.def.map_type == crate::MapType::PerfEventArray => {
                f.perf_output(flags, cpu, data)
            }
            _ => -i64::from(EINVAL),
        }
    }

    /// Records captured by `perf_output`, oldest first.
    pub fn perf_records(&self) -> &[PerfRecord] {
        match &self.store {
            Store::Fd(f) => &f.records,
            _ => &[],
        }
    }

    /// Take (and clear) the captured perf records.
    pub fn take_perf_records(&mut self) -> Vec<PerfRecord> {
        match &mut self.store {
            Store::Fd(f) => std::mem::take(&mut f.records),
            _ => Vec::new(),
        }
    }

    /// `bpf_ringbuf_reserve`: address of `size` writable bytes, or `None`
    /// (NULL) when `flags != 0`, the record is too big or the ring is full.
    pub fn ringbuf_reserve(&mut self, size: u64, flags: u64) -> Option<*mut u8> {
        match &mut self.store {
            Store::Ring(r) if flags == 0 => r.reserve(size),
            _ => None,
        }
    }

    /// `bpf_ringbuf_submit`: commit a reservation (flags are wake-up hints).
    /// Returns `-EINVAL` if `ptr` is not an open reservation of this map.
    pub fn ringbuf_submit(&mut self, ptr: *mut u8, _flags: u64) -> i64 {
        match &mut self.store {
            Store::Ring(r) => neg(r.commit(ptr, false)),
            _ => -i64::from(EINVAL),
        }
    }

    /// `bpf_ringbuf_discard`: commit a reservation as discarded.
    pub fn ringbuf_discard(&mut self, ptr: *mut u8, _flags: u64) -> i64 {
        match &mut self.store {
            Store::Ring(r) => neg(r.commit(ptr, true)),
            _ => -i64::from(EINVAL),
        }
    }

    /// Is `ptr` an open reservation of this ring buffer? (Lets a caller find
    /// the map for `bpf_ringbuf_submit(ptr)`, which names no map.)
    pub fn ringbuf_owns(&self, ptr: *mut u8) -> bool {
        matches!(&self.store, Store::Ring(r) if r.owns(ptr))
    }

    /// `bpf_ringbuf_output`: 0, `-EINVAL` (flags) or `-EAGAIN` (no room).
    pub fn ringbuf_output(&mut self, data: &[u8], flags: u64) -> i64 {
        match &mut self.store {
            Store::Ring(r) => r.output(data, flags),
            _ => -i64::from(EINVAL),
        }
    }

    /// `bpf_ringbuf_query`.
    pub fn ringbuf_query(&self, flags: u64) -> u64 {
        match &self.store {
            Store::Ring(r) => r.query(flags),
            _ => 0,
        }
    }

    /// Consume the committed ring buffer records in order (user-space side);
    /// discarded records are skipped, consumption stops at a busy record.
    pub fn ringbuf_consume(&mut self) -> Vec<Vec<u8>> {
        match &mut self.store {
            Store::Ring(r) => r.consume(),
            _ => Vec::new(),
        }
    }

    /// Host memory to register before a run, for pointers a program gets
    /// without a helper handing them out: the block of a small (dense)
    /// array, so `.data`/`.bss`/`.rodata` register once, the (doubled) data
    /// area of ring buffers, device and storage blocks, and not-yet-freed
    /// element values. Values of big arrays, hash maps and LPM tries
    /// register as the lookup helpers hand them out, so a run costs what it
    /// touches, not what the maps hold.
    pub fn value_regions(&self) -> impl Iterator<Item = (*mut u8, usize)> {
        let mut out = Vec::new();
        match &self.store {
            Store::Array(a) => a.regions(&mut out),
            // Elements register as lookups hand them out: registering
            // every element of a big table before each run costs per run
            // what the table holds.
            Store::Hash(_) | Store::Lpm(_) => {}
            Store::Ring(r) => out.push(r.region()),
            Store::Dev(d) => out.push(d.region()),
            Store::Storage(st) => out.push(st.region()),
            Store::SkStorage(st) => st.regions(&mut out),
            Store::Fd(_) | Store::Queue(_) | Store::Bloom(_) | Store::Stack(_) => {}
        }
        for g in &self.grave {
            out.push((g.ptr(), g.len()));
        }
        out.into_iter()
    }

    /// End of a program run: free the memory of elements deleted or replaced
    /// during the run (the RCU grace period ends).
    pub fn end_of_run(&mut self) {
        self.grave.clear();
    }

    /// Number of blocks waiting for `end_of_run`.
    pub fn deferred_frees(&self) -> usize {
        self.grave.len()
    }
}

//! Map definitions (`union bpf_attr` for `BPF_MAP_CREATE`, reduced to what
//! bpfbox models) and the kernel's create-time validation.
//!
//! The checks follow `map_create()` in kernel/bpf/syscall.c and each type's
//! `map_alloc_check`/`map_alloc` (arraymap.c, hashtab.c, lpm_trie.c,
//! queue_stack_maps.c, bloom_filter.c, ringbuf.c, map_in_map.c), in the same
//! order where two checks could give different errnos.

use crate::error::{err, errno::*, MapError};
use crate::flags::*;
use bpfbox_uapi::map_type;

/// Supported map types, with the kernel's `enum bpf_map_type` ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u32)]
pub enum MapType {
    /// `BPF_MAP_TYPE_HASH`
    Hash = map_type::HASH,
    /// `BPF_MAP_TYPE_ARRAY`
    Array = map_type::ARRAY,
    /// `BPF_MAP_TYPE_PROG_ARRAY`
    ProgArray = map_type::PROG_ARRAY,
    /// `BPF_MAP_TYPE_PERF_EVENT_ARRAY`
    PerfEventArray = map_type::PERF_EVENT_ARRAY,
    /// `BPF_MAP_TYPE_PERCPU_HASH`
    PercpuHash = map_type::PERCPU_HASH,
    /// `BPF_MAP_TYPE_PERCPU_ARRAY`
    PercpuArray = map_type::PERCPU_ARRAY,
    /// `BPF_MAP_TYPE_STACK_TRACE` (call chains; see the stackmap module)
    StackTrace = map_type::STACK_TRACE,
    /// `BPF_MAP_TYPE_CGROUP_ARRAY` (slots hold cgroup ids; see the fdarray module)
    CgroupArray = map_type::CGROUP_ARRAY,
    /// `BPF_MAP_TYPE_LRU_HASH`
    LruHash = map_type::LRU_HASH,
    /// `BPF_MAP_TYPE_LRU_PERCPU_HASH`
    LruPercpuHash = map_type::LRU_PERCPU_HASH,
    /// `BPF_MAP_TYPE_LPM_TRIE`
    LpmTrie = map_type::LPM_TRIE,
    /// `BPF_MAP_TYPE_ARRAY_OF_MAPS`
    ArrayOfMaps = map_type::ARRAY_OF_MAPS,
    /// `BPF_MAP_TYPE_HASH_OF_MAPS`
    HashOfMaps = map_type::HASH_OF_MAPS,
    /// `BPF_MAP_TYPE_DEVMAP` (redirect targets; see the devmap module)
    Devmap = map_type::DEVMAP,
    /// `BPF_MAP_TYPE_SOCKMAP` (values are sockets; see the sockmap module)
    Sockmap = map_type::SOCKMAP,
    /// `BPF_MAP_TYPE_CPUMAP`
    Cpumap = map_type::CPUMAP,
    /// `BPF_MAP_TYPE_XSKMAP`
    Xskmap = map_type::XSKMAP,
    /// `BPF_MAP_TYPE_SOCKHASH`
    Sockhash = map_type::SOCKHASH,
    /// `BPF_MAP_TYPE_CGROUP_STORAGE` (see the storage module)
    CgroupStorage = map_type::CGROUP_STORAGE,
    /// `BPF_MAP_TYPE_REUSEPORT_SOCKARRAY`
    ReuseportSockarray = map_type::REUSEPORT_SOCKARRAY,
    /// `BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE`
    PercpuCgroupStorage = map_type::PERCPU_CGROUP_STORAGE,
    /// `BPF_MAP_TYPE_QUEUE`
    Queue = map_type::QUEUE,
    /// `BPF_MAP_TYPE_STACK`
    Stack = map_type::STACK,
    /// `BPF_MAP_TYPE_SK_STORAGE` (per-socket values; see the skstorage module)
    SkStorage = map_type::SK_STORAGE,
    /// `BPF_MAP_TYPE_DEVMAP_HASH`
    DevmapHash = map_type::DEVMAP_HASH,
    /// `BPF_MAP_TYPE_RINGBUF`
    Ringbuf = map_type::RINGBUF,
    /// `BPF_MAP_TYPE_BLOOM_FILTER`
    BloomFilter = map_type::BLOOM_FILTER,
}

impl MapType {
    /// Every supported type, in id order.
    pub const ALL: &'static [MapType] = &[
        MapType::Hash,
        MapType::Array,
        MapType::ProgArray,
        MapType::PerfEventArray,
        MapType::PercpuHash,
        MapType::PercpuArray,
        MapType::StackTrace,
        MapType::CgroupArray,
        MapType::LruHash,
        MapType::LruPercpuHash,
        MapType::LpmTrie,
        MapType::ArrayOfMaps,
        MapType::HashOfMaps,
        MapType::Devmap,
        MapType::Sockmap,
        MapType::Cpumap,
        MapType::Xskmap,
        MapType::Sockhash,
        MapType::CgroupStorage,
        MapType::ReuseportSockarray,
        MapType::PercpuCgroupStorage,
        MapType::Queue,
        MapType::Stack,
        MapType::SkStorage,
        MapType::DevmapHash,
        MapType::Ringbuf,
        MapType::BloomFilter,
    ];

    /// Map a kernel id to a supported type (`None` for unknown or unsupported ids).
    pub fn from_u32(id: u32) -> Option<MapType> {
        MapType::ALL.iter().copied().find(|t| *t as u32 == id)
    }

    /// The kernel id.
    pub fn id(self) -> u32 {
        self as u32
    }

    /// The short name bpftool prints (`hash`, `percpu_array`, ...).
    pub fn name(self) -> &'static str {
        match self {
            MapType::Hash => "hash",
            MapType::Array => "array",
            MapType::ProgArray => "prog_array",
            MapType::PerfEventArray => "perf_event_array",
            MapType::PercpuHash => "percpu_hash",
            MapType::PercpuArray => "percpu_array",
            MapType::StackTrace => "stack_trace",
            MapType::CgroupArray => "cgroup_array",
            MapType::SkStorage => "sk_storage",
            MapType::LruHash => "lru_hash",
            MapType::LruPercpuHash => "lru_percpu_hash",
            MapType::LpmTrie => "lpm_trie",
            MapType::ArrayOfMaps => "array_of_maps",
            MapType::HashOfMaps => "hash_of_maps",
            MapType::Devmap => "devmap",
            MapType::DevmapHash => "devmap_hash",
            MapType::Cpumap => "cpumap",
            MapType::Xskmap => "xskmap",
            MapType::Sockmap => "sockmap",
            MapType::Sockhash => "sockhash",
            MapType::ReuseportSockarray => "reuseport_sockarray",
            MapType::Queue => "queue",
            MapType::Stack => "stack",
            MapType::Ringbuf => "ringbuf",
            MapType::BloomFilter => "bloom_filter",
            MapType::CgroupStorage => "cgroup_storage",
            MapType::PercpuCgroupStorage => "percpu_cgroup_storage",
        }
    }

    /// Parse a bpftool-style name.
    pub fn from_name(name: &str) -> Option<MapType> {
        MapType::ALL.iter().copied().find(|t| t.name() == name)
    }

    /// Per-CPU value types (syscall values are `ncpus * round_up(value_size, 8)`).
    pub fn is_percpu(self) -> bool {
        matches!(
            self,
            MapType::PercpuArray
                | MapType::PercpuHash
                | MapType::LruPercpuHash
                | MapType::PercpuCgroupStorage
        )
    }

    /// Hash-table types (hashtab.c).
    pub fn is_hash(self) -> bool {
        matches!(
            self,
            MapType::Hash
                | MapType::PercpuHash
                | MapType::LruHash
                | MapType::LruPercpuHash
                | MapType::HashOfMaps
        )
    }

    /// Array-indexed types (key is a u32 index).
    pub fn is_array(self) -> bool {
        matches!(
            self,
            MapType::Array
                | MapType::PercpuArray
                | MapType::ProgArray
                | MapType::PerfEventArray
                | MapType::CgroupArray
                | MapType::ArrayOfMaps
        )
    }

    /// Map-in-map types (values are inner map ids).
    pub fn is_map_in_map(self) -> bool {
        matches!(self, MapType::ArrayOfMaps | MapType::HashOfMaps)
    }
}

/// A map definition, as given to `BPF_MAP_CREATE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MapDef {
    /// Map type.
    pub map_type: MapType,
    /// Key size in bytes.
    pub key_size: u32,
    /// Value size in bytes (for map-in-map and fd arrays: 4).
    pub value_size: u32,
    /// Maximum number of entries (ring buffer: data size in bytes).
    pub max_entries: u32,
    /// `BPF_F_*` creation flags.
    pub map_flags: u32,
    /// `map_extra` (bloom filter: number of hash functions in the low 4 bits).
    pub map_extra: u64,
    /// Inner map template for map-in-map types (the kernel's `inner_map_fd`).
    pub inner: Option<Box<MapDef>>,
    /// Object name (kernel rule: at most 15 bytes of `[A-Za-z0-9_.]`).
    pub name: String,
}

impl MapDef {
    /// A definition with no flags, no extra, no inner map and an empty name.
    pub fn new(map_type: MapType, key_size: u32, value_size: u32, max_entries: u32) -> Self {
        MapDef {
            map_type,
            key_size,
            value_size,
            max_entries,
            map_flags: 0,
            map_extra: 0,
            inner: None,
            name: String::new(),
        }
    }

    /// Builder: set `map_flags`.
    pub fn with_flags(mut self, flags: u32) -> Self {
        self.map_flags = flags;
        self
    }

    /// Builder: set the inner map template.
    pub fn with_inner(mut self, inner: MapDef) -> Self {
        self.inner = Some(Box::new(inner));
        self
    }

    /// Builder: set `map_extra`.
    pub fn with_extra(mut self, extra: u64) -> Self {
        self.map_extra = extra;
        self
    }

    /// Builder: set the name.
    pub fn with_name(mut self, name: &str) -> Self {
        self.name = name.to_string();
        self
    }

    /// Validate as the kernel's `map_create` would, returning its errno.
    pub fn validate(&self) -> Result<(), MapError> {
        validate(self)
    }

    /// The kernel's `bpf_map_meta_equal` (plus `array_map_meta_equal`): can a
    /// map defined by `other` be stored in a map-in-map whose template is `self`?
    pub fn meta_equal(&self, other: &MapDef) -> bool {
        if self.map_type != other.map_type
            || self.key_size != other.key_size
            || self.value_size != other.value_size
            || self.map_flags != other.map_flags
        {
            return false;
        }
        // Arrays also compare max_entries unless the template has BPF_F_INNER_MAP.
        if matches!(self.map_type, MapType::Array | MapType::PercpuArray)
            && self.map_flags & BPF_F_INNER_MAP == 0
            && self.max_entries != other.max_entries
        {
            return false;
        }
        true
    }
}

/// Per-map runtime configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MapConfig {
    /// Number of possible CPUs: per-CPU maps hold this many value slots.
    pub ncpus: u32,
    /// CPU that helper calls without an explicit CPU act on.
    pub current_cpu: u32,
}

impl Default for MapConfig {
    /// One CPU, running on CPU 0.
    fn default() -> Self {
        MapConfig {
            ncpus: 1,
            current_cpu: 0,
        }
    }
}

/// `KMALLOC_MAX_SIZE` on x86-64 (4 MiB).
pub const KMALLOC_MAX_SIZE: u64 = 1 << 22;
/// `PCPU_MIN_UNIT_SIZE` (32 KiB): the per-CPU value size limit.
pub const PCPU_MIN_UNIT_SIZE: u64 = 32 << 10;
/// `sizeof(struct htab_elem)`, which counts against `KMALLOC_MAX_SIZE`.
const HTAB_ELEM_SIZE: u64 = 48;
/// `sizeof(struct lpm_trie_node)` (6.18: two child pointers, prefixlen, flags).
const LPM_NODE_SIZE: u64 = 24;
/// Page size.
pub const PAGE_SIZE: u32 = 4096;
/// bpfbox's own allocation limit per map: bigger maps fail with `ENOMEM`
/// (the kernel would try to vmalloc them; bpfbox refuses to commit that much).
pub const MAX_MAP_BYTES: u64 = 1 << 30;

/// `round_up(x, 8)`.
pub(crate) fn round8(x: u32) -> usize {
    (x as usize + 7) & !7
}

fn check_name(name: &str) -> Result<(), MapError> {
    // bpf_obj_name_cpy: NUL-terminated within BPF_OBJ_NAME_LEN (16), only
    // alphanumerics, '_' and '.'.
    if name.len() >= 16 {
        return Err(err(
            EINVAL,
            format!("map name `{name}` is longer than 15 bytes"),
        ));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '_' || *c == '.'))
    {
        return Err(err(EINVAL, format!("map name `{name}` contains `{c}`")));
    }
    Ok(())
}

fn access_ok(flags: u32) -> bool {
    // bpf_map_flags_access_ok: not both RDONLY_PROG and WRONLY_PROG.
    flags & (BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG) != (BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG)
}

fn einval(what: impl Into<String>) -> MapError {
    err(EINVAL, what)
}

fn validate(d: &MapDef) -> Result<(), MapError> {
    let t = d.map_type;
    let f = d.map_flags;
    // map_create(): map_extra is only for bloom filters (and arenas).
    if t != MapType::BloomFilter && d.map_extra != 0 {
        return Err(einval("map_extra is only valid for bloom_filter maps"));
    }
    // bpf_get_file_flag(): RDONLY and WRONLY together.
    if f & BPF_F_RDONLY != 0 && f & BPF_F_WRONLY != 0 {
        return Err(einval("BPF_F_RDONLY and BPF_F_WRONLY are exclusive"));
    }
    match t {
        MapType::Array
        | MapType::PercpuArray
        | MapType::ProgArray
        | MapType::PerfEventArray
        | MapType::CgroupArray
        | MapType::ArrayOfMaps => check_array(d)?,
        MapType::Hash
        | MapType::PercpuHash
        | MapType::LruHash
        | MapType::LruPercpuHash
        | MapType::HashOfMaps => check_hash(d)?,
        MapType::LpmTrie => check_lpm(d)?,
        MapType::Queue | MapType::Stack => check_queue(d)?,
        MapType::BloomFilter => check_bloom(d)?,
        MapType::Ringbuf => check_ringbuf(d)?,
        MapType::Sockmap | MapType::Sockhash | MapType::ReuseportSockarray => {
            crate::sockmap::check(d)?
        }
        MapType::Devmap | MapType::DevmapHash | MapType::Cpumap | MapType::Xskmap => {
            crate::devmap::check(d)?
        }
        MapType::CgroupStorage | MapType::PercpuCgroupStorage => crate::storage::check(d)?,
        MapType::StackTrace => crate::stackmap::check(d)?,
        MapType::SkStorage => crate::skstorage::check(d)?,
    }
    if t.is_map_in_map() {
        check_inner(d)?;
    }
    check_name(&d.name)
}

fn check_array(d: &MapDef) -> Result<(), MapError> {
    let t = d.map_type;
    let f = d.map_flags;
    let fd_array = matches!(
        t,
        MapType::ProgArray | MapType::PerfEventArray | MapType::CgroupArray | MapType::ArrayOfMaps
    );
    if fd_array {
        // fd_array_map_alloc_check
        if d.value_size != 4 {
            return Err(einval("fd array value_size must be 4"));
        }
        if f & (BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG) != 0 {
            return Err(einval(
                "fd arrays reject BPF_F_RDONLY_PROG/BPF_F_WRONLY_PROG",
            ));
        }
    }
    // array_map_alloc_check
    const MASK: u32 = BPF_F_NUMA_NODE
        | BPF_F_MMAPABLE
        | BPF_F_ACCESS_MASK
        | BPF_F_PRESERVE_ELEMS
        | BPF_F_INNER_MAP;
    if d.max_entries == 0 {
        return Err(einval("max_entries must be > 0"));
    }
    if d.key_size != 4 {
        return Err(einval("array key_size must be 4"));
    }
    if d.value_size == 0 {
        return Err(einval("value_size must be > 0"));
    }
    if f & !MASK != 0 || !access_ok(f) {
        return Err(einval(format!("invalid flags {f:#x} for {}", t.name())));
    }
    if t != MapType::Array && f & (BPF_F_MMAPABLE | BPF_F_INNER_MAP) != 0 {
        return Err(einval("BPF_F_MMAPABLE/BPF_F_INNER_MAP need an array map"));
    }
    if t != MapType::PerfEventArray && f & BPF_F_PRESERVE_ELEMS != 0 {
        return Err(einval("BPF_F_PRESERVE_ELEMS needs a perf_event_array"));
    }
    if d.value_size > i32::MAX as u32 {
        return Err(err(E2BIG, "value_size exceeds INT_MAX"));
    }
    if t == MapType::PercpuArray && round8(d.value_size) as u64 > PCPU_MIN_UNIT_SIZE {
        return Err(err(E2BIG, "per-CPU value_size exceeds 32 KiB"));
    }
    Ok(())
}

fn check_hash(d: &MapDef) -> Result<(), MapError> {
    let t = d.map_type;
    let f = d.map_flags;
    let lru = matches!(t, MapType::LruHash | MapType::LruPercpuHash);
    let percpu = matches!(t, MapType::PercpuHash | MapType::LruPercpuHash);
    const MASK: u32 = BPF_F_NO_PREALLOC
        | BPF_F_NO_COMMON_LRU
        | BPF_F_NUMA_NODE
        | BPF_F_ACCESS_MASK
        | BPF_F_ZERO_SEED;
    // htab_map_alloc_check
    if f & !MASK != 0 || !access_ok(f) {
        return Err(einval(format!("invalid flags {f:#x} for {}", t.name())));
    }
    if !lru && f & BPF_F_NO_COMMON_LRU != 0 {
        return Err(einval("BPF_F_NO_COMMON_LRU needs an LRU map"));
    }
    if lru && f & BPF_F_NO_PREALLOC != 0 {
        return Err(err(ENOTSUPP, "LRU maps must be preallocated"));
    }
    if d.max_entries == 0 || d.key_size == 0 || d.value_size == 0 {
        return Err(einval("max_entries, key_size and value_size must be > 0"));
    }
    if t == MapType::HashOfMaps && d.value_size != 4 {
        return Err(einval("hash_of_maps value_size must be 4"));
    }
    if u64::from(d.key_size) + u64::from(d.value_size) >= KMALLOC_MAX_SIZE - HTAB_ELEM_SIZE {
        return Err(err(E2BIG, "key_size + value_size too large"));
    }
    if percpu && round8(d.value_size) as u64 > PCPU_MIN_UNIT_SIZE {
        return Err(err(E2BIG, "per-CPU value_size exceeds 32 KiB"));
    }
    Ok(())
}

fn check_lpm(d: &MapDef) -> Result<(), MapError> {
    let f = d.map_flags;
    const MASK: u32 = BPF_F_NO_PREALLOC | BPF_F_NUMA_NODE | BPF_F_ACCESS_MASK;
    if d.max_entries == 0 || f & BPF_F_NO_PREALLOC == 0 || f & !MASK != 0 || !access_ok(f) {
        return Err(einval(
            "lpm_trie needs max_entries > 0 and BPF_F_NO_PREALLOC, and no other flags",
        ));
    }
    // LPM_KEY_SIZE_MIN = 4 + 1, LPM_KEY_SIZE_MAX = 4 + 256.
    if d.key_size < 5 || d.key_size > 260 {
        return Err(einval("lpm_trie key_size must be 5..=260"));
    }
    let val_max = KMALLOC_MAX_SIZE - 256 - LPM_NODE_SIZE;
    if d.value_size < 1 || u64::from(d.value_size) > val_max {
        return Err(einval("lpm_trie value_size out of range"));
    }
    Ok(())
}

fn check_queue(d: &MapDef) -> Result<(), MapError> {
    let f = d.map_flags;
    const MASK: u32 = BPF_F_NUMA_NODE | BPF_F_ACCESS_MASK;
    if d.max_entries == 0 || d.key_size != 0 || d.value_size == 0 || f & !MASK != 0 || !access_ok(f)
    {
        return Err(einval(
            "queue/stack need key_size 0, value_size > 0, max_entries > 0 and no flags",
        ));
    }
    if u64::from(d.value_size) > KMALLOC_MAX_SIZE {
        return Err(err(E2BIG, "value_size exceeds KMALLOC_MAX_SIZE"));
    }
    Ok(())
}

fn check_bloom(d: &MapDef) -> Result<(), MapError> {
    let f = d.map_flags;
    const MASK: u32 = BPF_F_NUMA_NODE | BPF_F_ZERO_SEED | BPF_F_ACCESS_MASK;
    // bloom_map_alloc_check, then bloom_map_alloc
    if u64::from(d.value_size) > KMALLOC_MAX_SIZE {
        return Err(err(E2BIG, "value_size exceeds KMALLOC_MAX_SIZE"));
    }
    if d.key_size != 0
        || d.value_size == 0
        || d.max_entries == 0
        || f & !MASK != 0
        || !access_ok(f)
        || d.map_extra & !0xf != 0
    {
        return Err(einval(
            "bloom_filter needs key_size 0, value_size > 0, max_entries > 0, map_extra <= 15",
        ));
    }
    Ok(())
}

fn check_ringbuf(d: &MapDef) -> Result<(), MapError> {
    if d.map_flags & !BPF_F_NUMA_NODE != 0 {
        return Err(einval("ringbuf accepts only BPF_F_NUMA_NODE"));
    }
    if d.key_size != 0
        || d.value_size != 0
        || !d.max_entries.is_power_of_two()
        || d.max_entries % PAGE_SIZE != 0
    {
        return Err(einval(
            "ringbuf needs key_size 0, value_size 0 and a power-of-2 page-multiple max_entries",
        ));
    }
    Ok(())
}

fn check_inner(d: &MapDef) -> Result<(), MapError> {
    // bpf_map_meta_alloc(): the template must exist, be one level deep, and
    // support meta comparison (prog arrays do not).
    let Some(inner) = d.inner.as_deref() else {
        return Err(einval("map-in-map needs an inner map template"));
    };
    inner.validate()?;
    if inner.map_type.is_map_in_map() {
        return Err(einval("nested map-in-map is not supported"));
    }
    if inner.map_type == MapType::ProgArray {
        return Err(err(ENOTSUPP, "prog_array cannot be an inner map"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(d: MapDef) -> i32 {
        d.validate().map(|_| 0).unwrap_or_else(|e| e.errno())
    }

    #[test]
    fn type_ids_and_names_round_trip() {
        for t in MapType::ALL {
            assert_eq!(MapType::from_u32(t.id()), Some(*t));
            assert_eq!(MapType::from_name(t.name()), Some(*t));
        }
        assert_eq!(MapType::from_u32(33), None, "arena");
        assert_eq!(MapType::LpmTrie.id(), 11);
    }

    #[test]
    fn array_checks() {
        assert_eq!(e(MapDef::new(MapType::Array, 4, 4, 1)), 0);
        assert_eq!(e(MapDef::new(MapType::Array, 8, 4, 1)), EINVAL);
        assert_eq!(e(MapDef::new(MapType::Array, 4, 0, 1)), EINVAL);
        assert_eq!(e(MapDef::new(MapType::Array, 4, 4, 0)), EINVAL);
        assert_eq!(e(MapDef::new(MapType::Array, 4, 1 << 31, 1)), E2BIG);
        assert_eq!(e(MapDef::new(MapType::PercpuArray, 4, 32769, 1)), E2BIG);
        assert_eq!(e(MapDef::new(MapType::PercpuArray, 4, 32768, 1)), 0);
        let mm = MapDef::new(MapType::PercpuArray, 4, 4, 1).with_flags(BPF_F_MMAPABLE);
        assert_eq!(e(mm), EINVAL);
        let mm =
            MapDef::new(MapType::Array, 4, 4, 1).with_flags(BPF_F_MMAPABLE | BPF_F_RDONLY_PROG);
        assert_eq!(e(mm), 0);
        let both =
            MapDef::new(MapType::Array, 4, 4, 1).with_flags(BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG);
        assert_eq!(e(both), EINVAL);
        assert_eq!(e(MapDef::new(MapType::ProgArray, 4, 8, 1)), EINVAL);
        assert_eq!(
            e(MapDef::new(MapType::Array, 4, 4, 1).with_extra(1)),
            EINVAL
        );
    }

    #[test]
    fn hash_checks() {
        assert_eq!(e(MapDef::new(MapType::Hash, 4, 4, 1)), 0);
        assert_eq!(e(MapDef::new(MapType::Hash, 0, 4, 1)), EINVAL);
        assert_eq!(e(MapDef::new(MapType::Hash, 4, 4_194_251, 1)), 0);
        assert_eq!(e(MapDef::new(MapType::Hash, 4, 4_194_252, 1)), E2BIG);
        let lru = MapDef::new(MapType::LruHash, 4, 4, 1).with_flags(BPF_F_NO_PREALLOC);
        assert_eq!(e(lru), ENOTSUPP);
        let ncl = MapDef::new(MapType::Hash, 4, 4, 1).with_flags(BPF_F_NO_COMMON_LRU);
        assert_eq!(e(ncl), EINVAL);
        assert_eq!(
            e(MapDef::new(MapType::Hash, 4, 4, 1).with_flags(BPF_F_MMAPABLE)),
            EINVAL
        );
    }

    #[test]
    fn other_type_checks() {
        let lpm = |k, v, f| e(MapDef::new(MapType::LpmTrie, k, v, 1).with_flags(f));
        assert_eq!(lpm(8, 4, 0), EINVAL);
        assert_eq!(lpm(8, 4, BPF_F_NO_PREALLOC), 0);
        assert_eq!(lpm(4, 4, BPF_F_NO_PREALLOC), EINVAL);
        assert_eq!(lpm(261, 4, BPF_F_NO_PREALLOC), EINVAL);
        assert_eq!(e(MapDef::new(MapType::Queue, 0, 4, 1)), 0);
        assert_eq!(e(MapDef::new(MapType::Queue, 4, 4, 1)), EINVAL);
        assert_eq!(e(MapDef::new(MapType::Stack, 0, 4_194_305, 1)), E2BIG);
        assert_eq!(
            e(MapDef::new(MapType::BloomFilter, 0, 4, 1).with_extra(16)),
            EINVAL
        );
        assert_eq!(
            e(MapDef::new(MapType::BloomFilter, 0, 4, 1).with_extra(3)),
            0
        );
        assert_eq!(e(MapDef::new(MapType::Ringbuf, 0, 0, 4096)), 0);
        assert_eq!(e(MapDef::new(MapType::Ringbuf, 0, 0, 2048)), EINVAL);
        assert_eq!(e(MapDef::new(MapType::Ringbuf, 0, 0, 3 * 8192)), EINVAL);
        assert_eq!(
            e(MapDef::new(MapType::Array, 4, 4, 1).with_name("a-b")),
            EINVAL
        );
        assert_eq!(
            e(MapDef::new(MapType::Array, 4, 4, 1).with_name("a.b_c")),
            0
        );
        assert_eq!(
            e(MapDef::new(MapType::Array, 4, 4, 1).with_name("0123456789abcdef")),
            EINVAL
        );
    }

    #[test]
    fn map_in_map_checks() {
        let inner = MapDef::new(MapType::Array, 4, 4, 4);
        assert_eq!(e(MapDef::new(MapType::ArrayOfMaps, 4, 4, 4)), EINVAL);
        let ok = MapDef::new(MapType::ArrayOfMaps, 4, 4, 4).with_inner(inner.clone());
        assert_eq!(e(ok.clone()), 0);
        assert_eq!(
            e(MapDef::new(MapType::HashOfMaps, 4, 4, 4).with_inner(ok)),
            EINVAL
        );
        let pa = MapDef::new(MapType::ProgArray, 4, 4, 4);
        assert_eq!(
            e(MapDef::new(MapType::HashOfMaps, 4, 4, 4).with_inner(pa)),
            ENOTSUPP
        );
        assert_eq!(
            e(MapDef::new(MapType::HashOfMaps, 4, 8, 4).with_inner(inner.clone())),
            EINVAL
        );
        // meta_equal: arrays compare max_entries unless BPF_F_INNER_MAP.
        assert!(inner.meta_equal(&MapDef::new(MapType::Array, 4, 4, 4)));
        assert!(!inner.meta_equal(&MapDef::new(MapType::Array, 4, 4, 5)));
        let flex = MapDef::new(MapType::Array, 4, 4, 4).with_flags(BPF_F_INNER_MAP);
        assert!(flex.meta_equal(&MapDef::new(MapType::Array, 4, 4, 9).with_flags(BPF_F_INNER_MAP)));
        assert!(!flex.meta_equal(&MapDef::new(MapType::Array, 4, 4, 9)));
        let h = MapDef::new(MapType::Hash, 4, 4, 4);
        assert!(h.meta_equal(&MapDef::new(MapType::Hash, 4, 4, 8)));
    }
}

//! bpfbox-maps: eBPF maps with the Linux 6.18 kernel's semantics.
//!
//! Role: hold map state for bpfbox. A [`Map`] is created from a [`MapDef`]
//! (the `BPF_MAP_CREATE` attributes) with the kernel's create-time checks and
//! errnos, and is then used from two sides:
//!
//! * the **syscall side** (`lookup`, `update`, `delete`, `get_next_key`,
//!   `lookup_and_delete`, `freeze`, `entries`), mirroring `BPF_MAP_*_ELEM`:
//!   values of per-CPU maps are `ncpus * round_up(value_size, 8)` bytes, errors
//!   are [`MapError`]s carrying the kernel's errno;
//! * the **program side** (`lookup_ptr`, `update_elem`, `delete_elem`,
//!   `push_elem`/`pop_elem`/`peek_elem`, ring buffer and perf output, tail-call
//!   lookup), returning what the helpers return: host pointers into storage that
//!   stays put, or `0`/`-errno`. Memory of deleted or replaced elements is kept
//!   in a graveyard until [`Map::end_of_run`] (like RCU), so pointers handed to
//!   a running program stay valid for the whole run.
//!
//! Inputs: map definitions, keys, values, flags. Outputs: values, errnos,
//! captured ring buffer and perf records. This crate must not depend on any
//! other bpfbox crate: program and map handles stored in prog arrays and
//! map-in-map maps are opaque `u32` ids here.
//!
//! Verified against the running kernel (tests/kernel*.rs, raw `bpf()`):
//! create-time errnos, syscall-side errnos and values for every type,
//! `get_next_key` order of `BPF_F_ZERO_SEED` hash maps (the kernel's jhash and
//! bucket layout) and of LPM tries, bloom filter bit positions, helper-side
//! return values (hand-assembled programs run with `BPF_PROG_TEST_RUN`), and
//! ring buffer records byte for byte through the kernel's mmap()ed ring.
//! Socket maps (sockmap, sockhash, reuseport_sockarray) hold socket ids
//! where the kernel holds sockets; their create-time and syscall-side
//! errnos are compared with real sockets (tests/kernel_sockmap.rs).
//!
//! Where bpfbox cannot match the kernel bit for bit it says so on the item:
//! LRU eviction order (the kernel's LRU is approximate and per-CPU), hash
//! iteration order for maps with a random seed, and the absence of BTF
//! (`BPF_F_LOCK` is always `EINVAL` because no value can hold a spin lock).

#![deny(missing_docs)]

mod array;
mod bloom;
mod def;
mod devmap;
mod error;
mod fdarray;
mod hash;
mod helper;
pub mod jhash;
mod lpm;
mod map;
mod queue;
mod rawbuf;
mod ringbuf;
mod sockmap;
mod stackmap;
mod storage;

pub use def::{
    MapConfig, MapDef, MapType, KMALLOC_MAX_SIZE, MAX_MAP_BYTES, PAGE_SIZE, PCPU_MIN_UNIT_SIZE,
};
pub use devmap::NR_CPUS;
pub use error::{errno, errno_name, ErrorKind, MapError};
pub use fdarray::PerfRecord;
pub use map::Map;
pub use stackmap::PERF_EVENT_MAX_STACK;

/// `BPF_F_*` map creation flags, update flags and helper flags (uapi values).
pub mod flags {
    /// Do not preallocate hash elements (required for LPM tries).
    pub const BPF_F_NO_PREALLOC: u32 = 1 << 0;
    /// LRU: one LRU list per CPU instead of a common one.
    pub const BPF_F_NO_COMMON_LRU: u32 = 1 << 1;
    /// `numa_node` attribute is valid.
    pub const BPF_F_NUMA_NODE: u32 = 1 << 2;
    /// Syscall side may only read.
    pub const BPF_F_RDONLY: u32 = 1 << 3;
    /// Syscall side may only write.
    pub const BPF_F_WRONLY: u32 = 1 << 4;
    /// Stack trace map: values are `struct bpf_stack_build_id` frames.
    pub const BPF_F_STACK_BUILD_ID: u32 = 1 << 5;
    /// Use a zero hash seed (deterministic iteration order).
    pub const BPF_F_ZERO_SEED: u32 = 1 << 6;
    /// Programs may only read.
    pub const BPF_F_RDONLY_PROG: u32 = 1 << 7;
    /// Programs may only write.
    pub const BPF_F_WRONLY_PROG: u32 = 1 << 8;
    /// Array can be mmap()ed.
    pub const BPF_F_MMAPABLE: u32 = 1 << 10;
    /// perf_event_array: keep elements when the map fd is closed.
    pub const BPF_F_PRESERVE_ELEMS: u32 = 1 << 11;
    /// Array template: inner maps may have other max_entries.
    pub const BPF_F_INNER_MAP: u32 = 1 << 12;
    /// All access flags.
    pub const BPF_F_ACCESS_MASK: u32 =
        BPF_F_RDONLY | BPF_F_RDONLY_PROG | BPF_F_WRONLY | BPF_F_WRONLY_PROG;

    /// Update flag: create or replace.
    pub const BPF_ANY: u64 = 0;
    /// Update flag: create only.
    pub const BPF_NOEXIST: u64 = 1;
    /// Update flag: replace only (queue/stack: overwrite the oldest when full).
    pub const BPF_EXIST: u64 = 2;
    /// Update/lookup flag: take the value's spin lock.
    pub const BPF_F_LOCK: u64 = 4;

    /// perf_event_output: index bits of `flags`.
    pub const BPF_F_INDEX_MASK: u64 = 0xffff_ffff;
    /// perf_event_output: use the current CPU as index.
    pub const BPF_F_CURRENT_CPU: u64 = BPF_F_INDEX_MASK;
    /// perf_event_output (skb/xdp variants): ctx bytes to append.
    pub const BPF_F_CTXLEN_MASK: u64 = 0xfffff << 32;

    /// Ring buffer: do not wake up the consumer.
    pub const BPF_RB_NO_WAKEUP: u64 = 1 << 0;
    /// Ring buffer: force a wake-up.
    pub const BPF_RB_FORCE_WAKEUP: u64 = 1 << 1;
    /// `bpf_ringbuf_query`: bytes not yet consumed.
    pub const BPF_RB_AVAIL_DATA: u64 = 0;
    /// `bpf_ringbuf_query`: data area size.
    pub const BPF_RB_RING_SIZE: u64 = 1;
    /// `bpf_ringbuf_query`: consumer position.
    pub const BPF_RB_CONS_POS: u64 = 2;
    /// `bpf_ringbuf_query`: producer position.
    pub const BPF_RB_PROD_POS: u64 = 3;
    /// Ring buffer record header bit: record still being written.
    pub const BPF_RINGBUF_BUSY_BIT: u32 = 1 << 31;
    /// Ring buffer record header bit: record discarded.
    pub const BPF_RINGBUF_DISCARD_BIT: u32 = 1 << 30;
    /// Ring buffer record header size.
    pub const BPF_RINGBUF_HDR_SZ: u32 = 8;
}

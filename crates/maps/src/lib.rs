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
mod skstorage;
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

/// `BPF_F_*` map creation flags, update flags and helper flags (uapi
/// values, from bpfbox-uapi).
pub use bpfbox_uapi::flags;

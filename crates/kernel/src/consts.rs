//! uapi numbers as on Linux 6.18 (taken from the running kernel's BTF; the
//! installed 6.1 header lacks the newer ones). Program-type *facts* live in
//! bpfbox-progtype; these are only the numbers the syscalls take.

pub use bpfbox_uapi::{attach_type, map_type, prog_type};

/// Whether a map type stores one value per possible CPU, so user-space
/// lookups and updates move `round_up(value_size, 8) * possible_cpus()`
/// bytes (`bpf_map_value_size` in kernel/bpf/syscall.c).
pub fn is_percpu_map(map_type: u32) -> bool {
    matches!(
        map_type,
        map_type::PERCPU_HASH
            | map_type::PERCPU_ARRAY
            | map_type::LRU_PERCPU_HASH
            | map_type::PERCPU_CGROUP_STORAGE
    )
}

/// Flags for map element updates and creation.
#[allow(missing_docs)]
pub mod map_flags {
    /// Update: create or replace.
    pub const ANY: u64 = 0;
    /// Update: create only.
    pub const NOEXIST: u64 = 1;
    /// Update: replace only.
    pub const EXIST: u64 = 2;
    /// Update/lookup: take the value's `bpf_spin_lock`.
    pub const F_LOCK: u64 = 4;
    /// Creation: do not preallocate hash elements.
    pub const F_NO_PREALLOC: u32 = 1;
    pub const F_NO_COMMON_LRU: u32 = 2;
    pub const F_NUMA_NODE: u32 = 4;
    pub const F_RDONLY: u32 = 8;
    pub const F_WRONLY: u32 = 16;
    pub const F_RDONLY_PROG: u32 = 128;
    pub const F_WRONLY_PROG: u32 = 256;
    pub const F_MMAPABLE: u32 = 1024;
}

/// `BPF_PROG_LOAD` `prog_flags`.
#[allow(missing_docs)]
pub mod prog_flags {
    pub const F_STRICT_ALIGNMENT: u32 = 1;
    pub const F_ANY_ALIGNMENT: u32 = 2;
    pub const F_TEST_RND_HI32: u32 = 4;
    pub const F_TEST_STATE_FREQ: u32 = 8;
    pub const F_SLEEPABLE: u32 = 16;
    pub const F_XDP_HAS_FRAGS: u32 = 32;
    pub const F_XDP_DEV_BOUND_ONLY: u32 = 64;
}

/// `BPF_PROG_TEST_RUN` flags.
#[allow(missing_docs)]
pub mod test_flags {
    pub const F_TEST_RUN_ON_CPU: u32 = 1;
    pub const F_TEST_XDP_LIVE_FRAMES: u32 = 2;
    pub const F_TEST_SKB_CHECKSUM_COMPLETE: u32 = 4;
}

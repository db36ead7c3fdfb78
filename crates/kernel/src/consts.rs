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

pub use bpfbox_uapi::{map_flags, prog_flags, test_flags};

//! An example of a user's project: a BPF program in `bpf/`, built by
//! `build.rs`, and tested with bpfbox in `tests/` through the library API
//! only, as any project depending on `bpfbox` would.

/// The compiled object: built from `bpf/port_filter.c` by clang-19 when
/// installed, else the committed `bpf/port_filter.o`.
pub const OBJECT: &str = env!("PORT_FILTER_OBJ");

/// How [`OBJECT`] was made: `clang-19` or `committed`.
pub const BUILT_WITH: &str = env!("PORT_FILTER_BUILT");

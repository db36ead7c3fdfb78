//! The numbers of Linux's BPF uapi (`include/uapi/linux/bpf.h`) as the
//! 6.18 kernel defines them (taken from the running kernel's BTF; the
//! installed 6.1 header lacks the newer ones): `enum bpf_prog_type`,
//! `enum bpf_attach_type`, `enum bpf_map_type`, `enum bpf_func_id`
//! ([`helper`]) and errno values ([`errno`]). One definition for the
//! loader (bpfbox-object) and the kernel engine (bpfbox-kernel);
//! program-type *facts* live in bpfbox-progtype.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod errno;
pub mod helper;

/// `enum bpf_prog_type`.
#[allow(missing_docs)]
pub mod prog_type {
    pub const UNSPEC: u32 = 0;
    pub const SOCKET_FILTER: u32 = 1;
    pub const KPROBE: u32 = 2;
    pub const SCHED_CLS: u32 = 3;
    pub const SCHED_ACT: u32 = 4;
    pub const TRACEPOINT: u32 = 5;
    pub const XDP: u32 = 6;
    pub const PERF_EVENT: u32 = 7;
    pub const CGROUP_SKB: u32 = 8;
    pub const CGROUP_SOCK: u32 = 9;
    pub const LWT_IN: u32 = 10;
    pub const LWT_OUT: u32 = 11;
    pub const LWT_XMIT: u32 = 12;
    pub const SOCK_OPS: u32 = 13;
    pub const SK_SKB: u32 = 14;
    pub const CGROUP_DEVICE: u32 = 15;
    pub const SK_MSG: u32 = 16;
    pub const RAW_TRACEPOINT: u32 = 17;
    pub const CGROUP_SOCK_ADDR: u32 = 18;
    pub const LWT_SEG6LOCAL: u32 = 19;
    pub const LIRC_MODE2: u32 = 20;
    pub const SK_REUSEPORT: u32 = 21;
    pub const FLOW_DISSECTOR: u32 = 22;
    pub const CGROUP_SYSCTL: u32 = 23;
    pub const RAW_TRACEPOINT_WRITABLE: u32 = 24;
    pub const CGROUP_SOCKOPT: u32 = 25;
    pub const TRACING: u32 = 26;
    pub const STRUCT_OPS: u32 = 27;
    pub const EXT: u32 = 28;
    pub const LSM: u32 = 29;
    pub const SK_LOOKUP: u32 = 30;
    pub const SYSCALL: u32 = 31;
    pub const NETFILTER: u32 = 32;
}

/// `BPF_*` attach type values (`enum bpf_attach_type`, 6.18 uapi).
#[allow(missing_docs)]
pub mod attach_type {
    pub const CGROUP_INET_INGRESS: u32 = 0;
    pub const CGROUP_INET_EGRESS: u32 = 1;
    pub const CGROUP_INET_SOCK_CREATE: u32 = 2;
    pub const CGROUP_SOCK_OPS: u32 = 3;
    pub const SK_SKB_STREAM_PARSER: u32 = 4;
    pub const SK_SKB_STREAM_VERDICT: u32 = 5;
    pub const CGROUP_DEVICE: u32 = 6;
    pub const SK_MSG_VERDICT: u32 = 7;
    pub const CGROUP_INET4_BIND: u32 = 8;
    pub const CGROUP_INET6_BIND: u32 = 9;
    pub const CGROUP_INET4_CONNECT: u32 = 10;
    pub const CGROUP_INET6_CONNECT: u32 = 11;
    pub const CGROUP_INET4_POST_BIND: u32 = 12;
    pub const CGROUP_INET6_POST_BIND: u32 = 13;
    pub const CGROUP_UDP4_SENDMSG: u32 = 14;
    pub const CGROUP_UDP6_SENDMSG: u32 = 15;
    pub const LIRC_MODE2: u32 = 16;
    pub const FLOW_DISSECTOR: u32 = 17;
    pub const CGROUP_SYSCTL: u32 = 18;
    pub const CGROUP_UDP4_RECVMSG: u32 = 19;
    pub const CGROUP_UDP6_RECVMSG: u32 = 20;
    pub const CGROUP_GETSOCKOPT: u32 = 21;
    pub const CGROUP_SETSOCKOPT: u32 = 22;
    pub const TRACE_RAW_TP: u32 = 23;
    pub const TRACE_FENTRY: u32 = 24;
    pub const TRACE_FEXIT: u32 = 25;
    pub const MODIFY_RETURN: u32 = 26;
    pub const LSM_MAC: u32 = 27;
    pub const TRACE_ITER: u32 = 28;
    pub const CGROUP_INET4_GETPEERNAME: u32 = 29;
    pub const CGROUP_INET6_GETPEERNAME: u32 = 30;
    pub const CGROUP_INET4_GETSOCKNAME: u32 = 31;
    pub const CGROUP_INET6_GETSOCKNAME: u32 = 32;
    pub const XDP_DEVMAP: u32 = 33;
    pub const CGROUP_INET_SOCK_RELEASE: u32 = 34;
    pub const XDP_CPUMAP: u32 = 35;
    pub const SK_LOOKUP: u32 = 36;
    pub const XDP: u32 = 37;
    pub const SK_SKB_VERDICT: u32 = 38;
    pub const SK_REUSEPORT_SELECT: u32 = 39;
    pub const SK_REUSEPORT_SELECT_OR_MIGRATE: u32 = 40;
    pub const PERF_EVENT: u32 = 41;
    pub const TRACE_KPROBE_MULTI: u32 = 42;
    pub const LSM_CGROUP: u32 = 43;
    pub const STRUCT_OPS: u32 = 44;
    pub const NETFILTER: u32 = 45;
    pub const TCX_INGRESS: u32 = 46;
    pub const TCX_EGRESS: u32 = 47;
    pub const TRACE_UPROBE_MULTI: u32 = 48;
    pub const CGROUP_UNIX_CONNECT: u32 = 49;
    pub const CGROUP_UNIX_SENDMSG: u32 = 50;
    pub const CGROUP_UNIX_RECVMSG: u32 = 51;
    pub const CGROUP_UNIX_GETPEERNAME: u32 = 52;
    pub const CGROUP_UNIX_GETSOCKNAME: u32 = 53;
    pub const NETKIT_PRIMARY: u32 = 54;
    pub const NETKIT_PEER: u32 = 55;
    pub const TRACE_KPROBE_SESSION: u32 = 56;
    pub const TRACE_UPROBE_SESSION: u32 = 57;
}

/// `enum bpf_map_type`.
#[allow(missing_docs)]
pub mod map_type {
    pub const UNSPEC: u32 = 0;
    pub const HASH: u32 = 1;
    pub const ARRAY: u32 = 2;
    pub const PROG_ARRAY: u32 = 3;
    pub const PERF_EVENT_ARRAY: u32 = 4;
    pub const PERCPU_HASH: u32 = 5;
    pub const PERCPU_ARRAY: u32 = 6;
    pub const STACK_TRACE: u32 = 7;
    pub const CGROUP_ARRAY: u32 = 8;
    pub const LRU_HASH: u32 = 9;
    pub const LRU_PERCPU_HASH: u32 = 10;
    pub const LPM_TRIE: u32 = 11;
    pub const ARRAY_OF_MAPS: u32 = 12;
    pub const HASH_OF_MAPS: u32 = 13;
    pub const DEVMAP: u32 = 14;
    pub const SOCKMAP: u32 = 15;
    pub const CPUMAP: u32 = 16;
    pub const XSKMAP: u32 = 17;
    pub const SOCKHASH: u32 = 18;
    pub const CGROUP_STORAGE: u32 = 19;
    pub const REUSEPORT_SOCKARRAY: u32 = 20;
    pub const PERCPU_CGROUP_STORAGE: u32 = 21;
    pub const QUEUE: u32 = 22;
    pub const STACK: u32 = 23;
    pub const SK_STORAGE: u32 = 24;
    pub const DEVMAP_HASH: u32 = 25;
    pub const STRUCT_OPS: u32 = 26;
    pub const RINGBUF: u32 = 27;
    pub const INODE_STORAGE: u32 = 28;
    pub const TASK_STORAGE: u32 = 29;
    pub const BLOOM_FILTER: u32 = 30;
    pub const USER_RINGBUF: u32 = 31;
    pub const CGRP_STORAGE: u32 = 32;
    pub const ARENA: u32 = 33;
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

/// `BPF_PROG_ATTACH` flags.
pub mod attach_flags {
    /// `BPF_F_ALLOW_OVERRIDE`.
    pub const F_ALLOW_OVERRIDE: u32 = 1;
    /// `BPF_F_ALLOW_MULTI`.
    pub const F_ALLOW_MULTI: u32 = 2;
    /// `BPF_F_REPLACE`.
    pub const F_REPLACE: u32 = 4;
}

/// `BPF_F_*` map creation flags, update flags and helper flags (uapi values)
/// under their C names, as the map code uses them.
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
    /// Socket storage: clone the storage to child sockets on accept.
    pub const BPF_F_CLONE: u32 = 1 << 9;
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

/// `enum bpf_cmd`: the first argument of `bpf(2)`.
#[allow(missing_docs)]
pub mod cmd {
    pub const MAP_CREATE: i32 = 0;
    pub const MAP_LOOKUP_ELEM: i32 = 1;
    pub const MAP_UPDATE_ELEM: i32 = 2;
    pub const MAP_DELETE_ELEM: i32 = 3;
    pub const MAP_GET_NEXT_KEY: i32 = 4;
    pub const PROG_LOAD: i32 = 5;
    pub const OBJ_PIN: i32 = 6;
    pub const OBJ_GET: i32 = 7;
    pub const PROG_ATTACH: i32 = 8;
    pub const PROG_DETACH: i32 = 9;
    pub const PROG_TEST_RUN: i32 = 10;
    pub const PROG_GET_NEXT_ID: i32 = 11;
    pub const MAP_GET_NEXT_ID: i32 = 12;
    pub const PROG_GET_FD_BY_ID: i32 = 13;
    pub const MAP_GET_FD_BY_ID: i32 = 14;
    pub const OBJ_GET_INFO_BY_FD: i32 = 15;
    pub const PROG_QUERY: i32 = 16;
    pub const RAW_TRACEPOINT_OPEN: i32 = 17;
    pub const BTF_LOAD: i32 = 18;
    pub const BTF_GET_FD_BY_ID: i32 = 19;
    pub const TASK_FD_QUERY: i32 = 20;
    pub const MAP_LOOKUP_AND_DELETE_ELEM: i32 = 21;
    pub const MAP_FREEZE: i32 = 22;
    pub const BTF_GET_NEXT_ID: i32 = 23;
    pub const MAP_LOOKUP_BATCH: i32 = 24;
    pub const MAP_LOOKUP_AND_DELETE_BATCH: i32 = 25;
    pub const MAP_UPDATE_BATCH: i32 = 26;
    pub const MAP_DELETE_BATCH: i32 = 27;
    pub const LINK_CREATE: i32 = 28;
}

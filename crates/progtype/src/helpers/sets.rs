//! Helper availability sets (generated once from the spec sheet's §4.3
//! measurement on 6.18 as a privileged loader, then kept as data). A type's
//! set is the union of its layers; the `*_ONLY` sets are what remains after
//! the shared layers (the kernel's `bpf_base_func_proto`,
//! `bpf_sk_base_func_proto`, `bpf_tracing_func_proto` ... fall-throughs).

use super::{id::*, HelperSet};

/// Available to every program type (bpf_base_func_proto as seen by root).
pub static BASE: HelperSet = HelperSet::new(
    "base",
    &[
        MAP_LOOKUP_ELEM,
        MAP_UPDATE_ELEM,
        MAP_DELETE_ELEM,
        KTIME_GET_NS,
        TRACE_PRINTK,
        GET_PRANDOM_U32,
        GET_SMP_PROCESSOR_ID,
        TAIL_CALL,
        GET_CURRENT_PID_TGID,
        GET_CURRENT_UID_GID,
        GET_CURRENT_COMM,
        GET_CGROUP_CLASSID,
        PERF_EVENT_READ,
        GET_CURRENT_TASK,
        CURRENT_TASK_UNDER_CGROUP,
        GET_NUMA_NODE_ID,
        PERF_EVENT_READ_VALUE,
        GET_CURRENT_CGROUP_ID,
        MAP_PUSH_ELEM,
        MAP_POP_ELEM,
        MAP_PEEK_ELEM,
        SPIN_LOCK,
        SPIN_UNLOCK,
        STRTOL,
        STRTOUL,
        SEND_SIGNAL,
        PROBE_READ_USER,
        PROBE_READ_KERNEL,
        PROBE_READ_USER_STR,
        PROBE_READ_KERNEL_STR,
        SEND_SIGNAL_THREAD,
        JIFFIES64,
        GET_NS_CURRENT_PID_TGID,
        GET_CURRENT_ANCESTOR_CGROUP_ID,
        KTIME_GET_BOOT_NS,
        RINGBUF_OUTPUT,
        RINGBUF_RESERVE,
        RINGBUF_SUBMIT,
        RINGBUF_DISCARD,
        RINGBUF_QUERY,
        GET_TASK_STACK,
        SNPRINTF_BTF,
        PER_CPU_PTR,
        THIS_CPU_PTR,
        TASK_STORAGE_GET,
        TASK_STORAGE_DELETE,
        GET_CURRENT_TASK_BTF,
        FOR_EACH_MAP_ELEM,
        SNPRINTF,
        TIMER_INIT,
        TIMER_SET_CALLBACK,
        TIMER_START,
        TIMER_CANCEL,
        TASK_PT_REGS,
        GET_BRANCH_SNAPSHOT,
        TRACE_VPRINTK,
        FIND_VMA,
        LOOP,
        STRNCMP,
        KPTR_XCHG,
        MAP_LOOKUP_PERCPU_ELEM,
        DYNPTR_FROM_MEM,
        RINGBUF_RESERVE_DYNPTR,
        RINGBUF_SUBMIT_DYNPTR,
        RINGBUF_DISCARD_DYNPTR,
        DYNPTR_READ,
        DYNPTR_WRITE,
        DYNPTR_DATA,
        KTIME_GET_TAI_NS,
        USER_RINGBUF_DRAIN,
        CGRP_STORAGE_GET,
        CGRP_STORAGE_DELETE,
    ],
);

/// The `bpf_skc_to_*` socket casts (bpf_sk_base_func_proto).
pub static SKC_CASTS: HelperSet = HelperSet::new(
    "skc_casts",
    &[
        SKC_TO_TCP6_SOCK,
        SKC_TO_TCP_SOCK,
        SKC_TO_TCP_TIMEWAIT_SOCK,
        SKC_TO_TCP_REQUEST_SOCK,
        SKC_TO_UDP6_SOCK,
        SKC_TO_UNIX_SOCK,
        SKC_TO_MPTCP_SOCK,
    ],
);

/// `ktime_get_coarse_ns` (socket and cgroup types).
pub static COARSE_CLOCK: HelperSet = HelperSet::new("coarse_clock", &[KTIME_GET_COARSE_NS]);

/// Tracing essentials: probe_read(_str), stack ids and perf output.
pub static TRACE_BASE: HelperSet = HelperSet::new(
    "trace_base",
    &[
        PROBE_READ,
        PERF_EVENT_OUTPUT,
        GET_STACKID,
        PROBE_READ_STR,
        GET_STACK,
    ],
);

/// `get_attach_cookie` (perf-event based and trampoline-based tracing).
pub static ATTACH_COOKIE: HelperSet = HelperSet::new("attach_cookie", &[GET_ATTACH_COOKIE]);

/// `perf_event_output` for non-tracing types.
pub static PERF_OUTPUT: HelperSet = HelperSet::new("perf_output", &[PERF_EVENT_OUTPUT]);

/// `get_local_storage` (cgroup-attached types).
pub static CGROUP_STORAGE: HelperSet = HelperSet::new("cgroup_storage", &[GET_LOCAL_STORAGE]);

/// `get_retval` / `set_retval` (cgroup hooks that report an errno).
pub static CGROUP_RETVAL: HelperSet = HelperSet::new("cgroup_retval", &[GET_RETVAL, SET_RETVAL]);

/// Shared by all four LWT types.
pub static LWT_COMMON: HelperSet = HelperSet::new(
    "lwt_common",
    &[
        GET_ROUTE_REALM,
        SKB_LOAD_BYTES,
        CSUM_DIFF,
        SKB_UNDER_CGROUP,
        GET_HASH_RECALC,
        SKB_PULL_DATA,
    ],
);

/// TRACING (tp_btf, iter, fentry...) beyond the tracing base.
pub static TRACING_COMMON: HelperSet = HelperSet::new(
    "tracing_common",
    &[
        GET_SOCKET_COOKIE,
        SK_STORAGE_GET,
        SK_STORAGE_DELETE,
        SKB_OUTPUT,
        XDP_OUTPUT,
        SOCK_FROM_FILE,
        XDP_GET_BUFF_LEN,
    ],
);

/// TRACING iterators only (seq_* and d_path).
pub static ITER_ONLY: HelperSet = HelperSet::new(
    "iter_only",
    &[SEQ_PRINTF, SEQ_WRITE, D_PATH, SEQ_PRINTF_BTF],
);

/// What cgroup skb has beyond its shared layers (measured).
pub static CGROUP_SKB_EXTRA: HelperSet = HelperSet::new(
    "cgroup_skb_extra",
    &[
        SKB_LOAD_BYTES,
        GET_SOCKET_COOKIE,
        GET_SOCKET_UID,
        SKB_LOAD_BYTES_RELATIVE,
        SKB_CGROUP_ID,
        SKB_ANCESTOR_CGROUP_ID,
        SK_LOOKUP_TCP,
        SK_LOOKUP_UDP,
        SK_RELEASE,
        SK_FULLSOCK,
        TCP_SOCK,
        SKB_ECN_SET_CE,
        GET_LISTENER_SOCK,
        SKC_LOOKUP_TCP,
        SK_STORAGE_GET,
        SK_STORAGE_DELETE,
        GET_NETNS_COOKIE,
        SK_CGROUP_ID,
        SK_ANCESTOR_CGROUP_ID,
    ],
);

/// What cgroup sockopt has beyond its shared layers (measured).
pub static CGROUP_SOCKOPT_EXTRA: HelperSet = HelperSet::new(
    "cgroup_sockopt_extra",
    &[
        SETSOCKOPT,
        GETSOCKOPT,
        TCP_SOCK,
        SK_STORAGE_GET,
        SK_STORAGE_DELETE,
        GET_NETNS_COOKIE,
    ],
);

/// What cgroup sock addr has beyond its shared layers (measured).
pub static CGROUP_SOCK_ADDR_EXTRA: HelperSet = HelperSet::new(
    "cgroup_sock_addr_extra",
    &[
        GET_SOCKET_COOKIE,
        SETSOCKOPT,
        GETSOCKOPT,
        BIND,
        SK_LOOKUP_TCP,
        SK_LOOKUP_UDP,
        SK_RELEASE,
        SKC_LOOKUP_TCP,
        SK_STORAGE_GET,
        SK_STORAGE_DELETE,
        GET_NETNS_COOKIE,
    ],
);

/// What cgroup sock has beyond its shared layers (measured).
pub static CGROUP_SOCK_EXTRA: HelperSet = HelperSet::new(
    "cgroup_sock_extra",
    &[GET_SOCKET_COOKIE, SK_STORAGE_GET, GET_NETNS_COOKIE],
);

/// What cgroup sysctl has beyond its shared layers (measured).
pub static CGROUP_SYSCTL_EXTRA: HelperSet = HelperSet::new(
    "cgroup_sysctl_extra",
    &[
        SYSCTL_GET_NAME,
        SYSCTL_GET_CURRENT_VALUE,
        SYSCTL_GET_NEW_VALUE,
        SYSCTL_SET_NEW_VALUE,
    ],
);

/// What flow dissector has beyond its shared layers (measured).
pub static FLOW_DISSECTOR_EXTRA: HelperSet =
    HelperSet::new("flow_dissector_extra", &[SKB_LOAD_BYTES]);

/// What kprobe has beyond its shared layers (measured).
pub static KPROBE_EXTRA: HelperSet = HelperSet::new("kprobe_extra", &[GET_FUNC_IP]);

/// What lwt in has beyond its shared layers (measured).
pub static LWT_IN_EXTRA: HelperSet = HelperSet::new("lwt_in_extra", &[LWT_PUSH_ENCAP]);

/// What lwt seg6local has beyond its shared layers (measured).
pub static LWT_SEG6LOCAL_EXTRA: HelperSet = HelperSet::new(
    "lwt_seg6local_extra",
    &[LWT_SEG6_STORE_BYTES, LWT_SEG6_ADJUST_SRH, LWT_SEG6_ACTION],
);

/// What lwt xmit has beyond its shared layers (measured).
pub static LWT_XMIT_EXTRA: HelperSet = HelperSet::new(
    "lwt_xmit_extra",
    &[
        SKB_STORE_BYTES,
        L3_CSUM_REPLACE,
        L4_CSUM_REPLACE,
        CLONE_REDIRECT,
        SKB_GET_TUNNEL_KEY,
        SKB_SET_TUNNEL_KEY,
        REDIRECT,
        SKB_GET_TUNNEL_OPT,
        SKB_SET_TUNNEL_OPT,
        SKB_CHANGE_TAIL,
        CSUM_UPDATE,
        SET_HASH_INVALID,
        SKB_CHANGE_HEAD,
        LWT_PUSH_ENCAP,
        CSUM_LEVEL,
    ],
);

/// What perf event has beyond its shared layers (measured).
pub static PERF_EVENT_EXTRA: HelperSet = HelperSet::new(
    "perf_event_extra",
    &[PERF_PROG_READ_VALUE, READ_BRANCH_RECORDS],
);

/// What sk lookup has beyond its shared layers (measured).
pub static SK_LOOKUP_EXTRA: HelperSet = HelperSet::new("sk_lookup_extra", &[SK_RELEASE, SK_ASSIGN]);

/// What sk msg has beyond its shared layers (measured).
pub static SK_MSG_EXTRA: HelperSet = HelperSet::new(
    "sk_msg_extra",
    &[
        MSG_REDIRECT_MAP,
        MSG_APPLY_BYTES,
        MSG_CORK_BYTES,
        MSG_PULL_DATA,
        MSG_REDIRECT_HASH,
        MSG_PUSH_DATA,
        MSG_POP_DATA,
        SK_STORAGE_GET,
        SK_STORAGE_DELETE,
        GET_NETNS_COOKIE,
    ],
);

/// What sk reuseport has beyond its shared layers (measured).
pub static SK_REUSEPORT_EXTRA: HelperSet = HelperSet::new(
    "sk_reuseport_extra",
    &[
        SKB_LOAD_BYTES,
        GET_SOCKET_COOKIE,
        SKB_LOAD_BYTES_RELATIVE,
        SK_SELECT_REUSEPORT,
    ],
);

/// What sk skb has beyond its shared layers (measured).
pub static SK_SKB_EXTRA: HelperSet = HelperSet::new(
    "sk_skb_extra",
    &[
        SKB_STORE_BYTES,
        SKB_LOAD_BYTES,
        SKB_CHANGE_TAIL,
        SKB_PULL_DATA,
        SKB_CHANGE_HEAD,
        GET_SOCKET_COOKIE,
        GET_SOCKET_UID,
        SKB_ADJUST_ROOM,
        SK_REDIRECT_MAP,
        SK_REDIRECT_HASH,
        SK_LOOKUP_TCP,
        SK_LOOKUP_UDP,
        SK_RELEASE,
        SKC_LOOKUP_TCP,
    ],
);

/// What socket filter has beyond its shared layers (measured).
pub static SOCKET_FILTER_EXTRA: HelperSet = HelperSet::new(
    "socket_filter_extra",
    &[
        SKB_LOAD_BYTES,
        GET_SOCKET_COOKIE,
        GET_SOCKET_UID,
        SKB_LOAD_BYTES_RELATIVE,
        GET_NETNS_COOKIE,
    ],
);

/// What sock ops has beyond its shared layers (measured).
pub static SOCK_OPS_EXTRA: HelperSet = HelperSet::new(
    "sock_ops_extra",
    &[
        GET_SOCKET_COOKIE,
        SETSOCKOPT,
        SOCK_MAP_UPDATE,
        GETSOCKOPT,
        SOCK_OPS_CB_FLAGS_SET,
        SOCK_HASH_UPDATE,
        TCP_SOCK,
        SK_STORAGE_GET,
        SK_STORAGE_DELETE,
        GET_NETNS_COOKIE,
        LOAD_HDR_OPT,
        STORE_HDR_OPT,
        RESERVE_HDR_OPT,
    ],
);

/// What syscall has beyond its shared layers (measured).
pub static SYSCALL_EXTRA: HelperSet = HelperSet::new(
    "syscall_extra",
    &[
        GET_SOCKET_COOKIE,
        SKB_OUTPUT,
        XDP_OUTPUT,
        COPY_FROM_USER,
        SOCK_FROM_FILE,
        SYS_BPF,
        BTF_FIND_BY_NAME_KIND,
        SYS_CLOSE,
        KALLSYMS_LOOKUP_NAME,
        XDP_GET_BUFF_LEN,
        COPY_FROM_USER_TASK,
    ],
);

/// What tc has beyond its shared layers (measured).
pub static TC_EXTRA: HelperSet = HelperSet::new(
    "tc_extra",
    &[
        SKB_STORE_BYTES,
        L3_CSUM_REPLACE,
        L4_CSUM_REPLACE,
        CLONE_REDIRECT,
        SKB_VLAN_PUSH,
        SKB_VLAN_POP,
        SKB_GET_TUNNEL_KEY,
        SKB_SET_TUNNEL_KEY,
        REDIRECT,
        GET_ROUTE_REALM,
        SKB_LOAD_BYTES,
        CSUM_DIFF,
        SKB_GET_TUNNEL_OPT,
        SKB_SET_TUNNEL_OPT,
        SKB_CHANGE_PROTO,
        SKB_CHANGE_TYPE,
        SKB_UNDER_CGROUP,
        GET_HASH_RECALC,
        SKB_CHANGE_TAIL,
        SKB_PULL_DATA,
        CSUM_UPDATE,
        SET_HASH_INVALID,
        SKB_CHANGE_HEAD,
        GET_SOCKET_COOKIE,
        GET_SOCKET_UID,
        SET_HASH,
        SKB_ADJUST_ROOM,
        SKB_GET_XFRM_STATE,
        SKB_LOAD_BYTES_RELATIVE,
        FIB_LOOKUP,
        SKB_CGROUP_ID,
        SKB_ANCESTOR_CGROUP_ID,
        SK_LOOKUP_TCP,
        SK_LOOKUP_UDP,
        SK_RELEASE,
        SK_FULLSOCK,
        TCP_SOCK,
        SKB_ECN_SET_CE,
        GET_LISTENER_SOCK,
        SKC_LOOKUP_TCP,
        TCP_CHECK_SYNCOOKIE,
        SK_STORAGE_GET,
        SK_STORAGE_DELETE,
        TCP_GEN_SYNCOOKIE,
        GET_NETNS_COOKIE,
        SK_ASSIGN,
        CSUM_LEVEL,
        SKB_CGROUP_CLASSID,
        REDIRECT_NEIGH,
        REDIRECT_PEER,
        CHECK_MTU,
        SKB_SET_TSTAMP,
        TCP_RAW_GEN_SYNCOOKIE_IPV4,
        TCP_RAW_GEN_SYNCOOKIE_IPV6,
        TCP_RAW_CHECK_SYNCOOKIE_IPV4,
        TCP_RAW_CHECK_SYNCOOKIE_IPV6,
    ],
);

/// What xdp has beyond its shared layers (measured).
pub static XDP_EXTRA: HelperSet = HelperSet::new(
    "xdp_extra",
    &[
        REDIRECT,
        CSUM_DIFF,
        XDP_ADJUST_HEAD,
        REDIRECT_MAP,
        XDP_ADJUST_META,
        XDP_ADJUST_TAIL,
        FIB_LOOKUP,
        SK_LOOKUP_TCP,
        SK_LOOKUP_UDP,
        SK_RELEASE,
        SKC_LOOKUP_TCP,
        TCP_CHECK_SYNCOOKIE,
        TCP_GEN_SYNCOOKIE,
        CHECK_MTU,
        XDP_GET_BUFF_LEN,
        XDP_LOAD_BYTES,
        XDP_STORE_BYTES,
        TCP_RAW_GEN_SYNCOOKIE_IPV4,
        TCP_RAW_GEN_SYNCOOKIE_IPV6,
        TCP_RAW_CHECK_SYNCOOKIE_IPV4,
        TCP_RAW_CHECK_SYNCOOKIE_IPV6,
    ],
);
// ---- Hand-written sets for types that cannot be loaded on the reference
// VM (no trampolines, no CONFIG_RC_CORE); source/knowledge, not measured.

/// LIRC_MODE2: `lirc_mode2_func_proto` (drivers/media/rc/bpf-lirc.c) has
/// its own short list and no base fall-through.
pub static LIRC_MODE2_SET: HelperSet = HelperSet::new(
    "lirc_mode2",
    &[
        MAP_LOOKUP_ELEM,
        MAP_UPDATE_ELEM,
        MAP_DELETE_ELEM,
        KTIME_GET_NS,
        TRACE_PRINTK,
        GET_PRANDOM_U32,
        TAIL_CALL,
        RC_REPEAT,
        RC_KEYDOWN,
        RC_POINTER_REL,
        MAP_PUSH_ELEM,
        MAP_POP_ELEM,
        MAP_PEEK_ELEM,
        KTIME_GET_BOOT_NS,
    ],
);

/// Trampoline programs (fentry/fexit/fmod_ret, LSM): function argument
/// access and the traced function's address.
pub static TRAMPOLINE_ARGS: HelperSet = HelperSet::new(
    "trampoline_args",
    &[GET_FUNC_ARG, GET_FUNC_ARG_CNT, GET_FUNC_IP],
);

/// fexit / fmod_ret / LSM: the traced function's return value.
pub static FUNC_RET: HelperSet = HelperSet::new("func_ret", &[GET_FUNC_RET]);

/// LSM-only helpers (`bpf_lsm_func_proto`); `d_path` only on sleepable
/// hooks.
pub static LSM_EXTRA: HelperSet = HelperSet::new(
    "lsm_extra",
    &[
        D_PATH,
        INODE_STORAGE_GET,
        INODE_STORAGE_DELETE,
        BPRM_OPTS_SET,
        IMA_INODE_HASH,
        IMA_FILE_HASH,
    ],
);

/// STRUCT_OPS: what `tcp_congestion_ops` adds (`bpf_tcp_ca_get_func_proto`);
/// other struct_ops define their own.
pub static STRUCT_OPS_TCP_CA: HelperSet = HelperSet::new(
    "struct_ops_tcp_ca",
    &[
        TCP_SEND_ACK,
        SK_STORAGE_GET,
        SK_STORAGE_DELETE,
        SETSOCKOPT,
        GETSOCKOPT,
    ],
);

/// The `bind` helper (CGROUP_SOCK_ADDR connect4/connect6 only).
pub static BIND_ONLY: HelperSet = HelperSet::new("bind", &[BIND]);

/// `setsockopt` / `getsockopt` (CGROUP_SOCKOPT: setsockopt hook only).
pub static SOCKOPT_CALLS: HelperSet = HelperSet::new("sockopt_calls", &[SETSOCKOPT, GETSOCKOPT]);

//! Helper availability layers shared by several program types (generated
//! once from the spec sheet's §4.3 measurement on 6.18 as a privileged
//! loader, then kept as data): the kernel's `bpf_base_func_proto`,
//! `bpf_sk_base_func_proto`, `bpf_tracing_func_proto` ... fall-throughs.
//! A type's set is the union of its layers; what only one type has (its
//! `*_EXTRA` layer) lives in that type's module under `types/`.

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

// ---- Hand-written sets for types that cannot be loaded on the reference
// VM (no trampolines, no CONFIG_RC_CORE); source/knowledge, not measured.

/// Trampoline programs (fentry/fexit/fmod_ret, LSM): function argument
/// access and the traced function's address.
pub static TRAMPOLINE_ARGS: HelperSet = HelperSet::new(
    "trampoline_args",
    &[GET_FUNC_ARG, GET_FUNC_ARG_CNT, GET_FUNC_IP],
);

/// fexit / fmod_ret / LSM: the traced function's return value.
pub static FUNC_RET: HelperSet = HelperSet::new("func_ret", &[GET_FUNC_RET]);

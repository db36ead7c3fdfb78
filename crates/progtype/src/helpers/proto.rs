//! Helper prototypes as data: the kernel's `struct bpf_func_proto` (return
//! type, five argument types, `gpl_only`) for every helper a program type
//! may call (the registry test `every_offered_helper_is_declared`). Argument
//! types follow the 6.18 verifier's vocabulary (`ARG_PTR_TO_MAP_KEY`,
//! `ARG_CONST_SIZE`, `ARG_PTR_TO_MEM | MEM_RDONLY` ...). Source: kernel
//! `*_proto` definitions (kernel/bpf/helpers.c, net/core/filter.c,
//! kernel/trace/bpf_trace.c ...) read for facts; helpers no type offers
//! may lack a row and still have an id and a name. `gpl_only` of every
//! row the running kernel offers, and whether
//! a helper whose first argument takes the context has two or more
//! arguments, are checked against the running kernel (tests/tests.rs).

use serde::Serialize;

use bpfbox_uapi::helper::id::*;

/// Argument type of a helper (`enum bpf_arg_type` with its flags).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum ArgType {
    /// Unused argument slot (`ARG_DONTCARE`).
    DontCare,
    /// A map pointer from `lddw` (`ARG_CONST_MAP_PTR`).
    ConstMapPtr,
    /// Pointer to a key of the map in the previous argument.
    PtrToMapKey,
    /// Pointer to a value of that map.
    PtrToMapValue,
    /// A value of that map or NULL (`ARG_PTR_TO_MAP_VALUE_OR_NULL`, e.g.
    /// the initial value of `bpf_sk_storage_get`).
    PtrToMapValueOrNull,
    /// Pointer to a value-sized buffer the helper fills
    /// (`ARG_PTR_TO_MAP_VALUE | MEM_UNINIT | MEM_WRITE`).
    PtrToUninitMapValue,
    /// Readable and writable memory, size in the next argument.
    PtrToMem,
    /// Read-only memory (`ARG_PTR_TO_MEM | MEM_RDONLY`).
    PtrToMemRdonly,
    /// Read-only memory or NULL.
    PtrToMemRdonlyOrNull,
    /// Writable memory or NULL (`ARG_PTR_TO_MEM | PTR_MAYBE_NULL`).
    PtrToMemOrNull,
    /// Memory the helper fills; need not be initialised
    /// (`ARG_PTR_TO_UNINIT_MEM`).
    PtrToUninitMem,
    /// Size of the previous memory argument, > 0 (`ARG_CONST_SIZE`).
    ConstSize,
    /// Size, may be 0 (`ARG_CONST_SIZE_OR_ZERO`).
    ConstSizeOrZero,
    /// Allocation size, may be 0 (`ARG_CONST_ALLOC_SIZE_OR_ZERO`).
    ConstAllocSizeOrZero,
    /// The program's context pointer (`ARG_PTR_TO_CTX`).
    PtrToCtx,
    /// Any scalar (`ARG_ANYTHING`).
    Anything,
    /// `struct bpf_spin_lock` in a map value.
    PtrToSpinLock,
    /// `struct bpf_sock *` with common fields (`ARG_PTR_TO_SOCK_COMMON`).
    PtrToSockCommon,
    /// Any socket pointer incl. BTF ones (`ARG_PTR_TO_BTF_ID_SOCK_COMMON`).
    PtrToBtfIdSockCommon,
    /// A referenced socket to release (`ARG_PTR_TO_BTF_ID_SOCK_COMMON |
    /// OBJ_RELEASE`).
    ReleaseSockCommon,
    /// Full socket or NULL (`ARG_PTR_TO_SOCKET | PTR_MAYBE_NULL`).
    PtrToSocketOrNull,
    /// 8-byte output (`ARG_PTR_TO_FIXED_SIZE_MEM | MEM_UNINIT | MEM_WRITE
    /// | MEM_ALIGNED`, size of long).
    PtrToLong,
    /// A BPF function (`ARG_PTR_TO_FUNC`).
    PtrToFunc,
    /// Stack pointer or NULL (`ARG_PTR_TO_STACK | PTR_MAYBE_NULL`).
    PtrToStackOrNull,
    /// Constant string in a read-only map (`ARG_PTR_TO_CONST_STR`).
    PtrToConstStr,
    /// `struct bpf_timer` in a map value.
    PtrToTimer,
    /// Ring buffer record to submit/discard (`ARG_PTR_TO_MEM | MEM_RINGBUF
    /// | OBJ_RELEASE`).
    ReleaseRingbufMem,
    /// A typed kernel object (`ARG_PTR_TO_BTF_ID`, e.g. task_struct).
    PtrToBtfId,
    /// A typed kernel object or NULL.
    PtrToBtfIdOrNull,
    /// A `struct bpf_dynptr` (`ARG_PTR_TO_DYNPTR`).
    PtrToDynptr,
    /// A kptr slot in a map value (`ARG_PTR_TO_KPTR`).
    PtrToKptr,
    /// Readable memory of the fixed size given (`ARG_PTR_TO_FIXED_SIZE_MEM`
    /// with `argN_size`, e.g. an IP or TCP header).
    PtrToFixedMem(u32),
    /// A per-CPU kernel variable (`ARG_PTR_TO_PERCPU_BTF_ID`).
    PtrToPercpuBtfId,
}

impl ArgType {
    /// The kernel's spelling.
    pub fn kernel_name(self) -> &'static str {
        match self {
            ArgType::DontCare => "ARG_DONTCARE",
            ArgType::ConstMapPtr => "ARG_CONST_MAP_PTR",
            ArgType::PtrToMapKey => "ARG_PTR_TO_MAP_KEY",
            ArgType::PtrToMapValue => "ARG_PTR_TO_MAP_VALUE",
            ArgType::PtrToMapValueOrNull => "ARG_PTR_TO_MAP_VALUE_OR_NULL",
            ArgType::PtrToUninitMapValue => "ARG_PTR_TO_MAP_VALUE | MEM_UNINIT | MEM_WRITE",
            ArgType::PtrToMem => "ARG_PTR_TO_MEM",
            ArgType::PtrToMemRdonly => "ARG_PTR_TO_MEM | MEM_RDONLY",
            ArgType::PtrToMemRdonlyOrNull => "ARG_PTR_TO_MEM | PTR_MAYBE_NULL | MEM_RDONLY",
            ArgType::PtrToMemOrNull => "ARG_PTR_TO_MEM | PTR_MAYBE_NULL",
            ArgType::PtrToUninitMem => "ARG_PTR_TO_UNINIT_MEM",
            ArgType::ConstSize => "ARG_CONST_SIZE",
            ArgType::ConstSizeOrZero => "ARG_CONST_SIZE_OR_ZERO",
            ArgType::ConstAllocSizeOrZero => "ARG_CONST_ALLOC_SIZE_OR_ZERO",
            ArgType::PtrToCtx => "ARG_PTR_TO_CTX",
            ArgType::Anything => "ARG_ANYTHING",
            ArgType::PtrToSpinLock => "ARG_PTR_TO_SPIN_LOCK",
            ArgType::PtrToSockCommon => "ARG_PTR_TO_SOCK_COMMON",
            ArgType::PtrToBtfIdSockCommon => "ARG_PTR_TO_BTF_ID_SOCK_COMMON",
            ArgType::ReleaseSockCommon => "ARG_PTR_TO_BTF_ID_SOCK_COMMON | OBJ_RELEASE",
            ArgType::PtrToSocketOrNull => "ARG_PTR_TO_SOCKET | PTR_MAYBE_NULL",
            ArgType::PtrToLong => {
                "ARG_PTR_TO_FIXED_SIZE_MEM | MEM_UNINIT | MEM_WRITE | MEM_ALIGNED"
            }
            ArgType::PtrToFunc => "ARG_PTR_TO_FUNC",
            ArgType::PtrToStackOrNull => "ARG_PTR_TO_STACK | PTR_MAYBE_NULL",
            ArgType::PtrToConstStr => "ARG_PTR_TO_CONST_STR",
            ArgType::PtrToTimer => "ARG_PTR_TO_TIMER",
            ArgType::ReleaseRingbufMem => "ARG_PTR_TO_MEM | MEM_RINGBUF | OBJ_RELEASE",
            ArgType::PtrToBtfId => "ARG_PTR_TO_BTF_ID",
            ArgType::PtrToBtfIdOrNull => "ARG_PTR_TO_BTF_ID | PTR_MAYBE_NULL",
            ArgType::PtrToDynptr => "ARG_PTR_TO_DYNPTR",
            ArgType::PtrToKptr => "ARG_KPTR_XCHG_DEST",
            ArgType::PtrToFixedMem(_) => "ARG_PTR_TO_FIXED_SIZE_MEM",
            ArgType::PtrToPercpuBtfId => "ARG_PTR_TO_PERCPU_BTF_ID",
        }
    }

    /// Whether this is a size argument belonging to the previous pointer.
    pub fn is_size(self) -> bool {
        matches!(
            self,
            ArgType::ConstSize | ArgType::ConstSizeOrZero | ArgType::ConstAllocSizeOrZero
        )
    }
}

/// Return type of a helper (`enum bpf_return_type` with flags).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum RetType {
    /// A number (`RET_INTEGER`).
    Integer,
    /// Nothing (`RET_VOID`); R0 is unreadable afterwards.
    Void,
    /// Map value or NULL (`RET_PTR_TO_MAP_VALUE_OR_NULL`).
    PtrToMapValueOrNull,
    /// Referenced full socket or NULL (`RET_PTR_TO_SOCKET_OR_NULL`).
    PtrToSocketOrNull,
    /// `struct bpf_tcp_sock *` or NULL.
    PtrToTcpSockOrNull,
    /// Socket with common fields or NULL.
    PtrToSockCommonOrNull,
    /// Ring buffer record or NULL (`RET_PTR_TO_MEM | MEM_RINGBUF |
    /// PTR_MAYBE_NULL`).
    PtrToRingbufMemOrNull,
    /// Typed kernel pointer or NULL (`RET_PTR_TO_BTF_ID_OR_NULL`).
    PtrToBtfIdOrNull,
    /// Trusted typed kernel pointer (`RET_PTR_TO_BTF_ID_TRUSTED`).
    PtrToBtfIdTrusted,
    /// Per-CPU memory or typed pointer, maybe NULL
    /// (`RET_PTR_TO_MEM_OR_BTF_ID`).
    PtrToMemOrBtfId,
    /// Memory inside a dynptr or NULL (`RET_PTR_TO_DYNPTR_MEM_OR_NULL`).
    PtrToDynptrMemOrNull,
    /// This CPU's copy of a per-CPU variable, never NULL
    /// (`RET_PTR_TO_MEM_OR_BTF_ID | MEM_RDONLY`).
    PtrToMemOrBtfIdNonNull,
}

impl RetType {
    /// The kernel's spelling.
    pub fn kernel_name(self) -> &'static str {
        match self {
            RetType::Integer => "RET_INTEGER",
            RetType::Void => "RET_VOID",
            RetType::PtrToMapValueOrNull => "RET_PTR_TO_MAP_VALUE_OR_NULL",
            RetType::PtrToSocketOrNull => "RET_PTR_TO_SOCKET_OR_NULL",
            RetType::PtrToTcpSockOrNull => "RET_PTR_TO_TCP_SOCK_OR_NULL",
            RetType::PtrToSockCommonOrNull => "RET_PTR_TO_SOCK_COMMON_OR_NULL",
            RetType::PtrToRingbufMemOrNull => "RET_PTR_TO_MEM | MEM_RINGBUF | PTR_MAYBE_NULL",
            RetType::PtrToBtfIdOrNull => "RET_PTR_TO_BTF_ID_OR_NULL",
            RetType::PtrToBtfIdTrusted => "RET_PTR_TO_BTF_ID_TRUSTED",
            RetType::PtrToMemOrBtfId => "RET_PTR_TO_MEM_OR_BTF_ID | PTR_MAYBE_NULL | MEM_RDONLY",
            RetType::PtrToDynptrMemOrNull => "RET_PTR_TO_DYNPTR_MEM_OR_NULL",
            RetType::PtrToMemOrBtfIdNonNull => "RET_PTR_TO_MEM_OR_BTF_ID | MEM_RDONLY",
        }
    }
}

/// One helper prototype.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct HelperProto {
    /// Helper id.
    pub id: u32,
    /// Return type.
    pub ret: RetType,
    /// R1..R5; unused slots are [`ArgType::DontCare`].
    pub args: [ArgType; 5],
    /// Only callable from GPL-compatible programs.
    pub gpl_only: bool,
    /// The call may move or resize packet data, so the verifier forgets
    /// packet pointers (`bpf_helper_changes_pkt_data`).
    pub changes_pkt_data: bool,
    /// Returns a new reference the program must release
    /// (`is_acquire_function`).
    pub acquires_reference: bool,
    /// Returns its socket argument cast to another type, keeping that
    /// argument's reference (`is_ptr_cast_function`).
    pub casts_reference: bool,
}

impl HelperProto {
    /// Number of used argument slots.
    pub fn nargs(&self) -> usize {
        self.args
            .iter()
            .position(|a| *a == ArgType::DontCare)
            .unwrap_or(5)
    }

    /// The helper's name.
    pub fn name(&self) -> &'static str {
        super::helper_name(self.id).unwrap_or("?")
    }

    /// The same, marked as changing packet data.
    const fn changes_pkt_data(self) -> HelperProto {
        HelperProto {
            changes_pkt_data: true,
            ..self
        }
    }

    /// The same, marked as acquiring a reference.
    const fn acquires_reference(self) -> HelperProto {
        HelperProto {
            acquires_reference: true,
            ..self
        }
    }

    /// The same, marked as a reference-keeping cast.
    const fn casts_reference(self) -> HelperProto {
        HelperProto {
            casts_reference: true,
            ..self
        }
    }
}

use ArgType::*;

const fn p(id: u32, ret: RetType, gpl_only: bool, a: &[ArgType]) -> HelperProto {
    let mut args = [DontCare; 5];
    let mut i = 0;
    while i < a.len() && i < 5 {
        args[i] = a[i];
        i += 1;
    }
    HelperProto {
        id,
        ret,
        args,
        gpl_only,
        changes_pkt_data: false,
        acquires_reference: false,
        casts_reference: false,
    }
}

/// `struct iphdr` without options: the fixed-size header argument of the
/// raw syncookie helpers.
const IPV4_HDR: u32 = 20;
/// `struct ipv6hdr`.
const IPV6_HDR: u32 = 40;
/// `struct tcphdr` without options.
const TCP_HDR: u32 = 20;

const I: RetType = RetType::Integer;
const V: RetType = RetType::Void;

/// The declarations, ordered by id (a `const` so that [`declaration`]
/// can look rows up at compile time). Where one id has several kernel
/// protos (per program type flavours, e.g. `get_socket_cookie` for skb /
/// sock / sock_addr contexts) the row gives the common shape (ctx in R1).
const PROTO_ROWS: &[HelperProto] = &[
    p(
        MAP_LOOKUP_ELEM,
        RetType::PtrToMapValueOrNull,
        false,
        &[ConstMapPtr, PtrToMapKey],
    ),
    p(
        MAP_UPDATE_ELEM,
        I,
        false,
        &[ConstMapPtr, PtrToMapKey, PtrToMapValue, Anything],
    ),
    p(MAP_DELETE_ELEM, I, false, &[ConstMapPtr, PtrToMapKey]),
    p(
        PROBE_READ,
        I,
        true,
        &[PtrToUninitMem, ConstSizeOrZero, Anything],
    ),
    p(KTIME_GET_NS, I, false, &[]),
    p(TRACE_PRINTK, I, true, &[PtrToMemRdonly, ConstSize]),
    p(GET_PRANDOM_U32, I, false, &[]),
    p(GET_SMP_PROCESSOR_ID, I, false, &[]),
    p(
        SKB_STORE_BYTES,
        I,
        false,
        &[PtrToCtx, Anything, PtrToMemRdonly, ConstSize, Anything],
    )
    .changes_pkt_data(),
    p(
        L3_CSUM_REPLACE,
        I,
        false,
        &[PtrToCtx, Anything, Anything, Anything, Anything],
    )
    .changes_pkt_data(),
    p(
        L4_CSUM_REPLACE,
        I,
        false,
        &[PtrToCtx, Anything, Anything, Anything, Anything],
    )
    .changes_pkt_data(),
    p(TAIL_CALL, V, false, &[PtrToCtx, ConstMapPtr, Anything]),
    p(CLONE_REDIRECT, I, false, &[PtrToCtx, Anything, Anything]).changes_pkt_data(),
    p(GET_CURRENT_PID_TGID, I, false, &[]),
    p(GET_CURRENT_UID_GID, I, false, &[]),
    p(GET_CURRENT_COMM, I, false, &[PtrToUninitMem, ConstSize]),
    p(GET_CGROUP_CLASSID, I, false, &[PtrToCtx]),
    p(SKB_VLAN_PUSH, I, false, &[PtrToCtx, Anything, Anything]).changes_pkt_data(),
    p(SKB_VLAN_POP, I, false, &[PtrToCtx]).changes_pkt_data(),
    p(
        SKB_GET_TUNNEL_KEY,
        I,
        false,
        &[PtrToCtx, PtrToUninitMem, ConstSize, Anything],
    ),
    p(
        SKB_SET_TUNNEL_KEY,
        I,
        false,
        &[PtrToCtx, PtrToMemRdonly, ConstSize, Anything],
    ),
    p(PERF_EVENT_READ, I, true, &[ConstMapPtr, Anything]),
    p(REDIRECT, I, false, &[Anything, Anything]),
    p(GET_ROUTE_REALM, I, false, &[PtrToCtx]),
    p(
        PERF_EVENT_OUTPUT,
        I,
        true,
        &[
            PtrToCtx,
            ConstMapPtr,
            Anything,
            PtrToMemRdonly,
            ConstSizeOrZero,
        ],
    ),
    p(
        SKB_LOAD_BYTES,
        I,
        false,
        &[PtrToCtx, Anything, PtrToUninitMem, ConstSize],
    ),
    p(GET_STACKID, I, true, &[PtrToCtx, ConstMapPtr, Anything]),
    p(
        CSUM_DIFF,
        I,
        false,
        &[
            PtrToMemRdonlyOrNull,
            ConstSizeOrZero,
            PtrToMemRdonlyOrNull,
            ConstSizeOrZero,
            Anything,
        ],
    ),
    p(
        SKB_GET_TUNNEL_OPT,
        I,
        false,
        &[PtrToCtx, PtrToUninitMem, ConstSize],
    ),
    p(
        SKB_SET_TUNNEL_OPT,
        I,
        false,
        &[PtrToCtx, PtrToMemRdonly, ConstSize],
    ),
    p(SKB_CHANGE_PROTO, I, false, &[PtrToCtx, Anything, Anything]).changes_pkt_data(),
    p(SKB_CHANGE_TYPE, I, false, &[PtrToCtx, Anything]),
    p(
        SKB_UNDER_CGROUP,
        I,
        false,
        &[PtrToCtx, ConstMapPtr, Anything],
    ),
    p(GET_HASH_RECALC, I, false, &[PtrToCtx]),
    p(GET_CURRENT_TASK, I, true, &[]),
    p(
        CURRENT_TASK_UNDER_CGROUP,
        I,
        false,
        &[ConstMapPtr, Anything],
    ),
    p(SKB_CHANGE_TAIL, I, false, &[PtrToCtx, Anything, Anything]).changes_pkt_data(),
    p(SKB_PULL_DATA, I, false, &[PtrToCtx, Anything]).changes_pkt_data(),
    p(CSUM_UPDATE, I, false, &[PtrToCtx, Anything]),
    p(SET_HASH_INVALID, I, false, &[PtrToCtx]),
    p(GET_NUMA_NODE_ID, I, false, &[]),
    p(SKB_CHANGE_HEAD, I, false, &[PtrToCtx, Anything, Anything]).changes_pkt_data(),
    p(XDP_ADJUST_HEAD, I, false, &[PtrToCtx, Anything]).changes_pkt_data(),
    p(
        PROBE_READ_STR,
        I,
        true,
        &[PtrToUninitMem, ConstSizeOrZero, Anything],
    ),
    p(GET_SOCKET_COOKIE, I, false, &[PtrToCtx]),
    p(GET_SOCKET_UID, I, false, &[PtrToCtx]),
    p(SET_HASH, I, false, &[PtrToCtx, Anything]),
    p(
        SETSOCKOPT,
        I,
        false,
        &[PtrToCtx, Anything, Anything, PtrToMemRdonly, ConstSize],
    ),
    p(
        SKB_ADJUST_ROOM,
        I,
        false,
        &[PtrToCtx, Anything, Anything, Anything],
    )
    .changes_pkt_data(),
    p(REDIRECT_MAP, I, false, &[ConstMapPtr, Anything, Anything]),
    p(
        SK_REDIRECT_MAP,
        I,
        false,
        &[PtrToCtx, ConstMapPtr, Anything, Anything],
    ),
    p(
        SOCK_MAP_UPDATE,
        I,
        false,
        &[PtrToCtx, ConstMapPtr, PtrToMapKey, Anything],
    ),
    p(XDP_ADJUST_META, I, false, &[PtrToCtx, Anything]).changes_pkt_data(),
    p(
        PERF_EVENT_READ_VALUE,
        I,
        true,
        &[ConstMapPtr, Anything, PtrToUninitMem, ConstSize],
    ),
    p(
        PERF_PROG_READ_VALUE,
        I,
        true,
        &[PtrToCtx, PtrToUninitMem, ConstSize],
    ),
    p(
        GETSOCKOPT,
        I,
        false,
        &[PtrToCtx, Anything, Anything, PtrToUninitMem, ConstSize],
    ),
    p(SOCK_OPS_CB_FLAGS_SET, I, false, &[PtrToCtx, Anything]),
    p(
        MSG_REDIRECT_MAP,
        I,
        false,
        &[PtrToCtx, ConstMapPtr, Anything, Anything],
    ),
    p(MSG_APPLY_BYTES, I, false, &[PtrToCtx, Anything]),
    p(MSG_CORK_BYTES, I, false, &[PtrToCtx, Anything]),
    p(
        MSG_PULL_DATA,
        I,
        false,
        &[PtrToCtx, Anything, Anything, Anything],
    )
    .changes_pkt_data(),
    p(BIND, I, false, &[PtrToCtx, PtrToMem, ConstSize]),
    p(XDP_ADJUST_TAIL, I, false, &[PtrToCtx, Anything]).changes_pkt_data(),
    p(
        SKB_GET_XFRM_STATE,
        I,
        false,
        &[PtrToCtx, Anything, PtrToUninitMem, ConstSize, Anything],
    ),
    p(
        GET_STACK,
        I,
        true,
        &[PtrToCtx, PtrToUninitMem, ConstSizeOrZero, Anything],
    ),
    p(
        SKB_LOAD_BYTES_RELATIVE,
        I,
        false,
        &[PtrToCtx, Anything, PtrToUninitMem, ConstSize, Anything],
    ),
    p(
        FIB_LOOKUP,
        I,
        true,
        &[PtrToCtx, PtrToMem, ConstSize, Anything],
    ),
    p(
        SOCK_HASH_UPDATE,
        I,
        false,
        &[PtrToCtx, ConstMapPtr, PtrToMapKey, Anything],
    ),
    p(
        MSG_REDIRECT_HASH,
        I,
        false,
        &[PtrToCtx, ConstMapPtr, PtrToMapKey, Anything],
    ),
    p(
        SK_REDIRECT_HASH,
        I,
        false,
        &[PtrToCtx, ConstMapPtr, PtrToMapKey, Anything],
    ),
    p(
        LWT_PUSH_ENCAP,
        I,
        false,
        &[PtrToCtx, Anything, PtrToMemRdonly, ConstSize],
    )
    .changes_pkt_data(),
    p(
        LWT_SEG6_STORE_BYTES,
        I,
        false,
        &[PtrToCtx, Anything, PtrToMemRdonly, ConstSize],
    )
    .changes_pkt_data(),
    p(
        LWT_SEG6_ADJUST_SRH,
        I,
        false,
        &[PtrToCtx, Anything, Anything],
    )
    .changes_pkt_data(),
    p(
        LWT_SEG6_ACTION,
        I,
        false,
        &[PtrToCtx, Anything, PtrToMemRdonly, ConstSize],
    )
    .changes_pkt_data(),
    p(RC_REPEAT, I, true, &[PtrToCtx]),
    p(
        RC_KEYDOWN,
        I,
        true,
        &[PtrToCtx, Anything, Anything, Anything],
    ),
    p(SKB_CGROUP_ID, I, false, &[PtrToCtx]),
    p(GET_CURRENT_CGROUP_ID, I, false, &[]),
    p(
        GET_LOCAL_STORAGE,
        RetType::PtrToMapValueOrNull,
        false,
        &[ConstMapPtr, Anything],
    ),
    p(
        SK_SELECT_REUSEPORT,
        I,
        false,
        &[PtrToCtx, ConstMapPtr, PtrToMapKey, Anything],
    ),
    p(SKB_ANCESTOR_CGROUP_ID, I, false, &[PtrToCtx, Anything]),
    p(
        SK_LOOKUP_TCP,
        RetType::PtrToSocketOrNull,
        false,
        &[PtrToCtx, PtrToMemRdonly, ConstSize, Anything, Anything],
    )
    .acquires_reference(),
    p(
        SK_LOOKUP_UDP,
        RetType::PtrToSocketOrNull,
        false,
        &[PtrToCtx, PtrToMemRdonly, ConstSize, Anything, Anything],
    )
    .acquires_reference(),
    p(SK_RELEASE, I, false, &[ReleaseSockCommon]),
    p(
        MAP_PUSH_ELEM,
        I,
        false,
        &[ConstMapPtr, PtrToMapValue, Anything],
    ),
    p(MAP_POP_ELEM, I, false, &[ConstMapPtr, PtrToUninitMapValue]),
    p(MAP_PEEK_ELEM, I, false, &[ConstMapPtr, PtrToUninitMapValue]),
    p(
        MSG_PUSH_DATA,
        I,
        false,
        &[PtrToCtx, Anything, Anything, Anything],
    )
    .changes_pkt_data(),
    p(
        MSG_POP_DATA,
        I,
        false,
        &[PtrToCtx, Anything, Anything, Anything],
    )
    .changes_pkt_data(),
    p(RC_POINTER_REL, I, true, &[PtrToCtx, Anything, Anything]),
    p(SPIN_LOCK, V, false, &[PtrToSpinLock]),
    p(SPIN_UNLOCK, V, false, &[PtrToSpinLock]),
    p(
        SK_FULLSOCK,
        RetType::PtrToSocketOrNull,
        false,
        &[PtrToSockCommon],
    )
    .casts_reference(),
    p(
        TCP_SOCK,
        RetType::PtrToTcpSockOrNull,
        false,
        &[PtrToSockCommon],
    )
    .casts_reference(),
    p(SKB_ECN_SET_CE, I, false, &[PtrToCtx]),
    p(
        GET_LISTENER_SOCK,
        RetType::PtrToSocketOrNull,
        false,
        &[PtrToSockCommon],
    ),
    p(
        SKC_LOOKUP_TCP,
        RetType::PtrToSockCommonOrNull,
        false,
        &[PtrToCtx, PtrToMemRdonly, ConstSize, Anything, Anything],
    )
    .acquires_reference(),
    p(
        TCP_CHECK_SYNCOOKIE,
        I,
        true,
        &[
            PtrToBtfIdSockCommon,
            PtrToMemRdonly,
            ConstSize,
            PtrToMemRdonly,
            ConstSize,
        ],
    ),
    p(
        SYSCTL_GET_NAME,
        I,
        false,
        &[PtrToCtx, PtrToMem, ConstSize, Anything],
    ),
    p(
        SYSCTL_GET_CURRENT_VALUE,
        I,
        false,
        &[PtrToCtx, PtrToUninitMem, ConstSize],
    ),
    p(
        SYSCTL_GET_NEW_VALUE,
        I,
        false,
        &[PtrToCtx, PtrToUninitMem, ConstSize],
    ),
    p(
        SYSCTL_SET_NEW_VALUE,
        I,
        false,
        &[PtrToCtx, PtrToMemRdonly, ConstSize],
    ),
    p(
        STRTOL,
        I,
        false,
        &[PtrToMemRdonly, ConstSize, Anything, PtrToLong],
    ),
    p(
        STRTOUL,
        I,
        false,
        &[PtrToMemRdonly, ConstSize, Anything, PtrToLong],
    ),
    p(
        SK_STORAGE_GET,
        RetType::PtrToMapValueOrNull,
        false,
        &[
            ConstMapPtr,
            PtrToBtfIdSockCommon,
            PtrToMapValueOrNull,
            Anything,
        ],
    ),
    p(
        SK_STORAGE_DELETE,
        I,
        false,
        &[ConstMapPtr, PtrToBtfIdSockCommon],
    ),
    p(SEND_SIGNAL, I, false, &[Anything]),
    p(
        TCP_GEN_SYNCOOKIE,
        I,
        true,
        &[
            PtrToBtfIdSockCommon,
            PtrToMemRdonly,
            ConstSize,
            PtrToMemRdonly,
            ConstSize,
        ],
    ),
    p(
        SKB_OUTPUT,
        I,
        true,
        &[
            PtrToBtfId,
            ConstMapPtr,
            Anything,
            PtrToMemRdonly,
            ConstSizeOrZero,
        ],
    ),
    p(
        PROBE_READ_USER,
        I,
        true,
        &[PtrToUninitMem, ConstSizeOrZero, Anything],
    ),
    p(
        PROBE_READ_KERNEL,
        I,
        true,
        &[PtrToUninitMem, ConstSizeOrZero, Anything],
    ),
    p(
        PROBE_READ_USER_STR,
        I,
        true,
        &[PtrToUninitMem, ConstSizeOrZero, Anything],
    ),
    p(
        PROBE_READ_KERNEL_STR,
        I,
        true,
        &[PtrToUninitMem, ConstSizeOrZero, Anything],
    ),
    p(TCP_SEND_ACK, I, false, &[PtrToBtfId, Anything]),
    p(SEND_SIGNAL_THREAD, I, false, &[Anything]),
    p(JIFFIES64, I, false, &[]),
    p(
        READ_BRANCH_RECORDS,
        I,
        true,
        &[PtrToCtx, PtrToMemOrNull, ConstSizeOrZero, Anything],
    ),
    p(
        GET_NS_CURRENT_PID_TGID,
        I,
        false,
        &[Anything, Anything, PtrToUninitMem, ConstSize],
    ),
    p(
        XDP_OUTPUT,
        I,
        true,
        &[
            PtrToBtfId,
            ConstMapPtr,
            Anything,
            PtrToMemRdonly,
            ConstSizeOrZero,
        ],
    ),
    p(GET_NETNS_COOKIE, I, false, &[PtrToCtx]),
    p(GET_CURRENT_ANCESTOR_CGROUP_ID, I, false, &[Anything]),
    p(
        SK_ASSIGN,
        I,
        false,
        &[PtrToCtx, PtrToBtfIdSockCommon, Anything],
    ),
    p(KTIME_GET_BOOT_NS, I, false, &[]),
    p(
        SEQ_PRINTF,
        I,
        true,
        &[
            PtrToBtfId,
            PtrToMemRdonly,
            ConstSize,
            PtrToMemRdonlyOrNull,
            ConstSizeOrZero,
        ],
    ),
    p(
        SEQ_WRITE,
        I,
        true,
        &[PtrToBtfId, PtrToMemRdonly, ConstSizeOrZero],
    ),
    p(SK_CGROUP_ID, I, false, &[PtrToBtfIdSockCommon]),
    p(
        SK_ANCESTOR_CGROUP_ID,
        I,
        false,
        &[PtrToBtfIdSockCommon, Anything],
    ),
    p(
        RINGBUF_OUTPUT,
        I,
        false,
        &[ConstMapPtr, PtrToMemRdonly, ConstSizeOrZero, Anything],
    ),
    p(
        RINGBUF_RESERVE,
        RetType::PtrToRingbufMemOrNull,
        false,
        &[ConstMapPtr, ConstAllocSizeOrZero, Anything],
    )
    .acquires_reference(),
    p(RINGBUF_SUBMIT, V, false, &[ReleaseRingbufMem, Anything]),
    p(RINGBUF_DISCARD, V, false, &[ReleaseRingbufMem, Anything]),
    p(RINGBUF_QUERY, I, false, &[ConstMapPtr, Anything]),
    p(CSUM_LEVEL, I, false, &[PtrToCtx, Anything]),
    p(
        SKC_TO_TCP6_SOCK,
        RetType::PtrToBtfIdOrNull,
        false,
        &[PtrToBtfIdSockCommon],
    )
    .casts_reference(),
    p(
        SKC_TO_TCP_SOCK,
        RetType::PtrToBtfIdOrNull,
        false,
        &[PtrToBtfIdSockCommon],
    )
    .casts_reference(),
    p(
        SKC_TO_TCP_TIMEWAIT_SOCK,
        RetType::PtrToBtfIdOrNull,
        false,
        &[PtrToBtfIdSockCommon],
    )
    .casts_reference(),
    p(
        SKC_TO_TCP_REQUEST_SOCK,
        RetType::PtrToBtfIdOrNull,
        false,
        &[PtrToBtfIdSockCommon],
    )
    .casts_reference(),
    p(
        SKC_TO_UDP6_SOCK,
        RetType::PtrToBtfIdOrNull,
        false,
        &[PtrToBtfIdSockCommon],
    )
    .casts_reference(),
    p(
        GET_TASK_STACK,
        I,
        false,
        &[PtrToBtfId, PtrToUninitMem, ConstSizeOrZero, Anything],
    ),
    p(
        LOAD_HDR_OPT,
        I,
        false,
        &[PtrToCtx, PtrToMem, ConstSize, Anything],
    ),
    p(
        STORE_HDR_OPT,
        I,
        false,
        &[PtrToCtx, PtrToMemRdonly, ConstSize, Anything],
    )
    .changes_pkt_data(),
    p(RESERVE_HDR_OPT, I, false, &[PtrToCtx, Anything, Anything]),
    p(
        INODE_STORAGE_GET,
        RetType::PtrToMapValueOrNull,
        false,
        &[ConstMapPtr, PtrToBtfIdOrNull, PtrToMapValueOrNull, Anything],
    ),
    p(
        INODE_STORAGE_DELETE,
        I,
        false,
        &[ConstMapPtr, PtrToBtfIdOrNull],
    ),
    p(D_PATH, I, false, &[PtrToBtfId, PtrToMem, ConstSizeOrZero]),
    p(
        COPY_FROM_USER,
        I,
        false,
        &[PtrToUninitMem, ConstSizeOrZero, Anything],
    ),
    p(
        SNPRINTF_BTF,
        I,
        false,
        &[PtrToMem, ConstSize, PtrToMemRdonly, ConstSize, Anything],
    ),
    p(
        SEQ_PRINTF_BTF,
        I,
        false,
        &[PtrToBtfId, PtrToMemRdonly, ConstSizeOrZero, Anything],
    ),
    p(SKB_CGROUP_CLASSID, I, false, &[PtrToCtx]),
    p(
        REDIRECT_NEIGH,
        I,
        false,
        &[Anything, PtrToMemRdonlyOrNull, ConstSizeOrZero, Anything],
    ),
    p(
        PER_CPU_PTR,
        RetType::PtrToMemOrBtfId,
        false,
        &[PtrToPercpuBtfId, Anything],
    ),
    p(
        THIS_CPU_PTR,
        RetType::PtrToMemOrBtfIdNonNull,
        false,
        &[PtrToPercpuBtfId],
    ),
    p(REDIRECT_PEER, I, false, &[Anything, Anything]),
    p(
        TASK_STORAGE_GET,
        RetType::PtrToMapValueOrNull,
        false,
        &[ConstMapPtr, PtrToBtfIdOrNull, PtrToMapValueOrNull, Anything],
    ),
    p(
        TASK_STORAGE_DELETE,
        I,
        false,
        &[ConstMapPtr, PtrToBtfIdOrNull],
    ),
    p(GET_CURRENT_TASK_BTF, RetType::PtrToBtfIdTrusted, true, &[]),
    p(BPRM_OPTS_SET, I, false, &[PtrToBtfId, Anything]),
    p(KTIME_GET_COARSE_NS, I, false, &[]),
    p(
        IMA_INODE_HASH,
        I,
        false,
        &[PtrToBtfId, PtrToUninitMem, ConstSize],
    ),
    p(
        SOCK_FROM_FILE,
        RetType::PtrToBtfIdOrNull,
        false,
        &[PtrToBtfId],
    ),
    p(
        CHECK_MTU,
        I,
        true,
        &[PtrToCtx, Anything, PtrToLong, Anything, Anything],
    ),
    p(
        FOR_EACH_MAP_ELEM,
        I,
        false,
        &[ConstMapPtr, PtrToFunc, PtrToStackOrNull, Anything],
    ),
    p(
        SNPRINTF,
        I,
        true,
        &[
            PtrToMemOrNull,
            ConstSizeOrZero,
            PtrToConstStr,
            PtrToMemRdonlyOrNull,
            ConstSizeOrZero,
        ],
    ),
    p(SYS_BPF, I, false, &[Anything, PtrToMemRdonly, ConstSize]),
    p(
        BTF_FIND_BY_NAME_KIND,
        I,
        false,
        &[PtrToMemRdonly, ConstSize, Anything, Anything],
    ),
    p(SYS_CLOSE, I, false, &[Anything]),
    p(TIMER_INIT, I, true, &[PtrToTimer, ConstMapPtr, Anything]),
    p(TIMER_SET_CALLBACK, I, true, &[PtrToTimer, PtrToFunc]),
    p(TIMER_START, I, true, &[PtrToTimer, Anything, Anything]),
    p(TIMER_CANCEL, I, true, &[PtrToTimer]),
    p(GET_FUNC_IP, I, true, &[PtrToCtx]),
    p(GET_ATTACH_COOKIE, I, false, &[PtrToCtx]),
    p(
        TASK_PT_REGS,
        RetType::PtrToBtfIdTrusted,
        true,
        &[PtrToBtfId],
    ),
    p(
        GET_BRANCH_SNAPSHOT,
        I,
        true,
        &[PtrToUninitMem, ConstSizeOrZero, Anything],
    ),
    p(
        TRACE_VPRINTK,
        I,
        true,
        &[
            PtrToMemRdonly,
            ConstSize,
            PtrToMemRdonlyOrNull,
            ConstSizeOrZero,
        ],
    ),
    p(
        SKC_TO_UNIX_SOCK,
        RetType::PtrToBtfIdOrNull,
        false,
        &[PtrToBtfIdSockCommon],
    ),
    p(
        KALLSYMS_LOOKUP_NAME,
        I,
        false,
        &[PtrToMemRdonly, ConstSizeOrZero, Anything, PtrToLong],
    ),
    p(
        FIND_VMA,
        I,
        false,
        &[PtrToBtfId, Anything, PtrToFunc, PtrToStackOrNull, Anything],
    ),
    p(
        LOOP,
        I,
        false,
        &[Anything, PtrToFunc, PtrToStackOrNull, Anything],
    ),
    p(
        STRNCMP,
        I,
        false,
        &[PtrToMemRdonly, ConstSize, PtrToConstStr],
    ),
    p(GET_FUNC_ARG, I, false, &[PtrToCtx, Anything, PtrToLong]),
    p(GET_FUNC_RET, I, false, &[PtrToCtx, PtrToLong]),
    p(GET_FUNC_ARG_CNT, I, false, &[PtrToCtx]),
    p(GET_RETVAL, I, false, &[]),
    p(SET_RETVAL, I, false, &[Anything]),
    p(XDP_GET_BUFF_LEN, I, false, &[PtrToCtx]),
    p(
        XDP_LOAD_BYTES,
        I,
        false,
        &[PtrToCtx, Anything, PtrToUninitMem, ConstSize],
    ),
    p(
        XDP_STORE_BYTES,
        I,
        false,
        &[PtrToCtx, Anything, PtrToMemRdonly, ConstSize],
    ),
    p(
        COPY_FROM_USER_TASK,
        I,
        true,
        &[
            PtrToUninitMem,
            ConstSizeOrZero,
            Anything,
            PtrToBtfId,
            Anything,
        ],
    ),
    p(SKB_SET_TSTAMP, I, false, &[PtrToCtx, Anything, Anything]),
    p(
        IMA_FILE_HASH,
        I,
        false,
        &[PtrToBtfId, PtrToUninitMem, ConstSize],
    ),
    p(
        KPTR_XCHG,
        RetType::PtrToBtfIdOrNull,
        false,
        &[PtrToKptr, PtrToBtfIdOrNull],
    ),
    p(
        MAP_LOOKUP_PERCPU_ELEM,
        RetType::PtrToMapValueOrNull,
        false,
        &[ConstMapPtr, PtrToMapKey, Anything],
    ),
    p(
        SKC_TO_MPTCP_SOCK,
        RetType::PtrToBtfIdOrNull,
        false,
        &[PtrToBtfIdSockCommon],
    )
    .casts_reference(),
    p(
        DYNPTR_FROM_MEM,
        I,
        false,
        &[PtrToUninitMem, ConstSizeOrZero, Anything, PtrToDynptr],
    ),
    p(
        RINGBUF_RESERVE_DYNPTR,
        I,
        false,
        &[ConstMapPtr, Anything, Anything, PtrToDynptr],
    ),
    p(RINGBUF_SUBMIT_DYNPTR, V, false, &[PtrToDynptr, Anything]),
    p(RINGBUF_DISCARD_DYNPTR, V, false, &[PtrToDynptr, Anything]),
    p(
        DYNPTR_READ,
        I,
        false,
        &[
            PtrToUninitMem,
            ConstSizeOrZero,
            PtrToDynptr,
            Anything,
            Anything,
        ],
    ),
    p(
        DYNPTR_WRITE,
        I,
        false,
        &[
            PtrToDynptr,
            Anything,
            PtrToMemRdonly,
            ConstSizeOrZero,
            Anything,
        ],
    ),
    p(
        DYNPTR_DATA,
        RetType::PtrToDynptrMemOrNull,
        false,
        &[PtrToDynptr, Anything, ConstAllocSizeOrZero],
    ),
    p(
        TCP_RAW_GEN_SYNCOOKIE_IPV4,
        I,
        true,
        &[PtrToFixedMem(IPV4_HDR), PtrToFixedMem(TCP_HDR), Anything],
    ),
    p(
        TCP_RAW_GEN_SYNCOOKIE_IPV6,
        I,
        true,
        &[PtrToFixedMem(IPV6_HDR), PtrToFixedMem(TCP_HDR), Anything],
    ),
    p(
        TCP_RAW_CHECK_SYNCOOKIE_IPV4,
        I,
        true,
        &[PtrToFixedMem(IPV4_HDR), PtrToFixedMem(TCP_HDR)],
    ),
    p(
        TCP_RAW_CHECK_SYNCOOKIE_IPV6,
        I,
        true,
        &[PtrToFixedMem(IPV6_HDR), PtrToFixedMem(TCP_HDR)],
    ),
    p(KTIME_GET_TAI_NS, I, false, &[]),
    p(
        USER_RINGBUF_DRAIN,
        I,
        false,
        &[ConstMapPtr, PtrToFunc, PtrToStackOrNull, Anything],
    ),
    p(
        CGRP_STORAGE_GET,
        RetType::PtrToMapValueOrNull,
        false,
        &[ConstMapPtr, PtrToBtfId, PtrToMapValueOrNull, Anything],
    ),
    p(CGRP_STORAGE_DELETE, I, false, &[ConstMapPtr, PtrToBtfId]),
];

/// Every helper declaration: the one place a helper's prototype (return
/// and argument types, GPL-only, effects on packet pointers and
/// references) is written. Ordered by id.
pub static PROTOS: &[HelperProto] = PROTO_ROWS;

/// The declaration of helper `id`, for tables built at compile time: an
/// implementation row written as `HelperImpl::new(id::X, f)` in
/// bpfbox-runtime does not compile unless helper `X` is declared here.
///
/// # Panics
/// When `id` has no declaration (at compile time when used in a `const`).
pub const fn declaration(id: u32) -> &'static HelperProto {
    let mut i = 0;
    while i < PROTO_ROWS.len() {
        if PROTO_ROWS[i].id == id {
            return &PROTO_ROWS[i];
        }
        i += 1;
    }
    panic!("helper without a declaration in bpfbox-progtype's helpers/proto.rs")
}

/// The prototype of helper `id`, if this table has it.
pub fn proto(id: u32) -> Option<&'static HelperProto> {
    PROTOS
        .binary_search_by_key(&id, |p| p.id)
        .ok()
        .map(|i| &PROTOS[i])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorted_unique_and_sizes_follow_pointers() {
        for w in PROTOS.windows(2) {
            assert!(w[0].id < w[1].id, "{} before {}", w[0].name(), w[1].name());
        }
        for p in PROTOS {
            assert!(p.id >= 1 && p.id < super::super::HELPER_COUNT);
            // args are dense: nothing after the first DontCare
            let n = p.nargs();
            assert!(p.args[n..].iter().all(|a| *a == DontCare), "{}", p.name());
            // a size argument never comes first
            assert!(!p.args[0].is_size(), "{}", p.name());
        }
    }

    #[test]
    fn spot_checks() {
        let l = proto(MAP_LOOKUP_ELEM).unwrap();
        assert_eq!(l.ret, RetType::PtrToMapValueOrNull);
        assert_eq!(l.args[1].kernel_name(), "ARG_PTR_TO_MAP_KEY");
        assert_eq!(l.nargs(), 2);
        assert!(proto(TRACE_PRINTK).unwrap().gpl_only);
        assert!(!proto(KTIME_GET_NS).unwrap().gpl_only);
        assert_eq!(proto(TAIL_CALL).unwrap().ret, RetType::Void);
        assert_eq!(proto(CSUM_DIFF).unwrap().nargs(), 5);
        assert!(proto(RC_KEYDOWN).unwrap().gpl_only);
        let cast = proto(SKC_TO_TCP_SOCK).unwrap();
        assert_eq!(cast.ret, RetType::PtrToBtfIdOrNull);
        assert_eq!(cast.args[0], PtrToBtfIdSockCommon);
        assert!(cast.casts_reference && !cast.acquires_reference);
        assert!(!proto(SKC_TO_UNIX_SOCK).unwrap().casts_reference);
        assert!(proto(LWT_SEG6_ACTION).unwrap().changes_pkt_data);
        assert!(std::ptr::eq(
            declaration(TAIL_CALL),
            proto(TAIL_CALL).unwrap()
        ));
        assert!(proto(XDP_ADJUST_HEAD).unwrap().changes_pkt_data);
        assert!(!proto(XDP_LOAD_BYTES).unwrap().changes_pkt_data);
        assert!(proto(SK_LOOKUP_TCP).unwrap().acquires_reference);
        assert!(proto(TCP_SOCK).unwrap().casts_reference);
    }
}

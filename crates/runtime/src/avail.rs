//! Program types this crate runs, and which implemented helper each may
//! call.
//!
//! Interim data: `bpfbox-progtype` owns helper availability for every type
//! (`ProgTypeSpec::helper_allowed`) but does not export it yet; until it
//! does, this table restates the availability of the helpers bpfbox
//! implements for the eight packet types, from the empirical list of
//! /work/shared/spec/progtypes.md §4.3 (Linux 6.18, root loader). The
//! integration tests load every test program into the kernel too, so a
//! wrong entry shows up as a disagreement. Replace [`allowed`] by the
//! progtype call once it is public.

/// The program types with a test-run driver here (`enum bpf_prog_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u32)]
pub enum ProgType {
    /// `BPF_PROG_TYPE_SOCKET_FILTER`.
    SocketFilter = 1,
    /// `BPF_PROG_TYPE_SCHED_CLS`.
    SchedCls = 3,
    /// `BPF_PROG_TYPE_SCHED_ACT`.
    SchedAct = 4,
    /// `BPF_PROG_TYPE_XDP`.
    Xdp = 6,
    /// `BPF_PROG_TYPE_CGROUP_SKB`.
    CgroupSkb = 8,
    /// `BPF_PROG_TYPE_LWT_IN`.
    LwtIn = 10,
    /// `BPF_PROG_TYPE_LWT_OUT`.
    LwtOut = 11,
    /// `BPF_PROG_TYPE_LWT_XMIT`.
    LwtXmit = 12,
}

impl ProgType {
    /// All supported types.
    pub const ALL: [ProgType; 8] = [
        ProgType::SocketFilter,
        ProgType::SchedCls,
        ProgType::SchedAct,
        ProgType::Xdp,
        ProgType::CgroupSkb,
        ProgType::LwtIn,
        ProgType::LwtOut,
        ProgType::LwtXmit,
    ];

    /// Kernel id.
    pub fn id(self) -> u32 {
        self as u32
    }

    /// The type with this kernel id, if this crate runs it.
    pub fn from_id(id: u32) -> Option<ProgType> {
        Self::ALL.into_iter().find(|t| t.id() == id)
    }

    /// Kernel name.
    pub fn name(self) -> &'static str {
        match self {
            ProgType::SocketFilter => "BPF_PROG_TYPE_SOCKET_FILTER",
            ProgType::SchedCls => "BPF_PROG_TYPE_SCHED_CLS",
            ProgType::SchedAct => "BPF_PROG_TYPE_SCHED_ACT",
            ProgType::Xdp => "BPF_PROG_TYPE_XDP",
            ProgType::CgroupSkb => "BPF_PROG_TYPE_CGROUP_SKB",
            ProgType::LwtIn => "BPF_PROG_TYPE_LWT_IN",
            ProgType::LwtOut => "BPF_PROG_TYPE_LWT_OUT",
            ProgType::LwtXmit => "BPF_PROG_TYPE_LWT_XMIT",
        }
    }

    /// Whether `BPF_LD_ABS`/`BPF_LD_IND` are allowed.
    pub fn ld_abs(self) -> bool {
        matches!(
            self,
            ProgType::SocketFilter | ProgType::SchedCls | ProgType::SchedAct
        )
    }

    fn bit(self) -> u32 {
        1 << (self as u32)
    }
}

const SF: u32 = 1 << 1;
const CLS: u32 = 1 << 3;
const ACT: u32 = 1 << 4;
const XDP: u32 = 1 << 6;
const CSKB: u32 = 1 << 8;
const LIN: u32 = 1 << 10;
const LOUT: u32 = 1 << 11;
const LXMIT: u32 = 1 << 12;
const ALL: u32 = SF | CLS | ACT | XDP | CSKB | LIN | LOUT | LXMIT;

/// (helper id, types) for the implemented helpers (spec §4.3).
const TABLE: &[(u32, u32)] = &[
    (1, ALL),
    (2, ALL),
    (3, ALL),
    (12, ALL),
    (25, SF | CLS | ACT | XDP | CSKB | LIN | LOUT | LXMIT),
    (87, ALL),
    (88, ALL),
    (89, ALL),
    (93, ALL),
    (94, ALL),
    (130, ALL),
    (131, ALL),
    (132, ALL),
    (133, ALL),
    (134, ALL),
    (164, ALL),
    (195, ALL),
    (5, ALL),
    (6, ALL),
    (7, ALL),
    (8, ALL),
    (9, CLS | ACT | LXMIT),
    (10, CLS | ACT | LXMIT),
    (11, CLS | ACT | LXMIT),
    (13, CLS | ACT | LXMIT),
    (18, CLS | ACT),
    (19, CLS | ACT),
    (23, CLS | ACT | XDP | LXMIT),
    (26, SF | CLS | ACT | CSKB | LIN | LOUT | LXMIT),
    (28, CLS | ACT | XDP | LIN | LOUT | LXMIT),
    (31, CLS | ACT),
    (32, CLS | ACT),
    (34, CLS | ACT | LIN | LOUT | LXMIT),
    (38, CLS | ACT | LXMIT),
    (39, CLS | ACT | LIN | LOUT | LXMIT),
    (40, CLS | ACT | LXMIT),
    (41, CLS | ACT | LXMIT),
    (42, ALL),
    (43, CLS | ACT | LXMIT),
    (44, XDP),
    (46, SF | CLS | ACT | CSKB),
    (48, CLS | ACT),
    (50, CLS | ACT),
    (54, XDP),
    (65, XDP),
    (68, SF | CLS | ACT | CSKB),
    (125, ALL),
    (160, ALL),
    (165, ALL),
    (181, ALL),
    (188, XDP),
    (189, XDP),
    (190, XDP),
    (208, ALL),
];

/// Whether a program of `ty` may call helper `id` (for the helpers this
/// crate implements; others are reported as not allowed).
pub fn allowed(ty: ProgType, id: u32) -> bool {
    TABLE.iter().any(|&(h, m)| h == id && m & ty.bit() != 0)
}

/// Whether the id is listed at all.
pub fn known(id: u32) -> bool {
    TABLE.iter().any(|&(h, _)| h == id)
}

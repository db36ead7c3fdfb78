//! `enum bpf_attach_type` of Linux 6.18 (ids 0..=57, from the running
//! kernel's BTF; spec §1.1). The attach type is both the load-time
//! `expected_attach_type` and the attach-time target kind.

use bpfbox_uapi::attach_type;
use serde::Serialize;

/// Number of attach types known to Linux 6.18 (`__MAX_BPF_ATTACH_TYPE`).
pub const ATTACH_TYPE_COUNT: u32 = 58;

/// One `enum bpf_attach_type` value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[repr(u32)]
pub enum AttachType {
    /// `BPF_CGROUP_INET_INGRESS` (0).
    CgroupInetIngress = attach_type::CGROUP_INET_INGRESS,
    /// `BPF_CGROUP_INET_EGRESS` (1).
    CgroupInetEgress = attach_type::CGROUP_INET_EGRESS,
    /// `BPF_CGROUP_INET_SOCK_CREATE` (2).
    CgroupInetSockCreate = attach_type::CGROUP_INET_SOCK_CREATE,
    /// `BPF_CGROUP_SOCK_OPS` (3).
    CgroupSockOps = attach_type::CGROUP_SOCK_OPS,
    /// `BPF_SK_SKB_STREAM_PARSER` (4).
    SkSkbStreamParser = attach_type::SK_SKB_STREAM_PARSER,
    /// `BPF_SK_SKB_STREAM_VERDICT` (5).
    SkSkbStreamVerdict = attach_type::SK_SKB_STREAM_VERDICT,
    /// `BPF_CGROUP_DEVICE` (6).
    CgroupDevice = attach_type::CGROUP_DEVICE,
    /// `BPF_SK_MSG_VERDICT` (7).
    SkMsgVerdict = attach_type::SK_MSG_VERDICT,
    /// `BPF_CGROUP_INET4_BIND` (8).
    CgroupInet4Bind = attach_type::CGROUP_INET4_BIND,
    /// `BPF_CGROUP_INET6_BIND` (9).
    CgroupInet6Bind = attach_type::CGROUP_INET6_BIND,
    /// `BPF_CGROUP_INET4_CONNECT` (10).
    CgroupInet4Connect = attach_type::CGROUP_INET4_CONNECT,
    /// `BPF_CGROUP_INET6_CONNECT` (11).
    CgroupInet6Connect = attach_type::CGROUP_INET6_CONNECT,
    /// `BPF_CGROUP_INET4_POST_BIND` (12).
    CgroupInet4PostBind = attach_type::CGROUP_INET4_POST_BIND,
    /// `BPF_CGROUP_INET6_POST_BIND` (13).
    CgroupInet6PostBind = attach_type::CGROUP_INET6_POST_BIND,
    /// `BPF_CGROUP_UDP4_SENDMSG` (14).
    CgroupUdp4Sendmsg = attach_type::CGROUP_UDP4_SENDMSG,
    /// `BPF_CGROUP_UDP6_SENDMSG` (15).
    CgroupUdp6Sendmsg = attach_type::CGROUP_UDP6_SENDMSG,
    /// `BPF_LIRC_MODE2` (16).
    LircMode2 = attach_type::LIRC_MODE2,
    /// `BPF_FLOW_DISSECTOR` (17).
    FlowDissector = attach_type::FLOW_DISSECTOR,
    /// `BPF_CGROUP_SYSCTL` (18).
    CgroupSysctl = attach_type::CGROUP_SYSCTL,
    /// `BPF_CGROUP_UDP4_RECVMSG` (19).
    CgroupUdp4Recvmsg = attach_type::CGROUP_UDP4_RECVMSG,
    /// `BPF_CGROUP_UDP6_RECVMSG` (20).
    CgroupUdp6Recvmsg = attach_type::CGROUP_UDP6_RECVMSG,
    /// `BPF_CGROUP_GETSOCKOPT` (21).
    CgroupGetsockopt = attach_type::CGROUP_GETSOCKOPT,
    /// `BPF_CGROUP_SETSOCKOPT` (22).
    CgroupSetsockopt = attach_type::CGROUP_SETSOCKOPT,
    /// `BPF_TRACE_RAW_TP` (23).
    TraceRawTp = attach_type::TRACE_RAW_TP,
    /// `BPF_TRACE_FENTRY` (24).
    TraceFentry = attach_type::TRACE_FENTRY,
    /// `BPF_TRACE_FEXIT` (25).
    TraceFexit = attach_type::TRACE_FEXIT,
    /// `BPF_MODIFY_RETURN` (26).
    ModifyReturn = attach_type::MODIFY_RETURN,
    /// `BPF_LSM_MAC` (27).
    LsmMac = attach_type::LSM_MAC,
    /// `BPF_TRACE_ITER` (28).
    TraceIter = attach_type::TRACE_ITER,
    /// `BPF_CGROUP_INET4_GETPEERNAME` (29).
    CgroupInet4Getpeername = attach_type::CGROUP_INET4_GETPEERNAME,
    /// `BPF_CGROUP_INET6_GETPEERNAME` (30).
    CgroupInet6Getpeername = attach_type::CGROUP_INET6_GETPEERNAME,
    /// `BPF_CGROUP_INET4_GETSOCKNAME` (31).
    CgroupInet4Getsockname = attach_type::CGROUP_INET4_GETSOCKNAME,
    /// `BPF_CGROUP_INET6_GETSOCKNAME` (32).
    CgroupInet6Getsockname = attach_type::CGROUP_INET6_GETSOCKNAME,
    /// `BPF_XDP_DEVMAP` (33).
    XdpDevmap = attach_type::XDP_DEVMAP,
    /// `BPF_CGROUP_INET_SOCK_RELEASE` (34).
    CgroupInetSockRelease = attach_type::CGROUP_INET_SOCK_RELEASE,
    /// `BPF_XDP_CPUMAP` (35).
    XdpCpumap = attach_type::XDP_CPUMAP,
    /// `BPF_SK_LOOKUP` (36).
    SkLookup = attach_type::SK_LOOKUP,
    /// `BPF_XDP` (37).
    Xdp = attach_type::XDP,
    /// `BPF_SK_SKB_VERDICT` (38).
    SkSkbVerdict = attach_type::SK_SKB_VERDICT,
    /// `BPF_SK_REUSEPORT_SELECT` (39).
    SkReuseportSelect = attach_type::SK_REUSEPORT_SELECT,
    /// `BPF_SK_REUSEPORT_SELECT_OR_MIGRATE` (40).
    SkReuseportSelectOrMigrate = attach_type::SK_REUSEPORT_SELECT_OR_MIGRATE,
    /// `BPF_PERF_EVENT` (41).
    PerfEvent = attach_type::PERF_EVENT,
    /// `BPF_TRACE_KPROBE_MULTI` (42).
    TraceKprobeMulti = attach_type::TRACE_KPROBE_MULTI,
    /// `BPF_LSM_CGROUP` (43).
    LsmCgroup = attach_type::LSM_CGROUP,
    /// `BPF_STRUCT_OPS` (44).
    StructOps = attach_type::STRUCT_OPS,
    /// `BPF_NETFILTER` (45).
    Netfilter = attach_type::NETFILTER,
    /// `BPF_TCX_INGRESS` (46).
    TcxIngress = attach_type::TCX_INGRESS,
    /// `BPF_TCX_EGRESS` (47).
    TcxEgress = attach_type::TCX_EGRESS,
    /// `BPF_TRACE_UPROBE_MULTI` (48).
    TraceUprobeMulti = attach_type::TRACE_UPROBE_MULTI,
    /// `BPF_CGROUP_UNIX_CONNECT` (49).
    CgroupUnixConnect = attach_type::CGROUP_UNIX_CONNECT,
    /// `BPF_CGROUP_UNIX_SENDMSG` (50).
    CgroupUnixSendmsg = attach_type::CGROUP_UNIX_SENDMSG,
    /// `BPF_CGROUP_UNIX_RECVMSG` (51).
    CgroupUnixRecvmsg = attach_type::CGROUP_UNIX_RECVMSG,
    /// `BPF_CGROUP_UNIX_GETPEERNAME` (52).
    CgroupUnixGetpeername = attach_type::CGROUP_UNIX_GETPEERNAME,
    /// `BPF_CGROUP_UNIX_GETSOCKNAME` (53).
    CgroupUnixGetsockname = attach_type::CGROUP_UNIX_GETSOCKNAME,
    /// `BPF_NETKIT_PRIMARY` (54).
    NetkitPrimary = attach_type::NETKIT_PRIMARY,
    /// `BPF_NETKIT_PEER` (55).
    NetkitPeer = attach_type::NETKIT_PEER,
    /// `BPF_TRACE_KPROBE_SESSION` (56).
    TraceKprobeSession = attach_type::TRACE_KPROBE_SESSION,
    /// `BPF_TRACE_UPROBE_SESSION` (57).
    TraceUprobeSession = attach_type::TRACE_UPROBE_SESSION,
}

/// Every attach type, indexed by its kernel id.
pub static ALL_ATTACH_TYPES: [AttachType; 58] = [
    AttachType::CgroupInetIngress,
    AttachType::CgroupInetEgress,
    AttachType::CgroupInetSockCreate,
    AttachType::CgroupSockOps,
    AttachType::SkSkbStreamParser,
    AttachType::SkSkbStreamVerdict,
    AttachType::CgroupDevice,
    AttachType::SkMsgVerdict,
    AttachType::CgroupInet4Bind,
    AttachType::CgroupInet6Bind,
    AttachType::CgroupInet4Connect,
    AttachType::CgroupInet6Connect,
    AttachType::CgroupInet4PostBind,
    AttachType::CgroupInet6PostBind,
    AttachType::CgroupUdp4Sendmsg,
    AttachType::CgroupUdp6Sendmsg,
    AttachType::LircMode2,
    AttachType::FlowDissector,
    AttachType::CgroupSysctl,
    AttachType::CgroupUdp4Recvmsg,
    AttachType::CgroupUdp6Recvmsg,
    AttachType::CgroupGetsockopt,
    AttachType::CgroupSetsockopt,
    AttachType::TraceRawTp,
    AttachType::TraceFentry,
    AttachType::TraceFexit,
    AttachType::ModifyReturn,
    AttachType::LsmMac,
    AttachType::TraceIter,
    AttachType::CgroupInet4Getpeername,
    AttachType::CgroupInet6Getpeername,
    AttachType::CgroupInet4Getsockname,
    AttachType::CgroupInet6Getsockname,
    AttachType::XdpDevmap,
    AttachType::CgroupInetSockRelease,
    AttachType::XdpCpumap,
    AttachType::SkLookup,
    AttachType::Xdp,
    AttachType::SkSkbVerdict,
    AttachType::SkReuseportSelect,
    AttachType::SkReuseportSelectOrMigrate,
    AttachType::PerfEvent,
    AttachType::TraceKprobeMulti,
    AttachType::LsmCgroup,
    AttachType::StructOps,
    AttachType::Netfilter,
    AttachType::TcxIngress,
    AttachType::TcxEgress,
    AttachType::TraceUprobeMulti,
    AttachType::CgroupUnixConnect,
    AttachType::CgroupUnixSendmsg,
    AttachType::CgroupUnixRecvmsg,
    AttachType::CgroupUnixGetpeername,
    AttachType::CgroupUnixGetsockname,
    AttachType::NetkitPrimary,
    AttachType::NetkitPeer,
    AttachType::TraceKprobeSession,
    AttachType::TraceUprobeSession,
];

/// Kernel names (`BPF_*`), indexed by id.
static NAMES: [&str; 58] = [
    "BPF_CGROUP_INET_INGRESS",
    "BPF_CGROUP_INET_EGRESS",
    "BPF_CGROUP_INET_SOCK_CREATE",
    "BPF_CGROUP_SOCK_OPS",
    "BPF_SK_SKB_STREAM_PARSER",
    "BPF_SK_SKB_STREAM_VERDICT",
    "BPF_CGROUP_DEVICE",
    "BPF_SK_MSG_VERDICT",
    "BPF_CGROUP_INET4_BIND",
    "BPF_CGROUP_INET6_BIND",
    "BPF_CGROUP_INET4_CONNECT",
    "BPF_CGROUP_INET6_CONNECT",
    "BPF_CGROUP_INET4_POST_BIND",
    "BPF_CGROUP_INET6_POST_BIND",
    "BPF_CGROUP_UDP4_SENDMSG",
    "BPF_CGROUP_UDP6_SENDMSG",
    "BPF_LIRC_MODE2",
    "BPF_FLOW_DISSECTOR",
    "BPF_CGROUP_SYSCTL",
    "BPF_CGROUP_UDP4_RECVMSG",
    "BPF_CGROUP_UDP6_RECVMSG",
    "BPF_CGROUP_GETSOCKOPT",
    "BPF_CGROUP_SETSOCKOPT",
    "BPF_TRACE_RAW_TP",
    "BPF_TRACE_FENTRY",
    "BPF_TRACE_FEXIT",
    "BPF_MODIFY_RETURN",
    "BPF_LSM_MAC",
    "BPF_TRACE_ITER",
    "BPF_CGROUP_INET4_GETPEERNAME",
    "BPF_CGROUP_INET6_GETPEERNAME",
    "BPF_CGROUP_INET4_GETSOCKNAME",
    "BPF_CGROUP_INET6_GETSOCKNAME",
    "BPF_XDP_DEVMAP",
    "BPF_CGROUP_INET_SOCK_RELEASE",
    "BPF_XDP_CPUMAP",
    "BPF_SK_LOOKUP",
    "BPF_XDP",
    "BPF_SK_SKB_VERDICT",
    "BPF_SK_REUSEPORT_SELECT",
    "BPF_SK_REUSEPORT_SELECT_OR_MIGRATE",
    "BPF_PERF_EVENT",
    "BPF_TRACE_KPROBE_MULTI",
    "BPF_LSM_CGROUP",
    "BPF_STRUCT_OPS",
    "BPF_NETFILTER",
    "BPF_TCX_INGRESS",
    "BPF_TCX_EGRESS",
    "BPF_TRACE_UPROBE_MULTI",
    "BPF_CGROUP_UNIX_CONNECT",
    "BPF_CGROUP_UNIX_SENDMSG",
    "BPF_CGROUP_UNIX_RECVMSG",
    "BPF_CGROUP_UNIX_GETPEERNAME",
    "BPF_CGROUP_UNIX_GETSOCKNAME",
    "BPF_NETKIT_PRIMARY",
    "BPF_NETKIT_PEER",
    "BPF_TRACE_KPROBE_SESSION",
    "BPF_TRACE_UPROBE_SESSION",
];

impl AttachType {
    /// The kernel id (`enum bpf_attach_type` value).
    pub const fn id(self) -> u32 {
        self as u32
    }

    /// The attach type with this kernel id, if 6.18 defines it.
    pub fn from_id(id: u32) -> Option<AttachType> {
        ALL_ATTACH_TYPES.get(id as usize).copied()
    }

    /// The kernel name, e.g. `BPF_CGROUP_INET_INGRESS`.
    pub fn name(self) -> &'static str {
        NAMES[self as usize]
    }

    /// Look up by kernel name, with or without the `BPF_` prefix, any case.
    pub fn from_name(name: &str) -> Option<AttachType> {
        let up = name.to_ascii_uppercase();
        let bare = up.strip_prefix("BPF_").unwrap_or(&up);
        ALL_ATTACH_TYPES
            .iter()
            .copied()
            .find(|t| &t.name()[4..] == bare)
    }
}

impl std::fmt::Display for AttachType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_match_positions() {
        for (i, t) in ALL_ATTACH_TYPES.iter().enumerate() {
            assert_eq!(t.id() as usize, i);
            assert_eq!(AttachType::from_id(i as u32), Some(*t));
            assert_eq!(AttachType::from_name(t.name()), Some(*t));
        }
        assert_eq!(AttachType::from_id(58), None);
    }

    #[test]
    fn spot_values_from_spec() {
        assert_eq!(AttachType::Xdp.id(), 37);
        assert_eq!(AttachType::TcxIngress.id(), 46);
        assert_eq!(AttachType::TraceUprobeSession.id(), 57);
        assert_eq!(
            AttachType::from_name("sk_lookup"),
            Some(AttachType::SkLookup)
        );
        assert_eq!(
            AttachType::CgroupUnixGetsockname.name(),
            "BPF_CGROUP_UNIX_GETSOCKNAME"
        );
    }
}

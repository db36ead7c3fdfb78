//! One module per program type, each exporting `pub static SPEC`.
//! Module names are the libbpf/bpftool short names.

pub mod cgroup_device;
pub mod cgroup_skb;
pub mod cgroup_sock;
pub mod cgroup_sock_addr;
pub mod cgroup_sockopt;
pub mod cgroup_sysctl;
pub mod ext;
pub mod flow_dissector;
pub mod kprobe;
pub mod lirc_mode2;
pub mod lsm;
pub mod lwt;
pub mod lwt_in;
pub mod lwt_out;
pub mod lwt_seg6local;
pub mod lwt_xmit;
pub mod netfilter;
pub mod perf_event;
pub mod raw_tracepoint;
pub mod raw_tracepoint_writable;
pub mod sched_act;
pub mod sched_cls;
pub mod sk_lookup;
pub mod sk_msg;
pub mod sk_reuseport;
pub mod sk_skb;
pub mod sock_ops;
pub mod socket_filter;
pub mod struct_ops;
pub mod syscall;
pub mod tracepoint;
pub mod tracing;
pub mod xdp;

use crate::ret::NamedValue;

/// cgroup hooks: 0 = deny (EPERM or the errno from bpf_set_retval), 1 = allow.
pub(crate) static CGROUP_ALLOW_DENY: &[NamedValue] = &[
    NamedValue::new(
        0,
        "deny",
        "the operation fails with EPERM (or the errno set by bpf_set_retval)",
    ),
    NamedValue::new(1, "allow", "the operation proceeds"),
];

/// SK_DROP / SK_PASS (enum sk_action).
pub(crate) static SK_VERDICT: &[NamedValue] = &[
    NamedValue::dropping(0, "SK_DROP", "drop / refuse"),
    NamedValue::new(
        1,
        "SK_PASS",
        "pass (or use the redirect/selection made by a helper)",
    ),
];

/// LWT and flow-dissector return codes (enum bpf_ret_code).
pub(crate) static BPF_RET_CODE: &[NamedValue] = &[
    NamedValue::new(0, "BPF_OK", "continue"),
    NamedValue::dropping(2, "BPF_DROP", "drop the packet"),
    NamedValue::new(7, "BPF_REDIRECT", "redirect after bpf_redirect"),
    NamedValue::new(128, "BPF_LWT_REROUTE", "route the packet again"),
];

/// Tracing programs whose return value only gates the perf sample.
pub(crate) static PERF_SAMPLE: &[NamedValue] = &[NamedValue::new(
    0,
    "0",
    "suppress this event's perf sample (non-zero: normal perf processing)",
)];

use crate::attach::AttachType as A;
use crate::helpers::{sets::CGROUP_RETVAL, AttachHelperRule};
use crate::spec::AttachFilter;

/// Expected attach types for which `cgroup_common_func_proto` hides
/// `get_retval`/`set_retval` (kernel/bpf/cgroup.c). Types that do not
/// validate expected_attach_type hit this with 0 (= CGROUP_INET_INGRESS):
/// verified on 6.18 for CGROUP_DEVICE and CGROUP_SYSCTL loaded with 0.
pub(crate) const NO_RETVAL: &[A] = &[
    A::CgroupInetIngress,
    A::CgroupInetEgress,
    A::CgroupSockOps,
    A::CgroupUdp4Recvmsg,
    A::CgroupUdp6Recvmsg,
    A::CgroupUnixRecvmsg,
    A::CgroupInet4Getpeername,
    A::CgroupInet6Getpeername,
    A::CgroupUnixGetpeername,
    A::CgroupInet4Getsockname,
    A::CgroupInet6Getsockname,
    A::CgroupUnixGetsockname,
];

/// The attach rule removing the retval helpers for [`NO_RETVAL`].
pub(crate) const RETVAL_BY_ATTACH: AttachHelperRule = AttachHelperRule {
    when: AttachFilter::Only(NO_RETVAL),
    add: &[],
    remove: &[&CGROUP_RETVAL],
};

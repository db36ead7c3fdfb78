//! libbpf's `SEC()` name table (`section_defs[]` in tools/lib/bpf/libbpf.c)
//! restricted to what Linux 6.18 knows, and libbpf's matching rules.
//!
//! Matching follows `sec_def_matches()` of libbpf 1.x: a pattern ending in
//! `/` matches any section name with that prefix; a pattern ending in `+`
//! matches the bare name or the name followed by `/` and anything; any other
//! pattern must match exactly. The first matching row wins, so more specific
//! rows come first. libbpf 1.0 removed the old "sloppy" prefix matching
//! (`SEC("xdp_foo")` style), and so does this table.

/// `enum bpf_prog_type` and `enum bpf_attach_type` (one definition, in
/// bpfbox-uapi).
pub use bpfbox_uapi::{attach_type, prog_type};

/// libbpf's `enum sec_def_flags`, as bits in [`SecDef::flags`].
#[allow(missing_docs)]
pub mod flags {
    pub const NONE: u32 = 0;
    /// expected_attach_type may be dropped on kernels that lack it.
    pub const EXP_ATTACH_OPT: u32 = 1;
    /// Historically attachable with BPF_PROG_ATTACH (informational).
    pub const ATTACHABLE: u32 = 2;
    pub const ATTACHABLE_OPT: u32 = ATTACHABLE | EXP_ATTACH_OPT;
    /// The attach target is named by BTF id (`fentry/FUNC`, `lsm/HOOK`, ...).
    pub const ATTACH_BTF: u32 = 4;
    /// Loaded with `BPF_F_SLEEPABLE`.
    pub const SLEEPABLE: u32 = 8;
    /// XDP program loaded with `BPF_F_XDP_HAS_FRAGS`.
    pub const XDP_FRAGS: u32 = 16;
    /// usdt probe (libbpf switches to uprobe_multi when available).
    pub const USDT: u32 = 32;
}

/// `BPF_F_SLEEPABLE` program flag.
pub const BPF_F_SLEEPABLE: u32 = 1 << 4;
/// `BPF_F_XDP_HAS_FRAGS` program flag.
pub const BPF_F_XDP_HAS_FRAGS: u32 = 1 << 5;

/// One row of libbpf's `section_defs[]`.
#[derive(Debug, PartialEq, Eq)]
pub struct SecDef {
    /// The pattern, as written in libbpf (`"xdp"`, `"kprobe+"`, `"tc/ingress"`).
    pub pattern: &'static str,
    /// `BPF_PROG_TYPE_*` value.
    pub prog_type: u32,
    /// `BPF_*` attach type passed as `expected_attach_type`.
    pub expected_attach_type: u32,
    /// [`flags`] bits.
    pub flags: u32,
}

impl SecDef {
    /// Whether `section` is matched by this row (libbpf `sec_def_matches`).
    pub fn matches(&self, section: &str) -> bool {
        let p = self.pattern;
        if let Some(prefix) = p.strip_suffix('+') {
            match section.strip_prefix(prefix) {
                Some(rest) => rest.is_empty() || rest.starts_with('/'),
                None => false,
            }
        } else if p.ends_with('/') {
            section.starts_with(p)
        } else {
            section == p
        }
    }

    /// The `prog_flags` libbpf's `libbpf_prepare_prog_load` adds for this
    /// row (`BPF_F_SLEEPABLE`, `BPF_F_XDP_HAS_FRAGS`).
    pub fn prog_flags(&self) -> u32 {
        let mut f = 0;
        if self.flags & flags::SLEEPABLE != 0 {
            f |= BPF_F_SLEEPABLE;
        }
        if self.prog_type == prog_type::XDP && self.flags & flags::XDP_FRAGS != 0 {
            f |= BPF_F_XDP_HAS_FRAGS;
        }
        f
    }

    /// Whether programs of this row are sleepable.
    pub fn is_sleepable(&self) -> bool {
        self.flags & flags::SLEEPABLE != 0
    }
}

const fn d(pattern: &'static str, prog_type: u32, expected_attach_type: u32, flags: u32) -> SecDef {
    SecDef {
        pattern,
        prog_type,
        expected_attach_type,
        flags,
    }
}

use attach_type as a;
use flags as f;
use prog_type as p;

/// Every `SEC()` name libbpf knows that Linux 6.18 can load, in libbpf's
/// order (the first match wins). Left out: `fsession*`, `fentry.multi*`,
/// `fexit.multi*` (attach types that only exist after 6.18).
pub static SEC_DEFS: &[SecDef] = &[
    d("socket", p::SOCKET_FILTER, 0, f::NONE),
    d(
        "sk_reuseport/migrate",
        p::SK_REUSEPORT,
        a::SK_REUSEPORT_SELECT_OR_MIGRATE,
        f::ATTACHABLE,
    ),
    d(
        "sk_reuseport",
        p::SK_REUSEPORT,
        a::SK_REUSEPORT_SELECT,
        f::ATTACHABLE,
    ),
    d("kprobe+", p::KPROBE, 0, f::NONE),
    d("uprobe+", p::KPROBE, 0, f::NONE),
    d("uprobe.s+", p::KPROBE, 0, f::SLEEPABLE),
    d("kretprobe+", p::KPROBE, 0, f::NONE),
    d("uretprobe+", p::KPROBE, 0, f::NONE),
    d("uretprobe.s+", p::KPROBE, 0, f::SLEEPABLE),
    d("kprobe.multi+", p::KPROBE, a::TRACE_KPROBE_MULTI, f::NONE),
    d(
        "kretprobe.multi+",
        p::KPROBE,
        a::TRACE_KPROBE_MULTI,
        f::NONE,
    ),
    d(
        "kprobe.session+",
        p::KPROBE,
        a::TRACE_KPROBE_SESSION,
        f::NONE,
    ),
    d("uprobe.multi+", p::KPROBE, a::TRACE_UPROBE_MULTI, f::NONE),
    d(
        "uretprobe.multi+",
        p::KPROBE,
        a::TRACE_UPROBE_MULTI,
        f::NONE,
    ),
    d(
        "uprobe.session+",
        p::KPROBE,
        a::TRACE_UPROBE_SESSION,
        f::NONE,
    ),
    d(
        "uprobe.multi.s+",
        p::KPROBE,
        a::TRACE_UPROBE_MULTI,
        f::SLEEPABLE,
    ),
    d(
        "uretprobe.multi.s+",
        p::KPROBE,
        a::TRACE_UPROBE_MULTI,
        f::SLEEPABLE,
    ),
    d(
        "uprobe.session.s+",
        p::KPROBE,
        a::TRACE_UPROBE_SESSION,
        f::SLEEPABLE,
    ),
    d("ksyscall+", p::KPROBE, 0, f::NONE),
    d("kretsyscall+", p::KPROBE, 0, f::NONE),
    d("usdt+", p::KPROBE, 0, f::USDT),
    d("usdt.s+", p::KPROBE, 0, f::USDT | f::SLEEPABLE),
    d("tc/ingress", p::SCHED_CLS, a::TCX_INGRESS, f::NONE),
    d("tc/egress", p::SCHED_CLS, a::TCX_EGRESS, f::NONE),
    d("tcx/ingress", p::SCHED_CLS, a::TCX_INGRESS, f::NONE),
    d("tcx/egress", p::SCHED_CLS, a::TCX_EGRESS, f::NONE),
    d("tc", p::SCHED_CLS, 0, f::NONE),
    d("classifier", p::SCHED_CLS, 0, f::NONE),
    d("action", p::SCHED_ACT, 0, f::NONE),
    d("netkit/primary", p::SCHED_CLS, a::NETKIT_PRIMARY, f::NONE),
    d("netkit/peer", p::SCHED_CLS, a::NETKIT_PEER, f::NONE),
    d("tracepoint+", p::TRACEPOINT, 0, f::NONE),
    d("tp+", p::TRACEPOINT, 0, f::NONE),
    d("tracepoint.s+", p::TRACEPOINT, 0, f::SLEEPABLE),
    d("tp.s+", p::TRACEPOINT, 0, f::SLEEPABLE),
    d("raw_tracepoint+", p::RAW_TRACEPOINT, 0, f::NONE),
    d("raw_tp+", p::RAW_TRACEPOINT, 0, f::NONE),
    d("raw_tracepoint.s+", p::RAW_TRACEPOINT, 0, f::SLEEPABLE),
    d("raw_tp.s+", p::RAW_TRACEPOINT, 0, f::SLEEPABLE),
    d("raw_tracepoint.w+", p::RAW_TRACEPOINT_WRITABLE, 0, f::NONE),
    d("raw_tp.w+", p::RAW_TRACEPOINT_WRITABLE, 0, f::NONE),
    d("tp_btf+", p::TRACING, a::TRACE_RAW_TP, f::ATTACH_BTF),
    d(
        "tp_btf.s+",
        p::TRACING,
        a::TRACE_RAW_TP,
        f::ATTACH_BTF | f::SLEEPABLE,
    ),
    d("fentry+", p::TRACING, a::TRACE_FENTRY, f::ATTACH_BTF),
    d("fmod_ret+", p::TRACING, a::MODIFY_RETURN, f::ATTACH_BTF),
    d("fexit+", p::TRACING, a::TRACE_FEXIT, f::ATTACH_BTF),
    d(
        "fentry.s+",
        p::TRACING,
        a::TRACE_FENTRY,
        f::ATTACH_BTF | f::SLEEPABLE,
    ),
    d(
        "fmod_ret.s+",
        p::TRACING,
        a::MODIFY_RETURN,
        f::ATTACH_BTF | f::SLEEPABLE,
    ),
    d(
        "fexit.s+",
        p::TRACING,
        a::TRACE_FEXIT,
        f::ATTACH_BTF | f::SLEEPABLE,
    ),
    d("freplace+", p::EXT, 0, f::ATTACH_BTF),
    d("lsm+", p::LSM, a::LSM_MAC, f::ATTACH_BTF),
    d("lsm.s+", p::LSM, a::LSM_MAC, f::ATTACH_BTF | f::SLEEPABLE),
    d("lsm_cgroup+", p::LSM, a::LSM_CGROUP, f::ATTACH_BTF),
    d("iter+", p::TRACING, a::TRACE_ITER, f::ATTACH_BTF),
    d(
        "iter.s+",
        p::TRACING,
        a::TRACE_ITER,
        f::ATTACH_BTF | f::SLEEPABLE,
    ),
    d("syscall", p::SYSCALL, 0, f::SLEEPABLE),
    d("xdp.frags/devmap", p::XDP, a::XDP_DEVMAP, f::XDP_FRAGS),
    d("xdp/devmap", p::XDP, a::XDP_DEVMAP, f::ATTACHABLE),
    d("xdp.frags/cpumap", p::XDP, a::XDP_CPUMAP, f::XDP_FRAGS),
    d("xdp/cpumap", p::XDP, a::XDP_CPUMAP, f::ATTACHABLE),
    d("xdp.frags", p::XDP, a::XDP, f::XDP_FRAGS),
    d("xdp", p::XDP, a::XDP, f::ATTACHABLE_OPT),
    d("perf_event", p::PERF_EVENT, 0, f::NONE),
    d("lwt_in", p::LWT_IN, 0, f::NONE),
    d("lwt_out", p::LWT_OUT, 0, f::NONE),
    d("lwt_xmit", p::LWT_XMIT, 0, f::NONE),
    d("lwt_seg6local", p::LWT_SEG6LOCAL, 0, f::NONE),
    d(
        "sockops",
        p::SOCK_OPS,
        a::CGROUP_SOCK_OPS,
        f::ATTACHABLE_OPT,
    ),
    d(
        "sk_skb/stream_parser",
        p::SK_SKB,
        a::SK_SKB_STREAM_PARSER,
        f::ATTACHABLE_OPT,
    ),
    d(
        "sk_skb/stream_verdict",
        p::SK_SKB,
        a::SK_SKB_STREAM_VERDICT,
        f::ATTACHABLE_OPT,
    ),
    d(
        "sk_skb/verdict",
        p::SK_SKB,
        a::SK_SKB_VERDICT,
        f::ATTACHABLE_OPT,
    ),
    d("sk_skb", p::SK_SKB, 0, f::NONE),
    d("sk_msg", p::SK_MSG, a::SK_MSG_VERDICT, f::ATTACHABLE_OPT),
    d(
        "lirc_mode2",
        p::LIRC_MODE2,
        a::LIRC_MODE2,
        f::ATTACHABLE_OPT,
    ),
    d(
        "flow_dissector",
        p::FLOW_DISSECTOR,
        a::FLOW_DISSECTOR,
        f::ATTACHABLE_OPT,
    ),
    d(
        "cgroup_skb/ingress",
        p::CGROUP_SKB,
        a::CGROUP_INET_INGRESS,
        f::ATTACHABLE_OPT,
    ),
    d(
        "cgroup_skb/egress",
        p::CGROUP_SKB,
        a::CGROUP_INET_EGRESS,
        f::ATTACHABLE_OPT,
    ),
    d("cgroup/skb", p::CGROUP_SKB, 0, f::NONE),
    d(
        "cgroup/sock_create",
        p::CGROUP_SOCK,
        a::CGROUP_INET_SOCK_CREATE,
        f::ATTACHABLE,
    ),
    d(
        "cgroup/sock_release",
        p::CGROUP_SOCK,
        a::CGROUP_INET_SOCK_RELEASE,
        f::ATTACHABLE,
    ),
    d(
        "cgroup/sock",
        p::CGROUP_SOCK,
        a::CGROUP_INET_SOCK_CREATE,
        f::ATTACHABLE_OPT,
    ),
    d(
        "cgroup/post_bind4",
        p::CGROUP_SOCK,
        a::CGROUP_INET4_POST_BIND,
        f::ATTACHABLE,
    ),
    d(
        "cgroup/post_bind6",
        p::CGROUP_SOCK,
        a::CGROUP_INET6_POST_BIND,
        f::ATTACHABLE,
    ),
    d(
        "cgroup/bind4",
        p::CGROUP_SOCK_ADDR,
        a::CGROUP_INET4_BIND,
        f::ATTACHABLE,
    ),
    d(
        "cgroup/bind6",
        p::CGROUP_SOCK_ADDR,
        a::CGROUP_INET6_BIND,
        f::ATTACHABLE,
    ),
    d(
        "cgroup/connect4",
        p::CGROUP_SOCK_ADDR,
        a::CGROUP_INET4_CONNECT,
        f::ATTACHABLE,
    ),
    d(
        "cgroup/connect6",
        p::CGROUP_SOCK_ADDR,
        a::CGROUP_INET6_CONNECT,
        f::ATTACHABLE,
    ),
    d(
        "cgroup/connect_unix",
        p::CGROUP_SOCK_ADDR,
        a::CGROUP_UNIX_CONNECT,
        f::ATTACHABLE,
    ),
    d(
        "cgroup/sendmsg4",
        p::CGROUP_SOCK_ADDR,
        a::CGROUP_UDP4_SENDMSG,
        f::ATTACHABLE,
    ),
    d(
        "cgroup/sendmsg6",
        p::CGROUP_SOCK_ADDR,
        a::CGROUP_UDP6_SENDMSG,
        f::ATTACHABLE,
    ),
    d(
        "cgroup/sendmsg_unix",
        p::CGROUP_SOCK_ADDR,
        a::CGROUP_UNIX_SENDMSG,
        f::ATTACHABLE,
    ),
    d(
        "cgroup/recvmsg4",
        p::CGROUP_SOCK_ADDR,
        a::CGROUP_UDP4_RECVMSG,
        f::ATTACHABLE,
    ),
    d(
        "cgroup/recvmsg6",
        p::CGROUP_SOCK_ADDR,
        a::CGROUP_UDP6_RECVMSG,
        f::ATTACHABLE,
    ),
    d(
        "cgroup/recvmsg_unix",
        p::CGROUP_SOCK_ADDR,
        a::CGROUP_UNIX_RECVMSG,
        f::ATTACHABLE,
    ),
    d(
        "cgroup/getpeername4",
        p::CGROUP_SOCK_ADDR,
        a::CGROUP_INET4_GETPEERNAME,
        f::ATTACHABLE,
    ),
    d(
        "cgroup/getpeername6",
        p::CGROUP_SOCK_ADDR,
        a::CGROUP_INET6_GETPEERNAME,
        f::ATTACHABLE,
    ),
    d(
        "cgroup/getpeername_unix",
        p::CGROUP_SOCK_ADDR,
        a::CGROUP_UNIX_GETPEERNAME,
        f::ATTACHABLE,
    ),
    d(
        "cgroup/getsockname4",
        p::CGROUP_SOCK_ADDR,
        a::CGROUP_INET4_GETSOCKNAME,
        f::ATTACHABLE,
    ),
    d(
        "cgroup/getsockname6",
        p::CGROUP_SOCK_ADDR,
        a::CGROUP_INET6_GETSOCKNAME,
        f::ATTACHABLE,
    ),
    d(
        "cgroup/getsockname_unix",
        p::CGROUP_SOCK_ADDR,
        a::CGROUP_UNIX_GETSOCKNAME,
        f::ATTACHABLE,
    ),
    d(
        "cgroup/sysctl",
        p::CGROUP_SYSCTL,
        a::CGROUP_SYSCTL,
        f::ATTACHABLE,
    ),
    d(
        "cgroup/getsockopt",
        p::CGROUP_SOCKOPT,
        a::CGROUP_GETSOCKOPT,
        f::ATTACHABLE,
    ),
    d(
        "cgroup/setsockopt",
        p::CGROUP_SOCKOPT,
        a::CGROUP_SETSOCKOPT,
        f::ATTACHABLE,
    ),
    d(
        "cgroup/dev",
        p::CGROUP_DEVICE,
        a::CGROUP_DEVICE,
        f::ATTACHABLE_OPT,
    ),
    d("struct_ops+", p::STRUCT_OPS, 0, f::NONE),
    d("struct_ops.s+", p::STRUCT_OPS, 0, f::SLEEPABLE),
    d("sk_lookup", p::SK_LOOKUP, a::SK_LOOKUP, f::ATTACHABLE),
    d("netfilter", p::NETFILTER, a::NETFILTER, f::NONE),
];

/// The first row of [`SEC_DEFS`] matching `section` (libbpf `find_sec_def`).
pub fn sec_def_for(section: &str) -> Option<&'static SecDef> {
    SEC_DEFS.iter().find(|d| d.matches(section))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_names() {
        assert_eq!(sec_def_for("xdp").unwrap().expected_attach_type, a::XDP);
        assert_eq!(sec_def_for("tc").unwrap().prog_type, p::SCHED_CLS);
        assert_eq!(sec_def_for("classifier").unwrap().expected_attach_type, 0);
        assert_eq!(sec_def_for("socket").unwrap().prog_type, p::SOCKET_FILTER);
        // exact rows do not match longer names
        assert!(sec_def_for("xdp_foo").is_none());
        assert!(sec_def_for("socket/x").is_none());
        assert!(sec_def_for("tcx").is_none());
    }

    #[test]
    fn plus_rows_need_slash_or_end() {
        let k = sec_def_for("kprobe/do_sys_open").unwrap();
        assert_eq!(k.pattern, "kprobe+");
        assert_eq!(sec_def_for("kprobe").unwrap().pattern, "kprobe+");
        // "kprobe.multi/..." must not be taken by "kprobe+"
        assert_eq!(
            sec_def_for("kprobe.multi/foo*").unwrap().pattern,
            "kprobe.multi+"
        );
        assert!(sec_def_for("kprobex").is_none());
        let s = sec_def_for("fentry.s/bpf_fentry_test1").unwrap();
        assert!(s.is_sleepable());
        assert_eq!(s.prog_flags(), BPF_F_SLEEPABLE);
    }

    #[test]
    fn specific_rows_win() {
        assert_eq!(
            sec_def_for("tc/ingress").unwrap().expected_attach_type,
            a::TCX_INGRESS
        );
        assert_eq!(
            sec_def_for("xdp/devmap").unwrap().expected_attach_type,
            a::XDP_DEVMAP
        );
        let frags = sec_def_for("xdp.frags").unwrap();
        assert_eq!(frags.prog_flags(), BPF_F_XDP_HAS_FRAGS);
        assert_eq!(
            sec_def_for("sk_reuseport/migrate")
                .unwrap()
                .expected_attach_type,
            a::SK_REUSEPORT_SELECT_OR_MIGRATE
        );
        assert_eq!(
            sec_def_for("cgroup_skb/egress")
                .unwrap()
                .expected_attach_type,
            a::CGROUP_INET_EGRESS
        );
        assert_eq!(sec_def_for("lwt_xmit").unwrap().prog_type, p::LWT_XMIT);
    }

    #[test]
    fn btf_attach_rows() {
        let d = sec_def_for("fentry/do_unlinkat").unwrap();
        assert_eq!(d.flags & flags::ATTACH_BTF, flags::ATTACH_BTF);
        assert_eq!(
            (d.prog_type, d.expected_attach_type),
            (p::TRACING, a::TRACE_FENTRY)
        );
        assert_eq!(
            sec_def_for("lsm.s/file_open").unwrap().prog_flags(),
            BPF_F_SLEEPABLE
        );
        assert_eq!(
            sec_def_for("iter/task").unwrap().expected_attach_type,
            a::TRACE_ITER
        );
        assert_eq!(sec_def_for("freplace/foo").unwrap().prog_type, p::EXT);
        assert_eq!(
            sec_def_for("syscall").unwrap().prog_flags(),
            BPF_F_SLEEPABLE
        );
    }

    #[test]
    fn table_fits_kernel_6_18() {
        let mut seen = std::collections::HashSet::new();
        for d in SEC_DEFS {
            assert!(seen.insert(d.pattern), "duplicate {}", d.pattern);
            assert!((1..=32).contains(&d.prog_type), "{}", d.pattern);
            assert!(d.expected_attach_type <= 57, "{}", d.pattern);
        }
        assert!(sec_def_for("fsession/foo").is_none());
    }
}

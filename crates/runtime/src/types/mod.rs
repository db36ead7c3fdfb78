//! The run side of every program type, one module per type (the kernel's
//! `bpf_prog_ops` plus the run-time half of `bpf_verifier_ops`): the
//! `BPF_PROG_TEST_RUN` driver, the event driver `bpfbox fire` uses and the
//! helpers whose implementation differs for the type.
//!
//! The check side of a type (ctx layout and access rules, helper
//! availability, return codes, section names) is `bpfbox_progtype`'s
//! `SPEC` in the module of the same name; [`ops_of`] is the run side's
//! only registry, an exhaustive `match` over [`ProgType`]: a new program
//! type does not compile until it has a row here. A type bpfbox does not
//! run yet maps to [`NOT_YET`].

use crate::drivers::Runner;
use crate::events::EventDriver;
use crate::helpers::HelperImpl;
use bpfbox_progtype::ProgType;

pub mod cgroup_device;
pub mod cgroup_skb;
pub mod cgroup_sock;
pub mod cgroup_sock_addr;
pub mod cgroup_sockopt;
pub mod cgroup_sysctl;
pub mod flow_dissector;
pub mod kprobe;
pub mod lwt_in;
pub mod lwt_out;
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
pub mod syscall;
pub mod tracepoint;
pub mod xdp;

/// The run side of one program type.
pub struct RunOps {
    /// The `BPF_PROG_TEST_RUN` driver (`bpf_prog_ops.test_run`), if bpfbox
    /// has one for the type.
    pub test_run: Option<Runner>,
    /// The event driver (`bpfbox fire`), if the type runs on events.
    pub event: Option<&'static EventDriver>,
    /// The type's own implementations of shared helper ids (the kernel's
    /// `get_func_proto` handing this type a different function for the
    /// id): (helper id, implementation). Availability still comes from
    /// the type's check-side data.
    pub helpers: &'static [HelperImpl],
}

/// A type bpfbox does not run yet: no driver, no helper of its own.
pub static NOT_YET: RunOps = RunOps {
    test_run: None,
    event: None,
    helpers: &[],
};

/// The run side of a program type. Adding a `ProgType` variant does not
/// compile until its row exists here.
pub fn ops_of(ty: ProgType) -> &'static RunOps {
    match ty {
        ProgType::SocketFilter => &socket_filter::OPS,
        ProgType::Kprobe => &kprobe::OPS,
        ProgType::SchedCls => &sched_cls::OPS,
        ProgType::SchedAct => &sched_act::OPS,
        ProgType::Tracepoint => &tracepoint::OPS,
        ProgType::Xdp => &xdp::OPS,
        ProgType::PerfEvent => &perf_event::OPS,
        ProgType::CgroupSkb => &cgroup_skb::OPS,
        ProgType::CgroupSock => &cgroup_sock::OPS,
        ProgType::LwtIn => &lwt_in::OPS,
        ProgType::LwtOut => &lwt_out::OPS,
        ProgType::LwtXmit => &lwt_xmit::OPS,
        ProgType::SockOps => &sock_ops::OPS,
        ProgType::SkSkb => &sk_skb::OPS,
        ProgType::CgroupDevice => &cgroup_device::OPS,
        ProgType::SkMsg => &sk_msg::OPS,
        ProgType::RawTracepoint => &raw_tracepoint::OPS,
        ProgType::CgroupSockAddr => &cgroup_sock_addr::OPS,
        ProgType::LwtSeg6local => &NOT_YET,
        ProgType::LircMode2 => &NOT_YET,
        ProgType::SkReuseport => &sk_reuseport::OPS,
        ProgType::FlowDissector => &flow_dissector::OPS,
        ProgType::CgroupSysctl => &cgroup_sysctl::OPS,
        ProgType::RawTracepointWritable => &raw_tracepoint_writable::OPS,
        ProgType::CgroupSockopt => &cgroup_sockopt::OPS,
        ProgType::Tracing => &NOT_YET,
        ProgType::StructOps => &NOT_YET,
        ProgType::Ext => &NOT_YET,
        ProgType::Lsm => &NOT_YET,
        ProgType::SkLookup => &sk_lookup::OPS,
        ProgType::Syscall => &syscall::OPS,
        ProgType::Netfilter => &netfilter::OPS,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bpfbox_progtype::TestRunSupport;

    #[test]
    fn a_test_run_driver_only_where_the_kernel_has_one() {
        for spec in bpfbox_progtype::ALL {
            let ops = ops_of(spec.ty);
            if ops.test_run.is_some() {
                assert!(
                    matches!(spec.test_run.default, TestRunSupport::Supported { .. }),
                    "{} has a bpfbox test-run driver but the kernel cannot test-run it",
                    spec.name
                );
            }
        }
    }

    #[test]
    fn helper_overrides_are_helpers_the_type_may_call() {
        for spec in bpfbox_progtype::ALL {
            for id in ops_of(spec.ty).helpers.iter().map(HelperImpl::id) {
                let some_attach = std::iter::once(None)
                    .chain(spec.attach.attach_types.iter().map(|a| Some(*a)))
                    .any(|a| spec.helper_allowed(a, id));
                assert!(
                    some_attach,
                    "{} overrides helper {id}, which it may never call",
                    spec.name
                );
            }
        }
    }
}

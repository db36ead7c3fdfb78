//! The run side of every program type, one module per type (the kernel's
//! `bpf_prog_ops` plus the run-time half of `bpf_verifier_ops`): the
//! `BPF_PROG_TEST_RUN` driver, the event driver `bpfbox fire` uses and the
//! helpers whose implementation differs for the type.
//!
//! The check side of a type (ctx layout and access rules, helper
//! availability, return codes, section names) is `bpfbox_progtype`'s
//! `SPEC` in the module of the same name; [`ops_of`] is the run side's
//! only registry, an exhaustive `match` over [`ProgType`] that `run_types!`
//! builds from one line per type (which also declares the module): a new
//! program type does not compile until it has its line. A type bpfbox does
//! not run yet maps to [`NOT_YET`]. Drivers only one type uses live in the
//! type's module (`event`, `test_run` submodules); shared machinery stays
//! in [`crate::drivers`] and [`crate::events`].

use crate::drivers::Runner;
use crate::events::EventDriver;
use crate::helpers::HelperImpl;
use bpfbox_progtype::ProgType;

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
    /// Restores, after a packet-changing helper rebuilt the shared
    /// `__sk_buff`/`xdp_md` image at this guest address, the fields of
    /// the image only this type knows (sk_skb: the socket's ports).
    pub after_ctx_rebuild: Option<CtxPatch>,
}

/// See [`RunOps::after_ctx_rebuild`].
pub type CtxPatch = fn(&mut crate::helpers::HostVm<'_>, u64) -> Result<(), bpfbox_interp::Trap>;

/// A type bpfbox does not run yet: no driver, no helper of its own.
pub static NOT_YET: RunOps = RunOps {
    test_run: None,
    event: None,
    helpers: &[],
    after_ctx_rebuild: None,
};

/// Declares each type's run-side module and builds [`ops_of`] from the
/// same lines: `Type => module` (the module's `OPS`) or `Type => not_yet`
/// ([`NOT_YET`]). Giving a type its run side is one line here.
macro_rules! run_types {
    ($($ty:ident => $ops:tt,)*) => {
        $( run_types!(@module $ops); )*

        /// The run side of a program type. Adding a `ProgType` variant
        /// does not compile until its line exists in `run_types!`.
        pub fn ops_of(ty: ProgType) -> &'static RunOps {
            match ty {
                $( ProgType::$ty => run_types!(@ops $ops), )*
            }
        }
    };
    (@module not_yet) => {};
    (@module $module:ident) => {
        pub mod $module;
    };
    (@ops not_yet) => {
        &NOT_YET
    };
    (@ops $module:ident) => {
        &$module::OPS
    };
}

run_types! {
    SocketFilter => socket_filter,
    Kprobe => kprobe,
    SchedCls => sched_cls,
    SchedAct => sched_act,
    Tracepoint => tracepoint,
    Xdp => xdp,
    PerfEvent => perf_event,
    CgroupSkb => cgroup_skb,
    CgroupSock => cgroup_sock,
    LwtIn => lwt_in,
    LwtOut => lwt_out,
    LwtXmit => lwt_xmit,
    SockOps => sock_ops,
    SkSkb => sk_skb,
    CgroupDevice => cgroup_device,
    SkMsg => sk_msg,
    RawTracepoint => raw_tracepoint,
    CgroupSockAddr => cgroup_sock_addr,
    LwtSeg6local => lwt_seg6local,
    LircMode2 => not_yet,
    SkReuseport => sk_reuseport,
    FlowDissector => flow_dissector,
    CgroupSysctl => cgroup_sysctl,
    RawTracepointWritable => raw_tracepoint_writable,
    CgroupSockopt => cgroup_sockopt,
    Tracing => tracing,
    StructOps => not_yet,
    Ext => not_yet,
    Lsm => not_yet,
    SkLookup => sk_lookup,
    Syscall => syscall,
    Netfilter => netfilter,
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

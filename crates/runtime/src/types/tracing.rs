//! `BPF_PROG_TYPE_TRACING`: the run side of fentry/fexit programs attached
//! to a program bpfbox runs ([`crate::drivers::attached`]): no test-run
//! driver or event of its own (they run when their target runs), and the
//! two helpers that output the traced program's packet.

use super::RunOps;
use crate::helpers::{HelperImpl, HostVm};
use crate::host::PacketState;
use bpfbox_interp::Trap;
use bpfbox_uapi::errno::EINVAL;
use bpfbox_uapi::helper::id;

/// The run side of `BPF_PROG_TYPE_TRACING`.
pub static OPS: RunOps = RunOps {
    test_run: None,
    event: None,
    helpers: &[
        HelperImpl::new(id::XDP_OUTPUT, xdp_output),
        HelperImpl::new(id::SKB_OUTPUT, skb_output),
    ],
    after_ctx_rebuild: None,
};

/// Whether `ctx` is the kernel context the running tracer was given and
/// the run's packet is of the kind the helper takes (the kernel's
/// verifier checks the argument's BTF type: `struct xdp_buff *` for
/// `bpf_xdp_output`, `struct sk_buff *` for `bpf_skb_output`).
fn traced(vm: &HostVm<'_>, ctx: u64, xdp: bool) -> Result<(), Trap> {
    let kind_ok = match vm.host.packet {
        PacketState::Xdp(_) => xdp,
        PacketState::Skb(_) => !xdp,
        PacketState::None => false,
    };
    if ctx == 0 || ctx != vm.host.traced_ctx || !kind_ok {
        return Err(vm.helper_error(EINVAL));
    }
    Ok(())
}

/// `bpf_xdp_output(xdp, map, flags, data, size)` (net/core/filter.c): the
/// kernel's `bpf_xdp_event_output`, the function XDP programs'
/// `bpf_perf_event_output` is: a sample of `data` followed by the first
/// `flags >> 32` bytes of the packet (`-EFAULT` when the packet, fragments
/// included, is shorter; `-EINVAL` for flag bits outside the CPU index
/// and length masks).
fn xdp_output(vm: &mut HostVm<'_>, a: [u64; 5]) -> Result<u64, Trap> {
    traced(vm, a[0], true)?;
    crate::helpers::maps::perf_event_output(vm, a)
}

/// `bpf_skb_output(skb, map, flags, data, size)`: `bpf_skb_event_output`,
/// the function tc programs' `bpf_perf_event_output` is.
fn skb_output(vm: &mut HostVm<'_>, a: [u64; 5]) -> Result<u64, Trap> {
    traced(vm, a[0], false)?;
    crate::helpers::maps::perf_event_output(vm, a)
}

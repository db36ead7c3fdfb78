//! `bpf_fib_lookup` (helper 69) for XDP and skb programs, over
//! [`crate::fib::lookup`].

use super::HelperImpl;
use super::{read_guest, write_guest, HostVm};
use crate::fib::{lookup, Caller, PARAMS_SIZE};
use crate::host::PacketState;
use bpfbox_interp::Trap;
use bpfbox_uapi::helper::id;

/// `bpf_fib_lookup(ctx, params, plen, flags)`.
fn fib_lookup(vm: &mut HostVm<'_>, a: [u64; 5]) -> Result<u64, Trap> {
    let (addr, plen, flags) = (a[1], a[2] as u32 as usize, a[3] as u32);
    let caller = match &vm.host.packet {
        PacketState::Xdp(_) => Caller::Xdp,
        PacketState::Skb(s) => Caller::Skb {
            len: s.len(),
            gso: s.is_gso(),
        },
        PacketState::None => return Err(vm.helper_error(22)),
    };
    // the verifier guarantees `plen` readable bytes; fewer than the struct
    // is refused by the helper before it touches them
    let n = plen.min(PARAMS_SIZE);
    let mut params = read_guest(vm, addr, n)?;
    params.resize(PARAMS_SIZE, 0);
    let r = lookup(&vm.host, &mut params, plen, flags, caller);
    write_guest(vm, addr, &params[..n])?;
    Ok(r as u64)
}

/// The implementations of this module, keyed by declaration.
pub(super) const HELPERS: &[HelperImpl] = &[HelperImpl::new(id::FIB_LOOKUP, fib_lookup)];

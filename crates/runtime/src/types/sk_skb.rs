//! `BPF_PROG_TYPE_SK_SKB`: the run side (events: stream parser and verdict on a sockmap socket).

pub mod event;

use super::RunOps;
use crate::events::sockets::SockEnv;
use crate::helpers::sock;
use crate::helpers::{read_guest, write_guest, HelperImpl, HostVm};
use bpfbox_interp::Trap;
use bpfbox_uapi::helper::id;

/// The run side of `BPF_PROG_TYPE_SK_SKB`.
pub static OPS: RunOps = RunOps {
    test_run: None,
    event: Some(&event::DRIVER),
    helpers: &[
        HelperImpl::new(id::MAP_LOOKUP_ELEM, sock::sock_map_lookup),
        HelperImpl::new(id::SKB_PULL_DATA, sock::sk_skb_pull_data),
    ],
    after_ctx_rebuild: Some(restore_socket_fields),
};

/// After an skb helper rebuilt the `__sk_buff` image, restores what the
/// image builder does not know on this hook: the socket's
/// `remote_port` (network order << 16) and `local_port`, and `data_end`
/// at the end of the linear part when the event gave one.
fn restore_socket_fields(vm: &mut HostVm<'_>, ctx_addr: u64) -> Result<(), Trap> {
    let Some(e) = vm.host.event.get::<SockEnv>() else {
        return Ok(());
    };
    let Some(s) = e.sock else {
        return Ok(());
    };
    let linear = e.skb_linear;
    let rp = s.remote.port().to_be_bytes();
    write_guest(vm, ctx_addr + 132, &[0, 0, rp[0], rp[1]])?;
    write_guest(vm, ctx_addr + 136, &u32::from(s.local.port()).to_le_bytes())?;
    if let Some(l) = linear {
        let c = read_guest(vm, ctx_addr, 84)?;
        let rd = |o: usize| u32::from_le_bytes([c[o], c[o + 1], c[o + 2], c[o + 3]]);
        let (len, data) = (rd(0), rd(76));
        let end = data.wrapping_add((l as u32).min(len));
        write_guest(vm, ctx_addr + 80, &end.to_le_bytes())?;
    }
    Ok(())
}

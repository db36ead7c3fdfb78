//! `bpf_sk_storage_get` / `bpf_sk_storage_delete`
//! (net/core/bpf_sk_storage.c) over `sk_storage` maps, which key storage
//! by socket id (see `bpfbox_maps`' skstorage module).
//!
//! Sockets a program can name here: the socket of a test run's skb
//! (`__sk_buff.sk`; the kernel's test run gives the skb a socket of its
//! own, freed with its storage when the run ends: [`TEST_RUN_SOCK`]) and
//! sockets handed out by map lookups in socket events. Any other socket
//! pointer is one bpfbox does not track: get answers NULL and delete
//! `-EINVAL`, as the kernel does for a socket that is not a full socket.

use super::HelperImpl;
use super::{read_guest, HostVm};
use crate::events::sockets::SockEnv;
use bpfbox_interp::Trap;
use bpfbox_uapi::errno::EINVAL;
use bpfbox_uapi::helper::id;

/// Socket id of the dummy socket a test run's skb belongs to.
pub const TEST_RUN_SOCK: u32 = u32::MAX;
/// `BPF_SK_STORAGE_GET_F_CREATE`.
const F_CREATE: u64 = 1;

/// The socket id a socket pointer stands for, if bpfbox knows it.
fn sock_id(vm: &HostVm<'_>, ptr: u64) -> Option<u32> {
    if ptr == 0 {
        return None;
    }
    if vm.host.map.sk == Some(ptr) {
        return Some(TEST_RUN_SOCK);
    }
    let env = vm.host.event.get::<SockEnv>()?;
    env.sk_ptrs
        .iter()
        .find(|(p, _)| *p == ptr)
        .map(|(_, id)| *id)
}

/// `bpf_sk_storage_get(map, sk, value, flags)`.
fn sk_storage_get(vm: &mut HostVm<'_>, a: [u64; 5]) -> Result<u64, Trap> {
    let m = vm
        .host
        .map_index(a[0])
        .ok_or_else(|| vm.helper_error(EINVAL))?;
    let (value, flags) = (a[2], a[3]);
    let Some(sock) = sock_id(vm, a[1]).filter(|_| flags <= F_CREATE) else {
        return Ok(0);
    };
    let vs = vm.host.maps[m].def().value_size as usize;
    let init = if value != 0 {
        Some(read_guest(vm, value, vs)?)
    } else {
        None
    };
    match vm.host.maps[m].sk_storage_get(sock, init.as_deref(), flags == F_CREATE) {
        Some(p) => {
            super::maps::expose(vm, m, p, vs);
            Ok(p as usize as u64)
        }
        None => Ok(0),
    }
}

/// `bpf_sk_storage_delete(map, sk)`.
fn sk_storage_delete(vm: &mut HostVm<'_>, a: [u64; 5]) -> Result<u64, Trap> {
    let m = vm
        .host
        .map_index(a[0])
        .ok_or_else(|| vm.helper_error(EINVAL))?;
    Ok(match sock_id(vm, a[1]) {
        Some(sock) => vm.host.maps[m].sk_storage_delete(sock) as u64,
        None => super::neg(EINVAL),
    })
}

/// The implementations of this module, keyed by declaration.
pub(super) const HELPERS: &[HelperImpl] = &[
    HelperImpl::new(id::SK_STORAGE_GET, sk_storage_get),
    HelperImpl::new(id::SK_STORAGE_DELETE, sk_storage_delete),
];

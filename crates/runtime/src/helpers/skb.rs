//! skb helpers: adapters from [`crate::skb::Skb`]'s pure semantics to the
//! interpreter (guest memory arguments, ctx/packet refresh).

use super::HelperImpl;
use super::{absorb_ctx, neg, read_guest, refresh_packet, write_guest, HostVm};
use crate::host::Redirect;
use crate::skb::Skb;
use bpfbox_interp::Trap;
use bpfbox_uapi::helper::id;

/// Runs `f` on the skb with the ctx absorbed before and the packet view
/// refreshed after.
fn with_skb(vm: &mut HostVm<'_>, f: impl FnOnce(&mut Skb) -> i64) -> Result<u64, Trap> {
    absorb_ctx(vm);
    let r = match vm.host.skb_mut() {
        Some(s) => f(s),
        None => return Err(vm.helper_error(22)),
    };
    refresh_packet(vm)?;
    Ok(r as u64)
}

fn skb_store_bytes(vm: &mut HostVm<'_>, a: [u64; 5]) -> Result<u64, Trap> {
    let from = read_guest(vm, a[2], a[3] as usize)?;
    with_skb(vm, |s| s.store_bytes(a[1] as u32, &from, a[4]))
}

fn load_result(
    vm: &mut HostVm<'_>,
    to: u64,
    len: usize,
    r: Result<Vec<u8>, i64>,
) -> Result<u64, Trap> {
    match r {
        Ok(bytes) => {
            write_guest(vm, to, &bytes)?;
            Ok(0)
        }
        Err(e) => {
            write_guest(vm, to, &vec![0u8; len])?;
            Ok(e as u64)
        }
    }
}

fn skb_load_bytes(vm: &mut HostVm<'_>, a: [u64; 5]) -> Result<u64, Trap> {
    let Some(s) = vm.host.skb() else {
        return Err(vm.helper_error(22));
    };
    let r = s.load_bytes(a[1] as u32, a[3] as u32);
    load_result(vm, a[2], a[3] as usize, r)
}

fn skb_load_bytes_relative(vm: &mut HostVm<'_>, a: [u64; 5]) -> Result<u64, Trap> {
    let Some(s) = vm.host.skb() else {
        return Err(vm.helper_error(22));
    };
    let r = s.load_bytes_relative(a[1] as u32, a[3] as u32, a[4] as u32);
    load_result(vm, a[2], a[3] as usize, r)
}

fn l3_csum_replace(vm: &mut HostVm<'_>, a: [u64; 5]) -> Result<u64, Trap> {
    with_skb(vm, |s| s.l3_csum_replace(a[1] as u32, a[2], a[3], a[4]))
}

fn l4_csum_replace(vm: &mut HostVm<'_>, a: [u64; 5]) -> Result<u64, Trap> {
    with_skb(vm, |s| s.l4_csum_replace(a[1] as u32, a[2], a[3], a[4]))
}

fn csum_update(vm: &mut HostVm<'_>, a: [u64; 5]) -> Result<u64, Trap> {
    with_skb(vm, |s| s.csum_update(a[1] as u32))
}

fn skb_pull_data(vm: &mut HostVm<'_>, a: [u64; 5]) -> Result<u64, Trap> {
    with_skb(vm, |s| s.pull_data(a[1] as u32))
}

fn skb_change_head(vm: &mut HostVm<'_>, a: [u64; 5]) -> Result<u64, Trap> {
    with_skb(vm, |s| s.change_head(a[1] as u32, a[2]))
}

fn skb_change_tail(vm: &mut HostVm<'_>, a: [u64; 5]) -> Result<u64, Trap> {
    with_skb(vm, |s| s.change_tail(a[1] as u32, a[2]))
}

fn skb_change_proto(vm: &mut HostVm<'_>, a: [u64; 5]) -> Result<u64, Trap> {
    with_skb(vm, |s| s.change_proto(a[1] as u16, a[2]))
}

fn skb_adjust_room(vm: &mut HostVm<'_>, a: [u64; 5]) -> Result<u64, Trap> {
    with_skb(vm, |s| s.adjust_room(a[1] as i32, a[2] as u32, a[3]))
}

fn skb_vlan_push(vm: &mut HostVm<'_>, a: [u64; 5]) -> Result<u64, Trap> {
    with_skb(vm, |s| s.vlan_push(a[1] as u16, a[2] as u16))
}

fn skb_vlan_pop(vm: &mut HostVm<'_>, _: [u64; 5]) -> Result<u64, Trap> {
    with_skb(vm, Skb::vlan_pop)
}

fn get_hash_recalc(vm: &mut HostVm<'_>, _: [u64; 5]) -> Result<u64, Trap> {
    with_skb(vm, |s| i64::from(s.get_hash_recalc()))
}

fn set_hash(vm: &mut HostVm<'_>, a: [u64; 5]) -> Result<u64, Trap> {
    with_skb(vm, |s| s.set_hash(a[1] as u32))
}

fn set_hash_invalid(vm: &mut HostVm<'_>, _: [u64; 5]) -> Result<u64, Trap> {
    with_skb(vm, |s| {
        s.clear_hash();
        0
    })
}

fn skb_change_type(vm: &mut HostVm<'_>, a: [u64; 5]) -> Result<u64, Trap> {
    // skb_pkt_type_ok: PACKET_HOST..PACKET_OTHERHOST (0..=3)
    with_skb(vm, |s| {
        let t = a[1] as u32;
        if s.pkt_type > 3 || t > 3 {
            -22
        } else {
            s.pkt_type = t;
            0
        }
    })
}

fn get_socket_cookie(vm: &mut HostVm<'_>, _: [u64; 5]) -> Result<u64, Trap> {
    // Non-skb hooks (cgroup sock, sock_addr, sock_ops) run on a socket:
    // its cookie is the host's.
    Ok(match vm.host.skb() {
        Some(s) => s.sk.as_ref().map_or(0, |k| k.cookie),
        None => vm.host.socket_cookie,
    })
}

/// `bpf_clone_redirect(skb, ifindex, flags)`: validates like the kernel
/// and records the clone's target; the clone itself is not delivered.
fn clone_redirect(vm: &mut HostVm<'_>, a: [u64; 5]) -> Result<u64, Trap> {
    let (ifindex, flags) = (a[1] as u32, a[2]);
    if flags & !1 != 0 {
        return Ok(neg(bpfbox_uapi::errno::EINVAL));
    }
    if vm.host.skb().is_some_and(|s| s.is_gso()) {
        return Ok(neg(bpfbox_uapi::errno::EBADMSG)); // type-less GSO from test_run ctx
    }
    if vm.host.device(ifindex).is_none() {
        return Ok(neg(bpfbox_uapi::errno::EINVAL));
    }
    vm.host.redirect = Some(Redirect {
        ifindex,
        flags,
        map: None,
        clone: true,
    });
    Ok(0)
}

/// The implementations of this module, keyed by declaration.
/// `bpf_skb_set_tunnel_key(skb, key, size, flags)`: attaches transmit
/// tunnel metadata ([`crate::tunnel::set_key`]).
fn skb_set_tunnel_key(vm: &mut HostVm<'_>, a: [u64; 5]) -> Result<u64, Trap> {
    let key = read_guest(vm, a[1], a[2] as u32 as usize)?;
    let Some(s) = vm.host.skb_mut() else {
        return Err(vm.helper_error(22));
    };
    Ok(match crate::tunnel::set_key(&key, a[3]) {
        Ok(info) => {
            s.tunnel = Some(info);
            0
        }
        Err(e) => e as u64,
    })
}

/// `bpf_skb_get_tunnel_key(skb, key, size, flags)`: the skb's tunnel
/// metadata ([`crate::tunnel::get_key`]); none in a test run unless the
/// program set it.
fn skb_get_tunnel_key(vm: &mut HostVm<'_>, a: [u64; 5]) -> Result<u64, Trap> {
    let size = a[2] as u32 as usize;
    read_guest(vm, a[1], size)?;
    let Some(s) = vm.host.skb_mut() else {
        return Err(vm.helper_error(22));
    };
    let (bytes, r) = crate::tunnel::get_key(s.tunnel.as_ref(), size, a[3]);
    write_guest(vm, a[1], &bytes)?;
    Ok(r as u64)
}

pub(super) const HELPERS: &[HelperImpl] = &[
    HelperImpl::new(id::SKB_GET_TUNNEL_KEY, skb_get_tunnel_key),
    HelperImpl::new(id::SKB_SET_TUNNEL_KEY, skb_set_tunnel_key),
    HelperImpl::new(id::SKB_STORE_BYTES, skb_store_bytes),
    HelperImpl::new(id::L3_CSUM_REPLACE, l3_csum_replace),
    HelperImpl::new(id::L4_CSUM_REPLACE, l4_csum_replace),
    HelperImpl::new(id::CLONE_REDIRECT, clone_redirect),
    HelperImpl::new(id::SKB_VLAN_PUSH, skb_vlan_push),
    HelperImpl::new(id::SKB_VLAN_POP, skb_vlan_pop),
    HelperImpl::new(id::SKB_LOAD_BYTES, skb_load_bytes),
    HelperImpl::new(id::SKB_CHANGE_PROTO, skb_change_proto),
    HelperImpl::new(id::SKB_CHANGE_TYPE, skb_change_type),
    HelperImpl::new(id::GET_HASH_RECALC, get_hash_recalc),
    HelperImpl::new(id::SKB_CHANGE_TAIL, skb_change_tail),
    HelperImpl::new(id::SKB_PULL_DATA, skb_pull_data),
    HelperImpl::new(id::CSUM_UPDATE, csum_update),
    HelperImpl::new(id::SET_HASH_INVALID, set_hash_invalid),
    HelperImpl::new(id::SKB_CHANGE_HEAD, skb_change_head),
    HelperImpl::new(id::GET_SOCKET_COOKIE, get_socket_cookie),
    HelperImpl::new(id::SET_HASH, set_hash),
    HelperImpl::new(id::SKB_ADJUST_ROOM, skb_adjust_room),
    HelperImpl::new(id::SKB_LOAD_BYTES_RELATIVE, skb_load_bytes_relative),
];

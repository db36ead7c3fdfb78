//! skb helpers: adapters from [`crate::skb::Skb`]'s pure semantics to the
//! interpreter (guest memory arguments, ctx/packet refresh).

use super::{absorb_ctx, neg, read_guest, refresh_packet, write_guest, HostVm};
use crate::host::{HostState, Redirect};
use crate::skb::Skb;
use bpfbox_interp::{HelperFn, Trap};

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
        return Ok(neg(22));
    }
    if vm.host.skb().is_some_and(|s| s.is_gso()) {
        return Ok(neg(74)); // EBADMSG: type-less GSO from test_run ctx
    }
    if vm.host.device(ifindex).is_none() {
        return Ok(neg(22));
    }
    vm.host.redirect = Some(Redirect {
        ifindex,
        flags,
        map: None,
        clone: true,
    });
    Ok(0)
}

/// (id, name, implementation).
pub(super) const HELPERS: &[(u32, &str, HelperFn<HostState>)] = &[
    (9, "skb_store_bytes", skb_store_bytes),
    (10, "l3_csum_replace", l3_csum_replace),
    (11, "l4_csum_replace", l4_csum_replace),
    (13, "clone_redirect", clone_redirect),
    (18, "skb_vlan_push", skb_vlan_push),
    (19, "skb_vlan_pop", skb_vlan_pop),
    (26, "skb_load_bytes", skb_load_bytes),
    (31, "skb_change_proto", skb_change_proto),
    (32, "skb_change_type", skb_change_type),
    (34, "get_hash_recalc", get_hash_recalc),
    (38, "skb_change_tail", skb_change_tail),
    (39, "skb_pull_data", skb_pull_data),
    (40, "csum_update", csum_update),
    (41, "set_hash_invalid", set_hash_invalid),
    (43, "skb_change_head", skb_change_head),
    (46, "get_socket_cookie", get_socket_cookie),
    (48, "set_hash", set_hash),
    (50, "skb_adjust_room", skb_adjust_room),
    (68, "skb_load_bytes_relative", skb_load_bytes_relative),
];

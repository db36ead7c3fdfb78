//! `bpf_csum_diff`, `bpf_loop`, `bpf_redirect`, `bpf_redirect_map`.

use super::HelperImpl;
use super::{neg, read_guest, HostVm};
use crate::host::Redirect;
use bpfbox_interp::{func_slot, Trap};
use bpfbox_uapi::helper::id;

/// `bpf_csum_diff(from, from_size, to, to_size, seed)`.
fn csum_diff(vm: &mut HostVm<'_>, a: [u64; 5]) -> Result<u64, Trap> {
    let (fs, ts) = (a[1] as usize, a[3] as usize);
    let from = if fs > 0 {
        read_guest(vm, a[0], fs)?
    } else {
        Vec::new()
    };
    let to = if ts > 0 {
        read_guest(vm, a[2], ts)?
    } else {
        Vec::new()
    };
    Ok(u64::from(crate::csum::diff(&from, &to, a[4] as u32)))
}

/// `BPF_MAX_LOOPS`.
const BPF_MAX_LOOPS: u64 = 8 * 1024 * 1024;

/// `bpf_loop(nr_loops, callback, ctx, flags)`: stops when the callback
/// returns 1; returns the number of iterations run.
///
/// With `flags == 0` the kernel's verifier replaces the call by an inline
/// loop (`inline_bpf_loop`, whenever the call site always sees the same
/// callback and a constant zero flags): the count is compared as 64 bits
/// and `-E2BIG` is a 32-bit move, so r0 is `0x0000_0000_ffff_fff9`. bpfbox
/// takes every zero-flags call as inlined; other flags reach the helper,
/// which answers `-EINVAL` (64-bit) and takes a 32-bit count.
fn bpf_loop(vm: &mut HostVm<'_>, a: [u64; 5]) -> Result<u64, Trap> {
    let (cb, ctx, flags) = (a[1], a[2], a[3]);
    if flags != 0 {
        return Ok(neg(bpfbox_uapi::errno::EINVAL));
    }
    let nr = a[0];
    if nr > BPF_MAX_LOOPS {
        return Ok(u64::from((-7i32) as u32)); // mov32 r0, -E2BIG
    }
    let Some(slot) = func_slot(cb) else {
        return Err(vm.helper_error(22));
    };
    let mut i: u64 = 0;
    while i < nr {
        let r = vm.call_function(slot, [i, ctx, 0, 0, 0])?;
        i += 1;
        if r != 0 {
            break;
        }
    }
    Ok(i)
}

/// `BPF_F_INGRESS`.
const F_INGRESS: u64 = 1;

/// `bpf_redirect(ifindex, flags)` as XDP programs get it
/// (`bpf_xdp_redirect`, XDP's run table): any flag is invalid
/// (`XDP_ABORTED`); else records the target and returns `XDP_REDIRECT`.
pub(crate) fn xdp_redirect(vm: &mut HostVm<'_>, a: [u64; 5]) -> Result<u64, Trap> {
    let (ifindex, flags) = (a[0] as u32, a[1]);
    if flags != 0 {
        return Ok(0);
    }
    vm.host.redirect = Some(Redirect {
        ifindex,
        flags,
        map: None,
        clone: false,
    });
    Ok(4)
}

/// `bpf_redirect(ifindex, flags)` on an skb: records the target; returns
/// `TC_ACT_REDIRECT` (`TC_ACT_SHOT` for flags other than
/// `BPF_F_INGRESS`).
fn redirect(vm: &mut HostVm<'_>, a: [u64; 5]) -> Result<u64, Trap> {
    let (ifindex, flags) = (a[0] as u32, a[1]);
    if flags & !F_INGRESS != 0 {
        return Ok(2); // TC_ACT_SHOT
    }
    vm.host.redirect = Some(Redirect {
        ifindex,
        flags,
        map: None,
        clone: false,
    });
    Ok(7)
}

/// `BPF_F_BROADCAST`.
const F_BROADCAST: u64 = 1 << 3;
/// `BPF_F_EXCLUDE_INGRESS`.
const F_EXCLUDE_INGRESS: u64 = 1 << 4;
/// `XDP_ABORTED | XDP_DROP | XDP_PASS | XDP_TX`: the low bits of the flags
/// are the action returned when the key has no target.
const ACTION_MASK: u64 = 3;

/// `bpf_redirect_map(map, key, flags)` (XDP): devmap and devmap_hash take
/// `BPF_F_BROADCAST | BPF_F_EXCLUDE_INGRESS`, cpumap and xskmap no flags
/// besides the fallback action; other flag bits give `XDP_ABORTED`. A key
/// without a target returns the fallback action (unless broadcasting);
/// otherwise the target is recorded and the result is `XDP_REDIRECT`.
fn redirect_map(vm: &mut HostVm<'_>, a: [u64; 5]) -> Result<u64, Trap> {
    use bpfbox_maps::MapType;
    let m = vm.host.map_index(a[0]).ok_or_else(|| vm.helper_error(22))?;
    let (key, flags) = (a[1] as u32, a[2]);
    let ty = vm.host.maps[m].map_type();
    let flag_mask = match ty {
        MapType::Devmap | MapType::DevmapHash => F_BROADCAST | F_EXCLUDE_INGRESS,
        MapType::Cpumap | MapType::Xskmap => 0,
        _ => return Err(vm.helper_error(22)), // the verifier allows no other map
    };
    if flags & !(ACTION_MASK | flag_mask) != 0 {
        return Ok(0);
    }
    if !vm.host.maps[m].redirect_target(key) && flags & F_BROADCAST == 0 {
        vm.host.redirect = None;
        return Ok(flags & ACTION_MASK);
    }
    vm.host.redirect = Some(Redirect {
        ifindex: key,
        flags,
        map: Some(m),
        clone: false,
    });
    Ok(4)
}

/// The implementations of this module, keyed by declaration.
pub(super) const HELPERS: &[HelperImpl] = &[
    HelperImpl::new(id::REDIRECT, redirect),
    HelperImpl::new(id::CSUM_DIFF, csum_diff),
    HelperImpl::new(id::REDIRECT_MAP, redirect_map),
    HelperImpl::new(id::LOOP, bpf_loop),
];

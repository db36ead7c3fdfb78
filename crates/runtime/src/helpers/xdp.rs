//! XDP helpers: `bpf_xdp_adjust_head/tail/meta`, `bpf_xdp_load_bytes`,
//! `bpf_xdp_store_bytes`, `bpf_xdp_get_buff_len` with the limits of
//! net/core/filter.c (6.18): the head may not move into the reserved
//! `struct xdp_frame` (40 bytes) or leave fewer than `ETH_HLEN` bytes,
//! the tail may not pass `data_hard_end` (frame end minus
//! `skb_shared_info`), metadata is 4-aligned and at most 255 bytes.

use super::HelperImpl;
use super::{neg, read_guest, refresh_packet, write_guest, HostVm};
use crate::packet::{Packet, ETH_HLEN};
use bpfbox_interp::Trap;
use bpfbox_uapi::helper::id;

use bpfbox_uapi::errno::EINVAL;

fn with_xdp(vm: &mut HostVm<'_>, f: impl FnOnce(&mut Packet) -> i64) -> Result<u64, Trap> {
    let r = match vm.host.xdp_mut() {
        Some(p) => f(p),
        None => return Err(vm.helper_error(EINVAL)),
    };
    refresh_packet(vm)?;
    Ok(r as u64)
}

/// `bpf_xdp_adjust_head`.
pub fn adjust_head(p: &mut Packet, offset: i32) -> i64 {
    let metalen = p.meta_len() as isize;
    let data_start = (p.head_limit as isize) + metalen;
    let data = p.data as isize + offset as isize;
    if data < data_start || data > p.end as isize - ETH_HLEN as isize {
        return -i64::from(EINVAL);
    }
    p.move_data(offset as isize);
    0
}

/// `bpf_xdp_adjust_tail`.
pub fn adjust_tail(p: &mut Packet, offset: i32) -> i64 {
    if !p.frags.is_empty() {
        if offset < 0 {
            let mut off = -(offset as i64) as usize;
            if off as i64 > (p.len() + p.frags_len()) as i64 - ETH_HLEN as i64 {
                return -i64::from(EINVAL);
            }
            while off > 0 {
                let Some(last) = p.frags.last_mut() else {
                    break;
                };
                let shrink = off.min(last.len());
                let keep = last.len() - shrink;
                last.truncate(keep);
                off -= shrink;
                if last.is_empty() {
                    p.frags.pop();
                }
            }
            if p.frags.is_empty() {
                p.end -= off;
            }
            return 0;
        }
        let Some(last) = p.frags.last_mut() else {
            return -i64::from(EINVAL);
        };
        let tailroom = crate::testrun::PAGE_SIZE - last.len();
        if offset as usize > tailroom {
            return -i64::from(EINVAL);
        }
        last.resize(last.len() + offset as usize, 0);
        return 0;
    }
    let end = p.end as isize + offset as isize;
    if end > p.tail_limit as isize || end < (p.data + ETH_HLEN) as isize {
        return -i64::from(EINVAL);
    }
    let end = end as usize;
    if end > p.end {
        p.buf[p.end..end].fill(0);
    }
    p.end = end;
    0
}

/// `bpf_xdp_adjust_meta`.
pub fn adjust_meta(p: &mut Packet, offset: i32) -> i64 {
    let meta = p.meta as isize + offset as isize;
    if meta < p.head_limit as isize || meta > p.data as isize {
        return -i64::from(EINVAL);
    }
    let metalen = p.data - meta as usize;
    if crate::types::xdp::test_run::metalen_invalid(metalen) {
        return -(bpfbox_uapi::errno::EACCES as i64);
    }
    p.meta = meta as usize;
    0
}

fn xdp_adjust_head(vm: &mut HostVm<'_>, a: [u64; 5]) -> Result<u64, Trap> {
    with_xdp(vm, |p| adjust_head(p, a[1] as i32))
}

fn xdp_adjust_tail(vm: &mut HostVm<'_>, a: [u64; 5]) -> Result<u64, Trap> {
    with_xdp(vm, |p| adjust_tail(p, a[1] as i32))
}

fn xdp_adjust_meta(vm: &mut HostVm<'_>, a: [u64; 5]) -> Result<u64, Trap> {
    with_xdp(vm, |p| adjust_meta(p, a[1] as i32))
}

/// `bpf_xdp_pointer`'s checks: `-EFAULT` for offsets/lengths above
/// 0xffff, `-EINVAL` past the buffer.
fn check_range(p: &Packet, off: u64, len: u64) -> Option<i32> {
    if off > 0xffff || len > 0xffff {
        return Some(14);
    }
    if off + len > (p.len() + p.frags_len()) as u64 {
        return Some(EINVAL);
    }
    None
}

fn xdp_load_bytes(vm: &mut HostVm<'_>, a: [u64; 5]) -> Result<u64, Trap> {
    let Some(p) = vm.host.xdp_mut() else {
        return Err(vm.helper_error(EINVAL));
    };
    if let Some(e) = check_range(p, a[1] as u32 as u64, a[3] as u32 as u64) {
        return Ok(neg(e));
    }
    let bytes = p
        .read(a[1] as u32 as usize, a[3] as u32 as usize)
        .unwrap_or_default();
    write_guest(vm, a[2], &bytes)?;
    Ok(0)
}

fn xdp_store_bytes(vm: &mut HostVm<'_>, a: [u64; 5]) -> Result<u64, Trap> {
    let src = read_guest(vm, a[2], a[3] as u32 as usize)?;
    let Some(p) = vm.host.xdp_mut() else {
        return Err(vm.helper_error(EINVAL));
    };
    if let Some(e) = check_range(p, a[1] as u32 as u64, a[3] as u32 as u64) {
        return Ok(neg(e));
    }
    p.write(a[1] as u32 as usize, &src);
    Ok(0)
}

fn xdp_get_buff_len(vm: &mut HostVm<'_>, _: [u64; 5]) -> Result<u64, Trap> {
    let Some(p) = vm.host.xdp_mut() else {
        return Err(vm.helper_error(EINVAL));
    };
    Ok((p.len() + p.frags_len()) as u64)
}

/// The implementations of this module, keyed by declaration.
pub(super) const HELPERS: &[HelperImpl] = &[
    HelperImpl::new(id::XDP_ADJUST_HEAD, xdp_adjust_head),
    HelperImpl::new(id::XDP_ADJUST_META, xdp_adjust_meta),
    HelperImpl::new(id::XDP_ADJUST_TAIL, xdp_adjust_tail),
    HelperImpl::new(id::XDP_GET_BUFF_LEN, xdp_get_buff_len),
    HelperImpl::new(id::XDP_LOAD_BYTES, xdp_load_bytes),
    HelperImpl::new(id::XDP_STORE_BYTES, xdp_store_bytes),
];

//! Stack helpers (kernel/bpf/stackmap.c): `bpf_get_stackid`,
//! `bpf_get_stack` and `bpf_get_task_stack` over the call chains of the
//! event ([`TracingState`]'s `kernel_stack` and `user_stack`, innermost
//! frame first; the event JSON's `stack` key).
//!
//! The chain a helper sees is the event's chain cut at the depth the
//! kernel would collect (`get_perf_callchain`'s `max_depth`: the frames
//! the buffer or map value holds plus the skipped ones, at most 127). An
//! event without a chain answers `-EFAULT`, the kernel's answer when it
//! cannot take one. Build-id frames (`BPF_F_USER_BUILD_ID`, build-id stack
//! maps) take the kernel's fallback form (`BPF_STACK_BUILD_ID_IP` and the
//! address): bpfbox models no address space to find build ids in.
//! `bpf_get_task_stack` knows the chains of the current task only (the
//! task `bpf_get_current_task` returns); other tasks answer `-EFAULT`.
//!
//! [`TracingState`]: crate::events::traceenv::TracingState

use super::probe::state;
use super::HelperImpl;
use super::{neg, read_guest, write_guest, HostVm};
use bpfbox_interp::Trap;
use bpfbox_uapi::errno::{EFAULT, EINVAL};
use bpfbox_uapi::helper::id;

/// `BPF_F_SKIP_FIELD_MASK`.
const SKIP_FIELD_MASK: u64 = 0xff;
/// `BPF_F_USER_STACK`.
const USER_STACK: u64 = 1 << 8;
/// `BPF_F_USER_BUILD_ID`.
const USER_BUILD_ID: u64 = 1 << 11;
/// `sysctl_perf_event_max_stack`'s default.
const MAX_STACK: usize = bpfbox_maps::PERF_EVENT_MAX_STACK as usize;
/// `sizeof(struct bpf_stack_build_id)`.
const BUILD_ID_ENTRY: usize = 32;
/// `BPF_STACK_BUILD_ID_IP`.
const BUILD_ID_STATUS_IP: i32 = 2;

/// The event's chain the flags ask for (user or kernel frames).
fn chain(vm: &HostVm<'_>, flags: u64) -> Vec<u64> {
    let st = state(vm);
    if flags & USER_STACK != 0 {
        st.user_stack.clone()
    } else {
        st.kernel_stack.clone()
    }
}

/// `bpf_get_stackid(ctx, map, flags)`.
fn get_stackid(vm: &mut HostVm<'_>, a: [u64; 5]) -> Result<u64, Trap> {
    let m = vm
        .host
        .map_index(a[1])
        .ok_or_else(|| vm.helper_error(EINVAL))?;
    let frames = chain(vm, a[2]);
    Ok(vm.host.maps[m].get_stackid(&frames, a[2]) as u64)
}

/// The bytes `__bpf_get_stack` writes for `frames` into a `size`-byte
/// buffer, and its return value (bytes copied, or `-errno` with the
/// buffer all zero).
pub(crate) fn stack_bytes(frames: &[u64], size: usize, flags: u64) -> (Vec<u8>, i64) {
    let mut buf = vec![0u8; size];
    let skip = (flags & SKIP_FIELD_MASK) as usize;
    let user = flags & USER_STACK != 0;
    let build_id = flags & USER_BUILD_ID != 0;
    if flags & !(SKIP_FIELD_MASK | USER_STACK | USER_BUILD_ID) != 0 || (!user && build_id) {
        return (buf, -i64::from(EINVAL));
    }
    let elem = if build_id { BUILD_ID_ENTRY } else { 8 };
    if !size.is_multiple_of(elem) {
        return (buf, -i64::from(EINVAL));
    }
    let num = size / elem;
    let max_depth = (num + skip).min(MAX_STACK);
    let trace = &frames[..frames.len().min(max_depth)];
    if frames.is_empty() || trace.len() < skip {
        return (buf, -i64::from(EFAULT));
    }
    let ips = &trace[skip..];
    let ips = &ips[..ips.len().min(num)];
    for (i, ip) in ips.iter().enumerate() {
        let e = &mut buf[i * elem..(i + 1) * elem];
        if build_id {
            e[..4].copy_from_slice(&BUILD_ID_STATUS_IP.to_ne_bytes());
            e[24..].copy_from_slice(&ip.to_ne_bytes());
        } else {
            e.copy_from_slice(&ip.to_ne_bytes());
        }
    }
    (buf, (ips.len() * elem) as i64)
}

fn stack_common(
    vm: &mut HostVm<'_>,
    frames: &[u64],
    buf: u64,
    size: usize,
    flags: u64,
) -> Result<u64, Trap> {
    // the buffer must be writable guest memory (ARG_PTR_TO_UNINIT_MEM)
    if size > 0 {
        read_guest(vm, buf, size)?;
    }
    let (bytes, r) = stack_bytes(frames, size, flags);
    if size > 0 {
        write_guest(vm, buf, &bytes)?;
    }
    Ok(r as u64)
}

/// `bpf_get_stack(ctx, buf, size, flags)`.
fn get_stack(vm: &mut HostVm<'_>, a: [u64; 5]) -> Result<u64, Trap> {
    let frames = chain(vm, a[3]);
    stack_common(vm, &frames, a[1], a[2] as u32 as usize, a[3])
}

/// `bpf_get_task_stack(task, buf, size, flags)`: the current task's
/// chains; any other task has none here (`-EFAULT`, buffer untouched, as
/// when the kernel cannot pin the task's stack).
fn get_task_stack(vm: &mut HostVm<'_>, a: [u64; 5]) -> Result<u64, Trap> {
    if a[0] != state(vm).task_ptr {
        return Ok(neg(EFAULT));
    }
    let frames = chain(vm, a[3]);
    stack_common(vm, &frames, a[1], a[2] as u32 as usize, a[3])
}

/// The implementations of this module, keyed by declaration.
pub(super) const HELPERS: &[HelperImpl] = &[
    HelperImpl::new(id::GET_STACKID, get_stackid),
    HelperImpl::new(id::GET_STACK, get_stack),
    HelperImpl::new(id::GET_TASK_STACK, get_task_stack),
];

#[cfg(test)]
mod tests {
    use super::*;

    fn words(b: &[u8]) -> Vec<u64> {
        b.chunks(8)
            .map(|c| u64::from_ne_bytes(c.try_into().unwrap()))
            .collect()
    }

    #[test]
    fn get_stack_copies_cuts_and_zeroes() {
        let f = [10u64, 11, 12, 13, 14];
        let (b, r) = stack_bytes(&f, 24, 0);
        assert_eq!((words(&b), r), (vec![10, 11, 12], 24));
        let (b, r) = stack_bytes(&f, 48, 2);
        assert_eq!((words(&b), r), (vec![12, 13, 14, 0, 0, 0], 24));
        let (b, r) = stack_bytes(&f, 16, 5);
        assert_eq!(
            (words(&b), r),
            (vec![0, 0], 0),
            "all skipped: nothing copied"
        );
        assert_eq!(stack_bytes(&f, 16, 6).1, -i64::from(EFAULT));
        assert_eq!(stack_bytes(&f, 12, 0).1, -i64::from(EINVAL));
        assert_eq!(stack_bytes(&f, 16, USER_BUILD_ID).1, -i64::from(EINVAL));
        assert_eq!(stack_bytes(&f, 16, 1 << 12).1, -i64::from(EINVAL));
        assert_eq!(stack_bytes(&[], 16, 0).1, -i64::from(EFAULT));
        let (b, r) = stack_bytes(&f, 64, USER_STACK | USER_BUILD_ID | 4);
        assert_eq!(r, 32);
        assert_eq!(b[..4], 2i32.to_ne_bytes());
        assert_eq!(b[24..32], 14u64.to_ne_bytes());
        assert!(b[32..].iter().all(|&x| x == 0));
    }
}

//! Tracing helpers (kernel/trace/bpf_trace.c, mm/maccess.c,
//! lib/strncpy_from_user.c): `probe_read*` over the event's memory image
//! ([`TracingState`] in the host's event slot), `get_current_task` (and
//! `get_current_task_btf`, the same pointer typed for the verifier),
//! `get_func_ip`, `get_attach_cookie` and `perf_prog_read_value` (the
//! stack helpers are in the stack module).
//!
//! Memory (documented model): kernel reads (`probe_read_kernel*`, and the
//! legacy `probe_read*` at addresses from `TASK_SIZE`) come from the image
//! regions at kernel addresses, or from bpfbox's own guest memory (stack,
//! map values, ctx: the memory the kernel's BPF program itself lives in,
//! which in bpfbox sits at host addresses); any other user-half or
//! non-canonical address is `-ERANGE` (`copy_from_kernel_nofault_allowed`).
//! User reads come only from the image. A failed read zeroes the whole
//! destination, as the helpers do.

use super::HelperImpl;
use super::{neg, read_guest, write_guest, HostVm};
use crate::events::traceenv::{kernel_addr_ok, ReadError, TracingState, TASK_SIZE_MAX};
use bpfbox_interp::Trap;
use bpfbox_uapi::helper::id;

use bpfbox_uapi::errno::EFAULT;
use bpfbox_uapi::errno::EINVAL;
use bpfbox_uapi::errno::ERANGE;

/// Where a probe read looks.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Space {
    Kernel,
    User,
}

/// The legacy helpers pick the space by address (x86-64 has
/// non-overlapping address spaces: `bpf_probe_read_compat` reads user
/// memory below `TASK_SIZE`).
fn compat_space(addr: u64) -> Space {
    if addr < TASK_SIZE_MAX {
        Space::User
    } else {
        Space::Kernel
    }
}

/// The event's tracing state (an empty image outside tracing events).
pub(super) fn state<'v>(vm: &'v HostVm<'_>) -> &'v TracingState {
    static EMPTY: std::sync::OnceLock<TracingState> = std::sync::OnceLock::new();
    vm.host
        .event
        .get::<TracingState>()
        .unwrap_or_else(|| EMPTY.get_or_init(TracingState::default))
}

fn err_of(e: ReadError) -> i32 {
    match e {
        ReadError::Fault => EFAULT,
        ReadError::Range => ERANGE,
    }
}

/// `len` bytes at `src` in `space`.
fn fetch(vm: &HostVm<'_>, space: Space, src: u64, len: usize) -> Result<Vec<u8>, ReadError> {
    match space {
        Space::Kernel => {
            if !kernel_addr_ok(src) {
                // bpfbox's own kernel-side memory lives at host addresses
                if len > 0 {
                    if let Ok(b) = vm.mem.read(src, len) {
                        return Ok(b.to_vec());
                    }
                }
                return Err(ReadError::Range);
            }
            state(vm).read(src, len)
        }
        Space::User => {
            // __access_ok: the whole range below TASK_SIZE_MAX
            if src
                .checked_add(len as u64)
                .is_none_or(|e| e > TASK_SIZE_MAX)
            {
                return Err(ReadError::Fault);
            }
            state(vm).read(src, len)
        }
    }
}

/// One byte at `src` in `space` (for the string helpers).
fn fetch_byte(vm: &HostVm<'_>, space: Space, src: u64) -> Option<u8> {
    match space {
        Space::Kernel if !kernel_addr_ok(src) => vm.mem.read_u8(src).ok(),
        _ => state(vm).byte(src),
    }
}

fn zero(vm: &mut HostVm<'_>, dst: u64, size: usize) -> Result<(), Trap> {
    write_guest(vm, dst, &vec![0u8; size])
}

/// `bpf_probe_read_{kernel,user}` common part.
fn read_common(vm: &mut HostVm<'_>, a: [u64; 5], space: Space) -> Result<u64, Trap> {
    let (dst, size, src) = (a[0], a[1] as u32 as usize, a[2]);
    // the destination must be writable guest memory (the verifier's
    // ARG_PTR_TO_UNINIT_MEM check)
    if size > 0 {
        read_guest(vm, dst, size)?;
    }
    if size == 0 {
        // copy_from_kernel_nofault still checks the address
        if space == Space::Kernel && !kernel_addr_ok(src) {
            return Ok(neg(ERANGE));
        }
        return Ok(0);
    }
    match fetch(vm, space, src, size) {
        Ok(b) => {
            write_guest(vm, dst, &b)?;
            Ok(0)
        }
        Err(e) => {
            zero(vm, dst, size)?;
            Ok(neg(err_of(e)))
        }
    }
}

/// `strncpy_from_kernel_nofault` (mm/maccess.c): byte by byte up to the
/// NUL or `count`; the last byte copied becomes NUL; returns the bytes
/// copied including it.
fn kernel_str(vm: &mut HostVm<'_>, dst: u64, count: usize, src: u64) -> Result<i64, Trap> {
    if !kernel_addr_ok(src) && vm.mem.read_u8(src).is_err() {
        return Ok(-i64::from(ERANGE));
    }
    let mut out = Vec::new();
    loop {
        let Some(c) = src
            .checked_add(out.len() as u64)
            .and_then(|a| fetch_byte(vm, Space::Kernel, a))
        else {
            return Ok(-i64::from(EFAULT));
        };
        out.push(c);
        if c == 0 || out.len() >= count {
            break;
        }
    }
    let n = out.len();
    out[n - 1] = 0;
    write_guest(vm, dst, &out)?;
    Ok(n as i64)
}

/// `strncpy_from_user_nofault` over `do_strncpy_from_user`: whole words
/// while at least 8 bytes may be copied (bytes after the NUL in the
/// word that holds it are written as zero), then bytes; `count` reached
/// without a NUL: the last byte becomes NUL and `count` is returned;
/// otherwise the length including the NUL.
fn user_str(vm: &mut HostVm<'_>, dst: u64, count: usize, src: u64) -> Result<i64, Trap> {
    if src >= TASK_SIZE_MAX {
        return Ok(-i64::from(EFAULT));
    }
    let max = (TASK_SIZE_MAX - src).min(count as u64) as usize;
    let mut res = 0usize;
    let mut left = max;
    let mut written: Vec<u8> = Vec::new();
    let mut done: Option<usize> = None;
    while left >= 8 {
        let Ok(w) = state(vm).read(src + res as u64, 8) else {
            break; // fall back to byte at a time
        };
        if let Some(z) = w.iter().position(|&b| b == 0) {
            let mut word = [0u8; 8];
            word[..z].copy_from_slice(&w[..z]);
            written.extend_from_slice(&word);
            done = Some(res + z);
            break;
        }
        written.extend_from_slice(&w);
        res += 8;
        left -= 8;
    }
    let ret: i64 = match done {
        Some(len) => len as i64,
        None => {
            let mut r = None;
            while left > 0 {
                let Some(c) = state(vm).byte(src + res as u64) else {
                    r = Some(-i64::from(EFAULT));
                    break;
                };
                written.push(c);
                if c == 0 {
                    r = Some(res as i64);
                    break;
                }
                res += 1;
                left -= 1;
            }
            match r {
                Some(v) => v,
                None if res >= count => res as i64,
                None => -i64::from(EFAULT),
            }
        }
    };
    if ret < 0 {
        return Ok(ret);
    }
    write_guest(vm, dst, &written)?;
    if ret as usize >= count {
        write_guest(vm, dst + count as u64 - 1, &[0])?;
        return Ok(count as i64);
    }
    Ok(ret + 1)
}

/// `bpf_probe_read_{kernel,user}_str` common part.
fn read_str_common(vm: &mut HostVm<'_>, a: [u64; 5], space: Space) -> Result<u64, Trap> {
    let (dst, size, src) = (a[0], a[1] as u32 as usize, a[2]);
    if size == 0 {
        return Ok(0);
    }
    read_guest(vm, dst, size)?;
    let r = match space {
        Space::Kernel => kernel_str(vm, dst, size, src)?,
        Space::User => user_str(vm, dst, size, src)?,
    };
    if r < 0 {
        zero(vm, dst, size)?;
    }
    Ok(r as u64)
}

fn probe_read(vm: &mut HostVm<'_>, a: [u64; 5]) -> Result<u64, Trap> {
    read_common(vm, a, compat_space(a[2]))
}

fn probe_read_str(vm: &mut HostVm<'_>, a: [u64; 5]) -> Result<u64, Trap> {
    read_str_common(vm, a, compat_space(a[2]))
}

fn probe_read_user(vm: &mut HostVm<'_>, a: [u64; 5]) -> Result<u64, Trap> {
    read_common(vm, a, Space::User)
}

fn probe_read_kernel(vm: &mut HostVm<'_>, a: [u64; 5]) -> Result<u64, Trap> {
    read_common(vm, a, Space::Kernel)
}

fn probe_read_user_str(vm: &mut HostVm<'_>, a: [u64; 5]) -> Result<u64, Trap> {
    read_str_common(vm, a, Space::User)
}

fn probe_read_kernel_str(vm: &mut HostVm<'_>, a: [u64; 5]) -> Result<u64, Trap> {
    read_str_common(vm, a, Space::Kernel)
}

fn get_current_task(vm: &mut HostVm<'_>, _: [u64; 5]) -> Result<u64, Trap> {
    Ok(state(vm).task_ptr)
}

fn get_func_ip(vm: &mut HostVm<'_>, _: [u64; 5]) -> Result<u64, Trap> {
    Ok(state(vm).func_ip)
}

fn get_attach_cookie(vm: &mut HostVm<'_>, _: [u64; 5]) -> Result<u64, Trap> {
    Ok(state(vm).cookie)
}

/// `bpf_perf_prog_read_value(ctx, buf, size)`: `struct
/// bpf_perf_event_value { counter, enabled, running }` from the event.
fn perf_prog_read_value(vm: &mut HostVm<'_>, a: [u64; 5]) -> Result<u64, Trap> {
    let (buf, size) = (a[1], a[2] as u32 as usize);
    if size != 24 {
        if size > 0 {
            read_guest(vm, buf, size)?;
            zero(vm, buf, size)?;
        }
        return Ok(neg(EINVAL));
    }
    let v = state(vm).perf_value;
    let mut b = Vec::with_capacity(24);
    for x in v {
        b.extend_from_slice(&x.to_le_bytes());
    }
    write_guest(vm, buf, &b)?;
    Ok(0)
}

/// `BPF_F_INDEX_MASK` / `BPF_F_CURRENT_CPU`.
const INDEX_MASK: u64 = 0xffff_ffff;
use bpfbox_uapi::errno::E2BIG;
use bpfbox_uapi::errno::ENOENT;

/// `get_map_perf_counter`: the event in slot `flags & INDEX_MASK`
/// (`BPF_F_CURRENT_CPU`: this CPU's) of a perf_event_array, read with
/// `perf_event_read_local`. bpfbox's slot `i` is bound to CPU `i` (see
/// `bpfbox_maps`), so another CPU's slot is `-EINVAL`; the values come
/// from the event (`counters`), zero when not given.
fn perf_counter(vm: &HostVm<'_>, handle: u64, flags: u64) -> Result<Result<[u64; 3], i32>, Trap> {
    let m = vm
        .host
        .map_index(handle)
        .ok_or_else(|| vm.helper_error(EINVAL))?;
    let map = &vm.host.maps[m];
    if flags & !INDEX_MASK != 0 {
        return Ok(Err(EINVAL));
    }
    let cpu = u64::from(vm.host.cpu);
    let index = if flags == INDEX_MASK { cpu } else { flags };
    if index >= u64::from(map.def().max_entries) {
        return Ok(Err(E2BIG));
    }
    let key = (index as u32).to_ne_bytes().to_vec();
    if !map.entries().any(|(k, _)| k == key) {
        return Ok(Err(ENOENT));
    }
    if index != cpu {
        return Ok(Err(EINVAL));
    }
    Ok(Ok(state(vm)
        .perf_counters
        .iter()
        .find(|(i, _)| u64::from(*i) == index)
        .map_or([0; 3], |(_, v)| *v)))
}

/// `bpf_perf_event_read(map, flags)`: the counter, or a negative errno in
/// the same u64.
fn perf_event_read(vm: &mut HostVm<'_>, a: [u64; 5]) -> Result<u64, Trap> {
    Ok(match perf_counter(vm, a[0], a[1])? {
        Ok(v) => v[0],
        Err(e) => neg(e),
    })
}

/// `bpf_perf_event_read_value(map, flags, buf, size)`: `struct
/// bpf_perf_event_value`, zeroed on error.
fn perf_event_read_value(vm: &mut HostVm<'_>, a: [u64; 5]) -> Result<u64, Trap> {
    let (buf, size) = (a[2], a[3] as u32 as usize);
    if size > 0 {
        read_guest(vm, buf, size)?;
    }
    let r = if size != 24 {
        Err(EINVAL)
    } else {
        perf_counter(vm, a[0], a[1])?
    };
    match r {
        Ok(v) => {
            let b: Vec<u8> = v.iter().flat_map(|x| x.to_le_bytes()).collect();
            write_guest(vm, buf, &b)?;
            Ok(0)
        }
        Err(e) => {
            if size > 0 {
                zero(vm, buf, size)?;
            }
            Ok(neg(e))
        }
    }
}

/// `_NSIG` on x86-64.
const NSIG: u64 = 64;
use bpfbox_uapi::errno::EPERM;

/// `bpf_send_signal_common`: no signal to init (`-EPERM`), an invalid
/// signal number is `-EINVAL`; otherwise the signal is recorded for the
/// event's report (signal 0 only checks) and 0 returned.
fn send_signal_common(vm: &mut HostVm<'_>, sig: u64, thread: bool) -> Result<u64, Trap> {
    if vm.host.task.tgid == 1 {
        return Ok(neg(EPERM));
    }
    if sig > NSIG {
        return Ok(neg(EINVAL));
    }
    if sig != 0 {
        if let Some(st) = vm.host.event.get_mut::<TracingState>() {
            st.signals.push((sig as u32, thread));
        }
    }
    Ok(0)
}

/// `bpf_send_signal(sig)`: to the current process.
fn send_signal(vm: &mut HostVm<'_>, a: [u64; 5]) -> Result<u64, Trap> {
    send_signal_common(vm, a[0] as u32 as u64, false)
}

/// `bpf_send_signal_thread(sig)`: to the current thread.
fn send_signal_thread(vm: &mut HostVm<'_>, a: [u64; 5]) -> Result<u64, Trap> {
    send_signal_common(vm, a[0] as u32 as u64, true)
}

/// The implementations of this module, keyed by declaration.
pub(super) const HELPERS: &[HelperImpl] = &[
    HelperImpl::new(id::PROBE_READ, probe_read),
    HelperImpl::new(id::PERF_EVENT_READ, perf_event_read),
    HelperImpl::new(id::GET_CURRENT_TASK, get_current_task),
    HelperImpl::new(id::GET_CURRENT_TASK_BTF, get_current_task),
    HelperImpl::new(id::PROBE_READ_STR, probe_read_str),
    HelperImpl::new(id::PERF_EVENT_READ_VALUE, perf_event_read_value),
    HelperImpl::new(id::PERF_PROG_READ_VALUE, perf_prog_read_value),
    HelperImpl::new(id::SEND_SIGNAL, send_signal),
    HelperImpl::new(id::SEND_SIGNAL_THREAD, send_signal_thread),
    HelperImpl::new(id::PROBE_READ_USER, probe_read_user),
    HelperImpl::new(id::PROBE_READ_KERNEL, probe_read_kernel),
    HelperImpl::new(id::PROBE_READ_USER_STR, probe_read_user_str),
    HelperImpl::new(id::PROBE_READ_KERNEL_STR, probe_read_kernel_str),
    HelperImpl::new(id::GET_FUNC_IP, get_func_ip),
    HelperImpl::new(id::GET_ATTACH_COOKIE, get_attach_cookie),
];

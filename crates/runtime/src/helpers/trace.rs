//! `bpf_trace_printk`, `bpf_trace_vprintk` and `bpf_snprintf` over
//! [`crate::printf`].

use super::HelperImpl;
use super::{neg, read_guest, write_guest, HostVm};
use crate::printf::{format, ArgMemory};
use bpfbox_interp::Trap;
use bpfbox_uapi::helper::id;

/// `MAX_BPRINTF_BUF`: the formatted line is cut at 1023 bytes + NUL.
const MAX_BPRINTF_BUF: usize = 1024;
/// `MAX_BPRINTF_VARARGS` for `bpf_snprintf` and `bpf_trace_vprintk`.
const MAX_SNPRINTF_VARARGS: u64 = 12;

struct GuestMem<'m, 'a>(&'m HostVm<'a>);

impl ArgMemory for GuestMem<'_, '_> {
    fn string(&mut self, addr: u64, max: usize) -> Option<Vec<u8>> {
        self.0.mem.read_cstr(addr, max).ok().map(<[u8]>::to_vec)
    }
    fn bytes(&mut self, addr: u64, len: usize) -> Option<Vec<u8>> {
        self.0.mem.read(addr, len).ok().map(<[u8]>::to_vec)
    }
}

/// `bpf_trace_printk(fmt, fmt_size, arg1, arg2, arg3)`: returns the
/// formatted length (as `bstr_printf` does) and captures the line.
fn trace_printk(vm: &mut HostVm<'_>, a: [u64; 5]) -> Result<u64, Trap> {
    let fmt = read_guest(vm, a[0], a[1] as usize)?;
    let out = match format(&fmt, &a[2..5], MAX_BPRINTF_BUF, &mut GuestMem(vm)) {
        Ok(o) => o,
        Err(e) => return Ok(e as u64),
    };
    let n = out.len();
    let shown = &out[..n.min(MAX_BPRINTF_BUF - 1)];
    vm.host
        .trace
        .push(String::from_utf8_lossy(shown).into_owned());
    Ok(n as u64)
}

/// `bpf_trace_vprintk(fmt, fmt_size, args, data_len)`: `bpf_trace_printk`
/// with up to 12 arguments in an array of u64 (`bpf_printk` with more than
/// three arguments); `-EINVAL` when `data_len` is not a multiple of 8, is
/// over 96, or names a NULL array.
fn trace_vprintk(vm: &mut HostVm<'_>, a: [u64; 5]) -> Result<u64, Trap> {
    let (data, data_len) = (a[2], a[3] as u32 as u64);
    if data_len % 8 != 0 || data_len / 8 > MAX_SNPRINTF_VARARGS || (data_len != 0 && data == 0) {
        return Ok(neg(bpfbox_uapi::errno::EINVAL));
    }
    let fmt = read_guest(vm, a[0], a[1] as u32 as usize)?;
    let args = words(vm, data, data_len)?;
    let out = match format(&fmt, &args, MAX_BPRINTF_BUF, &mut GuestMem(vm)) {
        Ok(o) => o,
        Err(e) => return Ok(e as u64),
    };
    let n = out.len();
    let shown = &out[..n.min(MAX_BPRINTF_BUF - 1)];
    vm.host
        .trace
        .push(String::from_utf8_lossy(shown).into_owned());
    Ok(n as u64)
}

/// `data_len / 8` u64 arguments at `data`.
fn words(vm: &HostVm<'_>, data: u64, data_len: u64) -> Result<Vec<u64>, Trap> {
    if data_len == 0 {
        return Ok(Vec::new());
    }
    let raw = read_guest(vm, data, data_len as usize)?;
    Ok(raw
        .chunks_exact(8)
        .map(|c| u64::from_le_bytes(c.try_into().unwrap_or([0; 8])))
        .collect())
}

/// `bpf_snprintf(str, str_size, fmt, data, data_len)`: returns the length
/// including the NUL (like the kernel: `err + 1`).
fn snprintf(vm: &mut HostVm<'_>, a: [u64; 5]) -> Result<u64, Trap> {
    let (out_addr, out_size, fmt_addr, data, data_len) = (a[0], a[1] as usize, a[2], a[3], a[4]);
    if data_len % 8 != 0 || data_len / 8 > MAX_SNPRINTF_VARARGS || (data_len != 0 && data == 0) {
        return Ok(neg(bpfbox_uapi::errno::EINVAL));
    }
    let fmt = vm
        .mem
        .read_cstr(fmt_addr, 4096)
        .map(|s| {
            let mut v = s.to_vec();
            v.push(0);
            v
        })
        .map_err(|f| vm.mem_trap(f))?;
    let args = words(vm, data, data_len)?;
    let out = match format(&fmt, &args, out_size, &mut GuestMem(vm)) {
        Ok(o) => o,
        Err(e) => return Ok(e as u64),
    };
    if out_size > 0 {
        let n = out.len().min(out_size - 1);
        let mut buf = out[..n].to_vec();
        buf.push(0);
        write_guest(vm, out_addr, &buf)?;
    }
    // bstr_printf counts the whole output, whatever the buffer size
    Ok(out.len() as u64 + 1)
}

/// The implementations of this module, keyed by declaration.
pub(super) const HELPERS: &[HelperImpl] = &[
    HelperImpl::new(id::TRACE_PRINTK, trace_printk),
    HelperImpl::new(id::TRACE_VPRINTK, trace_vprintk),
    HelperImpl::new(id::SNPRINTF, snprintf),
];

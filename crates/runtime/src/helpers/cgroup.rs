//! Helpers of the cgroup hooks (kernel/bpf/cgroup.c, net/core/filter.c):
//! `bpf_get_retval` / `bpf_set_retval` on the run's `bpf_cg_run_ctx`,
//! `bpf_get_current_cgroup_id`, and the socket calls of sock_addr and
//! sockopt programs (`bpf_bind` is validated like the kernel and
//! recorded; `bpf_setsockopt`/`bpf_getsockopt` follow the option rules
//! shared with sock_ops).
//!
//! The per-run state lives in [`HostState::event`](crate::host::HostState::event) as a [`CgroupRun`],
//! put there by the cgroup event drivers (`crate::events::cgroup`).

use super::sockopt::{self, OptSock};
use super::HelperImpl;
use super::{neg, read_guest, write_guest, HostVm};
use crate::events::cgroup::SockDesc;
use crate::events::sockets::{SockState, SockWorld};
use bpfbox_interp::Trap;
use bpfbox_uapi::helper::id;
use serde_json::{json, Value};

/// `EAFNOSUPPORT`.
use bpfbox_uapi::errno::EAFNOSUPPORT;
/// `EINVAL`.
use bpfbox_uapi::errno::EINVAL;

/// State of one cgroup hook run (the kernel's `bpf_cg_run_ctx` plus what
/// bpfbox records).
#[derive(Debug, Clone, Default)]
pub struct CgroupRun {
    /// `run_ctx.retval`: 0 at the start of most hooks, the kernel
    /// handler's result for getsockopt.
    pub retval: i32,
    /// For getsockopt, `run_ctx.retval` is also the ctx field
    /// `bpf_sockopt.retval`: the guest offset of that field inside the
    /// ctx, so the helpers and the program's direct stores see one value.
    pub retval_in_ctx: Option<u64>,
    /// Sysctl being accessed (CGROUP_SYSCTL).
    pub sysctl: Option<super::sysctl::SysctlAccess>,
    /// The hook's socket (sock_addr and sockopt hooks), for
    /// `bpf_setsockopt`/`bpf_getsockopt`.
    pub socket: Option<SockDesc>,
    /// Options set on that socket (by the event's `sockopts` and by
    /// `bpf_setsockopt`), in the sock_ops model of `__bpf_setsockopt`.
    pub sock_state: SockState,
    /// Host settings the option rules consult (congestion algorithms,
    /// buffer limits).
    pub world: SockWorld,
    /// Helper calls with side effects, in order (`bpf_bind`,
    /// `bpf_setsockopt`), for the event's `effects`.
    pub calls: Vec<Value>,
}

fn run<'v>(vm: &'v HostVm<'_>) -> Option<&'v CgroupRun> {
    vm.host.event.get::<CgroupRun>()
}

fn run_mut<'v>(vm: &'v mut HostVm<'_>) -> Option<&'v mut CgroupRun> {
    vm.host.event.get_mut::<CgroupRun>()
}

/// Reads `run_ctx.retval`.
fn current_retval(vm: &HostVm<'_>) -> Result<i32, Trap> {
    let Some(r) = run(vm) else {
        return Ok(0);
    };
    match (r.retval_in_ctx, vm.host.map.ctx) {
        (Some(off), Some((_, ctx))) => {
            let b = read_guest(vm, ctx + off, 4)?;
            Ok(i32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        }
        _ => Ok(r.retval),
    }
}

/// `bpf_get_retval()`: `run_ctx.retval`, sign-extended.
fn get_retval(vm: &mut HostVm<'_>, _: [u64; 5]) -> Result<u64, Trap> {
    Ok(i64::from(current_retval(vm)?) as u64)
}

/// `bpf_set_retval(retval)`: sets `run_ctx.retval` (an int); returns 0.
fn set_retval(vm: &mut HostVm<'_>, a: [u64; 5]) -> Result<u64, Trap> {
    let v = a[0] as u32 as i32;
    let ctx = vm.host.map.ctx;
    let in_ctx = match run_mut(vm) {
        Some(r) => {
            r.retval = v;
            r.retval_in_ctx
        }
        None => None,
    };
    if let (Some(off), Some((_, addr))) = (in_ctx, ctx) {
        write_guest(vm, addr + off, &v.to_le_bytes())?;
    }
    Ok(0)
}

/// `bpf_get_current_cgroup_id()`: the task's cgroup v2 id.
fn get_current_cgroup_id(vm: &mut HostVm<'_>, _: [u64; 5]) -> Result<u64, Trap> {
    Ok(vm.host.task.cgroup_id)
}

/// `AF_INET`, `AF_INET6`.
const AF_INET: u16 = 2;
const AF_INET6: u16 = 10;
/// `SIN6_LEN_RFC2133`: a sockaddr_in6 without `sin6_scope_id`.
const SIN6_LEN_RFC2133: usize = 24;

/// The checks `bpf_bind` makes before calling `__inet_bind` /
/// `inet6_bind` with `BIND_FROM_BPF` (net/core/filter.c): `Ok((family,
/// address bytes, port))` or the errno. A port of 0 adds
/// `BIND_FORCE_ADDRESS_NO_PORT` (bind the address only).
pub fn check_bind(addr: &[u8]) -> Result<(u16, Vec<u8>, u16), i32> {
    if addr.len() < 2 {
        return Err(EINVAL);
    }
    let family = u16::from_le_bytes([addr[0], addr[1]]);
    match family {
        AF_INET if addr.len() < 16 => Err(EINVAL),
        AF_INET => Ok((
            family,
            addr[4..8].to_vec(),
            u16::from_be_bytes([addr[2], addr[3]]),
        )),
        AF_INET6 if addr.len() < SIN6_LEN_RFC2133 => Err(EINVAL),
        AF_INET6 => Ok((
            family,
            addr[8..24].to_vec(),
            u16::from_be_bytes([addr[2], addr[3]]),
        )),
        _ => Err(EAFNOSUPPORT),
    }
}

/// `bpf_bind(ctx, addr, addr_len)`: validated like the kernel, then
/// recorded as `{"helper": "bind", "ip": ..., "port": ...}`; the bind is
/// taken to succeed (0).
fn bind(vm: &mut HostVm<'_>, a: [u64; 5]) -> Result<u64, Trap> {
    let len = a[2] as u32 as i32;
    if len < 2 {
        return Ok(neg(EINVAL));
    }
    let bytes = read_guest(vm, a[1], len as usize)?;
    match check_bind(&bytes) {
        Err(e) => Ok(neg(e)),
        Ok((_, ip, port)) => {
            let call = json!({
                "helper": "bind",
                "ip": crate::events::cgroup::ip_string(&ip),
                "port": port,
                "address_only": port == 0,
            });
            if let Some(r) = run_mut(vm) {
                r.calls.push(call);
            }
            Ok(0)
        }
    }
}

fn opt_sock(d: &SockDesc) -> OptSock {
    OptSock {
        family: d.family,
        protocol: d.protocol,
        state: d.state,
        mss: 0,
        data_segs_out: 0,
    }
}

/// `bpf_setsockopt(ctx, level, optname, optval, optlen)` of sock_addr and
/// sockopt programs (`_bpf_setsockopt` → `__bpf_setsockopt`): the same
/// option rules as sock_ops (shared model in `super::sockopt`) on the
/// hook's socket; `-EINVAL` for a socket that is not a full socket. The
/// call is recorded with its result.
pub(crate) fn setsockopt(vm: &mut HostVm<'_>, a: [u64; 5]) -> Result<u64, Trap> {
    let (level, optname, len) = (a[1] as u32 as i32, a[2] as u32 as i32, a[4] as usize);
    let value = read_guest(vm, a[3], len)?;
    let Some(r) = run_mut(vm) else {
        return Ok(neg(EINVAL));
    };
    let ret = match &r.socket {
        Some(d) => {
            let os = opt_sock(d);
            sockopt::set(&r.world, &mut r.sock_state, &os, level, optname, &value)
        }
        None => -i64::from(EINVAL),
    };
    let mut call = json!({
        "helper": "setsockopt",
        "option": sockopt::opt_name(level, optname),
        "optval": crate::events::cgroup::hex(&value),
        "ret": ret,
    });
    if ret == -sockopt::ENOTSUPP {
        call["unmodelled"] = json!(true);
    }
    r.calls.push(call);
    Ok(ret as u64)
}

/// `bpf_getsockopt(ctx, level, optname, optval, optlen)`: the option's
/// value in the shared model (what the event's `sockopts` or an earlier
/// `bpf_setsockopt` set, else the kernel's default); on failure the
/// buffer is zeroed and `-errno` returned.
pub(crate) fn getsockopt(vm: &mut HostVm<'_>, a: [u64; 5]) -> Result<u64, Trap> {
    let (level, optname, len) = (a[1] as u32 as i32, a[2] as u32 as i32, a[4] as usize);
    read_guest(vm, a[3], len)?;
    let got = match run(vm) {
        Some(CgroupRun {
            socket: Some(d),
            sock_state,
            world,
            ..
        }) => sockopt::get(world, sock_state, &opt_sock(d), level, optname, len),
        _ => Err(-i64::from(EINVAL)),
    };
    match got {
        Ok(bytes) => {
            write_guest(vm, a[3], &bytes)?;
            Ok(0)
        }
        Err(e) => {
            write_guest(vm, a[3], &vec![0u8; len])?;
            Ok(e as u64)
        }
    }
}

/// The implementations of this module, keyed by declaration.
pub(super) const HELPERS: &[HelperImpl] = &[
    HelperImpl::new(id::BIND, bind),
    HelperImpl::new(id::GET_CURRENT_CGROUP_ID, get_current_cgroup_id),
    HelperImpl::new(id::GET_RETVAL, get_retval),
    HelperImpl::new(id::SET_RETVAL, set_retval),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bind_checks_length_and_family_like_the_kernel() {
        assert_eq!(check_bind(&[2]), Err(EINVAL));
        let mut sin = vec![2, 0, 0x1f, 0x90, 127, 0, 0, 1];
        assert_eq!(check_bind(&sin), Err(EINVAL)); // < sizeof(sockaddr_in)
        sin.resize(16, 0);
        assert_eq!(check_bind(&sin), Ok((2, vec![127, 0, 0, 1], 8080)));
        let mut sin6 = vec![10, 0, 0, 0];
        sin6.resize(23, 0);
        assert_eq!(check_bind(&sin6), Err(EINVAL));
        sin6.resize(24, 0);
        sin6[23] = 1;
        let (f, ip, port) = check_bind(&sin6).unwrap();
        assert_eq!((f, ip[15], port), (10, 1, 0));
        assert_eq!(check_bind(&[1, 0, 0, 0]), Err(EAFNOSUPPORT));
    }
}

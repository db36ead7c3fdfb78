//! Socket-hook helpers: sock_ops (`bpf_setsockopt`, `bpf_getsockopt`,
//! `bpf_sock_ops_cb_flags_set`, `bpf_sock_map_update`,
//! `bpf_sock_hash_update`), sk_reuseport (`bpf_sk_select_reuseport`,
//! `sk_reuseport_load_bytes`), sk_skb / sk_msg redirects
//! (`bpf_sk_redirect_map/hash`, `bpf_msg_redirect_map/hash`), sk_lookup
//! (`bpf_sk_assign`) and the flow dissector's `bpf_skb_load_bytes`.
//!
//! They work on the [`SockEnv`] the event driver keeps in
//! [`HostState::event`](crate::host::HostState); called without one (a
//! program run outside its hook) they trap.

use super::sockopt::{self, OptSock, ALL_CB_FLAGS};
use super::HelperImpl;
use super::{neg, read_guest, write_guest, HostVm};
use crate::events::sockets::SockEnv;
use bpfbox_interp::Trap;
use bpfbox_maps::MapType;
use bpfbox_uapi::helper::id;
use serde_json::json;

use bpfbox_uapi::errno::EFAULT;
use bpfbox_uapi::errno::EINVAL;
use bpfbox_uapi::errno::ENOENT;
use bpfbox_uapi::errno::EOPNOTSUPP;
/// `BPF_SOCK_OPS_WRITE_HDR_OPT_CB`: ops above it (timestamping) run
/// without the socket lock, so socket-changing helpers refuse them.
const LAST_LOCKED_OP: u32 = 15;
/// `BPF_F_INGRESS`.
const F_INGRESS: u64 = 1;

fn env<'v>(vm: &'v mut HostVm<'_>) -> Result<&'v mut SockEnv, Trap> {
    let trap = vm.helper_error(EINVAL);
    vm.host.event.get_mut::<SockEnv>().ok_or(trap)
}

fn map_of(vm: &HostVm<'_>, handle: u64) -> Result<usize, Trap> {
    vm.host
        .map_index(handle)
        .ok_or_else(|| vm.helper_error(EINVAL))
}

fn opt_sock(e: &SockEnv) -> Option<OptSock> {
    let s = e.sock?;
    Some(OptSock {
        family: s.family(),
        protocol: s.protocol,
        state: s.state,
        mss: e.mss,
        data_segs_out: e.data_segs_out,
    })
}

/// `bpf_sock_ops_setsockopt(ctx, level, optname, optval, optlen)`.
fn setsockopt(vm: &mut HostVm<'_>, a: [u64; 5]) -> Result<u64, Trap> {
    let (level, optname) = (a[1] as i32, a[2] as i32);
    let optval = read_guest(vm, a[3], a[4] as usize)?;
    let e = env(vm)?;
    let r = if e.op > LAST_LOCKED_OP {
        -i64::from(EOPNOTSUPP)
    } else if !e.fullsock {
        -i64::from(EINVAL)
    } else {
        match opt_sock(e) {
            Some(os) => {
                let world = e.world.clone();
                match e.state_mut() {
                    Some(st) => sockopt::set(&world, st, &os, level, optname, &optval),
                    None => -i64::from(EINVAL),
                }
            }
            None => -i64::from(EINVAL),
        }
    };
    let value = if optname == sockopt::TCP_CONGESTION {
        json!(String::from_utf8_lossy(
            optval.split(|b| *b == 0).next().unwrap_or(&[])
        ))
    } else if optval.len() == 4 {
        json!(i32::from_le_bytes([
            optval[0], optval[1], optval[2], optval[3]
        ]))
    } else {
        json!(crate::events::sockets::hex(&optval))
    };
    let mut rec = json!({"helper": "setsockopt", "option": sockopt::opt_name(level, optname),
        "value": value, "ret": r});
    if r == -sockopt::ENOTSUPP {
        rec["unmodelled"] = json!(true);
    }
    e.log.push(rec);
    Ok(r as u64)
}

/// `bpf_sock_ops_getsockopt(ctx, level, optname, optval, optlen)`: on
/// failure the buffer is zeroed.
fn getsockopt(vm: &mut HostVm<'_>, a: [u64; 5]) -> Result<u64, Trap> {
    let (level, optname, len) = (a[1] as i32, a[2] as i32, a[4] as usize);
    read_guest(vm, a[3], len)?;
    let e = env(vm)?;
    let r: Result<Vec<u8>, i64> = if e.op > LAST_LOCKED_OP {
        Err(-i64::from(EOPNOTSUPP))
    } else if level == sockopt::SOL_TCP && (1005..=1007).contains(&optname) {
        // TCP_BPF_SYN copies the SYN's TCP header (the event's `syn`),
        // ENOENT without one, ENOSPC (after a partial copy) when optval is
        // short; the IP and MAC variants are not modelled.
        let syn = e.hdr.as_ref().and_then(|h| h.syn.clone());
        match (optname, syn) {
            (1005, Some(h)) => {
                let n = h.len().min(len);
                let mut out = vec![0u8; len];
                out[..n].copy_from_slice(&h[..n]);
                write_guest(vm, a[3], &out)?;
                return Ok(if len < h.len() {
                    neg(bpfbox_uapi::errno::ENOSPC)
                } else {
                    h.len() as u64
                });
            }
            (1005, None) => {
                write_guest(vm, a[3], &vec![0u8; len])?;
                return Ok(neg(ENOENT));
            }
            _ => Err(-sockopt::ENOTSUPP),
        }
    } else if !e.fullsock {
        Err(-i64::from(EINVAL))
    } else {
        match (opt_sock(e), e.sock.map(|s| s.id)) {
            (Some(os), Some(id)) => {
                let st = e.world.socks.get(&id).cloned().unwrap_or_default();
                sockopt::get(&e.world, &st, &os, level, optname, len)
            }
            _ => Err(-i64::from(EINVAL)),
        }
    };
    // Only setsockopt changes the socket; getsockopt is not logged.
    match r {
        Ok(bytes) => {
            write_guest(vm, a[3], &bytes)?;
            Ok(0)
        }
        Err(errno) => {
            write_guest(vm, a[3], &vec![0u8; len])?;
            Ok(errno as u64)
        }
    }
}

/// `bpf_sock_ops_cb_flags_set(ctx, flags)`: sets the socket's callback
/// flags to `flags & ALL_CB_FLAGS` and returns the bits it could not set;
/// the ctx's `bpf_sock_ops_cb_flags` reads the new value at once.
fn sock_ops_cb_flags_set(vm: &mut HostVm<'_>, a: [u64; 5]) -> Result<u64, Trap> {
    let argval = a[1] as i32;
    let e = env(vm)?;
    if e.op > LAST_LOCKED_OP {
        return Ok(neg(EOPNOTSUPP));
    }
    if !e.fullsock {
        return Ok(neg(EINVAL));
    }
    let val = (argval as u32) & ALL_CB_FLAGS;
    if let Some(st) = e.state_mut() {
        st.cb_flags = val;
    }
    e.log
        .push(json!({"helper": "sock_ops_cb_flags_set", "flags": val}));
    if let Some((_, addr)) = vm.host.map.ctx {
        write_guest(vm, addr + 84, &val.to_le_bytes())?;
    }
    Ok(i64::from(argval & !(ALL_CB_FLAGS as i32)) as u64)
}

/// `bpf_sock_map_update` / `bpf_sock_hash_update`: only from the
/// established and listen callbacks (`sock_map_op_okay`), else
/// `-EOPNOTSUPP`.
fn sock_update(vm: &mut HostVm<'_>, a: [u64; 5], hash: bool) -> Result<u64, Trap> {
    let m = map_of(vm, a[1])?;
    let ks = vm.host.maps[m].def().key_size as usize;
    let key = read_guest(vm, a[2], ks)?;
    let e = env(vm)?;
    let okay = matches!(e.op, 4 | 5 | 11) && e.fullsock;
    let Some(id) = e.sock.map(|s| s.id) else {
        return Ok(neg(EINVAL));
    };
    if !okay {
        return Ok(neg(EOPNOTSUPP));
    }
    let r = vm.host.maps[m].sock_update_elem(&key, id, a[3]);
    let name = if hash {
        "sock_hash_update"
    } else {
        "sock_map_update"
    };
    let rec = json!({"helper": name, "map": m, "key": crate::events::sockets::hex(&key),
        "socket": id, "ret": r});
    env(vm)?.log.push(rec);
    Ok(r as u64)
}

fn sock_map_update(vm: &mut HostVm<'_>, a: [u64; 5]) -> Result<u64, Trap> {
    sock_update(vm, a, false)
}

fn sock_hash_update(vm: &mut HostVm<'_>, a: [u64; 5]) -> Result<u64, Trap> {
    sock_update(vm, a, true)
}

/// `bpf_sk_select_reuseport(ctx, map, key, flags)`: the socket under
/// `key` becomes the hook's pick when the program returns SK_PASS. A
/// reuseport_sockarray slot always holds a group member; a sockmap or
/// sockhash socket is a member only if it is in [`SockEnv::members`]
/// (else `-EINVAL`, as for a socket outside any group).
fn sk_select_reuseport(vm: &mut HostVm<'_>, a: [u64; 5]) -> Result<u64, Trap> {
    let m = map_of(vm, a[1])?;
    let ks = vm.host.maps[m].def().key_size as usize;
    let key = read_guest(vm, a[2], ks)?;
    let sockarray = vm.host.maps[m].map_type() == MapType::ReuseportSockarray;
    let found = vm.host.maps[m].sock_at(&key);
    let e = env(vm)?;
    let r = match found {
        None => -i64::from(ENOENT),
        Some(id) if !sockarray && !e.members.contains(&id) => -i64::from(EINVAL),
        Some(id) => {
            e.selected = Some(id);
            0
        }
    };
    e.log.push(json!({"helper": "sk_select_reuseport", "map": m,
        "key": crate::events::sockets::hex(&key), "socket": found, "ret": r}));
    Ok(r as u64)
}

/// The redirect helpers of sk_skb and sk_msg: SK_PASS (1) with the target
/// recorded, SK_DROP (0) for bad flags or an empty slot.
fn redirect(
    vm: &mut HostVm<'_>,
    map: u64,
    key: Vec<u8>,
    flags: u64,
    name: &str,
) -> Result<u64, Trap> {
    let m = map_of(vm, map)?;
    let found = vm.host.maps[m].sock_at(&key);
    let e = env(vm)?;
    let ok = flags & !F_INGRESS == 0 && found.is_some();
    e.log.push(
        json!({"helper": name, "map": m, "key": crate::events::sockets::hex(&key),
        "flags": flags, "socket": found, "ret": u64::from(ok)}),
    );
    if ok {
        e.redirect = Some((m, key, flags, found));
    }
    Ok(u64::from(ok))
}

fn u32_key(k: u64) -> Vec<u8> {
    (k as u32).to_ne_bytes().to_vec()
}

fn ptr_key(vm: &HostVm<'_>, map: u64, ptr: u64) -> Result<Vec<u8>, Trap> {
    let m = map_of(vm, map)?;
    let ks = vm.host.maps[m].def().key_size as usize;
    read_guest(vm, ptr, ks)
}

fn sk_redirect_map(vm: &mut HostVm<'_>, a: [u64; 5]) -> Result<u64, Trap> {
    redirect(vm, a[1], u32_key(a[2]), a[3], "sk_redirect_map")
}

fn sk_redirect_hash(vm: &mut HostVm<'_>, a: [u64; 5]) -> Result<u64, Trap> {
    let k = ptr_key(vm, a[1], a[2])?;
    redirect(vm, a[1], k, a[3], "sk_redirect_hash")
}

fn msg_redirect_map(vm: &mut HostVm<'_>, a: [u64; 5]) -> Result<u64, Trap> {
    redirect(vm, a[1], u32_key(a[2]), a[3], "msg_redirect_map")
}

fn msg_redirect_hash(vm: &mut HostVm<'_>, a: [u64; 5]) -> Result<u64, Trap> {
    let k = ptr_key(vm, a[1], a[2])?;
    redirect(vm, a[1], k, a[3], "msg_redirect_hash")
}

/// `sk_reuseport_load_bytes(ctx, offset, to, len)`: `bpf_skb_load_bytes`
/// on the packet from its transport header (`SockEnv::packet`).
pub(crate) fn reuseport_load_bytes(vm: &mut HostVm<'_>, a: [u64; 5]) -> Result<u64, Trap> {
    let (off, len) = (a[1] as usize, a[3] as usize);
    let pkt = env(vm)?.packet.clone();
    match off
        .checked_add(len)
        .filter(|end| *end <= pkt.len() && off <= 0xffff)
    {
        Some(end) => {
            write_guest(vm, a[2], &pkt[off..end])?;
            Ok(0)
        }
        None => {
            write_guest(vm, a[2], &vec![0u8; len])?;
            Ok(neg(EFAULT))
        }
    }
}

/// `bpf_flow_dissector_load_bytes`: without an skb (the test-run path and
/// eth_get_headlen) it zeroes the buffer and fails with `-EFAULT`; with
/// one it reads like `bpf_skb_load_bytes`.
pub(crate) fn flow_dissector_load_bytes(vm: &mut HostVm<'_>, a: [u64; 5]) -> Result<u64, Trap> {
    let len = a[3] as usize;
    write_guest(vm, a[2], &vec![0u8; len])?;
    Ok(neg(EFAULT))
}

/// Runs a msg helper on the current message: syncs the program's stores
/// from guest memory first; when the bytes or the window changed, lends
/// the program a fresh buffer (the verifier invalidated the old packet
/// pointers) and updates `data`, `data_end` and `size` in the ctx.
fn with_msg(
    vm: &mut HostVm<'_>,
    name: &str,
    args: [u64; 3],
    f: impl FnOnce(&mut crate::types::sk_msg::event::MsgState) -> i64,
) -> Result<u64, Trap> {
    let trap = vm.helper_error(EINVAL);
    let (addr, len) = env(vm)?.msg.as_ref().ok_or(trap)?.cur;
    let cur = if len > 0 {
        read_guest(vm, addr, len)?
    } else {
        Vec::new()
    };
    let e = env(vm)?;
    let Some(msg) = e.msg.as_mut() else {
        return Err(trap);
    };
    msg.bytes.copy_from_slice(&cur);
    let before = (msg.bytes.len(), msg.window);
    let r = f(msg);
    let changed = (msg.bytes.len(), msg.window) != before;
    let mut fresh = None;
    if r == 0 && changed {
        let mut b = msg.bytes.clone();
        if b.is_empty() {
            b.push(0);
        }
        let mut b = b.into_boxed_slice();
        let ptr = b.as_mut_ptr();
        let blen = b.len();
        msg.bufs.push(b);
        msg.cur = (ptr as usize as u64, msg.bytes.len());
        fresh = Some((ptr, blen, msg.window, msg.bytes.len()));
    }
    e.log.push(json!({"helper": name, "args": args, "ret": r}));
    if let Some((ptr, blen, win, size)) = fresh {
        // SAFETY: the buffer is owned by the MsgState in the host's event
        // slot, which outlives the Vm's memory; a boxed slice never moves.
        unsafe {
            vm.mem
                .add_raw(ptr, blen, true, bpfbox_interp::RegionKind::Packet)
        };
        if let Some((_, ctx)) = vm.host.map.ctx {
            let base = ptr as usize as u64;
            write_guest(vm, ctx, &(base + win.0 as u64).to_le_bytes())?;
            write_guest(vm, ctx + 8, &(base + win.1 as u64).to_le_bytes())?;
            write_guest(vm, ctx + 68, &(size as u32).to_le_bytes())?;
        }
    }
    Ok(r as u64)
}

fn msg_apply_bytes(vm: &mut HostVm<'_>, a: [u64; 5]) -> Result<u64, Trap> {
    with_msg(vm, "msg_apply_bytes", [a[1], 0, 0], |m| {
        m.apply_bytes = Some(a[1] as u32);
        0
    })
}

fn msg_cork_bytes(vm: &mut HostVm<'_>, a: [u64; 5]) -> Result<u64, Trap> {
    with_msg(vm, "msg_cork_bytes", [a[1], 0, 0], |m| {
        m.cork_bytes = Some(a[1] as u32);
        0
    })
}

fn msg_pull_data(vm: &mut HostVm<'_>, a: [u64; 5]) -> Result<u64, Trap> {
    with_msg(vm, "msg_pull_data", [a[1], a[2], a[3]], |m| {
        m.pull(a[1], a[2], a[3])
    })
}

fn msg_push_data(vm: &mut HostVm<'_>, a: [u64; 5]) -> Result<u64, Trap> {
    with_msg(vm, "msg_push_data", [a[1], a[2], a[3]], |m| {
        m.push(a[1], a[2], a[3])
    })
}

fn msg_pop_data(vm: &mut HostVm<'_>, a: [u64; 5]) -> Result<u64, Trap> {
    with_msg(vm, "msg_pop_data", [a[1], a[2], a[3]], |m| {
        m.pop(a[1], a[2], a[3])
    })
}

/// `TCP_ESTABLISHED`.
const TCP_ESTABLISHED: u32 = 1;
/// `TCP_LISTEN`.
const TCP_LISTEN: u32 = 10;

/// `bpf_map_lookup_elem` for the socket program types: on a sockmap,
/// sockhash or reuseport_sockarray it returns the socket (a `struct
/// bpf_sock` image of the declared socket, or else of an established TCP
/// socket of the hook's family), like the kernel's
/// `PTR_TO_SOCKET_OR_NULL`; other maps as usual.
pub(crate) fn sock_map_lookup(vm: &mut HostVm<'_>, a: [u64; 5]) -> Result<u64, Trap> {
    sock_map_lookup_in_state(vm, a, TCP_ESTABLISHED)
}

/// [`sock_map_lookup`] as sk_lookup programs see it: an undeclared socket
/// is a listener.
pub(crate) fn sock_map_lookup_listening(vm: &mut HostVm<'_>, a: [u64; 5]) -> Result<u64, Trap> {
    sock_map_lookup_in_state(vm, a, TCP_LISTEN)
}

fn sock_map_lookup_in_state(vm: &mut HostVm<'_>, a: [u64; 5], state: u32) -> Result<u64, Trap> {
    let m = map_of(vm, a[0])?;
    if !vm.host.maps[m].map_type().is_sock() {
        let Some(&HelperImpl { run: f, .. }) = super::maps::HELPERS
            .iter()
            .find(|h| h.id() == id::MAP_LOOKUP_ELEM)
        else {
            return Err(vm.helper_error(EINVAL));
        };
        return f(vm, a);
    }
    let ks = vm.host.maps[m].def().key_size as usize;
    let key = read_guest(vm, a[1], ks)?;
    let Some(id) = vm.host.maps[m].sock_at(&key) else {
        return Ok(0);
    };
    let e = env(vm)?;
    let hook_family = e.sock.map_or(2, |s| s.family());
    let (family, _) = e.lookup.unwrap_or((hook_family, 6));
    let desc = e.world.descs.get(&id).copied().unwrap_or_else(|| {
        let any = if family == 2 { "0.0.0.0:0" } else { "[::]:0" };
        let any: std::net::SocketAddr = any
            .parse()
            .unwrap_or_else(|_| crate::events::sockets::any4());
        crate::events::sockets::SockDesc {
            id,
            local: any,
            remote: any,
            state,
            protocol: 6,
        }
    });
    let mut img = crate::events::sockets::bpf_sock_image(&desc, 0, 0)
        .to_vec()
        .into_boxed_slice();
    let ptr = img.as_mut_ptr();
    let len = img.len();
    vm.host.scratch.push(img);
    // SAFETY: the image lives in the host's scratch list until the run
    // ends (`unmap_host_memory`), after the Vm's memory is gone.
    unsafe {
        vm.mem
            .add_raw(ptr, len, false, bpfbox_interp::RegionKind::ReadOnly)
    };
    let addr = ptr as usize as u64;
    env(vm)?.sk_ptrs.push((addr, id));
    Ok(addr)
}

/// `bpf_tcp_sock(sk)`: the `struct bpf_tcp_sock` of a full TCP socket
/// (the sock_ops callback's socket), else NULL — also for the test-run
/// dummy socket of skb programs, which is not TCP.
fn tcp_sock(vm: &mut HostVm<'_>, a: [u64; 5]) -> Result<u64, Trap> {
    let img = match vm.host.event.get::<SockEnv>() {
        Some(e) => match &e.tcp_sock {
            Some((addr, img)) if *addr == a[0] => img.clone(),
            _ => return Ok(0),
        },
        None => return Ok(0),
    };
    let mut b = img.into_boxed_slice();
    let ptr = b.as_mut_ptr();
    let len = b.len();
    vm.host.scratch.push(b);
    // SAFETY: the image lives in the host's scratch list until the run
    // ends, after the Vm's memory is gone.
    unsafe {
        vm.mem
            .add_raw(ptr, len, false, bpfbox_interp::RegionKind::ReadOnly)
    };
    Ok(ptr as usize as u64)
}

/// `bpf_sk_release`: references are not counted in bpfbox.
fn sk_release(_vm: &mut HostVm<'_>, _a: [u64; 5]) -> Result<u64, Trap> {
    Ok(0)
}

/// `bpf_sk_assign` as sk_lookup programs get it (`bpf_sk_lookup_assign(ctx,
/// sk, flags)`, SK_LOOKUP's run table; tc's `bpf_sk_assign` is not
/// implemented): the checks of
/// net/core/filter.c in order, then the selection; `ctx->sk` reads it at
/// once.
pub(crate) fn sk_lookup_assign(vm: &mut HostVm<'_>, a: [u64; 5]) -> Result<u64, Trap> {
    use bpfbox_uapi::errno::EAFNOSUPPORT;
    use bpfbox_uapi::errno::EEXIST;
    use bpfbox_uapi::errno::EPROTOTYPE;
    use bpfbox_uapi::errno::ESOCKTNOSUPPORT;
    let (ptr, flags) = (a[1], a[2]);
    let e = env(vm)?;
    let Some((family, protocol)) = e.lookup else {
        let t = vm.helper_error(EOPNOTSUPP);
        return Err(t);
    };
    let sk = if ptr == 0 {
        None
    } else {
        let id = e.sk_ptrs.iter().find(|(p, _)| *p == ptr).map(|(_, id)| *id);
        let Some(id) = id else {
            let t = vm.helper_error(EINVAL);
            return Err(t);
        };
        let desc = e.world.descs.get(&id).copied();
        Some((id, desc))
    };
    let r: i32 = if flags & !3 != 0 {
        -EINVAL
    } else {
        let check = sk.map(|(_, d)| {
            let (proto, state, fam) =
                d.map_or((6, 10, family), |d| (d.protocol, d.state, d.family()));
            // A socket bound to a specific, non-mapped IPv6 address is
            // IPv6-only (`__inet6_bind` sets ipv6only).
            let v6only = d.is_some_and(|d| match d.local.ip() {
                std::net::IpAddr::V6(a) => !a.is_unspecified() && a.to_ipv4_mapped().is_none(),
                std::net::IpAddr::V4(_) => false,
            });
            if (proto == 6 && state != 10) || (proto == 17 && state != 7) {
                -ESOCKTNOSUPPORT
            } else if proto != protocol {
                -EPROTOTYPE
            } else if fam != family && (fam == 2 || v6only) {
                -EAFNOSUPPORT
            } else {
                0
            }
        });
        match check {
            Some(c) if c != 0 => c,
            _ if e.selected.is_some() && flags & 1 == 0 => -EEXIST,
            _ => {
                e.selected = sk.map(|(id, _)| id);
                e.no_reuseport = flags & 2 != 0;
                0
            }
        }
    };
    e.log.push(
        json!({"helper": "sk_assign", "socket": sk.map(|(id, _)| id), "flags": flags, "ret": r}),
    );
    if r == 0 {
        if let Some((_, ctx)) = vm.host.map.ctx {
            write_guest(vm, ctx, &ptr.to_le_bytes())?;
        }
    }
    Ok(i64::from(r) as u64)
}

/// `sk_skb_pull_data(skb, len)`: `skb_ensure_writable(skb, len ?:
/// skb_headlen(skb))` — pulls `len` bytes into the linear part (`ENOMEM`
/// past the end), so `data_end` covers them.
pub(crate) fn sk_skb_pull_data(vm: &mut HostVm<'_>, a: [u64; 5]) -> Result<u64, Trap> {
    let total = vm.host.skb().map_or(0, |s| s.len());
    let e = env(vm)?;
    let linear = e.skb_linear.unwrap_or(total);
    let want = if a[1] == 0 { linear as u64 } else { a[1] };
    if want > total as u64 {
        return Ok(neg(bpfbox_uapi::errno::ENOMEM));
    }
    e.skb_linear = Some(linear.max(want as usize));
    let Some(&HelperImpl { run: f, .. }) = super::skb::HELPERS
        .iter()
        .find(|h| h.id() == id::SKB_PULL_DATA)
    else {
        return Err(vm.helper_error(EINVAL));
    };
    f(vm, a)
}

/// Helpers of this module available to every type that may call them.
pub(super) const HELPERS: &[HelperImpl] = &[
    HelperImpl::new(id::SETSOCKOPT, setsockopt),
    HelperImpl::new(id::SK_REDIRECT_MAP, sk_redirect_map),
    HelperImpl::new(id::SOCK_MAP_UPDATE, sock_map_update),
    HelperImpl::new(id::GETSOCKOPT, getsockopt),
    HelperImpl::new(id::SOCK_OPS_CB_FLAGS_SET, sock_ops_cb_flags_set),
    HelperImpl::new(id::MSG_REDIRECT_MAP, msg_redirect_map),
    HelperImpl::new(id::MSG_APPLY_BYTES, msg_apply_bytes),
    HelperImpl::new(id::MSG_CORK_BYTES, msg_cork_bytes),
    HelperImpl::new(id::MSG_PULL_DATA, msg_pull_data),
    HelperImpl::new(id::SOCK_HASH_UPDATE, sock_hash_update),
    HelperImpl::new(id::MSG_REDIRECT_HASH, msg_redirect_hash),
    HelperImpl::new(id::SK_REDIRECT_HASH, sk_redirect_hash),
    HelperImpl::new(id::SK_SELECT_REUSEPORT, sk_select_reuseport),
    HelperImpl::new(id::SK_RELEASE, sk_release),
    HelperImpl::new(id::TCP_SOCK, tcp_sock),
    HelperImpl::new(id::MSG_PUSH_DATA, msg_push_data),
    HelperImpl::new(id::MSG_POP_DATA, msg_pop_data),
    HelperImpl::new(id::LOAD_HDR_OPT, super::hdropt::load_hdr_opt),
    HelperImpl::new(id::STORE_HDR_OPT, super::hdropt::store_hdr_opt),
    HelperImpl::new(id::RESERVE_HDR_OPT, super::hdropt::reserve_hdr_opt),
];

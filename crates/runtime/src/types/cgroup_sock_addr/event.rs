//! CGROUP_SOCK_ADDR events: a bind/connect/sendmsg/recvmsg/getpeername/
//! getsockname on an IPv4 or IPv6 socket, run through
//! `__cgroup_bpf_run_filter_sock_addr` (kernel/bpf/cgroup.c) with the
//! `struct bpf_sock_addr` view of the user's sockaddr
//! (`sock_addr_convert_ctx_access`, net/core/filter.c).

use crate::events::cgroup::{
    apply_task, cg_verdict, family, ip_string, object, opt_int, opt_ip, outcome, protocol, put32,
    run_hook, sock_type, verdict_action, SockDesc, AF_INET, AF_INET6, SOCK_KEYS,
};
use crate::events::{EventDriver, EventError, EventOutcome};
use crate::drivers::{ExtraRegion, LoadedProgram};
use crate::events::sockets::SockState;
use crate::helpers::cgroup::CgroupRun;
use crate::host::HostState;
use bpfbox_interp::RegionKind;
use serde_json::{json, Map, Value};
use std::net::IpAddr;

/// `struct bpf_sock_addr` size.
pub const CTX_SIZE: usize = 72;

/// The syscall a sock_addr hook sits in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// bind() (`BPF_CGROUP_INET{4,6}_BIND`).
    Bind,
    /// connect().
    Connect,
    /// sendmsg()/sendto() on UDP.
    Sendmsg,
    /// recvmsg()/recvfrom() on UDP (rewrites the reported source).
    Recvmsg,
    /// getpeername().
    Getpeername,
    /// getsockname().
    Getsockname,
}

impl Op {
    fn name(self) -> &'static str {
        match self {
            Op::Bind => "bind",
            Op::Connect => "connect",
            Op::Sendmsg => "sendmsg",
            Op::Recvmsg => "recvmsg",
            Op::Getpeername => "getpeername",
            Op::Getsockname => "getsockname",
        }
    }

    /// Hooks whose verdict the syscall obeys (the others only report an
    /// address and must return 1).
    fn decides(self) -> bool {
        matches!(self, Op::Bind | Op::Connect | Op::Sendmsg)
    }
}

/// The hook of an expected attach type: (operation, family).
pub fn hook_of(expected_attach_type: u32) -> Option<(Op, u32)> {
    Some(match expected_attach_type {
        8 => (Op::Bind, AF_INET),
        9 => (Op::Bind, AF_INET6),
        10 => (Op::Connect, AF_INET),
        11 => (Op::Connect, AF_INET6),
        14 => (Op::Sendmsg, AF_INET),
        15 => (Op::Sendmsg, AF_INET6),
        19 => (Op::Recvmsg, AF_INET),
        20 => (Op::Recvmsg, AF_INET6),
        29 => (Op::Getpeername, AF_INET),
        30 => (Op::Getpeername, AF_INET6),
        31 => (Op::Getsockname, AF_INET),
        32 => (Op::Getsockname, AF_INET6),
        _ => return None,
    })
}

const KEYS: &[&str] = &[
    "ip",
    "port",
    "user_family",
    "family",
    "type",
    "protocol",
    "msg_src_ip",
    "sk",
    "sockopts",
    "socket_cookie",
];

/// The schema, for `bpfbox fire --help` and `bpfbox types`.
pub const SCHEMA: &str = r#"CGROUP_SOCK_ADDR event: the sockaddr of one bind/connect/sendmsg/recvmsg/
getpeername/getsockname call (the hook is the program's attach type, e.g. cgroup/connect4).
  {"ip": "127.0.0.2", "port": 47010,         the user's address, port in host order
   "msg_src_ip": "10.0.0.1"?,                sendmsg only: source address (default 0.0.0.0 / ::)
   "family": "inet"|"inet6"?, "type": "stream"|"dgram"|"raw"?, "protocol": "tcp"|"udp"|N?
                                             the socket (defaults: the hook's family; stream
                                             for bind/connect/getpeername/getsockname, dgram
                                             for sendmsg/recvmsg; tcp/udp by type)
   "user_family": N?,                        sockaddr family (default: the socket's)
   "sk": {"src_ip", "src_port", "dst_ip", "dst_port", "state", "mark", ...}?  ctx->sk
   "sockopts": [{"level": N, "optname": N, "value": 4|"cubic"}]?   options already set
   "socket_cookie": N?, "task": {...}?}
ctx (struct bpf_sock_addr): user_ip4/user_ip6 and user_port (network order) are what the
program may rewrite; msg_src_ip4/6 too for sendmsg.
Result: bind/connect/sendmsg: "allow" (with the rewritten destination) or "deny: EPERM"
(or the bpf_set_retval errno); bind return 3 also skips the CAP_NET_BIND_SERVICE check;
recvmsg/getpeername/getsockname: "report <address>". effects {"ip", "port", "rewritten",
"msg_src_ip"?, "bypass_cap_net_bind_service"?, "calls" (bpf_bind/bpf_setsockopt)?}.
Example (connect4): {"ip": "127.0.0.2", "port": 47010}"#;

/// What the event describes, ready to run.
#[derive(Debug)]
pub struct Prepared {
    /// The hook.
    pub op: Op,
    /// The ctx image (its `sk` field is filled in at run time).
    pub ctx: [u8; CTX_SIZE],
    /// `ctx->sk`.
    pub sk: SockDesc,
    /// Options already set on the socket (for `bpf_getsockopt`).
    pub sockopts: SockState,
}

/// Builds the ctx of an event for the hook of `expected_attach_type`.
pub fn prepare(
    expected_attach_type: u32,
    obj: &Map<String, Value>,
) -> Result<Prepared, EventError> {
    let (op, hook_family) = hook_of(expected_attach_type).ok_or_else(|| {
        EventError::new(format!(
            "bpfbox does not fire cgroup_sock_addr programs of attach type {expected_attach_type} (unix socket hooks are not modelled)"
        ))
    })?;
    let default_type = if matches!(op, Op::Sendmsg | Op::Recvmsg) {
        2
    } else {
        1
    };
    let fam = family(obj, "family")?.unwrap_or(hook_family);
    if fam != AF_INET && fam != AF_INET6 {
        return Err(EventError::new(format!(
            "`family`: the hook runs only on AF_INET/AF_INET6 sockets, got {fam}"
        )));
    }
    let ty = sock_type(obj, "type")?.unwrap_or(default_type);
    let proto = protocol(obj, "protocol")?.unwrap_or(match ty {
        1 => 6,
        2 => 17,
        _ => 0,
    });
    let ip = opt_ip(obj, "ip")?;
    let want_v6 = hook_family == AF_INET6;
    let ip_bytes = match ip {
        None => vec![0u8; if want_v6 { 16 } else { 4 }],
        Some(IpAddr::V4(a)) if !want_v6 => a.octets().to_vec(),
        Some(IpAddr::V6(a)) if want_v6 => a.octets().to_vec(),
        Some(a) => {
            return Err(EventError::new(format!(
                "`ip`: {a} is not an {} address, which the {}{} hook takes",
                if want_v6 { "IPv6" } else { "IPv4" },
                op.name(),
                if want_v6 { 6 } else { 4 }
            )))
        }
    };
    let port: u16 = opt_int(obj, "port")?.unwrap_or(0);
    let user_family: u32 = opt_int(obj, "user_family")?.unwrap_or(hook_family);
    let mut ctx = [0u8; CTX_SIZE];
    put32(&mut ctx, 0, user_family);
    if want_v6 {
        ctx[8..24].copy_from_slice(&ip_bytes);
    } else {
        ctx[4..8].copy_from_slice(&ip_bytes);
    }
    ctx[24..26].copy_from_slice(&port.to_be_bytes());
    put32(&mut ctx, 28, fam);
    put32(&mut ctx, 32, ty);
    put32(&mut ctx, 36, proto);
    match (opt_ip(obj, "msg_src_ip")?, op) {
        (None, _) => {}
        (Some(IpAddr::V4(a)), Op::Sendmsg) if !want_v6 => ctx[40..44].copy_from_slice(&a.octets()),
        (Some(IpAddr::V6(a)), Op::Sendmsg) if want_v6 => ctx[44..60].copy_from_slice(&a.octets()),
        (Some(a), Op::Sendmsg) => {
            return Err(EventError::new(format!(
                "`msg_src_ip`: {a} is not of the hook's family"
            )))
        }
        (Some(_), _) => {
            return Err(EventError::new(
                "`msg_src_ip` is only meaningful for sendmsg hooks",
            ))
        }
    }
    let sk = match obj.get("sk") {
        None => SockDesc::fresh(fam, ty, proto),
        Some(Value::Object(o)) => {
            for k in o.keys() {
                if !SOCK_KEYS.contains(&k.as_str()) {
                    return Err(EventError::new(format!(
                        "unknown key `{k}` in `sk` (known: {})",
                        SOCK_KEYS.join(", ")
                    )));
                }
            }
            let mut o = o.clone();
            o.entry("family").or_insert(json!(fam));
            o.entry("type").or_insert(json!(ty));
            o.entry("protocol").or_insert(json!(proto));
            SockDesc::parse(&o, fam, ty)?
        }
        Some(v) => return Err(EventError::new(format!("`sk` must be an object, got {v}"))),
    };
    let sockopts = match obj.get("sockopts") {
        Some(v) => crate::events::cgroup::parse_sockopts(v)?,
        None => SockState::default(),
    };
    Ok(Prepared {
        op,
        ctx,
        sk,
        sockopts,
    })
}

/// The user address in a ctx image as (address text, port): `user_ip6`
/// for the hooks of IPv6 sockets, `user_ip4` otherwise.
pub fn user_addr(ctx: &[u8; CTX_SIZE], v6: bool) -> (String, u16) {
    let ip = if v6 {
        ip_string(&ctx[8..24])
    } else {
        ip_string(&ctx[4..8])
    };
    (ip, u16::from_be_bytes([ctx[24], ctx[25]]))
}

fn fire(
    prog: &LoadedProgram,
    host: &mut HostState,
    ev: &Value,
) -> Result<EventOutcome, EventError> {
    let obj = object(ev, "cgroup_sock_addr", KEYS)?;
    let Prepared {
        op,
        mut ctx,
        sk,
        sockopts,
    } = prepare(prog.expected_attach_type, obj)?;
    apply_task(host, obj)?;
    if let Some(c) = opt_int::<i64>(obj, "socket_cookie")? {
        host.socket_cookie = c as u64;
    }
    let v6 = hook_of(prog.expected_attach_type).is_some_and(|(_, f)| f == AF_INET6);
    let before = user_addr(&ctx, v6);
    let src_before = if v6 {
        ctx[44..60].to_vec()
    } else {
        ctx[40..44].to_vec()
    };
    let mut sk_img = sk.image();
    let mut extra = [ExtraRegion {
        bytes: &mut sk_img,
        writable: false,
        kind: RegionKind::ReadOnly,
    }];
    let sk_addr = extra[0].addr();
    ctx[64..72].copy_from_slice(&sk_addr.to_le_bytes());
    let state = CgroupRun {
        socket: Some(sk),
        sock_state: sockopts,
        ..Default::default()
    };
    let run = run_hook(prog, host, &mut ctx, &mut extra, state)?;
    let after = user_addr(&ctx, v6);
    let rewritten = after != before;
    let addr_text = |(ip, port): &(String, u16)| {
        if v6 {
            format!("[{ip}]:{port}")
        } else {
            format!("{ip}:{port}")
        }
    };
    let mut effects = Map::new();
    effects.insert("ip".into(), json!(after.0));
    effects.insert("port".into(), json!(after.1));
    effects.insert("rewritten".into(), json!(rewritten));
    if op == Op::Sendmsg {
        let src = if v6 { &ctx[44..60] } else { &ctx[40..44] };
        effects.insert("msg_src_ip".into(), json!(ip_string(src)));
        effects.insert(
            "msg_src_rewritten".into(),
            json!(src != src_before.as_slice()),
        );
    }
    let action = if op.decides() {
        let (ret, flags) = cg_verdict(run.r0, run.state.retval, op == Op::Bind);
        if op == Op::Bind {
            effects.insert(
                "bypass_cap_net_bind_service".into(),
                json!(ret == 0 && flags & 1 != 0),
            );
        }
        let mut a = verdict_action(ret);
        if ret == 0 {
            let verb = match op {
                Op::Bind => "bind to",
                Op::Connect => "connect to",
                _ => "send to",
            };
            a = format!("allow: {verb} {}", addr_text(&after));
            if op == Op::Bind && flags & 1 != 0 {
                a.push_str(" (no CAP_NET_BIND_SERVICE check)");
            }
        }
        a
    } else {
        format!("report {}", addr_text(&after))
    };
    if !run.state.calls.is_empty() {
        effects.insert("calls".into(), Value::Array(run.state.calls));
    }
    Ok(outcome(run.r0, action, effects, run.trace))
}

/// The CGROUP_SOCK_ADDR driver.
pub static DRIVER: EventDriver = EventDriver {
    schema: SCHEMA,
    fire,
};

#[cfg(test)]
mod tests {
    use crate::events::cgroup::get32;
    use super::*;

    #[test]
    fn ctx_layout_of_a_connect4() {
        let ev = json!({"ip": "127.0.0.2", "port": 47010});
        let p = prepare(10, ev.as_object().unwrap()).unwrap();
        assert_eq!(p.op, Op::Connect);
        assert_eq!(get32(&p.ctx, 0), 2);
        assert_eq!(&p.ctx[4..8], &[127, 0, 0, 2]);
        assert_eq!(&p.ctx[24..28], &[0xb7, 0xa2, 0, 0]);
        assert_eq!(
            (get32(&p.ctx, 28), get32(&p.ctx, 32), get32(&p.ctx, 36)),
            (2, 1, 6)
        );
        assert_eq!(user_addr(&p.ctx, false), ("127.0.0.2".to_string(), 47010));
    }

    #[test]
    fn v6_and_sendmsg_fields() {
        let ev = json!({"ip": "::2", "port": 53, "msg_src_ip": "::5"});
        let p = prepare(15, ev.as_object().unwrap()).unwrap();
        assert_eq!(p.ctx[23], 2);
        assert_eq!(p.ctx[59], 5);
        assert_eq!(get32(&p.ctx, 32), 2); // dgram
        assert_eq!(user_addr(&p.ctx, true), ("::2".to_string(), 53));
    }

    #[test]
    fn wrong_shapes_are_refused() {
        let o = |v: Value| v.as_object().unwrap().clone();
        assert!(prepare(10, &o(json!({"ip": "::1"})))
            .unwrap_err()
            .to_string()
            .contains("not an IPv4"));
        assert!(prepare(10, &o(json!({"ip": "1.2.3.4", "msg_src_ip": "1.1.1.1"}))).is_err());
        assert!(prepare(10, &o(json!({"port": 70000}))).is_err());
        assert!(prepare(49, &o(json!({})))
            .unwrap_err()
            .to_string()
            .contains("unix"));
        assert!(prepare(10, &o(json!({"sk": {"colour": 1}}))).is_err());
    }
}

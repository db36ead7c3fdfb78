//! CGROUP_SOCKOPT events: a setsockopt() (the program runs before the
//! kernel's handler, `__cgroup_bpf_run_filter_setsockopt`) or a
//! getsockopt() (after it, `__cgroup_bpf_run_filter_getsockopt`), with
//! `struct bpf_sockopt` as ctx and the option bytes as a packet-like
//! `optval`..`optval_end` window of at most a page.

use crate::events::cgroup::{
    apply_task, cg_verdict, get32, hex, is_err_value, object, opt_bytes, opt_int, outcome, put32,
    run_hook, SockDesc, AF_INET, SOCK_KEYS,
};
use crate::events::{EventDriver, EventError, EventOutcome};
use crate::drivers::{ExtraRegion, LoadedProgram};
use crate::helpers::cgroup::CgroupRun;
use crate::helpers::sysctl::PAGE_SIZE;
use crate::host::HostState;
use bpfbox_interp::RegionKind;
use serde_json::{json, Map, Value};

/// `struct bpf_sockopt` size.
pub const CTX_SIZE: usize = 40;
/// Offset of `retval` in the ctx.
const RETVAL_OFF: usize = 36;
/// `EFAULT`.
use bpfbox_uapi::errno::EFAULT;

const KEYS: &[&str] = &[
    "level",
    "optname",
    "optval",
    "optlen",
    "retval",
    "sk",
    "socket_cookie",
];

/// The schema, for `bpfbox fire --help` and `bpfbox types`.
pub const SCHEMA: &str = r#"CGROUP_SOCKOPT event: one setsockopt() or getsockopt() (the hook is the program's
attach type: cgroup/setsockopt or cgroup/getsockopt).
  {"level": N|"SOL_SOCKET"|"SOL_IP"|"SOL_TCP"|"SOL_IPV6"|"SOL_UDP",
   "optname": N|"SO_MARK"|"SO_SNDBUF"|"SO_RCVBUF"|"SO_PRIORITY"|"IP_TOS"|"TCP_CONGESTION"|...,
   "optval": 4 | "cubic" | {"hex": "0a0b"},  setsockopt: the caller's bytes (an integer is a
                                             4-byte int); getsockopt: what the kernel's handler
                                             returned (default: nothing)
   "optlen": N?,                             setsockopt: the caller's optlen (default: optval's
                                             length); getsockopt: the caller's buffer size
                                             (default: optval's length, at least 4)
   "retval": N?,                             getsockopt: the handler's result (0 or -errno)
   "sk": {...}?, "sockopts": [{"level", "optname", "value"}]?, "socket_cookie": N?, "task": {...}?}
ctx (struct bpf_sockopt): sk, optval/optval_end (a zero-filled buffer of max(16, optlen) bytes for
setsockopt and optlen bytes for getsockopt, at most a page), level, optname, optlen, retval
(getsockopt; the same value as bpf_get_retval).
Result, setsockopt: "deny: EPERM", "bypass: setsockopt() returns 0" (optlen -1), "fail: EFAULT"
(optlen out of range), or "allow" with effects {"level", "optname", "optval", "optlen"} that the
kernel's handler gets (the original bytes when the program left optlen 0).
getsockopt: "deny: EPERM"/"fail: <errno>" or "allow" with effects {"optval", "optlen", "retval"}
that the caller gets.
Example (getsockopt): {"level": "SOL_SOCKET", "optname": "SO_MARK", "optval": 7}"#;

fn level_of(v: &Value) -> Result<i32, EventError> {
    const NAMES: &[(&str, i32)] = &[
        ("SOL_IP", 0),
        ("SOL_SOCKET", 1),
        ("SOL_TCP", 6),
        ("SOL_UDP", 17),
        ("SOL_IPV6", 41),
    ];
    named_int(v, "level", NAMES)
}

fn optname_of(v: &Value, level: i32) -> Result<i32, EventError> {
    let names: &[(&str, i32)] = match level {
        1 => &[
            ("SO_REUSEADDR", 2),
            ("SO_SNDBUF", 7),
            ("SO_RCVBUF", 8),
            ("SO_KEEPALIVE", 9),
            ("SO_PRIORITY", 12),
            ("SO_LINGER", 13),
            ("SO_REUSEPORT", 15),
            ("SO_RCVLOWAT", 18),
            ("SO_BINDTODEVICE", 25),
            ("SO_MARK", 36),
        ],
        0 => &[("IP_TOS", 1), ("IP_TTL", 2), ("IP_FREEBIND", 15)],
        6 => &[
            ("TCP_NODELAY", 1),
            ("TCP_MAXSEG", 2),
            ("TCP_KEEPIDLE", 4),
            ("TCP_KEEPINTVL", 5),
            ("TCP_KEEPCNT", 6),
            ("TCP_CONGESTION", 13),
            ("TCP_USER_TIMEOUT", 18),
        ],
        41 => &[
            ("IPV6_UNICAST_HOPS", 16),
            ("IPV6_V6ONLY", 26),
            ("IPV6_TCLASS", 67),
        ],
        _ => &[],
    };
    named_int(v, "optname", names)
}

fn named_int(v: &Value, key: &str, names: &[(&str, i32)]) -> Result<i32, EventError> {
    match v {
        Value::String(s) => names
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(s))
            .map(|(_, n)| *n)
            .ok_or_else(|| {
                let known: Vec<&str> = names.iter().map(|(n, _)| *n).collect();
                EventError::new(format!(
                    "`{key}`: unknown name `{s}` here (known: {}; or give the number)",
                    if known.is_empty() {
                        "none".to_string()
                    } else {
                        known.join(", ")
                    }
                ))
            }),
        Value::Number(n) => n
            .as_i64()
            .and_then(|n| i32::try_from(n).ok())
            .ok_or_else(|| EventError::new(format!("`{key}`: {n} is not an int"))),
        v => Err(EventError::new(format!(
            "`{key}`: expected a name or an integer, got {v}"
        ))),
    }
}

/// The parsed event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SockoptCall {
    /// `level`.
    pub level: i32,
    /// `optname`.
    pub optname: i32,
    /// setsockopt: the caller's bytes; getsockopt: what the handler
    /// returned.
    pub optval: Vec<u8>,
    /// The caller's `optlen`.
    pub optlen: i32,
    /// getsockopt: the handler's result.
    pub retval: i32,
}

/// Reads the event's option fields.
pub fn parse(obj: &Map<String, Value>, get: bool) -> Result<SockoptCall, EventError> {
    let level = level_of(
        obj.get("level")
            .ok_or_else(|| EventError::new("a cgroup_sockopt event needs `level`"))?,
    )?;
    let optname = optname_of(
        obj.get("optname")
            .ok_or_else(|| EventError::new("a cgroup_sockopt event needs `optname`"))?,
        level,
    )?;
    let optval = opt_bytes(obj, "optval")?.unwrap_or_default();
    let default_len = if get {
        optval.len().max(4)
    } else {
        optval.len()
    };
    let optlen: i32 = opt_int(obj, "optlen")?.unwrap_or(default_len as i32);
    if optlen < 0 {
        return Err(EventError::new(
            "`optlen` must not be negative (the syscall fails with EINVAL before the hook)",
        ));
    }
    let retval: i32 = opt_int(obj, "retval")?.unwrap_or(0);
    if !get && obj.contains_key("retval") {
        return Err(EventError::new(
            "`retval` is the getsockopt handler's result; setsockopt has none",
        ));
    }
    if retval > 0 {
        return Err(EventError::new("`retval` must be 0 or a negative errno"));
    }
    Ok(SockoptCall {
        level,
        optname,
        optval,
        optlen,
        retval,
    })
}

fn fire(
    prog: &LoadedProgram,
    host: &mut HostState,
    ev: &Value,
) -> Result<EventOutcome, EventError> {
    let obj = object(ev, "cgroup_sockopt", KEYS)?;
    let get = match prog.expected_attach_type {
        21 => true,
        22 => false,
        t => {
            return Err(EventError::new(format!(
                "attach type {t} is not a cgroup_sockopt hook"
            )))
        }
    };
    let call = parse(obj, get)?;
    apply_task(host, obj)?;
    if let Some(c) = opt_int::<i64>(obj, "socket_cookie")? {
        host.socket_cookie = c as u64;
    }
    let sk = match obj.get("sk") {
        None => SockDesc::fresh(AF_INET, 1, 6),
        Some(Value::Object(o)) => {
            if let Some(k) = o.keys().find(|k| !SOCK_KEYS.contains(&k.as_str())) {
                return Err(EventError::new(format!(
                    "unknown key `{k}` in `sk` (known: {})",
                    SOCK_KEYS.join(", ")
                )));
            }
            SockDesc::parse(o, AF_INET, 1)?
        }
        Some(v) => return Err(EventError::new(format!("`sk` must be an object, got {v}"))),
    };
    let sockopts = match obj.get("sockopts") {
        Some(v) => crate::events::cgroup::parse_sockopts(v)?,
        None => Default::default(),
    };
    let state = CgroupRun {
        socket: Some(sk),
        sock_state: sockopts,
        ..Default::default()
    };
    if get {
        fire_get(prog, host, &call, state)
    } else {
        fire_set(prog, host, &call, state)
    }
}

/// Runs the program on a ctx with `buf` as the optval window.
fn run(
    prog: &LoadedProgram,
    host: &mut HostState,
    call: &SockoptCall,
    ctx_optlen: i32,
    buf: &mut [u8],
    get: bool,
    mut state: CgroupRun,
) -> Result<([u8; CTX_SIZE], crate::events::cgroup::HookRun), EventError> {
    let mut sk_img = state
        .socket
        .as_ref()
        .map_or([0u8; crate::events::cgroup::BPF_SOCK_SIZE], SockDesc::image);
    let mut ctx = [0u8; CTX_SIZE];
    let mut extra = [
        ExtraRegion {
            bytes: &mut sk_img,
            writable: false,
            kind: RegionKind::ReadOnly,
        },
        ExtraRegion {
            bytes: buf,
            writable: true,
            kind: RegionKind::Packet,
        },
    ];
    let sk_addr = extra[0].addr();
    let start = extra[1].addr();
    let end = start + extra[1].bytes.len() as u64;
    ctx[0..8].copy_from_slice(&sk_addr.to_le_bytes());
    ctx[8..16].copy_from_slice(&start.to_le_bytes());
    ctx[16..24].copy_from_slice(&end.to_le_bytes());
    put32(&mut ctx, 24, call.level as u32);
    put32(&mut ctx, 28, call.optname as u32);
    put32(&mut ctx, 32, ctx_optlen as u32);
    if get {
        put32(&mut ctx, RETVAL_OFF, call.retval as u32);
        state.retval = call.retval;
        state.retval_in_ctx = Some(RETVAL_OFF as u64);
    }
    let run = run_hook(prog, host, &mut ctx, &mut extra, state)?;
    Ok((ctx, run))
}

fn fire_set(
    prog: &LoadedProgram,
    host: &mut HostState,
    call: &SockoptCall,
    state: CgroupRun,
) -> Result<EventOutcome, EventError> {
    let max_optlen = (call.optlen.max(16) as usize).min(PAGE_SIZE);
    let mut buf = vec![0u8; max_optlen];
    let n = (call.optlen as usize).min(max_optlen);
    let mut user = call.optval.clone();
    user.resize(call.optlen as usize, 0);
    buf[..n].copy_from_slice(&user[..n]);
    let (ctx, run) = run(prog, host, call, call.optlen, &mut buf, false, state)?;
    let (ret, _) = cg_verdict(run.r0, run.state.retval, false);
    let optlen = get32(&ctx, 32) as i32;
    let mut effects = Map::new();
    let action = if ret != 0 {
        crate::events::cgroup::verdict_action(ret)
    } else if optlen == -1 {
        "bypass: setsockopt() returns 0 without the kernel's handler".to_string()
    } else if optlen > max_optlen as i32 || optlen < -1 {
        if call.optlen as usize > PAGE_SIZE && optlen >= 0 {
            effects.insert("level".into(), json!(call.level));
            effects.insert("optname".into(), json!(call.optname));
            effects.insert("optval".into(), json!(hex(&user)));
            effects.insert("optlen".into(), json!(call.optlen));
            "allow: the program's buffer is ignored (optlen beyond a page); the handler gets the original option".to_string()
        } else {
            format!(
                "fail: {} (optlen {optlen} out of range)",
                crate::events::cgroup::errno_text(EFAULT)
            )
        }
    } else {
        let (level, optname) = (get32(&ctx, 24) as i32, get32(&ctx, 28) as i32);
        let (val, len) = if optlen != 0 {
            (buf[..optlen as usize].to_vec(), optlen)
        } else {
            (user.clone(), call.optlen)
        };
        effects.insert("level".into(), json!(level));
        effects.insert("optname".into(), json!(optname));
        effects.insert("optval".into(), json!(hex(&val)));
        effects.insert("optlen".into(), json!(len));
        effects.insert(
            "modified".into(),
            json!(optlen != 0 || level != call.level || optname != call.optname),
        );
        "allow".to_string()
    };
    if !run.state.calls.is_empty() {
        effects.insert("calls".into(), Value::Array(run.state.calls));
    }
    Ok(outcome(run.r0, action, effects, run.trace))
}

fn fire_get(
    prog: &LoadedProgram,
    host: &mut HostState,
    call: &SockoptCall,
    state: CgroupRun,
) -> Result<EventOutcome, EventError> {
    let user_len = call.optlen;
    let max_optlen = (user_len as usize).min(PAGE_SIZE);
    let mut buf = vec![0u8; max_optlen];
    let mut ctx_optlen = user_len;
    let mut orig_optlen = user_len;
    if call.retval == 0 {
        // the handler's result is copied back from the caller's buffer
        let returned = (call.optval.len() as i32).min(user_len);
        ctx_optlen = returned;
        orig_optlen = returned;
        let n = (returned as usize).min(max_optlen);
        buf[..n].copy_from_slice(&call.optval[..n]);
    }
    let (ctx, run) = run(prog, host, call, ctx_optlen, &mut buf, true, state)?;
    let final_retval = get32(&ctx, RETVAL_OFF) as i32;
    let (ret, _) = cg_verdict(run.r0, final_retval, false);
    let optlen = get32(&ctx, 32) as i32;
    let mut effects = Map::new();
    let action = if ret < 0 {
        if is_err_value(ret) && call.retval == ret && run.r0 as u32 != 0 {
            format!(
                "fail: {} (the handler's error, kept)",
                crate::events::cgroup::errno_text(-ret)
            )
        } else {
            crate::events::cgroup::verdict_action(ret)
        }
    } else if optlen > max_optlen as i32 || optlen < 0 {
        if orig_optlen as usize > PAGE_SIZE && optlen >= 0 {
            effects.insert("retval".into(), json!(call.retval));
            "allow: the program's buffer is ignored (optlen beyond a page)".to_string()
        } else {
            format!(
                "fail: {} (optlen {optlen} out of range)",
                crate::events::cgroup::errno_text(EFAULT)
            )
        }
    } else {
        effects.insert("retval".into(), json!(ret));
        if optlen != 0 {
            effects.insert("optval".into(), json!(hex(&buf[..optlen as usize])));
            effects.insert("optlen".into(), json!(optlen));
        } else {
            effects.insert("optlen_unchanged".into(), json!(true));
        }
        if ret == 0 {
            "allow".to_string()
        } else {
            format!("allow, getsockopt() returns {ret}")
        }
    };
    if !run.state.calls.is_empty() {
        effects.insert("calls".into(), Value::Array(run.state.calls));
    }
    Ok(outcome(run.r0, action, effects, run.trace))
}

/// The CGROUP_SOCKOPT driver.
pub static DRIVER: EventDriver = EventDriver {
    schema: SCHEMA,
    fire,
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_names_and_defaults() {
        let ev = json!({"level": "SOL_SOCKET", "optname": "SO_MARK", "optval": 7});
        let c = parse(ev.as_object().unwrap(), false).unwrap();
        assert_eq!((c.level, c.optname, c.optlen), (1, 36, 4));
        assert_eq!(c.optval, vec![7, 0, 0, 0]);
        let ev = json!({"level": 6, "optname": "TCP_CONGESTION"});
        let c = parse(ev.as_object().unwrap(), true).unwrap();
        assert_eq!((c.optname, c.optlen), (13, 4));
        for bad in [
            json!({"level": "SOL_X", "optname": 1}),
            json!({"level": 1}),
            json!({"level": 1, "optname": "IP_TOS"}),
            json!({"level": 1, "optname": 1, "optlen": -1}),
        ] {
            assert!(parse(bad.as_object().unwrap(), false).is_err(), "{bad}");
        }
        let ev = json!({"level": 1, "optname": 1, "retval": -92});
        assert!(parse(ev.as_object().unwrap(), false).is_err());
        assert_eq!(parse(ev.as_object().unwrap(), true).unwrap().retval, -92);
    }
}

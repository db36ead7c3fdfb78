//! What the cgroup event drivers share: running a program at a cgroup hook
//! the way `bpf_prog_run_array_cg` (kernel/bpf/cgroup.c) does, turning
//! the hook's result into an action, the task and socket descriptions
//! events carry, and small JSON readers.
//!
//! The drivers: [`crate::types::cgroup_device::event`] (CGROUP_DEVICE),
//! [`crate::types::cgroup_sock::event`] (CGROUP_SOCK), [`crate::types::cgroup_sock_addr::event`]
//! (CGROUP_SOCK_ADDR), [`crate::types::cgroup_sysctl::event`] (CGROUP_SYSCTL) and
//! [`crate::types::cgroup_sockopt::event`] (CGROUP_SOCKOPT).
//!
//! Common event keys (every cgroup event accepts them):
//! * `task`: `{"pid", "tgid", "uid", "gid", "comm", "cgroup_id"}` — the
//!   task the hook runs in (`bpf_get_current_pid_tgid`, `_uid_gid`,
//!   `_comm`, `_cgroup_id`); defaults pid = tgid = 1000, uid = gid = 0,
//!   comm "bpfbox", cgroup_id 1.

use super::sockets::{OptVal, SockState};
use super::traceenv::{hex_bytes, int, to_hex};
use super::{EventError, EventOutcome};
use crate::drivers::{run_with_ctx, ExtraRegion, LoadedProgram};
use crate::helpers::cgroup::CgroupRun;
use crate::host::{HostState, Task};
use bpfbox_progtype::ret::errno_name;
use serde_json::{Map, Value};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Keys every cgroup event accepts besides its own.
pub const COMMON_KEYS: &[&str] = &["task"];

/// `IS_ERR_VALUE((long)retval)`: an errno in `[-4095, -1]`.
pub fn is_err_value(retval: i32) -> bool {
    (-4095..0).contains(&retval)
}

/// One program's step of `bpf_prog_run_array_cg`: with `ret_flags` (bind
/// hooks) bit 1 of r0 goes to the flags and only bit 0 decides; a 0
/// verdict turns a non-error `run_ctx.retval` into `-EPERM`. Returns the
/// new `run_ctx.retval` and the flags bits.
pub fn cg_verdict(r0: u64, retval: i32, ret_flags: bool) -> (i32, u32) {
    let mut func_ret = r0 as u32;
    let mut flags = 0;
    if ret_flags {
        flags = func_ret >> 1;
        func_ret &= 1;
    }
    if func_ret == 0 && !is_err_value(retval) {
        (-1, flags)
    } else {
        (retval, flags)
    }
}

/// An errno's name (`EPERM`, `ENOPROTOOPT`), or `errno N`.
pub fn errno_text(e: i32) -> String {
    const MORE: &[(i32, &str)] = &[
        (92, "ENOPROTOOPT"),
        (95, "EOPNOTSUPP"),
        (97, "EAFNOSUPPORT"),
        (98, "EADDRINUSE"),
        (99, "EADDRNOTAVAIL"),
        (101, "ENETUNREACH"),
        (104, "ECONNRESET"),
        (110, "ETIMEDOUT"),
        (111, "ECONNREFUSED"),
        (113, "EHOSTUNREACH"),
        (524, "ENOTSUPP"),
    ];
    match MORE.iter().find(|(n, _)| *n == e) {
        Some((_, name)) => (*name).to_string(),
        None => errno_name(e),
    }
}

/// The hook's result in words: 0 → `allow`, an errno → `deny: EPERM`,
/// anything else (a positive `bpf_set_retval` value) as the number the
/// syscall gets.
pub fn verdict_action(ret: i32) -> String {
    match ret {
        0 => "allow".into(),
        r if is_err_value(r) => format!("deny: {}", errno_text(-r)),
        r => format!("allow, hook result {r} (set by bpf_set_retval)"),
    }
}

/// The result of running a program at a cgroup hook.
#[derive(Debug)]
pub struct HookRun {
    /// r0.
    pub r0: u64,
    /// The run state after the program (retval, recorded calls, sysctl).
    pub state: CgroupRun,
    /// Lines `bpf_trace_printk` printed during the run.
    pub trace: Vec<String>,
}

/// Runs `prog` once on `ctx` (and `extra`) with `state` as the run's
/// `bpf_cg_run_ctx`; a trap becomes an [`EventError`].
pub fn run_hook(
    prog: &LoadedProgram,
    host: &mut HostState,
    ctx: &mut [u8],
    extra: &mut [ExtraRegion<'_>],
    state: CgroupRun,
) -> Result<HookRun, EventError> {
    let before = host.trace.len();
    host.event.set(state);
    let run = run_with_ctx(prog, host, ctx, extra);
    let state = host.event.take::<CgroupRun>().unwrap_or_default();
    let trace = host
        .trace
        .get(before..)
        .map(<[String]>::to_vec)
        .unwrap_or_default();
    let run = run.map_err(EventError::Trapped)?;
    Ok(HookRun {
        r0: run.retval,
        state,
        trace,
    })
}

/// Builds the outcome of an event.
pub fn outcome(
    r0: u64,
    action: String,
    effects: Map<String, Value>,
    trace: Vec<String>,
) -> EventOutcome {
    EventOutcome {
        retval: r0,
        action,
        effects,
        trace,
    }
}

/// The event as a JSON object, refusing keys outside `allowed` and
/// [`COMMON_KEYS`].
pub fn object<'a>(
    ev: &'a Value,
    ty: &str,
    allowed: &[&str],
) -> Result<&'a Map<String, Value>, EventError> {
    super::json_object(ev, ty, allowed, COMMON_KEYS)
}

/// Sets `host.task` from the event's `task` (or the default task).
pub fn apply_task(host: &mut HostState, obj: &Map<String, Value>) -> Result<(), EventError> {
    host.task = match obj.get("task") {
        Some(v) => super::task_from_json(v)?.0,
        None => Task::default(),
    };
    Ok(())
}

/// An optional integer field that must fit `T`.
pub fn opt_int<T: TryFrom<i64>>(
    obj: &Map<String, Value>,
    key: &str,
) -> Result<Option<T>, EventError> {
    let Some(v) = obj.get(key) else {
        return Ok(None);
    };
    let n = match v {
        Value::Number(n) => n.as_i64().or_else(|| n.as_u64().map(|u| u as i64)),
        _ => int(v, key).ok().map(|u| u as i64),
    }
    .ok_or_else(|| EventError::new(format!("`{key}`: expected an integer, got {v}")))?;
    T::try_from(n)
        .map(Some)
        .map_err(|_| EventError::new(format!("`{key}`: {n} is out of range")))
}

/// An optional string field.
pub fn opt_str<'a>(obj: &'a Map<String, Value>, key: &str) -> Result<Option<&'a str>, EventError> {
    match obj.get(key) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(v) => Err(EventError::new(format!(
            "`{key}`: expected a string, got {v}"
        ))),
    }
}

/// An IP address field (`"127.0.0.1"`, `"::1"`).
pub fn opt_ip(obj: &Map<String, Value>, key: &str) -> Result<Option<IpAddr>, EventError> {
    opt_str(obj, key)?
        .map(|s| {
            s.parse::<IpAddr>()
                .map_err(|_| EventError::new(format!("`{key}`: `{s}` is not an IP address")))
        })
        .transpose()
}

/// A byte-string field: `"hex:0a0b"`/`{"hex": "0a0b"}` for bytes, a plain
/// string for its UTF-8 bytes, an integer for its 4 little-endian bytes
/// (an `int` socket option).
pub fn opt_bytes(obj: &Map<String, Value>, key: &str) -> Result<Option<Vec<u8>>, EventError> {
    let bad = || {
        EventError::new(format!(
            "`{key}`: expected a string, {{\"hex\": \"...\"}} or an integer"
        ))
    };
    match obj.get(key) {
        None => Ok(None),
        Some(Value::String(s)) => match s.strip_prefix("hex:") {
            Some(h) => hex_bytes(h).map(Some).ok_or_else(bad),
            None => Ok(Some(s.as_bytes().to_vec())),
        },
        Some(Value::Object(o)) => match o.get("hex") {
            Some(Value::String(h)) if o.len() == 1 => hex_bytes(h).map(Some).ok_or_else(bad),
            _ => Err(bad()),
        },
        Some(Value::Number(n)) => {
            let v = n
                .as_i64()
                .and_then(|v| {
                    i32::try_from(v)
                        .ok()
                        .or_else(|| u32::try_from(v).ok().map(|u| u as i32))
                })
                .ok_or_else(bad)?;
            Ok(Some(v.to_le_bytes().to_vec()))
        }
        Some(_) => Err(bad()),
    }
}

/// The event's `sockopts`: options already set on the hook's socket,
/// `[{"level": N, "optname": N, "value": 4 | "cubic"}]` (an integer for
/// an int option, a string for `TCP_CONGESTION`), for `bpf_getsockopt`.
pub fn parse_sockopts(v: &Value) -> Result<SockState, EventError> {
    let list = v
        .as_array()
        .ok_or_else(|| EventError::new("`sockopts` must be a list of {level, optname, value}"))?;
    let mut st = SockState::default();
    for (i, o) in list.iter().enumerate() {
        let o = o
            .as_object()
            .ok_or_else(|| EventError::new(format!("sockopts[{i}] must be an object")))?;
        let need = |k: &str| EventError::new(format!("sockopts[{i}] needs `{k}`"));
        let level: i32 = opt_int(o, "level")?.ok_or_else(|| need("level"))?;
        let optname: i32 = opt_int(o, "optname")?.ok_or_else(|| need("optname"))?;
        let val = match o.get("value") {
            Some(Value::String(s)) => OptVal::Name(s.clone()),
            Some(_) => OptVal::Int(opt_int(o, "value")?.unwrap_or(0)),
            None => return Err(need("value")),
        };
        st.opts.insert((level, optname), val);
    }
    Ok(st)
}

/// Lower-case hex of `b`.
pub fn hex(b: &[u8]) -> String {
    to_hex(b)
}

/// An address as text (4 bytes: IPv4, 16 bytes: IPv6, else hex).
pub fn ip_string(b: &[u8]) -> String {
    match b.len() {
        4 => Ipv4Addr::new(b[0], b[1], b[2], b[3]).to_string(),
        16 => {
            let mut a = [0u8; 16];
            a.copy_from_slice(b);
            Ipv6Addr::from(a).to_string()
        }
        _ => to_hex(b),
    }
}

/// `AF_INET`.
pub const AF_INET: u32 = 2;
/// `AF_INET6`.
pub const AF_INET6: u32 = 10;
/// `TCP_CLOSE`: the state of a socket that is neither connected nor
/// listening.
pub const TCP_CLOSE: u32 = 7;

/// A socket family by name (`inet`, `inet6`, `AF_INET`) or number.
pub fn family(obj: &Map<String, Value>, key: &str) -> Result<Option<u32>, EventError> {
    named(
        obj,
        key,
        &[
            ("inet", 2),
            ("af_inet", 2),
            ("inet6", 10),
            ("af_inet6", 10),
            ("unix", 1),
            ("af_unix", 1),
        ],
    )
}

/// A socket type by name (`stream`, `dgram`, `raw`) or number.
pub fn sock_type(obj: &Map<String, Value>, key: &str) -> Result<Option<u32>, EventError> {
    named(
        obj,
        key,
        &[
            ("stream", 1),
            ("sock_stream", 1),
            ("dgram", 2),
            ("sock_dgram", 2),
            ("raw", 3),
            ("sock_raw", 3),
        ],
    )
}

/// A protocol by name (`tcp`, `udp`, `icmp`, `icmpv6`) or number.
pub fn protocol(obj: &Map<String, Value>, key: &str) -> Result<Option<u32>, EventError> {
    named(
        obj,
        key,
        &[
            ("ip", 0),
            ("icmp", 1),
            ("tcp", 6),
            ("udp", 17),
            ("icmpv6", 58),
            ("sctp", 132),
            ("udplite", 136),
        ],
    )
}

fn named(
    obj: &Map<String, Value>,
    key: &str,
    names: &[(&str, u32)],
) -> Result<Option<u32>, EventError> {
    match obj.get(key) {
        None => Ok(None),
        Some(Value::String(s)) => names
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(s))
            .map(|(_, v)| Some(*v))
            .ok_or_else(|| {
                let known: Vec<&str> = names.iter().map(|(n, _)| *n).collect();
                EventError::new(format!(
                    "`{key}`: unknown name `{s}` (known: {}, or a number)",
                    known.join(", ")
                ))
            }),
        Some(_) => opt_int::<u32>(obj, key),
    }
}

/// `struct bpf_sock` size.
pub const BPF_SOCK_SIZE: usize = 80;

/// A socket as a `struct bpf_sock` shows it (CGROUP_SOCK's ctx, the `sk`
/// of sock_addr and sockopt contexts).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SockDesc {
    /// `sk_bound_dev_if`.
    pub bound_dev_if: u32,
    /// `AF_INET` / `AF_INET6`.
    pub family: u32,
    /// `SOCK_STREAM`, ...
    pub sock_type: u32,
    /// `IPPROTO_TCP`, ...
    pub protocol: u32,
    /// `sk_mark`.
    pub mark: u32,
    /// `sk_priority`.
    pub priority: u32,
    /// Local address (4 or 16 bytes; zero when unbound).
    pub src_ip: Vec<u8>,
    /// Local port, host order.
    pub src_port: u16,
    /// Remote address.
    pub dst_ip: Vec<u8>,
    /// Remote port, host order.
    pub dst_port: u16,
    /// `sk_state` (`TCP_CLOSE` = 7 for new sockets).
    pub state: u32,
    /// `sk_rx_queue_mapping` (-1: none recorded).
    pub rx_queue_mapping: i32,
}

/// Keys [`SockDesc::parse`] reads.
pub const SOCK_KEYS: &[&str] = &[
    "family",
    "type",
    "protocol",
    "bound_dev_if",
    "mark",
    "priority",
    "src_ip",
    "src_port",
    "dst_ip",
    "dst_port",
    "state",
    "rx_queue_mapping",
];

fn ip_bytes(ip: IpAddr) -> Vec<u8> {
    match ip {
        IpAddr::V4(a) => a.octets().to_vec(),
        IpAddr::V6(a) => a.octets().to_vec(),
    }
}

impl SockDesc {
    /// Reads [`SOCK_KEYS`] from `obj`; missing keys get the values of a
    /// fresh socket of `default_family`/`default_type`.
    pub fn parse(
        obj: &Map<String, Value>,
        default_family: u32,
        default_type: u32,
    ) -> Result<SockDesc, EventError> {
        let fam = family(obj, "family")?.unwrap_or(default_family);
        let ty = sock_type(obj, "type")?.unwrap_or(default_type);
        let proto = protocol(obj, "protocol")?.unwrap_or(match ty {
            1 => 6,
            2 => 17,
            _ => 0,
        });
        let addr = |key: &str| -> Result<Vec<u8>, EventError> {
            Ok(match opt_ip(obj, key)? {
                Some(ip) => {
                    let b = ip_bytes(ip);
                    let want = if fam == AF_INET6 { 16 } else { 4 };
                    if b.len() != want {
                        return Err(EventError::new(format!(
                            "`{key}`: {ip} is not an address of the socket's family"
                        )));
                    }
                    b
                }
                None => vec![0; if fam == AF_INET6 { 16 } else { 4 }],
            })
        };
        Ok(SockDesc {
            bound_dev_if: opt_int(obj, "bound_dev_if")?.unwrap_or(0),
            family: fam,
            sock_type: ty,
            protocol: proto,
            mark: opt_int(obj, "mark")?.unwrap_or(0),
            priority: opt_int(obj, "priority")?.unwrap_or(0),
            src_ip: addr("src_ip")?,
            src_port: opt_int(obj, "src_port")?.unwrap_or(0),
            dst_ip: addr("dst_ip")?,
            dst_port: opt_int(obj, "dst_port")?.unwrap_or(0),
            state: opt_int(obj, "state")?.unwrap_or(TCP_CLOSE),
            rx_queue_mapping: opt_int(obj, "rx_queue_mapping")?.unwrap_or(-1),
        })
    }

    /// A fresh, unbound socket.
    pub fn fresh(family: u32, sock_type: u32, protocol: u32) -> SockDesc {
        let n = if family == AF_INET6 { 16 } else { 4 };
        SockDesc {
            bound_dev_if: 0,
            family,
            sock_type,
            protocol,
            mark: 0,
            priority: 0,
            src_ip: vec![0; n],
            src_port: 0,
            dst_ip: vec![0; n],
            dst_port: 0,
            state: TCP_CLOSE,
            rx_queue_mapping: -1,
        }
    }

    /// The `struct bpf_sock` image (bound_dev_if@0, family@4, type@8,
    /// protocol@12, mark@16, priority@20, src_ip4@24, src_ip6@28,
    /// src_port@44 host order, dst_port@48 network order in the first two
    /// bytes, dst_ip4@52, dst_ip6@56, state@72, rx_queue_mapping@76).
    pub fn image(&self) -> [u8; BPF_SOCK_SIZE] {
        let mut b = [0u8; BPF_SOCK_SIZE];
        let put = |b: &mut [u8; BPF_SOCK_SIZE], off: usize, v: u32| {
            b[off..off + 4].copy_from_slice(&v.to_le_bytes())
        };
        put(&mut b, 0, self.bound_dev_if);
        put(&mut b, 4, self.family);
        put(&mut b, 8, self.sock_type);
        put(&mut b, 12, self.protocol);
        put(&mut b, 16, self.mark);
        put(&mut b, 20, self.priority);
        if self.src_ip.len() == 4 {
            b[24..28].copy_from_slice(&self.src_ip);
        } else if self.src_ip.len() == 16 {
            b[28..44].copy_from_slice(&self.src_ip);
        }
        put(&mut b, 44, u32::from(self.src_port));
        b[48..50].copy_from_slice(&self.dst_port.to_be_bytes());
        if self.dst_ip.len() == 4 {
            b[52..56].copy_from_slice(&self.dst_ip);
        } else if self.dst_ip.len() == 16 {
            b[56..72].copy_from_slice(&self.dst_ip);
        }
        put(&mut b, 72, self.state);
        put(&mut b, 76, self.rx_queue_mapping as u32);
        b
    }
}

/// Reads a little-endian u32 of a ctx image.
pub fn get32(b: &[u8], off: usize) -> u32 {
    let mut w = [0u8; 4];
    w.copy_from_slice(&b[off..off + 4]);
    u32::from_le_bytes(w)
}

/// Writes a little-endian u32 into a ctx image.
pub fn put32(b: &mut [u8], off: usize, v: u32) {
    b[off..off + 4].copy_from_slice(&v.to_le_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn verdicts_follow_bpf_prog_run_array_cg() {
        assert_eq!(cg_verdict(1, 0, false), (0, 0));
        assert_eq!(cg_verdict(0, 0, false), (-1, 0));
        // a 0 verdict keeps an errno set with bpf_set_retval
        assert_eq!(cg_verdict(0, -13, false), (-13, 0));
        // ... and 1 does not clear it
        assert_eq!(cg_verdict(1, -13, false), (-13, 0));
        // a positive retval is not an error: 0 turns it into EPERM
        assert_eq!(cg_verdict(0, 5, false), (-1, 0));
        // bind: bit 1 is a flag
        assert_eq!(cg_verdict(3, 0, true), (0, 1));
        assert_eq!(cg_verdict(2, 0, true), (-1, 1));
        // without ret_flags only 0 is a deny
        assert_eq!(cg_verdict(2, 0, false), (0, 0));
        assert_eq!(verdict_action(0), "allow");
        assert_eq!(verdict_action(-1), "deny: EPERM");
        assert_eq!(verdict_action(-13), "deny: EACCES");
    }

    #[test]
    fn sock_descriptions_parse_and_lay_out() {
        let ev = json!({"family": "inet", "type": "dgram", "src_ip": "10.0.0.1", "src_port": 53,
                        "dst_ip": "10.0.0.2", "dst_port": 4242, "mark": 7});
        let s = SockDesc::parse(ev.as_object().unwrap(), AF_INET, 1).unwrap();
        assert_eq!(
            (s.protocol, s.state, s.rx_queue_mapping),
            (17, TCP_CLOSE, -1)
        );
        let img = s.image();
        assert_eq!(get32(&img, 4), 2);
        assert_eq!(get32(&img, 8), 2);
        assert_eq!(&img[24..28], &[10, 0, 0, 1]);
        assert_eq!(get32(&img, 44), 53);
        assert_eq!(&img[48..52], &[0x10, 0x92, 0, 0]);
        assert_eq!(get32(&img, 16), 7);
        assert_eq!(get32(&img, 76), u32::MAX);
        let bad = json!({"family": "inet", "src_ip": "::1"});
        assert!(SockDesc::parse(bad.as_object().unwrap(), AF_INET, 1).is_err());
        let bad = json!({"type": "seqpacketx"});
        assert!(SockDesc::parse(bad.as_object().unwrap(), AF_INET, 1).is_err());
    }

    #[test]
    fn task_and_bytes_fields() {
        let mut h = HostState::default();
        let ev = json!({"task": {"pid": 42, "uid": 1000, "comm": "curl", "cgroup_id": 99}});
        apply_task(&mut h, ev.as_object().unwrap()).unwrap();
        assert_eq!(
            (h.task.pid, h.task.tgid, h.task.uid, h.task.cgroup_id),
            (42, 42, 1000, 99)
        );
        let bad = json!({"task": {"pdi": 1}});
        assert!(apply_task(&mut h, bad.as_object().unwrap()).is_err());
        let o = json!({"a": "cubic", "b": {"hex": "0102"}, "c": 7, "d": "hex:ff", "e": [1]});
        let o = o.as_object().unwrap();
        assert_eq!(opt_bytes(o, "a").unwrap().unwrap(), b"cubic");
        assert_eq!(opt_bytes(o, "b").unwrap().unwrap(), vec![1, 2]);
        assert_eq!(opt_bytes(o, "c").unwrap().unwrap(), vec![7, 0, 0, 0]);
        assert_eq!(opt_bytes(o, "d").unwrap().unwrap(), vec![0xff]);
        assert!(opt_bytes(o, "e").is_err());
    }
}

//! What the socket event drivers (sock_ops, sk_skb, sk_msg, sk_reuseport,
//! sk_lookup) share: JSON field readers, socket endpoints, the `struct
//! bpf_sock` image a ctx `sk` field points at, and the per-socket state that
//! persists across a sequence of events ([`SockWorld`]: sock_ops callback
//! flags and socket options set by programs).
//!
//! bpfbox has no sockets: a socket is a `u32` id the events name (default
//! 1); its cookie (`bpf_get_socket_cookie`, sockmap lookups) is its id.

use super::EventError;
use crate::host::HostState;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

/// `AF_INET`.
pub const AF_INET: u32 = 2;
/// `AF_INET6`.
pub const AF_INET6: u32 = 10;
/// `sizeof(struct bpf_sock)`.
pub const BPF_SOCK_SIZE: usize = 80;

/// The event as a JSON object whose keys are all in `keys` (a misspelt key
/// is an error, not a silent default).
pub fn object<'a>(
    ev: &'a Value,
    what: &str,
    keys: &[&str],
) -> Result<&'a Map<String, Value>, EventError> {
    super::json_object(ev, what, keys, &[])
}

/// An unsigned integer field (number, or a string in decimal or `0x` hex).
pub fn uint(v: &Value, key: &str) -> Result<u64, EventError> {
    let bad = || EventError::new(format!("`{key}` must be a non-negative integer, got {v}"));
    match v {
        Value::Number(n) => n.as_u64().ok_or_else(bad),
        Value::String(s) => match s.strip_prefix("0x") {
            Some(h) => u64::from_str_radix(h, 16).map_err(|_| bad()),
            None => s.parse().map_err(|_| bad()),
        },
        _ => Err(bad()),
    }
}

/// An optional u32 field with a default.
pub fn u32_or(obj: &Map<String, Value>, key: &str, default: u32) -> Result<u32, EventError> {
    match obj.get(key) {
        None => Ok(default),
        Some(v) => u32::try_from(uint(v, key)?)
            .map_err(|_| EventError::new(format!("`{key}` does not fit in 32 bits"))),
    }
}

/// An optional boolean field (`true`/`false` or 0/1).
pub fn bool_or(obj: &Map<String, Value>, key: &str, default: bool) -> Result<bool, EventError> {
    match obj.get(key) {
        None => Ok(default),
        Some(Value::Bool(b)) => Ok(*b),
        Some(v) => Ok(uint(v, key)? != 0),
    }
}

/// Bytes from a hex string (spaces and `:` allowed) or a list of numbers.
pub fn bytes(v: &Value, key: &str) -> Result<Vec<u8>, EventError> {
    match v {
        Value::String(s) => {
            let h: String = s
                .chars()
                .filter(|c| !c.is_whitespace() && *c != ':')
                .collect();
            if !h.is_ascii() {
                return Err(EventError::new(format!("`{key}` is not hex")));
            }
            if !h.len().is_multiple_of(2) {
                return Err(EventError::new(format!(
                    "`{key}` has an odd number of hex digits"
                )));
            }
            (0..h.len())
                .step_by(2)
                .map(|i| {
                    u8::from_str_radix(&h[i..i + 2], 16)
                        .map_err(|_| EventError::new(format!("`{key}` is not hex")))
                })
                .collect()
        }
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, x)| {
                u8::try_from(uint(x, key)?)
                    .map_err(|_| EventError::new(format!("{key}[{i}] is not a byte")))
            })
            .collect(),
        _ => Err(EventError::new(format!(
            "`{key}` must be a hex string or a list of bytes"
        ))),
    }
}

/// Lower-case hex of `b`.
pub fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// An `addr:port` endpoint (`"10.0.0.1:80"`, `"[::1]:443"`).
pub fn endpoint(
    obj: &Map<String, Value>,
    key: &str,
    default: &str,
) -> Result<SocketAddr, EventError> {
    let s = match obj.get(key) {
        None => default.to_string(),
        Some(Value::String(s)) => s.clone(),
        Some(v) => {
            return Err(EventError::new(format!(
                "`{key}` must be a string like \"10.0.0.1:80\" or \"[::1]:80\", got {v}"
            )))
        }
    };
    s.parse().map_err(|_| {
        EventError::new(format!(
            "`{key}` is not an address:port (\"10.0.0.1:80\", \"[::1]:80\"): {s}"
        ))
    })
}

/// A TCP state by number or name (`ESTABLISHED`, `SYN_SENT`, ...).
pub fn tcp_state(v: &Value) -> Result<u32, EventError> {
    const NAMES: &[&str] = &[
        "",
        "ESTABLISHED",
        "SYN_SENT",
        "SYN_RECV",
        "FIN_WAIT1",
        "FIN_WAIT2",
        "TIME_WAIT",
        "CLOSE",
        "CLOSE_WAIT",
        "LAST_ACK",
        "LISTEN",
        "CLOSING",
        "NEW_SYN_RECV",
        "BOUND_INACTIVE",
    ];
    if let Value::String(s) = v {
        let up = s.to_ascii_uppercase();
        let up = up.strip_prefix("TCP_").unwrap_or(&up);
        if let Some(i) = NAMES.iter().position(|n| !n.is_empty() && *n == up) {
            return Ok(i as u32);
        }
    }
    u32::try_from(uint(v, "state")?).map_err(|_| EventError::new("`state` is out of range"))
}

/// One socket as a hook sees it: family, local and remote endpoints,
/// TCP state, id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SockDesc {
    /// Socket id (and cookie).
    pub id: u32,
    /// Local endpoint.
    pub local: SocketAddr,
    /// Remote endpoint.
    pub remote: SocketAddr,
    /// TCP state (`BPF_TCP_*`).
    pub state: u32,
    /// `IPPROTO_TCP` or `IPPROTO_UDP`.
    pub protocol: u32,
}

impl SockDesc {
    /// `AF_INET` or `AF_INET6`, from the local address.
    pub fn family(&self) -> u32 {
        if self.local.is_ipv4() {
            AF_INET
        } else {
            AF_INET6
        }
    }
}

/// The 4 bytes of an IPv4 address (zero for IPv6).
pub fn ip4(a: &SocketAddr) -> [u8; 4] {
    match a.ip() {
        IpAddr::V4(v) => v.octets(),
        IpAddr::V6(_) => [0; 4],
    }
}

/// The 16 bytes of an IPv6 address (zero for IPv4).
pub fn ip6(a: &SocketAddr) -> [u8; 16] {
    match a.ip() {
        IpAddr::V6(v) => v.octets(),
        IpAddr::V4(_) => [0; 16],
    }
}

/// Unspecified IPv4 endpoint.
pub fn any4() -> SocketAddr {
    SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0)
}

/// Reads the socket fields common to socket events: `socket` (id,
/// default 1), `local`, `remote` (defaults given), `state` (default given),
/// protocol `tcp` unless `udp` is set.
pub fn sock_desc(
    obj: &Map<String, Value>,
    local: &str,
    remote: &str,
    state: u32,
    protocol: u32,
) -> Result<SockDesc, EventError> {
    let local = endpoint(obj, "local", local)?;
    let remote = endpoint(obj, "remote", remote)?;
    if local.is_ipv4() != remote.is_ipv4() {
        return Err(EventError::new(
            "`local` and `remote` must be of the same family",
        ));
    }
    Ok(SockDesc {
        id: u32_or(obj, "socket", 1)?,
        local,
        remote,
        state: match obj.get("state") {
            Some(v) => tcp_state(v)?,
            None => state,
        },
        protocol,
    })
}

fn put32(b: &mut [u8], off: usize, v: u32) {
    b[off..off + 4].copy_from_slice(&v.to_le_bytes());
}

/// The `struct bpf_sock` image of a socket (`bpf_sock_convert_ctx_access`):
/// `src_port` in host order, `dst_port` in network order in the low 16
/// bits, `rx_queue_mapping` -1.
pub fn bpf_sock_image(s: &SockDesc, mark: u32, priority: u32) -> [u8; BPF_SOCK_SIZE] {
    let mut b = [0u8; BPF_SOCK_SIZE];
    put32(&mut b, 4, s.family());
    put32(&mut b, 8, if s.protocol == 17 { 2 } else { 1 }); // SOCK_DGRAM / SOCK_STREAM
    put32(&mut b, 12, s.protocol);
    put32(&mut b, 16, mark);
    put32(&mut b, 20, priority);
    b[24..28].copy_from_slice(&ip4(&s.local));
    b[28..44].copy_from_slice(&ip6(&s.local));
    put32(&mut b, 44, u32::from(s.local.port()));
    b[48..50].copy_from_slice(&s.remote.port().to_be_bytes());
    b[52..56].copy_from_slice(&ip4(&s.remote));
    b[56..72].copy_from_slice(&ip6(&s.remote));
    put32(&mut b, 72, s.state);
    put32(&mut b, 76, u32::MAX);
    b
}

/// A socket option value a program set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OptVal {
    /// An `int` option.
    Int(i32),
    /// `TCP_CONGESTION`.
    Name(String),
}

/// Per-socket state programs change and later events see.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SockState {
    /// `tcp_sk(sk)->bpf_sock_ops_cb_flags`.
    pub cb_flags: u32,
    /// Options set by `bpf_setsockopt`, by (level, optname).
    pub opts: BTreeMap<(i32, i32), OptVal>,
    /// `sk->sk_txhash` if a program wrote it.
    pub txhash: Option<u32>,
    /// `tp->window_clamp` as an event gave it (`tcp.window_clamp`), what
    /// `getsockopt(TCP_WINDOW_CLAMP)` reads before a program sets it.
    pub window_clamp: Option<u32>,
    /// sk_msg: the psock's pending verdict (`psock->eval`) and its
    /// redirect target, kept while `apply_bytes` remain or after a drop.
    pub msg_eval: Option<MsgVerdict>,
    /// sk_msg: `psock->apply_bytes` still to cover.
    pub msg_apply: u32,
    /// sk_msg: `psock->cork`, the message struct a cork allocated; the
    /// kernel keeps using it (with its `apply_bytes`/`cork_bytes`) for
    /// every later send on the socket.
    pub msg_tx: Option<crate::types::sk_msg::event::MsgState>,
    /// sk_msg: `psock->cork_bytes`, bytes still missing to fill the cork.
    pub cork_left: u32,
}

/// A pending sk_msg verdict of a socket's psock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MsgVerdict {
    /// `__SK_PASS`.
    Pass,
    /// `__SK_REDIRECT` to (socket id, ingress).
    Redirect(u32, bool),
    /// `__SK_DROP`.
    Drop,
}

/// Sockets the events have named, with what programs did to them, and
/// host settings the socket helpers consult.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SockWorld {
    /// State by socket id.
    pub socks: BTreeMap<u32, SockState>,
    /// Congestion control algorithms registered (`TCP_CONGESTION` of an
    /// unknown name is `ENOENT`; programs cannot autoload modules).
    pub congestion: Vec<String>,
    /// The default algorithm (`net.ipv4.tcp_congestion_control`).
    pub default_congestion: String,
    /// `net.core.wmem_max` (clamps `SO_SNDBUF`).
    pub wmem_max: u32,
    /// `net.core.rmem_max` (clamps `SO_RCVBUF`).
    pub rmem_max: u32,
    /// `net.ipv4.tcp_rmem[2]` (caps `SO_RCVLOWAT` without a locked
    /// receive buffer).
    pub tcp_rmem_max: u32,
    /// `HZ` (jiffies per second) for describing RTO replies.
    pub hz: u32,
    /// Sockets described by events or [`crate::types::sk_lookup::test_run::declare_socket`]
    /// (what a sockmap lookup of an sk_lookup program returns).
    pub descs: BTreeMap<u32, SockDesc>,
}

impl Default for SockWorld {
    fn default() -> Self {
        SockWorld {
            socks: BTreeMap::new(),
            congestion: vec!["cubic".into(), "reno".into()],
            default_congestion: "cubic".into(),
            wmem_max: 212_992,
            rmem_max: 212_992,
            tcp_rmem_max: 6_291_456,
            hz: 250,
            descs: BTreeMap::new(),
        }
    }
}

/// What the socket helpers need during one run, kept in
/// [`HostState::event`] between events (the world) and filled per event.
#[derive(Debug, Clone, Default)]
pub struct SockEnv {
    /// Persistent socket state.
    pub world: SockWorld,
    /// The socket the hook runs on.
    pub sock: Option<SockDesc>,
    /// Program type of the run (helpers behave per type).
    pub prog_type: u32,
    /// sock_ops: the op; other types 0.
    pub op: u32,
    /// sock_ops: `is_fullsock`.
    pub fullsock: bool,
    /// sock_ops: `mss_cache` (what `TCP_MAXSEG` reads).
    pub mss: u32,
    /// sock_ops: `data_segs_out` (`TCP_BPF_IW` needs 0).
    pub data_segs_out: u32,

    /// Helper calls with visible effects, in order (reported as `effects`).
    pub log: Vec<Value>,
    /// Redirect recorded by `sk_redirect_*` / `msg_redirect_*`:
    /// (map index, key bytes, flags, socket id found).
    pub redirect: Option<(usize, Vec<u8>, u64, Option<u32>)>,
    /// `bpf_sk_select_reuseport` / `bpf_sk_assign`: the socket picked.
    pub selected: Option<u32>,
    /// sk_reuseport: the sockets of the group (a sockmap socket outside
    /// it cannot be selected).
    pub members: Vec<u32>,
    /// sk_reuseport: the packet from the transport header
    /// (`sk_reuseport_load_bytes`).
    pub packet: Vec<u8>,
    /// sk_msg: the message being sent.
    pub msg: Option<crate::types::sk_msg::event::MsgState>,
    /// sock_ops: the callback's TCP header (`skb_data`..) and option
    /// space.
    pub hdr: Option<crate::helpers::HdrState>,
    /// sock_ops: the `bpf_sock` address of a full TCP socket and its
    /// `struct bpf_tcp_sock` image (`bpf_tcp_sock`).
    pub tcp_sock: Option<(u64, Vec<u8>)>,
    /// sk_skb: bytes of the skb in its linear part (`skb_headlen`);
    /// `data_end` stops there until `bpf_skb_pull_data` pulls more.
    pub skb_linear: Option<usize>,
    /// sk_lookup: (family, protocol) of the lookup.
    pub lookup: Option<(u32, u32)>,
    /// sk_lookup: `BPF_SK_LOOKUP_F_NO_REUSEPORT` came with the selection.
    pub no_reuseport: bool,
    /// sk_lookup: socket pointers handed out by map lookups, with ids.
    pub sk_ptrs: Vec<(u64, u32)>,
}

impl SockEnv {
    /// The state of the hook's socket, created on first use.
    pub fn state_mut(&mut self) -> Option<&mut SockState> {
        let id = self.sock?.id;
        Some(self.world.socks.entry(id).or_default())
    }
}

/// Takes the socket environment out of `host` (a fresh one if the slot
/// holds something else), so a driver can fill it for one event.
pub fn take_env(host: &mut HostState) -> SockEnv {
    host.event.take::<SockEnv>().unwrap_or_default()
}

/// Reads world settings an event may override: `congestion_available`
/// (list), `wmem_max`, `rmem_max`, `hz`.
pub fn apply_world(env: &mut SockEnv, obj: &Map<String, Value>) -> Result<(), EventError> {
    if let Some(v) = obj.get("congestion_available") {
        let list = v
            .as_array()
            .ok_or_else(|| EventError::new("`congestion_available` must be a list of names"))?;
        env.world.congestion = list
            .iter()
            .map(|x| {
                x.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| EventError::new("`congestion_available` must hold strings"))
            })
            .collect::<Result<_, _>>()?;
    }
    env.world.wmem_max = u32_or(obj, "wmem_max", env.world.wmem_max)?;
    env.world.rmem_max = u32_or(obj, "rmem_max", env.world.rmem_max)?;
    env.world.tcp_rmem_max = u32_or(obj, "tcp_rmem_max", env.world.tcp_rmem_max)?;
    env.world.hz = u32_or(obj, "hz", env.world.hz)?.max(1);
    Ok(())
}

/// Fills socket maps from an event's `sockmaps` object:
/// `{"map_name": {"key": socket_id, ...}}`, keys in decimal (a u32 key) or
/// hex (`"0x0a000001..."`, the raw key bytes of a sockhash). Uses the
/// syscall-side update, so the kernel's errnos apply.
pub fn apply_sockmaps(host: &mut HostState, obj: &Map<String, Value>) -> Result<(), EventError> {
    let Some(v) = obj.get("sockmaps") else {
        return Ok(());
    };
    let maps = v.as_object().ok_or_else(|| {
        EventError::new("`sockmaps` must be an object {map name: {key: socket id}}")
    })?;
    for (name, entries) in maps {
        let m = host
            .maps
            .iter()
            .position(|m| m.def().name == *name)
            .ok_or_else(|| {
                EventError::new(format!("`sockmaps`: the program has no map `{name}`"))
            })?;
        if !host.maps[m].map_type().is_sock() {
            return Err(EventError::new(format!(
                "`sockmaps`: map `{name}` is a {}, not a sockmap, sockhash or reuseport_sockarray",
                host.maps[m].map_type().name()
            )));
        }
        let entries = entries
            .as_object()
            .ok_or_else(|| EventError::new(format!("`sockmaps.{name}` must be an object")))?;
        let ks = host.maps[m].def().key_size as usize;
        let vs = host.maps[m].def().value_size as usize;
        for (k, id) in entries {
            let key = match k.strip_prefix("0x") {
                Some(h) => bytes(&Value::from(h), "sockmaps key")?,
                None => k
                    .parse::<u32>()
                    .map_err(|_| EventError::new(format!("`sockmaps.{name}`: bad key `{k}`")))?
                    .to_ne_bytes()
                    .to_vec(),
            };
            if key.len() != ks {
                return Err(EventError::new(format!(
                    "`sockmaps.{name}`: key `{k}` is {} bytes, the map's keys are {ks}",
                    key.len()
                )));
            }
            let id = uint(id, "socket id")?;
            let mut val = id.to_ne_bytes().to_vec();
            val.truncate(vs);
            host.maps[m]
                .update(&key, &val, 0)
                .map_err(|source| EventError::Map {
                    what: format!("`sockmaps.{name}` key `{k}`"),
                    source,
                })?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_states_and_sock_image() {
        let ev = serde_json::json!({"local": "10.0.0.1:80", "remote": "10.0.0.2:4000",
            "state": "tcp_listen", "socket": 7});
        let obj = object(&ev, "t", &["local", "remote", "state", "socket"]).unwrap();
        let d = sock_desc(obj, "1.1.1.1:1", "2.2.2.2:2", 1, 6).unwrap();
        assert_eq!((d.id, d.state, d.family()), (7, 10, AF_INET));
        let img = bpf_sock_image(&d, 0, 0);
        assert_eq!(&img[44..48], &80u32.to_le_bytes());
        assert_eq!(&img[48..52], &[0x0f, 0xa0, 0, 0]);
        assert_eq!(&img[24..28], &[10, 0, 0, 1]);
        let bad = serde_json::json!({"lokal": "x"});
        assert!(object(&bad, "t", &["local"])
            .unwrap_err()
            .to_string()
            .contains("lokal"));
        let v6 = serde_json::json!({"local": "[::1]:80", "remote": "10.0.0.2:1"});
        let o = object(&v6, "t", &["local", "remote"]).unwrap();
        assert!(sock_desc(o, "", "", 1, 6).is_err());
        assert_eq!(
            bytes(&Value::from("0a 0b:0c"), "x").unwrap(),
            vec![10, 11, 12]
        );
    }
}

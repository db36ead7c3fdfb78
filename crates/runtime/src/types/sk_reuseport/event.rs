//! SK_REUSEPORT (type 21) events: one socket lookup that found a
//! SO_REUSEPORT group with this program attached
//! (`reuseport_select_sock`, net/core/sock_reuseport.c).
//!
//! The ctx is `struct sk_reuseport_md` over `struct sk_reuseport_kern`
//! (`bpf_init_reuseport_kern`): `data`..`data_end` is the packet from the
//! transport header (where `skb->data` is during the UDP/TCP lookup),
//! `len` its length, `eth_protocol` the network-order ethertype in the low
//! 16 bits, `ip_protocol` the group socket's protocol, `bind_inany`,
//! `hash` (the flow hash the kernel computed: `udp_ehashfn` /
//! `inet_ehashfn`, seeded per boot, so events give it), `sk` the socket the
//! lookup found, `migrating_sk` NULL except when a closing listener's
//! request migrates (`reuseport_migrate_sock`, attach type
//! SELECT_OR_MIGRATE): then SK_PASS without a pick migrates by hash and
//! anything else drops the request.
//!
//! The decision (`bpf_run_sk_reuseport`): SK_PASS with a socket chosen by
//! `bpf_sk_select_reuseport` delivers to it; SK_PASS without one (or after
//! a failed select) falls back to the kernel's pick,
//! `reuseport_select_sock_by_hash`: index `reciprocal_scale(hash, n)` =
//! `(hash * n) >> 32` of the group in join order (skipping connected UDP
//! sockets, which events do not model); any other value refuses the
//! packet (`ERR_PTR(-ECONNREFUSED)`: UDP drops it, TCP answers with a
//! reset).

use crate::events::sockets::{
    apply_sockmaps, bool_or, bpf_sock_image, bytes, hex, object, sock_desc, take_env, u32_or, uint,
    SockEnv, BPF_SOCK_SIZE,
};
use crate::events::{EventDriver, EventError, EventOutcome};
use crate::drivers::{run_with_ctx, ExtraRegion, LoadedProgram};
use crate::host::HostState;
use bpfbox_interp::RegionKind;
use serde_json::{json, Map, Value};

/// `sizeof(struct sk_reuseport_md)`.
pub const CTX_SIZE: usize = 56;

/// `reciprocal_scale(val, ep_ro)`: maps a 32-bit hash onto `0..ep_ro`.
pub fn reciprocal_scale(val: u32, ep_ro: u32) -> u32 {
    ((u64::from(val) * u64::from(ep_ro)) >> 32) as u32
}

const KEYS: &[&str] = &[
    "group",
    "socket",
    "packet",
    "len",
    "eth_protocol",
    "protocol",
    "bind_inany",
    "hash",
    "local",
    "remote",
    "sockmaps",
    "migrating",
];

fn group_of(obj: &Map<String, Value>) -> Result<Vec<u32>, EventError> {
    match obj.get("group") {
        None => Ok(vec![1]),
        Some(Value::Array(l)) if !l.is_empty() => l
            .iter()
            .map(|x| {
                u32::try_from(uint(x, "group")?)
                    .map_err(|_| EventError::new("`group` holds 32-bit socket ids"))
            })
            .collect(),
        Some(v) => Err(EventError::new(format!(
            "`group` must be a non-empty list of socket ids (in join order), got {v}"
        ))),
    }
}

fn fire(
    prog: &LoadedProgram,
    host: &mut HostState,
    ev: &Value,
) -> Result<EventOutcome, EventError> {
    let obj = object(ev, "sk_reuseport", KEYS)?;
    let group = group_of(obj)?;
    let protocol = match obj.get("protocol").map(|v| v.as_str()) {
        None | Some(Some("udp")) => 17,
        Some(Some("tcp")) => 6,
        _ => return Err(EventError::new("`protocol` must be \"udp\" or \"tcp\"")),
    };
    let mut sock = sock_desc(obj, "127.0.0.1:8080", "127.0.0.1:40000", 7, protocol)?;
    sock.id = u32_or(obj, "socket", group[0])?;
    if protocol == 6 {
        sock.state = 10; // a listener
    }
    let pkt = match obj.get("packet") {
        Some(v) => bytes(v, "packet")?,
        None => Vec::new(),
    };
    let len = u32_or(obj, "len", pkt.len() as u32)?;
    let default_eth = if sock.local.is_ipv4() { 0x0800 } else { 0x86dd };
    let eth = u32_or(obj, "eth_protocol", default_eth)?;
    if eth > 0xffff {
        return Err(EventError::new("`eth_protocol` is a 16-bit ethertype"));
    }
    let bind_inany = bool_or(obj, "bind_inany", false)?;
    let hash = u32_or(obj, "hash", 0)?;
    apply_sockmaps(host, obj)?;

    let mut env = take_env(host);
    env.sock = Some(sock);
    env.prog_type = 21;
    env.op = 0;
    env.fullsock = true;
    env.log.clear();
    env.redirect = None;
    env.selected = None;
    env.members = group.clone();
    env.packet = pkt.clone();
    host.event.set(env);

    let mut pbuf = pkt.clone();
    if pbuf.is_empty() {
        pbuf.push(0); // a region needs a byte; data_end still equals data
    }
    let mut sk = bpf_sock_image(&sock, 0, 0);
    // reuseport_migrate_sock: the request (or child) of a closing listener
    // whose requests move to another listener; hash is its sk_hash.
    let migrating = match obj.get("migrating") {
        None | Some(Value::Bool(false)) => None,
        Some(Value::Bool(true)) => Some(sock.id),
        Some(v) => Some(
            u32::try_from(uint(v, "migrating")?)
                .map_err(|_| EventError::new("`migrating` is a socket id"))?,
        ),
    };
    if migrating.is_some() && prog.expected_attach_type != 40 {
        return Err(EventError::new(
            "`migrating` needs a program loaded for BPF_SK_REUSEPORT_SELECT_OR_MIGRATE \
             (SEC(\"sk_reuseport/migrate\")); without it the kernel migrates by hash only \
             when net.ipv4.tcp_migrate_req=1",
        ));
    }
    let mut msk = {
        let mut req = sock;
        req.id = migrating.unwrap_or(0);
        req.state = 12; // TCP_NEW_SYN_RECV
        bpf_sock_image(&req, 0, 0)
    };
    let mut extra = [
        ExtraRegion {
            bytes: &mut pbuf,
            writable: false,
            kind: RegionKind::Packet,
        },
        ExtraRegion {
            bytes: &mut sk[..BPF_SOCK_SIZE],
            writable: false,
            kind: RegionKind::ReadOnly,
        },
        ExtraRegion {
            bytes: &mut msk[..BPF_SOCK_SIZE],
            writable: false,
            kind: RegionKind::ReadOnly,
        },
    ];
    let data = extra[0].addr();
    let sk_addr = extra[1].addr();
    let msk_addr = if migrating.is_some() {
        extra[2].addr()
    } else {
        0
    };
    let mut ctx = vec![0u8; CTX_SIZE];
    ctx[0..8].copy_from_slice(&data.to_le_bytes());
    ctx[8..16].copy_from_slice(&(data + pkt.len() as u64).to_le_bytes());
    ctx[16..20].copy_from_slice(&len.to_le_bytes());
    ctx[20..22].copy_from_slice(&(eth as u16).to_be_bytes());
    ctx[24..28].copy_from_slice(&protocol.to_le_bytes());
    ctx[28..32].copy_from_slice(&u32::from(bind_inany).to_le_bytes());
    ctx[32..36].copy_from_slice(&hash.to_le_bytes());
    ctx[40..48].copy_from_slice(&sk_addr.to_le_bytes());
    ctx[48..56].copy_from_slice(&msk_addr.to_le_bytes());
    let saved_cookie = host.socket_cookie;
    host.socket_cookie = u64::from(sock.id);
    let trace_start = host.trace.len();
    let run = run_with_ctx(prog, host, &mut ctx, &mut extra);
    host.socket_cookie = saved_cookie;
    let mut env = host.event.take::<SockEnv>().unwrap_or_default();
    let trace = host.trace.split_off(trace_start.min(host.trace.len()));
    let log = std::mem::take(&mut env.log);
    let selected = env.selected.take();
    host.event.set(env);
    let run = run.map_err(EventError::Trapped)?;
    let mut effects = Map::new();
    let verb = if migrating.is_some() {
        effects.insert("migrating".into(), json!(migrating));
        "migrate to"
    } else {
        "select"
    };
    let action = if run.retval as u32 == 1 {
        match selected {
            Some(id) => {
                effects.insert("socket".into(), json!(id));
                effects.insert("by".into(), json!("program"));
                format!("{verb} socket {id}")
            }
            None => {
                let i = reciprocal_scale(hash, group.len() as u32) as usize;
                let id = group[i];
                effects.insert("socket".into(), json!(id));
                effects.insert("by".into(), json!("hash"));
                effects.insert("index".into(), json!(i));
                format!(
                    "{verb} socket {id} (kernel hash pick: index {i} = reciprocal_scale(hash {hash:#x}, {}))",
                    group.len()
                )
            }
        }
    } else if migrating.is_some() {
        effects.insert("socket".into(), Value::Null);
        "no migration: the request is dropped (TCPMigrateReqFailure)".into()
    } else {
        effects.insert("socket".into(), Value::Null);
        "refuse: ECONNREFUSED (UDP drops the datagram, TCP resets)".into()
    };
    if !log.is_empty() {
        effects.insert("helpers".into(), Value::Array(log));
    }
    effects.insert("packet".into(), json!(hex(&pkt)));
    Ok(EventOutcome {
        retval: run.retval,
        action,
        effects,
        trace,
    })
}

const SCHEMA: &str = r#"sk_reuseport event: one socket lookup that reached a SO_REUSEPORT group.
  group         socket ids of the group in join (bind) order (default [1]); the kernel's own pick is
                group[reciprocal_scale(hash, len(group))]
  socket        the socket the lookup found, ctx->sk (default group[0])
  packet        hex string or byte list from the transport header (UDP header + payload, or the TCP
                SYN's header): data..data_end and sk_reuseport_load_bytes (default empty)
  len           ctx->len (default: packet length)
  protocol      "udp" (default) or "tcp": ctx->ip_protocol
  eth_protocol  ethertype (default 0x0800, 0x86dd for IPv6 addresses)
  bind_inany    bool (default false)
  hash          u32 flow hash (default 0); the kernel's is seeded per boot, so give the one you want
  local, remote "addr:port" of ctx->sk (default "127.0.0.1:8080", "127.0.0.1:40000")
  migrating     true or a socket id: a request of a closing listener is being migrated
                (reuseport_migrate_sock; programs of sk_reuseport/migrate only): ctx->migrating_sk
                is that request (state NEW_SYN_RECV), the packet is usually empty and hash is the
                request's sk_hash; the group lists the remaining listeners
  sockmaps      {"map name": {"key": socket id}} stored before the run (reuseport_sockarray,
                sockmap, sockhash; decimal u32 keys or "0x.." raw key bytes); maps keep them
                for later events
Result: action "select socket N" (by the program, or the kernel's hash pick with its index) or
"refuse: ECONNREFUSED"; effects: socket, by ("program"|"hash"), index, helpers.
Example: {"group": [1, 2, 3], "packet": "9c40 1f90 000a 0000 3031", "hash": 2863311530}"#;

/// The SK_REUSEPORT driver.
pub static DRIVER: EventDriver = EventDriver {
    schema: SCHEMA,
    fire,
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reciprocal_scale_spreads_the_hash() {
        assert_eq!(reciprocal_scale(0, 3), 0);
        assert_eq!(reciprocal_scale(u32::MAX, 3), 2);
        assert_eq!(reciprocal_scale(0x5555_5555, 3), 0);
        assert_eq!(reciprocal_scale(0x5555_5556, 3), 1);
        assert_eq!(reciprocal_scale(0x8000_0000, 4), 2);
    }

    #[test]
    fn bad_groups_are_refused() {
        let o = json!({"group": []});
        assert!(group_of(o.as_object().unwrap()).is_err());
        let o = json!({"group": [1, 5]});
        assert_eq!(group_of(o.as_object().unwrap()).unwrap(), vec![1, 5]);
    }
}

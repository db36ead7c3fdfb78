//! SK_SKB (type 14) events: data received on a socket in a sockmap or
//! sockhash, run through the stream parser (`sk_psock_strp_parse`) or the
//! verdict program (`sk_psock_verdict_recv` / `sk_psock_strp_read`),
//! net/core/skmsg.c.
//!
//! The ctx is the `__sk_buff` view of an skb holding the received bytes
//! (no headers: `data` is the first payload byte, `len` the payload
//! length, `protocol` the socket family's ethertype; the strparser's skbs
//! are non-linear, so `data_end` = `data` until `bpf_skb_pull_data`) whose
//! `sk` is the
//! receiving socket: `family`, addresses, `remote_port` (network order
//! << 16) and `local_port`. The skb helpers of the type (`load_bytes`,
//! `store_bytes`, `pull_data`, `change_tail`, `change_head`, `adjust_room`)
//! act on it.
//!
//! Decisions: a stream parser's r0 is the length of the next message (0:
//! need more data; negative: the parser aborts with that error). A verdict
//! is mapped by `sk_psock_map_verd`: SK_PASS with a target recorded by
//! `bpf_sk_redirect_map`/`_hash` redirects to that socket (ingress with
//! `BPF_F_INGRESS`, else egress); SK_PASS alone queues the data on the
//! receiving socket; anything else drops it. The redirect target is
//! cleared before each run (`skb_bpf_redirect_clear`).

use crate::events::sockets::{
    apply_sockmaps, bpf_sock_image, bytes, hex, ip4, ip6, object, sock_desc, take_env, u32_or,
    SockEnv,
};
use crate::events::{EventDriver, EventError, EventOutcome};
use crate::ctx::skb_image;
use crate::drivers::{run_with_ctx, LoadedProgram};
use crate::host::{HostState, PacketState};
use crate::packet::Packet;
use crate::skb::{Skb, SockInfo};
use serde_json::{json, Map, Value};

/// Headroom in front of the received bytes (`skb_change_head` room).
const HEADROOM: usize = 128;

const KEYS: &[&str] = &[
    "data", "linear", "attach", "socket", "local", "remote", "sockmaps",
];

/// Which program of the psock runs: 4 stream parser, 5 stream verdict, 38
/// verdict (`enum bpf_attach_type`).
fn attach_of(prog: &LoadedProgram, obj: &Map<String, Value>) -> Result<u32, EventError> {
    match obj.get("attach").map(|v| v.as_str()) {
        None => Ok(match prog.expected_attach_type {
            4 | 5 | 38 => prog.expected_attach_type,
            _ => 5,
        }),
        Some(Some("stream_parser")) => Ok(4),
        Some(Some("stream_verdict")) => Ok(5),
        Some(Some("verdict")) => Ok(38),
        _ => Err(EventError::new(
            "`attach` must be \"stream_parser\", \"stream_verdict\" or \"verdict\"",
        )),
    }
}

/// What the psock does with a stream parser's result for `len` bytes.
pub fn describe_parser(ret: i32, len: usize) -> String {
    match ret {
        0 => "need more data (the parser runs again when more arrives)".into(),
        r if r < 0 => format!("abort: the stream parser fails with error {r}"),
        r if r as usize > len => format!(
            "message of {r} bytes: wait for {} more bytes",
            r as usize - len
        ),
        r => format!("message of {r} bytes"),
    }
}

fn fire(
    prog: &LoadedProgram,
    host: &mut HostState,
    ev: &Value,
) -> Result<EventOutcome, EventError> {
    let obj = object(ev, "sk_skb", KEYS)?;
    let attach = attach_of(prog, obj)?;
    let data = match obj.get("data") {
        Some(v) => bytes(v, "data")?,
        None => Vec::new(),
    };
    let sock = sock_desc(obj, "127.0.0.1:8080", "127.0.0.1:40000", 1, 6)?;
    // The strparser hands its programs clones whose bytes all sit in
    // fragments (skb_headlen 0, measured on 6.18); the plain verdict path
    // gets the received skb with its data linear.
    let default_linear = if attach == 38 { data.len() } else { 0 };
    let linear = u32_or(obj, "linear", default_linear as u32)? as usize;
    if linear > data.len() {
        return Err(EventError::new("`linear` exceeds the data length"));
    }
    apply_sockmaps(host, obj)?;
    let mut env = take_env(host);
    env.sock = Some(sock);
    env.prog_type = 14;
    env.op = 0;
    env.fullsock = true;
    env.log.clear();
    env.redirect = None;
    env.selected = None;
    env.skb_linear = Some(linear);
    host.event.set(env);

    let pkt = Packet::new(&data, HEADROOM, 0)
        .ok_or_else(|| EventError::new("no memory below 4 GiB for the skb"))?;
    let mut skb = Skb::new(pkt);
    skb.protocol = if sock.local.is_ipv4() { 0x0800 } else { 0x86dd };
    skb.sk = Some(SockInfo {
        family: sock.family(),
        local_ip4: ip4(&sock.local),
        remote_ip4: ip4(&sock.remote),
        local_ip6: ip6(&sock.local),
        remote_ip6: ip6(&sock.remote),
        cookie: u64::from(sock.id),
    });
    let image = bpf_sock_image(&sock, 0, 0);
    let saved_sk = std::mem::take(&mut host.sk_buf);
    host.sk_buf = image
        .chunks(8)
        .map(|c| u64::from_le_bytes(c.try_into().unwrap_or([0; 8])))
        .collect();
    let sk_addr = host.sk_buf.as_ptr() as usize as u64;
    let base = skb.pkt.buf.addr();
    let mut ctx = skb_image(&skb, base, sk_addr).to_vec();
    let rp = sock.remote.port().to_be_bytes();
    ctx[132..136].copy_from_slice(&[0, 0, rp[0], rp[1]]);
    ctx[136..140].copy_from_slice(&u32::from(sock.local.port()).to_le_bytes());
    let data_end = (base + (HEADROOM + linear) as u64) as u32;
    ctx[80..84].copy_from_slice(&data_end.to_le_bytes());
    let saved_pkt = std::mem::replace(&mut host.packet, PacketState::Skb(Box::new(skb)));
    let trace_start = host.trace.len();
    let run = run_with_ctx(prog, host, &mut ctx, &mut []);
    let after = std::mem::replace(&mut host.packet, saved_pkt);
    host.sk_buf = saved_sk;
    let mut env = host.event.take::<SockEnv>().unwrap_or_default();
    let trace = host.trace.split_off(trace_start.min(host.trace.len()));
    let log = std::mem::take(&mut env.log);
    let redirect = env.redirect.take();
    env.skb_linear = None;
    host.event.set(env);
    let run = run.map_err(EventError::Trapped)?;
    let out_data = match &after {
        PacketState::Skb(s) => s.pkt.buf[s.pkt.data..s.pkt.end].to_vec(),
        _ => Vec::new(),
    };
    let mut effects = Map::new();
    let r = run.retval as u32;
    let action = if attach == 4 {
        effects.insert("message_len".into(), json!(r as i32));
        describe_parser(r as i32, out_data.len())
    } else {
        match (r, redirect) {
            (1, Some((m, key, flags, Some(id)))) => {
                let dir = if flags & 1 != 0 { "ingress" } else { "egress" };
                effects.insert(
                    "redirect".into(),
                    json!({"map": m, "key": hex(&key), "socket": id, "direction": dir}),
                );
                format!("redirect to socket {id} ({dir})")
            }
            (1, _) => format!("pass: queue on socket {}", sock.id),
            _ => "drop".into(),
        }
    };
    effects.insert("data".into(), json!(hex(&out_data)));
    if !log.is_empty() {
        effects.insert("helpers".into(), Value::Array(log));
    }
    Ok(EventOutcome {
        retval: run.retval,
        action,
        effects,
        trace,
    })
}

const SCHEMA: &str = r#"sk_skb event: bytes received on a socket that is in a sockmap/sockhash.
  data          hex string or byte list: the received bytes (default empty); skb->len is its length
  linear        how many of them are in the linear part, i.e. readable between data and data_end
                before bpf_skb_pull_data (default 0 for stream_parser/stream_verdict: the kernel's
                strparser clones keep everything in fragments; all for verdict)
  attach        "stream_parser", "stream_verdict" or "verdict" (default: the program's attach type,
                else stream_verdict)
  socket        receiving socket id (default 1); local, remote "addr:port" (default
                "127.0.0.1:8080", "127.0.0.1:40000")
  sockmaps      {"map name": {"key": socket id}} stored before the run (redirect targets)
Result: stream_parser: "message of N bytes" / "need more data" / "abort: ..." (effects.message_len);
verdicts: "redirect to socket K (ingress|egress)", "pass: queue on socket S", "drop"; effects: data
(the bytes after the program), redirect {map, key, socket, direction}, helpers.
Example: {"attach": "stream_verdict", "data": "68656c6c6f", "sockmaps": {"sock_map": {"0": 2}}}"#;

/// The SK_SKB driver.
pub static DRIVER: EventDriver = EventDriver {
    schema: SCHEMA,
    fire,
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parser_results() {
        assert!(describe_parser(0, 5).starts_with("need more"));
        assert_eq!(describe_parser(5, 5), "message of 5 bytes");
        assert!(describe_parser(9, 5).ends_with("wait for 4 more bytes"));
        assert!(describe_parser(-22, 5).contains("-22"));
    }
}

//! SOCK_OPS (type 13) events: one `tcp_call_bpf()` callback
//! (include/net/tcp.h) on a TCP socket.
//!
//! The ctx is `struct bpf_sock_ops` as `sock_ops_convert_ctx_access` builds
//! it: `args` copied in (the rest of the union zero, so `reply` starts as
//! `args[0]`), the socket's addresses and ports (`remote_port` is the
//! network-order port shifted left by 16, `local_port` host order), and the
//! TCP fields (`snd_cwnd` .. `bytes_acked`, `bpf_sock_ops_cb_flags`,
//! `sk_txhash`) only when `is_fullsock` and the op holds the socket lock
//! (not the TSTAMP_* ops, 16..=20, which also refuse setsockopt,
//! getsockopt, cb_flags_set and load_hdr_opt with `EOPNOTSUPP`); a
//! request socket (the passive
//! side's TIMEOUT_INIT, RWND_INIT and NEEDS_ECN) reads them as 0 and has a
//! NULL `sk`.
//!
//! The hook's decision (`tcp_call_bpf`): when the program returns 1 the
//! caller uses `reply`, otherwise -1. TIMEOUT_INIT turns it into the SYN
//! RTO (`tcp_timeout_init`: <= 0 means TCP_TIMEOUT_INIT = 1 s, capped at
//! TCP_RTO_MAX = 120 s), RWND_INIT into the initial receive window in
//! segments (`tcp_rwnd_init_bpf`, negative = 0 = kernel default),
//! NEEDS_ECN into ECN on iff the result is 1, BASE_RTT into TCP-NV's base
//! RTT when > 0; other ops ignore it.
//!
//! Optional callbacks run only when the socket's `bpf_sock_ops_cb_flags`
//! enable them (RTO_CB, RETRANS_CB, STATE_CB, RTT_CB, PARSE_HDR_OPT_CB,
//! HDR_OPT_LEN_CB / WRITE_HDR_OPT_CB); bpfbox keeps each socket's flags
//! across the sequence (set by `bpf_sock_ops_cb_flags_set` or the
//! `TCP_BPF_SOCK_OPS_CB_FLAGS` option) and reports such an event as not
//! called unless `force` is set.

use crate::events::sockets::{
    apply_world, bool_or, bpf_sock_image, ip4, ip6, object, sock_desc, take_env, tcp_state, uint,
    OptVal, SockEnv, BPF_SOCK_SIZE,
};
use crate::events::sockets::{bytes, hex, u32_or};
use crate::events::{EventDriver, EventError, EventOutcome};
use crate::drivers::{run_with_ctx, ExtraRegion, LoadedProgram};
use crate::helpers::hdropt_is_hdr_op as is_hdr_op_fn;
use crate::helpers::HdrState;
use crate::host::HostState;
use bpfbox_interp::RegionKind;
use serde_json::{json, Map, Value};

/// `sizeof(struct bpf_sock_ops)`.
pub const CTX_SIZE: usize = 224;

/// Op names by number (`enum bpf_sock_ops_op`, Linux 6.18).
pub const OPS: &[&str] = &[
    "VOID",
    "TIMEOUT_INIT",
    "RWND_INIT",
    "TCP_CONNECT_CB",
    "ACTIVE_ESTABLISHED_CB",
    "PASSIVE_ESTABLISHED_CB",
    "NEEDS_ECN",
    "BASE_RTT",
    "RTO_CB",
    "RETRANS_CB",
    "STATE_CB",
    "TCP_LISTEN_CB",
    "RTT_CB",
    "PARSE_HDR_OPT_CB",
    "HDR_OPT_LEN_CB",
    "WRITE_HDR_OPT_CB",
    "TSTAMP_SCHED_CB",
    "TSTAMP_SND_SW_CB",
    "TSTAMP_SND_HW_CB",
    "TSTAMP_ACK_CB",
    "TSTAMP_SENDMSG_CB",
];

/// The TCP fields of the ctx a `tcp` object may set, with their offsets
/// (4-byte fields; `bytes_received` and `bytes_acked` are 8 bytes).
const TCP_FIELDS: &[(&str, usize)] = &[
    ("snd_cwnd", 76),
    ("srtt_us", 80),
    ("rtt_min", 92),
    ("snd_ssthresh", 96),
    ("rcv_nxt", 100),
    ("snd_nxt", 104),
    ("snd_una", 108),
    ("mss_cache", 112),
    ("ecn_flags", 116),
    ("rate_delivered", 120),
    ("rate_interval_us", 124),
    ("packets_out", 128),
    ("retrans_out", 132),
    ("total_retrans", 136),
    ("segs_in", 140),
    ("data_segs_in", 144),
    ("segs_out", 148),
    ("data_segs_out", 152),
    ("lost_out", 156),
    ("sacked_out", 160),
    ("sk_txhash", 164),
    ("bytes_received", 168),
    ("bytes_acked", 176),
];

/// `struct bpf_tcp_sock` fields that are not in the ctx (offsets in
/// `bpf_tcp_sock`); a `tcp` object may set them for `bpf_tcp_sock`.
const TCP_SOCK_ONLY: &[(&str, usize)] = &[
    // not in bpf_tcp_sock either: what getsockopt(TCP_WINDOW_CLAMP) reads
    ("window_clamp", 112),
    ("dsack_dups", 96),
    ("delivered", 100),
    ("delivered_ce", 104),
    ("icsk_retransmits", 108),
];

/// `struct bpf_tcp_sock` (112 bytes) of the callback's socket, from the
/// ctx's TCP fields (the same `tcp_sock` members, in the same order but
/// without `bpf_sock_ops_cb_flags` and `state`) and the extra fields.
fn tcp_sock_image(ctx: &[u8], extra: &[u32; 4]) -> Vec<u8> {
    let mut b = vec![0u8; 112];
    b[0..8].copy_from_slice(&ctx[76..84]);
    b[8..80].copy_from_slice(&ctx[92..164]);
    b[80..96].copy_from_slice(&ctx[168..184]);
    for (i, v) in extra.iter().enumerate() {
        b[96 + 4 * i..100 + 4 * i].copy_from_slice(&v.to_le_bytes());
    }
    b
}

const KEYS: &[&str] = &[
    "op",
    "args",
    "socket",
    "local",
    "remote",
    "state",
    "is_fullsock",
    "tcp",
    "cb_flags",
    "force",
    "congestion_available",
    "wmem_max",
    "rmem_max",
    "hz",
    "tcp_rmem_max",
    "skb",
    "skb_len",
    "tcp_flags",
    "remaining_opt_len",
    "syn",
];

/// Parses an op by number or name (`TIMEOUT_INIT`, `BPF_SOCK_OPS_TIMEOUT_INIT`).
pub fn parse_op(v: &Value) -> Result<u32, EventError> {
    if let Value::String(s) = v {
        let up = s.to_ascii_uppercase();
        let name = up.strip_prefix("BPF_SOCK_OPS_").unwrap_or(&up);
        if let Some(i) = OPS.iter().position(|n| *n == name) {
            return Ok(i as u32);
        }
        if s.parse::<u32>().is_err() {
            return Err(EventError::new(format!(
                "unknown sock_ops op `{s}` (one of {})",
                OPS.join(", ")
            )));
        }
    }
    let n = uint(v, "op")?;
    u32::try_from(n)
        .ok()
        .filter(|n| (*n as usize) < OPS.len())
        .ok_or_else(|| EventError::new(format!("sock_ops op {n} does not exist (0..=20)")))
}

/// The cb flag an optional callback needs (`BPF_SOCK_OPS_TEST_FLAG` at its
/// call site), with its name; `None` for callbacks that always run.
pub fn needed_flag(op: u32) -> Option<(u32, &'static str)> {
    match op {
        8 => Some((1, "BPF_SOCK_OPS_RTO_CB_FLAG")),
        9 => Some((2, "BPF_SOCK_OPS_RETRANS_CB_FLAG")),
        10 => Some((4, "BPF_SOCK_OPS_STATE_CB_FLAG")),
        12 => Some((8, "BPF_SOCK_OPS_RTT_CB_FLAG")),
        13 => Some((0x30, "BPF_SOCK_OPS_PARSE_{ALL,UNKNOWN}_HDR_OPT_CB_FLAG")),
        14 | 15 => Some((0x40, "BPF_SOCK_OPS_WRITE_HDR_OPT_CB_FLAG")),
        _ => None,
    }
}

/// The socket state an op is called in when the event does not say.
fn default_state(op: u32, fullsock: bool, args: &[u32; 4]) -> u32 {
    match op {
        1 | 2 | 3 | 6 if fullsock => 2, // SYN_SENT (active open)
        1 | 2 | 6 => 12,                // NEW_SYN_RECV (request socket)
        10 => args[0],                  // called before the change
        11 => 10,                       // LISTEN
        _ => 1,                         // ESTABLISHED
    }
}

/// What the hook does with the result (`tcp_call_bpf` and its callers).
/// `allowed` is whether the program returned 1.
pub fn describe(op: u32, allowed: bool, reply: u32, hz: u32) -> String {
    let ret: i32 = if allowed { reply as i32 } else { -1 };
    let ms = |j: i64| j * 1000 / i64::from(hz);
    match op {
        1 => {
            let hz64 = i64::from(hz);
            let (j, why) = if ret <= 0 {
                (hz64, " (kernel default TCP_TIMEOUT_INIT)")
            } else if i64::from(ret) > 120 * hz64 {
                (120 * hz64, " (capped at TCP_RTO_MAX)")
            } else {
                (i64::from(ret), "")
            };
            format!("SYN RTO {j} jiffies = {} ms at HZ={hz}{why}", ms(j))
        }
        2 => {
            if ret <= 0 {
                "initial rwnd: kernel default".into()
            } else {
                format!("initial rwnd {ret} segments (at most)")
            }
        }
        6 => {
            if ret == 1 {
                "ECN on".into()
            } else {
                "ECN off (unless sysctl or congestion control asks for it)".into()
            }
        }
        7 => {
            if ret > 0 {
                format!("base RTT {ret} us")
            } else {
                "no base RTT".into()
            }
        }
        _ => format!(
            "{} (result ignored by the kernel)",
            OPS.get(op as usize).copied().unwrap_or("op")
        ),
    }
}

fn put32(b: &mut [u8], off: usize, v: u32) {
    b[off..off + 4].copy_from_slice(&v.to_le_bytes());
}

fn args_of(obj: &Map<String, Value>) -> Result<[u32; 4], EventError> {
    let mut args = [0u32; 4];
    if let Some(v) = obj.get("args") {
        let list = v
            .as_array()
            .filter(|l| l.len() <= 4)
            .ok_or_else(|| EventError::new("`args` must be a list of at most 4 integers"))?;
        for (i, x) in list.iter().enumerate() {
            args[i] = u32::try_from(uint(x, "args")?)
                .map_err(|_| EventError::new("`args` values are 32-bit"))?;
        }
    }
    Ok(args)
}

/// The callback's packet as the event gives it.
struct Pkt {
    present: bool,
    hdr: Vec<u8>,
    /// `skb_data_end - skb_data`.
    end: usize,
    /// Bytes of room (header + option space).
    cap: usize,
    remaining: u32,
    skb_len: u32,
    tcp_flags: u32,
    syn: Option<Vec<u8>>,
}

/// Reads `skb`, `skb_len`, `tcp_flags`, `remaining_opt_len` and `syn`.
/// For WRITE_HDR_OPT_CB the header given is what the kernel wrote so far,
/// with `doff` counting the reserved space, so the option space defaults
/// to `doff * 4 - len(skb)` (`first_opt_off = tcp_hdrlen - max_opt_len`);
/// HDR_OPT_LEN_CB sees an empty window and defaults to 40 bytes of space.
fn packet_of(obj: &Map<String, Value>, op: u32) -> Result<Pkt, EventError> {
    let hdr = match obj.get("skb") {
        Some(v) => Some(bytes(v, "skb")?),
        None => None,
    };
    let present = hdr.is_some() || op == 15;
    let mut hdr = hdr.unwrap_or_default();
    let doff = hdr.get(12).map_or(0, |b| usize::from(b >> 4) * 4);
    let default_remaining = match op {
        14 => 40,
        15 => doff.saturating_sub(hdr.len()),
        _ => 0,
    };
    let remaining = u32_or(obj, "remaining_opt_len", default_remaining as u32)?;
    let tcp_flags = u32_or(obj, "tcp_flags", hdr.get(13).map_or(0, |b| u32::from(*b)))?;
    let skb_len = u32_or(obj, "skb_len", hdr.len() as u32)?;
    if op == 14 {
        hdr.clear();
    }
    let syn = match obj.get("syn") {
        Some(v) => Some(bytes(v, "syn")?),
        None => None,
    };
    let end = hdr.len();
    let cap = end + if op == 15 { remaining as usize } else { 0 };
    Ok(Pkt {
        present,
        hdr,
        end,
        cap,
        remaining,
        skb_len,
        tcp_flags,
        syn,
    })
}

fn fire(
    prog: &LoadedProgram,
    host: &mut HostState,
    ev: &Value,
) -> Result<EventOutcome, EventError> {
    let obj = object(ev, "sock_ops", KEYS)?;
    let op = parse_op(
        obj.get("op")
            .ok_or_else(|| EventError::new("a sock_ops event needs `op`"))?,
    )?;
    let args = args_of(obj)?;
    let fullsock = bool_or(obj, "is_fullsock", true)?;
    let state = default_state(op, fullsock, &args);
    let mut sock = sock_desc(obj, "127.0.0.1:40000", "127.0.0.1:8080", state, 6)?;
    if let Some(v) = obj.get("state") {
        sock.state = tcp_state(v)?;
    }
    let mut env = take_env(host);
    apply_world(&mut env, obj)?;
    env.sock = Some(sock);
    env.prog_type = 13;
    env.op = op;
    env.fullsock = fullsock;
    env.log.clear();
    env.redirect = None;
    env.selected = None;
    let st = env.world.socks.entry(sock.id).or_default();
    if let Some(v) = obj.get("cb_flags") {
        st.cb_flags = u32::try_from(uint(v, "cb_flags")?)
            .map_err(|_| EventError::new("`cb_flags` is 32-bit"))?;
    }
    let cb_flags = st.cb_flags;
    let txhash = st.txhash;
    let force = bool_or(obj, "force", false)?;
    if let Some((flag, name)) = needed_flag(op) {
        if cb_flags & flag == 0 && !force {
            host.event.set(env);
            return Ok(EventOutcome {
                retval: 0,
                action: format!(
                    "not called: {name} is not set on socket {} (set `force` to run anyway)",
                    sock.id
                ),
                effects: Map::from_iter([("called".to_string(), json!(false))]),
                trace: Vec::new(),
            });
        }
    }
    let mut ctx = vec![0u8; CTX_SIZE];
    put32(&mut ctx, 0, op);
    for (i, a) in args.iter().enumerate() {
        put32(&mut ctx, 4 + 4 * i, *a);
    }
    put32(&mut ctx, 20, sock.family());
    ctx[24..28].copy_from_slice(&ip4(&sock.remote));
    ctx[28..32].copy_from_slice(&ip4(&sock.local));
    ctx[32..48].copy_from_slice(&ip6(&sock.remote));
    ctx[48..64].copy_from_slice(&ip6(&sock.local));
    let rp = sock.remote.port().to_be_bytes();
    ctx[64..68].copy_from_slice(&[0, 0, rp[0], rp[1]]);
    put32(&mut ctx, 68, u32::from(sock.local.port()));
    put32(&mut ctx, 72, u32::from(fullsock));
    put32(&mut ctx, 88, sock.state);
    let mut tcp_extra = [0u32; 4];
    let mut window_clamp = None;
    // sock_ops_convert_ctx_access guards the tcp_sock fields (and the cb
    // flags and txhash) with is_locked_tcp_sock, which the timestamping
    // ops (16..=20) do not set although their socket is full.
    if fullsock && op <= 15 {
        put32(&mut ctx, 84, cb_flags);
        if let Some(h) = txhash {
            put32(&mut ctx, 164, h);
        }
        if let Some(t) = obj.get("tcp") {
            let t = t
                .as_object()
                .ok_or_else(|| EventError::new("`tcp` must be an object of TCP fields"))?;
            for (k, v) in t {
                if let Some((_, o)) = TCP_SOCK_ONLY.iter().find(|(n, _)| n == k) {
                    let n = u32::try_from(uint(v, k)?)
                        .map_err(|_| EventError::new(format!("`{k}` is 32-bit")))?;
                    if *o == 112 {
                        window_clamp = Some(n);
                    } else {
                        tcp_extra[(o - 96) / 4] = n;
                    }
                    continue;
                }
                let (_, off) = TCP_FIELDS.iter().find(|(n, _)| n == k).ok_or_else(|| {
                    let names: Vec<&str> = TCP_FIELDS.iter().map(|(n, _)| *n).collect();
                    EventError::new(format!(
                        "unknown TCP field `{k}` (one of {})",
                        names.join(", ")
                    ))
                })?;
                let n = uint(v, k)?;
                if *off >= 168 {
                    ctx[*off..*off + 8].copy_from_slice(&n.to_le_bytes());
                } else {
                    let n = u32::try_from(n)
                        .map_err(|_| EventError::new(format!("`{k}` is 32-bit")))?;
                    put32(&mut ctx, *off, n);
                }
            }
        }
    }
    let rd = |o: usize| u32::from_le_bytes([ctx[o], ctx[o + 1], ctx[o + 2], ctx[o + 3]]);
    env.mss = rd(112);
    env.data_segs_out = rd(152);
    if window_clamp.is_some() {
        env.world.socks.entry(sock.id).or_default().window_clamp = window_clamp;
    }
    let hz = env.world.hz;
    // The socket a fullsock ctx's `sk` points at.
    let mut sk = [0u8; BPF_SOCK_SIZE];
    if fullsock {
        let (mark, prio) = {
            let st = &env.world.socks[&sock.id];
            let int = |k| match st.opts.get(&(1, k)) {
                Some(OptVal::Int(v)) => *v as u32,
                _ => 0,
            };
            (int(36), int(12))
        };
        sk = bpf_sock_image(&sock, mark, prio);
    }
    let pkt = packet_of(obj, op)?;
    let mut skb_buf = vec![0u8; pkt.cap.max(1)];
    skb_buf[..pkt.hdr.len()].copy_from_slice(&pkt.hdr);
    env.hdr = None;
    host.event.set(env);
    let saved_cookie = host.socket_cookie;
    host.socket_cookie = u64::from(sock.id);
    let trace_start = host.trace.len();
    let mut extra = [
        ExtraRegion {
            bytes: &mut sk,
            writable: false,
            kind: RegionKind::ReadOnly,
        },
        ExtraRegion {
            bytes: &mut skb_buf,
            writable: true,
            kind: RegionKind::Packet,
        },
    ];
    let sk_addr = extra[0].addr();
    if fullsock {
        ctx[184..192].copy_from_slice(&sk_addr.to_le_bytes());
        let img = tcp_sock_image(&ctx, &tcp_extra);
        if let Some(e) = host.event.get_mut::<SockEnv>() {
            e.tcp_sock = Some((sk_addr, img));
        }
    }
    let skb_addr = extra[1].addr();
    if pkt.present {
        ctx[192..200].copy_from_slice(&skb_addr.to_le_bytes());
        ctx[200..208].copy_from_slice(&(skb_addr + pkt.end as u64).to_le_bytes());
        put32(&mut ctx, 208, pkt.skb_len);
        put32(&mut ctx, 212, pkt.tcp_flags);
        if let Some(e) = host.event.get_mut::<SockEnv>() {
            e.hdr = Some(HdrState {
                addr: skb_addr,
                cap: pkt.cap,
                end: pkt.end,
                remaining: pkt.remaining,
                syn: pkt.syn.clone(),
            });
        }
    } else if is_hdr_op_fn(op) || pkt.remaining > 0 || pkt.syn.is_some() {
        if let Some(e) = host.event.get_mut::<SockEnv>() {
            e.hdr = Some(HdrState {
                remaining: pkt.remaining,
                syn: pkt.syn.clone(),
                ..Default::default()
            });
        }
    }
    let run = run_with_ctx(prog, host, &mut ctx, &mut extra);
    host.socket_cookie = saved_cookie;
    let mut env = host.event.take::<SockEnv>().unwrap_or_default();
    let run = run.map_err(EventError::Trapped);
    let trace = host.trace.split_off(trace_start.min(host.trace.len()));
    let run = match run {
        Ok(r) => r,
        Err(e) => {
            host.event.set(env);
            return Err(e);
        }
    };
    let reply = rd_after(&ctx, 4);
    let allowed = run.retval as u32 == 1;
    let mut effects = Map::new();
    effects.insert("reply".into(), json!(reply));
    effects.insert(
        "hook_result".into(),
        json!(if allowed { reply as i32 } else { -1 }),
    );
    if fullsock && op <= 15 {
        let new_hash = rd_after(&ctx, 164);
        let st = env.world.socks.entry(sock.id).or_default();
        if new_hash != txhash.unwrap_or(0) {
            st.txhash = Some(new_hash);
            effects.insert("sk_txhash".into(), json!(new_hash));
        }
        effects.insert("cb_flags".into(), json!(st.cb_flags));
    }
    if !env.log.is_empty() {
        effects.insert("helpers".into(), Value::Array(std::mem::take(&mut env.log)));
    }
    let hdr_after = env.hdr.take();
    env.tcp_sock = None;
    let mut action = describe(op, allowed, reply, hz);
    let left = hdr_after.as_ref().map_or(pkt.remaining, |h| h.remaining);
    let used = pkt.remaining.saturating_sub(left);
    if op == 14 {
        // bpf_skops_hdr_opt_len: ignored unless the program returned 1;
        // rounded up to 4 bytes.
        let reserved = if allowed { used } else { 0 };
        let padded = (reserved + 3) & !3;
        effects.insert("reserved".into(), json!(padded));
        action = if padded == 0 {
            "no TCP option space reserved".into()
        } else {
            format!("reserve {padded} bytes of TCP options ({reserved} asked)")
        };
    } else if op == 15 {
        // bpf_skops_write_hdr_opt: what was written, then NOP padding.
        let max = pkt.remaining as usize;
        let written = if allowed { used as usize } else { 0 };
        let mut area = skb_buf[pkt.end..pkt.end + max].to_vec();
        for b in area.iter_mut().skip(written) {
            *b = 1;
        }
        effects.insert("options".into(), json!(hex(&area)));
        action = format!(
            "write {written} bytes of TCP options, {} bytes of NOP padding",
            max - written
        );
    }
    host.event.set(env);
    Ok(EventOutcome {
        retval: run.retval,
        action,
        effects,
        trace,
    })
}

fn rd_after(ctx: &[u8], o: usize) -> u32 {
    u32::from_le_bytes([ctx[o], ctx[o + 1], ctx[o + 2], ctx[o + 3]])
}

/// The persistent state of socket `id` after a sequence (callback flags,
/// options programs set), if any event named it.
pub fn socket_state(host: &HostState, id: u32) -> Option<crate::events::sockets::SockState> {
    host.event
        .get::<SockEnv>()
        .and_then(|e| e.world.socks.get(&id).cloned())
}

const SCHEMA: &str = r#"sock_ops event: one tcp_call_bpf() callback on a TCP socket.
  op            (required) number 0..=20 or name: TIMEOUT_INIT, RWND_INIT, TCP_CONNECT_CB,
                ACTIVE_ESTABLISHED_CB, PASSIVE_ESTABLISHED_CB, NEEDS_ECN, BASE_RTT, RTO_CB,
                RETRANS_CB, STATE_CB, TCP_LISTEN_CB, RTT_CB, PARSE_HDR_OPT_CB, HDR_OPT_LEN_CB,
                WRITE_HDR_OPT_CB, TSTAMP_* (a BPF_SOCK_OPS_ prefix is accepted)
  args          up to 4 u32 (default 0): RTO_CB [retransmits, rto, ...], RETRANS_CB [seq, segs, ret],
                STATE_CB [old, new], RTT_CB [...]; `reply` starts as args[0]
  socket        socket id (default 1); its cookie is the id. Callback flags and options a program
                sets stay with the socket for later events
  local, remote "addr:port" (default "127.0.0.1:40000" and "127.0.0.1:8080"; IPv6 as "[::1]:80")
  state         TCP state number or name (default: SYN_SENT for the active TIMEOUT_INIT/RWND_INIT/
                TCP_CONNECT_CB/NEEDS_ECN, NEW_SYN_RECV for request sockets, LISTEN for TCP_LISTEN_CB,
                args[0] for STATE_CB, else ESTABLISHED)
  is_fullsock   bool (default true); false = a request socket (passive TIMEOUT_INIT, RWND_INIT,
                NEEDS_ECN): TCP fields read 0, sk is NULL, setsockopt/cb_flags_set fail with EINVAL
  tcp           object of TCP ctx fields: snd_cwnd, srtt_us, rtt_min, snd_ssthresh, rcv_nxt, snd_nxt,
                snd_una, mss_cache, ecn_flags, rate_delivered, rate_interval_us, packets_out,
                retrans_out, total_retrans, segs_in, data_segs_in, segs_out, data_segs_out, lost_out,
                sacked_out, sk_txhash, bytes_received, bytes_acked (default 0), and for
                bpf_tcp_sock only: dsack_dups, delivered, delivered_ce, icsk_retransmits; and
                window_clamp (what getsockopt(TCP_WINDOW_CLAMP) reads before a set)
  cb_flags      set the socket's bpf_sock_ops_cb_flags before the callback
  force         run an optional callback even if its cb flag is not set (default false)
  congestion_available  list of registered congestion controls (default ["cubic","reno"])
  wmem_max, rmem_max    net.core sysctls clamping SO_SNDBUF/SO_RCVBUF (default 212992)
  tcp_rmem_max  net.ipv4.tcp_rmem[2], caps SO_RCVLOWAT (default 6291456)
  skb           hex TCP header the callback sees at skb_data..skb_data_end: the received header
                (PARSE_HDR_OPT_CB, *_ESTABLISHED_CB) or what the kernel wrote so far
                (WRITE_HDR_OPT_CB, whose option space follows); absent = no skb (skb_data NULL)
  skb_len, tcp_flags    ctx skb_len and skb_tcp_flags (default: header length, header byte 13)
  remaining_opt_len     option space for bpf_reserve_hdr_opt / bpf_store_hdr_opt (default 40 for
                HDR_OPT_LEN_CB; doff*4 - len(skb) for WRITE_HDR_OPT_CB)
  syn           hex TCP header of the SYN for bpf_load_hdr_opt(BPF_LOAD_HDR_OPT_TCP_SYN) and
                bpf_getsockopt(SOL_TCP, TCP_BPF_SYN)
  hz            jiffies per second for describing the SYN RTO (default 250)
Result: action says what the kernel does with the reply ("SYN RTO 10 jiffies = 40 ms at HZ=250",
"initial rwnd 40 segments (at most)", "ECN on"); effects: reply, hook_result (reply if the program
returned 1, else -1), cb_flags, sk_txhash (if written), helpers (setsockopt, cb_flags_set, sockmap
updates and stored header options with their return codes); HDR_OPT_LEN_CB: reserved (rounded up to
4, 0 unless the program returned 1); WRITE_HDR_OPT_CB: options (the option area as sent, NOP-padded).
Example: [{"op": "TCP_LISTEN_CB", "socket": 2, "local": "127.0.0.1:8080", "remote": "0.0.0.0:0"},
          {"op": "TIMEOUT_INIT", "socket": 1}]"#;

/// The SOCK_OPS driver.
pub static DRIVER: EventDriver = EventDriver {
    schema: SCHEMA,
    fire,
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ops_and_descriptions() {
        assert_eq!(parse_op(&json!("BPF_SOCK_OPS_TIMEOUT_INIT")).unwrap(), 1);
        assert_eq!(parse_op(&json!("rwnd_init")).unwrap(), 2);
        assert_eq!(parse_op(&json!(10)).unwrap(), 10);
        assert!(parse_op(&json!("NOPE")).is_err());
        assert!(parse_op(&json!(21)).is_err());
        assert_eq!(
            describe(1, true, 10, 250),
            "SYN RTO 10 jiffies = 40 ms at HZ=250"
        );
        assert!(describe(1, false, 10, 250).contains("250 jiffies"));
        assert!(describe(1, true, 100_000, 250).contains("TCP_RTO_MAX"));
        assert_eq!(describe(6, true, 1, 250), "ECN on");
        assert!(describe(6, false, 1, 250).starts_with("ECN off"));
        assert_eq!(
            describe(2, true, 40, 250),
            "initial rwnd 40 segments (at most)"
        );
        assert_eq!(needed_flag(10), Some((4, "BPF_SOCK_OPS_STATE_CB_FLAG")));
        assert_eq!(default_state(10, true, &[1, 4, 0, 0]), 1);
    }
}

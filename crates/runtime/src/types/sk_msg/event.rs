//! SK_MSG (type 16) events: one `sendmsg`/`sendfile` on a socket in a
//! sockmap or sockhash, run through the msg verdict program
//! (`sk_psock_msg_verdict`, net/core/skmsg.c).
//!
//! The message is a scatterlist: [`MsgState`] keeps its bytes and element
//! lengths (at most `MAX_MSG_FRAGS` = 17). `data`..`data_end` is the first
//! element (`sk_msg_compute_data_pointers`) or, after
//! `bpf_msg_pull_data(start, end)`, exactly `[start, end)`; `size` is the
//! whole length. The data-changing helpers follow net/core/filter.c:
//! `pull_data` coalesces the elements covering the range when it spans
//! more than one; `push_data` inserts `len` bytes (zeroed here; the kernel
//! leaves fresh page contents) as a new element, splitting the element it
//! lands in, or grows that element when the ring has no room for the
//! split; `pop_data` removes bytes, splitting or shrinking elements. After
//! push and pop the window is the first element again.
//!
//! Decision (`sk_psock_map_verd`): SK_PASS with a target recorded by
//! `bpf_msg_redirect_map`/`_hash` redirects, SK_PASS alone sends, anything
//! else drops (the sender's `sendmsg` fails with `EACCES`).
//! `bpf_msg_apply_bytes(n)` makes the verdict cover the next `n` bytes;
//! `bpf_msg_cork_bytes(n)` holds the data until `n` bytes are there: later
//! events on the socket add to the corked message and the program runs
//! again on all of it once it is long enough. The pending verdict is the
//! socket's (`psock->eval`): a drop sticks, as in the kernel.

use crate::events::sockets::{
    apply_sockmaps, bpf_sock_image, bytes, hex, ip4, ip6, object, sock_desc, take_env, uint,
    MsgVerdict, SockEnv, BPF_SOCK_SIZE,
};
use crate::events::{EventDriver, EventError, EventOutcome};
use crate::drivers::{run_with_ctx, ExtraRegion, LoadedProgram};
use crate::host::HostState;
use bpfbox_interp::RegionKind;
use serde_json::{json, Map, Value};

/// `sizeof(struct sk_msg_md)`.
pub const CTX_SIZE: usize = 80;
/// `MAX_MSG_FRAGS` (= `MAX_SKB_FRAGS`).
pub const MAX_MSG_FRAGS: usize = 17;

const EINVAL: i64 = bpfbox_uapi::errno::EINVAL as i64;

/// A message being sent, as the msg helpers see and change it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MsgState {
    /// The message bytes.
    pub bytes: Vec<u8>,
    /// Scatterlist element lengths, in order (sum = `bytes.len()`).
    pub elems: Vec<usize>,
    /// `data`..`data_end` as offsets into `bytes`.
    pub window: (usize, usize),
    /// `bpf_msg_apply_bytes`.
    pub apply_bytes: Option<u32>,
    /// `bpf_msg_cork_bytes`.
    pub cork_bytes: Option<u32>,
    /// Buffers the helpers allocated this run (the last is current).
    pub(crate) bufs: Vec<Box<[u8]>>,
    /// Guest address and length of the buffer the program sees now.
    pub(crate) cur: (u64, usize),
}

impl MsgState {
    /// A message of `bytes` split into elements of `segments` lengths (one
    /// element when empty); the window is the first element.
    pub fn new(bytes: Vec<u8>, segments: &[usize]) -> Result<Self, String> {
        let elems: Vec<usize> = if segments.is_empty() {
            if bytes.is_empty() {
                Vec::new()
            } else {
                vec![bytes.len()]
            }
        } else {
            segments.to_vec()
        };
        if elems.iter().sum::<usize>() != bytes.len() || elems.contains(&0) {
            return Err("`segments` must be positive lengths adding up to the data length".into());
        }
        if elems.len() > MAX_MSG_FRAGS {
            return Err(format!("a message has at most {MAX_MSG_FRAGS} segments"));
        }
        let mut m = MsgState {
            bytes,
            elems,
            ..Default::default()
        };
        m.reset_window();
        Ok(m)
    }

    fn reset_window(&mut self) {
        self.window = (0, self.elems.first().copied().unwrap_or(0));
    }

    /// The element holding byte `start`: (index, its offset); `None` past
    /// the end.
    fn find(&self, start: usize) -> Option<(usize, usize)> {
        let mut off = 0;
        for (i, l) in self.elems.iter().enumerate() {
            if start < off + l {
                return Some((i, off));
            }
            off += l;
        }
        None
    }

    /// `bpf_msg_pull_data(msg, start, end, flags)`.
    pub fn pull(&mut self, start: u64, end: u64, flags: u64) -> i64 {
        if flags != 0 || end <= start {
            return -EINVAL;
        }
        let Ok(start) = usize::try_from(start) else {
            return -EINVAL;
        };
        let Some((i, off)) = self.find(start) else {
            return -EINVAL;
        };
        let bytes = (end - start as u64) as usize;
        let total = start - off + bytes;
        if total > self.elems[i] {
            let mut copy = 0;
            let mut last = i;
            while last < self.elems.len() && copy < total {
                copy += self.elems[last];
                last += 1;
            }
            if total > copy {
                return -EINVAL;
            }
            self.elems.splice(i..last, [copy]);
        }
        self.window = (start, start + bytes);
        0
    }

    /// `bpf_msg_push_data(msg, start, len, flags)`.
    pub fn push(&mut self, start: u64, len: u64, flags: u64) -> i64 {
        if flags != 0 {
            return -EINVAL;
        }
        if len == 0 {
            return 0;
        }
        let size = self.bytes.len();
        let (Ok(start), Ok(len)) = (usize::try_from(start), usize::try_from(len)) else {
            return -EINVAL;
        };
        if start > size {
            return -EINVAL;
        }
        let n = self.elems.len();
        let (i, off) = self.find(start).unwrap_or((n, size));
        let space = MAX_MSG_FRAGS.saturating_sub(n);
        let copy = space == 0 || (space == 1 && start != off);
        if copy && n > 0 {
            let j = i.min(n - 1);
            self.elems[j] += len;
        } else if i == n {
            self.elems.push(len);
        } else if start == off {
            self.elems.insert(i, len);
        } else {
            let back = self.elems[i] - (start - off);
            self.elems[i] = start - off;
            self.elems.splice(i + 1..i + 1, [len, back]);
        }
        self.bytes
            .splice(start..start, std::iter::repeat_n(0u8, len));
        self.reset_window();
        0
    }

    /// `bpf_msg_pop_data(msg, start, len, flags)`.
    pub fn pop(&mut self, start: u64, len: u64, flags: u64) -> i64 {
        if flags != 0 || len == 0 {
            return -EINVAL;
        }
        let (Ok(start), Ok(len)) = (usize::try_from(start), usize::try_from(len)) else {
            return -EINVAL;
        };
        let Some((mut i, off)) = self.find(start) else {
            return -EINVAL;
        };
        if start + len > self.bytes.len() {
            return -EINVAL;
        }
        let space = MAX_MSG_FRAGS.saturating_sub(self.elems.len());
        let mut pop = len;
        if start != off {
            let a = start - off;
            let l = self.elems[i];
            if l > a + pop {
                let b = l - a - pop;
                if space > 0 {
                    self.elems[i] = a;
                    self.elems.insert(i + 1, b);
                } else {
                    self.elems[i] = a + b;
                }
                pop = 0;
            } else {
                pop -= l - a;
                self.elems[i] = a;
                i += 1;
            }
        }
        while pop > 0 && i < self.elems.len() {
            if pop < self.elems[i] {
                self.elems[i] -= pop;
                pop = 0;
            } else {
                pop -= self.elems[i];
                self.elems.remove(i);
            }
        }
        self.bytes.drain(start..start + len);
        self.reset_window();
        0
    }
}

const KEYS: &[&str] = &["data", "segments", "socket", "local", "remote", "sockmaps"];

fn put32(b: &mut [u8], off: usize, v: u32) {
    b[off..off + 4].copy_from_slice(&v.to_le_bytes());
}

/// One program run on `msg`: (r0, msg after, redirect target, helper log,
/// trace lines).
struct Run {
    retval: u64,
    msg: MsgState,
    redirect: Option<(u32, bool, usize, Vec<u8>)>,
    log: Vec<Value>,
    trace: Vec<String>,
}

fn run_once(
    prog: &LoadedProgram,
    host: &mut HostState,
    sock: &crate::events::sockets::SockDesc,
    mut msg: MsgState,
) -> Result<Run, EventError> {
    let mut buf = msg.bytes.clone();
    if buf.is_empty() {
        buf.push(0);
    }
    let mut sk = bpf_sock_image(sock, 0, 0);
    let mut extra = [
        ExtraRegion {
            bytes: &mut buf,
            writable: true,
            kind: RegionKind::Packet,
        },
        ExtraRegion {
            bytes: &mut sk[..BPF_SOCK_SIZE],
            writable: false,
            kind: RegionKind::ReadOnly,
        },
    ];
    let base = extra[0].addr();
    let sk_addr = extra[1].addr();
    msg.cur = (base, msg.bytes.len());
    msg.bufs.clear();
    let mut ctx = vec![0u8; CTX_SIZE];
    ctx[0..8].copy_from_slice(&(base + msg.window.0 as u64).to_le_bytes());
    ctx[8..16].copy_from_slice(&(base + msg.window.1 as u64).to_le_bytes());
    put32(&mut ctx, 16, sock.family());
    ctx[20..24].copy_from_slice(&ip4(&sock.remote));
    ctx[24..28].copy_from_slice(&ip4(&sock.local));
    ctx[28..44].copy_from_slice(&ip6(&sock.remote));
    ctx[44..60].copy_from_slice(&ip6(&sock.local));
    let rp = sock.remote.port().to_be_bytes();
    ctx[60..64].copy_from_slice(&[0, 0, rp[0], rp[1]]);
    put32(&mut ctx, 64, u32::from(sock.local.port()));
    put32(&mut ctx, 68, msg.bytes.len() as u32);
    ctx[72..80].copy_from_slice(&sk_addr.to_le_bytes());

    let mut env = take_env(host);
    env.sock = Some(*sock);
    env.prog_type = 16;
    env.op = 0;
    env.fullsock = true;
    env.log.clear();
    env.redirect = None;
    env.selected = None;
    env.msg = Some(msg);
    host.event.set(env);
    let saved_cookie = host.socket_cookie;
    host.socket_cookie = u64::from(sock.id);
    let trace_start = host.trace.len();
    let run = run_with_ctx(prog, host, &mut ctx, &mut extra);
    host.socket_cookie = saved_cookie;
    let mut env = host.event.take::<SockEnv>().unwrap_or_default();
    let trace = host.trace.split_off(trace_start.min(host.trace.len()));
    let log = std::mem::take(&mut env.log);
    let redirect = env.redirect.take();
    let mut msg = env.msg.take().unwrap_or_default();
    host.event.set(env);
    let run = run.map_err(EventError::Trapped)?;
    // The program's stores after the last data-changing helper.
    let n = msg.bytes.len();
    match msg.bufs.last() {
        Some(b) => msg.bytes.copy_from_slice(&b[..n]),
        None => msg.bytes.copy_from_slice(&buf[..n]),
    }
    msg.bufs.clear();
    Ok(Run {
        retval: run.retval,
        msg,
        redirect: redirect.and_then(|(m, k, f, id)| id.map(|id| (id, f & 1 != 0, m, k))),
        log,
        trace,
    })
}

fn fire(
    prog: &LoadedProgram,
    host: &mut HostState,
    ev: &Value,
) -> Result<EventOutcome, EventError> {
    let obj = object(ev, "sk_msg", KEYS)?;
    let data = match obj.get("data") {
        Some(v) => bytes(v, "data")?,
        None => Vec::new(),
    };
    let segments: Vec<usize> = match obj.get("segments") {
        None => Vec::new(),
        Some(Value::Array(l)) => l
            .iter()
            .map(|x| uint(x, "segments").map(|n| n as usize))
            .collect::<Result<_, _>>()?,
        Some(_) => return Err(EventError::new("`segments` must be a list of lengths")),
    };
    let mut msg = MsgState::new(data, &segments).map_err(EventError::new)?;
    let sock = sock_desc(obj, "127.0.0.1:40000", "127.0.0.1:8080", 1, 6)?;
    apply_sockmaps(host, obj)?;
    let env = take_env(host);
    let mut st = env.world.socks.get(&sock.id).cloned().unwrap_or_default();
    host.event.set(env);

    // tcp_bpf_send_verdict: run the program when no verdict is pending,
    // send `apply_bytes` (or everything) under the verdict, and go round
    // again for the rest once the verdict is used up.
    let mut first: Option<u64> = None;
    let mut runs = 0u32;
    let mut parts: Vec<Value> = Vec::new();
    let mut log = Vec::new();
    let mut trace = Vec::new();
    let mut apply_note = None;
    let mut cork = None;
    let mut dropped = false;
    let mut guard = 0;
    // tcp_bpf_sendmsg: once a cork allocated `psock->cork`, every send
    // copies into it (the new bytes extend its last scatterlist element, as
    // the socket's page fragment continues), and its `apply_bytes` and
    // `cork_bytes` stay; while cork bytes are missing the program does not
    // run, once they are there it runs again on the whole message.
    let mut persistent = false;
    if let Some(mut tx) = st.msg_tx.take() {
        persistent = true;
        let size = msg.bytes.len();
        tx.bytes.extend_from_slice(&msg.bytes);
        match tx.elems.last_mut() {
            Some(l) => *l += size,
            None if size > 0 => tx.elems.push(size),
            None => {}
        }
        tx.window = (0, tx.elems.first().copied().unwrap_or(0));
        msg = tx;
        if st.cork_left > 0 {
            let left = st.cork_left.saturating_sub(size as u32);
            if left > 0 {
                st.cork_left = left;
                st.msg_tx = Some(msg);
                let mut env = take_env(host);
                env.world.socks.insert(sock.id, st);
                host.event.set(env);
                let mut effects = Map::new();
                effects.insert("cork_left".into(), json!(left));
                effects.insert("runs".into(), json!(0));
                effects.insert("data".into(), json!(""));
                return Ok(EventOutcome {
                    retval: 0,
                    action: format!("cork: still {left} bytes short; the program did not run"),
                    effects,
                    trace: Vec::new(),
                });
            }
            st.cork_left = 0;
            st.msg_eval = None;
        }
    }
    while !msg.bytes.is_empty() || (runs == 0 && st.msg_eval.is_none()) {
        guard += 1;
        if guard > 64 {
            break;
        }
        if st.msg_eval.is_none() {
            let r = run_once(prog, host, &sock, msg)?;
            runs += 1;
            first.get_or_insert(r.retval);
            log.extend(r.log);
            trace.extend(r.trace);
            msg = r.msg;
            st.msg_eval = Some(match (r.retval as u32, r.redirect) {
                (1, Some((id, ingress, _, _))) => MsgVerdict::Redirect(id, ingress),
                (1, None) => MsgVerdict::Pass,
                _ => MsgVerdict::Drop,
            });
            st.msg_apply = msg.apply_bytes.unwrap_or(0);
            if let Some(a) = msg.apply_bytes {
                apply_note = Some(a);
            }
            if let Some(c) = msg.cork_bytes.filter(|c| *c as usize > msg.bytes.len()) {
                cork = Some(c);
                st.cork_left = c - msg.bytes.len() as u32;
                persistent = true;
                break;
            }
        }
        let size = msg.bytes.len();
        let tosend = if st.msg_apply > 0 {
            (st.msg_apply as usize).min(size)
        } else {
            size
        };
        st.msg_apply = st.msg_apply.saturating_sub(tosend as u32);
        let sent: Vec<u8> = msg.bytes.drain(..tosend).collect();
        let mut elems_left = tosend;
        while elems_left > 0 && !msg.elems.is_empty() {
            if msg.elems[0] <= elems_left {
                elems_left -= msg.elems.remove(0);
            } else {
                msg.elems[0] -= elems_left;
                elems_left = 0;
            }
        }
        msg.window = (0, msg.elems.first().copied().unwrap_or(0));
        match st.msg_eval {
            Some(MsgVerdict::Drop) | None => {
                dropped = true;
                break;
            }
            Some(MsgVerdict::Pass) => parts.push(json!({"bytes": hex(&sent), "to": "peer"})),
            Some(MsgVerdict::Redirect(id, ingress)) => parts.push(json!({"bytes": hex(&sent),
                "to": format!("socket {id}"), "direction": if ingress { "ingress" } else { "egress" }})),
        }
        if st.msg_apply == 0 {
            st.msg_eval = None;
        }
    }
    if persistent {
        st.msg_tx = Some(msg.clone());
    }
    let mut env = take_env(host);
    env.world.socks.insert(sock.id, st.clone());
    host.event.set(env);

    let mut effects = Map::new();
    let mut action = if dropped {
        if runs == 0 {
            "drop: sendmsg fails with EACCES (an earlier SK_DROP verdict still holds; the program \
             did not run)"
                .to_string()
        } else {
            "drop: sendmsg fails with EACCES".to_string()
        }
    } else if let Some(c) = cork {
        format!("cork: held until {c} bytes are queued")
    } else {
        let mut words = Vec::new();
        for p in &parts {
            let n = p["bytes"].as_str().map_or(0, |h| h.len() / 2);
            match p["to"].as_str() {
                Some("peer") => words.push(format!("pass: send {n} bytes")),
                Some(t) => words.push(format!(
                    "redirect {n} bytes to {t} ({})",
                    p["direction"].as_str().unwrap_or("")
                )),
                None => {}
            }
        }
        if runs == 0 {
            words.push("(an earlier verdict still applies; the program did not run)".into());
        }
        words.join(", then ")
    };
    if let Some(a) = apply_note {
        action.push_str(&format!("; the verdict covered {a} bytes"));
        effects.insert("apply_bytes".into(), json!(a));
    }
    if runs > 1 {
        action.push_str(&format!(" ({runs} program runs)"));
    }
    let passed: String = parts
        .iter()
        .filter(|p| p["to"] == json!("peer"))
        .filter_map(|p| p["bytes"].as_str())
        .collect();
    let redirected: String = parts
        .iter()
        .filter(|p| p["to"] != json!("peer"))
        .filter_map(|p| p["bytes"].as_str())
        .collect();
    effects.insert("data".into(), json!(passed));
    if !redirected.is_empty() {
        effects.insert("redirected".into(), json!(redirected));
    }
    effects.insert("deliveries".into(), Value::Array(parts));
    effects.insert("runs".into(), json!(runs));
    if let Some(c) = cork {
        effects.insert("cork_bytes".into(), json!(c));
    }
    if !log.is_empty() {
        effects.insert("helpers".into(), Value::Array(log));
    }
    Ok(EventOutcome {
        retval: first.unwrap_or(0),
        action,
        effects,
        trace,
    })
}

const SCHEMA: &str = r#"sk_msg event: one sendmsg on a socket that is in a sockmap/sockhash.
  data          hex string or byte list: the message (default empty)
  segments      scatterlist element lengths adding up to the data length (default one element;
                at most 17); data..data_end starts as the first element
  socket        sending socket id (default 1); local, remote "addr:port" (default
                "127.0.0.1:40000", "127.0.0.1:8080")
  sockmaps      {"map name": {"key": socket id}} stored before the run (redirect targets)
The psock's verdict persists per socket like the kernel's (tcp_bpf_send_verdict): with apply_bytes
it covers that many bytes, also of later messages, before the program runs again (on the rest of the
same message too); after SK_DROP every later send on the socket fails without running the program;
after bpf_msg_cork_bytes(n) later messages are appended until n bytes are queued, then the program
runs on the whole corked message.
Result: "pass: send N bytes", "redirect N bytes to socket K (ingress|egress)", "drop: sendmsg fails
with EACCES" or "cork: ..."; effects: data (bytes passed to the peer), redirected, deliveries,
runs, apply_bytes, cork_bytes, helpers.
Example: {"data": "474554202f20485454502f312e310d0a", "segments": [4, 12],
          "sockmaps": {"sock_hash": {"0x00000001": 2}}}"#;

/// The SK_MSG driver.
pub static DRIVER: EventDriver = EventDriver {
    schema: SCHEMA,
    fire,
};

#[cfg(test)]
mod tests {
    use super::*;

    fn m(len: usize, segs: &[usize]) -> MsgState {
        MsgState::new((0..len as u8).collect(), segs).unwrap()
    }

    #[test]
    fn pull_coalesces_only_when_needed() {
        let mut s = m(10, &[4, 6]);
        assert_eq!(s.window, (0, 4));
        assert_eq!(s.pull(1, 3, 0), 0);
        assert_eq!((s.window, s.elems.clone()), ((1, 3), vec![4, 6]));
        assert_eq!(s.pull(2, 8, 0), 0);
        assert_eq!((s.window, s.elems.clone()), ((2, 8), vec![10]));
        assert_eq!(s.pull(2, 11, 0), -22);
        assert_eq!(s.pull(3, 3, 0), -22);
        assert_eq!(s.pull(10, 11, 0), -22);
        assert_eq!(s.pull(0, 1, 1), -22);
    }

    #[test]
    fn push_splits_or_grows() {
        let mut s = m(10, &[]);
        assert_eq!(s.push(4, 3, 0), 0);
        assert_eq!(s.elems, vec![4, 3, 6]);
        assert_eq!(s.window, (0, 4));
        assert_eq!(&s.bytes[..8], &[0, 1, 2, 3, 0, 0, 0, 4]);
        assert_eq!(s.push(0, 2, 0), 0);
        assert_eq!(s.elems, vec![2, 4, 3, 6]);
        assert_eq!(s.push(15, 1, 0), 0);
        assert_eq!(s.elems, vec![2, 4, 3, 6, 1]);
        assert_eq!(s.push(17, 1, 0), -22);
        let mut full = m(17, &[1; 17]);
        assert_eq!(full.push(3, 2, 0), 0);
        assert_eq!(full.elems.len(), 17);
        assert_eq!(full.bytes.len(), 19);
    }

    #[test]
    fn pop_removes_and_splits() {
        let mut s = m(10, &[]);
        assert_eq!(s.pop(2, 3, 0), 0);
        assert_eq!(s.elems, vec![2, 5]);
        assert_eq!(s.bytes, vec![0, 1, 5, 6, 7, 8, 9]);
        assert_eq!(s.pop(0, 4, 0), 0);
        assert_eq!(s.elems, vec![3]);
        assert_eq!(s.bytes, vec![7, 8, 9]);
        assert_eq!(s.pop(2, 2, 0), -22);
        assert_eq!(s.pop(0, 0, 0), -22);
        let mut t = m(10, &[3, 3, 4]);
        assert_eq!(t.pop(1, 6, 0), 0);
        assert_eq!(t.elems, vec![1, 3]);
        assert_eq!(t.window, (0, 1));
    }
}

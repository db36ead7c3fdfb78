//! `bpf_setsockopt` / `bpf_getsockopt` semantics (net/core/filter.c
//! `__bpf_setsockopt`, `sol_socket_sockopt`, `sol_tcp_sockopt`,
//! `sol_ip_sockopt`, `sol_ipv6_sockopt`, `bpf_sol_tcp_setsockopt`) over a
//! [`SockState`]: which (level, optname) pairs a program may use, the
//! `optlen` rules, range checks and errnos, and the value a later
//! `getsockopt` returns (`SO_SNDBUF` doubled and clamped, `IP_TOS` without
//! the ECN bits, `TCP_CONGESTION` among the registered algorithms).
//!
//! An option the kernel accepts but bpfbox does not model (its value
//! depends on live TCP state: `TCP_WINDOW_CLAMP`, `TCP_SAVED_SYN`, ...)
//! fails with `ENOTSUPP` (524) and is reported as unmodelled.

use crate::events::sockets::{OptVal, SockState, SockWorld, AF_INET, AF_INET6};

/// errnos.
const EINVAL: i64 = bpfbox_uapi::errno::EINVAL as i64;
const ENOENT: i64 = bpfbox_uapi::errno::ENOENT as i64;
/// `ENOTSUPP`: kernel-internal "not supported", also bpfbox's "unmodelled".
pub(crate) const ENOTSUPP: i64 = bpfbox_uapi::errno::ENOTSUPP as i64;

/// Levels.
pub(crate) const SOL_IP: i32 = 0;
pub(crate) const SOL_SOCKET: i32 = 1;
pub(crate) const SOL_TCP: i32 = 6;
pub(crate) const SOL_IPV6: i32 = 41;

/// `BPF_SOCK_OPS_ALL_CB_FLAGS` (6.18).
pub(crate) const ALL_CB_FLAGS: u32 = 0x7f;

/// `TCP_CONGESTION`.
pub(crate) const TCP_CONGESTION: i32 = 13;
/// `TCP_CA_NAME_MAX`.
const TCP_CA_NAME_MAX: usize = 16;
/// `SOCK_MIN_SNDBUF` / `SOCK_MIN_RCVBUF` on x86-64 (2 * / 1 *
/// (2048 + SKB_DATA_ALIGN(sizeof(struct sk_buff)))).
const SOCK_MIN_SNDBUF: i32 = 4608;
const SOCK_MIN_RCVBUF: i32 = 2304;

/// Name of an option for reports.
pub(crate) fn opt_name(level: i32, optname: i32) -> String {
    let n = match (level, optname) {
        (SOL_SOCKET, 2) => "SO_REUSEADDR",
        (SOL_SOCKET, 7) => "SO_SNDBUF",
        (SOL_SOCKET, 8) => "SO_RCVBUF",
        (SOL_SOCKET, 9) => "SO_KEEPALIVE",
        (SOL_SOCKET, 12) => "SO_PRIORITY",
        (SOL_SOCKET, 15) => "SO_REUSEPORT",
        (SOL_SOCKET, 18) => "SO_RCVLOWAT",
        (SOL_SOCKET, 25) => "SO_BINDTODEVICE",
        (SOL_SOCKET, 36) => "SO_MARK",
        (SOL_SOCKET, 47) => "SO_MAX_PACING_RATE",
        (SOL_SOCKET, 62) => "SO_BINDTOIFINDEX",
        (SOL_SOCKET, 74) => "SO_TXREHASH",
        (SOL_TCP, 1) => "TCP_NODELAY",
        (SOL_TCP, 2) => "TCP_MAXSEG",
        (SOL_TCP, 4) => "TCP_KEEPIDLE",
        (SOL_TCP, 5) => "TCP_KEEPINTVL",
        (SOL_TCP, 6) => "TCP_KEEPCNT",
        (SOL_TCP, 7) => "TCP_SYNCNT",
        (SOL_TCP, 10) => "TCP_WINDOW_CLAMP",
        (SOL_TCP, 13) => "TCP_CONGESTION",
        (SOL_TCP, 16) => "TCP_THIN_LINEAR_TIMEOUTS",
        (SOL_TCP, 18) => "TCP_USER_TIMEOUT",
        (SOL_TCP, 25) => "TCP_NOTSENT_LOWAT",
        (SOL_TCP, 27) => "TCP_SAVE_SYN",
        (SOL_TCP, 28) => "TCP_SAVED_SYN",
        (SOL_TCP, 44) => "TCP_RTO_MAX_MS",
        (SOL_TCP, 1001) => "TCP_BPF_IW",
        (SOL_TCP, 1002) => "TCP_BPF_SNDCWND_CLAMP",
        (SOL_TCP, 1003) => "TCP_BPF_DELACK_MAX",
        (SOL_TCP, 1004) => "TCP_BPF_RTO_MIN",
        (SOL_TCP, 1008) => "TCP_BPF_SOCK_OPS_CB_FLAGS",
        (SOL_IP, 1) => "IP_TOS",
        (SOL_IPV6, 67) => "IPV6_TCLASS",
        (SOL_IPV6, 70) => "IPV6_AUTOFLOWLABEL",
        _ => return format!("level {level} optname {optname}"),
    };
    n.to_string()
}

/// The socket a sockopt runs on.
#[derive(Debug, Clone, Copy)]
pub(crate) struct OptSock {
    pub family: u32,
    pub protocol: u32,
    /// TCP state (`TCP_WINDOW_CLAMP` 0 is refused unless closed).
    pub state: u32,
    /// `mss_cache` (what `TCP_MAXSEG` reads on a connected socket).
    pub mss: u32,
    /// `data_segs_out` (`TCP_BPF_IW` only before any data went out).
    pub data_segs_out: u32,
}

/// The kernel's option gate: `Ok(true)` for an `int` option (optlen must
/// be 4), `Ok(false)` for a byte-string one, `Err(-errno)` otherwise.
fn gate(s: &OptSock, level: i32, optname: i32, getopt: bool) -> Result<bool, i64> {
    match level {
        SOL_SOCKET => match optname {
            2 | 7 | 8 | 9 | 12 | 15 | 18 | 36 | 47 | 62 | 74 => Ok(true),
            25 if !getopt => Ok(false),
            _ => Err(-EINVAL),
        },
        SOL_IP if s.family == AF_INET && optname == 1 => Ok(true),
        SOL_IPV6 if s.family == AF_INET6 && (optname == 67 || optname == 70) => Ok(true),
        SOL_TCP if s.protocol == 6 => match optname {
            1 | 2 | 4 | 5 | 6 | 7 | 10 | 16 | 18 | 25 | 27 | 44 => Ok(true),
            TCP_CONGESTION | 28 => Ok(false),
            1001..=1004 | 1008 if !getopt => Ok(true),
            1003 | 1004 | 1008 => Ok(true),
            _ => Err(-EINVAL),
        },
        _ => Err(-EINVAL),
    }
}

/// `usecs_to_jiffies` (rounds up).
fn usecs_to_jiffies(us: u64, hz: u32) -> u64 {
    (us * u64::from(hz)).div_ceil(1_000_000)
}

/// `bpf_setsockopt` on a full socket: returns 0 or `-errno` and updates
/// `st`.
pub(crate) fn set(
    w: &SockWorld,
    st: &mut SockState,
    s: &OptSock,
    level: i32,
    optname: i32,
    optval: &[u8],
) -> i64 {
    let is_int = match gate(s, level, optname, false) {
        Ok(i) => i,
        Err(e) => return e,
    };
    if !is_int {
        if level == SOL_TCP && optname == TCP_CONGESTION {
            return set_congestion(w, st, optval);
        }
        return -ENOTSUPP; // SO_BINDTODEVICE: device names are not modelled
    }
    if optval.len() != 4 {
        return -EINVAL;
    }
    let val = i32::from_le_bytes([optval[0], optval[1], optval[2], optval[3]]);
    let hz = w.hz;
    let stored: Result<i32, i64> = match (level, optname) {
        (SOL_SOCKET, 7) | (SOL_SOCKET, 8) => {
            let (max, min) = if optname == 7 {
                (w.wmem_max, SOCK_MIN_SNDBUF)
            } else {
                (w.rmem_max, SOCK_MIN_RCVBUF)
            };
            let v = (val as u32).min(max).min(i32::MAX as u32 / 2) as i32;
            Ok((v * 2).max(min))
        }
        (SOL_SOCKET, 2 | 9 | 15) | (SOL_TCP, 1) => Ok(i32::from(val != 0)),
        (SOL_SOCKET, 18) => {
            // tcp_set_rcvlowat: capped at half the receive buffer when
            // SO_RCVBUF locked it, else at half of tcp_rmem[2]; 0 means 1.
            let v = if val < 0 { i32::MAX } else { val };
            let cap = match st.opts.get(&(SOL_SOCKET, 8)) {
                Some(OptVal::Int(rcvbuf)) => *rcvbuf >> 1,
                _ => (w.tcp_rmem_max >> 1) as i32,
            };
            Ok(v.min(cap).max(1))
        }
        (SOL_SOCKET, 74) if !(-1..=1).contains(&val) => Err(-EINVAL),
        // sock_bindtoindex_locked: no device lookup, only the sign.
        (SOL_SOCKET, 62) if val < 0 => Err(-EINVAL),
        (SOL_TCP, 2) if val != 0 && !(88..=32767).contains(&val) => Err(-EINVAL),
        (SOL_TCP, 4 | 5) if !(1..=32767).contains(&val) => Err(-EINVAL),
        (SOL_TCP, 6 | 7) if !(1..=127).contains(&val) => Err(-EINVAL),
        (SOL_TCP, 10) if val == 0 && s.state != 7 => Err(-EINVAL),
        // tcp_set_window_clamp: at least SOCK_MIN_RCVBUF / 2.
        (SOL_TCP, 10) => Ok(val.max(SOCK_MIN_RCVBUF / 2)),
        (SOL_TCP, 16) if !(0..=1).contains(&val) => Err(-EINVAL),
        (SOL_TCP, 18) if val < 0 => Err(-EINVAL),
        (SOL_TCP, 27) if !(0..=2).contains(&val) => Err(-EINVAL),
        (SOL_TCP, 44) if !(1000..=120_000).contains(&val) => Err(-EINVAL),
        (SOL_TCP, 1001) if val <= 0 || s.data_segs_out != 0 => Err(-EINVAL),
        (SOL_TCP, 1002) if val <= 0 => Err(-EINVAL),
        (SOL_TCP, 1003) | (SOL_TCP, 1004) => {
            // TCP_DELACK_MAX and TCP_RTO_MIN are both HZ/5; the floor is
            // TCP_TIMEOUT_MIN (2 jiffies) for the delayed-ACK maximum.
            let j = usecs_to_jiffies(u64::from(val.max(0) as u32), hz);
            let min = if optname == 1003 { 2 } else { 0 };
            if val < 0 || j > u64::from(hz / 5) || j < min {
                Err(-EINVAL)
            } else {
                // kept in jiffies: reads back rounded up to whole jiffies
                Ok((j * (1_000_000 / u64::from(hz.max(1)))) as i32)
            }
        }
        (SOL_TCP, 1008) if (val as u32) & !ALL_CB_FLAGS != 0 => Err(-EINVAL),
        (SOL_TCP, 1008) => {
            st.cb_flags = val as u32;
            Ok(val)
        }
        (SOL_IP, 1) => Ok(val & !3),
        (SOL_IPV6, 67) if !(-1..=255).contains(&val) => Err(-EINVAL),
        (SOL_IPV6, 67) => Ok(val.max(0) & !3),
        (SOL_IPV6, 70) => Ok(i32::from(val != 0)),
        _ => Ok(val),
    };
    match stored {
        Ok(v) => {
            if (level, optname) != (SOL_TCP, 1008) {
                st.opts.insert((level, optname), OptVal::Int(v));
            }
            0
        }
        Err(e) => e,
    }
}

fn set_congestion(w: &SockWorld, st: &mut SockState, optval: &[u8]) -> i64 {
    if optval.len() < 2 {
        return -EINVAL;
    }
    // strncpy_from_sockptr of at most TCP_CA_NAME_MAX - 1 bytes.
    let n = optval.len().min(TCP_CA_NAME_MAX - 1);
    let raw = &optval[..n];
    let name_bytes = raw.split(|b| *b == 0).next().unwrap_or(raw);
    // "cdg" would allocate in the ca area from a BPF context: refused.
    let cmp_len = optval.len().min(4);
    if optval.len() >= 3 && b"cdg\0"[..cmp_len.min(4)] == optval[..cmp_len] {
        return -ENOTSUPP;
    }
    let name = String::from_utf8_lossy(name_bytes).into_owned();
    if !w.congestion.contains(&name) {
        return -ENOENT;
    }
    st.opts
        .insert((SOL_TCP, TCP_CONGESTION), OptVal::Name(name));
    0
}

/// `bpf_getsockopt` on a full socket: the `optlen` bytes to write, or
/// `-errno` (the helper then zeroes the buffer).
pub(crate) fn get(
    w: &SockWorld,
    st: &SockState,
    s: &OptSock,
    level: i32,
    optname: i32,
    optlen: usize,
) -> Result<Vec<u8>, i64> {
    let is_int = gate(s, level, optname, true)?;
    if !is_int {
        if (level, optname) != (SOL_TCP, TCP_CONGESTION) {
            return Err(-ENOTSUPP); // TCP_SAVED_SYN: no saved SYN is modelled
        }
        if optlen < 2 {
            return Err(-EINVAL);
        }
        let name = match st.opts.get(&(SOL_TCP, TCP_CONGESTION)) {
            Some(OptVal::Name(n)) => n.clone(),
            _ => w.default_congestion.clone(),
        };
        // The kernel copies min(optlen - 1, TCP_CA_NAME_MAX) bytes of the
        // zero-padded name and NUL-terminates at optlen - 1.
        let mut cell = [0u8; TCP_CA_NAME_MAX];
        let nb = name.as_bytes();
        let k = nb.len().min(TCP_CA_NAME_MAX);
        cell[..k].copy_from_slice(&nb[..k]);
        let mut out = vec![0u8; optlen];
        let n = (optlen - 1).min(TCP_CA_NAME_MAX);
        out[..n].copy_from_slice(&cell[..n]);
        return Ok(out);
    }
    if optlen != 4 {
        return Err(-EINVAL);
    }
    let stored = match st.opts.get(&(level, optname)) {
        Some(OptVal::Int(v)) => Some(*v),
        _ => None,
    };
    let v: i32 = match (level, optname) {
        (SOL_TCP, 1008) => st.cb_flags as i32,
        // do_tcp_getsockopt: the user MSS only before the connection has
        // one (CLOSE or LISTEN), else mss_cache.
        (SOL_TCP, 2) if !matches!(s.state, 7 | 10) && s.mss != 0 => s.mss as i32,
        _ if stored.is_some() => stored.unwrap_or(0),
        (SOL_SOCKET, 7) => 16384,  // tcp_wmem[1]
        (SOL_SOCKET, 8) => 131072, // tcp_rmem[1]
        (SOL_SOCKET, 18) => 1,
        (SOL_SOCKET, 47) => -1, // ~0UL truncated to int
        (SOL_SOCKET, 74) => 1,
        (SOL_TCP, 2) => {
            if s.mss == 0 {
                536
            } else {
                s.mss as i32
            }
        }
        (SOL_TCP, 4) => 7200,
        (SOL_TCP, 5) => 75,
        (SOL_TCP, 6) => 9,
        (SOL_TCP, 7) => 6,
        // tp->window_clamp depends on the buffers at connect time: the
        // event says it (`tcp.window_clamp`), else unmodelled.
        (SOL_TCP, 10) => match st.window_clamp {
            Some(v) => v as i32,
            None => return Err(-ENOTSUPP),
        },
        (SOL_TCP, 25) => 0, // per-socket notsent_lowat; 0 = use the sysctl
        (SOL_TCP, 1003) => 200_000, // TCP_DELACK_MAX (HZ/5) in usecs
        (SOL_TCP, 1004) => 200_000, // TCP_RTO_MIN (HZ/5) in usecs
        (SOL_TCP, 44) => 120_000,
        (SOL_IPV6, 70) => 1,
        _ => 0,
    };
    Ok(v.to_le_bytes().to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tcp4() -> OptSock {
        OptSock {
            family: AF_INET,
            protocol: 6,
            state: 1,
            mss: 0,
            data_segs_out: 0,
        }
    }

    #[test]
    fn buffers_are_doubled_and_clamped() {
        let w = SockWorld::default();
        let mut st = SockState::default();
        let s = tcp4();
        assert_eq!(
            set(&w, &mut st, &s, SOL_SOCKET, 7, &65536i32.to_le_bytes()),
            0
        );
        assert_eq!(
            get(&w, &st, &s, SOL_SOCKET, 7, 4).unwrap(),
            131072i32.to_le_bytes()
        );
        set(&w, &mut st, &s, SOL_SOCKET, 7, &(-1i32).to_le_bytes());
        assert_eq!(
            get(&w, &st, &s, SOL_SOCKET, 7, 4).unwrap(),
            425984i32.to_le_bytes()
        );
        set(&w, &mut st, &s, SOL_SOCKET, 8, &10i32.to_le_bytes());
        assert_eq!(
            get(&w, &st, &s, SOL_SOCKET, 8, 4).unwrap(),
            2304i32.to_le_bytes()
        );
        assert_eq!(set(&w, &mut st, &s, SOL_SOCKET, 7, &[1, 2]), -22);
        assert_eq!(set(&w, &mut st, &s, SOL_SOCKET, 99, &[0; 4]), -22);
        assert_eq!(set(&w, &mut st, &s, SOL_IPV6, 67, &[0; 4]), -22);
    }

    #[test]
    fn congestion_names() {
        let w = SockWorld::default();
        let mut st = SockState::default();
        let s = tcp4();
        assert_eq!(get(&w, &st, &s, SOL_TCP, 13, 8).unwrap(), b"cubic\0\0\0");
        assert_eq!(set(&w, &mut st, &s, SOL_TCP, 13, b"reno\0"), 0);
        assert_eq!(get(&w, &st, &s, SOL_TCP, 13, 4).unwrap(), b"ren\0");
        assert_eq!(set(&w, &mut st, &s, SOL_TCP, 13, b"vegas\0"), -2);
        assert_eq!(set(&w, &mut st, &s, SOL_TCP, 13, b"cdg\0"), -524);
        assert_eq!(set(&w, &mut st, &s, SOL_TCP, 13, b"r"), -22);
    }

    #[test]
    fn tcp_ranges_and_cb_flags() {
        let w = SockWorld::default();
        let mut st = SockState::default();
        let s = tcp4();
        assert_eq!(set(&w, &mut st, &s, SOL_TCP, 6, &200i32.to_le_bytes()), -22);
        assert_eq!(
            set(&w, &mut st, &s, SOL_TCP, 1003, &1000i32.to_le_bytes()),
            -22
        );
        assert_eq!(
            set(&w, &mut st, &s, SOL_TCP, 1003, &40000i32.to_le_bytes()),
            0
        );
        assert_eq!(
            set(&w, &mut st, &s, SOL_TCP, 1008, &0x80i32.to_le_bytes()),
            -22
        );
        assert_eq!(set(&w, &mut st, &s, SOL_TCP, 1008, &4i32.to_le_bytes()), 0);
        assert_eq!(st.cb_flags, 4);
        assert_eq!(
            get(&w, &st, &s, SOL_TCP, 1008, 4).unwrap(),
            4i32.to_le_bytes()
        );
        assert_eq!(set(&w, &mut st, &s, SOL_IP, 1, &0x2fi32.to_le_bytes()), 0);
        assert_eq!(
            get(&w, &st, &s, SOL_IP, 1, 4).unwrap(),
            0x2ci32.to_le_bytes()
        );
    }
}

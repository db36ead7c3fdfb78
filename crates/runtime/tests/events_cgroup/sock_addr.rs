//! CGROUP_SOCK_ADDR against the kernel: connect4/6 rewrites, bind4
//! verdicts, sendmsg4/recvmsg4 rewrites, bpf_setsockopt.

use super::*;
use serde_json::json;

// ------------------------------------------------------------- sock_addr

/// Connects a TCP socket to `ip:port` and returns (errno, peer ip, peer
/// port) — the peer from getpeername.
fn connect4(ip: [u8; 4], port: u16) -> [i64; 3] {
    // SAFETY: socket calls on a local sockaddr_in.
    unsafe {
        let fd = libc::socket(libc::AF_INET, libc::SOCK_STREAM, 0);
        let mut sa: libc::sockaddr_in = std::mem::zeroed();
        sa.sin_family = libc::AF_INET as u16;
        sa.sin_port = port.to_be();
        sa.sin_addr.s_addr = u32::from_ne_bytes(ip);
        let len = std::mem::size_of::<libc::sockaddr_in>() as u32;
        let r = libc::connect(fd, (&sa as *const libc::sockaddr_in).cast(), len);
        let e = if r < 0 { errno() } else { 0 };
        let mut peer: libc::sockaddr_in = std::mem::zeroed();
        let mut plen = len;
        let mut out = [e, 0, 0];
        if r == 0
            && libc::getpeername(fd, (&mut peer as *mut libc::sockaddr_in).cast(), &mut plen) == 0
        {
            out[1] = i64::from(u32::from_be(peer.sin_addr.s_addr));
            out[2] = i64::from(u16::from_be(peer.sin_port));
        }
        libc::close(fd);
        out
    }
}

pub(crate) fn cgroup_sock_addr_connect4_rewrite_matches_the_kernel() {
    let o = obj("sock_addr");
    let events = json!([
        {"ip": "127.0.0.2", "port": 47010},
        {"ip": "127.0.0.1", "port": 47013},
        {"ip": "127.0.0.1", "port": 47012},
    ]);
    let ours = fire(&o, "connect4", events);
    assert_eq!(ours[0].action, "allow: connect to 127.0.0.1:47011");
    assert_eq!(ours[0].effects["ip"], "127.0.0.1");
    assert_eq!(ours[0].effects["port"], 47011);
    assert_eq!(ours[0].effects["rewritten"], true);
    assert_eq!(ours[1].action, "deny: EPERM");
    assert_eq!(ours[2].action, "allow: connect to 127.0.0.1:47012");
    assert_eq!(ours[2].effects["rewritten"], false);
    let cg = test_cgroup();
    let listener = match std::net::TcpListener::bind("127.0.0.1:47011") {
        Ok(l) => l,
        Err(e) => {
            panic!("cannot listen on 127.0.0.1:47011: {e}");
        }
    };
    if std::net::TcpListener::bind("127.0.0.1:47012").is_ok() {
        // nothing listens there during the test (the probe listener is
        // dropped at once): a connect is refused, not denied
    }
    let _kp = attach(&cg, &o, "connect4");
    let k1 = in_cgroup(&cg, || {
        let a = connect4([127, 0, 0, 2], 47010);
        let b = connect4([127, 0, 0, 1], 47013);
        let c = connect4([127, 0, 0, 1], 47012);
        [a[0], a[1], a[2], b[0], c[0]]
    });
    // with getpeername4 attached too, the application sees the address
    // it asked for
    let _kp2 = attach(&cg, &o, "getpeername4");
    let k2 = in_cgroup(&cg, || connect4([127, 0, 0, 2], 47010));
    let k = [k1[0], k1[1], k1[2], k1[3], k1[4], k2[0], k2[1], k2[2]];
    drop(listener);
    // the rewritten connect reached the listener
    assert_eq!(k[0], 0, "connect to 127.0.0.2:47010 failed: errno {}", k[0]);
    let landed = std::net::Ipv4Addr::from(k[1] as u32).to_string();
    assert_eq!(json!(landed), ours[0].effects["ip"]);
    assert_eq!(json!(k[2]), ours[0].effects["port"]);
    assert_eq!(k[3], action_errno(&ours[1].action), "denied port");
    assert_eq!(k[5], 0);
    let hidden = fire(&o, "getpeername4", json!({"ip": landed, "port": k[2]}));
    let shown = format!("report {}:{}", std::net::Ipv4Addr::from(k[6] as u32), k[7]);
    assert_eq!(hidden[0].action, shown, "getpeername4 hides the rewrite");
    // allowed but refused (ECONNREFUSED), not denied
    assert_eq!(action_errno(&ours[2].action), 0);
    assert_eq!(k[4], i64::from(libc::ECONNREFUSED));
}

pub(crate) fn sock_addr_hooks_in_bpfbox() {
    let o = obj("sock_addr");
    // bind4: 0 deny, 1 allow, 2 deny (the flag alone), 3 allow + bypass
    let r = fire(
        &o,
        "bind4",
        json!([{"ip": "0.0.0.0", "port": 47099}, {"ip": "0.0.0.0", "port": 8080},
               {"ip": "0.0.0.0", "port": 82}, {"ip": "0.0.0.0", "port": 81}]),
    );
    assert_eq!(r[0].action, "deny: EPERM");
    assert_eq!(r[1].action, "allow: bind to 0.0.0.0:8080");
    assert_eq!(r[1].effects["bypass_cap_net_bind_service"], false);
    assert_eq!((r[2].retval, r[2].action.as_str()), (2, "deny: EPERM"));
    assert_eq!(r[2].effects["bypass_cap_net_bind_service"], false);
    assert_eq!(r[3].retval, 3);
    assert_eq!(r[3].effects["bypass_cap_net_bind_service"], true);
    assert!(r[3].action.contains("no CAP_NET_BIND_SERVICE check"));
    // sendmsg4 rewrites destination and source
    let r = fire(&o, "sendmsg4", json!({"ip": "10.0.0.9", "port": 47020}));
    assert_eq!(r[0].action, "allow: send to 127.0.0.1:47021");
    assert_eq!(r[0].effects["msg_src_ip"], "127.0.0.3");
    assert_eq!(r[0].effects["msg_src_rewritten"], true);
    // recvmsg4 only reports
    let r = fire(&o, "recvmsg4", json!({"ip": "127.0.0.1", "port": 47011}));
    assert_eq!(r[0].action, "report 127.0.0.2:47010");
    // connect6 rewrites and binds through bpf_bind
    let r = fire(&o, "connect6", json!({"ip": "::2", "port": 47010}));
    assert_eq!(r[0].action, "allow: connect to [::1]:47011");
    assert_eq!(r[0].effects["calls"][0]["helper"], "bind");
    assert_eq!(r[0].effects["calls"][0]["ip"], "::1");
    assert_eq!(r[0].effects["calls"][0]["address_only"], true);
    // the wrong family for the hook is one clear line
    let (p, mut host) = bpfbox_prog(&o, "connect6");
    let e = fire_all(&p, &mut host, &json!({"ip": "127.0.0.1", "port": 1})).unwrap_err();
    assert!(e.to_string().contains("not an IPv6 address"), "{e}");
}

pub(crate) fn sock_addr_setsockopt_matches_the_kernel() {
    let o = obj("sock_addr");
    let ours = fire(
        &o,
        "connect4_opts",
        json!({"ip": "127.0.0.1", "port": 47012}),
    );
    assert_eq!(ours[0].retval, 1, "bpf_getsockopt read the mark back");
    let calls = ours[0].effects["calls"].as_array().unwrap();
    let rets: Vec<i64> = calls.iter().map(|c| c["ret"].as_i64().unwrap()).collect();
    assert_eq!(rets, vec![0, 0, -22]);
    let cg = test_cgroup();
    let _kp = attach(&cg, &o, "connect4_opts");
    let k = in_cgroup(&cg, || {
        // SAFETY: socket system calls on local buffers.
        unsafe {
            let fd = libc::socket(libc::AF_INET, libc::SOCK_STREAM, 0);
            let mut sa: libc::sockaddr_in = std::mem::zeroed();
            sa.sin_family = libc::AF_INET as u16;
            sa.sin_port = 47012u16.to_be();
            sa.sin_addr.s_addr = u32::from_ne_bytes([127, 0, 0, 1]);
            let len = std::mem::size_of::<libc::sockaddr_in>() as u32;
            let r = libc::connect(fd, (&sa as *const libc::sockaddr_in).cast(), len);
            let e = if r < 0 { errno() } else { 0 };
            let mut mark = 0i32;
            let mut l = 4u32;
            libc::getsockopt(
                fd,
                libc::SOL_SOCKET,
                libc::SO_MARK,
                (&mut mark as *mut i32).cast(),
                &mut l,
            );
            let mut cc = [0u8; 8];
            let mut l = 8u32;
            libc::getsockopt(
                fd,
                libc::IPPROTO_TCP,
                libc::TCP_CONGESTION,
                cc.as_mut_ptr().cast(),
                &mut l,
            );
            [e, i64::from(mark), i64::from_le_bytes(cc)]
        }
    });
    // allowed (r0 1), refused by the closed port
    assert_eq!(k[0], i64::from(libc::ECONNREFUSED));
    assert_eq!(k[1], 0x77, "SO_MARK set by the program");
    assert_eq!(&k[2].to_le_bytes()[..5], b"reno\0");
}

pub(crate) fn cgroup_sock_addr_connect6_with_bpf_bind_matches_the_kernel() {
    let o = obj("sock_addr");
    let ours = fire(&o, "connect6", json!({"ip": "::2", "port": 47010}));
    assert_eq!(ours[0].action, "allow: connect to [::1]:47011");
    let cg = test_cgroup();
    let listener = match std::net::TcpListener::bind("[::1]:47011") {
        Ok(l) => l,
        Err(e) => {
            panic!("cannot listen on [::1]:47011: {e}");
        }
    };
    let _kp = attach(&cg, &o, "connect6");
    let k = in_cgroup(&cg, || {
        // SAFETY: socket calls on local sockaddr_in6 values.
        unsafe {
            let fd = libc::socket(libc::AF_INET6, libc::SOCK_STREAM, 0);
            let mut sa: libc::sockaddr_in6 = std::mem::zeroed();
            sa.sin6_family = libc::AF_INET6 as u16;
            sa.sin6_port = 47010u16.to_be();
            sa.sin6_addr.s6_addr[15] = 2;
            let len = std::mem::size_of::<libc::sockaddr_in6>() as u32;
            let r = libc::connect(fd, (&sa as *const libc::sockaddr_in6).cast(), len);
            let e = if r < 0 { errno() } else { 0 };
            let mut peer: libc::sockaddr_in6 = std::mem::zeroed();
            let mut plen = len;
            libc::getpeername(fd, (&mut peer as *mut libc::sockaddr_in6).cast(), &mut plen);
            let mut me: libc::sockaddr_in6 = std::mem::zeroed();
            let mut mlen = len;
            libc::getsockname(fd, (&mut me as *mut libc::sockaddr_in6).cast(), &mut mlen);
            libc::close(fd);
            [
                e,
                i64::from(peer.sin6_addr.s6_addr[15]),
                i64::from(u16::from_be(peer.sin6_port)),
                i64::from(me.sin6_addr.s6_addr[15]),
            ]
        }
    });
    drop(listener);
    assert_eq!(k[0], 0, "connect to [::2]:47010 failed: errno {}", k[0]);
    assert_eq!((k[1], k[2]), (1, 47011), "landed on [::1]:47011");
    assert_eq!(json!(k[2]), ours[0].effects["port"]);
    // the local address bpf_bind chose is the one bpfbox recorded
    assert_eq!(ours[0].effects["calls"][0]["ip"], "::1");
    assert_eq!(k[3], 1);
}

pub(crate) fn cgroup_recvmsg4_report_matches_the_kernel() {
    let o = obj("sock_addr");
    let ours = fire(
        &o,
        "recvmsg4",
        json!([{"ip": "127.0.0.1", "port": 47011}, {"ip": "127.0.0.1", "port": 47015}]),
    );
    assert_eq!(ours[0].action, "report 127.0.0.2:47010");
    assert_eq!(ours[1].action, "report 127.0.0.1:47015");
    let cg = test_cgroup();
    let _kp = attach(&cg, &o, "recvmsg4");
    let k = in_cgroup(&cg, || {
        // SAFETY: socket calls on local sockaddr_in values.
        unsafe {
            let len = std::mem::size_of::<libc::sockaddr_in>() as u32;
            let addr = |port: u16| {
                let mut sa: libc::sockaddr_in = std::mem::zeroed();
                sa.sin_family = libc::AF_INET as u16;
                sa.sin_port = port.to_be();
                sa.sin_addr.s_addr = u32::from_ne_bytes([127, 0, 0, 1]);
                sa
            };
            let udp = |port: u16| {
                let fd = libc::socket(libc::AF_INET, libc::SOCK_DGRAM, 0);
                let sa = addr(port);
                if libc::bind(fd, (&sa as *const libc::sockaddr_in).cast(), len) != 0 {
                    return -1;
                }
                fd
            };
            let (a, b, rx) = (udp(47011), udp(47015), udp(47016));
            if a < 0 || b < 0 || rx < 0 {
                return [-1, errno(), 0, 0, 0];
            }
            let to = addr(47016);
            let mut out = [0i64; 5];
            for (i, fd) in [a, b].into_iter().enumerate() {
                libc::sendto(
                    fd,
                    b"x".as_ptr().cast(),
                    1,
                    0,
                    (&to as *const libc::sockaddr_in).cast(),
                    len,
                );
                let mut from: libc::sockaddr_in = std::mem::zeroed();
                let mut flen = len;
                let mut buf = [0u8; 4];
                libc::recvfrom(
                    rx,
                    buf.as_mut_ptr().cast(),
                    4,
                    0,
                    (&mut from as *mut libc::sockaddr_in).cast(),
                    &mut flen,
                );
                out[1 + 2 * i] = i64::from(u32::from_be(from.sin_addr.s_addr));
                out[2 + 2 * i] = i64::from(u16::from_be(from.sin_port));
            }
            for fd in [a, b, rx] {
                libc::close(fd);
            }
            out
        }
    });
    assert_eq!(k[0], 0, "UDP setup failed: errno {}", k[1]);
    let show =
        |ip: i64, port: i64| format!("report {}:{port}", std::net::Ipv4Addr::from(ip as u32));
    assert_eq!(show(k[1], k[2]), ours[0].action);
    assert_eq!(show(k[3], k[4]), ours[1].action);
}

pub(crate) fn cgroup_sendmsg4_rewrite_matches_the_kernel() {
    let o = obj("sock_addr");
    let ours = fire(&o, "sendmsg4", json!({"ip": "10.0.0.9", "port": 47020}));
    assert_eq!(ours[0].action, "allow: send to 127.0.0.1:47021");
    let cg = test_cgroup();
    let _kp = attach(&cg, &o, "sendmsg4");
    let k = in_cgroup(&cg, || {
        // SAFETY: socket calls on local sockaddr_in values.
        unsafe {
            let len = std::mem::size_of::<libc::sockaddr_in>() as u32;
            let addr = |ip: [u8; 4], port: u16| {
                let mut sa: libc::sockaddr_in = std::mem::zeroed();
                sa.sin_family = libc::AF_INET as u16;
                sa.sin_port = port.to_be();
                sa.sin_addr.s_addr = u32::from_ne_bytes(ip);
                sa
            };
            let rx = libc::socket(libc::AF_INET, libc::SOCK_DGRAM, 0);
            let at = addr([127, 0, 0, 1], 47021);
            if libc::bind(rx, (&at as *const libc::sockaddr_in).cast(), len) != 0 {
                return [-1, errno(), 0];
            }
            let tx = libc::socket(libc::AF_INET, libc::SOCK_DGRAM, 0);
            let to = addr([10, 0, 0, 9], 47020);
            let r = libc::sendto(
                tx,
                b"x".as_ptr().cast(),
                1,
                0,
                (&to as *const libc::sockaddr_in).cast(),
                len,
            );
            if r < 0 {
                return [-2, errno(), 0];
            }
            let mut from: libc::sockaddr_in = std::mem::zeroed();
            let mut flen = len;
            let mut buf = [0u8; 4];
            let n = libc::recvfrom(
                rx,
                buf.as_mut_ptr().cast(),
                4,
                libc::MSG_DONTWAIT,
                (&mut from as *mut libc::sockaddr_in).cast(),
                &mut flen,
            );
            libc::close(rx);
            libc::close(tx);
            if n != 1 {
                return [-3, errno(), 0];
            }
            [0, i64::from(u32::from_be(from.sin_addr.s_addr)), 0]
        }
    });
    assert_eq!(k[0], 0, "step {} failed: errno {}", -k[0], k[1]);
    // the datagram reached 127.0.0.1:47021 from the rewritten source
    assert_eq!(
        json!(std::net::Ipv4Addr::from(k[1] as u32).to_string()),
        ours[0].effects["msg_src_ip"]
    );
}

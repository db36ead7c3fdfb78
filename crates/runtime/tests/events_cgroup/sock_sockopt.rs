//! CGROUP_SOCK and CGROUP_SOCKOPT against the kernel.

use super::*;
use serde_json::json;

// ------------------------------------------------------------------ sock

pub(crate) fn cgroup_sock_create_matches_the_kernel() {
    let o = obj("sock");
    let ours = fire(
        &o,
        "sock_create",
        json!([{"family": "inet", "type": "raw", "protocol": "icmp"},
               {"family": "inet", "type": "dgram"},
               {"family": "inet", "type": "stream"}]),
    );
    assert_eq!(ours[0].action, "deny: EPERM");
    assert_eq!(
        (
            ours[1].effects["mark"].clone(),
            ours[1].effects["priority"].clone()
        ),
        (json!(0x42), json!(3))
    );
    assert_eq!(
        (
            ours[2].effects["mark"].clone(),
            ours[2].effects["priority"].clone()
        ),
        (json!(0), json!(0))
    );
    let cg = test_cgroup();
    let _kp = attach(&cg, &o, "sock_create");
    let k = in_cgroup(&cg, || {
        // SAFETY: socket system calls.
        unsafe {
            let opt = |fd: i32, name: i32| -> i64 {
                let mut v = 0i32;
                let mut l = 4u32;
                libc::getsockopt(
                    fd,
                    libc::SOL_SOCKET,
                    name,
                    (&mut v as *mut i32).cast(),
                    &mut l,
                );
                i64::from(v)
            };
            let raw = libc::socket(libc::AF_INET, libc::SOCK_RAW, libc::IPPROTO_ICMP);
            let raw_err = if raw < 0 { errno() } else { 0 };
            let udp = libc::socket(libc::AF_INET, libc::SOCK_DGRAM, 0);
            let tcp = libc::socket(libc::AF_INET, libc::SOCK_STREAM, 0);
            [
                raw_err,
                opt(udp, libc::SO_MARK),
                opt(udp, libc::SO_PRIORITY),
                opt(tcp, libc::SO_MARK),
                opt(tcp, libc::SO_PRIORITY),
            ]
        }
    });
    assert_eq!(k[0], action_errno(&ours[0].action));
    assert_eq!(json!(k[1]), ours[1].effects["mark"]);
    assert_eq!(json!(k[2]), ours[1].effects["priority"]);
    assert_eq!(json!(k[3]), ours[2].effects["mark"]);
    assert_eq!(json!(k[4]), ours[2].effects["priority"]);
}

pub(crate) fn post_bind_and_release_in_bpfbox() {
    let o = obj("sock");
    let r = fire(
        &o,
        "post_bind4",
        json!([{"src_ip": "127.0.0.1", "src_port": 47098}, {"src_port": 80}]),
    );
    assert_eq!(r[0].action, "deny: EPERM (the bind is undone)");
    assert_eq!(r[1].action, "allow");
    let r = fire(&o, "sock_release", json!({}));
    assert!(r[0].action.starts_with("ignored"), "{}", r[0].action);
}

/// Binds a UDP socket to 127.0.0.1:`port`; the errno.
fn bind_udp4(port: u16) -> i64 {
    // SAFETY: socket calls on a local sockaddr_in.
    unsafe {
        let fd = libc::socket(libc::AF_INET, libc::SOCK_DGRAM, 0);
        let mut sa: libc::sockaddr_in = std::mem::zeroed();
        sa.sin_family = libc::AF_INET as u16;
        sa.sin_port = port.to_be();
        sa.sin_addr.s_addr = u32::from_ne_bytes([127, 0, 0, 1]);
        let len = std::mem::size_of::<libc::sockaddr_in>() as u32;
        let r = libc::bind(fd, (&sa as *const libc::sockaddr_in).cast(), len);
        let e = if r < 0 { errno() } else { 0 };
        libc::close(fd);
        e
    }
}

pub(crate) fn cgroup_post_bind4_and_bind4_match_the_kernel() {
    let (sock, sa) = (obj("sock"), obj("sock_addr"));
    let post = fire(
        &sock,
        "post_bind4",
        json!([{"type": "dgram", "src_ip": "127.0.0.1", "src_port": 47098},
               {"type": "dgram", "src_ip": "127.0.0.1", "src_port": 47097}]),
    );
    let bind = fire(
        &sa,
        "bind4",
        json!([{"ip": "127.0.0.1", "port": 47099, "type": "dgram"},
               {"ip": "127.0.0.1", "port": 47096, "type": "dgram"},
               {"ip": "127.0.0.1", "port": 82, "type": "dgram"},
               {"ip": "127.0.0.1", "port": 81, "type": "dgram"}]),
    );
    let ours: Vec<i64> = post
        .iter()
        .chain(bind.iter())
        .map(|r| action_errno(&r.action))
        .collect();
    assert_eq!(ours, vec![1, 0, 1, 0, 1, 0]);
    let cg = test_cgroup();
    let _a = attach(&cg, &sock, "post_bind4");
    let _b = attach(&cg, &sa, "bind4");
    let k = in_cgroup(&cg, || {
        [
            bind_udp4(47098),
            bind_udp4(47097),
            bind_udp4(47099),
            bind_udp4(47096),
            bind_udp4(82),
            bind_udp4(81),
        ]
    });
    assert_eq!(k.to_vec(), ours);
}

// --------------------------------------------------------------- sockopt

pub(crate) fn cgroup_sockopt_matches_the_kernel() {
    let o = obj("sockopt");
    let set = fire(
        &o,
        "set_opt",
        json!([{"level": "SOL_SOCKET", "optname": "SO_MARK", "optval": 21},
               {"level": 1234, "optname": 1, "optval": 5},
               {"level": "SOL_IP", "optname": "IP_TOS", "optval": 16},
               {"level": "SOL_SOCKET", "optname": "SO_PRIORITY", "optval": 2}]),
    );
    assert_eq!(set[0].action, "allow");
    assert_eq!(set[0].effects["optval"], "2a000000");
    assert!(set[1].action.starts_with("bypass"));
    assert_eq!(set[2].action, "deny: EPERM");
    assert_eq!(set[3].effects["optval"], "02000000");
    let get = fire(
        &o,
        "get_opt",
        json!([{"level": 1234, "optname": 1, "optlen": 4, "retval": -95},
               {"level": "SOL_SOCKET", "optname": "SO_MARK", "optval": 42}]),
    );
    assert_eq!(get[0].action, "allow");
    assert_eq!(get[0].effects["optval"], "55000000");
    assert_eq!(get[1].effects["optval"], "2a000000");
    let cg = test_cgroup();
    let _s = attach(&cg, &o, "set_opt");
    let _g = attach(&cg, &o, "get_opt");
    let k = in_cgroup(&cg, || {
        // SAFETY: socket option calls on local ints.
        unsafe {
            let fd = libc::socket(libc::AF_INET, libc::SOCK_STREAM, 0);
            let set = |level: i32, name: i32, v: i32| -> i64 {
                let r = libc::setsockopt(fd, level, name, (&v as *const i32).cast(), 4);
                if r < 0 {
                    errno()
                } else {
                    0
                }
            };
            let get = |level: i32, name: i32| -> (i64, i64) {
                let mut v = 0i32;
                let mut l = 4u32;
                let r = libc::getsockopt(fd, level, name, (&mut v as *mut i32).cast(), &mut l);
                if r < 0 {
                    (errno(), 0)
                } else {
                    (0, i64::from(v))
                }
            };
            let a = set(libc::SOL_SOCKET, libc::SO_MARK, 21);
            let (ae, av) = get(libc::SOL_SOCKET, libc::SO_MARK);
            let b = set(1234, 1, 5);
            let (be, bv) = get(1234, 1);
            let c = set(libc::SOL_IP, libc::IP_TOS, 16);
            // a 5000-byte SO_MARK value (the program sees its first page)
            let mut big = [0u8; 5000];
            big[0] = 9;
            let d = libc::setsockopt(
                fd,
                libc::SOL_SOCKET,
                libc::SO_MARK,
                big.as_ptr().cast(),
                5000,
            );
            let de = if d < 0 { errno() } else { 0 };
            let (_, dv) = get(libc::SOL_SOCKET, libc::SO_MARK);
            // a 2-byte buffer for the program's 4-byte answer
            let mut v = [0u8; 2];
            let mut l = 2u32;
            let e = libc::getsockopt(fd, 1234, 1, v.as_mut_ptr().cast(), &mut l);
            let ee = if e < 0 { errno() } else { 0 };
            [a, ae, av, b, be, bv, c, de, dv, ee]
        }
    });
    assert_eq!(k[0], action_errno(&set[0].action));
    assert_eq!((k[1], k[2]), (0, 42), "SO_MARK reads back doubled");
    assert_eq!(k[3], action_errno(&set[1].action), "level 1234 bypassed");
    assert_eq!((k[4], k[5]), (action_errno(&get[0].action), 0x55));
    assert_eq!(k[6], action_errno(&set[2].action));
    let big = fire(
        &o,
        "set_opt",
        json!({"level": 1, "optname": 36, "optval": {"hex": format!("09{}", "00".repeat(4999))}}),
    );
    assert_eq!(k[7], action_errno(&big[0].action));
    assert_eq!(big[0].effects["optval"], "12000000");
    assert_eq!(k[8], 18, "the 5000-byte mark went in doubled");
    let small = fire(
        &o,
        "get_opt",
        json!({"level": 1234, "optname": 1, "optlen": 2, "retval": -95}),
    );
    assert_eq!(
        k[9],
        action_errno(&small[0].action),
        "the handler's EOPNOTSUPP survives"
    );
}

pub(crate) fn sockopt_optlen_rules_in_bpfbox() {
    let o = obj("sockopt");
    // optlen larger than a page: the program sees the first page only and
    // its SO_MARK rewrite (optlen 4 <= max_optlen) still applies
    let big = "00".repeat(5000);
    let r = fire(
        &o,
        "set_opt",
        json!({"level": 1, "optname": 36, "optval": {"hex": big}}),
    );
    assert_eq!(r[0].action, "allow");
    assert_eq!(r[0].effects["optlen"], 4);
    // the handler's error survives a program that returns 1 without
    // touching retval
    let r = fire(
        &o,
        "get_opt",
        json!({"level": 1, "optname": 99, "retval": -95}),
    );
    assert!(r[0].action.contains("EOPNOTSUPP"), "{}", r[0].action);
    // a 2-byte buffer fails the program's bounds check: it returns 0, and
    // the handler's error (already an errno) is what the caller gets
    let r = fire(
        &o,
        "get_opt",
        json!({"level": 1234, "optname": 1, "optlen": 2, "retval": -95}),
    );
    assert_eq!(r[0].retval, 0);
    assert_eq!(r[0].action, "deny: EOPNOTSUPP");
    // ... while after a successful handler a 0 verdict means EPERM
    let r = fire(
        &o,
        "get_opt",
        json!({"level": 1234, "optname": 1, "optlen": 2}),
    );
    assert_eq!(r[0].action, "deny: EPERM");
}

//! sk_reuseport: real SO_REUSEPORT UDP and TCP groups.

use super::{kload, map_index, object, u32_at};
use bpfbox_runtime::{events, LoadedProgram};
use serde_json::json;
use std::os::fd::AsRawFd;

/// A non-blocking UDP socket with SO_REUSEPORT bound to 127.0.0.1:port.
fn udp_reuseport(port: u16) -> std::os::fd::OwnedFd {
    use std::os::fd::FromRawFd;
    // SAFETY: plain socket syscalls on a fresh fd we own.
    unsafe {
        let fd = libc::socket(
            libc::AF_INET,
            libc::SOCK_DGRAM | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
            0,
        );
        assert!(fd >= 0);
        let one: libc::c_int = 1;
        let r = libc::setsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_REUSEPORT,
            (&one as *const libc::c_int).cast(),
            4,
        );
        assert_eq!(r, 0);
        let mut sa: libc::sockaddr_in = std::mem::zeroed();
        sa.sin_family = libc::AF_INET as u16;
        sa.sin_port = port.to_be();
        sa.sin_addr.s_addr = u32::from_ne_bytes([127, 0, 0, 1]);
        let r = libc::bind(
            fd,
            (&sa as *const libc::sockaddr_in).cast(),
            std::mem::size_of::<libc::sockaddr_in>() as u32,
        );
        assert_eq!(r, 0, "bind: {}", std::io::Error::last_os_error());
        std::os::fd::OwnedFd::from_raw_fd(fd)
    }
}

fn local_port(fd: &std::os::fd::OwnedFd) -> u16 {
    // SAFETY: getsockname into a correctly sized sockaddr_in.
    unsafe {
        let mut sa: libc::sockaddr_in = std::mem::zeroed();
        let mut len = std::mem::size_of::<libc::sockaddr_in>() as u32;
        libc::getsockname(
            fd.as_raw_fd(),
            (&mut sa as *mut libc::sockaddr_in).cast(),
            &mut len,
        );
        u16::from_be(sa.sin_port)
    }
}

/// Which of `socks` received a datagram (waiting up to 200 ms), if any.
fn receiver(socks: &[std::os::fd::OwnedFd]) -> Option<usize> {
    for _ in 0..40 {
        for (i, s) in socks.iter().enumerate() {
            let mut buf = [0u8; 64];
            // SAFETY: recv into a local buffer.
            let n = unsafe { libc::recv(s.as_raw_fd(), buf.as_mut_ptr().cast(), 64, 0) };
            if n >= 0 {
                return Some(i);
            }
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    None
}

pub(crate) fn sk_reuseport_picks_the_socket_the_kernel_picks() {
    let obj = object("sk_reuseport.o");
    let k = kload(&obj, "pick");
    let first = udp_reuseport(0);
    let port = local_port(&first);
    let socks = vec![first, udp_reuseport(port), udp_reuseport(port)];
    let pfd: libc::c_int = k.prog.fd().as_raw_fd();
    // SAFETY: SO_ATTACH_REUSEPORT_EBPF takes the program fd as an int.
    let r = unsafe {
        libc::setsockopt(
            socks[0].as_raw_fd(),
            libc::SOL_SOCKET,
            52,
            (&pfd as *const libc::c_int).cast(),
            4,
        )
    };
    if r != 0 {
        panic!(
            "SO_ATTACH_REUSEPORT_EBPF: {}",
            std::io::Error::last_os_error()
        );
    }
    let (group_i, seen_i, count_i) = (
        map_index(&obj, "group"),
        map_index(&obj, "seen"),
        map_index(&obj, "count"),
    );
    for (i, s) in socks.iter().enumerate() {
        k.maps[group_i]
            .update(
                &(i as u32).to_le_bytes(),
                &(s.as_raw_fd() as u64).to_le_bytes(),
                0,
            )
            .unwrap();
    }
    // Payload commands; 'h' from several source ports to spread the hash,
    // '3' names an empty slot (select fails, the kernel's pick applies).
    let cmds = ["0", "1", "2", "h", "h", "h", "h", "h", "h", "3", "d", "1"];
    let mut sent = Vec::new();
    for c in cmds {
        let tx = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let payload = format!("{c}x");
        tx.send_to(payload.as_bytes(), ("127.0.0.1", port)).unwrap();
        let got = receiver(&socks);
        sent.push((tx.local_addr().unwrap().port(), payload, got));
    }
    let n = u32_at(
        &k.maps[count_i]
            .lookup(&0u32.to_le_bytes())
            .unwrap()
            .unwrap(),
        0,
    ) as usize;
    assert_eq!(n, cmds.len(), "the program ran once per datagram");
    let mut host = crate::running::host();
    let prog = LoadedProgram::from_object(&mut host, &obj, "pick").unwrap();
    let mut hash_picks = 0;
    for (i, (sport, payload, got)) in sent.iter().enumerate() {
        let krec = k.maps[seen_i]
            .lookup(&(i as u32).to_le_bytes())
            .unwrap()
            .unwrap();
        let ulen = 8 + payload.len() as u16;
        let mut pkt = Vec::new();
        pkt.extend_from_slice(&sport.to_be_bytes());
        pkt.extend_from_slice(&port.to_be_bytes());
        pkt.extend_from_slice(&ulen.to_be_bytes());
        pkt.extend_from_slice(&[0, 0]);
        pkt.extend_from_slice(payload.as_bytes());
        let mut ev = json!({"group": [1, 2, 3], "packet": events::sockets::hex(&pkt),
            "hash": u32_at(&krec, 16), "local": format!("127.0.0.1:{port}"),
            "remote": format!("127.0.0.1:{sport}")});
        if i == 0 {
            ev["sockmaps"] = json!({"group": {"0": 1, "1": 2, "2": 3}});
        }
        let out = events::fire_all(&prog, &mut host, &ev).unwrap().remove(0);
        let brec = host.maps[seen_i].lookup(&(i as u32).to_le_bytes()).unwrap();
        assert_eq!(brec, krec, "datagram {payload}: ctx record differs");
        let picked = out.effects["socket"].as_u64().map(|id| id as usize - 1);
        assert_eq!(picked, *got, "datagram {payload}: {}", out.action);
        if out.effects.get("by") == Some(&json!("hash")) {
            hash_picks += 1;
        }
    }
    assert!(hash_picks >= 7, "the kernel's hash pick was exercised");
    println!(
        "sk_reuseport: {} datagrams, same receiving socket each time ({hash_picks} by the hash pick)",
        sent.len()
    );
}

/// A non-blocking TCP listener with SO_REUSEPORT on 127.0.0.1:port.
fn tcp_reuseport(port: u16) -> std::os::fd::OwnedFd {
    use std::os::fd::FromRawFd;
    // SAFETY: plain socket syscalls on a fresh fd we own.
    unsafe {
        let fd = libc::socket(
            libc::AF_INET,
            libc::SOCK_STREAM | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
            0,
        );
        assert!(fd >= 0);
        let one: libc::c_int = 1;
        libc::setsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_REUSEPORT,
            (&one as *const libc::c_int).cast(),
            4,
        );
        let mut sa: libc::sockaddr_in = std::mem::zeroed();
        sa.sin_family = libc::AF_INET as u16;
        sa.sin_port = port.to_be();
        sa.sin_addr.s_addr = u32::from_ne_bytes([127, 0, 0, 1]);
        let r = libc::bind(
            fd,
            (&sa as *const libc::sockaddr_in).cast(),
            std::mem::size_of::<libc::sockaddr_in>() as u32,
        );
        assert_eq!(r, 0, "bind: {}", std::io::Error::last_os_error());
        assert_eq!(libc::listen(fd, 16), 0);
        std::os::fd::OwnedFd::from_raw_fd(fd)
    }
}

pub(crate) fn sk_reuseport_tcp_syns_go_where_the_kernel_sends_them() {
    let obj = object("sk_reuseport.o");
    let k = kload(&obj, "by_sport");
    let first = tcp_reuseport(0);
    let port = local_port(&first);
    let socks = [first, tcp_reuseport(port), tcp_reuseport(port)];
    let pfd: libc::c_int = k.prog.fd().as_raw_fd();
    // SAFETY: SO_ATTACH_REUSEPORT_EBPF takes the program fd as an int.
    let r = unsafe {
        libc::setsockopt(
            socks[0].as_raw_fd(),
            libc::SOL_SOCKET,
            52,
            (&pfd as *const libc::c_int).cast(),
            4,
        )
    };
    if r != 0 {
        panic!(
            "SO_ATTACH_REUSEPORT_EBPF: {}",
            std::io::Error::last_os_error()
        );
    }
    let (group_i, seen_i) = (map_index(&obj, "group"), map_index(&obj, "seen"));
    for (i, s) in socks.iter().enumerate() {
        k.maps[group_i]
            .update(
                &(i as u32).to_le_bytes(),
                &(s.as_raw_fd() as u64).to_le_bytes(),
                0,
            )
            .unwrap();
    }
    let mut got = Vec::new();
    for _ in 0..6 {
        let c = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        let mut which = None;
        for _ in 0..40 {
            for (i, s) in socks.iter().enumerate() {
                // SAFETY: accept on a listener we own; the fd is closed at once.
                let fd = unsafe {
                    libc::accept(s.as_raw_fd(), std::ptr::null_mut(), std::ptr::null_mut())
                };
                if fd >= 0 {
                    // SAFETY: closing the accepted fd.
                    unsafe { libc::close(fd) };
                    which = Some(i);
                }
            }
            if which.is_some() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        got.push((c.local_addr().unwrap().port(), which));
    }
    let mut host = crate::running::host();
    let prog = LoadedProgram::from_object(&mut host, &obj, "by_sport").unwrap();
    for (i, (sport, which)) in got.iter().enumerate() {
        let krec = k.maps[seen_i]
            .lookup(&(i as u32).to_le_bytes())
            .unwrap()
            .unwrap();
        let data_len = u32_at(&krec, 20) as usize;
        let mut syn = vec![0u8; data_len.max(14)];
        syn[0..2].copy_from_slice(&sport.to_be_bytes());
        syn[2..4].copy_from_slice(&port.to_be_bytes());
        syn[12..14].copy_from_slice(&krec[40..42]);
        syn.truncate(data_len);
        let mut ev = json!({"group": [1, 2, 3], "protocol": "tcp",
            "packet": events::sockets::hex(&syn), "len": u32_at(&krec, 0),
            "hash": u32_at(&krec, 16), "local": format!("127.0.0.1:{port}"),
            "remote": format!("127.0.0.1:{sport}")});
        if i == 0 {
            ev["sockmaps"] = json!({"group": {"0": 1, "1": 2, "2": 3}});
        }
        let out = events::fire_all(&prog, &mut host, &ev).unwrap().remove(0);
        let brec = host.maps[seen_i].lookup(&(i as u32).to_le_bytes()).unwrap();
        assert_eq!(brec, krec, "SYN {i}: ctx record differs");
        let picked = out.effects["socket"].as_u64().map(|id| id as usize - 1);
        assert_eq!(picked, *which, "SYN {i}: {}", out.action);
    }
    println!(
        "sk_reuseport tcp: {} SYNs accepted by the listener bpfbox picks",
        got.len()
    );
}

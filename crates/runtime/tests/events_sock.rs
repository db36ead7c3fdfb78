//! Socket program types against the kernel on this machine: a sock_ops
//! program attached to a test cgroup sees a real loopback TCP connection,
//! and bpfbox replays the callbacks the kernel made and must record the
//! same things and decide the same way; an sk_reuseport program picks the
//! receiving socket of a real SO_REUSEPORT UDP group; flow_dissector and
//! sk_lookup go through BPF_PROG_TEST_RUN on both.
//! Skipped, with the reason printed, when bpf() or cgroup v2 is unusable.

use bpfbox_kernel::{KernelMap, KernelProg, MapCreate, ProgLoad};
use bpfbox_object::Object;
use bpfbox_runtime::{events, HostState, LoadedProgram};
use serde_json::{json, Value};
use std::os::fd::AsRawFd;
use std::path::PathBuf;

fn object(name: &str) -> Object {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/progs/events/sock")
        .join(name);
    bpfbox_object::load_file(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn kernel_ok() -> bool {
    match bpfbox_kernel::availability() {
        Ok(()) => true,
        Err(e) => {
            println!("skipping kernel comparison: {e}");
            false
        }
    }
}

/// An object's maps and one program in the kernel (no BTF needed).
struct KObj {
    maps: Vec<KernelMap>,
    prog: KernelProg,
}

fn kload(obj: &Object, name: &str) -> KObj {
    let def = obj.program(name).unwrap();
    let maps: Vec<KernelMap> = obj
        .maps
        .iter()
        .map(|s| {
            let mut mc = MapCreate::new(s.map_type, s.key_size, s.value_size, s.max_entries);
            mc.map_flags = s.map_flags;
            mc.create()
                .unwrap_or_else(|e| panic!("creating map {}: {e}", s.name))
        })
        .collect();
    let fds: Vec<i32> = maps.iter().map(|m| m.as_raw_fd()).collect();
    let insns = def.link(|i| fds[i]);
    let prog = ProgLoad::new(def.prog_type, &insns)
        .expected_attach_type(def.expected_attach_type)
        .license("GPL")
        .load()
        .unwrap_or_else(|e| panic!("kernel rejected {name}: {e}"));
    KObj { maps, prog }
}

fn map_index(obj: &Object, name: &str) -> usize {
    obj.maps.iter().position(|m| m.name == name).unwrap()
}

fn u32_at(b: &[u8], o: usize) -> u32 {
    u32::from_le_bytes(b[o..o + 4].try_into().unwrap())
}

/// Runs `script` with python3 in cgroup `cg` (moved there before exec)
/// and parses the JSON it prints.
fn python_in_cgroup(cg: &bpfbox_kernel::TestCgroup, script: &str) -> Option<Value> {
    use std::os::unix::process::CommandExt;
    let procs = std::ffi::CString::new(
        cg.path()
            .join("cgroup.procs")
            .to_string_lossy()
            .into_owned(),
    )
    .unwrap();
    let mut cmd = std::process::Command::new("python3");
    cmd.arg("-c").arg(script);
    // SAFETY: only async-signal-safe calls (open, write, close) between
    // fork and exec; the path was allocated before the fork.
    unsafe {
        cmd.pre_exec(move || {
            let fd = libc::open(procs.as_ptr(), libc::O_WRONLY);
            if fd < 0 {
                return Err(std::io::Error::last_os_error());
            }
            let r = libc::write(fd, b"0\n".as_ptr().cast(), 2);
            libc::close(fd);
            if r < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let out = match cmd.output() {
        Ok(o) => o,
        Err(e) => {
            println!("skipping: cannot run python3: {e}");
            return None;
        }
    };
    assert!(
        out.status.success(),
        "python3 failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(serde_json::from_slice(&out.stdout).unwrap())
}

const TCP_SCRIPT: &str = r#"
import socket, json
def cookie(s):
    return int.from_bytes(s.getsockopt(socket.SOL_SOCKET, 57, 8), 'little')
srv = socket.socket(); srv.bind(('127.0.0.1', 0)); srv.listen(4)
cli = socket.socket(); cli.connect(srv.getsockname())
conn, _ = srv.accept()
cli.sendall(b'x'); conn.recv(1)
out = {'srv': srv.getsockname()[1], 'cli': cli.getsockname()[1],
       'cookies': [cookie(cli), cookie(srv), cookie(conn)],
       'cc': [s.getsockopt(socket.SOL_TCP, 13, 16).rstrip(b'\0').decode() for s in (cli, conn)],
       'sndbuf': [s.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF) for s in (cli, conn)]}
cli.close(); conn.close(); srv.close()
print(json.dumps(out))
"#;

#[test]
fn sock_ops_replays_a_loopback_connection_like_the_kernel() {
    if !kernel_ok() {
        return;
    }
    let cg = match bpfbox_kernel::TestCgroup::new() {
        Ok(c) => c,
        Err(e) => {
            println!("skipping: no test cgroup: {e}");
            return;
        }
    };
    let obj = object("sock_ops.o");
    let k = kload(&obj, "record_ops");
    const BPF_CGROUP_SOCK_OPS: u32 = 3;
    if let Err(e) = bpfbox_kernel::prog_attach(cg.fd(), &k.prog, BPF_CGROUP_SOCK_OPS, 0) {
        println!("skipping: cannot attach sock_ops: {e}");
        return;
    }
    let Some(info) = python_in_cgroup(&cg, TCP_SCRIPT) else {
        return;
    };
    let _ = bpfbox_kernel::prog_detach(cg.fd(), &k.prog, BPF_CGROUP_SOCK_OPS);
    let (log_i, count_i, socks_i) = (
        map_index(&obj, "oplog"),
        map_index(&obj, "count"),
        map_index(&obj, "socks"),
    );
    let n = u32_at(
        &k.maps[count_i]
            .lookup(&0u32.to_le_bytes())
            .unwrap()
            .unwrap(),
        0,
    ) as usize;
    assert!(n >= 8, "the kernel made only {n} callbacks");
    let krecs: Vec<Vec<u8>> = (0..n as u32)
        .map(|i| k.maps[log_i].lookup(&i.to_le_bytes()).unwrap().unwrap())
        .collect();
    let srv = info["srv"].as_u64().unwrap() as u32;
    let cli = info["cli"].as_u64().unwrap() as u32;
    // Replay: socket 1 = client, 2 = listener, 3 = accepted (and its
    // request socket); endpoints from what user space saw.
    let events: Vec<Value> = krecs
        .iter()
        .map(|r| {
            let (lport, rport_raw) = (u32_at(r, 20), u32_at(r, 24));
            let (id, remote) = if lport == cli {
                (1, format!("127.0.0.1:{srv}"))
            } else if rport_raw == 0 {
                (2, "0.0.0.0:0".to_string())
            } else {
                (3, format!("127.0.0.1:{cli}"))
            };
            json!({"op": u32_at(r, 0), "args": [u32_at(r, 8), u32_at(r, 12)], "socket": id,
                "local": format!("127.0.0.1:{lport}"), "remote": remote,
                "is_fullsock": u32_at(r, 4) == 1, "state": u32_at(r, 28),
                "congestion_available": ["reno", "bbr", "cubic"], "wmem_max": 4194304})
        })
        .collect();
    let mut host = HostState::default();
    let prog = LoadedProgram::from_object(&mut host, &obj, "record_ops").unwrap();
    let outs = events::fire_all(&prog, &mut host, &Value::Array(events.clone())).unwrap();
    // Every callback the kernel made is one bpfbox makes (cb flags agree).
    for (o, ev) in outs.iter().zip(&events) {
        assert_ne!(
            o.effects.get("called"),
            Some(&json!(false)),
            "{ev}: {}",
            o.action
        );
        assert_eq!(o.retval, 1);
    }
    // bpf_tcp_sock agreed with the ctx's TCP fields in the kernel.
    for kr in krecs.iter().filter(|r| matches!(u32_at(r, 0), 4 | 5)) {
        assert_eq!(u32_at(kr, 92), 31, "bpf_tcp_sock check bits");
    }
    // Same records, field by field.
    for (i, kr) in krecs.iter().enumerate() {
        let br = host.maps[log_i].lookup(&(i as u32).to_le_bytes()).unwrap();
        assert_eq!(
            &br,
            kr,
            "record {i} (op {}) differs\nevent {}\nkernel words {:?}\nbpfbox words {:?}",
            u32_at(kr, 0),
            events[i],
            kr.chunks(4)
                .map(|c| u32_at(c, 0) as i32)
                .collect::<Vec<_>>(),
            br.chunks(4)
                .map(|c| u32_at(c, 0) as i32)
                .collect::<Vec<_>>()
        );
    }
    // Decisions the kernel applied and user space can see.
    let cookies: Vec<u64> = info["cookies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_u64().unwrap())
        .collect();
    for (pos, id) in [(0usize, 1u32), (1, 3)] {
        let st = events::sock_ops::socket_state(&host, id).unwrap();
        let cc = match st.opts.get(&(6, 13)) {
            Some(events::sockets::OptVal::Name(n)) => n.clone(),
            _ => "cubic".into(),
        };
        assert_eq!(json!(cc), info["cc"][pos], "congestion of socket {id}");
        let sndbuf = match st.opts.get(&(1, 7)) {
            Some(events::sockets::OptVal::Int(v)) => *v,
            _ => 16384,
        };
        assert_eq!(
            json!(sndbuf),
            info["sndbuf"][pos],
            "SO_SNDBUF of socket {id}"
        );
    }
    // The sockhash holds the same sockets under the same keys (the
    // kernel's cookies mapped to bpfbox's socket ids).
    let kh: Vec<(u32, u32)> = {
        let mut v: Vec<(u32, u32)> = k.maps[socks_i]
            .entries()
            .unwrap()
            .into_iter()
            .map(|(key, value)| {
                let c = u64::from_le_bytes(value[..8].try_into().unwrap());
                let id = cookies
                    .iter()
                    .position(|x| *x == c)
                    .map_or(0, |p| [1, 2, 3][p]);
                (u32_at(&key, 0), id)
            })
            .collect();
        v.sort();
        v
    };
    let mut bh: Vec<(u32, u32)> = host.maps[socks_i]
        .entries()
        .map(|(k, v)| (u32_at(&k, 0), u32_at(&v, 0)))
        .collect();
    bh.sort();
    // Closed sockets leave a sockhash; the kernel's map is read after the
    // close, so compare what bpfbox holds for sockets still open: none.
    assert!(kh.is_empty() || kh == bh, "kernel {kh:?} bpfbox {bh:?}");
    println!(
        "sock_ops: {n} kernel callbacks replayed, records identical; actions: {:?}",
        outs.iter().map(|o| o.action.as_str()).collect::<Vec<_>>()
    );
}

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

#[test]
fn sk_reuseport_picks_the_socket_the_kernel_picks() {
    if !kernel_ok() {
        return;
    }
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
        println!(
            "skipping: SO_ATTACH_REUSEPORT_EBPF: {}",
            std::io::Error::last_os_error()
        );
        return;
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
    let mut host = HostState::default();
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

type RunOutcome = Result<(u32, Option<i32>, Vec<u8>, u32, Option<Vec<u8>>), i32>;

fn run_both(
    obj: &Object,
    name: &str,
    k: &KObj,
    input: &bpfbox_runtime::TestRunInput,
) -> (RunOutcome, RunOutcome) {
    let mut host = HostState::default();
    let prog = LoadedProgram::from_object(&mut host, obj, name).unwrap();
    let b = match bpfbox_runtime::test_run(&prog, &mut host, input) {
        Ok(o) => Ok((o.retval, o.errno, o.data_out, o.data_size_out, o.ctx_out)),
        Err(e) => Err(e.errno),
    };
    let t = bpfbox_kernel::TestRun {
        data_in: (!input.data_in.is_empty()).then_some(&input.data_in[..]),
        data_size_out: input.data_size_out.unwrap_or(0),
        ctx_in: input.ctx_in.as_deref(),
        ctx_size_out: input.ctx_size_out.unwrap_or(0),
        repeat: input.repeat,
        flags: input.flags,
        cpu: input.cpu,
        batch_size: input.batch_size,
    };
    let kr = match k.prog.test_run(&t) {
        Ok(o) => Ok((
            o.retval,
            o.errno.map(|e| e.raw()),
            o.data_out,
            o.data_size_out,
            input.ctx_size_out.map(|_| o.ctx_out),
        )),
        Err(e) => Err(e.errno().map_or(-1, |e| e.raw())),
    };
    (b, kr)
}

fn eth(proto: u16, tags: &[u16]) -> Vec<u8> {
    let mut f = vec![0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1];
    for t in tags {
        f.extend_from_slice(&t.to_be_bytes());
        f.extend_from_slice(&[0x00, 0x05]); // TCI
    }
    f.extend_from_slice(&proto.to_be_bytes());
    f
}

fn ipv4(proto: u8, frag: u16, opts: usize, l4: &[u8]) -> Vec<u8> {
    let ihl = 5 + opts / 4;
    let total = (ihl * 4 + l4.len()) as u16;
    let mut p = vec![(0x40 | ihl) as u8, 0];
    p.extend_from_slice(&total.to_be_bytes());
    p.extend_from_slice(&[0x12, 0x34]);
    p.extend_from_slice(&frag.to_be_bytes());
    p.extend_from_slice(&[64, proto, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]);
    p.extend(std::iter::repeat_n(1u8, opts));
    p.extend_from_slice(l4);
    p
}

fn ipv6(next: u8, label: u32, l4: &[u8]) -> Vec<u8> {
    let mut p = (0x6000_0000u32 | label).to_be_bytes().to_vec();
    p.extend_from_slice(&(l4.len() as u16).to_be_bytes());
    p.extend_from_slice(&[next, 64]);
    p.extend((0..16).map(|i| 0x20 + i as u8));
    p.extend((0..16).map(|i| 0x40 + i as u8));
    p.extend_from_slice(l4);
    p
}

#[test]
fn flow_dissector_test_runs_match_the_kernel() {
    if !kernel_ok() {
        return;
    }
    let obj = object("flow_dissector.o");
    let k = kload(&obj, "dissect");
    let tcp = [
        0x9c, 0x40, 0x00, 0x50, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff, 0, 0, 0, 0,
    ];
    let udp = [
        0x13, 0x89, 0x00, 0x35, 0x00, 0x0c, 0, 0, b'h', b'i', b'!', b'!',
    ];
    let cat = |a: Vec<u8>, b: Vec<u8>| [a, b].concat();
    let frames: Vec<(&str, Vec<u8>)> = vec![
        ("ipv4 tcp", cat(eth(0x0800, &[]), ipv4(6, 0x4000, 0, &tcp))),
        (
            "ipv4 udp options",
            cat(eth(0x0800, &[]), ipv4(17, 0, 8, &udp)),
        ),
        (
            "ipv4 first fragment",
            cat(eth(0x0800, &[]), ipv4(17, 0x2000, 0, &udp)),
        ),
        (
            "ipv4 later fragment",
            cat(eth(0x0800, &[]), ipv4(17, 0x0010, 0, &udp)),
        ),
        ("ipv6 tcp", cat(eth(0x86dd, &[]), ipv6(6, 0, &tcp))),
        (
            "ipv6 udp labelled",
            cat(eth(0x86dd, &[]), ipv6(17, 0xbeef, &udp)),
        ),
        (
            "vlan ipv4 udp",
            cat(eth(0x0800, &[0x8100]), ipv4(17, 0, 0, &udp)),
        ),
        (
            "qinq ipv6 tcp",
            cat(eth(0x86dd, &[0x88a8, 0x8100]), ipv6(6, 7, &tcp)),
        ),
        ("arp", cat(eth(0x0806, &[]), vec![0; 28])),
        (
            "ipv4 icmp",
            cat(eth(0x0800, &[]), ipv4(1, 0, 0, &[8, 0, 0, 0])),
        ),
        ("short ipv4", cat(eth(0x0800, &[]), vec![0x45, 0, 0, 20])),
        (
            "truncated ports",
            cat(eth(0x0800, &[]), ipv4(6, 0, 0, &[0x9c])),
        ),
        ("bare ethernet", eth(0x0800, &[])),
    ];
    let mut compared = 0;
    for (what, frame) in &frames {
        for flags in [0u32, 1, 2, 4] {
            let mut ctx = vec![0u8; 56];
            ctx[48..52].copy_from_slice(&flags.to_le_bytes());
            let input = bpfbox_runtime::TestRunInput {
                data_in: frame.clone(),
                data_size_out: Some(56),
                ctx_in: (flags != 0).then_some(ctx),
                ctx_size_out: (flags != 0).then_some(56),
                repeat: 1,
                ..Default::default()
            };
            let (b, kr) = run_both(&obj, "dissect", &k, &input);
            assert_eq!(b, kr, "{what}, flags {flags}");
            compared += 1;
        }
    }
    // Rejected requests and a short data_out buffer.
    let base = frames[0].1.clone();
    let mut bad_ctx = vec![0u8; 56];
    bad_ctx[10] = 8;
    let cases = [
        bpfbox_runtime::TestRunInput {
            data_in: base[..13].to_vec(),
            ..Default::default()
        },
        bpfbox_runtime::TestRunInput {
            data_in: vec![0; 4097],
            ..Default::default()
        },
        bpfbox_runtime::TestRunInput {
            data_in: base.clone(),
            ctx_in: Some(bad_ctx),
            ..Default::default()
        },
        bpfbox_runtime::TestRunInput {
            data_in: base.clone(),
            flags: 1,
            ..Default::default()
        },
        bpfbox_runtime::TestRunInput {
            data_in: base.clone(),
            data_size_out: Some(20),
            repeat: 3,
            ..Default::default()
        },
        bpfbox_runtime::TestRunInput {
            data_in: base.clone(),
            ctx_in: Some(vec![0; 60]),
            ctx_size_out: Some(40),
            data_size_out: Some(56),
            ..Default::default()
        },
    ];
    for (i, input) in cases.iter().enumerate() {
        let (b, kr) = run_both(&obj, "dissect", &k, input);
        assert_eq!(b, kr, "request {i}");
        compared += 1;
    }
    println!("flow_dissector: {compared} test runs identical to the kernel's");
}

#[test]
fn sk_msg_changes_what_the_peer_receives_like_the_kernel() {
    use std::io::{Read, Write};
    if !kernel_ok() {
        return;
    }
    let obj = object("sk_msg.o");
    let k = kload(&obj, "msg_verdict");
    let (map_i, seen_i) = (map_index(&obj, "sock_map"), map_index(&obj, "seen"));
    let lis = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let mut cli = std::net::TcpStream::connect(lis.local_addr().unwrap()).unwrap();
    let (mut srv, _) = lis.accept().unwrap();
    const BPF_SK_MSG_VERDICT: u32 = 7;
    if let Err(e) = bpfbox_kernel::prog_attach(k.maps[map_i].fd(), &k.prog, BPF_SK_MSG_VERDICT, 0) {
        println!("skipping: cannot attach sk_msg: {e}");
        return;
    }
    k.maps[map_i]
        .update(
            &0u32.to_le_bytes(),
            &(cli.as_raw_fd() as u32).to_le_bytes(),
            0,
        )
        .unwrap();
    let timeout = Some(std::time::Duration::from_millis(200));
    srv.set_read_timeout(timeout).unwrap();
    cli.set_read_timeout(timeout).unwrap();
    let read_some = |s: &mut std::net::TcpStream| {
        let mut buf = [0u8; 256];
        match s.read(&mut buf) {
            Ok(n) => buf[..n].to_vec(),
            Err(_) => Vec::new(),
        }
    };
    let msgs: [&[u8]; 10] = [
        b"Phello", b"Oabcdef", b"Uxyz", b"Rback", b"Aabcd", b"plain", b"Cab", b"cdefgh", b"Dnope",
        b"after",
    ];
    let mut kernel = Vec::new();
    for m in msgs {
        let sent = cli.write(m).map_err(|e| e.raw_os_error().unwrap_or(0));
        let at_srv = read_some(&mut srv);
        let at_cli = if m[0] == b'R' {
            read_some(&mut cli)
        } else {
            Vec::new()
        };
        kernel.push((sent, at_srv, at_cli));
    }
    let count_i = map_index(&obj, "count");
    let kruns = u32_at(
        &k.maps[count_i]
            .lookup(&0u32.to_le_bytes())
            .unwrap()
            .unwrap(),
        0,
    );
    let mut host = HostState::default();
    let prog = LoadedProgram::from_object(&mut host, &obj, "msg_verdict").unwrap();
    let mut rec = 0u32;
    for (i, (m, (sent, at_srv, at_cli))) in msgs.iter().zip(&kernel).enumerate() {
        // The scatterlist layout the kernel built (first element length).
        let win = k.maps[seen_i]
            .lookup(&rec.to_le_bytes())
            .unwrap()
            .filter(|r| u32_at(r, 0) as usize == m.len())
            .map_or(m.len(), |r| u32_at(&r, 16) as usize);
        let segs = if win > 0 && win < m.len() {
            vec![win, m.len() - win]
        } else {
            vec![m.len()]
        };
        let mut ev = json!({"data": events::sockets::hex(m), "segments": segs, "socket": 1,
            "local": cli.local_addr().unwrap().to_string(),
            "remote": srv.local_addr().unwrap().to_string()});
        if i == 0 {
            ev["sockmaps"] = json!({"sock_map": {"0": 1}});
        }
        let out = events::fire_all(&prog, &mut host, &ev).unwrap().remove(0);
        rec += out.effects["runs"].as_u64().unwrap() as u32;
        let what = format!("message {:?}: {}", String::from_utf8_lossy(m), out.action);
        if out.action.starts_with("drop") {
            assert_eq!(*sent, Err(13), "{what}");
        } else {
            assert_eq!(*sent, Ok(m.len()), "{what}");
            assert_eq!(
                json!(events::sockets::hex(at_srv)),
                out.effects["data"],
                "{what}"
            );
            let redirected = out.effects.get("redirected").cloned().unwrap_or(json!(""));
            assert_eq!(json!(events::sockets::hex(at_cli)), redirected, "{what}");
        }
    }
    assert_eq!(rec, kruns, "program runs");
    for i in 0..kruns {
        let krec = k.maps[seen_i].lookup(&i.to_le_bytes()).unwrap().unwrap();
        let brec = host.maps[seen_i].lookup(&i.to_le_bytes()).unwrap();
        assert_eq!(
            brec,
            krec,
            "run {i}: kernel {:?} bpfbox {:?}",
            krec.chunks(4)
                .map(|c| u32_at(c, 0) as i32)
                .collect::<Vec<_>>(),
            brec.chunks(4)
                .map(|c| u32_at(c, 0) as i32)
                .collect::<Vec<_>>()
        );
    }
    println!(
        "sk_msg: {} messages, {kruns} program runs, same records and same bytes delivered",
        msgs.len()
    );
}

fn so_cookie(fd: i32) -> u64 {
    let mut c: u64 = 0;
    let mut len = 8u32;
    // SAFETY: getsockopt(SO_COOKIE) into a u64.
    let r = unsafe {
        libc::getsockopt(
            fd,
            libc::SOL_SOCKET,
            57,
            (&mut c as *mut u64).cast(),
            &mut len,
        )
    };
    assert_eq!(r, 0);
    c
}

#[test]
fn sk_lookup_test_runs_match_the_kernel() {
    if !kernel_ok() {
        return;
    }
    let obj = object("sk_lookup.o");
    let k = kload(&obj, "pick");
    let socks_i = map_index(&obj, "socks");
    let tcp4 = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let udp4 = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let tcp6 = match std::net::TcpListener::bind("[::1]:0") {
        Ok(s) => s,
        Err(e) => {
            println!("skipping: no IPv6 loopback: {e}");
            return;
        }
    };
    let fds = [tcp4.as_raw_fd(), udp4.as_raw_fd(), -1, tcp6.as_raw_fd()];
    let mut host = HostState::default();
    let prog = LoadedProgram::from_object(&mut host, &obj, "pick").unwrap();
    let descs = [
        (1u32, tcp4.local_addr().unwrap(), 10u32, 6u32),
        (2, udp4.local_addr().unwrap(), 7, 17),
        (3, tcp6.local_addr().unwrap(), 10, 6),
    ];
    for (id, addr, state, proto) in descs {
        bpfbox_runtime::drivers::sk_lookup::declare_socket(
            &mut host,
            events::sockets::SockDesc {
                id,
                local: addr,
                remote: events::sockets::any4(),
                state,
                protocol: proto,
            },
        );
    }
    let ids = [1u32, 2, 0, 3];
    let mut cookie_to_id = std::collections::HashMap::new();
    for (key, fd) in fds.iter().enumerate() {
        if *fd < 0 {
            continue;
        }
        k.maps[socks_i]
            .update(&(key as u32).to_le_bytes(), &(*fd as u64).to_le_bytes(), 0)
            .unwrap();
        host.maps[socks_i]
            .update(
                &(key as u32).to_le_bytes(),
                &u64::from(ids[key]).to_le_bytes(),
                0,
            )
            .unwrap();
        cookie_to_id.insert(so_cookie(*fd), ids[key]);
    }
    let ctx_of = |family: u32, proto: u32, port: u32| {
        let mut c = vec![0u8; 72];
        c[8..12].copy_from_slice(&family.to_le_bytes());
        c[12..16].copy_from_slice(&proto.to_le_bytes());
        c[16..20].copy_from_slice(&[10, 0, 0, 9]);
        c[20..36].copy_from_slice(&[0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9]);
        c[36..38].copy_from_slice(&40000u16.to_be_bytes());
        c[40..44].copy_from_slice(&[127, 0, 0, 1]);
        c[44..60].copy_from_slice(&[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
        c[60..64].copy_from_slice(&port.to_le_bytes());
        c
    };
    let mut inputs = Vec::new();
    for family in [2u32, 10] {
        for proto in [6u32, 17] {
            for port in [7000u32, 7001, 7002, 7003, 7009, 80] {
                inputs.push(bpfbox_runtime::TestRunInput {
                    ctx_in: Some(ctx_of(family, proto, port)),
                    ctx_size_out: Some(72),
                    ..Default::default()
                });
            }
        }
    }
    let mut bad_sk = ctx_of(2, 6, 7000);
    bad_sk[0] = 1;
    let mut bad_if = ctx_of(2, 6, 7000);
    bad_if[64] = 1;
    let bad_inputs = [
        bpfbox_runtime::TestRunInput {
            ctx_in: Some(bad_sk),
            ..Default::default()
        },
        bpfbox_runtime::TestRunInput {
            ctx_in: Some(bad_if),
            ..Default::default()
        },
        bpfbox_runtime::TestRunInput {
            ctx_in: Some(ctx_of(2, 6, 70000)),
            ..Default::default()
        },
        bpfbox_runtime::TestRunInput {
            ctx_in: Some(ctx_of(1, 6, 7000)),
            ..Default::default()
        },
        bpfbox_runtime::TestRunInput {
            ctx_in: Some(ctx_of(2, 6, 7000)),
            data_in: vec![0; 20],
            ..Default::default()
        },
        bpfbox_runtime::TestRunInput::default(),
    ];
    inputs.extend(bad_inputs);
    for (i, input) in inputs.iter().enumerate() {
        let b = bpfbox_runtime::test_run(&prog, &mut host, input)
            .map(|o| (o.retval, o.errno, o.ctx_out))
            .map_err(|e| e.errno);
        let t = bpfbox_kernel::TestRun {
            data_in: (!input.data_in.is_empty()).then_some(&input.data_in[..]),
            data_size_out: 0,
            ctx_in: input.ctx_in.as_deref(),
            ctx_size_out: input.ctx_size_out.unwrap_or(0),
            repeat: 1,
            flags: 0,
            cpu: 0,
            batch_size: 0,
        };
        let kr = k
            .prog
            .test_run(&t)
            .map(|o| {
                let mut ctx = input.ctx_size_out.map(|_| o.ctx_out);
                if let Some(c) = ctx.as_mut() {
                    let cookie = u64::from_le_bytes(c[..8].try_into().unwrap());
                    if cookie != 0 {
                        let id = cookie_to_id.get(&cookie).copied().unwrap_or(u32::MAX);
                        c[..8].copy_from_slice(&u64::from(id).to_le_bytes());
                    }
                }
                (o.retval, o.errno.map(|e| e.raw()), ctx)
            })
            .map_err(|e| e.errno().map_or(-1, |e| e.raw()));
        assert_eq!(b, kr, "input {i}");
    }
    let seen_i = map_index(&obj, "seen");
    let count_i = map_index(&obj, "count");
    let n = u32_at(
        &k.maps[count_i]
            .lookup(&0u32.to_le_bytes())
            .unwrap()
            .unwrap(),
        0,
    );
    assert_eq!(
        Some(n),
        host.maps[count_i]
            .lookup(&0u32.to_le_bytes())
            .ok()
            .map(|v| u32_at(&v, 0))
    );
    for i in 0..n {
        let krec = k.maps[seen_i].lookup(&i.to_le_bytes()).unwrap().unwrap();
        let brec = host.maps[seen_i].lookup(&i.to_le_bytes()).unwrap();
        assert_eq!(
            brec,
            krec,
            "run {i}: kernel {:?} bpfbox {:?}",
            krec.chunks(4)
                .map(|c| u32_at(c, 0) as i32)
                .collect::<Vec<_>>(),
            brec.chunks(4)
                .map(|c| u32_at(c, 0) as i32)
                .collect::<Vec<_>>()
        );
    }
    println!(
        "sk_lookup: {} test runs and {n} run records identical",
        inputs.len()
    );
}

/// The shipped example events fire through the test programs with the
/// actions the kernel semantics give (no kernel needed).
#[test]
fn example_events_fire_with_the_expected_actions() {
    let ex = |name: &str| -> Value {
        let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../examples/events")
            .join(name);
        serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap()
    };
    let fire = |obj: &str, prog: &str, events: &str| -> Vec<String> {
        let o = object(obj);
        let mut host = HostState::default();
        let p = LoadedProgram::from_object(&mut host, &o, prog).unwrap();
        events::fire_all(&p, &mut host, &ex(events))
            .unwrap()
            .into_iter()
            .map(|r| r.action)
            .collect()
    };
    let a = fire("sock_ops.o", "record_ops", "sock_ops.json");
    assert_eq!(a[2], "initial rwnd 40 segments (at most)");
    assert_eq!(a[3], "SYN RTO 10 jiffies = 40 ms at HZ=250");
    assert!(a[4].starts_with("ECN off"));
    assert!(
        a[8].starts_with("not called: BPF_SOCK_OPS_RTT_CB_FLAG"),
        "{}",
        a[8]
    );
    assert_eq!(a[9], "STATE_CB (result ignored by the kernel)");
    // Timestamping callbacks do not hold the socket lock: the TCP fields
    // and cb flags read 0 and the socket helpers refuse (EOPNOTSUPP).
    let o = object("sock_ops.o");
    let mut host = HostState::default();
    let p = LoadedProgram::from_object(&mut host, &o, "record_ops").unwrap();
    let evs = json!([{"op": "ACTIVE_ESTABLISHED_CB"}, {"op": "TSTAMP_SCHED_CB"},
        {"op": "ACTIVE_ESTABLISHED_CB"}]);
    events::fire_all(&p, &mut host, &evs).unwrap();
    let li = map_index(&o, "oplog");
    let rec = |i: u32| host.maps[li].lookup(&i.to_le_bytes()).unwrap();
    assert_eq!(u32_at(&rec(0), 88), 4, "cb flags after the first callback");
    assert_eq!(u32_at(&rec(1), 32), 0, "cb flags read in TSTAMP_SCHED_CB");
    assert_eq!(u32_at(&rec(2), 32), 4, "cb flags read when locked");
    let a = fire("sk_reuseport.o", "pick", "sk_reuseport.json");
    assert_eq!(a[0], "select socket 2");
    assert!(
        a[1].starts_with("select socket 2 (kernel hash pick: index 1"),
        "{}",
        a[1]
    );
    assert!(
        a[2].starts_with("select socket 3 (kernel hash pick: index 2"),
        "{}",
        a[2]
    );
    assert!(a[3].starts_with("refuse"));
    // Request migration (no kernel comparison: it needs a closing
    // listener with pending requests).
    let o = object("sk_reuseport.o");
    let mut host = HostState::default();
    let p = LoadedProgram::from_object(&mut host, &o, "migrate").unwrap();
    let evs = json!([
        {"group": [1, 2], "sockmaps": {"group": {"0": 1, "1": 2}}, "migrating": 7, "hash": 5},
        {"group": [1, 2], "hash": 4294967295u32},
    ]);
    let out = events::fire_all(&p, &mut host, &evs).unwrap();
    assert_eq!(out[0].action, "migrate to socket 2");
    assert!(out[1]
        .action
        .starts_with("select socket 2 (kernel hash pick: index 1"));
    let pick = LoadedProgram::from_object(&mut host, &o, "pick").unwrap();
    let bad = events::fire_all(&pick, &mut host, &json!({"migrating": true}));
    assert!(bad.unwrap_err().0.contains("SELECT_OR_MIGRATE"));
    let a = fire("sk_skb.o", "verdict", "sk_skb.json");
    assert_eq!(
        a,
        [
            "pass: queue on socket 1",
            "redirect to socket 2 (ingress)",
            "drop"
        ]
    );
    let a = fire("sk_skb.o", "parse", "sk_skb_parser.json");
    assert_eq!(a[0], "message of 7 bytes");
    assert_eq!(a[1], "message of 18 bytes: wait for 14 more bytes");
    assert!(a[2].starts_with("need more data"));
    let a = fire("sk_msg.o", "msg_verdict", "sk_msg.json");
    assert_eq!(a[0], "pass: send 9 bytes");
    assert_eq!(a[3], "redirect 5 bytes to socket 1 (ingress)");
    assert!(
        a[4].starts_with("pass: send 2 bytes, then pass: send 2 bytes, then pass: send 1 bytes"),
        "{}",
        a[4]
    );
    assert_eq!(a[6], "cork: held until 8 bytes are queued");
    assert_eq!(a[7], "pass: send 9 bytes");
    // The kernel keeps the cork's message struct (cork_bytes 8) for later
    // sends: the dropped 5 bytes are corked, and refused with the next.
    assert_eq!(a[8], "cork: held until 8 bytes are queued");
    assert_eq!(a[9], "drop: sendmsg fails with EACCES");
    let a = fire("flow_dissector.o", "dissect", "flow_dissector.json");
    assert_eq!(
        a,
        [
            "flow 10.0.0.1:5001 -> 10.0.0.2:53 proto 17",
            "flow 2000::1:0 -> 2000::2:0 proto 17",
            "dissection failed (no flow keys)"
        ]
    );
    let a = fire("sk_lookup.o", "pick", "sk_lookup.json");
    assert_eq!(
        a,
        [
            "deliver to socket 1 (no reuseport group pick)",
            "deliver to socket 2 (no reuseport group pick)",
            "continue: the regular socket lookup decides",
            "continue: the regular socket lookup decides",
            "drop: no socket (TCP reset)"
        ]
    );
}

/// Loads several programs of one object into the kernel sharing its maps.
fn kload_many(obj: &Object, names: &[&str]) -> (Vec<KernelMap>, Vec<KernelProg>) {
    let maps: Vec<KernelMap> = obj
        .maps
        .iter()
        .map(|s| {
            let mut mc = MapCreate::new(s.map_type, s.key_size, s.value_size, s.max_entries);
            mc.map_flags = s.map_flags;
            mc.create().unwrap()
        })
        .collect();
    let fds: Vec<i32> = maps.iter().map(|m| m.as_raw_fd()).collect();
    let progs = names
        .iter()
        .map(|n| {
            let def = obj.program(n).unwrap();
            let insns = def.link(|i| fds[i]);
            ProgLoad::new(def.prog_type, &insns)
                .expected_attach_type(def.expected_attach_type)
                .license("GPL")
                .load()
                .unwrap_or_else(|e| panic!("kernel rejected {n}: {e}"))
        })
        .collect();
    (maps, progs)
}

#[test]
fn sk_skb_frames_and_routes_like_the_kernel() {
    use std::io::{Read, Write};
    if !kernel_ok() {
        return;
    }
    let obj = object("sk_skb.o");
    let (maps, progs) = kload_many(&obj, &["parse", "verdict"]);
    let (map_i, calls_i, count_i) = (
        map_index(&obj, "sock_map"),
        map_index(&obj, "calls"),
        map_index(&obj, "count"),
    );
    for (p, at) in progs.iter().zip([4u32, 5]) {
        if let Err(e) = bpfbox_kernel::prog_attach(maps[map_i].fd(), p, at, 0) {
            println!("skipping: cannot attach sk_skb: {e}");
            return;
        }
    }
    let lis = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let mut cli = std::net::TcpStream::connect(lis.local_addr().unwrap()).unwrap();
    let (mut srv, _) = lis.accept().unwrap();
    let _cli2 = std::net::TcpStream::connect(lis.local_addr().unwrap()).unwrap();
    let (mut srv2, _) = lis.accept().unwrap();
    cli.set_nodelay(true).unwrap();
    for (key, s) in [(0u32, &srv), (1, &srv2)] {
        maps[map_i]
            .update(&key.to_le_bytes(), &(s.as_raw_fd() as u32).to_le_bytes(), 0)
            .unwrap();
    }
    let timeout = Some(std::time::Duration::from_millis(150));
    srv.set_read_timeout(timeout).unwrap();
    srv2.set_read_timeout(timeout).unwrap();
    let drain = |s: &mut std::net::TcpStream| {
        let mut all = Vec::new();
        let mut buf = [0u8; 256];
        while let Ok(n) = s.read(&mut buf) {
            if n == 0 {
                break;
            }
            all.extend_from_slice(&buf[..n]);
        }
        all
    };
    let chunks: [&[u8]; 5] = [
        b"\x00\x05hello",
        b"\x00\x04redi",
        b"\x00\x03xxx",
        b"\x00\x06ab",
        b"cdef",
    ];
    let mut stream = Vec::new();
    for c in chunks {
        cli.write_all(c).unwrap();
        stream.extend_from_slice(c);
        std::thread::sleep(std::time::Duration::from_millis(30));
    }
    let at_srv = drain(&mut srv);
    let at_srv2 = drain(&mut srv2);
    let n = u32_at(
        &maps[count_i].lookup(&0u32.to_le_bytes()).unwrap().unwrap(),
        0,
    );
    let krecs: Vec<Vec<u8>> = (0..n)
        .map(|i| maps[calls_i].lookup(&i.to_le_bytes()).unwrap().unwrap())
        .collect();
    // Replay: the parser sees the stream from the current message start,
    // the verdict the framed message.
    let mut host = HostState::default();
    // Both programs share one set of maps, as in the kernel.
    let idx = bpfbox_runtime::link::create_maps(&mut host, &obj).unwrap();
    let load = |host: &mut HostState, name: &str| {
        let def = obj.program(name).unwrap();
        let insns = bpfbox_runtime::link::link(host, def, &idx).unwrap();
        let ty = bpfbox_runtime::ProgType::from_id(def.prog_type).unwrap();
        LoadedProgram::new(insns, ty, def.expected_attach_type).unwrap()
    };
    let parse = load(&mut host, "parse");
    let verdict = load(&mut host, "verdict");
    let local = srv.local_addr().unwrap().to_string();
    let remote = srv.peer_addr().unwrap().to_string();
    let mut pos = 0usize;
    let mut passed = Vec::new();
    let mut redirected = Vec::new();
    for (i, kr) in krecs.iter().enumerate() {
        let len = u32_at(kr, 0) as usize;
        let is_parser = u32_at(kr, 12) == u32::from(b'p');
        let data = events::sockets::hex(&stream[pos..pos + len]);
        let mut ev = json!({"data": data, "local": local, "remote": remote, "socket": 1});
        if i == 0 {
            ev["sockmaps"] = json!({"sock_map": {"0": 1, "1": 2}});
        }
        let prog = if is_parser { &parse } else { &verdict };
        let out = events::fire_all(prog, &mut host, &ev).unwrap().remove(0);
        let br = host.maps[idx[calls_i]]
            .lookup(&(i as u32).to_le_bytes())
            .unwrap();
        assert_eq!(
            &br,
            kr,
            "call {i}: {}\nkernel {:?}\nbpfbox {:?}",
            out.action,
            kr.chunks(4)
                .map(|c| u32_at(c, 0) as i32)
                .collect::<Vec<_>>(),
            br.chunks(4)
                .map(|c| u32_at(c, 0) as i32)
                .collect::<Vec<_>>()
        );
        if !is_parser {
            if out.action.starts_with("pass") {
                passed.extend_from_slice(&stream[pos..pos + len]);
            } else if out.action.starts_with("redirect to socket 2") {
                redirected.extend_from_slice(&stream[pos..pos + len]);
            }
            pos += len;
        }
    }
    assert_eq!(pos, stream.len(), "every message got a verdict");
    assert_eq!(passed, at_srv, "bytes the receiving socket got");
    assert_eq!(redirected, at_srv2, "bytes the redirect target got");
    println!("sk_skb: {n} parser/verdict calls, same frames, verdicts and deliveries");
}

const HDR_SCRIPT: &str = r#"
import socket, json, time
srv = socket.socket(); srv.bind(('127.0.0.1', 0)); srv.listen(4)
cli = socket.socket(); cli.connect(srv.getsockname())
conn, _ = srv.accept()
cli.sendall(b'ping'); conn.recv(4)
conn.sendall(b'pong'); cli.recv(4)
time.sleep(0.05)
out = {'srv': srv.getsockname()[1], 'cli': cli.getsockname()[1]}
cli.close(); conn.close(); srv.close()
print(json.dumps(out))
"#;

#[test]
fn sock_ops_header_options_match_the_kernel() {
    if !kernel_ok() {
        return;
    }
    let cg = match bpfbox_kernel::TestCgroup::new() {
        Ok(c) => c,
        Err(e) => {
            println!("skipping: no test cgroup: {e}");
            return;
        }
    };
    let obj = object("hdr_opt.o");
    let k = kload(&obj, "hdr_opts");
    if let Err(e) = bpfbox_kernel::prog_attach(cg.fd(), &k.prog, 3, 0) {
        println!("skipping: cannot attach sock_ops: {e}");
        return;
    }
    let Some(info) = python_in_cgroup(&cg, HDR_SCRIPT) else {
        return;
    };
    let _ = bpfbox_kernel::prog_detach(cg.fd(), &k.prog, 3);
    let (log_i, count_i) = (map_index(&obj, "oplog"), map_index(&obj, "count"));
    let n = u32_at(
        &k.maps[count_i]
            .lookup(&0u32.to_le_bytes())
            .unwrap()
            .unwrap(),
        0,
    );
    let srv = info["srv"].as_u64().unwrap() as u32;
    let cli = info["cli"].as_u64().unwrap() as u32;
    let krecs: Vec<Vec<u8>> = (0..n)
        .map(|i| k.maps[log_i].lookup(&i.to_le_bytes()).unwrap().unwrap())
        .collect();
    let ops: Vec<u32> = krecs.iter().map(|r| u32_at(r, 0)).collect();
    assert!(ops.contains(&15) && ops.contains(&13), "ops seen: {ops:?}");
    let mut host = HostState::default();
    let prog = LoadedProgram::from_object(&mut host, &obj, "hdr_opts").unwrap();
    let mut written = Vec::new();
    let mut parsed = Vec::new();
    for (i, r) in krecs.iter().enumerate() {
        let (op, lport, win) = (u32_at(r, 0), u32_at(r, 12), u32_at(r, 32) as usize);
        let (id, remote) = if lport == cli { (1, srv) } else { (3, cli) };
        let hdr = events::sockets::hex(&r[56..56 + win.min(60)]);
        let mut ev = json!({"op": op, "args": [u32_at(r, 8)], "socket": id,
            "local": format!("127.0.0.1:{lport}"), "remote": format!("127.0.0.1:{remote}"),
            "is_fullsock": u32_at(r, 4) == 1, "state": u32_at(r, 16),
            "tcp_flags": u32_at(r, 24), "skb_len": u32_at(r, 28)});
        match op {
            14 => {
                ev["remaining_opt_len"] = json!(u32_at(r, 36));
                if u32_at(r, 8) != 1 {
                    ev["skb"] = json!("");
                }
            }
            _ => ev["skb"] = json!(hdr),
        }
        let out = events::fire_all(&prog, &mut host, &ev).unwrap().remove(0);
        let br = host.maps[log_i].lookup(&(i as u32).to_le_bytes()).unwrap();
        assert_eq!(
            &br,
            r,
            "record {i} (op {op}): {}\nkernel {:?}\nbpfbox {:?}",
            out.action,
            r.chunks(4).map(|c| u32_at(c, 0) as i32).collect::<Vec<_>>(),
            br.chunks(4)
                .map(|c| u32_at(c, 0) as i32)
                .collect::<Vec<_>>()
        );
        if op == 15 {
            written.push(out.effects["options"].as_str().unwrap().to_string());
        }
        if op == 13 {
            parsed.push(hdr);
        }
    }
    // Every option area bpfbox says went out (NOP padding included) is in
    // a header the peer's PARSE callback received (all but the first: the
    // ACK ending the handshake reaches the server before its
    // PASSIVE_ESTABLISHED_CB turns parsing on).
    assert!(written.len() >= 4, "only {} option writes", written.len());
    for w in &written[1..] {
        assert!(
            parsed.iter().any(|p| p.contains(w.as_str())),
            "{w} not received"
        );
    }
    println!(
        "sock_ops header options: {n} callbacks ({} writes, {} parses) identical",
        written.len(),
        parsed.len()
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

#[test]
fn sk_reuseport_tcp_syns_go_where_the_kernel_sends_them() {
    if !kernel_ok() {
        return;
    }
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
        println!(
            "skipping: SO_ATTACH_REUSEPORT_EBPF: {}",
            std::io::Error::last_os_error()
        );
        return;
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
    let mut host = HostState::default();
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

//! sk_msg and sk_skb programs attached to a real sockmap.

use super::{kload, map_index, object, u32_at};
use bpfbox_kernel::{KernelMap, KernelProg, MapCreate, ProgLoad};
use bpfbox_object::Object;
use bpfbox_runtime::{events, HostState, LoadedProgram};
use serde_json::json;
use std::os::fd::AsRawFd;

pub(crate) fn sk_msg_changes_what_the_peer_receives_like_the_kernel() {
    use std::io::{Read, Write};
    let obj = object("sk_msg.o");
    let k = kload(&obj, "msg_verdict");
    let (map_i, seen_i) = (map_index(&obj, "sock_map"), map_index(&obj, "seen"));
    let lis = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let mut cli = std::net::TcpStream::connect(lis.local_addr().unwrap()).unwrap();
    let (mut srv, _) = lis.accept().unwrap();
    const BPF_SK_MSG_VERDICT: u32 = 7;
    if let Err(e) = bpfbox_kernel::prog_attach(k.maps[map_i].fd(), &k.prog, BPF_SK_MSG_VERDICT, 0) {
        panic!("cannot attach sk_msg: {e}");
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
    let msgs: [&[u8]; 16] = [
        b"Phello", b"Oabcdef", b"Uxyz", b"Rback", b"Aabcd", b"plain", b"a12345", b"e12345",
        b"z12345", b"y12345", b"w12", b"q12345", b"Cab", b"cdefgh", b"Dnope", b"after",
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
    let mut host = crate::running::host();
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

pub(crate) fn sk_skb_frames_and_routes_like_the_kernel() {
    use std::io::{Read, Write};
    let obj = object("sk_skb.o");
    let (maps, progs) = kload_many(&obj, &["parse", "verdict"]);
    let (map_i, calls_i, count_i) = (
        map_index(&obj, "sock_map"),
        map_index(&obj, "calls"),
        map_index(&obj, "count"),
    );
    for (p, at) in progs.iter().zip([4u32, 5]) {
        if let Err(e) = bpfbox_kernel::prog_attach(maps[map_i].fd(), p, at, 0) {
            panic!("cannot attach sk_skb: {e}");
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
    let mut host = crate::running::host();
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

//! flow_dissector and sk_lookup through BPF_PROG_TEST_RUN on both engines.

use super::KObj;
use super::{kload, map_index, object, u32_at};
use bpfbox_object::Object;
use bpfbox_runtime::{events, LoadedProgram};
use std::os::fd::AsRawFd;

type RunOutcome = Result<(u32, Option<i32>, Vec<u8>, u32, Option<Vec<u8>>), i32>;

fn run_both(
    obj: &Object,
    name: &str,
    k: &KObj,
    input: &bpfbox_runtime::TestRunInput,
) -> (RunOutcome, RunOutcome) {
    let mut host = crate::running::host();
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

pub(crate) fn flow_dissector_test_runs_match_the_kernel() {
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

pub(crate) fn sk_lookup_test_runs_match_the_kernel() {
    let obj = object("sk_lookup.o");
    let k = kload(&obj, "pick");
    let socks_i = map_index(&obj, "socks");
    let tcp4 = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let udp4 = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let tcp6 = match std::net::TcpListener::bind("[::1]:0") {
        Ok(s) => s,
        Err(e) => {
            panic!("no IPv6 loopback: {e}");
        }
    };
    let fds = [tcp4.as_raw_fd(), udp4.as_raw_fd(), -1, tcp6.as_raw_fd()];
    let mut host = crate::running::host();
    let prog = LoadedProgram::from_object(&mut host, &obj, "pick").unwrap();
    let descs = [
        (1u32, tcp4.local_addr().unwrap(), 10u32, 6u32),
        (2, udp4.local_addr().unwrap(), 7, 17),
        (3, tcp6.local_addr().unwrap(), 10, 6),
    ];
    for (id, addr, state, proto) in descs {
        bpfbox_runtime::types::sk_lookup::test_run::declare_socket(
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

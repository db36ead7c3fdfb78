use bpfbox_isa::{slots_from_bytes, RawInsn};
use bpfbox_progtype::Profile;
use bpfbox_runtime::{test_run, HostState, LoadedProgram, ProgType, TestRunInput};
use std::path::PathBuf;
use std::sync::Arc;

fn prog_bytes(name: &str) -> Vec<RawInsn> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/progs/runtime")
        .join(format!("{name}.bin"));
    let b = std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    slots_from_bytes(&b).unwrap()
}

/// Outcome in a comparable form: Ok(retval, errno, data_out, size, ctx_out)
/// or Err(errno).
type Outcome = Result<(u32, Option<i32>, Vec<u8>, u32, Option<Vec<u8>>), i32>;

/// The running kernel's profile: bpfbox models the kernel it is compared
/// with, so both refuse the same programs and runs.
fn running() -> Arc<Profile> {
    crate::running::profile()
}

/// bpfbox's load of `name` on `kernel`: the program or the refusal.
fn load_bpfbox(
    name: &str,
    ty: ProgType,
    eat: u32,
    kernel: &Profile,
) -> Result<LoadedProgram, String> {
    LoadedProgram::from_raw_for(&prog_bytes(name), ty, eat, kernel).map_err(|e| e.to_string())
}

/// The kernel's load of `name`: Ok or its error (with the verifier log).
fn load_kernel(name: &str, ty: ProgType, eat: u32) -> Result<bpfbox_kernel::KernelProg, String> {
    bpfbox_kernel::ProgLoad::new(ty.id(), &prog_bytes(name))
        .expected_attach_type(eat)
        .load()
        .map_err(|e| e.to_string())
}

fn run_bpfbox(name: &str, ty: ProgType, eat: u32, input: &TestRunInput) -> Outcome {
    let kernel = running();
    let prog = load_bpfbox(name, ty, eat, &kernel).unwrap();
    let mut host = HostState::default();
    host.kernel = kernel;
    match test_run(&prog, &mut host, input) {
        Ok(o) => Ok((o.retval, o.errno, o.data_out, o.data_size_out, o.ctx_out)),
        Err(e) => Err(e.errno),
    }
}

fn run_kernel(name: &str, ty: ProgType, eat: u32, input: &TestRunInput) -> Outcome {
    let insns = prog_bytes(name);
    let prog = bpfbox_kernel::ProgLoad::new(ty.id(), &insns)
        .expected_attach_type(eat)
        .load()
        .unwrap_or_else(|e| panic!("kernel rejected {name}: {e}"));
    let t = bpfbox_kernel::TestRun {
        data_in: Some(&input.data_in),
        data_size_out: input.data_size_out.unwrap_or(0),
        ctx_in: input.ctx_in.as_deref(),
        ctx_size_out: input.ctx_size_out.unwrap_or(0),
        repeat: input.repeat,
        flags: input.flags,
        cpu: input.cpu,
        batch_size: input.batch_size,
    };
    match prog.test_run(&t) {
        Ok(o) => {
            let cap = input.data_size_out.unwrap_or(0);
            let enospc = o.errno.map(|e| e.raw()) == Some(28);
            // After a data ENOSPC the kernel does not copy ctx_out (the
            // engine then returns its zeroed buffer).
            let ctx = if enospc && o.data_size_out >= cap {
                None
            } else {
                input.ctx_size_out.map(|_| o.ctx_out.clone())
            };
            // ENOSPC before anything was written (XDP fragments larger
            // than the buffer): data_out is the untouched buffer.
            let data_out = if enospc && o.retval == 0 && o.data_size_out == cap {
                Vec::new()
            } else {
                o.data_out
            };
            Ok((
                o.retval,
                o.errno.map(|e| e.raw()),
                data_out,
                o.data_size_out,
                ctx,
            ))
        }
        Err(e) => Err(e.errno().map_or(-1, |e| e.raw())),
    }
}

fn eth(ethertype: u16, payload: &[u8]) -> Vec<u8> {
    let mut f = vec![0u8; 12];
    f[0] = 0x02; // unicast, not lo's all-zero address
    f.extend_from_slice(&ethertype.to_be_bytes());
    f.extend_from_slice(payload);
    f
}

fn ipv4_tcp(len: usize) -> Vec<u8> {
    let mut ip = vec![0u8; 20 + 20];
    ip[0] = 0x45;
    ip[2..4].copy_from_slice(&((40 + len) as u16).to_be_bytes());
    ip[8] = 64;
    ip[9] = 6;
    ip[12..16].copy_from_slice(&[192, 168, 1, 2]);
    ip[16..20].copy_from_slice(&[10, 9, 8, 7]);
    let c = !ip[..20]
        .chunks(2)
        .map(|w| u32::from(u16::from_be_bytes([w[0], w[1]])))
        .sum::<u32>();
    let c = ((c & 0xffff) + (c >> 16)) as u16;
    ip[10..12].copy_from_slice(&(!(!c)).to_be_bytes());
    ip[20..22].copy_from_slice(&1234u16.to_be_bytes());
    ip[22..24].copy_from_slice(&80u16.to_be_bytes());
    ip[32] = 0x50;
    ip[36..38].copy_from_slice(&[0x12, 0x34]);
    ip.extend((0..len).map(|i| i as u8));
    eth(0x0800, &ip)
}

fn ipv6_udp(len: usize) -> Vec<u8> {
    let mut ip = vec![0u8; 40 + 8];
    ip[0] = 0x60;
    ip[4..6].copy_from_slice(&((8 + len) as u16).to_be_bytes());
    ip[6] = 17;
    ip[7] = 64;
    ip[8..24].copy_from_slice(&[0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
    ip[24..40].copy_from_slice(&[0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]);
    ip.extend((0..len).map(|i| (i * 3) as u8));
    eth(0x86dd, &ip)
}

fn vlan_frame() -> Vec<u8> {
    let inner = ipv4_tcp(30);
    let mut f = inner[..12].to_vec();
    f.extend_from_slice(&[0x81, 0x00, 0x00, 0x2a]);
    f.extend_from_slice(&inner[12..]);
    f
}

fn arp() -> Vec<u8> {
    let mut f = eth(0x0806, &[0u8; 28]);
    f[0..6].copy_from_slice(&[0xff; 6]);
    f
}

fn packets() -> Vec<(&'static str, Vec<u8>)> {
    let mut lo_dst = ipv4_tcp(100);
    lo_dst[0] = 0;
    let mut mcast = ipv6_udp(20);
    mcast[0] = 0x33;
    vec![
        ("ipv4", ipv4_tcp(100)),
        ("ipv4-lo-dst", lo_dst),
        ("ipv4-short-l4", ipv4_tcp(0)[..34].to_vec()),
        ("ipv6", ipv6_udp(120)),
        ("ipv6-mcast", mcast),
        ("vlan", vlan_frame()),
        ("arp", arp()),
        ("truncated-ipv4", ipv4_tcp(0)[..30].to_vec()),
        ("truncated-ipv6", ipv6_udp(0)[..50].to_vec()),
        ("tiny", vec![0u8; 13]),
        ("eth-only", eth(0x88b5, &[])),
        ("llc", eth(0x0010, &[0xff, 0xff, 1, 2])),
        ("big", ipv4_tcp(3000)),
        ("too-big", ipv4_tcp(3700)),
    ]
}

/// (name, ctx_in, ctx_out capacity).
type CtxCase = (&'static str, Option<Vec<u8>>, Option<u32>);

fn skb_ctx_variants() -> Vec<CtxCase> {
    let mut c = vec![0u8; 192];
    c[8..12].copy_from_slice(&0x55u32.to_le_bytes()); // mark
    c[32..36].copy_from_slice(&3u32.to_le_bytes()); // priority
    c[36..40].copy_from_slice(&4u32.to_le_bytes()); // ingress_ifindex
    c[48..52].copy_from_slice(&0x1111u32.to_le_bytes()); // cb[0]
    c[64..68].copy_from_slice(&0x5555u32.to_le_bytes()); // cb[4]
    c[152..160].copy_from_slice(&77u64.to_le_bytes()); // tstamp
    c[164..168].copy_from_slice(&2u32.to_le_bytes()); // gso_segs
    c[184..192].copy_from_slice(&99u64.to_le_bytes()); // hwtstamp
    let mut bad = vec![0u8; 192];
    bad[0] = 1; // len must be zero
    let mut wire = vec![0u8; 192];
    wire[160..164].copy_from_slice(&100000u32.to_le_bytes());
    let mut dev = vec![0u8; 192];
    dev[40..44].copy_from_slice(&777u32.to_le_bytes());
    let mut big = vec![0u8; 200];
    big[199] = 1;
    vec![
        ("no ctx", None, None),
        ("ctx_out only", None, Some(192)),
        ("ctx values", Some(c.clone()), Some(192)),
        ("ctx short out", Some(c), Some(100)),
        ("ctx bad field", Some(bad), Some(192)),
        ("ctx wire_len", Some(wire), Some(192)),
        ("ctx unknown dev", Some(dev), Some(192)),
        ("ctx e2big", Some(big), Some(192)),
    ]
}

fn compare(name: &str, ty: ProgType, eat: u32, input: &TestRunInput, what: &str) {
    // Both load, or both refuse for the same reason (bpfbox's words are in
    // the kernel's log).
    match (
        load_kernel(name, ty, eat),
        load_bpfbox(name, ty, eat, &running()),
    ) {
        (Ok(_), Ok(_)) => {}
        (Err(k), Err(b)) => {
            assert!(
                k.contains(&b),
                "{name}: refused differently: bpfbox {b} / kernel {k}"
            );
            return;
        }
        (k, b) => panic!(
            "{name}: kernel load {:?}, bpfbox load {:?}",
            k.map(|_| ()),
            b.map(|_| ())
        ),
    }
    let k = run_kernel(name, ty, eat, input);
    let b = run_bpfbox(name, ty, eat, input);
    assert_eq!(
        b, k,
        "{name} ({ty:?}) with {what}: bpfbox (left) vs kernel (right)"
    );
}

fn skb_matrix(name: &str, ty: ProgType, eat: u32) {
    for (pn, pkt) in packets() {
        for (cn, ctx_in, ctx_out) in skb_ctx_variants() {
            for dso in [Some(16384u32), Some(20)] {
                let input = TestRunInput {
                    data_in: pkt.clone(),
                    data_size_out: dso,
                    ctx_in: ctx_in.clone(),
                    ctx_size_out: ctx_out,
                    repeat: 1,
                    ..Default::default()
                };
                compare(
                    name,
                    ty,
                    eat,
                    &input,
                    &format!("{pn}, {cn}, data_size_out {dso:?}"),
                );
            }
        }
    }
}

pub(crate) fn tc_reads_every_field() {
    skb_matrix("skb_fields.tc", ProgType::SchedCls, 0);
    skb_matrix("skb_fields.tc", ProgType::SchedAct, 0);
}

pub(crate) fn socket_filter_fields() {
    skb_matrix("skb_fields.socket", ProgType::SocketFilter, 0);
}

pub(crate) fn cgroup_skb_fields() {
    skb_matrix("skb_fields.cgroup_skb", ProgType::CgroupSkb, 0);
}

pub(crate) fn lwt_fields() {
    skb_matrix("skb_fields.lwt_xmit", ProgType::LwtXmit, 0);
}

pub(crate) fn tc_packet_helpers() {
    for prog in ["vlan", "tail", "head", "room", "csum", "proto", "redir"] {
        for (pn, pkt) in packets() {
            let input = TestRunInput {
                data_in: pkt.clone(),
                data_size_out: Some(16384),
                ctx_size_out: Some(192),
                ..Default::default()
            };
            compare(
                &format!("tc_mods.{prog}"),
                ProgType::SchedCls,
                0,
                &input,
                pn,
            );
        }
    }
}

pub(crate) fn skb_flags_and_repeat() {
    for flags in [0u32, 1, 2, 4] {
        for (pn, pkt) in packets() {
            let input = TestRunInput {
                data_in: pkt.clone(),
                data_size_out: Some(16384),
                ctx_size_out: Some(192),
                flags,
                repeat: 3,
                ..Default::default()
            };
            compare(
                "tc_mods.csum",
                ProgType::SchedCls,
                0,
                &input,
                &format!("{pn}, flags {flags}"),
            );
        }
    }
}

fn xdp_ctx(meta: u32, end: u32, ifindex: u32, queue: u32) -> Vec<u8> {
    let mut c = vec![0u8; 24];
    c[0..4].copy_from_slice(&meta.to_le_bytes());
    c[4..8].copy_from_slice(&end.to_le_bytes());
    c[12..16].copy_from_slice(&ifindex.to_le_bytes());
    c[16..20].copy_from_slice(&queue.to_le_bytes());
    c
}

pub(crate) fn xdp_programs() {
    let mut frames = packets();
    frames.push(("5000", ipv4_tcp(5000 - 54)));
    frames.push(("9000", ipv4_tcp(9000 - 54)));
    for prog in [
        "xdp_fields",
        "xdp_head",
        "xdp_tail",
        "xdp_meta",
        "xdp_redirect",
    ] {
        for (pn, pkt) in &frames {
            let n = pkt.len() as u32;
            let ctxs: Vec<CtxCase> = vec![
                ("no ctx", None, None),
                ("ctx out", None, Some(24)),
                ("meta 8", Some(xdp_ctx(8, n, 0, 0)), Some(24)),
                ("meta 6", Some(xdp_ctx(6, n, 0, 0)), Some(24)),
                ("meta 216", Some(xdp_ctx(216, n, 0, 0)), Some(24)),
                ("linear 40", Some(xdp_ctx(0, 40.min(n), 0, 0)), Some(24)),
                ("ifindex lo", Some(xdp_ctx(0, n, 1, 0)), Some(24)),
                ("queue w/o dev", Some(xdp_ctx(0, n, 0, 1)), Some(24)),
                ("bad queue", Some(xdp_ctx(0, n, 1, 5)), Some(24)),
                ("unknown dev", Some(xdp_ctx(0, n, 999, 0)), Some(24)),
            ];
            for (cn, ctx_in, ctx_out) in ctxs {
                for dso in [Some(16384u32), Some(30)] {
                    let input = TestRunInput {
                        data_in: pkt.clone(),
                        data_size_out: dso,
                        ctx_in: ctx_in.clone(),
                        ctx_size_out: ctx_out,
                        ..Default::default()
                    };
                    compare(
                        &format!("xdp.{prog}"),
                        ProgType::Xdp,
                        0,
                        &input,
                        &format!("{pn}, {cn}, {dso:?}"),
                    );
                }
            }
        }
    }
}

pub(crate) fn helper_not_allowed_is_a_load_error() {
    let e = LoadedProgram::from_raw(&prog_bytes("tc_mods.vlan"), ProgType::SocketFilter, 0)
        .unwrap_err();
    assert!(
        matches!(e, bpfbox_runtime::Error::HelperNotAllowed { .. }),
        "{e}"
    );
    // the kernel verifier's wording
    assert_eq!(
        e.to_string(),
        "program of this type cannot use helper bpf_skb_vlan_push#18"
    );
}

pub(crate) fn xdp_flags_batch_and_live_frames() {
    let pkt = ipv4_tcp(100);
    for (flags, batch) in [
        (0u32, 0u32),
        (1, 0),
        (2, 0),
        (2, 16),
        (2, 300),
        (0, 4),
        (3, 0),
    ] {
        for ctx in [None, Some(xdp_ctx(0, pkt.len() as u32, 0, 0))] {
            for prog in ["xdp_head", "xdp_fields"] {
                let input = TestRunInput {
                    data_in: pkt.clone(),
                    data_size_out: Some(16384),
                    ctx_in: ctx.clone(),
                    flags,
                    batch_size: batch,
                    repeat: 2,
                    ..Default::default()
                };
                let what = format!("flags {flags} batch {batch} ctx {}", ctx.is_some());
                compare(&format!("xdp.{prog}"), ProgType::Xdp, 0, &input, &what);
            }
        }
    }
    // devmap programs cannot be test-run
    let input = TestRunInput {
        data_in: pkt,
        data_size_out: Some(16384),
        ..Default::default()
    };
    compare(
        "xdp.xdp_redirect",
        ProgType::Xdp,
        33,
        &input,
        "expected_attach_type XDP_DEVMAP",
    );
}

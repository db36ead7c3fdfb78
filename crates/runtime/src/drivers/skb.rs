//! `bpf_prog_test_run_skb` (net/bpf/test_run.c, Linux 6.18.44) for
//! SOCKET_FILTER, SCHED_CLS, SCHED_ACT, CGROUP_SKB and LWT_IN/OUT/XMIT.
//!
//! Order of checks and effects, as in the kernel:
//! 1. `flags` other than `BPF_F_TEST_SKB_CHECKSUM_COMPLETE` (4), non-zero
//!    `cpu` or `batch_size` → `EINVAL`; `data_size_in < ETH_HLEN` →
//!    `EINVAL`; more than `PAGE_SIZE - NET_SKB_PAD(64) - 320` = 3712 bytes
//!    → `EINVAL`; ctx_in with a non-zero tail past 192 bytes → `E2BIG`.
//! 2. ctx `ifindex > 1` names the device (unknown → `ENODEV`), else
//!    loopback; `eth_type_trans` sets `protocol`, `pkt_type` and pulls the
//!    Ethernet header. IPv4 frames need a 20-byte and IPv6 a 40-byte L3
//!    header (`EINVAL`, 6.18.44 empirical); the dummy socket takes family
//!    and addresses from it.
//! 3. SCHED_CLS/ACT see the frame from the MAC header (L2), the others
//!    from the network header.
//! 4. ctx_in: only mark, priority, ingress_ifindex, ifindex, cb, tstamp,
//!    wire_len, gso_segs, gso_size, hwtstamp may be non-zero (`EINVAL`);
//!    `wire_len` 0 means `len`, otherwise `len..=GSO_LEGACY_MAX_SIZE`;
//!    `gso_segs <= GSO_MAX_SEGS`.
//! 5. Runs `repeat` times on the same skb; non-L2 output gets 14 zero bytes
//!    pushed in front; with CHECKSUM_COMPLETE the maintained `skb->csum`
//!    must still match (`EBADMSG`).
//!
//! Host-specific (documented differences): the `sk` pointer value, the
//! flow hash `get_hash_recalc` computes, and `duration` (the interpreter's
//! wall-clock ns per run, not the kernel's).

use super::{run_repeat, LoadedProgram};
use crate::avail::ProgType;
use crate::csum;
use crate::ctx::{skb_image, sock_image, SKB_CTX_SIZE};
use crate::host::{HostState, PacketState};
use crate::packet::{Packet, ETH_HLEN};
use crate::skb::{errno, eth_p, ip_summed, Skb, SockInfo, SKB_MAX_ALLOC};
use crate::testrun::{
    ctx_finish, ctx_init, finish, TestRunError, TestRunInput, TestRunOutput, PAGE_SIZE,
};

/// `NET_SKB_PAD + NET_IP_ALIGN` on x86-64.
pub const SKB_HEADROOM: usize = 64;
/// `SKB_DATA_ALIGN(sizeof(struct skb_shared_info))` on x86-64.
pub const SKB_SHINFO: usize = 320;
/// Largest `data_size_in` the skb runner takes.
pub const SKB_MAX_DATA: usize = PAGE_SIZE - SKB_HEADROOM - SKB_SHINFO;
/// `BPF_F_TEST_SKB_CHECKSUM_COMPLETE`.
pub const F_CHECKSUM_COMPLETE: u32 = 4;
/// `GSO_LEGACY_MAX_SIZE`.
const GSO_LEGACY_MAX_SIZE: u32 = 65536;
/// `GSO_MAX_SEGS`.
const GSO_MAX_SEGS: u32 = 65535;
/// Virtual head-/tailroom: enough for every resize helper's limit, so the
/// buffer never moves (the kernel reallocates instead, invisibly).
const VIRT_ROOM: usize = SKB_MAX_ALLOC + 2 * PAGE_SIZE;
/// Where the kernel's `skb->head` of a test run is in the packet buffer:
/// `SKB_HEADROOM` bytes before the frame (the rest of the virtual headroom
/// is bpfbox's, for resizes).
pub const KERNEL_HEAD: usize = VIRT_ROOM - SKB_HEADROOM;

fn einval(msg: &str) -> TestRunError {
    TestRunError::new(errno::EINVAL, msg)
}

fn rd32(b: &[u8], off: usize) -> u32 {
    u32::from_le_bytes([b[off], b[off + 1], b[off + 2], b[off + 3]])
}

fn rd64(b: &[u8], off: usize) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(&b[off..off + 8]);
    u64::from_le_bytes(w)
}

/// Ranges of `__sk_buff` test_run accepts as non-zero
/// (`convert___skb_to_skb`).
const ALLOWED: [(usize, usize); 7] = [
    (8, 12),    // mark
    (32, 44),   // priority, ingress_ifindex, ifindex
    (48, 68),   // cb
    (152, 168), // tstamp, wire_len, gso_segs
    (176, 180), // gso_size
    (184, 192), // hwtstamp
    (0, 0),
];

fn check_ctx_zero(ctx: &[u8]) -> Result<(), TestRunError> {
    for (i, &b) in ctx.iter().enumerate().take(SKB_CTX_SIZE) {
        if b != 0 && !ALLOWED.iter().any(|&(s, e)| i >= s && i < e) {
            return Err(einval(&format!(
                "__sk_buff byte {i} must be zero in ctx_in (only mark, priority, ingress_ifindex, ifindex, cb, tstamp, wire_len, gso_segs, gso_size, hwtstamp may be set)"
            )));
        }
    }
    Ok(())
}

/// `eth_type_trans` against `dev_mac`/`dev_bcast`: pulls the MAC header and
/// returns (protocol, pkt_type).
fn eth_type_trans(skb: &mut Skb, dev_mac: [u8; 6], dev_bcast: [u8; 6]) -> (u16, u32) {
    let d = skb.pkt.data;
    let dst: [u8; 6] = [
        skb.pkt.buf[d],
        skb.pkt.buf[d + 1],
        skb.pkt.buf[d + 2],
        skb.pkt.buf[d + 3],
        skb.pkt.buf[d + 4],
        skb.pkt.buf[d + 5],
    ];
    let proto = u16::from_be_bytes([skb.pkt.buf[d + 12], skb.pkt.buf[d + 13]]);
    skb.mac_header = d;
    skb.pkt.data += ETH_HLEN;
    skb.pkt.meta = skb.pkt.data;
    let pkt_type = if dst == dev_mac {
        0 // PACKET_HOST
    } else if dst[0] & 1 == 1 {
        if dst == dev_bcast {
            1 // PACKET_BROADCAST
        } else {
            2 // PACKET_MULTICAST
        }
    } else {
        3 // PACKET_OTHERHOST
    };
    let protocol = if proto >= eth_p::P802_3_MIN {
        proto
    } else if skb.pkt.read(0, 2).as_deref() == Some(&[0xff, 0xff]) {
        eth_p::P802_3
    } else {
        eth_p::P802_2
    };
    (protocol, pkt_type)
}

/// Builds the skb for `input` (steps 1-4 above). Returns the skb, the
/// kernel-side ctx copy and whether the type is L2.
pub fn prepare(
    prog_type: ProgType,
    host: &HostState,
    input: &TestRunInput,
) -> Result<(Skb, Option<Vec<u8>>, bool), TestRunError> {
    if input.flags & !F_CHECKSUM_COMPLETE != 0 || input.cpu != 0 || input.batch_size != 0 {
        return Err(einval(
            "flags other than BPF_F_TEST_SKB_CHECKSUM_COMPLETE, cpu and batch_size must be 0",
        ));
    }
    let size = input.data_in.len();
    if size < ETH_HLEN {
        return Err(einval(
            "data_in is shorter than an Ethernet header (14 bytes)",
        ));
    }
    if size > SKB_MAX_DATA {
        return Err(einval(
            "data_in is larger than PAGE_SIZE - headroom - tailroom (3712 bytes)",
        ));
    }
    let ctx = ctx_init(input, SKB_CTX_SIZE)?;
    // The program sees the Ethernet header only for the L2 runner (tc).
    let is_l2 = super::kernel_runner(prog_type) == Some(bpfbox_progtype::spec::Runner::SkbL2);
    let pkt = Packet::new(&input.data_in, VIRT_ROOM, VIRT_ROOM).ok_or_else(|| {
        TestRunError::new(errno::ENOMEM, "no address space below 2 GiB for the packet")
    })?;
    let mut skb = Skb::new(pkt);
    let ifindex = ctx.as_deref().map_or(0, |c| rd32(c, 40));
    let dev = if ifindex > 1 {
        host.device(ifindex).ok_or_else(|| {
            TestRunError::new(errno::ENODEV, format!("no device with ifindex {ifindex}"))
        })?
    } else {
        host.devices
            .iter()
            .find(|d| d.ifindex == 1)
            .ok_or_else(|| {
                TestRunError::new(errno::ENODEV, "no loopback device in the host state")
            })?
    };
    skb.ifindex = dev.ifindex;
    let (protocol, pkt_type) = eth_type_trans(&mut skb, dev.mac, dev.broadcast);
    skb.protocol = protocol;
    skb.pkt_type = pkt_type;
    skb.network_header = skb.pkt.data;
    let l3 = skb.pkt.bytes().to_vec();
    let mut sk = SockInfo {
        cookie: host.socket_cookie,
        ..SockInfo::default()
    };
    match protocol {
        eth_p::IP => {
            if l3.len() < 20 {
                return Err(einval("IPv4 frame shorter than 14 + 20 bytes"));
            }
            sk.family = 2;
            sk.local_ip4.copy_from_slice(&l3[12..16]);
            sk.remote_ip4.copy_from_slice(&l3[16..20]);
        }
        eth_p::IPV6 => {
            if l3.len() < 40 {
                return Err(einval("IPv6 frame shorter than 14 + 40 bytes"));
            }
            sk.family = 10;
            sk.local_ip6.copy_from_slice(&l3[8..24]);
            sk.remote_ip6.copy_from_slice(&l3[24..40]);
        }
        _ => {}
    }
    skb.sk = Some(sk);
    if is_l2 {
        skb.pkt.data -= ETH_HLEN;
        skb.pkt.meta = skb.pkt.data;
    }
    if let Some(c) = &ctx {
        check_ctx_zero(c)?;
        skb.mark = rd32(c, 8);
        skb.priority = rd32(c, 32);
        skb.ingress_ifindex = rd32(c, 36);
        skb.tstamp = rd64(c, 152);
        for i in 0..5 {
            skb.cb[i] = rd32(c, 48 + 4 * i);
        }
        let wire_len = rd32(c, 160);
        if wire_len == 0 {
            skb.wire_len = skb.len() as u32;
        } else {
            if (wire_len as usize) < skb.len() || wire_len > GSO_LEGACY_MAX_SIZE {
                return Err(einval(
                    "wire_len must be 0 or between len and GSO_LEGACY_MAX_SIZE",
                ));
            }
            skb.wire_len = wire_len;
        }
        let gso_segs = rd32(c, 164);
        if gso_segs > GSO_MAX_SEGS {
            return Err(einval("gso_segs above GSO_MAX_SEGS"));
        }
        skb.gso_segs = gso_segs;
        skb.gso_size = rd32(c, 176);
        skb.hwtstamp = rd64(c, 184);
    }
    if input.flags & F_CHECKSUM_COMPLETE != 0 {
        let nh = skb.network_header;
        skb.csum = csum::partial(&skb.pkt.buf[nh..skb.pkt.end], 0);
        skb.ip_summed = ip_summed::COMPLETE;
    }
    Ok((skb, ctx, is_l2))
}

/// The whole skb test run.
pub fn test_run(
    prog: &LoadedProgram,
    host: &mut HostState,
    input: &TestRunInput,
) -> Result<TestRunOutput, TestRunError> {
    let (skb, mut ctx, is_l2) = prepare(prog.prog_type, host, input)?;
    host.redirect = None;
    let sk_img = sock_image(&skb);
    host.sk_buf = sk_img
        .chunks(8)
        .map(|c| u64::from_le_bytes(c.try_into().unwrap_or([0; 8])))
        .collect();
    host.ctx_buf = vec![0u64; SKB_CTX_SIZE / 8];
    let img = skb_image(&skb, 0, 0);
    for (i, c) in img.chunks(8).enumerate() {
        host.ctx_buf[i] = u64::from_le_bytes(c.try_into().unwrap_or([0; 8]));
    }
    host.packet = PacketState::Skb(Box::new(skb));
    host.map.prog_type = prog.prog_type.id();
    host.map.ld_abs = prog.prog_type.spec().ld_abs;
    let run = run_repeat(prog, host, input.repeat);
    // the run's dummy socket goes, and its storage with it
    for m in &mut host.maps {
        m.sk_storage_forget(crate::helpers::sk_storage::TEST_RUN_SOCK);
    }
    let packet = std::mem::take(&mut host.packet);
    host.ctx_buf.clear();
    host.sk_buf.clear();
    let (retval, duration) = run?;
    let PacketState::Skb(mut skb) = packet else {
        return Err(TestRunError::new(errno::EFAULT, "packet state lost"));
    };
    if !is_l2 && !skb.pkt.insert_front(0, ETH_HLEN) {
        return Err(TestRunError::new(
            errno::ENOMEM,
            "no headroom for the output MAC header",
        ));
    }
    if input.flags & F_CHECKSUM_COMPLETE != 0 {
        let nh = skb.network_header.max(skb.pkt.data);
        let now = csum::partial(&skb.pkt.buf[nh..skb.pkt.end], 0);
        if csum::fold(skb.csum) != csum::fold(now) {
            return Err(TestRunError::new(
                errno::EBADMSG,
                "skb->csum no longer matches the packet (CHECKSUM_COMPLETE)",
            ));
        }
    }
    if let Some(c) = ctx.as_mut() {
        // convert_skb_to___skb
        c[8..12].copy_from_slice(&skb.mark.to_le_bytes());
        c[32..36].copy_from_slice(&skb.priority.to_le_bytes());
        c[36..40].copy_from_slice(&skb.ingress_ifindex.to_le_bytes());
        c[40..44].copy_from_slice(&skb.ifindex.to_le_bytes());
        c[152..160].copy_from_slice(&skb.tstamp.to_le_bytes());
        for i in 0..5 {
            c[48 + 4 * i..52 + 4 * i].copy_from_slice(&skb.cb[i].to_le_bytes());
        }
        c[160..164].copy_from_slice(&skb.wire_len.to_le_bytes());
        c[164..168].copy_from_slice(&skb.gso_segs.to_le_bytes());
        c[184..192].copy_from_slice(&skb.hwtstamp.to_le_bytes());
    }
    let mut out = finish(input, skb.pkt.bytes(), &[], retval, duration);
    if out.errno.is_none() {
        ctx_finish(input, &mut out, ctx.as_deref());
    }
    Ok(out)
}

//! `bpf_prog_test_run_xdp` (net/bpf/test_run.c, Linux 6.18).
//!
//! The frame is one 4096-byte page: `XDP_PACKET_HEADROOM` (256) bytes of
//! headroom (minus the metadata ctx_in asks for), the linear data, and 320
//! bytes reserved for `skb_shared_info`, so the linear part holds at most
//! 3520 bytes (plus the metadata length); the rest of `data_in` goes into
//! page-sized fragments (at most 17, else `ENOMEM`). `data_out` is
//! metadata + linear data + fragments.
//!
//! Checks: expected_attach_type XDP_DEVMAP (33) or XDP_CPUMAP (35) →
//! `EINVAL`; flags other than `BPF_F_TEST_XDP_LIVE_FRAMES` (2) → `EINVAL`;
//! `batch_size` without live frames → `EINVAL`, above 256 → `E2BIG`;
//! ctx_in: `data_meta` must be 0, `data_end <= data_size_in`, `data <=
//! data_end`, `data` (the metadata length) 4-aligned, at most 255 and at
//! most 216 (256 − `sizeof(struct xdp_frame)`); `data_size_in - data <
//! ETH_HLEN` → `EINVAL`; `egress_ifindex` must be 0; `rx_queue_index`
//! needs `ingress_ifindex` and must be below the device's RX queues; an
//! unknown `ingress_ifindex` → `ENODEV`.
//!
//! Live frames (flags = 2): bpfbox runs the program on a copy of the frame
//! `repeat` times (side effects on maps and trace lines happen) but does
//! not transmit anything; like the kernel it reports retval 0 and the
//! unmodified input as data_out.

use crate::drivers::{run_repeat, LoadedProgram};
use crate::ctx::{xdp_image, XdpRxq, XDP_CTX_SIZE};
use crate::host::{HostState, PacketState};
use crate::packet::{Packet, ETH_HLEN};
use crate::skb::errno;
use crate::testrun::{
    ctx_finish, ctx_init, finish, TestRunError, TestRunInput, TestRunOutput, PAGE_SIZE,
};

/// `XDP_PACKET_HEADROOM`.
pub const XDP_PACKET_HEADROOM: usize = 256;
/// `sizeof(struct xdp_frame)` on x86-64 (reserved at the head of a frame).
pub const XDP_FRAME_SIZE: usize = 40;
/// `SKB_DATA_ALIGN(sizeof(struct skb_shared_info))`.
pub const XDP_SHINFO: usize = 320;
/// `MAX_SKB_FRAGS`.
pub const MAX_SKB_FRAGS: usize = 17;
use bpfbox_uapi::attach_type;
/// `BPF_F_TEST_XDP_LIVE_FRAMES`.
pub use bpfbox_uapi::test_flags::F_TEST_XDP_LIVE_FRAMES as F_LIVE_FRAMES;
/// `sizeof(struct xdp_page_head)` on x86-64 (live-frames headroom).
const XDP_PAGE_HEAD: usize = 112;

fn einval(msg: &str) -> TestRunError {
    TestRunError::new(errno::EINVAL, msg)
}

fn rd32(b: &[u8], off: usize) -> u32 {
    u32::from_le_bytes([b[off], b[off + 1], b[off + 2], b[off + 3]])
}

/// `xdp_metalen_invalid`: not 4-aligned or above `u8::MAX`
/// (`skb_shared_info.meta_len`).
pub fn metalen_invalid(len: usize) -> bool {
    !len.is_multiple_of(4) || len > 255
}

/// Builds the XDP frame for `input`; returns the packet, the ctx copy and
/// the receive queue the ctx reports.
pub fn prepare(
    prog: &LoadedProgram,
    host: &HostState,
    input: &TestRunInput,
) -> Result<(Packet, Option<Vec<u8>>, XdpRxq), TestRunError> {
    if prog.expected_attach_type == attach_type::XDP_DEVMAP
        || prog.expected_attach_type == attach_type::XDP_CPUMAP
    {
        return Err(einval("devmap and cpumap programs cannot be test-run"));
    }
    if input.flags & !F_LIVE_FRAMES != 0 {
        return Err(einval("only BPF_F_TEST_XDP_LIVE_FRAMES is a valid flag"));
    }
    let live = input.flags & F_LIVE_FRAMES != 0;
    if live {
        // a kernel that refuses live-frame runs does so right after the
        // flags check (measured: before the batch_size check)
        if let Some(e) = host.kernel.facts.xdp_live_frames_errno {
            return Err(TestRunError::new(
                e,
                "this kernel refuses BPF_F_TEST_XDP_LIVE_FRAMES test runs",
            ));
        }
        if input.batch_size > 256 {
            return Err(TestRunError::new(errno::E2BIG, "batch_size above 256"));
        }
    } else if input.batch_size != 0 {
        return Err(einval("batch_size needs BPF_F_TEST_XDP_LIVE_FRAMES"));
    }
    let size = input.data_in.len();
    let ctx = ctx_init(input, XDP_CTX_SIZE)?;
    let mut headroom = XDP_PACKET_HEADROOM;
    let mut meta = 0usize;
    let mut linear = size;
    if let Some(c) = &ctx {
        let (data, data_end, data_meta) = (rd32(c, 0) as usize, rd32(c, 4) as usize, rd32(c, 8));
        if data_meta != 0
            || data_end > size
            || data > data_end
            || (live && (input.data_size_out.is_some() || input.ctx_size_out.is_some()))
        {
            return Err(einval(
                "ctx_in: data_meta must be 0 and data <= data_end <= data_size_in",
            ));
        }
        meta = data;
        if metalen_invalid(meta) || meta > XDP_PACKET_HEADROOM - XDP_FRAME_SIZE {
            return Err(einval(
                "ctx_in: metadata length must be 4-aligned and at most 216",
            ));
        }
        headroom -= meta;
        linear = data_end;
    }
    if live {
        headroom += XDP_PAGE_HEAD;
    }
    let max_linear = PAGE_SIZE - headroom - XDP_SHINFO;
    linear = linear.min(max_linear);
    if live && size > linear {
        return Err(einval("live frames cannot be larger than one page"));
    }
    if size - meta < ETH_HLEN {
        return Err(einval("data_in minus metadata is shorter than 14 bytes"));
    }
    // frame: [0, headroom) headroom, then meta + linear data, shinfo at the end
    let mut pkt = Packet::new(
        &input.data_in[..linear],
        headroom,
        PAGE_SIZE - headroom - linear,
    )
    .ok_or_else(|| {
        TestRunError::new(errno::ENOMEM, "no address space below 2 GiB for the frame")
    })?;
    pkt.head_limit = XDP_FRAME_SIZE;
    pkt.tail_limit = PAGE_SIZE - XDP_SHINFO;
    let mut rxq = XdpRxq {
        ifindex: 1,
        queue: 0,
    };
    if let Some(c) = &ctx {
        if rd32(c, 20) != 0 {
            return Err(einval("ctx_in: egress_ifindex must be 0"));
        }
        let (ifindex, queue) = (rd32(c, 12), rd32(c, 16));
        if ifindex == 0 && queue != 0 {
            return Err(einval("ctx_in: rx_queue_index needs ingress_ifindex"));
        }
        if ifindex != 0 {
            let dev = host.device(ifindex).ok_or_else(|| {
                TestRunError::new(errno::ENODEV, format!("no device with ifindex {ifindex}"))
            })?;
            if queue >= dev.rx_queues {
                return Err(einval(
                    "ctx_in: rx_queue_index beyond the device's RX queues",
                ));
            }
            rxq = XdpRxq { ifindex, queue };
        }
        pkt.data = pkt.meta + meta;
    }
    let mut pos = linear;
    while pos < size {
        if pkt.frags.len() == MAX_SKB_FRAGS {
            return Err(TestRunError::new(
                errno::ENOMEM,
                "data_in needs more than MAX_SKB_FRAGS fragments",
            ));
        }
        let n = (size - pos).min(PAGE_SIZE);
        pkt.frags.push(input.data_in[pos..pos + n].to_vec());
        pos += n;
    }
    Ok((pkt, ctx, rxq))
}

/// The whole XDP test run.
pub fn test_run(
    prog: &LoadedProgram,
    host: &mut HostState,
    input: &TestRunInput,
) -> Result<TestRunOutput, TestRunError> {
    let (pkt, mut ctx, rxq) = prepare(prog, host, input)?;
    let live = input.flags & F_LIVE_FRAMES != 0;
    let original = pkt.clone();
    host.redirect = None;
    host.ctx_buf = vec![0u64; XDP_CTX_SIZE / 8];
    let img = xdp_image(&pkt, 0, rxq);
    for (i, c) in img.chunks(8).enumerate() {
        host.ctx_buf[i] = u64::from_le_bytes(c.try_into().unwrap_or([0; 8]));
    }
    host.packet = PacketState::Xdp(Box::new(pkt));
    host.map.prog_type = prog.prog_type.id();
    host.map.ld_abs = false;
    host.xdp_rxq = rxq;
    let run = run_repeat(prog, host, input.repeat);
    let packet = std::mem::take(&mut host.packet);
    host.ctx_buf.clear();
    let (retval, duration) = run?;
    let PacketState::Xdp(pkt) = packet else {
        return Err(TestRunError::new(errno::EFAULT, "packet state lost"));
    };
    let (pkt, retval) = if live {
        (Box::new(original), 0)
    } else {
        (pkt, retval)
    };
    if let Some(c) = ctx.as_mut() {
        // xdp_convert_buff_to_md
        c[0..4].copy_from_slice(&(pkt.meta_len() as u32).to_le_bytes());
        c[4..8].copy_from_slice(&((pkt.end - pkt.meta) as u32).to_le_bytes());
    }
    let mut out = finish(
        input,
        &pkt.buf[pkt.meta..pkt.end],
        &pkt.frags,
        retval,
        duration,
    );
    if out.errno.is_none() {
        ctx_finish(input, &mut out, ctx.as_deref());
    }
    Ok(out)
}

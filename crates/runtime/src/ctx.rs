//! The ctx images programs read: `struct __sk_buff` (192 bytes) and
//! `struct xdp_md` (24 bytes), built from the run state, and the fields a
//! program may write, read back.
//!
//! The kernel never materialises these structs: its verifier rewrites each
//! ctx access into an access to `sk_buff`/`xdp_buff` (`bpf_convert_ctx_access`,
//! `xdp_convert_ctx_access` in net/core/filter.c). bpfbox keeps an image in
//! guest memory instead and refreshes it around helper calls, so a field
//! reads what the kernel's rewritten load would read. Packet pointers are
//! 32-bit fields holding addresses below 2 GiB (see [`crate::lowmem`]).
//! Stores to fields that are read-only are ignored (the kernel's verifier
//! rejects such programs at load).

use crate::packet::Packet;
use crate::skb::Skb;

/// `sizeof(struct __sk_buff)`.
pub const SKB_CTX_SIZE: usize = 192;
/// `sizeof(struct xdp_md)`.
pub const XDP_CTX_SIZE: usize = 24;
/// `sizeof(struct bpf_sock)`.
pub const BPF_SOCK_SIZE: usize = 80;

fn put32(b: &mut [u8], off: usize, v: u32) {
    b[off..off + 4].copy_from_slice(&v.to_le_bytes());
}

fn put64(b: &mut [u8], off: usize, v: u64) {
    b[off..off + 8].copy_from_slice(&v.to_le_bytes());
}

fn get32(b: &[u8], off: usize) -> u32 {
    u32::from_le_bytes([b[off], b[off + 1], b[off + 2], b[off + 3]])
}

fn get64(b: &[u8], off: usize) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(&b[off..off + 8]);
    u64::from_le_bytes(w)
}

/// A `__be16` held in an `__sk_buff` u32 field: the two bytes in network
/// order, read little-endian (an IPv4 ethertype reads as 0x0008).
fn be16_field(v: u16) -> u32 {
    u32::from(v.to_be())
}

/// Builds the `__sk_buff` image of `skb`. `base` is the guest address of
/// `skb.pkt.buf[0]`; `sk` the guest address of the `bpf_sock` image.
pub fn skb_image(skb: &Skb, base: u64, sk: u64) -> [u8; SKB_CTX_SIZE] {
    let mut b = [0u8; SKB_CTX_SIZE];
    let p = &skb.pkt;
    put32(&mut b, 0, skb.len() as u32);
    put32(&mut b, 4, skb.pkt_type);
    put32(&mut b, 8, skb.mark);
    put32(&mut b, 12, skb.queue_mapping);
    put32(&mut b, 16, be16_field(skb.protocol));
    put32(&mut b, 20, u32::from(skb.vlan_present));
    put32(&mut b, 24, u32::from(skb.vlan_tci));
    put32(&mut b, 28, be16_field(skb.vlan_proto));
    put32(&mut b, 32, skb.priority);
    put32(&mut b, 36, skb.ingress_ifindex);
    put32(&mut b, 40, skb.ifindex);
    put32(&mut b, 44, skb.tc_index);
    for (i, c) in skb.cb.iter().enumerate() {
        put32(&mut b, 48 + 4 * i, *c);
    }
    put32(&mut b, 68, skb.hash);
    put32(&mut b, 72, skb.tc_classid);
    put32(&mut b, 76, (base + p.data as u64) as u32);
    put32(&mut b, 80, (base + p.end as u64) as u32);
    put32(&mut b, 84, skb.napi_id);
    if let Some(s) = &skb.sk {
        put32(&mut b, 88, s.family);
        b[92..96].copy_from_slice(&s.remote_ip4);
        b[96..100].copy_from_slice(&s.local_ip4);
        b[100..116].copy_from_slice(&s.remote_ip6);
        b[116..132].copy_from_slice(&s.local_ip6);
        // remote_port (sk_dport) and local_port (sk_num) are 0
    }
    put32(&mut b, 140, (base + p.meta as u64) as u32);
    put64(&mut b, 152, skb.tstamp);
    put32(&mut b, 160, skb.wire_len);
    put32(&mut b, 164, skb.gso_segs);
    put64(&mut b, 168, if skb.sk.is_some() { sk } else { 0 });
    put32(&mut b, 176, skb.gso_size);
    b[180] = skb.tstamp_type;
    put64(&mut b, 184, skb.hwtstamp);
    b
}

/// Applies the program's stores to writable `__sk_buff` fields (mark,
/// queue_mapping, priority, tc_index, cb, tc_classid, tstamp) back to
/// `skb`, with the kernel's store conversions (`queue_mapping` ignores
/// values >= `NO_QUEUE_MAPPING` and keeps 16 bits, `tc_index` 16 bits).
pub fn skb_absorb(skb: &mut Skb, b: &[u8]) {
    skb.mark = get32(b, 8);
    let qm = get32(b, 12);
    if qm < 0xffff {
        skb.queue_mapping = qm;
    }
    skb.priority = get32(b, 32);
    skb.tc_index = get32(b, 44) & 0xffff;
    for i in 0..5 {
        skb.cb[i] = get32(b, 48 + 4 * i);
    }
    skb.tc_classid = get32(b, 72);
    skb.tstamp = get64(b, 152);
}

/// Builds the `bpf_sock` image `__sk_buff.sk` points to (the test run's
/// dummy socket: family and addresses, state TCP_CLOSE).
pub fn sock_image(skb: &Skb) -> [u8; BPF_SOCK_SIZE] {
    let mut b = [0u8; BPF_SOCK_SIZE];
    if let Some(s) = &skb.sk {
        put32(&mut b, 4, s.family);
        b[24..28].copy_from_slice(&s.local_ip4);
        b[28..44].copy_from_slice(&s.local_ip6);
        b[52..56].copy_from_slice(&s.remote_ip4);
        b[56..72].copy_from_slice(&s.remote_ip6);
        put32(&mut b, 72, 7); // TCP_CLOSE
        put32(&mut b, 76, u32::MAX); // rx_queue_mapping: -1 (none)
    }
    b
}

/// XDP receive-queue info `xdp_md.ingress_ifindex`/`rx_queue_index` read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct XdpRxq {
    /// `rxq->dev->ifindex`.
    pub ifindex: u32,
    /// `rxq->queue_index`.
    pub queue: u32,
}

/// Builds the `xdp_md` image. `base` is the guest address of `pkt.buf[0]`.
pub fn xdp_image(pkt: &Packet, base: u64, rxq: XdpRxq) -> [u8; XDP_CTX_SIZE] {
    let mut b = [0u8; XDP_CTX_SIZE];
    put32(&mut b, 0, (base + pkt.data as u64) as u32);
    put32(&mut b, 4, (base + pkt.end as u64) as u32);
    put32(&mut b, 8, (base + pkt.meta as u64) as u32);
    put32(&mut b, 12, rxq.ifindex);
    put32(&mut b, 16, rxq.queue);
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skb_image_layout() {
        let pkt = Packet::new(&[0u8; 40], 16, 16).unwrap();
        let mut s = Skb::new(pkt);
        s.protocol = 0x0800;
        s.mark = 7;
        s.cb[4] = 9;
        let img = skb_image(&s, 0x1000, 0);
        assert_eq!(get32(&img, 0), 40);
        assert_eq!(get32(&img, 16), 0x0008);
        assert_eq!(get32(&img, 64), 9);
        assert_eq!(get32(&img, 76), 0x1010);
        assert_eq!(get32(&img, 80), 0x1038);
        let mut w = img;
        put32(&mut w, 8, 11);
        put32(&mut w, 12, 0xffff);
        put32(&mut w, 0, 1); // len is read-only
        skb_absorb(&mut s, &w);
        assert_eq!((s.mark, s.queue_mapping, s.len()), (11, 0, 40));
    }
}

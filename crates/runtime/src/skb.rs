//! The socket buffer a `__sk_buff` program runs on: packet bytes plus the
//! metadata the kernel keeps in `struct sk_buff`, `qdisc_skb_cb` and
//! `skb_shared_info`, and the pure semantics of the skb helpers of
//! net/core/filter.c (Linux 6.18). Helper functions here return the
//! helper's return value (`0` or a negative errno) and never touch VM
//! memory; `crate::helpers::skb` adapts them to the interpreter.

use crate::csum;
use crate::packet::{Packet, ETH_HLEN, VLAN_HLEN};

/// errno values used by the helpers (from bpfbox-uapi).
pub use bpfbox_uapi::errno;

/// `SKB_MAX_ALLOC` on x86-64: `(PAGE_SIZE << 2) - SKB_DATA_ALIGN(sizeof(struct
/// skb_shared_info))`, the `BPF_SKB_MAX_LEN` limit of the resize helpers.
pub const SKB_MAX_ALLOC: usize = 16384 - 320;

/// `ip_summed` values.
pub mod ip_summed {
    /// `CHECKSUM_NONE`.
    pub const NONE: u8 = 0;
    /// `CHECKSUM_UNNECESSARY`.
    pub const UNNECESSARY: u8 = 1;
    /// `CHECKSUM_COMPLETE`.
    pub const COMPLETE: u8 = 2;
}

/// Ethertypes (host order).
pub mod eth_p {
    /// IPv4.
    pub const IP: u16 = 0x0800;
    /// IPv6.
    pub const IPV6: u16 = 0x86dd;
    /// 802.1Q VLAN.
    pub const P8021Q: u16 = 0x8100;
    /// 802.1ad QinQ.
    pub const P8021AD: u16 = 0x88a8;
    /// Novell raw 802.3.
    pub const P802_3: u16 = 0x0001;
    /// 802.2 LLC.
    pub const P802_2: u16 = 0x0004;
    /// Smallest Ethernet II type.
    pub const P802_3_MIN: u16 = 0x0600;
}

/// The dummy socket test_run attaches (`bpf_dummy_proto`): family and
/// addresses from the packet's IP header.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SockInfo {
    /// `AF_INET` (2), `AF_INET6` (10) or 0.
    pub family: u32,
    /// IPv4 source of the packet (`sk_rcv_saddr`), network order bytes.
    pub local_ip4: [u8; 4],
    /// IPv4 destination (`sk_daddr`).
    pub remote_ip4: [u8; 4],
    /// IPv6 source (`sk_v6_rcv_saddr`).
    pub local_ip6: [u8; 16],
    /// IPv6 destination (`sk_v6_daddr`).
    pub remote_ip6: [u8; 16],
    /// Socket cookie (`bpf_get_socket_cookie`); host specific.
    pub cookie: u64,
}

/// An `sk_buff` with the state the BPF helpers and ctx fields observe.
/// Header offsets are indices into `pkt.buf`.
#[derive(Debug, Clone)]
pub struct Skb {
    /// Packet bytes; `pkt.data`/`pkt.end` are `skb->data`/`skb_tail_pointer`.
    pub pkt: Packet,
    /// `skb->mac_header`.
    pub mac_header: usize,
    /// `skb->network_header`.
    pub network_header: usize,
    /// `skb->transport_header` when set.
    pub transport_header: Option<usize>,
    /// `skb->protocol` (ethertype, host order).
    pub protocol: u16,
    /// `skb->pkt_type` (`PACKET_*`).
    pub pkt_type: u32,
    /// `skb->mark`.
    pub mark: u32,
    /// `skb->priority`.
    pub priority: u32,
    /// `skb->queue_mapping`.
    pub queue_mapping: u32,
    /// `skb->tc_index`.
    pub tc_index: u32,
    /// `qdisc_skb_cb->tc_classid`.
    pub tc_classid: u32,
    /// `qdisc_skb_cb->data` (`__sk_buff.cb[]`).
    pub cb: [u32; 5],
    /// `skb->hash`.
    pub hash: u32,
    /// `skb->l4_hash`.
    pub l4_hash: bool,
    /// `skb->sw_hash`.
    pub sw_hash: bool,
    /// Hardware-accelerated VLAN tag present.
    pub vlan_present: bool,
    /// `skb->vlan_tci`.
    pub vlan_tci: u16,
    /// `skb->vlan_proto` (host order).
    pub vlan_proto: u16,
    /// `skb->skb_iif` (`ingress_ifindex`).
    pub ingress_ifindex: u32,
    /// `skb->dev->ifindex`.
    pub ifindex: u32,
    /// `skb->tstamp`.
    pub tstamp: u64,
    /// `skb->tstamp_type`.
    pub tstamp_type: u8,
    /// `skb_shinfo(skb)->hwtstamps.hwtstamp`.
    pub hwtstamp: u64,
    /// `qdisc_skb_cb->pkt_len` (`wire_len`).
    pub wire_len: u32,
    /// `skb_shinfo(skb)->gso_segs`.
    pub gso_segs: u32,
    /// `skb_shinfo(skb)->gso_size`.
    pub gso_size: u32,
    /// `skb->napi_id` as the ctx reads it.
    pub napi_id: u32,
    /// `skb->csum`.
    pub csum: u32,
    /// `skb->ip_summed`.
    pub ip_summed: u8,
    /// `skb->csum_level`.
    pub csum_level: u8,
    /// `skb->encapsulation`.
    pub encapsulation: bool,
    /// The socket `skb->sk` points to.
    pub sk: Option<SockInfo>,
    /// The tunnel metadata dst attached to the skb (`skb_tunnel_info`), as
    /// `bpf_skb_set_tunnel_key` leaves it.
    pub tunnel: Option<crate::tunnel::TunnelInfo>,
}

impl Skb {
    /// An skb over `pkt` with every metadata field zero and the headers at
    /// `data`.
    pub fn new(pkt: Packet) -> Self {
        let d = pkt.data;
        Skb {
            pkt,
            mac_header: d,
            network_header: d,
            transport_header: None,
            protocol: 0,
            pkt_type: 0,
            mark: 0,
            priority: 0,
            queue_mapping: 0,
            tc_index: 0,
            tc_classid: 0,
            cb: [0; 5],
            hash: 0,
            l4_hash: false,
            sw_hash: false,
            vlan_present: false,
            vlan_tci: 0,
            vlan_proto: 0,
            ingress_ifindex: 0,
            ifindex: 0,
            tstamp: 0,
            tstamp_type: 0,
            hwtstamp: 0,
            wire_len: 0,
            gso_segs: 0,
            gso_size: 0,
            napi_id: 0,
            csum: 0,
            ip_summed: ip_summed::NONE,
            csum_level: 0,
            encapsulation: false,
            sk: None,
            tunnel: None,
        }
    }

    /// `skb->len`.
    pub fn len(&self) -> usize {
        self.pkt.len()
    }

    /// Whether `skb->len` is 0.
    pub fn is_empty(&self) -> bool {
        self.pkt.is_empty()
    }

    /// `skb_network_offset` (may be negative).
    pub fn network_offset(&self) -> isize {
        self.network_header as isize - self.pkt.data as isize
    }

    /// `skb_mac_header_len`.
    pub fn mac_header_len(&self) -> usize {
        self.network_header.saturating_sub(self.mac_header)
    }

    /// `skb_is_gso`.
    pub fn is_gso(&self) -> bool {
        self.gso_size != 0
    }

    /// `skb_clear_hash`.
    pub fn clear_hash(&mut self) {
        self.hash = 0;
        self.sw_hash = false;
        self.l4_hash = false;
    }

    fn postpull_rcsum(&mut self, start: usize, len: usize) {
        if self.ip_summed == ip_summed::COMPLETE {
            let part = csum::partial(&self.pkt.buf[start..start + len], 0);
            self.csum = csum::block_sub(self.csum, part, 0);
        }
    }

    fn postpush_rcsum(&mut self, start: usize, len: usize) {
        if self.ip_summed == ip_summed::COMPLETE {
            let part = csum::partial(&self.pkt.buf[start..start + len], 0);
            self.csum = csum::block_add(self.csum, part, 0);
        }
    }

    /// `skb_ensure_writable(skb, len)`: `-ENOMEM` beyond the packet.
    fn ensure_writable(&self, len: u64) -> i64 {
        if len > self.len() as u64 {
            -i64::from(errno::ENOMEM)
        } else {
            0
        }
    }

    /// `bpf_skb_load_bytes`: the bytes, or `-EFAULT` (the destination is
    /// then zeroed by the caller).
    pub fn load_bytes(&self, offset: u32, len: u32) -> Result<Vec<u8>, i64> {
        if offset > i32::MAX as u32 {
            return Err(-i64::from(errno::EFAULT));
        }
        self.pkt
            .read(offset as usize, len as usize)
            .ok_or(-i64::from(errno::EFAULT))
    }

    /// `bpf_skb_load_bytes_relative` with `BPF_HDR_START_MAC` (0) or
    /// `BPF_HDR_START_NET` (1).
    pub fn load_bytes_relative(&self, offset: u32, len: u32, start: u32) -> Result<Vec<u8>, i64> {
        let err = -i64::from(errno::EFAULT);
        if offset > 0xffff {
            return Err(err);
        }
        let base = match start {
            0 => self.mac_header,
            1 => self.network_header,
            _ => return Err(err),
        };
        let s = base + offset as usize;
        let e = s + len as usize;
        if e <= self.pkt.end {
            Ok(self.pkt.buf[s..e].to_vec())
        } else {
            Err(err)
        }
    }

    /// `bpf_skb_store_bytes`.
    pub fn store_bytes(&mut self, offset: u32, from: &[u8], flags: u64) -> i64 {
        const RECOMPUTE_CSUM: u64 = 1;
        const INVALIDATE_HASH: u64 = 2;
        if flags & !(RECOMPUTE_CSUM | INVALIDATE_HASH) != 0 {
            return -i64::from(errno::EINVAL);
        }
        if offset > i32::MAX as u32 {
            return -i64::from(errno::EFAULT);
        }
        if self.ensure_writable(u64::from(offset) + from.len() as u64) != 0 {
            return -i64::from(errno::EFAULT);
        }
        let p = self.pkt.data + offset as usize;
        if flags & RECOMPUTE_CSUM != 0 {
            self.postpull_rcsum(p, from.len());
        }
        self.pkt.buf[p..p + from.len()].copy_from_slice(from);
        if flags & RECOMPUTE_CSUM != 0 {
            self.postpush_rcsum(p, from.len());
        }
        if flags & INVALIDATE_HASH != 0 {
            self.clear_hash();
        }
        0
    }

    fn csum_ptr(&self, offset: u32) -> Result<usize, i64> {
        if offset > 0xffff || offset & 1 == 1 {
            return Err(-i64::from(errno::EFAULT));
        }
        if self.ensure_writable(u64::from(offset) + 2) != 0 {
            return Err(-i64::from(errno::EFAULT));
        }
        Ok(self.pkt.data + offset as usize)
    }

    fn get16(&self, at: usize) -> u16 {
        u16::from_le_bytes([self.pkt.buf[at], self.pkt.buf[at + 1]])
    }

    fn put16(&mut self, at: usize, v: u16) {
        self.pkt.buf[at..at + 2].copy_from_slice(&v.to_le_bytes());
    }

    /// `bpf_l3_csum_replace`.
    pub fn l3_csum_replace(&mut self, offset: u32, from: u64, to: u64, flags: u64) -> i64 {
        const FIELD_MASK: u64 = 0xf;
        if flags & !FIELD_MASK != 0 {
            return -i64::from(errno::EINVAL);
        }
        let p = match self.csum_ptr(offset) {
            Ok(p) => p,
            Err(e) => return e,
        };
        let sum = self.get16(p);
        let new = match flags & FIELD_MASK {
            0 => {
                if from != 0 {
                    return -i64::from(errno::EINVAL);
                }
                csum::replace_by_diff(sum, to as u32)
            }
            2 => csum::replace2(sum, from as u16, to as u16),
            4 => csum::replace4(sum, from as u32, to as u32),
            _ => return -i64::from(errno::EINVAL),
        };
        self.put16(p, new);
        0
    }

    /// `bpf_l4_csum_replace` (`BPF_F_PSEUDO_HDR` 0x10, `BPF_F_MARK_MANGLED_0`
    /// 0x20, `BPF_F_MARK_ENFORCE` 0x40, `BPF_F_IPV6` 0x80, size in the low
    /// nibble).
    pub fn l4_csum_replace(&mut self, offset: u32, from: u64, to: u64, flags: u64) -> i64 {
        const FIELD_MASK: u64 = 0xf;
        const PSEUDO: u64 = 0x10;
        const MANGLED_0: u64 = 0x20;
        const ENFORCE: u64 = 0x40;
        const IPV6: u64 = 0x80;
        if flags & !(MANGLED_0 | ENFORCE | PSEUDO | FIELD_MASK | IPV6) != 0 {
            return -i64::from(errno::EINVAL);
        }
        let p = match self.csum_ptr(offset) {
            Ok(p) => p,
            Err(e) => return e,
        };
        let pseudo = flags & PSEUDO != 0;
        let mmzero = flags & MANGLED_0 != 0;
        let sum = self.get16(p);
        if mmzero && flags & ENFORCE == 0 && sum == 0 {
            return 0;
        }
        let complete = self.ip_summed == ip_summed::COMPLETE;
        let new = match flags & FIELD_MASK {
            0 => {
                if from != 0 {
                    return -i64::from(errno::EINVAL);
                }
                let diff = to as u32;
                if complete && pseudo && flags & IPV6 == 0 {
                    self.csum = !csum::sub(diff, self.csum);
                }
                csum::replace_by_diff(sum, diff)
            }
            2 | 4 => {
                let (f, t) = if flags & FIELD_MASK == 2 {
                    (u32::from(from as u16), u32::from(to as u16))
                } else {
                    (from as u32, to as u32)
                };
                if complete && pseudo {
                    self.csum = !csum::add(csum::sub(!self.csum, f), t);
                }
                csum::replace4(sum, f, t)
            }
            _ => return -i64::from(errno::EINVAL),
        };
        let new = if mmzero && new == 0 { 0xffff } else { new };
        self.put16(p, new);
        0
    }

    /// `bpf_csum_update`.
    pub fn csum_update(&mut self, csum_in: u32) -> i64 {
        if self.ip_summed == ip_summed::COMPLETE {
            self.csum = csum::add(self.csum, csum_in);
            i64::from(self.csum)
        } else {
            -i64::from(errno::ENOTSUPP)
        }
    }

    /// `bpf_skb_pull_data`: everything is linear here, so only the length
    /// check remains.
    pub fn pull_data(&mut self, len: u32) -> i64 {
        let l = if len == 0 {
            self.len() as u64
        } else {
            u64::from(len)
        };
        self.ensure_writable(l)
    }

    /// `bpf_skb_change_head`.
    pub fn change_head(&mut self, head_room: u32, flags: u64) -> i64 {
        let new_len = self.len() as u64 + u64::from(head_room);
        if flags != 0
            || (head_room as i32) < 0
            || (!self.is_gso() && new_len > SKB_MAX_ALLOC as u64)
        {
            return -i64::from(errno::EINVAL);
        }
        if !self.pkt.insert_front(0, head_room as usize) {
            return -i64::from(errno::ENOMEM);
        }
        self.mac_header = self.pkt.data;
        // skb_reset_mac_len only recomputes mac_len from the headers
        0
    }

    /// `__bpf_skb_min_len`.
    fn min_len(&self) -> usize {
        let mut min = 0usize;
        let off = self.network_offset();
        if off > 0 {
            min = off as usize;
        }
        if let Some(t) = self.transport_header {
            let off = t as isize - self.pkt.data as isize;
            if off > 0 {
                min = off as usize;
            }
        }
        min
    }

    /// `bpf_skb_change_tail`.
    pub fn change_tail(&mut self, new_len: u32, flags: u64) -> i64 {
        let new_len = new_len as usize;
        if flags != 0 || new_len > SKB_MAX_ALLOC || new_len < self.min_len() {
            return -i64::from(errno::EINVAL);
        }
        if self.encapsulation {
            return -i64::from(errno::ENOTSUPP);
        }
        let old = self.len();
        if new_len > old {
            let grow = new_len - old;
            if self.pkt.tailroom() < grow {
                return -i64::from(errno::ENOMEM);
            }
            let e = self.pkt.end;
            self.pkt.buf[e..e + grow].fill(0);
            self.pkt.end += grow;
            // __skb_grow_rcsum: zero bytes leave CHECKSUM_COMPLETE intact
        } else if new_len < old {
            if self.ip_summed == ip_summed::COMPLETE {
                let s = self.pkt.data + new_len;
                self.postpull_rcsum(s, old - new_len);
            }
            self.pkt.end = self.pkt.data + new_len;
        }
        if self.is_gso() {
            self.gso_size = 0;
            self.gso_segs = 0;
        }
        0
    }

    /// `bpf_skb_generic_push` + header bookkeeping of `bpf_skb_net_hdr_push`.
    fn net_hdr_push(&mut self, off: usize, len: usize) -> i64 {
        let trans_same = self.transport_header == Some(self.network_header);
        if !self.pkt.insert_front(off, len) {
            return -i64::from(errno::ENOMEM);
        }
        self.mac_header -= len;
        self.network_header -= len;
        if trans_same {
            self.transport_header = Some(self.network_header);
        }
        0
    }

    /// `bpf_skb_generic_pop` + `bpf_skb_net_hdr_pop`.
    fn net_hdr_pop(&mut self, off: usize, len: usize) -> i64 {
        let trans_same = self.transport_header == Some(self.network_header);
        if off + len > self.len() {
            return -i64::from(errno::ENOMEM);
        }
        let start = self.pkt.data + off;
        self.postpull_rcsum(start, len);
        self.pkt.remove_front(off, len);
        self.mac_header += len;
        self.network_header += len;
        if trans_same {
            self.transport_header = Some(self.network_header);
        }
        0
    }

    /// `bpf_skb_change_proto`.
    pub fn change_proto(&mut self, proto_be: u16, flags: u64) -> i64 {
        if flags != 0 {
            return -i64::from(errno::EINVAL);
        }
        let to = u16::from_be(proto_be);
        let diff = 40 - 20;
        let off = self.mac_header_len();
        let ret = if self.protocol == eth_p::IP && to == eth_p::IPV6 {
            let r = self.net_hdr_push(off, diff);
            if r == 0 {
                self.protocol = eth_p::IPV6;
            }
            r
        } else if self.protocol == eth_p::IPV6 && to == eth_p::IP {
            let r = self.net_hdr_pop(off, diff);
            if r == 0 {
                self.protocol = eth_p::IP;
            }
            r
        } else {
            return -i64::from(errno::ENOTSUPP);
        };
        if ret == 0 {
            self.clear_hash();
        }
        ret
    }

    /// `bpf_skb_adjust_room` for `BPF_ADJ_ROOM_NET` (0) and
    /// `BPF_ADJ_ROOM_MAC` (1), including the encap/decap flags' checks.
    pub fn adjust_room(&mut self, len_diff: i32, mode: u32, flags: u64) -> i64 {
        const FIXED_GSO: u64 = 1 << 0;
        const ENCAP_L3_IPV4: u64 = 1 << 1;
        const ENCAP_L3_IPV6: u64 = 1 << 2;
        const ENCAP_L4_GRE: u64 = 1 << 3;
        const ENCAP_L4_UDP: u64 = 1 << 4;
        const NO_CSUM_RESET: u64 = 1 << 5;
        const ENCAP_L2_ETH: u64 = 1 << 6;
        const DECAP_L3_IPV4: u64 = 1 << 7;
        const DECAP_L3_IPV6: u64 = 1 << 8;
        const ENCAP_L2_MASK: u64 = 0xff << 56;
        const ENCAP_L3: u64 = ENCAP_L3_IPV4 | ENCAP_L3_IPV6;
        const DECAP_L3: u64 = DECAP_L3_IPV4 | DECAP_L3_IPV6;
        const MASK: u64 = FIXED_GSO
            | ENCAP_L3
            | ENCAP_L4_GRE
            | ENCAP_L4_UDP
            | ENCAP_L2_ETH
            | ENCAP_L2_MASK
            | DECAP_L3;
        let net_base = |p: u16| match p {
            eth_p::IP => 20u32,
            eth_p::IPV6 => 40,
            _ => u32::MAX,
        };
        let abs = len_diff.unsigned_abs();
        let shrink = len_diff < 0;
        if flags & !(MASK | NO_CSUM_RESET) != 0 {
            return -i64::from(errno::EINVAL);
        }
        if abs > 0xfff {
            return -i64::from(errno::EFAULT);
        }
        if self.protocol != eth_p::IP && self.protocol != eth_p::IPV6 {
            return -i64::from(errno::ENOTSUPP);
        }
        let mut len_min = net_base(self.protocol);
        let mut off = self.mac_header_len() as u32;
        match mode {
            0 => off += net_base(self.protocol),
            1 => {}
            _ => return -i64::from(errno::ENOTSUPP),
        }
        if flags & DECAP_L3 != 0 {
            if !shrink {
                return -i64::from(errno::EINVAL);
            }
            len_min = match flags & DECAP_L3 {
                DECAP_L3_IPV4 => 20,
                DECAP_L3_IPV6 => 40,
                _ => return -i64::from(errno::EINVAL),
            };
        }
        let len_cur = (self.len() as isize - self.network_offset()).max(0) as u32;
        if (shrink && (abs >= len_cur || len_cur - abs < len_min))
            || (!shrink
                && self.len() as u64 + u64::from(abs) > SKB_MAX_ALLOC as u64
                && !self.is_gso())
        {
            return -i64::from(errno::ENOTSUPP);
        }
        let ret = if shrink {
            if flags & !(FIXED_GSO | DECAP_L3 | NO_CSUM_RESET) != 0 {
                return -i64::from(errno::EINVAL);
            }
            let r = self.net_hdr_pop(off as usize, abs as usize);
            if r == 0 {
                if self.protocol == eth_p::IP && flags & DECAP_L3_IPV6 != 0 {
                    self.protocol = eth_p::IPV6;
                } else if self.protocol == eth_p::IPV6 && flags & DECAP_L3_IPV4 != 0 {
                    self.protocol = eth_p::IP;
                }
            }
            r
        } else {
            self.net_grow(off as usize, abs as usize, flags)
        };
        if ret == 0 && flags & NO_CSUM_RESET == 0 && self.ip_summed == ip_summed::UNNECESSARY {
            self.ip_summed = ip_summed::NONE;
            self.csum_level = 0;
        }
        ret
    }

    fn net_grow(&mut self, off: usize, len: usize, flags: u64) -> i64 {
        const ENCAP_L3_IPV4: u64 = 1 << 1;
        const ENCAP_L3_IPV6: u64 = 1 << 2;
        const ENCAP_L4_GRE: u64 = 1 << 3;
        const ENCAP_L4_UDP: u64 = 1 << 4;
        const ENCAP_L2_ETH: u64 = 1 << 6;
        let inner_mac_len = (flags >> 56) as usize;
        let encap = flags & (ENCAP_L3_IPV4 | ENCAP_L3_IPV6) != 0;
        let mut mac_len = 0;
        if encap {
            if flags & ENCAP_L3_IPV4 != 0 && flags & ENCAP_L3_IPV6 != 0 {
                return -i64::from(errno::EINVAL);
            }
            if flags & ENCAP_L4_GRE != 0 && flags & ENCAP_L4_UDP != 0 {
                return -i64::from(errno::EINVAL);
            }
            if flags & ENCAP_L2_ETH != 0 && inner_mac_len < ETH_HLEN {
                return -i64::from(errno::EINVAL);
            }
            if self.encapsulation {
                return -i64::from(errno::EALREADY);
            }
            mac_len = self.network_header - self.mac_header;
            if inner_mac_len > len {
                return -i64::from(errno::EINVAL);
            }
        }
        let r = self.net_hdr_push(off, len);
        if r != 0 {
            return r;
        }
        if encap {
            self.encapsulation = true;
            self.network_header = self.pkt.data + mac_len;
            if flags & (ENCAP_L4_GRE | ENCAP_L4_UDP) != 0 {
                let nh = if flags & ENCAP_L3_IPV6 != 0 { 40 } else { 20 };
                self.transport_header = Some(self.pkt.data + mac_len + nh);
            }
            if self.protocol == eth_p::IP && flags & ENCAP_L3_IPV6 != 0 {
                self.protocol = eth_p::IPV6;
            } else if self.protocol == eth_p::IPV6 && flags & ENCAP_L3_IPV4 != 0 {
                self.protocol = eth_p::IP;
            }
        }
        if self.is_gso() {
            self.gso_segs = 0;
        }
        0
    }

    /// `vlan_set_encap_proto` after removing a tag whose encapsulated
    /// protocol field was `enc` (host order); `next2` are the two bytes
    /// after it.
    fn set_encap_proto(&mut self, enc: u16, next2: Option<[u8; 2]>) {
        self.protocol = if enc >= eth_p::P802_3_MIN {
            enc
        } else if next2 == Some([0xff, 0xff]) {
            eth_p::P802_3
        } else {
            eth_p::P802_2
        };
    }

    /// `__skb_vlan_pop`: removes the in-packet tag at the MAC header.
    fn vlan_pop_inline(&mut self) -> Result<u16, i64> {
        if self.pkt.data != self.mac_header {
            return Err(-i64::from(errno::EINVAL));
        }
        if self.ensure_writable((ETH_HLEN + VLAN_HLEN) as u64) != 0 {
            return Err(-i64::from(errno::ENOMEM));
        }
        let d = self.pkt.data;
        self.postpull_rcsum(d + 12, VLAN_HLEN);
        let tci = u16::from_be_bytes([self.pkt.buf[d + 14], self.pkt.buf[d + 15]]);
        let enc = u16::from_be_bytes([self.pkt.buf[d + 16], self.pkt.buf[d + 17]]);
        self.pkt.buf.copy_within(d..d + 12, d + VLAN_HLEN);
        self.pkt.data += VLAN_HLEN;
        self.pkt.meta = self.pkt.data;
        let next2 = self.pkt.read(ETH_HLEN, 2).map(|v| [v[0], v[1]]);
        self.set_encap_proto(enc, next2);
        self.mac_header += VLAN_HLEN;
        if (self.network_header as isize - self.pkt.data as isize) < ETH_HLEN as isize {
            self.network_header = self.pkt.data + ETH_HLEN;
        }
        Ok(tci)
    }

    /// `bpf_skb_vlan_pop`.
    pub fn vlan_pop(&mut self) -> i64 {
        let is_vlan = |p: u16| p == eth_p::P8021Q || p == eth_p::P8021AD;
        if self.vlan_present {
            self.vlan_present = false;
            self.vlan_tci = 0;
        } else {
            if !is_vlan(self.protocol) {
                return 0;
            }
            if let Err(e) = self.vlan_pop_inline() {
                return e;
            }
        }
        if !is_vlan(self.protocol) {
            return 0;
        }
        let proto = self.protocol;
        match self.vlan_pop_inline() {
            Ok(tci) => {
                self.vlan_present = true;
                self.vlan_proto = proto;
                self.vlan_tci = tci;
                0
            }
            Err(e) => e,
        }
    }

    /// `bpf_skb_vlan_push`.
    pub fn vlan_push(&mut self, proto_be: u16, tci: u16) -> i64 {
        let mut proto = u16::from_be(proto_be);
        if proto != eth_p::P8021Q && proto != eth_p::P8021AD {
            proto = eth_p::P8021Q;
        }
        if self.vlan_present {
            if self.pkt.data != self.mac_header {
                return -i64::from(errno::EINVAL);
            }
            // __vlan_insert_tag with mac_len = ETH_HLEN
            if !self.pkt.insert_front(0, VLAN_HLEN) {
                return -i64::from(errno::ENOMEM);
            }
            let d = self.pkt.data;
            self.pkt
                .buf
                .copy_within(d + VLAN_HLEN..d + VLAN_HLEN + 12, d);
            self.mac_header -= VLAN_HLEN;
            self.pkt.buf[d + 12..d + 14].copy_from_slice(&self.vlan_proto.to_be_bytes());
            self.pkt.buf[d + 14..d + 16].copy_from_slice(&self.vlan_tci.to_be_bytes());
            self.protocol = self.vlan_proto;
            self.network_header -= VLAN_HLEN;
            self.postpush_rcsum(d + 12, VLAN_HLEN);
        }
        self.vlan_present = true;
        self.vlan_proto = proto;
        self.vlan_tci = tci;
        0
    }

    /// `bpf_set_hash`.
    pub fn set_hash(&mut self, hash: u32) -> i64 {
        self.hash = hash;
        self.sw_hash = true;
        self.l4_hash = true;
        0
    }

    /// `bpf_get_hash_recalc`: `skb_get_hash`. The kernel's flow hash is
    /// keyed by a random boot-time secret; bpfbox uses a fixed FNV-1a hash
    /// of the flow bytes instead (documented difference).
    pub fn get_hash_recalc(&mut self) -> u32 {
        if !self.l4_hash && !self.sw_hash {
            let nh = self.network_header;
            let end = self.pkt.end.min(nh + 40);
            let mut h: u32 = 0x811c_9dc5;
            for &b in &self.pkt.buf[nh.min(end)..end] {
                h ^= u32::from(b);
                h = h.wrapping_mul(0x0100_0193);
            }
            if h == 0 {
                h = 1;
            }
            self.hash = h;
            self.sw_hash = true;
        }
        self.hash
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tc_skb(frame: &[u8]) -> Skb {
        let pkt = Packet::new(frame, 64, 64).unwrap();
        let mut s = Skb::new(pkt);
        s.network_header = s.pkt.data + ETH_HLEN;
        s.protocol = u16::from_be_bytes([frame[12], frame[13]]);
        s
    }

    #[test]
    fn vlan_push_twice_then_pop() {
        let mut f = vec![0u8; 34];
        f[12] = 0x08;
        let mut s = tc_skb(&f);
        assert_eq!(s.vlan_push(0x0081, 5), 0); // 0x8100 as be16
        assert_eq!(s.len(), 34, "first push only sets the accelerated tag");
        assert_eq!(s.vlan_push(0x0081, 6), 0);
        assert_eq!(s.len(), 38);
        assert_eq!(&s.pkt.bytes()[12..18], &[0x81, 0, 0, 5, 0x08, 0]);
        assert_eq!(s.vlan_tci, 6);
        assert_eq!(s.vlan_pop(), 0);
        // the in-packet tag moved into the accelerated slot
        assert!(s.vlan_present);
        assert_eq!(s.vlan_tci, 5);
        assert_eq!(s.len(), 34);
    }

    #[test]
    fn change_tail_limits() {
        let mut s = tc_skb(&[0u8; 60]);
        assert_eq!(s.change_tail(13, 0), -22, "below the network offset");
        assert_eq!(s.change_tail(100, 1), -22);
        assert_eq!(
            s.change_tail(200, 0),
            -12,
            "more than this test buffer's tailroom"
        );
        assert_eq!(s.change_tail(40, 0), 0);
        assert_eq!(s.len(), 40);
    }

    #[test]
    fn l4_mangled_zero() {
        let mut s = tc_skb(&[0u8; 60]);
        assert_eq!(s.l4_csum_replace(40, 0, 0, 0x20 | 4), 0);
        assert_eq!(s.pkt.bytes()[40..42], [0, 0], "zero csum untouched");
        assert_eq!(s.l4_csum_replace(41, 0, 0, 4), -14);
        assert_eq!(s.l4_csum_replace(40, 1, 0, 0), -22);
    }
}

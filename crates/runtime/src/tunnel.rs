//! Tunnel metadata of an skb (`struct ip_tunnel_info` in a metadata dst)
//! and the `struct bpf_tunnel_key` view `bpf_skb_set_tunnel_key` and
//! `bpf_skb_get_tunnel_key` (net/core/filter.c) exchange with programs.
//!
//! `set` attaches transmit metadata: the key's remote address becomes the
//! tunnel's destination and its local address the source, so `get` (which
//! reads metadata as received: remote = source) reports them swapped, as
//! the kernel does within one run. Shorter, older layouts of the key (up
//! to `remote_ipv4`, `tunnel_ext`, `tunnel_label`, `local_ipv4`) are
//! accepted as the kernel accepts them. Nothing else reads the metadata in
//! a test run (no device transmits the skb).

use bpfbox_uapi::errno::{EINVAL, EPROTO};

/// `sizeof(struct bpf_tunnel_key)`.
pub const TUNNEL_KEY_SIZE: usize = 44;
/// `offsetof(struct bpf_tunnel_key, remote_ipv6[1])`.
const OFF_REMOTE_IPV6_1: usize = 8;
/// `offsetof(struct bpf_tunnel_key, tunnel_ext)`.
const OFF_EXT: usize = 22;
/// `offsetof(struct bpf_tunnel_key, tunnel_label)`.
const OFF_LABEL: usize = 24;
/// `offsetof(struct bpf_tunnel_key, local_ipv6[0])`.
const OFF_LOCAL: usize = 28;

/// `BPF_F_TUNINFO_IPV6`.
pub const F_TUNINFO_IPV6: u64 = 1 << 0;
/// `BPF_F_ZERO_CSUM_TX`.
pub const F_ZERO_CSUM_TX: u64 = 1 << 1;
/// `BPF_F_DONT_FRAGMENT`.
pub const F_DONT_FRAGMENT: u64 = 1 << 2;
/// `BPF_F_SEQ_NUMBER`.
pub const F_SEQ_NUMBER: u64 = 1 << 3;
/// `BPF_F_NO_TUNNEL_KEY` (set) and `BPF_F_TUNINFO_FLAGS` (get).
pub const F_BIT4: u64 = 1 << 4;

/// `IP_TUNNEL_*_BIT` numbers of `ip_tunnel_key.tun_flags`.
mod bit {
    pub const CSUM: u32 = 0;
    pub const KEY: u32 = 2;
    pub const SEQ: u32 = 3;
    pub const DONT_FRAGMENT: u32 = 8;
    pub const NOCACHE: u32 = 13;
}
/// `IPV6_FLOWLABEL_MASK` (host order).
const FLOWLABEL_MASK: u32 = 0x000f_ffff;

/// `struct ip_tunnel_info` as far as a BPF program can see it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TunnelInfo {
    /// `IP_TUNNEL_INFO_IPV6` in `mode`.
    pub ipv6: bool,
    /// `key.tun_id` (host order).
    pub id: u64,
    /// `key.tos`.
    pub tos: u8,
    /// `key.ttl`.
    pub ttl: u8,
    /// `key.tun_flags` bits (`IP_TUNNEL_*_BIT`).
    pub flags: u32,
    /// `key.label` (host order, IPv6).
    pub label: u32,
    /// `key.u.ipv{4,6}.src` as stored (IPv4: 4 bytes in network order).
    pub src: [u8; 16],
    /// `key.u.ipv{4,6}.dst` as stored.
    pub dst: [u8; 16],
}

fn u32_at(b: &[u8], off: usize) -> u32 {
    u32::from_ne_bytes([b[off], b[off + 1], b[off + 2], b[off + 3]])
}

/// `bpf_skb_set_tunnel_key(skb, key, size, flags)`: the metadata to attach,
/// or the negative errno.
pub fn set_key(key: &[u8], flags: u64) -> Result<TunnelInfo, i64> {
    let einval = -i64::from(EINVAL);
    if flags & !(F_TUNINFO_IPV6 | F_ZERO_CSUM_TX | F_DONT_FRAGMENT | F_SEQ_NUMBER | F_BIT4) != 0 {
        return Err(einval);
    }
    if key.len() != TUNNEL_KEY_SIZE
        && ![OFF_LOCAL, OFF_LABEL, OFF_EXT, OFF_REMOTE_IPV6_1].contains(&key.len())
    {
        return Err(einval);
    }
    let mut k = [0u8; TUNNEL_KEY_SIZE];
    k[..key.len()].copy_from_slice(key);
    let ipv6 = flags & F_TUNINFO_IPV6 != 0;
    let label = u32_at(&k, OFF_LABEL);
    let ext = u16::from_ne_bytes([k[OFF_EXT], k[OFF_EXT + 1]]);
    if (!ipv6 && label != 0) || ext != 0 {
        return Err(einval);
    }
    let mut info = TunnelInfo {
        ipv6,
        id: u64::from(u32_at(&k, 0)),
        tos: k[20],
        ttl: k[21],
        flags: 1 << bit::NOCACHE,
        ..Default::default()
    };
    let mut set = |b: u32, on: bool| {
        if on {
            info.flags |= 1 << b;
        }
    };
    set(bit::DONT_FRAGMENT, flags & F_DONT_FRAGMENT != 0);
    set(bit::CSUM, flags & F_ZERO_CSUM_TX == 0);
    set(bit::SEQ, flags & F_SEQ_NUMBER != 0);
    set(bit::KEY, flags & F_BIT4 == 0);
    if ipv6 {
        // u32 words in host order, copied as bytes
        info.dst.copy_from_slice(&k[4..20]);
        info.src.copy_from_slice(&k[OFF_LOCAL..OFF_LOCAL + 16]);
        info.label = label & FLOWLABEL_MASK;
    } else {
        info.dst[..4].copy_from_slice(&u32_at(&k, 4).to_be_bytes());
        info.src[..4].copy_from_slice(&u32_at(&k, OFF_LOCAL).to_be_bytes());
    }
    Ok(info)
}

/// `bpf_skb_get_tunnel_key(skb, key, size, flags)`: the `size` bytes to
/// write and the return value (on error the bytes are zero).
pub fn get_key(info: Option<&TunnelInfo>, size: usize, flags: u64) -> (Vec<u8>, i64) {
    let zero = |e: i32| (vec![0u8; size], -i64::from(e));
    let Some(info) = info else {
        return zero(EINVAL);
    };
    if flags & !(F_TUNINFO_IPV6 | F_BIT4) != 0 {
        return zero(EINVAL);
    }
    let want_v6 = flags & F_TUNINFO_IPV6 != 0;
    if info.ipv6 != want_v6 {
        return zero(EPROTO);
    }
    if size != TUNNEL_KEY_SIZE {
        match size {
            OFF_LOCAL | OFF_LABEL | OFF_EXT => {}
            OFF_REMOTE_IPV6_1 if !info.ipv6 => {}
            _ => return zero(EINVAL),
        }
    }
    let mut k = [0u8; TUNNEL_KEY_SIZE];
    k[0..4].copy_from_slice(&(info.id as u32).to_ne_bytes());
    k[20] = info.tos;
    k[21] = info.ttl;
    if flags & F_BIT4 != 0 {
        // ip_tunnel_flags_to_be16: the first 16 flag bits, big-endian
        k[22..24].copy_from_slice(&((info.flags & 0xffff) as u16).to_be_bytes());
    }
    if info.ipv6 {
        k[4..20].copy_from_slice(&info.src);
        k[OFF_LOCAL..OFF_LOCAL + 16].copy_from_slice(&info.dst);
        k[OFF_LABEL..OFF_LABEL + 4].copy_from_slice(&info.label.to_ne_bytes());
    } else {
        let be = |a: &[u8; 16]| u32::from_be_bytes([a[0], a[1], a[2], a[3]]);
        k[4..8].copy_from_slice(&be(&info.src).to_ne_bytes());
        k[OFF_LOCAL..OFF_LOCAL + 4].copy_from_slice(&be(&info.dst).to_ne_bytes());
    }
    (k[..size].to_vec(), 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key4(id: u32, remote: u32, local: u32, tos: u8, ttl: u8) -> Vec<u8> {
        let mut k = vec![0u8; TUNNEL_KEY_SIZE];
        k[0..4].copy_from_slice(&id.to_ne_bytes());
        k[4..8].copy_from_slice(&remote.to_ne_bytes());
        k[20] = tos;
        k[21] = ttl;
        k[28..32].copy_from_slice(&local.to_ne_bytes());
        k
    }

    #[test]
    fn set_then_get_swaps_remote_and_local() {
        let info = set_key(&key4(7, 0x0a00_0001, 0x0a00_0002, 4, 64), 0).unwrap();
        assert_eq!(info.dst[..4], [10, 0, 0, 1]);
        assert_eq!(info.src[..4], [10, 0, 0, 2]);
        let (k, r) = get_key(Some(&info), TUNNEL_KEY_SIZE, 0);
        assert_eq!(r, 0);
        assert_eq!(k, key4(7, 0x0a00_0002, 0x0a00_0001, 4, 64));
        let (k, _) = get_key(Some(&info), TUNNEL_KEY_SIZE, F_BIT4);
        // CSUM | KEY | NOCACHE
        assert_eq!(k[22..24], 0x2005u16.to_be_bytes());
    }

    #[test]
    fn errors_and_old_layouts() {
        let e = |r: Result<TunnelInfo, i64>| r.unwrap_err();
        let k = key4(1, 2, 3, 0, 0);
        assert_eq!(e(set_key(&k, 1 << 5)), -22);
        assert_eq!(e(set_key(&k[..12], 0)), -22);
        let mut labelled = k.clone();
        labelled[24] = 1;
        assert_eq!(e(set_key(&labelled, 0)), -22, "label needs IPv6");
        assert!(set_key(&labelled, F_TUNINFO_IPV6).is_ok());
        let info = set_key(&k[..OFF_REMOTE_IPV6_1], 0).unwrap();
        assert_eq!(info.src, [0; 16], "old layout: no local address");
        assert_eq!(get_key(None, 44, 0), (vec![0; 44], -22));
        assert_eq!(get_key(Some(&info), 44, F_TUNINFO_IPV6).1, -71);
        assert_eq!(get_key(Some(&info), 8, 0).1, 0);
        assert_eq!(get_key(Some(&info), 12, 0).1, -22);
        let v6 = set_key(&k, F_TUNINFO_IPV6).unwrap();
        assert_eq!(get_key(Some(&v6), 8, F_TUNINFO_IPV6).1, -22);
    }
}

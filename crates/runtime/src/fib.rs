//! `bpf_fib_lookup` over the host's routing tables, neighbours and devices
//! ([`HostState::routes`], [`HostState::neighbours`], [`Device`]), with the
//! decisions of net/core/filter.c (6.18) `bpf_ipv4_fib_lookup` and
//! `bpf_ipv6_fib_lookup`:
//!
//! * the input device (`params->ifindex`) must exist (`-ENODEV`) and
//!   forward (`FWD_DISABLED`); IPv6 link-local, multicast and loopback
//!   addresses are never forwarded (`NOT_FWDED`);
//! * a full lookup walks the default rules (local table 255, then main 254,
//!   then default 253); `BPF_FIB_LOOKUP_DIRECT` looks in main only, or in
//!   `params->tbid` with `BPF_FIB_LOOKUP_TBID` (zeroed; a table without
//!   routes does not exist: `NOT_FWDED`); for IPv4 the local and main
//!   tables are one (the kernel merges their tries while no custom rules
//!   exist), so a direct lookup in main still finds local addresses;
//! * within a table the longest prefix wins, then the lowest metric;
//!   blackhole/unreachable/prohibit routes answer `BLACKHOLE`,
//!   `UNREACHABLE`, `PROHIBIT`, other non-unicast types `NOT_FWDED`; for
//!   IPv4 with `BPF_FIB_LOOKUP_OUTPUT`, unicast routes through another
//!   device are skipped;
//! * MTU check (XDP always, skb when `tot_len` is set): `FRAG_NEEDED` with
//!   `mtu_result`; then `ifindex`, `rt_metric`, the gateway as destination,
//!   the preferred source with `BPF_FIB_LOOKUP_SRC`, and unless
//!   `BPF_FIB_LOOKUP_SKIP_NEIGH` the neighbour's MAC (`NO_NEIGH` without
//!   one) and the device's MAC.
//!
//! Not modelled: policy rules beyond the three defaults (`mark` has no
//! effect), multipath, lightweight tunnels, VRFs (`l3mdev`), IPv4 routes
//! with IPv6 gateways, and IPv6 source selection beyond "the first address
//! of the output device" (the kernel's RFC 6724 rules).

use crate::host::{Device, HostState, Neighbour, Route, RouteKind};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// `sizeof(struct bpf_fib_lookup)`.
pub const PARAMS_SIZE: usize = 64;

/// `RT_TABLE_MAIN`.
pub const TABLE_MAIN: u32 = 254;
/// `RT_TABLE_LOCAL`.
pub const TABLE_LOCAL: u32 = 255;
/// `RT_TABLE_DEFAULT`.
pub const TABLE_DEFAULT: u32 = 253;

const DIRECT: u32 = 1 << 0;
const OUTPUT: u32 = 1 << 1;
const SKIP_NEIGH: u32 = 1 << 2;
const TBID: u32 = 1 << 3;
const SRC: u32 = 1 << 4;
const MARK: u32 = 1 << 5;
const FLAGS: u32 = DIRECT | OUTPUT | SKIP_NEIGH | TBID | SRC | MARK;

/// `BPF_FIB_LKUP_RET_*`.
mod ret {
    pub const SUCCESS: i64 = 0;
    pub const BLACKHOLE: i64 = 1;
    pub const UNREACHABLE: i64 = 2;
    pub const PROHIBIT: i64 = 3;
    pub const NOT_FWDED: i64 = 4;
    pub const FWD_DISABLED: i64 = 5;
    pub const NO_NEIGH: i64 = 7;
    pub const FRAG_NEEDED: i64 = 8;
    pub const NO_SRC_ADDR: i64 = 9;
}

const EINVAL: i64 = bpfbox_uapi::errno::EINVAL as i64;
const ENODEV: i64 = bpfbox_uapi::errno::ENODEV as i64;
const EAFNOSUPPORT: i64 = bpfbox_uapi::errno::EAFNOSUPPORT as i64;
const AF_INET: u8 = 2;
const AF_INET6: u8 = 10;
/// `VLAN_HLEN`, allowed on top of MTU + hard header by `is_skb_forwardable`.
const VLAN_HLEN: usize = 4;
/// Ethernet (and loopback) `hard_header_len`.
const HARD_HEADER_LEN: usize = 14;

/// Which helper flavour runs: XDP always checks the MTU against
/// `tot_len`; skb programs only when `tot_len` is set, otherwise the skb's
/// length against the output device (`is_skb_forwardable`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caller {
    /// `bpf_xdp_fib_lookup`.
    Xdp,
    /// `bpf_skb_fib_lookup` with the skb's current length.
    Skb {
        /// `skb->len`.
        len: usize,
        /// The skb is GSO (always forwardable).
        gso: bool,
    },
}

/// `struct bpf_fib_lookup`, viewed as bytes.
struct Params<'a>(&'a mut [u8]);

impl Params<'_> {
    fn family(&self) -> u8 {
        self.0[0]
    }
    fn set_family(&mut self, f: u8) {
        self.0[0] = f;
    }
    fn tot_len(&self) -> u16 {
        u16::from_ne_bytes([self.0[6], self.0[7]])
    }
    fn set_mtu_result(&mut self, mtu: u32) {
        self.0[6..8].copy_from_slice(&(mtu as u16).to_ne_bytes());
    }
    fn ifindex(&self) -> u32 {
        u32::from_ne_bytes([self.0[8], self.0[9], self.0[10], self.0[11]])
    }
    fn set_ifindex(&mut self, i: u32) {
        self.0[8..12].copy_from_slice(&i.to_ne_bytes());
    }
    fn set_rt_metric(&mut self, m: u32) {
        self.0[12..16].copy_from_slice(&m.to_ne_bytes());
    }
    fn addr(&self, off: usize, v6: bool) -> IpAddr {
        if v6 {
            let mut a = [0u8; 16];
            a.copy_from_slice(&self.0[off..off + 16]);
            IpAddr::V6(Ipv6Addr::from(a))
        } else {
            IpAddr::V4(Ipv4Addr::new(
                self.0[off],
                self.0[off + 1],
                self.0[off + 2],
                self.0[off + 3],
            ))
        }
    }
    fn set_addr(&mut self, off: usize, a: IpAddr) {
        match a {
            IpAddr::V4(a) => self.0[off..off + 4].copy_from_slice(&a.octets()),
            IpAddr::V6(a) => self.0[off..off + 16].copy_from_slice(&a.octets()),
        }
    }
    fn src(&self, v6: bool) -> IpAddr {
        self.addr(16, v6)
    }
    fn dst(&self, v6: bool) -> IpAddr {
        self.addr(32, v6)
    }
    fn tbid(&self) -> u32 {
        u32::from_ne_bytes([self.0[48], self.0[49], self.0[50], self.0[51]])
    }
    /// Zeroes `tbid` / `h_vlan_proto` + `h_vlan_TCI` (one union).
    fn clear_vlan(&mut self) {
        self.0[48..52].fill(0);
    }
    fn set_macs(&mut self, smac: [u8; 6], dmac: [u8; 6]) {
        self.0[52..58].copy_from_slice(&smac);
        self.0[58..64].copy_from_slice(&dmac);
    }
}

/// Whether `a` lies in `prefix/len` (same family).
fn in_prefix(a: IpAddr, prefix: IpAddr, len: u8) -> bool {
    match (a, prefix) {
        (IpAddr::V4(a), IpAddr::V4(p)) => {
            let len = u32::from(len.min(32));
            let mask = if len == 0 { 0 } else { u32::MAX << (32 - len) };
            u32::from(a) & mask == u32::from(p) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(p)) => {
            let len = u32::from(len.min(128));
            let mask = if len == 0 {
                0
            } else {
                u128::MAX << (128 - len)
            };
            u128::from(a) & mask == u128::from(p) & mask
        }
        _ => false,
    }
}

/// `rt6_need_strict`: link-local, multicast or loopback.
fn v6_strict(a: IpAddr) -> bool {
    match a {
        IpAddr::V6(a) => {
            let s = a.segments();
            a.is_loopback() || s[0] & 0xff00 == 0xff00 || s[0] & 0xffc0 == 0xfe80
        }
        IpAddr::V4(_) => false,
    }
}

/// The route a lookup in one table selects, or `None` when nothing
/// matches (the next rule's table is tried).
fn table_lookup(host: &HostState, table: u32, dst: IpAddr, oif: Option<u32>) -> Option<&Route> {
    // IPv4 keeps the local and main tables in one trie while only the
    // default rules exist (fib_trie's merged tables): either id finds both.
    let merged = |t: u32| t == TABLE_MAIN || t == TABLE_LOCAL;
    let same_table =
        |r: &Route| r.table == table || (dst.is_ipv4() && merged(table) && merged(r.table));
    let mut cands: Vec<&Route> = host
        .routes
        .iter()
        .filter(|r| same_table(r) && in_prefix(dst, r.dst, r.prefix_len))
        .collect();
    cands.sort_by_key(|r| (std::cmp::Reverse(r.prefix_len), r.metric));
    cands.into_iter().find(|r| match r.kind {
        RouteKind::Blackhole | RouteKind::Unreachable | RouteKind::Prohibit => true,
        _ => oif.is_none_or(|o| o == r.ifindex),
    })
}

fn table_exists(host: &HostState, table: u32, v6: bool) -> bool {
    host.routes
        .iter()
        .any(|r| r.table == table && r.dst.is_ipv6() == v6)
}

/// First address of `dev` in the family of `like`, preferring one whose
/// subnet holds `near` (`inet_select_addr`).
fn select_src(dev: &Device, like: IpAddr, near: Option<IpAddr>) -> Option<IpAddr> {
    let fam: Vec<&(IpAddr, u8)> = dev
        .addrs
        .iter()
        .filter(|(a, _)| a.is_ipv6() == like.is_ipv6())
        .collect();
    near.and_then(|n| {
        fam.iter()
            .find(|(a, l)| in_prefix(n, *a, *l))
            .map(|(a, _)| *a)
    })
    .or_else(|| fam.first().map(|(a, _)| *a))
}

fn neighbour(host: &HostState, ifindex: u32, addr: IpAddr) -> Option<&Neighbour> {
    host.neighbours
        .iter()
        .find(|n| n.ifindex == ifindex && n.addr == addr)
}

/// `bpf_fib_lookup(ctx, params, plen, flags)`: updates `params` (the
/// program's 64-byte struct, at least `plen` bytes) and returns the helper's
/// result.
pub fn lookup(host: &HostState, params: &mut [u8], plen: usize, flags: u32, caller: Caller) -> i64 {
    if plen < PARAMS_SIZE || params.len() < PARAMS_SIZE {
        return -EINVAL;
    }
    if flags & !FLAGS != 0 {
        return -EINVAL;
    }
    let mut p = Params(&mut params[..PARAMS_SIZE]);
    let check_mtu = match caller {
        Caller::Xdp => true,
        Caller::Skb { .. } => p.tot_len() != 0,
    };
    let rc = match p.family() {
        AF_INET => lookup_family(host, &mut p, flags, check_mtu, false),
        AF_INET6 => lookup_family(host, &mut p, flags, check_mtu, true),
        _ => return -EAFNOSUPPORT,
    };
    if let Caller::Skb { len, gso } = caller {
        if rc == ret::SUCCESS && !check_mtu {
            if let Some(dev) = host.device(p.ifindex()) {
                if len > dev.mtu as usize + HARD_HEADER_LEN + VLAN_HLEN && !gso {
                    p.set_mtu_result(dev.mtu);
                    return ret::FRAG_NEEDED;
                }
                p.set_mtu_result(dev.mtu);
            }
        }
    }
    rc
}

fn lookup_family(
    host: &HostState,
    p: &mut Params<'_>,
    flags: u32,
    check_mtu: bool,
    v6: bool,
) -> i64 {
    let (src, dst) = (p.src(v6), p.dst(v6));
    if v6 && (v6_strict(dst) || v6_strict(src)) {
        return ret::NOT_FWDED;
    }
    let Some(indev) = host.device(p.ifindex()) else {
        return -ENODEV;
    };
    if !indev.forwarding {
        return ret::FWD_DISABLED;
    }
    // IPv4 matches the output interface; IPv6 only prefers it.
    let oif = (flags & OUTPUT != 0 && !v6).then(|| p.ifindex());
    let route = if flags & DIRECT != 0 {
        let mut table = TABLE_MAIN;
        if flags & TBID != 0 {
            table = p.tbid();
            p.clear_vlan();
        }
        if !table_exists(host, table, v6) {
            return ret::NOT_FWDED;
        }
        table_lookup(host, table, dst, oif)
    } else {
        [TABLE_LOCAL, TABLE_MAIN, TABLE_DEFAULT]
            .iter()
            .find_map(|t| table_lookup(host, *t, dst, oif))
    };
    let Some(route) = route else {
        return ret::NOT_FWDED;
    };
    match route.kind {
        RouteKind::Unicast => {}
        RouteKind::Blackhole => return ret::BLACKHOLE,
        RouteKind::Unreachable => return ret::UNREACHABLE,
        RouteKind::Prohibit => return ret::PROHIBIT,
        RouteKind::Local | RouteKind::Broadcast => return ret::NOT_FWDED,
    }
    let Some(out) = host.device(route.ifindex) else {
        return ret::NOT_FWDED;
    };
    let mut mtu = 0;
    if check_mtu {
        mtu = if route.mtu != 0 { route.mtu } else { out.mtu };
        if u32::from(p.tot_len()) > mtu {
            p.set_mtu_result(mtu);
            return ret::FRAG_NEEDED;
        }
    }
    p.set_rt_metric(route.metric);
    p.set_ifindex(out.ifindex);
    if flags & SRC != 0 && !v6 {
        let s = route
            .prefsrc
            .or_else(|| select_src(out, dst, route.gateway))
            .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
        p.set_addr(16, s);
    }
    let nexthop = route.gateway.unwrap_or(dst);
    if route.gateway.is_some() {
        p.set_addr(32, nexthop);
    }
    if flags & SRC != 0 && v6 {
        match route.prefsrc.or_else(|| select_src(out, dst, None)) {
            Some(s) => p.set_addr(16, s),
            None => return ret::NO_SRC_ADDR,
        }
    }
    p.set_family(if v6 { AF_INET6 } else { AF_INET });
    if flags & SKIP_NEIGH == 0 {
        let Some(n) = neighbour(host, out.ifindex, nexthop) else {
            return ret::NO_NEIGH;
        };
        p.set_macs(out.mac, n.mac);
    }
    p.clear_vlan();
    if mtu != 0 {
        p.set_mtu_result(mtu);
    }
    ret::SUCCESS
}

/// Adds `addr/prefix_len` to device `ifindex` the way `ip addr add` does:
/// the address on the device, the connected route in the main table
/// (metric 0 for IPv4, 256 for IPv6), the local route in the local table,
/// and for IPv4 the broadcast routes. Returns `false` when the device does
/// not exist.
pub fn add_address(host: &mut HostState, ifindex: u32, addr: IpAddr, prefix_len: u8) -> bool {
    let Some(dev) = host.devices.iter_mut().find(|d| d.ifindex == ifindex) else {
        return false;
    };
    dev.addrs.push((addr, prefix_len));
    let route = |table, kind, dst, len, metric| Route {
        table,
        kind,
        dst,
        prefix_len: len,
        ifindex,
        gateway: None,
        metric,
        prefsrc: Some(addr),
        mtu: 0,
    };
    let v6 = addr.is_ipv6();
    let net = network(addr, prefix_len);
    let mut connected = route(TABLE_MAIN, RouteKind::Unicast, net, prefix_len, 0);
    if v6 {
        connected.metric = 256;
        connected.prefsrc = None;
    }
    let full = if v6 { 128 } else { 32 };
    let mut local = route(TABLE_LOCAL, RouteKind::Local, addr, full, 0);
    if v6 {
        local.prefsrc = None;
    }
    host.routes.push(connected);
    host.routes.push(local);
    if let (IpAddr::V4(a), false) = (addr, v6) {
        if prefix_len < 31 {
            let mask = if prefix_len == 0 {
                0
            } else {
                u32::MAX << (32 - prefix_len)
            };
            let bcast = IpAddr::V4(Ipv4Addr::from(u32::from(a) | !mask));
            host.routes
                .push(route(TABLE_LOCAL, RouteKind::Broadcast, bcast, 32, 0));
        }
    }
    true
}

/// `addr` with the host bits cleared.
fn network(addr: IpAddr, len: u8) -> IpAddr {
    match addr {
        IpAddr::V4(a) => {
            let l = u32::from(len.min(32));
            let mask = if l == 0 { 0 } else { u32::MAX << (32 - l) };
            IpAddr::V4(Ipv4Addr::from(u32::from(a) & mask))
        }
        IpAddr::V6(a) => {
            let l = u32::from(len.min(128));
            let mask = if l == 0 { 0 } else { u128::MAX << (128 - l) };
            IpAddr::V6(Ipv6Addr::from(u128::from(a) & mask))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host() -> HostState {
        let mut h = HostState::default();
        h.devices[0].forwarding = true;
        h.devices.push(Device {
            ifindex: 2,
            name: "eth0".into(),
            mac: [2, 0, 0, 0, 0, 0x10],
            broadcast: [0xff; 6],
            mtu: 1500,
            rx_queues: 1,
            forwarding: true,
            addrs: Vec::new(),
        });
        assert!(add_address(&mut h, 2, "10.0.0.1".parse().unwrap(), 24));
        h.routes.push(Route {
            table: TABLE_MAIN,
            kind: RouteKind::Unicast,
            dst: "192.0.2.0".parse().unwrap(),
            prefix_len: 24,
            ifindex: 2,
            gateway: Some("10.0.0.254".parse().unwrap()),
            metric: 5,
            prefsrc: None,
            mtu: 0,
        });
        h.neighbours.push(Neighbour {
            ifindex: 2,
            addr: "10.0.0.254".parse().unwrap(),
            mac: [2, 0, 0, 0, 0, 0xfe],
        });
        h
    }

    fn params(dst: [u8; 4], ifindex: u32, tot_len: u16) -> Vec<u8> {
        let mut p = vec![0u8; 64];
        p[0] = AF_INET;
        p[6..8].copy_from_slice(&tot_len.to_ne_bytes());
        p[8..12].copy_from_slice(&ifindex.to_ne_bytes());
        p[32..36].copy_from_slice(&dst);
        p
    }

    #[test]
    fn gateway_route_with_neighbour() {
        let h = host();
        let mut p = params([192, 0, 2, 9], 1, 100);
        assert_eq!(lookup(&h, &mut p, 64, 0, Caller::Xdp), ret::SUCCESS);
        assert_eq!(&p[8..12], &2u32.to_ne_bytes());
        assert_eq!(&p[12..16], &5u32.to_ne_bytes());
        assert_eq!(&p[32..36], &[10, 0, 0, 254]);
        assert_eq!(&p[52..58], &[2, 0, 0, 0, 0, 0x10]);
        assert_eq!(&p[58..64], &[2, 0, 0, 0, 0, 0xfe]);
        assert_eq!(&p[6..8], &1500u16.to_ne_bytes());
    }

    #[test]
    fn failures() {
        let mut h = host();
        let mut p = params([192, 0, 2, 9], 1, 1600);
        assert_eq!(lookup(&h, &mut p, 64, 0, Caller::Xdp), ret::FRAG_NEEDED);
        let mut p = params([10, 0, 0, 7], 1, 0);
        assert_eq!(lookup(&h, &mut p, 64, 0, Caller::Xdp), ret::NO_NEIGH);
        let mut p = params([10, 0, 0, 1], 1, 0);
        assert_eq!(lookup(&h, &mut p, 64, 0, Caller::Xdp), ret::NOT_FWDED);
        let mut p = params([10, 0, 0, 1], 1, 0);
        assert_eq!(lookup(&h, &mut p, 64, DIRECT, Caller::Xdp), ret::NOT_FWDED);
        let mut p = params([10, 0, 0, 9], 9, 0);
        assert_eq!(lookup(&h, &mut p, 64, 0, Caller::Xdp), -ENODEV);
        assert_eq!(lookup(&h, &mut p, 64, 1 << 6, Caller::Xdp), -EINVAL);
        p[0] = 7;
        assert_eq!(lookup(&h, &mut p, 64, 0, Caller::Xdp), -EAFNOSUPPORT);
        let mut p = params([192, 0, 2, 9], 1, 0);
        assert_eq!(lookup(&h, &mut p, 64, OUTPUT, Caller::Xdp), ret::NOT_FWDED);
        h.devices[0].forwarding = false;
        let mut p = params([192, 0, 2, 9], 1, 0);
        assert_eq!(lookup(&h, &mut p, 64, 0, Caller::Xdp), ret::FWD_DISABLED);
    }

    #[test]
    fn skb_checks_its_length_against_the_output_mtu() {
        let h = host();
        let mut p = params([192, 0, 2, 9], 1, 0);
        let big = Caller::Skb {
            len: 1519,
            gso: false,
        };
        assert_eq!(lookup(&h, &mut p, 64, 0, big), ret::FRAG_NEEDED);
        let mut p = params([192, 0, 2, 9], 1, 0);
        let ok = Caller::Skb {
            len: 1518,
            gso: false,
        };
        assert_eq!(lookup(&h, &mut p, 64, 0, ok), ret::SUCCESS);
        assert_eq!(&p[6..8], &1500u16.to_ne_bytes());
    }
}

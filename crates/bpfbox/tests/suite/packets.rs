//! Generated packets for differential tests: well-formed IPv4 (TCP, UDP,
//! ICMP), IPv6, VLAN, ARP, and truncated frames of every interesting length.

fn eth(ethertype: u16, payload: &[u8]) -> Vec<u8> {
    let mut f = vec![2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1];
    f.extend_from_slice(&ethertype.to_be_bytes());
    f.extend_from_slice(payload);
    f
}

pub fn ipv4(proto: u8, l4: &[u8]) -> Vec<u8> {
    let len = (20 + l4.len()) as u16;
    let mut h = vec![0x45, 0];
    h.extend_from_slice(&len.to_be_bytes());
    h.extend_from_slice(&[0, 1, 0, 0, 64, proto, 0, 0, 10, 0, 0, 1, 192, 0, 2, 9]);
    let mut sum: u32 = h
        .chunks(2)
        .map(|c| u32::from(u16::from_be_bytes([c[0], c[1]])))
        .sum();
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    h[10..12].copy_from_slice(&(!(sum as u16)).to_be_bytes());
    h.extend_from_slice(l4);
    h
}

pub fn ipv6(next: u8, l4: &[u8]) -> Vec<u8> {
    let mut h = vec![0x60, 0, 0, 0];
    h.extend_from_slice(&(l4.len() as u16).to_be_bytes());
    h.extend_from_slice(&[next, 64]);
    h.extend_from_slice(&[0xfd; 16]);
    h.extend_from_slice(&[0xfe; 16]);
    h.extend_from_slice(l4);
    h
}

pub fn tcp() -> Vec<u8> {
    let mut t = vec![
        0x9c, 0x40, 0x01, 0xbb, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff, 0, 0, 0, 0,
    ];
    t.extend_from_slice(b"hello");
    t
}

pub fn udp(dport: u16) -> Vec<u8> {
    let mut u = vec![0x14, 0xe9];
    u.extend_from_slice(&dport.to_be_bytes());
    u.extend_from_slice(&[0, 20, 0, 0]);
    u.extend_from_slice(&[0x61; 12]);
    u
}

/// `(name, frame)` pairs.
pub fn all() -> Vec<(String, Vec<u8>)> {
    let v4 = eth(0x0800, &ipv4(6, &tcp()));
    let mut out = vec![
        ("ipv4-tcp".to_string(), v4.clone()),
        ("ipv4-udp-53".into(), eth(0x0800, &ipv4(17, &udp(53)))),
        (
            "ipv4-icmp".into(),
            eth(0x0800, &ipv4(1, &[8, 0, 0xf7, 0xff, 0, 0, 0, 0])),
        ),
        ("ipv6-tcp".into(), eth(0x86dd, &ipv6(6, &tcp()))),
        ("ipv6-udp".into(), eth(0x86dd, &ipv6(17, &udp(4242)))),
        ("vlan-ipv4".into(), {
            let mut f = vec![2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x81, 0, 0, 42, 0x08, 0];
            f.extend_from_slice(&ipv4(6, &tcp()));
            f
        }),
        (
            "arp".into(),
            eth(
                0x0806,
                &[
                    0, 1, 8, 0, 6, 4, 0, 1, 2, 0, 0, 0, 0, 1, 10, 0, 0, 1, 0, 0, 0, 0, 0, 0, 10, 0,
                    0, 2,
                ],
            ),
        ),
        ("big-ipv4".into(), eth(0x0800, &ipv4(17, &[0x55; 1400]))),
        // above one MTU but within the test run's one-page limit
        ("jumbo-ipv4".into(), eth(0x0800, &ipv4(17, &[0x66; 3000]))),
        // above the page: E2BIG (or XDP fragments for frags programs)
        (
            "oversize-ipv4".into(),
            eth(0x0800, &ipv4(17, &[0x77; 5000])),
        ),
    ];
    for len in [0, 10, 13, 14, 20, 33, 34, 40, 53, 54] {
        let mut t = v4.clone();
        t.resize(len, 0);
        out.push((format!("truncated-{len}"), t));
    }
    out
}

//! Link-layer headers of captures, converted to the Ethernet frame
//! `BPF_PROG_TEST_RUN` takes.
//!
//! Every packet runner of the kernel (`bpf_prog_test_run_skb`, `_xdp`,
//! `_flow_dissector`) takes `data_in` as an Ethernet frame: XDP and tc
//! programs see it whole, the L3 types (cgroup_skb, LWT, socket filters
//! read from the network header) see what follows its 14 bytes. So each
//! supported link type becomes an Ethernet frame whose ethertype is the
//! protocol the capture's own header names:
//!
//! | link type (number)  | ethertype from                                  |
//! |---------------------|-------------------------------------------------|
//! | ETHERNET (1)        | the frame itself, unchanged                     |
//! | LINUX_SLL (113)     | the header's protocol field                     |
//! | LINUX_SLL2 (276)    | the header's protocol field                     |
//! | RAW (101)           | the IP version nibble: 4 → 0x0800, 6 → 0x86dd   |
//! | IPV4 (228)          | 0x0800                                          |
//! | IPV6 (229)          | 0x86dd                                          |
//! | NULL (0), LOOP (108)| the 4-byte address family: 2 → IPv4, 10/24/28/30 → IPv6 (NULL: host byte order, either; LOOP: network order) |
//!
//! Synthesized MAC addresses: destination `02:00:00:00:00:02`
//! (`ff:ff:ff:ff:ff:ff` when a LINUX_SLL/SLL2 header says the packet was a
//! broadcast); source the SLL/SLL2 link-layer address when it is 6 bytes
//! long, else `02:00:00:00:00:01`. Both are locally administered unicast
//! addresses, so no real host's address is implied.
//!
//! Anything else is refused, never guessed: another link type, an SLL
//! protocol below 0x0600 (an 802.3 length or a Linux pseudo-protocol,
//! not an ethertype), a netlink SLL capture, a RAW packet that is not IP
//! version 4 or 6, an unknown NULL/LOOP family, a packet shorter than its
//! link header.

/// Destination MAC put in front of non-Ethernet captures.
pub const SYNTH_DST: [u8; 6] = [0x02, 0, 0, 0, 0, 0x02];
/// Source MAC put in front when the capture has none.
pub const SYNTH_SRC: [u8; 6] = [0x02, 0, 0, 0, 0, 0x01];

const ETH_P_IP: u16 = 0x0800;
const ETH_P_IPV6: u16 = 0x86dd;
/// `ARPHRD_NETLINK`: SLL captures of netlink messages.
const ARPHRD_NETLINK: u16 = 824;
/// `PACKET_BROADCAST`.
const PACKET_BROADCAST: u16 = 1;

/// A capture's link type that bpfbox converts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkType {
    /// `LINKTYPE_ETHERNET` (1).
    Ethernet,
    /// `LINKTYPE_LINUX_SLL` (113): Linux cooked capture v1.
    LinuxSll,
    /// `LINKTYPE_LINUX_SLL2` (276): Linux cooked capture v2 (`tcpdump -i any`).
    LinuxSll2,
    /// `LINKTYPE_RAW` (101): an IPv4 or IPv6 packet.
    Raw,
    /// `LINKTYPE_IPV4` (228).
    Ipv4,
    /// `LINKTYPE_IPV6` (229).
    Ipv6,
    /// `LINKTYPE_NULL` (0): BSD loopback, family in host byte order.
    Null,
    /// `LINKTYPE_LOOP` (108): OpenBSD loopback, family in network order.
    Loop,
}

impl LinkType {
    /// The link type numbered `code` in a capture header, or the error
    /// line naming it.
    pub fn from_code(code: u32) -> Result<LinkType, String> {
        Ok(match code {
            1 => LinkType::Ethernet,
            113 => LinkType::LinuxSll,
            276 => LinkType::LinuxSll2,
            101 => LinkType::Raw,
            228 => LinkType::Ipv4,
            229 => LinkType::Ipv6,
            0 => LinkType::Null,
            108 => LinkType::Loop,
            _ => {
                return Err(format!(
                    "link type {code}{} is not supported (bpfbox reads ETHERNET, LINUX_SLL, \
                     LINUX_SLL2, RAW, IPV4, IPV6, NULL and LOOP captures)",
                    known_name(code).map_or_else(String::new, |n| format!(" ({n})"))
                ))
            }
        })
    }

    /// The link type's number.
    pub fn code(self) -> u32 {
        match self {
            LinkType::Ethernet => 1,
            LinkType::LinuxSll => 113,
            LinkType::LinuxSll2 => 276,
            LinkType::Raw => 101,
            LinkType::Ipv4 => 228,
            LinkType::Ipv6 => 229,
            LinkType::Null => 0,
            LinkType::Loop => 108,
        }
    }

    /// The tcpdump name: `LINUX_SLL2`.
    pub fn name(self) -> &'static str {
        match self {
            LinkType::Ethernet => "ETHERNET",
            LinkType::LinuxSll => "LINUX_SLL",
            LinkType::LinuxSll2 => "LINUX_SLL2",
            LinkType::Raw => "RAW",
            LinkType::Ipv4 => "IPV4",
            LinkType::Ipv6 => "IPV6",
            LinkType::Null => "NULL",
            LinkType::Loop => "LOOP",
        }
    }

    /// The Ethernet frame a program sees for the captured bytes `data`.
    pub fn to_ethernet(self, data: &[u8]) -> Result<Vec<u8>, String> {
        let short = |need: usize| {
            format!(
                "{} packet of {} bytes is shorter than its {need}-byte link header",
                self.name(),
                data.len()
            )
        };
        let be16 = |o: usize| u16::from_be_bytes([data[o], data[o + 1]]);
        match self {
            LinkType::Ethernet => Ok(data.to_vec()),
            LinkType::Ipv4 => Ok(frame(SYNTH_DST, SYNTH_SRC, ETH_P_IP, data)),
            LinkType::Ipv6 => Ok(frame(SYNTH_DST, SYNTH_SRC, ETH_P_IPV6, data)),
            LinkType::Raw => {
                let proto = match data.first().map(|b| b >> 4) {
                    Some(4) => ETH_P_IP,
                    Some(6) => ETH_P_IPV6,
                    Some(v) => return Err(format!("RAW packet with IP version {v} (not 4 or 6)")),
                    None => return Err("RAW packet of 0 bytes".into()),
                };
                Ok(frame(SYNTH_DST, SYNTH_SRC, proto, data))
            }
            LinkType::Null | LinkType::Loop => {
                if data.len() < 4 {
                    return Err(short(4));
                }
                let b = [data[0], data[1], data[2], data[3]];
                let fams = if self == LinkType::Loop {
                    vec![u32::from_be_bytes(b)]
                } else {
                    vec![u32::from_le_bytes(b), u32::from_be_bytes(b)]
                };
                let proto = fams
                    .iter()
                    .find_map(|f| match f {
                        2 => Some(ETH_P_IP),
                        10 | 24 | 28 | 30 => Some(ETH_P_IPV6),
                        _ => None,
                    })
                    .ok_or_else(|| {
                        format!(
                            "{} packet with address family {} (not IPv4 or IPv6)",
                            self.name(),
                            fams[0]
                        )
                    })?;
                Ok(frame(SYNTH_DST, SYNTH_SRC, proto, &data[4..]))
            }
            LinkType::LinuxSll => {
                if data.len() < 16 {
                    return Err(short(16));
                }
                let addr = sll_src(be16(4) as usize, &data[6..14]);
                let dst = sll_dst(be16(0));
                let proto = sll_proto(self, be16(2), be16(14))?;
                Ok(frame(dst, addr, proto, &data[16..]))
            }
            LinkType::LinuxSll2 => {
                if data.len() < 20 {
                    return Err(short(20));
                }
                let addr = sll_src(data[11] as usize, &data[12..20]);
                let dst = sll_dst(u16::from(data[10]));
                let proto = sll_proto(self, be16(8), be16(0))?;
                Ok(frame(dst, addr, proto, &data[20..]))
            }
        }
    }
}

fn sll_src(len: usize, addr: &[u8]) -> [u8; 6] {
    if len == 6 {
        let mut m = [0; 6];
        m.copy_from_slice(&addr[..6]);
        m
    } else {
        SYNTH_SRC
    }
}

fn sll_dst(packet_type: u16) -> [u8; 6] {
    if packet_type == PACKET_BROADCAST {
        [0xff; 6]
    } else {
        SYNTH_DST
    }
}

fn sll_proto(link: LinkType, arphrd: u16, proto: u16) -> Result<u16, String> {
    if arphrd == ARPHRD_NETLINK {
        return Err(format!(
            "{} packet of a netlink socket (ARPHRD_NETLINK), not a network packet",
            link.name()
        ));
    }
    if proto < 0x0600 {
        return Err(format!(
            "{} protocol {proto:#06x} is not an ethertype (an 802.3 length or Linux pseudo-protocol)",
            link.name()
        ));
    }
    Ok(proto)
}

fn frame(dst: [u8; 6], src: [u8; 6], proto: u16, payload: &[u8]) -> Vec<u8> {
    let mut f = Vec::with_capacity(14 + payload.len());
    f.extend_from_slice(&dst);
    f.extend_from_slice(&src);
    f.extend_from_slice(&proto.to_be_bytes());
    f.extend_from_slice(payload);
    f
}

/// Names of common link types bpfbox refuses, for the error line.
fn known_name(code: u32) -> Option<&'static str> {
    Some(match code {
        6 => "IEEE802_5",
        9 => "PPP",
        50 => "PPP_HDLC",
        104 => "C_HDLC",
        105 => "IEEE802_11",
        119 => "PRISM_HEADER",
        127 => "IEEE802_11_RADIOTAP",
        147..=162 => "USER",
        187 => "BLUETOOTH_HCI_H4",
        192 => "PPI",
        220 => "USB_LINUX_MMAPPED",
        253 => "NETLINK",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const IP4: [u8; 4] = [0x45, 0, 0, 20];
    const IP6: [u8; 4] = [0x60, 0, 0, 0];

    fn eth(proto: u16, payload: &[u8]) -> Vec<u8> {
        frame(SYNTH_DST, SYNTH_SRC, proto, payload)
    }

    #[test]
    fn l3_link_types_get_the_ethertype_of_their_header() {
        assert_eq!(LinkType::Ipv4.to_ethernet(&IP4).unwrap(), eth(0x0800, &IP4));
        assert_eq!(LinkType::Ipv6.to_ethernet(&IP6).unwrap(), eth(0x86dd, &IP6));
        assert_eq!(LinkType::Raw.to_ethernet(&IP4).unwrap(), eth(0x0800, &IP4));
        assert_eq!(LinkType::Raw.to_ethernet(&IP6).unwrap(), eth(0x86dd, &IP6));
        let e = LinkType::Raw.to_ethernet(&[0x55, 0]).unwrap_err();
        assert!(e.contains("IP version 5"), "{e}");
    }

    #[test]
    fn null_and_loop_read_the_family_in_their_byte_order() {
        let le = [2, 0, 0, 0, 0x45];
        let be = [0, 0, 0, 2, 0x45];
        assert_eq!(
            LinkType::Null.to_ethernet(&le).unwrap(),
            eth(0x0800, &[0x45])
        );
        assert_eq!(
            LinkType::Null.to_ethernet(&be).unwrap(),
            eth(0x0800, &[0x45])
        );
        assert_eq!(
            LinkType::Loop.to_ethernet(&be).unwrap(),
            eth(0x0800, &[0x45])
        );
        assert!(LinkType::Loop.to_ethernet(&le).is_err());
        for fam in [24u32, 28, 30] {
            let mut p = fam.to_le_bytes().to_vec();
            p.push(0x60);
            assert_eq!(
                LinkType::Null.to_ethernet(&p).unwrap(),
                eth(0x86dd, &[0x60])
            );
        }
        let e = LinkType::Null.to_ethernet(&[7, 0, 0, 0]).unwrap_err();
        assert!(e.contains("NULL") && e.contains("family 7"), "{e}");
        assert!(LinkType::Null
            .to_ethernet(&[2, 0])
            .unwrap_err()
            .contains("shorter"));
    }

    #[test]
    fn sll_headers_give_protocol_and_source_address() {
        let mac = [0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff];
        let mut v1 = vec![0, 0, 0, 1, 0, 6];
        v1.extend_from_slice(&mac);
        v1.extend_from_slice(&[0, 0, 0x08, 0x00]);
        v1.extend_from_slice(&IP4);
        let want = frame(SYNTH_DST, mac, 0x0800, &IP4);
        assert_eq!(LinkType::LinuxSll.to_ethernet(&v1).unwrap(), want);
        let mut v2 = vec![0x08, 0x00, 0, 0, 0, 0, 0, 3, 0, 1, 0, 6];
        v2.extend_from_slice(&mac);
        v2.extend_from_slice(&[0, 0]);
        v2.extend_from_slice(&IP4);
        assert_eq!(LinkType::LinuxSll2.to_ethernet(&v2).unwrap(), want);
        // broadcast packet type
        v2[10] = 1;
        assert_eq!(
            LinkType::LinuxSll2.to_ethernet(&v2).unwrap(),
            frame([0xff; 6], mac, 0x0800, &IP4)
        );
        // 802.2 LLC pseudo-protocol: refused
        v1[14..16].copy_from_slice(&[0, 4]);
        let e = LinkType::LinuxSll.to_ethernet(&v1).unwrap_err();
        assert!(e.contains("LINUX_SLL protocol 0x0004"), "{e}");
        // netlink
        v1[2..4].copy_from_slice(&824u16.to_be_bytes());
        assert!(LinkType::LinuxSll
            .to_ethernet(&v1)
            .unwrap_err()
            .contains("netlink"));
    }

    #[test]
    fn other_link_types_are_named_and_refused() {
        let e = LinkType::from_code(127).unwrap_err();
        assert!(
            e.contains("127 (IEEE802_11_RADIOTAP) is not supported"),
            "{e}"
        );
        for code in [0, 1, 101, 108, 113, 228, 229, 276] {
            assert_eq!(LinkType::from_code(code).unwrap().code(), code);
        }
    }
}

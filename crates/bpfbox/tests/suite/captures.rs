//! Captures of every link type bpfbox reads, written here with pcap-file:
//! the same packets must get the same verdicts as their Ethernet capture,
//! on bpfbox and in the kernel (`bpfbox diff`), for XDP, tc and an L3 type
//! (cgroup_skb); other link types are refused with one line.

use super::packets::{ipv4, ipv6, tcp, udp};
use super::{kernel_usable, root};
use pcap_file::pcap::{PcapHeader, PcapPacket, PcapWriter};
use pcap_file::pcapng::blocks::enhanced_packet::EnhancedPacketBlock;
use pcap_file::pcapng::blocks::interface_description::InterfaceDescriptionBlock;
use pcap_file::pcapng::PcapNgWriter;
use pcap_file::DataLink;
use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

const OBJ: &str = "tests/progs/capture/udp_port.o";

/// The IP packets: UDP to 53 (dropped), UDP to 80, TCP, over v4 and v6.
fn ip_packets() -> Vec<Vec<u8>> {
    vec![
        ipv4(17, &udp(53)),
        ipv4(17, &udp(80)),
        ipv4(6, &tcp()),
        ipv6(17, &udp(53)),
        ipv6(17, &udp(80)),
        ipv6(6, &tcp()),
    ]
}

/// Whether each of [`ip_packets`] is dropped.
const DROPPED: [bool; 6] = [true, false, false, true, false, false];

fn ethertype(ip: &[u8]) -> u16 {
    if ip[0] >> 4 == 4 {
        0x0800
    } else {
        0x86dd
    }
}

/// `ip` framed for `link`.
fn framed(link: u32, ip: &[u8]) -> Vec<u8> {
    let proto = ethertype(ip).to_be_bytes();
    let mac = [0x52, 0x54, 0, 0x12, 0x34, 0x56];
    let mut f = match link {
        1 => {
            let mut f = vec![2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1];
            f.extend_from_slice(&proto);
            f
        }
        113 => {
            let mut f = vec![0, 0, 0, 1, 0, 6];
            f.extend_from_slice(&mac);
            f.extend_from_slice(&[0, 0]);
            f.extend_from_slice(&proto);
            f
        }
        276 => {
            let mut f = proto.to_vec();
            f.extend_from_slice(&[0, 0, 0, 0, 0, 2, 0, 1, 0, 6]);
            f.extend_from_slice(&mac);
            f.extend_from_slice(&[0, 0]);
            f
        }
        101 | 228 | 229 => Vec::new(),
        // NULL: host byte order (little-endian here); LOOP: network order
        0 => (if proto[0] == 8 { 2u32 } else { 30 })
            .to_le_bytes()
            .to_vec(),
        108 => (if proto[0] == 8 { 2u32 } else { 24 })
            .to_be_bytes()
            .to_vec(),
        _ => unreachable!("link {link}"),
    };
    f.extend_from_slice(ip);
    f
}

fn dir() -> PathBuf {
    let d = std::env::temp_dir().join(format!("bpfbox-captures-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// A classic pcap of `link` holding `packets` (already framed).
fn write_pcap(name: &str, link: u32, packets: &[Vec<u8>]) -> PathBuf {
    let p = dir().join(name);
    let header = PcapHeader {
        datalink: DataLink::from(link),
        ..Default::default()
    };
    let mut w = PcapWriter::with_header(std::fs::File::create(&p).unwrap(), header).unwrap();
    for (i, d) in packets.iter().enumerate() {
        w.write_packet(&PcapPacket {
            timestamp: Duration::from_secs(i as u64),
            orig_len: d.len() as u32,
            data: Cow::Borrowed(d),
        })
        .unwrap();
    }
    p
}

/// A pcapng with one interface per link type; packet `i` goes to
/// interface `i % links.len()`, framed for its link type.
fn write_pcapng(name: &str, links: &[u32], ips: &[Vec<u8>]) -> PathBuf {
    let p = dir().join(name);
    let mut w = PcapNgWriter::new(std::fs::File::create(&p).unwrap()).unwrap();
    for &l in links {
        w.write_pcapng_block(InterfaceDescriptionBlock::new(DataLink::from(l), 0xffff))
            .unwrap();
    }
    for (i, ip) in ips.iter().enumerate() {
        let iface = i % links.len();
        let data = framed(links[iface], ip);
        w.write_pcapng_block(EnhancedPacketBlock {
            interface_id: iface as u32,
            timestamp: Duration::from_secs(i as u64),
            original_len: data.len() as u32,
            data: Cow::Owned(data),
            options: vec![],
        })
        .unwrap();
    }
    p
}

fn bpfbox(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bpfbox"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("run bpfbox")
}

/// Per-packet verdict names of `cmd` (`run` or `diff`) on a capture, from
/// the JSON Lines of --per-packet; for `diff`, every packet must be
/// identical on both engines and so must the maps.
fn verdicts(cmd: &str, prog: &str, capture: &Path) -> Vec<String> {
    let o = bpfbox(&[
        cmd,
        OBJ,
        "--prog",
        prog,
        "--pcap",
        capture.to_str().unwrap(),
        "--per-packet",
        "--map-changes",
        "--json",
    ]);
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(
        o.status.success(),
        "{cmd} {prog} {}: {out}{}",
        capture.display(),
        String::from_utf8_lossy(&o.stderr)
    );
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let (summary, per) = lines.split_last().unwrap();
    assert_eq!(summary["packets"], per.len(), "{out}");
    per.iter()
        .enumerate()
        .map(|(i, l)| {
            assert_eq!(l["packet"], i + 1);
            if cmd == "diff" {
                assert_eq!(l["identical"], true, "{l}");
                l["interp"]["verdict"].as_str().unwrap().to_string()
            } else {
                l["verdict"].as_str().unwrap().to_string()
            }
        })
        .collect()
}

const PROGS: [(&str, &str, &str); 3] = [
    ("xdp_udp53", "XDP_DROP", "XDP_PASS"),
    ("tc_udp53", "TC_ACT_SHOT", "TC_ACT_OK"),
    ("cg_udp53", "drop", "allow"),
];

fn expected(drop: &str, pass: &str) -> Vec<String> {
    DROPPED
        .iter()
        .map(|&d| if d { drop } else { pass }.to_string())
        .collect()
}

pub(crate) fn every_link_type_gets_the_verdicts_of_its_ethernet_capture() {
    let ips = ip_packets();
    let kernel = kernel_usable("every_link_type_gets_the_verdicts_of_its_ethernet_capture");
    let cmd = if kernel { "diff" } else { "run" };
    for link in [1u32, 113, 276, 101, 228, 229, 0, 108] {
        let packets: Vec<Vec<u8>> = match link {
            // IPV4 and IPV6 captures hold only their own version
            228 => ips.iter().filter(|p| p[0] >> 4 == 4).cloned().collect(),
            229 => ips.iter().filter(|p| p[0] >> 4 == 6).cloned().collect(),
            _ => ips.clone(),
        };
        let framed: Vec<_> = packets.iter().map(|p| framed(link, p)).collect();
        let cap = write_pcap(&format!("link{link}.pcap"), link, &framed);
        for (prog, drop, pass) in PROGS {
            let want: Vec<String> = ips
                .iter()
                .zip(expected(drop, pass))
                .filter(|(p, _)| packets.contains(p))
                .map(|(_, v)| v)
                .collect();
            assert_eq!(
                verdicts(cmd, prog, &cap),
                want,
                "{prog} on link type {link}"
            );
        }
    }
}

pub(crate) fn pcapng_interfaces_each_have_their_link_type() {
    let kernel = kernel_usable("pcapng_interfaces_each_have_their_link_type");
    let cmd = if kernel { "diff" } else { "run" };
    let cap = write_pcapng("multi.pcapng", &[276, 101, 1], &ip_packets());
    for (prog, drop, pass) in PROGS {
        assert_eq!(verdicts(cmd, prog, &cap), expected(drop, pass), "{prog}");
    }
}

pub(crate) fn run_converts_link_headers_to_the_documented_frame() {
    // the SLL2 packet of UDP to 53: read back as the documented frame
    // (the SLL address as source MAC), and dropped by tc, so --pcap-out
    // gets nothing
    let ip = ipv4(17, &udp(53));
    let cap = write_pcap("sll2-one.pcap", 276, &[framed(276, &ip)]);
    let out = dir().join("sll2-out.pcap");
    let o = bpfbox(&[
        "run",
        OBJ,
        "--prog",
        "tc_udp53",
        "--pcap",
        cap.to_str().unwrap(),
        "--pcap-out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // dropped: nothing written
    assert!(bpfbox::pcap::read(&out).unwrap().is_empty());
    let p = bpfbox::pcap::read(&cap).unwrap();
    let mut want = vec![2, 0, 0, 0, 0, 2, 0x52, 0x54, 0, 0x12, 0x34, 0x56, 8, 0];
    want.extend_from_slice(&ip);
    assert_eq!(p[0].data, want);
}

pub(crate) fn unsupported_link_types_are_refused_in_one_line() {
    let cap = write_pcap("radiotap.pcap", 127, &[vec![0; 40]]);
    let o = bpfbox(&[
        "run",
        OBJ,
        "--prog",
        "xdp_udp53",
        "--pcap",
        cap.to_str().unwrap(),
    ]);
    let e = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{e}");
    assert_eq!(e.lines().count(), 1, "{e}");
    assert!(
        e.contains("radiotap.pcap")
            && e.contains("link type 127 (IEEE802_11_RADIOTAP) is not supported"),
        "{e}"
    );
    // in a pcapng, the packet and its interface are named: an interface
    // of PPP (9)
    let ng2 = dir().join("ng-ppp.pcapng");
    let mut w = PcapNgWriter::new(std::fs::File::create(&ng2).unwrap()).unwrap();
    w.write_pcapng_block(InterfaceDescriptionBlock::new(DataLink::from(9), 0xffff))
        .unwrap();
    w.write_pcapng_block(EnhancedPacketBlock {
        interface_id: 0,
        timestamp: Duration::ZERO,
        original_len: 4,
        data: Cow::Owned(vec![0xff, 3, 0, 0x21]),
        options: vec![],
    })
    .unwrap();
    drop(w);
    let o = bpfbox(&[
        "run",
        OBJ,
        "--prog",
        "xdp_udp53",
        "--pcap",
        ng2.to_str().unwrap(),
    ]);
    let e = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{e}");
    assert!(
        e.contains("ng-ppp.pcapng: packet 1 (interface 0): link type 9 (PPP)"),
        "{e}"
    );
    // a packet the link header cannot describe: SLL with 802.2 LLC
    let mut llc = framed(113, &ipv4(17, &udp(80)));
    llc[14..16].copy_from_slice(&[0, 4]);
    let cap = write_pcap("llc.pcap", 113, &[framed(113, &ipv4(17, &udp(80))), llc]);
    let o = bpfbox(&[
        "run",
        OBJ,
        "--prog",
        "xdp_udp53",
        "--pcap",
        cap.to_str().unwrap(),
    ]);
    let e = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{e}");
    assert!(
        e.contains("llc.pcap: packet 2: LINUX_SLL protocol 0x0004 is not an ethertype"),
        "{e}"
    );
}

pub(crate) fn per_packet_text_gives_each_packet_and_its_map_changes() {
    let ips = ip_packets();
    let framed: Vec<_> = ips.iter().map(|p| framed(1, p)).collect();
    let cap = write_pcap("per-packet.pcap", 1, &framed);
    let o = bpfbox(&[
        "run",
        OBJ,
        "--prog",
        "xdp_udp53",
        "--pcap",
        cap.to_str().unwrap(),
        "--per-packet",
        "--map-changes",
    ]);
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(
        o.status.success(),
        "{out}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let lines: Vec<_> = out.lines().collect();
    // packet 1: UDP to 53, dropped; `seen[1]` goes 0 -> 1
    let len = framed[0].len();
    assert_eq!(
        lines[0],
        format!("packet 1: 1 (XDP_DROP), {len} -> {len} bytes")
    );
    assert_eq!(
        lines[1],
        "  map seen[01000000]: 0000000000000000 -> 0100000000000000"
    );
    let len = framed[1].len();
    assert_eq!(
        lines[2],
        format!("packet 2: 2 (XDP_PASS), {len} -> {len} bytes")
    );
    assert_eq!(
        lines[3],
        "  map seen[00000000]: 0000000000000000 -> 0100000000000000"
    );
    assert_eq!(out.matches("packet ").count(), ips.len(), "{out}");
    assert!(out.contains(&format!(
        "program: xdp_udp53 (xdp) (interp engine), {} packets",
        ips.len()
    )));
    // --per-packet needs a capture; --map-changes needs --per-packet
    let o = bpfbox(&[
        "run",
        OBJ,
        "--prog",
        "xdp_udp53",
        "--data-in",
        "/dev/null",
        "--per-packet",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(
        e.contains("--per-packet lists the packets of a capture"),
        "{e}"
    );
    let o = bpfbox(&[
        "run",
        OBJ,
        "--prog",
        "xdp_udp53",
        "--pcap",
        cap.to_str().unwrap(),
        "--map-changes",
    ]);
    assert_eq!(o.status.code(), Some(2));
}

#!/usr/bin/env python3
"""Writes examples/mixed.pcap: a deterministic mix of packets for bpfbox's
README example (IPv4 TCP/UDP/ICMP, DNS from inside and outside 10/8, IPv6,
ARP, VLAN, and truncated frames). Standard library only."""
import struct, sys

def csum(b):
    if len(b) % 2: b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while s >> 16: s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff

def eth(t, payload, vlan=None):
    h = bytes.fromhex('020000000002') + bytes.fromhex('020000000001')
    if vlan is not None:
        h += struct.pack('!HH', 0x8100, vlan)
    return h + struct.pack('!H', t) + payload

def ipv4(proto, src, dst, payload, ttl=64):
    h = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(payload), 1, 0, ttl, proto, 0,
                    bytes(src), bytes(dst))
    h = h[:10] + struct.pack('!H', csum(h)) + h[12:]
    return h + payload

def ipv6(nh, payload, hop=64):
    src = bytes.fromhex('fd000000000000000000000000000001')
    dst = bytes.fromhex('fd000000000000000000000000000002')
    return struct.pack('!IHBB', 6 << 28, len(payload), nh, hop) + src + dst + payload

def udp(sport, dport, data):
    return struct.pack('!HHHH', sport, dport, 8 + len(data), 0) + data

def tcp(sport, dport):
    return struct.pack('!HHIIBBHHH', sport, dport, 1, 0, 5 << 4, 0x02, 65535, 0, 0)

def icmp():
    h = struct.pack('!BBHHH', 8, 0, 0, 1, 1) + b'ping'
    return h[:2] + struct.pack('!H', csum(h)) + h[4:]

out, inside = [10, 0, 0, 7], [10, 0, 0, 1]
ext = [192, 0, 2, 9]
pkts = []
for i in range(6):
    pkts.append(eth(0x0800, ipv4(6, inside, ext, tcp(40000 + i, 443))))
for i in range(4):
    pkts.append(eth(0x0800, ipv4(17, out, inside, udp(5353, 53, b'q' * (12 + i)))))
for i in range(3):
    pkts.append(eth(0x0800, ipv4(17, ext, inside, udp(5353, 53, b'q' * 12))))
for i in range(3):
    pkts.append(eth(0x0800, ipv4(1, ext, inside, icmp())))
for hop in (64, 1, 1, 64):
    pkts.append(eth(0x86dd, ipv6(6, tcp(1234, 80), hop)))
arp = struct.pack('!HHBBH6s4s6s4s', 1, 0x0800, 6, 4, 1, bytes(6), bytes(inside), bytes(6), bytes(ext))
pkts.append(eth(0x0806, arp))
pkts.append(eth(0x0800, ipv4(6, inside, ext, tcp(1, 2)), vlan=42))
pkts.append(eth(0x0800, ipv4(17, ext, inside, udp(1, 53, b'x')))[:30])  # truncated IPv4
pkts.append(eth(0x86dd, ipv6(6, tcp(1234, 80)))[:40])                   # truncated IPv6

path = sys.argv[1] if len(sys.argv) > 1 else 'mixed.pcap'
with open(path, 'wb') as f:
    f.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    for n, p in enumerate(pkts):
        f.write(struct.pack('<IIII', 1700000000 + n, 0, len(p), len(p)) + p)
print(f'{path}: {len(pkts)} packets')

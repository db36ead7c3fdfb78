#!/usr/bin/env python3
"""Writes the example packets: Ethernet + IPv4 + TCP/UDP, raw bytes."""
import struct


def csum(b):
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s & 0xFFFF) + (s >> 16)
    s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def packet(dst, proto, dport):
    l4 = struct.pack("!HH", 40000, dport) + bytes(16 if proto == 6 else 4)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), 1, 0, 64, proto, 0,
                     bytes([192, 0, 2, 7]), bytes(dst))
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    eth = bytes([2, 0, 0, 0, 0, 1]) + bytes([2, 0, 0, 0, 0, 0x99]) + b"\x08\x00"
    return eth + ip + l4


for name, dst, proto, port in [
    ("vip_tcp80.bin", [10, 200, 1, 1], 6, 80),
    ("vip_udp53.bin", [10, 200, 1, 1], 17, 53),
    ("other.bin", [10, 200, 1, 2], 6, 80),
]:
    with open(name, "wb") as f:
        f.write(packet(dst, proto, port))

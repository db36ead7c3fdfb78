//! `struct __sk_buff` (192 bytes, 6.18 BTF; spec §2.1) and the layered
//! access tables of the skb program types.
//!
//! Layers (each names its base and lists only its differences):
//!
//! * [`SKB_BASE`] — `bpf_skb_is_valid_access` as SOCKET_FILTER sees it:
//!   generic metadata read-only with narrow loads, `cb[]` read/write, `sk`.
//! * [`SKB_DATA`] — adds the direct packet pointers `data`/`data_end`.
//! * [`SKB_TUPLE`] — adds the socket tuple (`family`..`local_port`).
//! * tc, cgroup_skb, sk_skb and lwt tables live in their type modules and
//!   refine these.

use super::{Access, AccessTable, CtxField, CtxLayout, FieldRule, RegKind, Widths};

/// The uapi layout.
pub static SK_BUFF: CtxLayout = CtxLayout {
    struct_name: "struct __sk_buff",
    size: 192,
    doc: "user-visible mirror of the kernel's struct sk_buff; every access is rewritten by \
          the verifier into a load/store of the real skb (bpf_convert_ctx_access)",
    fields: &[
        CtxField::new(
            "len",
            0,
            4,
            "bytes from the program's packet start to the end, incl. non-linear data",
        ),
        CtxField::new(
            "pkt_type",
            4,
            4,
            "PACKET_* (3 = PACKET_OTHERHOST for a foreign MAC)",
        ),
        CtxField::new("mark", 8, 4, "skb->mark"),
        CtxField::new("queue_mapping", 12, 4, "TX queue"),
        CtxField::new(
            "protocol",
            16,
            4,
            "ethertype in network byte order (IPv4 reads 0x0008 on LE)",
        ),
        CtxField::new(
            "vlan_present",
            20,
            4,
            "1 if a VLAN tag is in the skb metadata",
        ),
        CtxField::new("vlan_tci", 24, 4, "VLAN TCI"),
        CtxField::new("vlan_proto", 28, 4, "VLAN protocol (network order)"),
        CtxField::new("priority", 32, 4, "skb->priority"),
        CtxField::new("ingress_ifindex", 36, 4, "device the packet arrived on"),
        CtxField::new("ifindex", 40, 4, "current device"),
        CtxField::new("tc_index", 44, 4, "traffic control index"),
        CtxField::array(
            "cb",
            48,
            4,
            5,
            "20 bytes of scratch space shared by programs (qdisc cb)",
        ),
        CtxField::new("hash", 68, 4, "flow hash"),
        CtxField::new("tc_classid", 72, 4, "classid for cls_bpf"),
        CtxField::new("data", 76, 4, "start of packet data (packet pointer)"),
        CtxField::new(
            "data_end",
            80,
            4,
            "end of linear packet data (packet pointer)",
        ),
        CtxField::new("napi_id", 84, 4, "NAPI id of the receive queue"),
        CtxField::new("family", 88, 4, "socket address family"),
        CtxField::new("remote_ip4", 92, 4, "network order"),
        CtxField::new("local_ip4", 96, 4, "network order"),
        CtxField::array("remote_ip6", 100, 4, 4, "network order"),
        CtxField::array("local_ip6", 116, 4, 4, "network order"),
        CtxField::new(
            "remote_port",
            132,
            4,
            "16-bit big-endian port so the u32 is in network order (ntohl() = port)",
        ),
        CtxField::new("local_port", 136, 4, "host byte order"),
        CtxField::new(
            "data_meta",
            140,
            4,
            "start of metadata before data (packet pointer)",
        ),
        CtxField::new(
            "flow_keys",
            144,
            8,
            "struct bpf_flow_keys * (flow dissector only)",
        ),
        CtxField::new("tstamp", 152, 8, "skb->tstamp (ns)"),
        CtxField::new("wire_len", 160, 4, "length on the wire"),
        CtxField::new("gso_segs", 164, 4, "GSO segment count"),
        CtxField::new("sk", 168, 8, "struct bpf_sock * (may be NULL)"),
        CtxField::new("gso_size", 176, 4, "GSO segment size"),
        CtxField::new(
            "tstamp_type",
            180,
            1,
            "BPF_SKB_TSTAMP_* (u8, 3 bytes padding follow)",
        ),
        CtxField::new("hwtstamp", 184, 8, "hardware timestamp (ns)"),
    ],
};

/// Narrow-readable u32 (`R124+n`).
pub(crate) const RN: Access = Access::anywhere(Widths::B124);
/// Exact 4-byte access (`R4` / `W4`).
pub(crate) const X4: Access = Access::at_start(Widths::B4);
/// Exact 8-byte access.
pub(crate) const X8: Access = Access::at_start(Widths::B8);
/// Any width anywhere (cb[] and similar scratch areas).
pub(crate) const ANY: Access = Access::anywhere(Widths::B1248);

/// `bpf_skb_is_valid_access` defaults, i.e. SOCKET_FILTER's view
/// (`sk_filter_is_valid_access`): metadata readable, `cb[]` writable.
pub static SKB_BASE: AccessTable = AccessTable {
    base: None,
    rules: &[
        FieldRule::ro(0, 4, RN),                                // len
        FieldRule::ro(4, 4, RN),                                // pkt_type
        FieldRule::ro(8, 4, RN),                                // mark
        FieldRule::ro(12, 4, RN),                               // queue_mapping
        FieldRule::ro(16, 4, RN),                               // protocol
        FieldRule::ro(20, 4, RN),                               // vlan_present
        FieldRule::ro(24, 4, RN),                               // vlan_tci
        FieldRule::ro(28, 4, RN),                               // vlan_proto
        FieldRule::ro(32, 4, RN),                               // priority
        FieldRule::ro(36, 4, RN),                               // ingress_ifindex
        FieldRule::ro(40, 4, RN),                               // ifindex
        FieldRule::ro(44, 4, RN),                               // tc_index
        FieldRule::rw(48, 20, ANY, ANY),                        // cb[0..5]; 8-byte at cb[0], cb[2]
        FieldRule::ro(68, 4, RN),                               // hash
        FieldRule::ro(84, 4, RN),                               // napi_id
        FieldRule::ro(164, 4, RN),                              // gso_segs
        FieldRule::ptr(168, 8, RegKind::PtrToSockCommonOrNull), // sk
        FieldRule::ro(176, 4, RN),                              // gso_size
    ],
};

/// Adds the direct packet pointers (every skb type except SOCKET_FILTER).
pub static SKB_DATA: AccessTable = AccessTable {
    base: Some(&SKB_BASE),
    rules: &[
        FieldRule::ptr(76, 4, RegKind::PtrToPacket),
        FieldRule::ptr(80, 4, RegKind::PtrToPacketEnd),
    ],
};

/// Adds the socket tuple (CGROUP_SKB and SK_SKB: the skb has a full socket).
pub static SKB_TUPLE: AccessTable = AccessTable {
    base: Some(&SKB_DATA),
    rules: &[
        FieldRule::ro(88, 4, RN),                             // family
        FieldRule::ro(92, 4, X4),                             // remote_ip4
        FieldRule::ro(96, 4, X4),                             // local_ip4
        FieldRule::ro(100, 16, Access::anywhere(Widths::B4)), // remote_ip6[4]
        FieldRule::ro(116, 16, Access::anywhere(Widths::B4)), // local_ip6[4]
        FieldRule::ro(132, 4, RN),                            // remote_port
        FieldRule::ro(136, 4, RN),                            // local_port
    ],
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ctx::check_table_access;

    #[test]
    fn layout_facts() {
        assert_eq!(SK_BUFF.size, 192);
        assert_eq!(SK_BUFF.field("data").unwrap().offset, 76);
        assert_eq!(SK_BUFF.field("data_end").unwrap().offset, 80);
        assert_eq!(SK_BUFF.field("data_meta").unwrap().offset, 140);
        assert_eq!(SK_BUFF.field("hwtstamp").unwrap().offset, 184);
        assert!(SK_BUFF.field_at(181).is_none(), "padding after tstamp_type");
    }

    #[test]
    fn base_layers() {
        // cb 8-byte at cb[0] and cb[2], not at cb[4] (would cross the end)
        assert!(check_table_access(&SK_BUFF, &SKB_BASE, None, 48, 8, true).is_ok());
        assert!(check_table_access(&SK_BUFF, &SKB_BASE, None, 56, 8, false).is_ok());
        assert!(check_table_access(&SK_BUFF, &SKB_BASE, None, 64, 8, false).is_err());
        assert!(check_table_access(&SK_BUFF, &SKB_BASE, None, 76, 4, false).is_err());
        let d = check_table_access(&SK_BUFF, &SKB_DATA, None, 76, 4, false).unwrap();
        assert_eq!(d.result, RegKind::PtrToPacket);
        assert!(check_table_access(&SK_BUFF, &SKB_DATA, None, 88, 4, false).is_err());
        assert!(check_table_access(&SK_BUFF, &SKB_TUPLE, None, 104, 4, false).is_ok());
        assert!(check_table_access(&SK_BUFF, &SKB_TUPLE, None, 104, 2, false).is_err());
    }
}

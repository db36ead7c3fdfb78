//! `struct bpf_sock` (80 bytes, spec §2.2): CGROUP_SOCK's context and the
//! target of every `sk` pointer field.

use super::{CtxField, CtxLayout};

/// The uapi layout.
pub static BPF_SOCK: CtxLayout = CtxLayout {
    struct_name: "struct bpf_sock",
    size: 80,
    doc: "user-visible view of a struct sock",
    fields: &[
        CtxField::new("bound_dev_if", 0, 4, "SO_BINDTODEVICE ifindex"),
        CtxField::new("family", 4, 4, "AF_*"),
        CtxField::new("type", 8, 4, "SOCK_*"),
        CtxField::new("protocol", 12, 4, "IPPROTO_*"),
        CtxField::new("mark", 16, 4, "SO_MARK"),
        CtxField::new("priority", 20, 4, "SO_PRIORITY"),
        CtxField::new("src_ip4", 24, 4, "network order"),
        CtxField::array("src_ip6", 28, 4, 4, "network order"),
        CtxField::new("src_port", 44, 4, "host order"),
        CtxField::new("dst_port", 48, 2, "__be16, followed by 2 bytes of padding"),
        CtxField::new("dst_ip4", 52, 4, "network order"),
        CtxField::array("dst_ip6", 56, 4, 4, "network order"),
        CtxField::new("state", 72, 4, "TCP state (BPF_TCP_*)"),
        CtxField::new("rx_queue_mapping", 76, 4, "s32, -1 if unset"),
    ],
};

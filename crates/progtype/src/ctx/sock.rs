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

use super::skb::{RN, X4};
use super::{Access, AccessTable, FieldRule, Widths};

const AT124: Access = Access::at_start(Widths::B124);

/// Loads through a full socket pointer (`PTR_TO_SOCKET`):
/// `bpf_sock_is_valid_access` — read-only; narrow loads only for the
/// address fields; family/type/protocol/src_port/state/rx_queue_mapping at
/// their start only; everything else exact 4 bytes.
pub static SOCK_DEREF: AccessTable = AccessTable {
    base: None,
    rules: &[
        FieldRule::ro(0, 4, X4),                               // bound_dev_if
        FieldRule::ro(4, 4, AT124),                            // family
        FieldRule::ro(8, 4, AT124),                            // type
        FieldRule::ro(12, 4, AT124),                           // protocol
        FieldRule::ro(16, 4, X4),                              // mark
        FieldRule::ro(20, 4, X4),                              // priority
        FieldRule::ro(24, 4, RN),                              // src_ip4
        FieldRule::ro(28, 16, Access::anywhere(Widths::B124)), // src_ip6
        FieldRule::ro(44, 4, AT124),                           // src_port
        FieldRule::ro(48, 2, Access::anywhere(Widths::B12)),   // dst_port
        FieldRule::ro(48, 4, X4), // dst_port, 4-byte compatibility load
        FieldRule::ro(52, 4, RN), // dst_ip4
        FieldRule::ro(56, 16, Access::anywhere(Widths::B124)), // dst_ip6
        FieldRule::ro(72, 4, AT124), // state
        FieldRule::ro(76, 4, AT124), // rx_queue_mapping
    ],
};

/// Loads through `PTR_TO_SOCK_COMMON` (`bpf_sock_common_is_valid_access`):
/// like [`SOCK_DEREF`] without `type`, `protocol`, `mark`, `priority`.
pub static SOCK_COMMON_DEREF: AccessTable = AccessTable {
    base: Some(&SOCK_DEREF),
    rules: &[
        FieldRule::deny(8, 4),
        FieldRule::deny(12, 4),
        FieldRule::deny(16, 4),
        FieldRule::deny(20, 4),
    ],
};

/// `struct bpf_sock` reached through a full socket pointer.
pub const SOCK_POINTEE: super::CtxStruct = super::CtxStruct {
    layout: &BPF_SOCK,
    access: &SOCK_DEREF,
    via: super::RegKind::PtrToSocket,
    aligned: true,
};

/// `struct bpf_sock` reached through a sock_common pointer.
pub const SOCK_COMMON_POINTEE: super::CtxStruct = super::CtxStruct {
    layout: &BPF_SOCK,
    access: &SOCK_COMMON_DEREF,
    via: super::RegKind::PtrToSockCommonOrNull,
    aligned: true,
};

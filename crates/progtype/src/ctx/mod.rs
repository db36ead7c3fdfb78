//! Context layouts and access rules.
//!
//! A program type's context is described twice, on purpose:
//!
//! * [`CtxLayout`]: what the struct *is* (name, size, fields with offsets),
//!   independent of who reads it;
//! * [`AccessTable`]: what one program type may do with it — per field rule
//!   with allowed widths, narrow loads, writes, the register kind a load
//!   produces and an attach-type filter. Tables are layered: a variant names
//!   its `base` and lists only the rules that differ (the kernel's
//!   `bpf_skb_is_valid_access` shared by `sk_filter`, `tc_cls_act`,
//!   `cg_skb`, `lwt_*` and `sk_skb` with their own switch cases on top).
//!
//! [`check_table_access`] is the pure predicate the kernel implements per
//! type as `*_is_valid_access` (net/core/filter.c, kernel/trace/bpf_trace.c):
//! bounds, natural alignment, width, narrow-load and read/write checks, and
//! it reports what the load produces (`bpf_insn_access_aux`: register type
//! and `ctx_field_size`). How a field's *value* is produced at run time is
//! not this module's business (that is the run side of the crate).

pub mod skb;
pub mod sock;

use serde::Serialize;

use crate::attach::AttachType;
use crate::spec::AttachFilter;

/// What a successful context load puts into the destination register
/// (the kernel's `bpf_reg_type` recorded in `bpf_insn_access_aux`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum RegKind {
    /// A plain number (`SCALAR_VALUE`).
    Scalar,
    /// Start of packet data (`PTR_TO_PACKET`).
    PtrToPacket,
    /// One past the end of the linear packet data (`PTR_TO_PACKET_END`).
    PtrToPacketEnd,
    /// Start of XDP/tc metadata (`PTR_TO_PACKET_META`).
    PtrToPacketMeta,
    /// `struct bpf_sock *` with the common socket fields, may be NULL
    /// (`PTR_TO_SOCK_COMMON_OR_NULL`).
    PtrToSockCommonOrNull,
    /// Full `struct bpf_sock *`, never NULL (`PTR_TO_SOCKET`).
    PtrToSocket,
    /// Full `struct bpf_sock *`, may be NULL (`PTR_TO_SOCKET_OR_NULL`).
    PtrToSocketOrNull,
    /// `struct bpf_flow_keys *` (`PTR_TO_FLOW_KEYS`).
    PtrToFlowKeys,
    /// Writable tracepoint buffer (`PTR_TO_TP_BUFFER`).
    PtrToTpBuffer,
    /// A BTF-typed kernel pointer (`PTR_TO_BTF_ID`), e.g. netfilter's state.
    PtrToBtfId,
    /// Decided by the BTF type of the traced function's argument: a scalar
    /// or a trusted `PTR_TO_BTF_ID` (`btf_ctx_access`).
    FromBtf,
}

impl RegKind {
    /// The kernel's name for this register type.
    pub fn kernel_name(self) -> &'static str {
        match self {
            RegKind::Scalar => "SCALAR_VALUE",
            RegKind::PtrToPacket => "PTR_TO_PACKET",
            RegKind::PtrToPacketEnd => "PTR_TO_PACKET_END",
            RegKind::PtrToPacketMeta => "PTR_TO_PACKET_META",
            RegKind::PtrToSockCommonOrNull => "PTR_TO_SOCK_COMMON_OR_NULL",
            RegKind::PtrToSocket => "PTR_TO_SOCKET",
            RegKind::PtrToSocketOrNull => "PTR_TO_SOCKET_OR_NULL",
            RegKind::PtrToFlowKeys => "PTR_TO_FLOW_KEYS",
            RegKind::PtrToTpBuffer => "PTR_TO_TP_BUFFER",
            RegKind::PtrToBtfId => "PTR_TO_BTF_ID",
            RegKind::FromBtf => "(from BTF)",
        }
    }

    /// True for the kinds that are always pointers ([`RegKind::FromBtf`]
    /// may be either).
    pub fn is_pointer(self) -> bool {
        !matches!(self, RegKind::Scalar | RegKind::FromBtf)
    }
}

/// A set of access widths in bytes (1, 2, 4, 8) as a bit mask.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Widths(u8);

impl Widths {
    /// No access at all.
    pub const NONE: Widths = Widths(0);
    /// Only 1 byte.
    pub const B1: Widths = Widths(1);
    /// Only 2 bytes.
    pub const B2: Widths = Widths(2);
    /// Only 4 bytes.
    pub const B4: Widths = Widths(4);
    /// Only 8 bytes.
    pub const B8: Widths = Widths(8);
    /// 1, 2 or 4 bytes.
    pub const B124: Widths = Widths(1 | 2 | 4);
    /// 1, 2, 4 or 8 bytes.
    pub const B1248: Widths = Widths(1 | 2 | 4 | 8);
    /// 1 or 2 bytes.
    pub const B12: Widths = Widths(1 | 2);
    /// 2 or 4 bytes.
    pub const B24: Widths = Widths(2 | 4);
    /// 4 or 8 bytes.
    pub const B48: Widths = Widths(4 | 8);

    /// Whether an access of `size` bytes is in the set.
    pub const fn contains(self, size: u32) -> bool {
        matches!(size, 1 | 2 | 4 | 8) && (self.0 as u32 & size) != 0
    }

    /// True when no width is allowed.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The widths in increasing order.
    pub fn iter(self) -> impl Iterator<Item = u32> {
        [1u32, 2, 4, 8]
            .into_iter()
            .filter(move |w| self.contains(*w))
    }
}

/// One direction (read or write) of a field rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Access {
    /// Allowed widths.
    pub widths: Widths,
    /// Also allowed at any naturally aligned offset *inside* the rule's
    /// range, not only at its start (the kernel's narrow loads, and array
    /// elements such as `cb[]` or `remote_ip6[]`).
    pub anywhere: bool,
}

impl Access {
    /// Not allowed.
    pub const NO: Access = Access {
        widths: Widths::NONE,
        anywhere: false,
    };

    /// Only at the field start, with these widths.
    pub const fn at_start(widths: Widths) -> Access {
        Access {
            widths,
            anywhere: false,
        }
    }

    /// At any naturally aligned offset inside the range, with these widths.
    pub const fn anywhere(widths: Widths) -> Access {
        Access {
            widths,
            anywhere: true,
        }
    }

    /// True when nothing is allowed.
    pub const fn is_none(&self) -> bool {
        self.widths.is_empty()
    }

    /// The spec sheet's notation: `R124+n`-style width list (without the
    /// R/W letter), `-` when not allowed.
    pub fn notation(&self) -> String {
        if self.is_none() {
            return "-".to_string();
        }
        let mut s: String = self.widths.iter().map(|w| w.to_string()).collect();
        if self.anywhere {
            s.push_str("+n");
        }
        s
    }
}

/// One field of a context struct as the program sees it (uapi layout).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CtxField {
    /// Field name as in the uapi header (`cb`, `remote_ip6`, `data`).
    pub name: &'static str,
    /// Byte offset.
    pub offset: u16,
    /// Total size in bytes (for arrays the whole array).
    pub size: u16,
    /// Element size: the kernel's default load size for the field
    /// (`ctx_field_size` for narrow loads). Equals `size` for non-arrays.
    pub unit: u8,
    /// One-line meaning (byte order, units, when it is set).
    pub doc: &'static str,
}

impl CtxField {
    /// A scalar or pointer field (`unit == size`).
    pub const fn new(name: &'static str, offset: u16, size: u16, doc: &'static str) -> CtxField {
        CtxField {
            name,
            offset,
            size,
            unit: size as u8,
            doc,
        }
    }

    /// An array field of `count` elements of `unit` bytes.
    pub const fn array(
        name: &'static str,
        offset: u16,
        unit: u8,
        count: u16,
        doc: &'static str,
    ) -> CtxField {
        CtxField {
            name,
            offset,
            size: unit as u16 * count,
            unit,
            doc,
        }
    }

    /// One past the last byte.
    pub const fn end(&self) -> u32 {
        self.offset as u32 + self.size as u32
    }
}

/// A context struct layout.
#[derive(Debug)]
pub struct CtxLayout {
    /// C struct name, e.g. `struct __sk_buff`.
    pub struct_name: &'static str,
    /// `sizeof` the struct (the bound of every access).
    pub size: u32,
    /// Fields in offset order; gaps are padding.
    pub fields: &'static [CtxField],
    /// What the struct is and where it comes from.
    pub doc: &'static str,
}

impl CtxLayout {
    /// The field containing byte `off`, if any (padding has none).
    pub fn field_at(&self, off: u32) -> Option<&'static CtxField> {
        self.fields
            .iter()
            .find(|f| f.offset as u32 <= off && off < f.end())
    }

    /// The field with this name.
    pub fn field(&self, name: &str) -> Option<&'static CtxField> {
        self.fields.iter().find(|f| f.name == name)
    }
}

/// One access rule over a byte range of the context (usually one field).
#[derive(Debug, Clone, Copy)]
pub struct FieldRule {
    /// First byte of the range (a field offset).
    pub off: u16,
    /// Length of the range. May exceed the field for compatibility forms
    /// (the 4-byte load of a 2-byte port followed by padding).
    pub size: u16,
    /// Loads.
    pub read: Access,
    /// Stores (`BPF_STX` and, since 6.3, `BPF_ST`).
    pub write: Access,
    /// What a full-width load yields.
    pub result: RegKind,
    /// The expected attach types this rule applies to.
    pub when: AttachFilter,
}

impl FieldRule {
    /// Read-only scalar rule.
    pub const fn ro(off: u16, size: u16, read: Access) -> FieldRule {
        FieldRule {
            off,
            size,
            read,
            write: Access::NO,
            result: RegKind::Scalar,
            when: AttachFilter::Any,
        }
    }

    /// Read/write scalar rule.
    pub const fn rw(off: u16, size: u16, read: Access, write: Access) -> FieldRule {
        FieldRule {
            off,
            size,
            read,
            write,
            result: RegKind::Scalar,
            when: AttachFilter::Any,
        }
    }

    /// Read-only pointer rule: exact-width load only.
    pub const fn ptr(off: u16, size: u16, result: RegKind) -> FieldRule {
        let w = if size == 8 { Widths::B8 } else { Widths::B4 };
        FieldRule {
            off,
            size,
            read: Access::at_start(w),
            write: Access::NO,
            result,
            when: AttachFilter::Any,
        }
    }

    /// Nothing allowed (used to take a base rule away).
    pub const fn deny(off: u16, size: u16) -> FieldRule {
        FieldRule::ro(off, size, Access::NO)
    }

    /// The same rule restricted to some attach types.
    pub const fn when(self, when: AttachFilter) -> FieldRule {
        FieldRule { when, ..self }
    }

    fn end(&self) -> u32 {
        self.off as u32 + self.size as u32
    }

    fn contains(&self, off: u32) -> bool {
        self.off as u32 <= off && off < self.end()
    }

    /// Check one access against this rule (bounds inside the rule, width,
    /// position). Alignment and ctx bounds are checked by the caller.
    fn check(&self, off: u32, size: u32, write: bool) -> Result<(), AccessErrorKind> {
        let dir = if write { &self.write } else { &self.read };
        if dir.is_none() {
            return Err(if write && !self.read.is_none() {
                AccessErrorKind::ReadOnly
            } else {
                AccessErrorKind::NotAccessible
            });
        }
        if !dir.widths.contains(size) {
            return Err(AccessErrorKind::BadWidth);
        }
        if !dir.anywhere && off != self.off as u32 {
            return Err(AccessErrorKind::NotAtFieldStart);
        }
        if off + size > self.end() {
            return Err(AccessErrorKind::CrossesField);
        }
        Ok(())
    }
}

/// A layered access table: `rules` first, then `base` for ranges no rule
/// here mentions (for the current attach type).
#[derive(Debug)]
pub struct AccessTable {
    /// Shared table this one refines.
    pub base: Option<&'static AccessTable>,
    /// Rules of this layer. Several rules may cover the same offset (for
    /// alternative forms or different attach types); the access is allowed
    /// if any applicable rule allows it.
    pub rules: &'static [FieldRule],
}

impl AccessTable {
    /// The applicable rules for byte `off` under `attach`: those of the
    /// first layer (from the top) that has any.
    pub fn rules_at(&self, attach: Option<AttachType>, off: u32) -> Vec<&'static FieldRule> {
        let mut layer = Some(self);
        while let Some(t) = layer {
            let hits: Vec<&'static FieldRule> = t
                .rules
                .iter()
                .filter(|r| r.contains(off) && r.when.matches(attach))
                .collect();
            if !hits.is_empty() {
                return hits;
            }
            layer = t.base;
        }
        Vec::new()
    }

    /// Every rule of every layer (top first), for invariant checks.
    pub fn all_rules(&self) -> Vec<&'static FieldRule> {
        let mut out = Vec::new();
        let mut layer = Some(self);
        while let Some(t) = layer {
            out.extend(t.rules.iter());
            layer = t.base;
        }
        out
    }
}

/// A struct reachable from the context plus its access rules (e.g. the
/// flow dissector's `struct bpf_flow_keys`).
#[derive(Debug)]
pub struct CtxStruct {
    /// The layout.
    pub layout: &'static CtxLayout,
    /// The rules.
    pub access: &'static AccessTable,
    /// The register kind through which the program reaches it.
    pub via: RegKind,
    /// Offsets must be multiples of the access size. False where the
    /// kernel checks only bounds (flow keys: `check_flow_keys_access`, and
    /// x86 has efficient unaligned access, so no alignment check).
    pub aligned: bool,
}

impl CtxStruct {
    /// Check a load or store through the pointer at `off` from its start.
    pub fn check(
        &self,
        attach: Option<AttachType>,
        off: i64,
        size: u32,
        write: bool,
    ) -> Result<FieldAccess, AccessError> {
        check_access_inner(
            self.layout,
            self.access,
            attach,
            off,
            size,
            write,
            self.aligned,
        )
    }
}

/// Why a context access was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[non_exhaustive]
pub enum AccessErrorKind {
    /// Access size is not 1, 2, 4 or 8.
    BadSize,
    /// Negative offset or beyond the end of the struct.
    OutOfBounds,
    /// Offset not a multiple of the access size.
    Misaligned,
    /// Padding, or a field this program type cannot touch at all.
    NotAccessible,
    /// The field is readable but not writable.
    ReadOnly,
    /// The field allows other widths only.
    BadWidth,
    /// Narrow access not allowed inside this field.
    NotAtFieldStart,
    /// The access runs past the end of the field.
    CrossesField,
}

impl AccessErrorKind {
    /// Short reason, for the help line of a diagnostic.
    pub fn reason(self) -> &'static str {
        match self {
            AccessErrorKind::BadSize => "access size must be 1, 2, 4 or 8",
            AccessErrorKind::OutOfBounds => "outside the context struct",
            AccessErrorKind::Misaligned => "offset is not a multiple of the access size",
            AccessErrorKind::NotAccessible => "not accessible for this program type",
            AccessErrorKind::ReadOnly => "field is read-only",
            AccessErrorKind::BadWidth => "width not allowed for this field",
            AccessErrorKind::NotAtFieldStart => "narrow access inside this field is not allowed",
            AccessErrorKind::CrossesField => "access crosses the end of the field",
        }
    }
}

/// A refused context access: the kernel's `invalid bpf_context access`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("invalid bpf_context access off={off} size={size} ({})", kind.reason())]
pub struct AccessError {
    /// Why.
    pub kind: AccessErrorKind,
    /// Instruction-relative offset into the context.
    pub off: i64,
    /// Access size in bytes.
    pub size: u32,
    /// Whether it was a store.
    pub write: bool,
}

impl AccessError {
    /// The kernel verifier's log line for this refusal (EACCES).
    pub fn kernel_message(&self) -> String {
        format!(
            "invalid bpf_context access off={} size={}",
            self.off, self.size
        )
    }
}

/// An allowed context access: what the verifier records for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct FieldAccess {
    /// Name of the field accessed (`"cb"`, `"data"`, `"args"` ...).
    pub field: &'static str,
    /// Offset of that field.
    pub field_offset: u16,
    /// Size of that field (whole array for arrays).
    pub field_size: u16,
    /// Default load size of the field (`ctx_field_size`).
    pub ctx_field_size: u8,
    /// Accessed offset.
    pub off: u16,
    /// Accessed size.
    pub size: u8,
    /// Smaller than `ctx_field_size`: the kernel rewrites it to a full
    /// load plus shift and mask.
    pub narrow: bool,
    /// A store.
    pub write: bool,
    /// What a load yields (`Scalar` for narrow loads and stores).
    pub result: RegKind,
}

/// Check one access against a layout and its access table: the kernel's
/// `*_is_valid_access` for table-described types.
///
/// `off` is the instruction's offset from the unmodified context pointer,
/// `size` the access width in bytes.
pub fn check_table_access(
    layout: &CtxLayout,
    table: &AccessTable,
    attach: Option<AttachType>,
    off: i64,
    size: u32,
    write: bool,
) -> Result<FieldAccess, AccessError> {
    check_access_inner(layout, table, attach, off, size, write, true)
}

fn check_access_inner(
    layout: &CtxLayout,
    table: &AccessTable,
    attach: Option<AttachType>,
    off: i64,
    size: u32,
    write: bool,
    aligned: bool,
) -> Result<FieldAccess, AccessError> {
    let err = |kind| AccessError {
        kind,
        off,
        size,
        write,
    };
    if !matches!(size, 1 | 2 | 4 | 8) {
        return Err(err(AccessErrorKind::BadSize));
    }
    if off < 0 || off + size as i64 > layout.size as i64 {
        return Err(err(AccessErrorKind::OutOfBounds));
    }
    if aligned && off % size as i64 != 0 {
        return Err(err(AccessErrorKind::Misaligned));
    }
    let uoff = off as u32;
    let rules = table.rules_at(attach, uoff);
    let mut last = AccessErrorKind::NotAccessible;
    let mut ok = None;
    for r in &rules {
        match r.check(uoff, size, write) {
            Ok(()) => {
                ok = Some(*r);
                break;
            }
            Err(k) => last = k,
        }
    }
    let rule = ok.ok_or_else(|| err(last))?;
    Ok(describe_access(layout, rule, uoff, size, write))
}

fn describe_access(
    layout: &CtxLayout,
    rule: &FieldRule,
    off: u32,
    size: u32,
    write: bool,
) -> FieldAccess {
    let (name, fo, fs, unit) = match layout.field_at(off) {
        Some(f) => (f.name, f.offset, f.size, f.unit),
        None => ("(padding)", rule.off, rule.size, rule.size.min(8) as u8),
    };
    // Pointer loads are exact-width, so a load of the full rule width at
    // the rule start yields the rule's kind; anything else is a number.
    let full = off == rule.off as u32 && (size == unit as u32 || size == rule.size as u32);
    let result = if write || !full {
        RegKind::Scalar
    } else {
        rule.result
    };
    FieldAccess {
        field: name,
        field_offset: fo,
        field_size: fs,
        ctx_field_size: unit,
        off: off as u16,
        size: size as u8,
        narrow: size < unit as u32,
        write,
        result,
    }
}

/// Render a field's read and write permissions for `attach`, in the spec
/// sheet's notation (`R124+n`, `W4`, `-`). A field covered by several rules
/// lists each distinct form.
pub fn field_permissions(
    table: &AccessTable,
    field: &CtxField,
    attach: Option<AttachType>,
) -> (String, String) {
    let rules = table.rules_at(attach, field.offset as u32);
    let join = |f: &dyn Fn(&FieldRule) -> Access| {
        let mut parts: Vec<String> = rules
            .iter()
            .map(|r| f(r))
            .filter(|a| !a.is_none())
            .map(|a| {
                // "+n" only when some width is narrower than the element
                let narrow = a.widths.iter().any(|w| w < field.unit as u32);
                let mut n = a.notation();
                if a.anywhere && !narrow {
                    n.truncate(n.len() - 2);
                }
                n
            })
            .collect();
        parts.dedup();
        if parts.is_empty() {
            "-".to_string()
        } else {
            parts.join(",")
        }
    };
    (join(&|r| r.read), join(&|r| r.write))
}

#[cfg(test)]
mod tests {
    use super::*;

    static L: CtxLayout = CtxLayout {
        struct_name: "struct t",
        size: 16,
        fields: &[
            CtxField::new("a", 0, 4, ""),
            CtxField::new("p", 4, 4, ""),
            CtxField::array("b", 8, 4, 2, ""),
        ],
        doc: "",
    };
    static BASE: AccessTable = AccessTable {
        base: None,
        rules: &[
            FieldRule::ro(0, 4, Access::anywhere(Widths::B124)),
            FieldRule::ptr(4, 4, RegKind::PtrToPacket),
            FieldRule::rw(
                8,
                8,
                Access::anywhere(Widths::B1248),
                Access::anywhere(Widths::B4),
            ),
        ],
    };
    static TOP: AccessTable = AccessTable {
        base: Some(&BASE),
        rules: &[FieldRule::deny(0, 4).when(AttachFilter::Only(&[AttachType::Xdp]))],
    };

    #[test]
    fn basic_rules() {
        let a = check_table_access(&L, &BASE, None, 2, 2, false).unwrap();
        assert!(a.narrow);
        assert_eq!(a.field, "a");
        assert_eq!(
            check_table_access(&L, &BASE, None, 0, 4, true)
                .unwrap_err()
                .kind,
            AccessErrorKind::ReadOnly
        );
        assert_eq!(
            check_table_access(&L, &BASE, None, 1, 2, false)
                .unwrap_err()
                .kind,
            AccessErrorKind::Misaligned
        );
        let b = check_table_access(&L, &BASE, None, 8, 8, false).unwrap();
        assert!(!b.narrow);
        assert_eq!(b.field, "b");
        assert!(check_table_access(&L, &BASE, None, 12, 4, true).is_ok());
        assert_eq!(
            check_table_access(&L, &BASE, None, 8, 8, true)
                .unwrap_err()
                .kind,
            AccessErrorKind::BadWidth
        );
        assert_eq!(
            check_table_access(&L, &BASE, None, 6, 2, false)
                .unwrap_err()
                .kind,
            AccessErrorKind::BadWidth
        );
        assert_eq!(
            check_table_access(&L, &BASE, None, 4, 4, false)
                .unwrap()
                .result,
            RegKind::PtrToPacket
        );
        assert_eq!(
            check_table_access(&L, &BASE, None, 16, 1, false)
                .unwrap_err()
                .kind,
            AccessErrorKind::OutOfBounds
        );
        assert_eq!(
            check_table_access(&L, &BASE, None, -4, 4, false)
                .unwrap_err()
                .kind,
            AccessErrorKind::OutOfBounds
        );
        assert_eq!(
            check_table_access(&L, &BASE, None, 0, 3, false)
                .unwrap_err()
                .kind,
            AccessErrorKind::BadSize
        );
    }

    #[test]
    fn layering_and_attach_filter() {
        assert!(check_table_access(&L, &TOP, None, 0, 4, false).is_ok());
        assert_eq!(
            check_table_access(&L, &TOP, Some(AttachType::Xdp), 0, 4, false)
                .unwrap_err()
                .kind,
            AccessErrorKind::NotAccessible
        );
        let f = L.field("b").unwrap();
        assert_eq!(
            field_permissions(&TOP, f, None),
            ("1248+n".to_string(), "4".to_string())
        );
    }
}

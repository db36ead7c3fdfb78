//! A serialisable summary of one program type, for `bpfbox types [NAME]
//! [--json]`.
//!
//! JSON schema (one object per type; strings unless noted):
//!
//! ```text
//! { name, short, id (u32), kernel_ops,
//!   sec_names: [{ name, attach|null, note }],
//!   context: { struct, size (u32), attach|null,
//!              fields: [{ name, offset, size, read, write, result, doc }],
//!              pointees: [ <context without pointees> ] },
//!   return_values: [{ when, range|null ([min,max]), range_note|null, interp, other,
//!                     values: [{ value (i64), name, meaning }] }],
//!   attach: { method, expected, attach_types: [..] },
//!   test_run: { supported (bool), detail, by_attach: [{ when, supported, detail }] },
//!   ld_abs (bool), packet_read (bool), packet_write (bool),
//!   use_cases, hook, load_notes,
//!   helpers: [characteristic helper names], helper_count (usize),
//!   bpfbox }
//! ```
//!
//! `read`/`write` use the spec sheet's notation (`124+n` = 1/2/4-byte
//! loads also inside the field, `4` = exact 4-byte, `-` = refused) for the
//! attach type in `context.attach`. `bpfbox` says what bpfbox itself
//! supports for the type; the run side fills it in.

use serde::Serialize;

use crate::attach::AttachType;
use crate::ctx::{field_permissions, AccessTable, CtxLayout};
use crate::helpers::helper_name;
use crate::ret::{Interp, RangeRule};
use crate::spec::{ExpectedAttach, ProgTypeSpec, TestRunSupport};

/// Summary of one program type.
#[derive(Debug, Clone, Serialize)]
pub struct TypeInfo {
    /// `BPF_PROG_TYPE_*`.
    pub name: &'static str,
    /// Short name.
    pub short: &'static str,
    /// Kernel id.
    pub id: u32,
    /// bpf_types.h ops name.
    pub kernel_ops: &'static str,
    /// libbpf section names.
    pub sec_names: Vec<SecInfo>,
    /// The context.
    pub context: ContextInfo,
    /// Return rules.
    pub return_values: Vec<ReturnInfo>,
    /// Attach facts.
    pub attach: AttachInfo,
    /// Test-run facts.
    pub test_run: TestRunInfo,
    /// LD_ABS/LD_IND allowed.
    pub ld_abs: bool,
    /// Direct packet reads.
    pub packet_read: bool,
    /// Direct packet writes.
    pub packet_write: bool,
    /// Use cases.
    pub use_cases: &'static str,
    /// Kernel hook.
    pub hook: &'static str,
    /// Load requirements.
    pub load_notes: &'static str,
    /// Characteristic helpers (names).
    pub helpers: Vec<&'static str>,
    /// Number of callable helpers for `context.attach`.
    pub helper_count: usize,
    /// bpfbox support status (set by the run side; "not yet" here).
    pub bpfbox: String,
}

/// One section name.
#[derive(Debug, Clone, Serialize)]
pub struct SecInfo {
    /// The pattern, in libbpf's notation (`xdp`, `kprobe+`).
    pub name: &'static str,
    /// Expected attach type libbpf uses.
    pub attach: Option<&'static str>,
    /// libbpf's flags in words (`sleepable`, `BPF_F_XDP_HAS_FRAGS`).
    pub note: String,
}

/// A context struct.
#[derive(Debug, Clone, Serialize)]
pub struct ContextInfo {
    /// C struct name.
    #[serde(rename = "struct")]
    pub struct_name: &'static str,
    /// sizeof.
    pub size: u32,
    /// Attach type the permissions are given for.
    pub attach: Option<&'static str>,
    /// Fields.
    pub fields: Vec<FieldInfo>,
    /// Structs reachable through pointers.
    pub pointees: Vec<ContextInfo>,
}

/// One field.
#[derive(Debug, Clone, Serialize)]
pub struct FieldInfo {
    /// Name (arrays as `cb[5]`).
    pub name: String,
    /// Offset.
    pub offset: u16,
    /// Size.
    pub size: u16,
    /// Read widths (`124+n`, `4`, `-`).
    pub read: String,
    /// Write widths.
    pub write: String,
    /// Register kind of a full load (`PTR_TO_PACKET`, `SCALAR_VALUE`).
    pub result: &'static str,
    /// Meaning.
    pub doc: &'static str,
}

/// One return rule.
#[derive(Debug, Clone, Serialize)]
pub struct ReturnInfo {
    /// Attach types it applies to.
    pub when: String,
    /// Verifier range, if checked.
    pub range: Option<[i64; 2]>,
    /// Range decided by the target (BTF), in words.
    pub range_note: Option<&'static str>,
    /// How other values are read.
    pub interp: &'static str,
    /// What other values do.
    pub other: &'static str,
    /// Named values.
    pub values: Vec<ValueInfo>,
}

/// A named return value.
#[derive(Debug, Clone, Serialize)]
pub struct ValueInfo {
    /// Value.
    pub value: i64,
    /// Name.
    pub name: &'static str,
    /// Meaning.
    pub meaning: &'static str,
}

/// Attach facts.
#[derive(Debug, Clone, Serialize)]
pub struct AttachInfo {
    /// How to attach.
    pub method: &'static str,
    /// Load-time rule for expected_attach_type.
    pub expected: String,
    /// Attach types.
    pub attach_types: Vec<&'static str>,
}

/// Test-run facts.
#[derive(Debug, Clone, Serialize)]
pub struct TestRunInfo {
    /// Supported for the default attach type.
    pub supported: bool,
    /// Details or the error.
    pub detail: String,
    /// Exceptions by attach type.
    pub by_attach: Vec<TestRunException>,
}

/// A test-run exception.
#[derive(Debug, Clone, Serialize)]
pub struct TestRunException {
    /// Attach types.
    pub when: String,
    /// Supported there.
    pub supported: bool,
    /// Details.
    pub detail: String,
}

fn test_run_text(t: &TestRunSupport) -> (bool, String) {
    match t {
        TestRunSupport::Supported { runner, detail } => (true, format!("{runner:?}: {detail}")),
        TestRunSupport::Fails { errno, detail } => (
            false,
            format!("fails with {}: {detail}", crate::ret::errno_name(*errno)),
        ),
        TestRunSupport::NotSupported { errno } => (
            false,
            format!("no test_run ({})", crate::ret::errno_name(*errno)),
        ),
    }
}

fn context_info(
    layout: &CtxLayout,
    access: &AccessTable,
    attach: Option<AttachType>,
) -> ContextInfo {
    let fields = layout
        .fields
        .iter()
        .map(|f| {
            let (read, write) = field_permissions(access, f, attach);
            let rules = access.rules_at(attach, f.offset as u32);
            let result = rules
                .iter()
                .find(|r| !r.read.is_none())
                .map(|r| r.result.kernel_name())
                .unwrap_or("-");
            let name = if f.unit as u16 != f.size {
                format!("{}[{}]", f.name, f.size / f.unit as u16)
            } else {
                f.name.to_string()
            };
            FieldInfo {
                name,
                offset: f.offset,
                size: f.size,
                read,
                write,
                result,
                doc: f.doc,
            }
        })
        .collect();
    ContextInfo {
        struct_name: layout.struct_name,
        size: layout.size,
        attach: attach.map(|a| a.name()),
        fields,
        pointees: Vec::new(),
    }
}

/// The attach type the summary uses: what expected_attach_type 0 becomes,
/// else the first section name's attach type.
pub fn default_attach(spec: &ProgTypeSpec) -> Option<AttachType> {
    match spec.attach.expected {
        ExpectedAttach::OneOf { .. } | ExpectedAttach::WithBtfTarget { .. } => spec
            .normalize_attach(0)
            .ok()
            .flatten()
            .or_else(|| spec.sec_names.iter().find_map(|s| s.attach)),
        _ => spec.sec_names.first().and_then(|s| s.attach),
    }
}

/// Summarise a program type for its default attach type.
pub fn describe_type(spec: &ProgTypeSpec) -> TypeInfo {
    describe_type_for(spec, default_attach(spec))
}

/// Summarise a program type for a given expected attach type.
pub fn describe_type_for(spec: &ProgTypeSpec, attach: Option<AttachType>) -> TypeInfo {
    let mut context = context_info(spec.ctx, spec.access, attach);
    context.pointees = spec
        .pointees
        .iter()
        .map(|p| context_info(p.layout, p.access, attach))
        .collect();
    let return_values = spec
        .ret
        .rules
        .iter()
        .map(|r| ReturnInfo {
            when: r.when.describe(),
            range: match r.range {
                RangeRule::Range { min, max } => Some([min, max]),
                _ => None,
            },
            range_note: match r.range {
                RangeRule::FromTarget(s) => Some(s),
                _ => None,
            },
            interp: match r.interp {
                Interp::Named => "named values",
                Interp::KeepBytes => "bytes to keep (0 = drop)",
                Interp::MsgLength => "message length (0 = need more, <0 = error)",
                Interp::Errno => "0 or -errno",
                Interp::Index => "socket index",
                Interp::Ignored => "ignored",
            },
            other: r.other,
            values: r
                .values
                .iter()
                .map(|v| ValueInfo {
                    value: v.value,
                    name: v.name,
                    meaning: v.meaning,
                })
                .collect(),
        })
        .collect();
    let expected = match spec.attach.expected {
        ExpectedAttach::NotValidated => "not validated".to_string(),
        ExpectedAttach::MemberIndex => "struct_ops member index".to_string(),
        ExpectedAttach::MustBeZero => "must be 0".to_string(),
        ExpectedAttach::OneOf { allowed, zero } => {
            let names: Vec<_> = allowed.iter().map(|a| a.name()).collect();
            match zero {
                Some(z) => format!("one of {} (0 becomes {})", names.join(", "), z.name()),
                None => format!("one of {}", names.join(", ")),
            }
        }
        ExpectedAttach::WithBtfTarget { allowed } => {
            let names: Vec<_> = allowed.iter().map(|a| a.name()).collect();
            format!("one of {} with attach_btf_id", names.join(", "))
        }
    };
    let (supported, detail) = test_run_text(&spec.test_run.for_attach(attach));
    let by_attach = spec
        .test_run
        .by_attach
        .iter()
        .map(|(f, t)| {
            let (supported, detail) = test_run_text(t);
            TestRunException {
                when: f.describe(),
                supported,
                detail,
            }
        })
        .collect();
    TypeInfo {
        name: spec.name,
        short: spec.short,
        id: spec.id(),
        kernel_ops: spec.kernel_ops,
        sec_names: spec
            .sec_names
            .iter()
            .map(|s| SecInfo {
                name: s.pattern,
                attach: s.attach.map(|a| a.name()),
                note: s.describe_flags(),
            })
            .collect(),
        context,
        return_values,
        attach: AttachInfo {
            method: spec.attach.method,
            expected,
            attach_types: spec.attach.attach_types.iter().map(|a| a.name()).collect(),
        },
        test_run: TestRunInfo {
            supported,
            detail,
            by_attach,
        },
        ld_abs: spec.ld_abs,
        packet_read: spec.packet.read,
        packet_write: spec.packet.write,
        use_cases: spec.use_cases,
        hook: spec.hook,
        load_notes: spec.load_notes,
        helpers: spec
            .characteristic_helpers
            .iter()
            .filter_map(|&i| helper_name(i))
            .collect(),
        helper_count: spec.helpers.ids(attach).len(),
        bpfbox: "not yet".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::by_name;

    #[test]
    fn every_type_describes_and_serialises() {
        for s in crate::registry::ALL {
            let i = describe_type(s);
            assert_eq!(i.context.fields.len(), s.ctx.fields.len(), "{}", s.name);
            assert_eq!(i.context.pointees.len(), s.pointees.len(), "{}", s.name);
            assert!(
                !i.return_values.is_empty() && !i.sec_names.is_empty(),
                "{}",
                s.name
            );
            let j = serde_json::to_value(&i).unwrap();
            assert_eq!(j["name"], s.name);
            assert_eq!(j["bpfbox"], "not yet");
        }
    }

    #[test]
    fn xdp_summary() {
        let i = describe_type(by_name("xdp").unwrap());
        assert_eq!(i.context.struct_name, "struct xdp_md");
        assert_eq!(i.context.fields[0].read, "4");
        assert_eq!(i.context.fields[0].result, "PTR_TO_PACKET");
        assert_eq!(i.context.fields[5].read, "-", "egress_ifindex needs devmap");
        assert_eq!(i.return_values[0].values.len(), 5);
        assert!(i.test_run.supported);
        assert_eq!(i.bpfbox, "not yet");
        assert_eq!(i.helper_count, 102);
        let j = serde_json::to_value(&i).unwrap();
        assert_eq!(j["context"]["struct"], "struct xdp_md");
        assert_eq!(j["sec_names"][0]["name"], "xdp");
    }

    #[test]
    fn skb_summary_uses_notation() {
        let i = describe_type(by_name("socket_filter").unwrap());
        let cb = i.context.fields.iter().find(|f| f.name == "cb[5]").unwrap();
        assert_eq!((cb.read.as_str(), cb.write.as_str()), ("1248+n", "1248+n"));
        let len = &i.context.fields[0];
        assert_eq!((len.read.as_str(), len.write.as_str()), ("124+n", "-"));
        let ip6 = describe_type(by_name("cgroup_skb").unwrap());
        let f = ip6
            .context
            .fields
            .iter()
            .find(|f| f.name == "remote_ip6[4]")
            .unwrap();
        assert_eq!(f.read, "4");
    }

    #[test]
    fn sock_addr_default_attach_is_bind4() {
        let i = describe_type(by_name("cgroup_sock_addr").unwrap());
        assert_eq!(i.context.attach, Some("BPF_CGROUP_INET4_BIND"));
        assert_eq!(i.return_values[0].range, Some([0, 3]));
    }
}

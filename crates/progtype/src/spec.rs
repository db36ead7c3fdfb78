//! The shape of one program type: [`ProgTypeSpec`], a `'static` struct of
//! data (the kernel's `bpf_types.h` row plus its verifier-ops facts) with a
//! [`ProgTypeHooks`] object for the few rules that are code, not data.

use bpfbox_uapi::prog_type;
use serde::Serialize;

use crate::attach::AttachType;
use crate::ctx::{AccessError, AccessTable, CtxLayout, CtxStruct, FieldAccess};
use crate::helpers::HelperAvail;
use crate::ret::ReturnSpec;
pub use crate::section::{sec_flags, SecDef};
use crate::{Error, ErrorKind};

/// `enum bpf_prog_type` of Linux 6.18, ids 1..=32 (0 = UNSPEC is not a
/// program type). Converting to the spec is [`ProgType::spec`]; the only
/// `match` over this enum lives in `registry.rs`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[repr(u32)]
#[allow(missing_docs)] // each variant is the BPF_PROG_TYPE_* of the same name
pub enum ProgType {
    SocketFilter = prog_type::SOCKET_FILTER,
    Kprobe = prog_type::KPROBE,
    SchedCls = prog_type::SCHED_CLS,
    SchedAct = prog_type::SCHED_ACT,
    Tracepoint = prog_type::TRACEPOINT,
    Xdp = prog_type::XDP,
    PerfEvent = prog_type::PERF_EVENT,
    CgroupSkb = prog_type::CGROUP_SKB,
    CgroupSock = prog_type::CGROUP_SOCK,
    LwtIn = prog_type::LWT_IN,
    LwtOut = prog_type::LWT_OUT,
    LwtXmit = prog_type::LWT_XMIT,
    SockOps = prog_type::SOCK_OPS,
    SkSkb = prog_type::SK_SKB,
    CgroupDevice = prog_type::CGROUP_DEVICE,
    SkMsg = prog_type::SK_MSG,
    RawTracepoint = prog_type::RAW_TRACEPOINT,
    CgroupSockAddr = prog_type::CGROUP_SOCK_ADDR,
    LwtSeg6local = prog_type::LWT_SEG6LOCAL,
    LircMode2 = prog_type::LIRC_MODE2,
    SkReuseport = prog_type::SK_REUSEPORT,
    FlowDissector = prog_type::FLOW_DISSECTOR,
    CgroupSysctl = prog_type::CGROUP_SYSCTL,
    RawTracepointWritable = prog_type::RAW_TRACEPOINT_WRITABLE,
    CgroupSockopt = prog_type::CGROUP_SOCKOPT,
    Tracing = prog_type::TRACING,
    StructOps = prog_type::STRUCT_OPS,
    Ext = prog_type::EXT,
    Lsm = prog_type::LSM,
    SkLookup = prog_type::SK_LOOKUP,
    Syscall = prog_type::SYSCALL,
    Netfilter = prog_type::NETFILTER,
}

impl ProgType {
    /// Kernel id.
    pub const fn id(self) -> u32 {
        self as u32
    }

    /// The program type with this kernel id.
    pub fn from_id(id: u32) -> Option<ProgType> {
        crate::registry::by_id(id).map(|s| s.ty)
    }

    /// The full description of this type.
    pub fn spec(self) -> &'static ProgTypeSpec {
        crate::registry::spec_of(self)
    }
}

/// How a fact was established (spec sheet tags).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Evidence {
    /// Measured on the 6.18 kernel with raw bpf().
    Empirical,
    /// Read from kernel or libbpf source.
    Source,
    /// General kernel knowledge, not re-verified.
    Knowledge,
}

/// Which expected attach types a rule applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AttachFilter {
    /// Every attach type (and none).
    Any,
    /// Only these.
    Only(&'static [AttachType]),
    /// All but these (and none).
    Except(&'static [AttachType]),
}

impl AttachFilter {
    /// Whether `attach` (None = unspecified / not a known attach type)
    /// passes the filter.
    pub fn matches(&self, attach: Option<AttachType>) -> bool {
        match self {
            AttachFilter::Any => true,
            AttachFilter::Only(list) => attach.is_some_and(|a| list.contains(&a)),
            AttachFilter::Except(list) => !attach.is_some_and(|a| list.contains(&a)),
        }
    }

    /// Human text: `any`, `only X, Y`, `all but X`.
    pub fn describe(&self) -> String {
        let names = |l: &[AttachType]| l.iter().map(|a| a.name()).collect::<Vec<_>>().join(", ");
        match self {
            AttachFilter::Any => "any".to_string(),
            AttachFilter::Only(l) => format!("only {}", names(l)),
            AttachFilter::Except(l) => format!("all but {}", names(l)),
        }
    }
}

/// What `BPF_PROG_LOAD` does with `expected_attach_type`
/// (`bpf_prog_load_fixup_attach_type` + `bpf_prog_load_check_attach`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpectedAttach {
    /// Any value is accepted (even undefined ones); some still change
    /// semantics through [`AttachFilter`]s.
    NotValidated,
    /// Must be one of `allowed`; 0 is first replaced by `zero` if given.
    OneOf {
        /// Accepted values.
        allowed: &'static [AttachType],
        /// What 0 becomes (CGROUP_SOCK → SOCK_CREATE, SK_REUSEPORT →
        /// SELECT); None: 0 must itself be allowed.
        zero: Option<AttachType>,
    },
    /// Must be one of `allowed` *and* come with an `attach_btf_id` (and
    /// possibly `attach_prog_fd`) naming the target.
    WithBtfTarget {
        /// Accepted values.
        allowed: &'static [AttachType],
    },
    /// Carries the index of the struct_ops member, not an attach type.
    MemberIndex,
    /// Must be 0 (EXT, SYSCALL).
    MustBeZero,
}

/// How programs of the type are loaded and attached.
#[derive(Debug)]
pub struct AttachSpec {
    /// Load-time validation of `expected_attach_type`.
    pub expected: ExpectedAttach,
    /// Attach types used at attach time (`BPF_PROG_ATTACH` /
    /// `BPF_LINK_CREATE`); empty when attached otherwise.
    pub attach_types: &'static [AttachType],
    /// How to attach, in words (syscalls, netlink, setsockopt, ...).
    pub method: &'static str,
}

impl AttachSpec {
    /// Apply the load-time rules to a raw `expected_attach_type`: the
    /// effective attach type (None when the raw value names no attach type
    /// of 6.18 and the type does not validate it), or the kernel's refusal.
    pub fn normalize(&self, prog: &'static str, raw: u32) -> Result<Option<AttachType>, Error> {
        let bad = || Error::new(ErrorKind::BadExpectedAttach { prog, raw });
        match self.expected {
            ExpectedAttach::NotValidated => Ok(AttachType::from_id(raw)),
            // a member index, not an attach type
            ExpectedAttach::MemberIndex => Ok(None),
            ExpectedAttach::MustBeZero if raw == 0 => Ok(None),
            ExpectedAttach::MustBeZero => Err(bad()),
            ExpectedAttach::OneOf { allowed, zero } => {
                let t = match (raw, zero) {
                    (0, Some(z)) => z,
                    _ => AttachType::from_id(raw).ok_or_else(bad)?,
                };
                if allowed.contains(&t) {
                    Ok(Some(t))
                } else {
                    Err(bad())
                }
            }
            ExpectedAttach::WithBtfTarget { allowed } => {
                let t = AttachType::from_id(raw).ok_or_else(bad)?;
                if allowed.contains(&t) {
                    Ok(Some(t))
                } else {
                    Err(bad())
                }
            }
        }
    }
}

/// `BPF_PROG_TEST_RUN` drivers of the kernel (net/bpf/test_run.c).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Runner {
    /// `bpf_prog_test_run_skb`, program sees the L3 header first.
    SkbL3,
    /// `bpf_prog_test_run_skb`, program sees the Ethernet header first.
    SkbL2,
    /// `bpf_prog_test_run_xdp`.
    Xdp,
    /// `bpf_prog_test_run_flow_dissector`.
    FlowDissector,
    /// `bpf_prog_test_run_sk_lookup`.
    SkLookup,
    /// `bpf_prog_test_run_raw_tp`.
    RawTp,
    /// `bpf_prog_test_run_tracing` (calls the bpf_fentry_test* functions).
    Tracing,
    /// `bpf_prog_test_run_syscall`.
    Syscall,
    /// `bpf_prog_test_run_nf`.
    Netfilter,
    /// `bpf_struct_ops_test_run` (bpf_dummy_ops only).
    StructOps,
}

/// Linux errno values (from bpfbox-uapi).
pub use bpfbox_uapi::errno;

/// Whether `BPF_PROG_TEST_RUN` works.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum TestRunSupport {
    /// The kernel runs it.
    Supported {
        /// Which driver.
        runner: Runner,
        /// Inputs and outputs in short.
        detail: &'static str,
    },
    /// The type has a test_run op but it always fails with `errno`.
    Fails {
        /// The error.
        errno: i32,
        /// Why.
        detail: &'static str,
    },
    /// No test_run op: `errno` (ENOTSUPP) before inputs are looked at.
    NotSupported {
        /// The error (524 = ENOTSUPP).
        errno: i32,
    },
}

impl TestRunSupport {
    /// True for [`TestRunSupport::Supported`].
    pub fn is_supported(&self) -> bool {
        matches!(self, TestRunSupport::Supported { .. })
    }
}

/// Test-run facts, possibly refined per expected attach type.
#[derive(Debug)]
pub struct TestRunSpec {
    /// The answer unless a `by_attach` entry matches first.
    pub default: TestRunSupport,
    /// Per attach type exceptions, first match wins.
    pub by_attach: &'static [(AttachFilter, TestRunSupport)],
    /// Evidence.
    pub evidence: Evidence,
}

impl TestRunSpec {
    /// The answer for `attach`.
    pub fn for_attach(&self, attach: Option<AttachType>) -> TestRunSupport {
        self.by_attach
            .iter()
            .find(|(f, _)| f.matches(attach))
            .map(|(_, s)| *s)
            .unwrap_or(self.default)
    }

    /// "Not supported" with ENOTSUPP.
    pub const fn none() -> TestRunSpec {
        TestRunSpec {
            default: TestRunSupport::NotSupported {
                errno: errno::ENOTSUPP,
            },
            by_attach: &[],
            evidence: Evidence::Empirical,
        }
    }
}

/// Direct packet access through packet pointers in the context.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PacketAccess {
    /// Loads through `data`..`data_end` (or the type's window).
    pub read: bool,
    /// Stores through it.
    pub write: bool,
}

impl PacketAccess {
    /// No packet pointers.
    pub const NONE: PacketAccess = PacketAccess {
        read: false,
        write: false,
    };
    /// Read only.
    pub const RO: PacketAccess = PacketAccess {
        read: true,
        write: false,
    };
    /// Read and write.
    pub const RW: PacketAccess = PacketAccess {
        read: true,
        write: true,
    };
}

/// Everything bpfbox knows about one program type, as data.
pub struct ProgTypeSpec {
    /// The type.
    pub ty: ProgType,
    /// Kernel name, `BPF_PROG_TYPE_XDP`.
    pub name: &'static str,
    /// libbpf/bpftool name, unique, lowercase: `xdp`, `sched_cls`.
    pub short: &'static str,
    /// Name of the kernel ops in `bpf_types.h` (`tc_cls_act`, `cg_skb`).
    pub kernel_ops: &'static str,
    /// Context struct the program receives in R1.
    pub ctx: &'static CtxLayout,
    /// The UAPI struct a global function's pointer argument must point to
    /// to be the context (`btf_is_prog_ctx_type`), e.g. `__sk_buff`; None
    /// where bpfbox does not model it (tracing types: such arguments are
    /// checked as in static functions).
    pub global_func_ctx: Option<&'static str>,
    /// Access rules for the context.
    pub access: &'static AccessTable,
    /// Structs reachable through context pointers, with their rules.
    pub pointees: &'static [CtxStruct],
    /// `BPF_LD_ABS` / `BPF_LD_IND` allowed.
    pub ld_abs: bool,
    /// Direct packet access.
    pub packet: PacketAccess,
    /// Helper availability.
    pub helpers: HelperAvail,
    /// Helpers that characterise the type (ids), for display.
    pub characteristic_helpers: &'static [u32],
    /// Return value rules and meaning.
    pub ret: ReturnSpec,
    /// Load and attach.
    pub attach: AttachSpec,
    /// libbpf `SEC()` names of the type, in libbpf's notation; the object
    /// loader matches sections against them ([`crate::section::find`]).
    pub sec_names: &'static [SecDef],
    /// What the type is used for.
    pub use_cases: &'static str,
    /// Where the kernel runs it (function and situation).
    pub hook: &'static str,
    /// `BPF_PROG_TEST_RUN` support.
    pub test_run: TestRunSpec,
    /// Other load-time requirements (flags, BTF, license).
    pub load_notes: &'static str,
    /// Rules that are code rather than data.
    pub hooks: &'static dyn ProgTypeHooks,
}

impl std::fmt::Debug for ProgTypeSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProgTypeSpec")
            .field("name", &self.name)
            .field("short", &self.short)
            .finish_non_exhaustive()
    }
}

impl ProgTypeSpec {
    /// Kernel id.
    pub fn id(&self) -> u32 {
        self.ty.id()
    }

    /// Check a context access (see [`check_access`]).
    pub fn check_access(
        &self,
        attach: Option<AttachType>,
        off: i64,
        size: u32,
        write: bool,
    ) -> Result<FieldAccess, AccessError> {
        self.hooks.check_access(self, attach, off, size, write)
    }

    /// Whether helper `id` may be called (see [`helper_allowed`]).
    pub fn helper_allowed(&self, attach: Option<AttachType>, id: u32) -> bool {
        self.hooks.helper_allowed(self, attach, id)
    }

    /// The struct reachable through a context pointer of kind `via` (the
    /// `_OR_NULL` kinds after their NULL check use the same table).
    pub fn pointee(&self, via: crate::ctx::RegKind) -> Option<&'static CtxStruct> {
        use crate::ctx::RegKind as K;
        let via = match via {
            K::PtrToSocketOrNull => K::PtrToSocket,
            other => other,
        };
        self.pointees.iter().find(|p| p.via == via)
    }

    /// Effective expected attach type for a raw load attribute value.
    pub fn normalize_attach(&self, raw: u32) -> Result<Option<AttachType>, Error> {
        self.attach.normalize(self.name, raw)
    }
}

/// Per-type code for the exceptions the tables cannot express. Every
/// method has a default derived from the [`ProgTypeSpec`] data; a type
/// overrides only what differs (like a NULL member of the kernel's
/// `bpf_verifier_ops` falling back to generic behaviour). The run side of
/// the crate is expected to add its own trait rather than grow this one.
pub trait ProgTypeHooks: Sync {
    /// The type's `is_valid_access`.
    fn check_access(
        &self,
        spec: &ProgTypeSpec,
        attach: Option<AttachType>,
        off: i64,
        size: u32,
        write: bool,
    ) -> Result<FieldAccess, AccessError> {
        crate::ctx::check_table_access(spec.ctx, spec.access, attach, off, size, write)
    }

    /// The type's `get_func_proto` returning non-NULL.
    fn helper_allowed(&self, spec: &ProgTypeSpec, attach: Option<AttachType>, id: u32) -> bool {
        spec.helpers.allows(attach, id)
    }
}

/// Hooks with every default: the table is the whole truth.
pub struct TableHooks;

impl ProgTypeHooks for TableHooks {}

/// Check a context access for `spec` under `attach`: the kernel's
/// `is_valid_access` for that type. Pure: no state, no BTF.
pub fn check_access(
    spec: &ProgTypeSpec,
    attach: Option<AttachType>,
    off: i64,
    size: u32,
    write: bool,
) -> Result<FieldAccess, AccessError> {
    spec.check_access(attach, off, size, write)
}

/// Whether `spec`'s programs loaded with `attach` may call helper `id`
/// (as a privileged loader, on 6.18).
pub fn helper_allowed(spec: &ProgTypeSpec, attach: Option<AttachType>, id: u32) -> bool {
    spec.helper_allowed(attach, id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attach_filter() {
        let only = AttachFilter::Only(&[AttachType::Xdp]);
        assert!(only.matches(Some(AttachType::Xdp)));
        assert!(!only.matches(None));
        let except = AttachFilter::Except(&[AttachType::XdpDevmap]);
        assert!(except.matches(None));
        assert!(!except.matches(Some(AttachType::XdpDevmap)));
        assert_eq!(only.describe(), "only BPF_XDP");
    }

    #[test]
    fn normalize_expected_attach() {
        let s = AttachSpec {
            expected: ExpectedAttach::OneOf {
                allowed: &[AttachType::CgroupInetSockCreate],
                zero: Some(AttachType::CgroupInetSockCreate),
            },
            attach_types: &[],
            method: "",
        };
        assert_eq!(
            s.normalize("T", 0).unwrap(),
            Some(AttachType::CgroupInetSockCreate)
        );
        assert_eq!(
            s.normalize("T", 5).unwrap_err().kind(),
            &ErrorKind::BadExpectedAttach { prog: "T", raw: 5 }
        );
        let n = AttachSpec {
            expected: ExpectedAttach::NotValidated,
            attach_types: &[],
            method: "",
        };
        assert_eq!(n.normalize("T", 59).unwrap(), None);
    }
}

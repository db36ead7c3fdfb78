//! bpfbox-progtype: every eBPF program type of Linux 6.18 as data.
//!
//! For each `enum bpf_prog_type` value 1..=32 the crate holds a `'static`
//! [`ProgTypeSpec`] (one module per type under `types/`, looked up through
//! [`registry`]): the context struct layout and the per-field access rules
//! (the kernel's `is_valid_access`), helper availability as layered sets and
//! the helper prototypes, the return-value rules (`check_return_code`) and
//! what the hook makes of R0, expected/attach types and how to attach, libbpf
//! section names, `BPF_PROG_TEST_RUN` support, use cases and the kernel hook.
//! Facts come from `shared/spec/progtypes.md` (measured on 6.18) and are
//! tagged with their [`Evidence`].
//!
//! Inputs: a program type (id or name), an expected attach type and a
//! question (may this load/store/helper/return value happen?). Outputs:
//! plain data and typed answers ([`FieldAccess`], [`AccessError`], ...),
//! plus [`describe_type`] for the CLI.
//!
//! `tests/tests.rs` cross-checks the data against the running kernel with
//! raw `bpf()` (skipped without privileges): every ctx load/store at every
//! byte offset, the register kind each load yields, loads/stores through
//! socket and flow-keys pointers, all helper ids, helper `gpl_only`,
//! return constants, expected_attach_type 0..59, LD_ABS, direct packet
//! access and test_run presence. Where that disagreed with the spec sheet
//! the kernel won: TRACEPOINT accepts negative ctx offsets,
//! RAW_TRACEPOINT_WRITABLE narrow loads inside slot 0, SK_LOOKUP
//! `remote_port` padding is readable, get/set_retval vanish for
//! expected_attach_type 0 in cgroup types, SYSCALL needs
//! expected_attach_type 0, flow keys allow unaligned access.
//!
//! [`profile`] describes what one kernel offers ([`Profile`]); the built-in
//! profile is this data (upstream 6.18, every BPF option on).
//!
//! This is the check-side data model: it must not depend on the
//! interpreter, the verifier or the kernel backend (only on `bpfbox-isa`
//! and `bpfbox-uapi`).
//! Run-side parts (test-run drivers, helper implementations) build on it in
//! separate modules.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod attach;
pub mod ctx;
pub mod helpers;
pub mod info;
pub mod profile;
pub mod registry;
pub mod ret;
pub mod section;
pub mod spec;
pub mod types;

pub use attach::AttachType;
pub use ctx::{AccessError, AccessErrorKind, CtxField, CtxLayout, FieldAccess, RegKind};
pub use helpers::{helper_id, helper_name, proto, HelperProto};
pub use info::{describe_type, TypeInfo};
pub use profile::Profile;
pub use registry::{by_id, by_name, ALL};
pub use ret::{NamedValue, ReturnSpec};
pub use section::{SecDef, SectionMatch};
pub use spec::{
    check_access, helper_allowed, Evidence, ProgType, ProgTypeHooks, ProgTypeSpec, TestRunSupport,
};

/// The crate's error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind}")]
pub struct Error {
    kind: ErrorKind,
}

impl Error {
    pub(crate) fn new(kind: ErrorKind) -> Error {
        Error { kind }
    }

    /// What went wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }
}

/// Kinds of [`Error`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ErrorKind {
    /// No program type has this id in 6.18.
    #[error("unknown program type id {0}")]
    UnknownProgTypeId(u32),
    /// No program type has this name.
    #[error("unknown program type `{0}`")]
    UnknownProgTypeName(String),
    /// `BPF_PROG_LOAD` would refuse this expected_attach_type (EINVAL).
    #[error("expected_attach_type {raw} is not valid for {prog}")]
    BadExpectedAttach {
        /// Program type name.
        prog: &'static str,
        /// The raw value.
        raw: u32,
    },
}

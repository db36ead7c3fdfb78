//! `bpfbox types`: every program type described from the same modules
//! the runtime uses, plus what bpfbox itself does with it.

use bpfbox_progtype::{describe_type, ProgTypeSpec, TypeInfo};

/// What bpfbox supports for a type: `run` (a BPF_PROG_TEST_RUN driver, so
/// `bpfbox run` and `bpfbox diff`), `fire` (an event driver), both,
/// `attach` (TRACING: fentry/fexit run attached to a program bpfbox runs,
/// `bpfbox run TARGET.o --attach OBJECT`), or `not yet`.
pub fn support(spec: &ProgTypeSpec) -> String {
    let run = bpfbox_runtime::drivers::runner_for(spec.ty).is_some();
    let fire = bpfbox_runtime::events::driver_for(spec.id()).is_some();
    if spec.ty == bpfbox_progtype::ProgType::Tracing {
        return "attach".to_string();
    }
    match (run, fire) {
        (true, true) => "run, fire",
        (true, false) => "run",
        (false, true) => "fire",
        (false, false) => "not yet",
    }
    .to_string()
}

/// The description of one type with bpfbox's support filled in.
pub fn info(spec: &ProgTypeSpec) -> TypeInfo {
    let mut i = describe_type(spec);
    i.bpfbox = support(spec);
    i
}

/// Every program type of Linux 6.18, in id order.
pub fn all() -> Vec<TypeInfo> {
    bpfbox_progtype::ALL.iter().map(|s| info(s)).collect()
}

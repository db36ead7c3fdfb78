//! Tracing programs attached to a program bpfbox runs (fentry/fexit on a
//! BPF program; see `bpfbox_runtime::drivers::attached` for what the
//! kernel does and what was measured): the BTF their CO-RE relocations
//! and kernel-memory model use, the verifier's view of their context
//! ([`TargetArgs`]), and the check that a tracer names its target.

use bpfbox_object::btf::Btf;
use bpfbox_object::layout::Loaded;
use bpfbox_object::{Object, ProgramDef};
use bpfbox_progtype::{AttachType, ProgType};
use bpfbox_verifier::{BtfLoaded, BtfTyping};
use std::sync::Arc;

/// The BTF the tracer's kernel structs are laid out by: the BTF its CO-RE
/// relocations were resolved against (the running kernel's when
/// readable, else the object's own), so the model and the relocated
/// offsets agree.
pub fn model_btf(tracer: &Object) -> Result<Arc<Btf>, String> {
    let local = || {
        tracer
            .btf
            .clone()
            .map(Arc::new)
            .ok_or_else(|| format!("{}: no BTF to lay out kernel structs by", tracer.name))
    };
    match tracer.core_target.as_deref() {
        Some("local") => local(),
        _ => bpfbox_object::co_re::kernel_btf().or_else(|_| local()),
    }
}

/// The context of an fentry/fexit program attached to a BPF program, as
/// the kernel's `btf_ctx_access` types it: slot 0 is the target's one
/// argument converted to the kernel's context struct (`struct xdp_buff *`
/// for XDP), slot 1 of fexit its return value (a number); loads through
/// the struct pointers follow the BTF (`btf_struct_access`).
#[derive(Debug)]
pub struct TargetArgs {
    btf: Arc<Btf>,
    ctx: Option<u32>,
    fexit: bool,
    func: String,
}

impl TargetArgs {
    /// The typing for `tracer` attached to a program of type `target_type`
    /// named `target_name`, with kernel structs from `btf`.
    pub fn new(
        btf: Arc<Btf>,
        tracer: &ProgramDef,
        target_type: ProgType,
        target_name: &str,
    ) -> Self {
        let ctx = bpfbox_runtime::kmem::kernel_ctx_struct(target_type)
            .and_then(|n| btf.struct_by_name(n));
        TargetArgs {
            btf,
            ctx,
            fexit: AttachType::from_id(tracer.expected_attach_type) == Some(AttachType::TraceFexit),
            func: target_name.to_string(),
        }
    }
}

impl BtfTyping for TargetArgs {
    fn arg(&self, slot: u32) -> Option<BtfLoaded> {
        match (slot, self.fexit) {
            (0, _) => Some(self.ctx.map_or(BtfLoaded::Scalar, BtfLoaded::Ptr)),
            (1, true) => Some(BtfLoaded::Scalar),
            _ => None,
        }
    }

    fn load(&self, ty: u32, off: i64, size: u32) -> Result<BtfLoaded, String> {
        match self.btf.load_at(ty, off, size) {
            Ok(Loaded::Scalar) => Ok(BtfLoaded::Scalar),
            Ok(Loaded::Ptr(t)) => Ok(BtfLoaded::Ptr(t)),
            Err(e) => Err(e.0),
        }
    }

    fn func_name(&self) -> &str {
        &self.func
    }
}

/// Checks that `tracer` may attach to the program `target`: a TRACING
/// fentry or fexit program whose section names `target` (`fentry/NAME`:
/// bpfbox attaches to a program's entry function only, not to its
/// sub-programs).
pub fn check_target(tracer: &ProgramDef, target: &ProgramDef) -> Result<(), String> {
    let ok_type = tracer.prog_type == ProgType::Tracing.id()
        && matches!(
            AttachType::from_id(tracer.expected_attach_type),
            Some(AttachType::TraceFentry | AttachType::TraceFexit)
        );
    if !ok_type {
        return Err(format!(
            "`{}` ({}) is not an fentry or fexit program: only those attach to programs in bpfbox",
            tracer.name, tracer.section
        ));
    }
    match tracer.attach_target() {
        Some(t) if t == target.name => Ok(()),
        Some(t) => Err(format!(
            "`{}` traces `{t}` (section {}), not program `{}`: bpfbox attaches to a program's \
             entry function, named in the section",
            tracer.name, tracer.section, target.name
        )),
        None => Err(format!(
            "`{}` has no attach target in its section",
            tracer.name
        )),
    }
}

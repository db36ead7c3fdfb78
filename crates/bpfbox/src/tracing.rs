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

#[cfg(test)]
mod tests {
    use super::*;
    use bpfbox_isa::{AluOp, Insn, Size, Src, Width};

    /// The tracer object with its own BTF as the kernel's (offsets that do
    /// not depend on the machine: `struct xdp_buff` of 56 bytes, `rxq` at
    /// 32, `net_device.ifindex` at 0).
    fn tracer() -> (Object, Arc<Btf>) {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../tests/progs/fentry/xdp_trace.o"
        );
        let opts = bpfbox_object::LoadOptions {
            core_target: bpfbox_object::CoreTarget::Local,
            ..Default::default()
        };
        let obj = bpfbox_object::load_file_with(std::path::Path::new(path), &opts).unwrap();
        let btf = model_btf(&obj).unwrap();
        (obj, btf)
    }

    fn ld(size: Size, dst: u8, src: u8, off: i16) -> Insn {
        Insn::Load {
            size,
            signed: false,
            dst,
            src,
            off,
        }
    }

    fn exit0() -> [Insn; 2] {
        [
            Insn::Alu {
                width: Width::W64,
                op: AluOp::Mov,
                dst: 0,
                src: Src::Imm(0),
            },
            Insn::Exit,
        ]
    }

    /// Verifies `body` (then `r0 = 0; exit`) as program `name` of the
    /// tracer object attached to an XDP program; the first refusal's
    /// kernel message.
    fn check(name: &str, body: &[Insn]) -> Result<(), String> {
        let (obj, btf) = tracer();
        let def = obj.program(name).unwrap();
        let typing = TargetArgs::new(btf, def, ProgType::Xdp, "xdp_target");
        let mut insns = body.to_vec();
        insns.extend(exit0());
        let mut opts = bpfbox_verifier::Options::kernel();
        opts.prog = Some(bpfbox_verifier::ProgInfo {
            prog_type: def.prog_type,
            expected_attach_type: def.expected_attach_type,
        });
        opts.btf = Some(&typing);
        bpfbox_verifier::verify(&insns, &opts)
            .map(|_| ())
            .map_err(|d| d[0].kernel.clone().unwrap_or_else(|| d[0].message.clone()))
    }

    #[test]
    fn the_committed_tracers_verify_with_their_target_and_not_without() {
        let (obj, btf) = tracer();
        let kernel = bpfbox_progtype::Profile::builtin();
        for name in ["trace_entry", "trace_exit"] {
            let def = obj.program(name).unwrap();
            let insns = bpfbox_isa::decode(&def.insns).unwrap();
            let typing = TargetArgs::new(btf.clone(), def, ProgType::Xdp, "xdp_target");
            let typed =
                crate::engine::check_object_traced(&obj, def, &insns, kernel, Some(&typing));
            assert!(typed.is_ok(), "{name}: {:?}", typed.err());
            // without a target the argument is a number: no dereference
            let bare = crate::engine::check_object_on(&obj, def, &insns, kernel).unwrap_err();
            assert!(
                bare[0]
                    .kernel
                    .as_deref()
                    .unwrap_or("")
                    .contains("invalid mem access 'scalar'"),
                "{name}: {:?}",
                bare[0]
            );
        }
    }

    #[test]
    fn loads_through_the_kernel_ctx_follow_its_btf() {
        // xdp->rxq->dev->ifindex
        let chain = [
            ld(Size::DW, 2, 1, 0),
            ld(Size::DW, 3, 2, 32),
            ld(Size::DW, 4, 3, 0),
            ld(Size::W, 5, 4, 0),
        ];
        assert_eq!(check("trace_entry", &chain), Ok(()));
        let partial = [ld(Size::DW, 2, 1, 0), ld(Size::W, 3, 2, 36)];
        let e = check("trace_entry", &partial).unwrap_err();
        assert!(e.contains("access partial pointer"), "{e}");
        let beyond = [ld(Size::DW, 2, 1, 0), ld(Size::DW, 3, 2, 56)];
        let e = check("trace_entry", &beyond).unwrap_err();
        assert!(e.contains("access beyond struct xdp_buff"), "{e}");
        // a number loaded from the struct is not a pointer
        let frame_sz = [
            ld(Size::DW, 2, 1, 0),
            ld(Size::W, 3, 2, 48),
            ld(Size::W, 4, 3, 0),
        ];
        let e = check("trace_entry", &frame_sz).unwrap_err();
        assert!(e.contains("invalid mem access 'scalar'"), "{e}");
        let store = [
            ld(Size::DW, 2, 1, 0),
            Insn::Store {
                size: Size::DW,
                dst: 2,
                off: 0,
                src: Src::Imm(0),
            },
        ];
        assert!(check("trace_entry", &store).is_err());
    }

    #[test]
    fn fexit_has_the_return_value_fentry_has_one_argument() {
        let ret = [ld(Size::DW, 2, 1, 8)];
        assert_eq!(check("trace_exit", &ret), Ok(()));
        let e = check("trace_entry", &ret).unwrap_err();
        assert!(
            e.contains("func 'xdp_target' doesn't have 2-th argument"),
            "{e}"
        );
        let e = check("trace_exit", &[ld(Size::DW, 2, 1, 16)]).unwrap_err();
        assert!(e.contains("doesn't have 3-th argument"), "{e}");
    }
}

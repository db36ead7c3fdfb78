//! Tracing programs attached to a program bpfbox runs: fentry and fexit
//! (`BPF_PROG_TYPE_TRACING`, `BPF_TRACE_FENTRY`/`BPF_TRACE_FEXIT`) whose
//! target is a BPF program (libbpf: `bpf_program__set_attach_target(prog,
//! target_fd, "func")`), run as the kernel's BPF trampoline runs them:
//! every fentry program before the target with the target's arguments,
//! every fexit program after it with the arguments and the return value,
//! each in attachment order, in test runs (`BPF_PROG_TEST_RUN` drivers) and
//! event runs ([`super::run_with_ctx`]) alike.
//!
//! What the kernel does (Linux 6.18, kernel/bpf/trampoline.c, btf.c
//! `btf_ctx_access`, verifier.c `bpf_check_attach_target`): the tracing
//! program is loaded with `attach_prog_fd` = the target and
//! `attach_btf_id` = the target's BTF `FUNC` id; its context is an array
//! of u64 slots, one per argument of the target function, and for fexit
//! one more holding the return value (the whole 64-bit r0 the target
//! exits with). A BPF program's entry function has one argument, its
//! context; the verifier types that argument as the kernel's context
//! struct (`struct xdp_md *` → `struct xdp_buff *`, `struct __sk_buff *` →
//! `struct sk_buff *`), so the tracing program reads kernel memory
//! through BTF-typed pointers, whose loads cannot fault (`PROBE_MEM`). A
//! program the target tail-calls does not run its own trampoline here:
//! tracers run around the entry program of a run only.
//!
//! Measured on the reference VM (Linux 6.18.44, `CONFIG_DYNAMIC_FTRACE_
//! WITH_DIRECT_CALLS=y`, BTF readable): `BPF_PROG_LOAD` of any
//! fentry/fexit/fmod_ret program, and of freplace (`BPF_PROG_TYPE_EXT`),
//! fails with `EPERM` and no verifier log, whether the target is a BPF
//! program (`attach_prog_fd`) or a kernel function (`do_unlinkat`), and
//! even for a program the verifier would refuse (a ctx read at offset
//! 1600): the refusal comes before verification, from the machine, not
//! from the verifier. `tp_btf` programs (`BPF_TRACE_RAW_TP`) load. So on
//! that machine the kernel cannot run these programs side by side with
//! bpfbox; the tests compare with values known from the kernel's rules
//! and, for `bpf_xdp_output`, with the same perf sample an XDP program's
//! `bpf_perf_event_output` produces in the kernel (the kernel implements
//! both with one function, `bpf_xdp_event_output`).

use super::{map_host_memory, trap_error, unmap_host_memory, ExtraRegion, LoadedProgram};
use crate::helpers;
use crate::host::{HostState, PacketState};
use crate::kmem::{self, KernelMemory, KernelTypes};
use crate::testrun::TestRunError;
use crate::Error;
use bpfbox_interp::{RegionKind, Trap, Vm};
use bpfbox_object::btf::Btf;
use bpfbox_progtype::AttachType;
use std::sync::Arc;

/// When an attached tracing program runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TraceKind {
    /// Before the target, with its arguments (`BPF_TRACE_FENTRY`).
    Fentry,
    /// After the target, with its arguments and return value
    /// (`BPF_TRACE_FEXIT`).
    Fexit,
}

/// One tracing program attached to a target program.
#[derive(Debug)]
pub struct Attached {
    prog: LoadedProgram,
    kind: TraceKind,
    target: usize,
    target_type: crate::ProgType,
    types: KernelTypes,
}

impl Attached {
    /// The tracing program.
    pub fn prog(&self) -> &LoadedProgram {
        &self.prog
    }

    /// Fentry or fexit.
    pub fn kind(&self) -> TraceKind {
        self.kind
    }
}

fn identity(p: &LoadedProgram) -> usize {
    Arc::as_ptr(&p.prog) as usize
}

impl HostState {
    /// Attaches `tracer` (a TRACING program loaded with fentry or fexit as
    /// its expected attach type, its maps created in this host) to
    /// `target`: from now on every run of `target` in this host (test run
    /// or event) runs it. `btf` lays out the kernel structs the tracer reads (the BTF its
    /// CO-RE relocations were resolved against: the running kernel's when
    /// readable). Refused: a tracer that is not fentry/fexit, a target
    /// whose context bpfbox does not model as kernel memory.
    pub fn attach_tracing(
        &mut self,
        tracer: LoadedProgram,
        target: &LoadedProgram,
        btf: Arc<Btf>,
    ) -> Result<(), Error> {
        if tracer.prog_type != crate::ProgType::Tracing {
            return Err(Error::invalid(format!(
                "only TRACING programs attach to programs, not {}",
                tracer.prog_type.spec().name
            )));
        }
        let kind = match AttachType::from_id(tracer.expected_attach_type) {
            Some(AttachType::TraceFentry) => TraceKind::Fentry,
            Some(AttachType::TraceFexit) => TraceKind::Fexit,
            _ => {
                return Err(Error::unsupported(format!(
                    "tracing programs with expected attach type {} do not run on BPF programs in \
                     bpfbox (fentry and fexit do)",
                    tracer.expected_attach_type
                )))
            }
        };
        if kmem::kernel_ctx_struct(target.prog_type).is_none() {
            return Err(Error::unsupported(format!(
                "tracing programs attached to {} programs are not run by bpfbox yet",
                target.prog_type.spec().name
            )));
        }
        self.attached.push(Arc::new(Attached {
            prog: tracer,
            kind,
            target: identity(target),
            target_type: target.prog_type,
            types: KernelTypes::new(btf),
        }));
        Ok(())
    }

    /// The tracing programs attached to `target`, in attachment order.
    pub fn attached_to(&self, target: &LoadedProgram) -> Vec<Arc<Attached>> {
        let id = identity(target);
        self.attached
            .iter()
            .filter(|a| a.target == id)
            .cloned()
            .collect()
    }
}

/// The kernel memory the tracers of a run see: the run's packet as the
/// kernel's `xdp_buff`/`sk_buff`, or the target's context bytes when they
/// are the kernel struct (kprobe: `pt_regs`).
fn model(a: &Attached, host: &HostState, ctx: Option<&[u8]>) -> Option<KernelMemory> {
    let types = &a.types;
    if let (crate::ProgType::Kprobe, Some(ctx)) = (a.target_type, ctx) {
        return kmem::from_bytes(types, "pt_regs", ctx).ok();
    }
    match &host.packet {
        PacketState::Xdp(pkt) => {
            let rxq = host.xdp_rxq;
            kmem::xdp_buff(types, pkt, rxq.ifindex, rxq.queue, host.device(rxq.ifindex)).ok()
        }
        PacketState::Skb(s) => kmem::sk_buff(types, s, host).ok(),
        PacketState::None => None,
    }
}

/// Runs the `kind` tracers of `list` on the run's current state (`ctx`:
/// the target's context bytes, for targets whose context is the kernel
/// struct): ctx = [kernel ctx pointer] (fentry) or [kernel ctx pointer,
/// retval] (fexit). A tracer's trap ends the run with it (the kernel's
/// verifier would have refused the program).
pub(super) fn run_tracers(
    list: &[Arc<Attached>],
    kind: TraceKind,
    host: &mut HostState,
    ctx_bytes: Option<&[u8]>,
    retval: u64,
) -> Result<(), Trap> {
    for a in list.iter().filter(|a| a.kind == kind) {
        let mut mem = model(a, host, ctx_bytes).unwrap_or_default();
        let ptr = mem.ctx_addr();
        let mut ctx = Vec::with_capacity(16);
        ctx.extend_from_slice(&ptr.to_le_bytes());
        if kind == TraceKind::Fexit {
            ctx.extend_from_slice(&retval.to_le_bytes());
        }
        let mut extra: Vec<ExtraRegion<'_>> = mem
            .objects_mut()
            .iter_mut()
            .map(|o| ExtraRegion {
                bytes: o.bytes_mut(),
                writable: false,
                kind: RegionKind::ReadOnly,
            })
            .collect();
        host.traced_ctx = ptr;
        let r = super::run_with_ctx_untraced(&a.prog, host, &mut ctx, &mut extra);
        host.traced_ctx = 0;
        r?;
    }
    Ok(())
}

/// [`super::run_repeat`] for a target with tracers: each repetition runs
/// the fentry tracers, the target (in a VM of its own) and the fexit
/// tracers, in that order.
pub(super) fn run_repeat_traced(
    prog: &LoadedProgram,
    host: &mut HostState,
    repeat: u32,
    list: &[Arc<Attached>],
) -> Result<(u32, u32), TestRunError> {
    let repeat = repeat.max(1);
    let start = std::time::Instant::now();
    let mut last = 0u32;
    for _ in 0..repeat {
        run_tracers(list, TraceKind::Fentry, host, None, 0).map_err(trap_error)?;
        let r0 = run_once(prog, host)?;
        last = r0 as u32;
        run_tracers(list, TraceKind::Fexit, host, None, r0).map_err(trap_error)?;
    }
    let elapsed = start.elapsed().as_nanos();
    let mean = (elapsed / u128::from(repeat)).min(u128::from(u32::MAX)) as u32;
    Ok((last, mean))
}

/// One run of `prog` on the state in `host` (packet, ctx image); r0.
fn run_once(prog: &LoadedProgram, host: &mut HostState) -> Result<u64, TestRunError> {
    let mut h = std::mem::take(host);
    let mut mem = bpfbox_interp::Memory::new();
    let ctx_addr = map_host_memory(&mut h, &mut mem);
    let mut vm = Vm::new(mem, h, &prog.helpers, prog.config());
    let r =
        helpers::refresh_packet(&mut vm).and_then(|()| vm.run(&prog.prog, [ctx_addr, 0, 0, 0, 0]));
    helpers::absorb_ctx(&mut vm);
    let mut h = vm.host;
    unmap_host_memory(&mut h);
    *host = h;
    r.map_err(trap_error)
}

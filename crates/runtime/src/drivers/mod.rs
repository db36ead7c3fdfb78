//! The machinery test-run drivers (the kernel's `bpf_prog_ops.test_run`)
//! share, the drivers several types use, and the loaded program they run.
//!
//! [`test_run`] dispatches on the program type through its run-side table
//! ([`crate::types::ops_of`]): SOCKET_FILTER, SCHED_CLS, SCHED_ACT,
//! CGROUP_SKB, LWT_IN/OUT/XMIT use the skb runner ([`skb`],
//! `bpf_prog_test_run_skb`), the tracing types [`tracing`]; a driver only
//! one type uses lives in that type's module (XDP's in
//! [`crate::types::xdp::test_run`]). Types without a driver answer
//! `ENOTSUPP` (524) like the kernel does for types without a runner.

pub mod attached;
pub mod skb;
pub mod tracing;

use crate::avail::ProgType;
use crate::helpers;
pub use crate::helpers::MissingHelpers;
use crate::host::{HostState, Mapping};
use crate::testrun::{TestRunError, TestRunInput, TestRunOutput};
use crate::Error;
use bpfbox_interp::{Config, Helpers, Memory, Program, RegionKind, Trap, Vm};
use bpfbox_isa::{Insn, RawInsn};
use bpfbox_progtype::spec::{Runner as KernelRunner, TestRunSupport};
use bpfbox_progtype::Profile;
use std::sync::Arc;

/// A program ready to run: decoded instructions, type, expected attach
/// type and the helper table of its type.
pub struct LoadedProgram {
    /// The validated instructions.
    pub prog: Arc<Program>,
    /// Program type.
    pub prog_type: ProgType,
    /// `expected_attach_type` as given at load.
    pub expected_attach_type: u32,
    helpers: Helpers<HostState>,
}

impl std::fmt::Debug for LoadedProgram {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoadedProgram")
            .field("prog_type", &self.prog_type)
            .field("expected_attach_type", &self.expected_attach_type)
            .field("insns", &self.prog.len())
            .finish()
    }
}

impl LoadedProgram {
    /// Loads decoded (and already linked) instructions. Fails when the
    /// program calls a helper its type may not use (the kernel's verifier
    /// would reject it: `program of this type cannot use helper`) or one
    /// bpfbox does not implement.
    pub fn new(
        insns: Vec<Insn>,
        prog_type: ProgType,
        expected_attach_type: u32,
    ) -> Result<Self, Error> {
        Self::new_for(insns, prog_type, expected_attach_type, Profile::builtin())
    }

    /// [`LoadedProgram::new`] on the kernel `kernel` describes: refused
    /// where that kernel's verifier refuses the program's helper calls or
    /// type.
    pub fn new_for(
        insns: Vec<Insn>,
        prog_type: ProgType,
        expected_attach_type: u32,
        kernel: &Profile,
    ) -> Result<Self, Error> {
        Self::new_with(
            insns,
            prog_type,
            expected_attach_type,
            kernel,
            MissingHelpers::Refuse,
        )
    }

    /// [`LoadedProgram::new_for`], with calls of helpers `kernel` lacks
    /// treated as `missing` says ([`MissingHelpers::TrapIfReached`] after
    /// bpfbox's verifier accepted the program for `kernel`).
    pub fn new_with(
        insns: Vec<Insn>,
        prog_type: ProgType,
        expected_attach_type: u32,
        kernel: &Profile,
        missing: MissingHelpers,
    ) -> Result<Self, Error> {
        let prog = Program::new(insns).map_err(|e| Error::program(None, e))?;
        let helpers = helpers::table_for(&prog, prog_type, expected_attach_type, kernel, missing)?;
        Ok(LoadedProgram {
            prog: Arc::new(prog),
            prog_type,
            expected_attach_type,
            helpers,
        })
    }

    /// Decodes raw slots, then [`LoadedProgram::new`].
    pub fn from_raw(
        slots: &[RawInsn],
        prog_type: ProgType,
        expected_attach_type: u32,
    ) -> Result<Self, Error> {
        Self::from_raw_for(slots, prog_type, expected_attach_type, Profile::builtin())
    }

    /// [`LoadedProgram::from_raw`] on the kernel `kernel` describes.
    pub fn from_raw_for(
        slots: &[RawInsn],
        prog_type: ProgType,
        expected_attach_type: u32,
        kernel: &Profile,
    ) -> Result<Self, Error> {
        let insns = bpfbox_isa::decode(slots).map_err(|e| Error::program(None, e))?;
        Self::new_for(insns, prog_type, expected_attach_type, kernel)
    }

    /// Creates the object's maps in `host`, links program `name` against
    /// them ([`crate::link`]) and loads it with the type from its section,
    /// on the kernel `host.kernel` describes.
    pub fn from_object(
        host: &mut HostState,
        obj: &bpfbox_object::Object,
        name: &str,
    ) -> Result<Self, Error> {
        Self::from_object_with(host, obj, name, MissingHelpers::Refuse)
    }

    /// [`LoadedProgram::from_object`], with calls of helpers `host.kernel`
    /// lacks treated as `missing` says.
    pub fn from_object_with(
        host: &mut HostState,
        obj: &bpfbox_object::Object,
        name: &str,
        missing: MissingHelpers,
    ) -> Result<Self, Error> {
        let def = obj
            .program(name)
            .ok_or_else(|| Error::invalid(format!("no program {name} in the object")))?;
        ProgType::from_id(def.prog_type).ok_or_else(|| {
            Error::unsupported(format!(
                "program type {} is not run by bpfbox-runtime",
                def.prog_type
            ))
        })?;
        let idx = crate::link::create_maps(host, obj)?;
        Self::from_object_linked(host, obj, name, &idx, missing)
    }

    /// Links program `name` of `obj` against maps already in `host`
    /// (`idx[i]`: the host index of the object's map `i`), as a second
    /// program of an object whose maps exist shares them, and loads it.
    pub fn from_object_linked(
        host: &mut HostState,
        obj: &bpfbox_object::Object,
        name: &str,
        idx: &[usize],
        missing: MissingHelpers,
    ) -> Result<Self, Error> {
        let def = obj
            .program(name)
            .ok_or_else(|| Error::invalid(format!("no program {name} in the object")))?;
        let ty = ProgType::from_id(def.prog_type).ok_or_else(|| {
            Error::unsupported(format!(
                "program type {} is not run by bpfbox-runtime",
                def.prog_type
            ))
        })?;
        let insns = crate::link::link(host, def, idx)?;
        let kernel = host.kernel.clone();
        Self::new_with(insns, ty, def.expected_attach_type, &kernel, missing)
    }

    /// The interpreter configuration the program runs with: the
    /// kernel's `PROBE_MEM` loads for tracing programs (their loads
    /// through BTF-typed kernel pointers read 0 where they fault).
    pub fn config(&self) -> Config {
        Config {
            probe_mem: matches!(self.prog_type, ProgType::Tracing | ProgType::Lsm),
            ..Config::default()
        }
    }

    /// The helper table the program runs with.
    pub fn helpers(&self) -> &Helpers<HostState> {
        &self.helpers
    }

    /// `enum bpf_prog_type` id of the program.
    pub fn prog_type_id(&self) -> u32 {
        self.prog_type.id()
    }

    /// Kernel name of the program's type (`BPF_PROG_TYPE_XDP`).
    pub fn prog_type_name(&self) -> &'static str {
        self.prog_type.spec().name
    }
}

/// Runs `BPF_PROG_TEST_RUN` for `prog` against `host` with the kernel's
/// semantics for the program's type.
pub fn test_run(
    prog: &LoadedProgram,
    host: &mut HostState,
    input: &TestRunInput,
) -> Result<TestRunOutput, TestRunError> {
    match runner_for(prog.prog_type) {
        Some(run) => {
            // Every BPF_PROG_TEST_RUN call gets freshly allocated cgroup
            // storage (bpf_test_run's bpf_cgroup_storage_alloc).
            for m in &mut host.maps {
                m.reset_storage();
            }
            run(prog, host, input)
        }
        None => Err(TestRunError::new(
            crate::skb::errno::ENOTSUPP,
            format!(
                "bpfbox has no BPF_PROG_TEST_RUN runner for {}",
                prog.prog_type.spec().name
            ),
        )),
    }
}

/// A test-run driver (the kernel's `bpf_prog_ops.test_run`).
pub type Runner =
    fn(&LoadedProgram, &mut HostState, &TestRunInput) -> Result<TestRunOutput, TestRunError>;

/// The kernel test-run operation of a program type, from its data.
pub fn kernel_runner(ty: ProgType) -> Option<KernelRunner> {
    match ty.spec().test_run.default {
        TestRunSupport::Supported { runner, .. } => Some(runner),
        _ => None,
    }
}

/// The test-run driver for a program type, if bpfbox has one.
pub fn runner_for(ty: ProgType) -> Option<Runner> {
    crate::types::ops_of(ty).test_run
}

/// A trap while running: the kernel's verifier would have rejected the
/// program, so there is no kernel errno; reported as `EFAULT`.
fn trap_error(t: Trap) -> TestRunError {
    TestRunError::new(crate::skb::errno::EFAULT, format!("program trapped: {t}"))
}

/// Registers the run's memory in `mem`: the ctx image (`h.ctx_buf`), the
/// `struct bpf_sock` image, the map tokens and values and the packet;
/// records the mapping in `h.map` and returns the ctx's guest address.
fn map_host_memory(h: &mut HostState, mem: &mut Memory<'_>) -> u64 {
    let ctx_len = h.ctx_buf.len() * 8;
    let ctx_ptr = h.ctx_buf.as_mut_ptr().cast::<u8>();
    // SAFETY: ctx_buf, sk_buf and the packet buffer are heap storage owned
    // by `h`, which moves into the Vm and outlives `mem`; nothing resizes
    // them while the Vm lives, and helpers reach them only through `mem`
    // or through the LowBuf's raw pointer.
    let (ctx_id, ctx_addr) = unsafe { mem.add_raw(ctx_ptr, ctx_len, true, RegionKind::Ctx) };
    if !h.sk_buf.is_empty() {
        let sk_len = h.sk_buf.len() * 8;
        let sk_ptr = h.sk_buf.as_mut_ptr().cast::<u8>();
        // SAFETY: as above.
        let (_, sk_addr) = unsafe { mem.add_raw(sk_ptr, sk_len, false, RegionKind::ReadOnly) };
        h.map.sk = Some(sk_addr);
    }
    h.map.ctx = Some((ctx_id, ctx_addr));
    if !h.maps.is_empty() {
        let tokens = h.map_tokens.as_mut_ptr().cast::<u8>();
        let n = h.maps.len() * 8;
        // SAFETY: the token table is owned by `h` and never resized.
        unsafe { mem.add_raw(tokens, n, false, RegionKind::ReadOnly) };
        for m in &h.maps {
            let writable = crate::link::prog_writable(m);
            let kind = if writable {
                RegionKind::MapValue
            } else {
                RegionKind::ReadOnly
            };
            for (ptr, len) in m.value_regions() {
                // SAFETY: map storage stays put until `end_of_run`, called
                // by `unmap_host_memory` after the Vm is dropped.
                unsafe { mem.add_raw(ptr, len, writable, kind) };
            }
        }
    }
    if let Some(buf) = helpers::packet_buf(h) {
        let (ptr, len) = buf;
        // SAFETY: as above (the LowBuf mapping never moves).
        let (pid, _) = unsafe { mem.add_raw(ptr, len, true, RegionKind::Packet) };
        h.map.pkt = Some(pid);
    }
    ctx_addr
}

/// Undoes [`map_host_memory`] once the Vm is gone: forgets the mapping,
/// frees helper scratch buffers and ends the maps' run.
fn unmap_host_memory(h: &mut HostState) {
    h.map = Mapping::default();
    h.scratch.clear();
    for m in &mut h.maps {
        m.end_of_run();
    }
}

/// Runs the program `repeat` times (0 = 1) on the state in `host` (packet,
/// ctx image) and returns the last retval and the mean wall-clock
/// nanoseconds per run (like the kernel's `bpf_test_timer`: the time of the
/// whole loop divided by `repeat`, saturated to `u32`). `host.ctx_buf` must hold the ctx image; the packet region is the
/// current packet's buffer.
pub(crate) fn run_repeat(
    prog: &LoadedProgram,
    host: &mut HostState,
    repeat: u32,
) -> Result<(u32, u32), TestRunError> {
    let tracers = host.attached_to(prog);
    if !tracers.is_empty() {
        return attached::run_repeat_traced(prog, host, repeat, &tracers);
    }
    let repeat = repeat.max(1);
    let mut h = std::mem::take(host);
    let mut mem = Memory::new();
    let ctx_addr = map_host_memory(&mut h, &mut mem);
    let mut vm = Vm::new(mem, h, &prog.helpers, prog.config());
    let mut result = Ok((0u32, 0u32));
    let start = std::time::Instant::now();
    for _ in 0..repeat {
        if let Err(t) = helpers::refresh_packet(&mut vm) {
            result = Err(trap_error(t));
            break;
        }
        match vm.run(&prog.prog, [ctx_addr, 0, 0, 0, 0]) {
            Ok(r0) => {
                result = Ok((r0 as u32, 0));
            }
            Err(t) => {
                result = Err(trap_error(t));
                break;
            }
        }
        // absorb ctx stores made after the last helper call
        helpers::absorb_ctx(&mut vm);
    }
    let elapsed = start.elapsed().as_nanos();
    let mut h = vm.host;
    unmap_host_memory(&mut h);
    *host = h;
    let mean = (elapsed / u128::from(repeat)).min(u128::from(u32::MAX)) as u32;
    result.map(|(r, _)| (r, mean))
}

/// Memory a driver lends to one [`run_with_ctx`] besides the ctx and the
/// maps: a `bpf_sockopt` optval window, a memory image for
/// `probe_read_kernel`, a `struct bpf_sock` a ctx field points at. A guest
/// pointer is the host address, so the address of `bytes` (`bytes.as_ptr()
/// as u64`) is what the driver writes into the ctx image before the run.
#[derive(Debug)]
pub struct ExtraRegion<'a> {
    /// The memory; program stores land here when `writable`.
    pub bytes: &'a mut [u8],
    /// Whether the program and helpers may write it.
    pub writable: bool,
    /// What it holds (how helpers tell pointers apart).
    pub kind: RegionKind,
}

impl<'a> ExtraRegion<'a> {
    /// Guest address of the region's first byte.
    pub fn addr(&self) -> u64 {
        self.bytes.as_ptr() as usize as u64
    }
}

/// What one [`run_with_ctx`] produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CtxRun {
    /// r0 at exit.
    pub retval: u64,
    /// Instructions executed.
    pub insns: u64,
}

/// Runs `prog` once with the ctx image `ctx` (copied into an 8-aligned
/// buffer, passed in r1, and copied back so the caller sees the program's
/// ctx stores), the maps and any packet of `host`, and the `extra`
/// regions. The event drivers' common runner (the kernel's
/// `bpf_prog_run` at a hook). `host.map.prog_type` is set from `prog`;
/// host state other than the ctx image (maps, clock, trace, event state)
/// keeps what the run did to it.
///
/// Tracing programs attached to `prog` ([`HostState::attach_tracing`]) run
/// around it: fentry before, fexit after (with r0).
pub fn run_with_ctx(
    prog: &LoadedProgram,
    host: &mut HostState,
    ctx: &mut [u8],
    extra: &mut [ExtraRegion<'_>],
) -> Result<CtxRun, Trap> {
    let tracers = host.attached_to(prog);
    if tracers.is_empty() {
        return run_with_ctx_untraced(prog, host, ctx, extra);
    }
    attached::run_tracers(&tracers, attached::TraceKind::Fentry, host, Some(ctx), 0)?;
    let run = run_with_ctx_untraced(prog, host, ctx, extra)?;
    attached::run_tracers(
        &tracers,
        attached::TraceKind::Fexit,
        host,
        Some(ctx),
        run.retval,
    )?;
    Ok(run)
}

/// [`run_with_ctx`] without the attached tracing programs.
pub(crate) fn run_with_ctx_untraced(
    prog: &LoadedProgram,
    host: &mut HostState,
    ctx: &mut [u8],
    extra: &mut [ExtraRegion<'_>],
) -> Result<CtxRun, Trap> {
    let mut h = std::mem::take(host);
    let saved_ctx = std::mem::take(&mut h.ctx_buf);
    h.ctx_buf = vec![0u64; ctx.len().div_ceil(8).max(1)];
    for (i, c) in ctx.chunks(8).enumerate() {
        let mut w = [0u8; 8];
        w[..c.len()].copy_from_slice(c);
        h.ctx_buf[i] = u64::from_le_bytes(w);
    }
    h.map.prog_type = prog.prog_type.id();
    h.map.ld_abs = false;
    let mut mem = Memory::new();
    let ctx_addr = map_host_memory(&mut h, &mut mem);
    // The ctx region must be exactly the ctx's size (the buffer is rounded
    // up to whole words): narrow its window.
    if let Some((id, addr)) = h.map.ctx {
        mem.set_window(id, addr, ctx.len() as u64)?;
    }
    for r in extra.iter_mut() {
        if r.writable {
            mem.add(&mut *r.bytes, r.kind);
        } else {
            mem.add_readonly(&*r.bytes, r.kind);
        }
    }
    let mut vm = Vm::new(mem, h, &prog.helpers, prog.config());
    let result = vm.run(&prog.prog, [ctx_addr, 0, 0, 0, 0]).map(|r0| CtxRun {
        retval: r0,
        insns: vm.insns_executed(),
    });
    let mut h = vm.host;
    for (i, c) in ctx.chunks_mut(8).enumerate() {
        let w = h.ctx_buf[i].to_le_bytes();
        let n = c.len();
        c.copy_from_slice(&w[..n]);
    }
    unmap_host_memory(&mut h);
    h.ctx_buf = saved_ctx;
    *host = h;
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use bpfbox_isa::RawInsn;

    #[test]
    fn duration_is_wall_clock_ns_per_run() {
        // r0 = 0; r1 = 2000; loop: r1 -= 1; if r1 != 0 goto loop; r0 = 2; exit
        let slots = [
            RawInsn::new(0xb7, 0, 0, 0, 0),
            RawInsn::new(0xb7, 1, 0, 0, 2000),
            RawInsn::new(0x17, 1, 0, 0, 1),
            RawInsn::new(0x55, 1, 0, -2, 0),
            RawInsn::new(0xb7, 0, 0, 0, 2),
            RawInsn::new(0x95, 0, 0, 0, 0),
        ];
        let prog = LoadedProgram::from_raw(&slots, ProgType::Xdp, 0).unwrap();
        let mut host = HostState::default();
        let input = TestRunInput {
            data_in: vec![0; 64],
            repeat: 50,
            ..Default::default()
        };
        let start = std::time::Instant::now();
        let out = test_run(&prog, &mut host, &input).unwrap();
        let total = start.elapsed().as_nanos() as u64;
        assert_eq!(out.retval, 2);
        // 6000 instructions per run take well over 1 ns each; the mean
        // cannot exceed the whole call's time divided by repeat
        assert!(out.duration_ns > 0);
        assert!(u64::from(out.duration_ns) <= total / 50 + 1);
    }
}

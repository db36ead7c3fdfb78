//! The virtual machine: memory, host state, helper table, configuration and
//! the state of the current run (frames, budget, tail calls). The
//! instruction loop itself is in [`crate::exec`].

use crate::exec::Flow;
use crate::helpers::Helpers;
use crate::memory::{MemFault, Memory, RegionId};
use crate::program::Program;
use crate::trap::Trap;
use std::sync::Arc;

/// The kernel's `may_goto` loop budget per function invocation
/// (`BPF_MAX_LOOPS` in include/linux/bpf.h), as the kernel's interpreter
/// applies it. Note: the x86-64 JIT of Linux 6.18 uses the *timed* variant
/// instead (`arch_bpf_timed_may_goto`): measured on this kernel, a bare
/// `may_goto` loop ran 820 million iterations, stopping after 250 ms.
/// bpfbox keeps the deterministic count.
pub const MAY_GOTO_BUDGET: u64 = 8 * 1024 * 1024;

/// The kernel's bound on chained tail calls (`MAX_TAIL_CALL_CNT`); the
/// tail-call helper enforces it with [`Vm::tail_call_count`].
pub const MAX_TAIL_CALL_CNT: u32 = 33;

/// Upper bound on [`Config::max_call_depth`] (larger values are clamped).
pub const MAX_CALL_DEPTH_LIMIT: usize = 64;

/// Upper bound on [`Config::stack_size`] (larger values are clamped).
pub const MAX_STACK_SIZE: usize = 1 << 20;

/// A per-instruction trace callback: slot index, the instruction about to
/// run, and `r0..r10` before it runs. See [`Vm::set_tracer`]. It is `Send`
/// so that a [`Vm`] stays `Send` when its host state is.
pub type Tracer<'a> = Box<dyn FnMut(usize, &bpfbox_isa::Insn, &[u64]) + Send + 'a>;

/// Run limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Config {
    /// Instructions one [`Vm::run`] may execute, counting tail-called
    /// programs and callbacks. Default `1 << 26` (about 67 million, well
    /// under a second): far above what the verifier lets a program do
    /// (1 million verified instructions, 8M `bpf_loop` iterations of short
    /// callbacks excepted), low enough to stop a runaway unverified program.
    pub insn_limit: u64,
    /// Frames that may be live at once, the main program's included
    /// (the kernel's `MAX_CALL_FRAMES` = 8). A call that would create frame
    /// `max_call_depth + 1` traps with [`Trap::CallDepth`]. Clamped to
    /// `1..=`[`MAX_CALL_DEPTH_LIMIT`].
    pub max_call_depth: usize,
    /// Stack bytes per frame (the kernel's `MAX_BPF_STACK` = 512). Clamped
    /// to [`MAX_STACK_SIZE`].
    pub stack_size: usize,
    /// Loads that fault read 0 instead of trapping: the kernel's
    /// `BPF_PROBE_MEM` loads, which its verifier emits for loads through
    /// BTF-typed kernel pointers of tracing programs (the exception table
    /// clears the destination register). Every access is still checked:
    /// memory outside the registered regions is never read. Default off.
    pub probe_mem: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            insn_limit: 1 << 26,
            max_call_depth: 8,
            stack_size: 512,
            probe_mem: false,
        }
    }
}

/// Saved state of a caller while a bpf-to-bpf call runs; also the
/// per-invocation `may_goto` counter (the kernel keeps it in a stack slot
/// of each sub-program's frame, set in the sub-program's prologue).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Frame {
    pub(crate) ret_pc: usize,
    pub(crate) saved: [u64; 4],
    pub(crate) loops: u64,
}

impl Frame {
    fn new(ret_pc: usize, saved: [u64; 4]) -> Self {
        Frame {
            ret_pc,
            saved,
            loops: MAY_GOTO_BUDGET,
        }
    }
}

/// An eBPF virtual machine.
///
/// Register conventions (Linux): `r1..r5` are arguments, `r0` the return
/// value, `r6..r9` callee-saved, `r10` the read-only frame pointer pointing
/// one past the top of the current 512-byte frame. After a helper call,
/// `r1..r5` keep their values (the kernel's interpreter does not scrub them
/// either; the verifier forbids reading them).
pub struct Vm<'a, H> {
    /// Guest memory; helpers read and write program memory through it.
    pub mem: Memory<'a>,
    /// Host state for helpers (maps, output buffers, clocks, ...).
    pub host: H,
    pub(crate) helpers: &'a Helpers<H>,
    pub(crate) config: Config,
    pub(crate) frames: Vec<Frame>,
    /// Instructions left in the current run; synced with the loop's local
    /// copy around helper calls.
    pub(crate) budget: u64,
    /// Slot of the call being serviced (valid inside a helper).
    pub(crate) pc: usize,
    pub(crate) helper_id: i32,
    pub(crate) prog: Option<Arc<Program>>,
    pub(crate) pending_tail: Option<Arc<Program>>,
    tail_calls: u32,
    pub(crate) ld_abs: (u64, u64),
    pub(crate) ld_abs_headers: Option<(u64, u64)>,
    pub(crate) stack_id: RegionId,
    pub(crate) stack_top: u64,
    running: bool,
    pub(crate) tracer: Option<Tracer<'a>>,
    /// Callbacks (`call_function`) running; tail calls are refused in them.
    pub(crate) callbacks: u32,
    /// Sub-program frames a tail-called program currently runs in: each
    /// allows one more frame, since the kernel's frame limit bounds one
    /// program's call graph, not a chain of tail calls.
    pub(crate) tail_frames: usize,
}

impl<'a, H> Vm<'a, H> {
    /// A VM over `mem` (which gains a stack region), with helpers and limits.
    pub fn new(mem: Memory<'a>, host: H, helpers: &'a Helpers<H>, config: Config) -> Self {
        let config = Config {
            insn_limit: config.insn_limit,
            max_call_depth: config.max_call_depth.clamp(1, MAX_CALL_DEPTH_LIMIT),
            stack_size: config.stack_size.min(MAX_STACK_SIZE),
            probe_mem: config.probe_mem,
        };
        let mut vm = Vm {
            mem,
            host,
            helpers,
            config,
            frames: Vec::with_capacity(config.max_call_depth),
            budget: config.insn_limit,
            pc: 0,
            helper_id: 0,
            prog: None,
            pending_tail: None,
            tail_calls: 0,
            ld_abs: (0, 0),
            ld_abs_headers: None,
            stack_id: RegionId(0),
            stack_top: 0,
            running: false,
            tracer: None,
            callbacks: 0,
            tail_frames: 0,
        };
        vm.install_stack();
        vm
    }

    fn install_stack(&mut self) {
        // Room for the frames tail calls from sub-programs can stack up.
        let frames = self.config.max_call_depth + MAX_TAIL_CALL_CNT as usize;
        let bytes = frames * self.config.stack_size;
        let (id, top) = self.mem.ensure_stack(bytes);
        self.stack_id = id;
        self.stack_top = top;
    }

    /// Installs (or removes) a callback run before every instruction, for
    /// `--trace` style output. Tracing uses a separate copy of the
    /// instruction loop, so an untraced VM pays nothing for it.
    pub fn set_tracer(&mut self, tracer: Option<Tracer<'a>>) {
        self.tracer = tracer;
    }

    /// The (clamped) configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The helper table.
    pub fn helpers(&self) -> &'a Helpers<H> {
        self.helpers
    }

    /// The stack region and its top (the main frame's `r10`).
    pub fn stack(&self) -> (RegionId, u64) {
        (self.stack_id, self.stack_top)
    }

    /// Runs `prog` with `r1..r5 = args` until its main function exits;
    /// returns `r0`. A helper's [`Trap::Unwind`] also ends the run with
    /// `Ok`. Must not be called from a helper (use [`Vm::call_function`]).
    pub fn run(&mut self, prog: &Arc<Program>, args: [u64; 5]) -> Result<u64, Trap> {
        if self.running {
            return Err(Trap::Reentrant);
        }
        self.running = true;
        let r = self.run_main(prog, args);
        self.running = false;
        self.frames.clear();
        self.pending_tail = None;
        self.callbacks = 0;
        self.tail_frames = 0;
        r
    }

    fn run_main(&mut self, prog: &Arc<Program>, args: [u64; 5]) -> Result<u64, Trap> {
        // Registers first: by the time the loop copies them into its locals
        // these stores have left the store buffer (a 16-byte load spanning
        // two pending 8-byte stores would stall on store forwarding).
        let mut regs = [0u64; 11];
        regs[1..6].copy_from_slice(&args);
        // The memory is a public field and may have been replaced.
        self.install_stack();
        self.budget = self.config.insn_limit;
        self.tail_calls = 0;
        self.pending_tail = None;
        self.frames.clear();
        self.frames.push(Frame::new(usize::MAX, [0; 4]));
        let top = self.stack_top;
        self.mem.zero_stack(top, self.config.stack_size as u64);
        self.sync_stack_window();
        regs[10] = top;
        // The last program stays in `self.prog` between runs, so running
        // the same program again costs no reference-count traffic.
        if !self.prog.as_ref().is_some_and(|p| Arc::ptr_eq(p, prog)) {
            self.prog = Some(Arc::clone(prog));
        }
        let mut tail: Option<Arc<Program>> = None;
        loop {
            let cur: &Program = tail.as_deref().unwrap_or(prog);
            match self.execute(cur, 0, &mut regs, 0) {
                Ok(Flow::Exit(v)) | Err(Trap::Unwind(v)) => return Ok(v),
                Ok(Flow::TailCall(next, ctx)) => {
                    // Unwind every frame; the main frame's stack and r0,
                    // r2..r9 are left as they are (the kernel jumps
                    // without clearing either).
                    if let Some(f) = self.frames.first_mut() {
                        f.loops = MAY_GOTO_BUDGET;
                    }
                    self.frames.truncate(1);
                    self.sync_stack_window();
                    regs[1] = ctx;
                    regs[10] = top;
                    self.prog = Some(Arc::clone(&next));
                    tail = Some(next);
                }
                Err(t) => return Err(t),
            }
        }
    }

    /// `r10` of frame `depth` (0 = main).
    #[inline(always)]
    pub(crate) fn frame_pointer(&self, depth: usize) -> u64 {
        self.stack_top
            .wrapping_sub((depth as u64).wrapping_mul(self.config.stack_size as u64))
    }

    /// Makes the stack window cover exactly the live frames, so an access
    /// below the current frame traps.
    pub(crate) fn sync_stack_window(&mut self) {
        let live = self.frames.len().max(1) as u64 * self.config.stack_size as u64;
        let start = self.stack_top.wrapping_sub(live);
        // Cannot fail: the stack holds max_call_depth frames and frames
        // never exceed that; a failure would only leave the old window.
        let _ = self.mem.set_window(self.stack_id, start, live);
    }

    /// Pushes a frame for a call at `pc` returning to `ret_pc`; saves
    /// `r6..r9`, zeroes the new frame and returns its `r10`.
    #[inline(never)]
    pub(crate) fn push_frame(
        &mut self,
        pc: usize,
        ret_pc: usize,
        saved: [u64; 4],
    ) -> Result<u64, Trap> {
        let depth = self.frames.len();
        if depth >= self.config.max_call_depth + self.tail_frames {
            return Err(Trap::call_depth(pc));
        }
        let fp = self.frame_pointer(depth);
        self.frames.push(Frame::new(ret_pc, saved));
        self.mem.zero_stack(fp, self.config.stack_size as u64);
        self.sync_stack_window();
        Ok(fp)
    }

    /// Runs the current program's function at slot `target` in a new frame
    /// with `r1..r5 = args` and returns its `r0`. For helpers that call
    /// back into the program (`bpf_loop`, `bpf_for_each_map_elem`, timers):
    /// `target` is the slot the program passed, see [`crate::func_slot`].
    /// The callback shares the run's instruction budget and frame limit.
    /// Outside a run this fails with [`Trap::BadCallTarget`].
    pub fn call_function(&mut self, target: usize, args: [u64; 5]) -> Result<u64, Trap> {
        let pc = self.pc;
        let helper_id = self.helper_id;
        let prog = match &self.prog {
            Some(p) if self.running => Arc::clone(p),
            _ => return Err(Trap::bad_call_target(pc, target as u64)),
        };
        if !prog.is_entry(target) {
            return Err(Trap::bad_call_target(pc, target as u64));
        }
        let base = self.frames.len();
        let mut regs = [0u64; 11];
        regs[1..6].copy_from_slice(&args);
        regs[10] = self.push_frame(pc, usize::MAX, [0; 4])?;
        self.callbacks += 1;
        let r = self.execute(&prog, target, &mut regs, base);
        self.callbacks -= 1;
        self.frames.truncate(base);
        self.sync_stack_window();
        self.pc = pc;
        self.helper_id = helper_id;
        match r {
            Ok(Flow::Exit(v)) => Ok(v),
            Ok(Flow::TailCall(..)) => Err(Trap::tail_call_in_callback(pc)),
            Err(t) => Err(t),
        }
    }

    /// Helper side of `bpf_tail_call`: once the helper returns `Ok`, the VM
    /// unwinds all frames and continues at slot 0 of `prog` with `r1` = the
    /// helper's first argument. The caller enforces [`MAX_TAIL_CALL_CNT`]
    /// with [`Vm::tail_call_count`] / [`Vm::set_tail_call_count`].
    pub fn request_tail_call(&mut self, prog: Arc<Program>) {
        self.pending_tail = Some(prog);
    }

    /// Tail calls taken in the current run (reset to 0 by [`Vm::run`]).
    pub fn tail_call_count(&self) -> u32 {
        self.tail_calls
    }

    /// Sets the tail-call counter (the tail-call helper increments it).
    pub fn set_tail_call_count(&mut self, n: u32) {
        self.tail_calls = n;
    }

    /// The packet `LD_ABS`/`LD_IND` read from: `len` bytes at `data_addr`
    /// (which must lie in a region). An access past `len` (or at a
    /// negative offset other than those of [`Vm::set_ld_abs_headers`])
    /// ends the current function with `r0 = 0`, as the kernel's
    /// `bpf_gen_ld_abs` rewrite does; loads are big-endian.
    pub fn set_ld_abs_source(&mut self, data_addr: u64, len: u64) {
        self.ld_abs = (data_addr, len);
    }

    /// Where the link-layer (mac) and network headers are, for the
    /// negative `LD_ABS`/`LD_IND` offsets `SKF_LL_OFF + k` and
    /// `SKF_NET_OFF + k`; without them every negative offset misses.
    pub fn set_ld_abs_headers(&mut self, mac_addr: u64, net_addr: u64) {
        self.ld_abs_headers = Some((mac_addr, net_addr));
    }

    /// Instructions executed by the current (or last) run, including tail
    /// calls and callbacks. Inside a helper it is exact up to the call.
    pub fn insns_executed(&self) -> u64 {
        self.config.insn_limit - self.budget.min(self.config.insn_limit)
    }

    /// Slot of the helper call being serviced (inside a helper).
    pub fn pc(&self) -> usize {
        self.pc
    }

    /// Id of the helper being serviced (BTF id for a kfunc).
    pub fn helper_id(&self) -> i32 {
        self.helper_id
    }

    /// Live frames (1 while the main function runs).
    pub fn call_depth(&self) -> usize {
        self.frames.len()
    }

    /// The program being run (the tail-called one after a tail call); after
    /// a run, the last program run.
    pub fn current_program(&self) -> Option<&Arc<Program>> {
        self.prog.as_ref()
    }

    /// A [`Trap::Helper`] for the helper being serviced.
    #[cold]
    pub fn helper_error(&self, code: i32) -> Trap {
        Trap::Helper {
            pc: self.pc,
            id: self.helper_id,
            code,
        }
    }

    /// A [`Trap::OutOfBounds`] at the current helper call for a failed
    /// access a helper made.
    #[cold]
    pub fn mem_trap(&self, f: MemFault) -> Trap {
        Trap::oob(self.pc, f.addr, f.len, f.write)
    }
}

impl<H: std::fmt::Debug> std::fmt::Debug for Vm<'_, H> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vm")
            .field("mem", &self.mem)
            .field("host", &self.host)
            .field("config", &self.config)
            .field("depth", &self.frames.len())
            .finish_non_exhaustive()
    }
}

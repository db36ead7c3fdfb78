//! The abstract interpreter: the kernel's path-by-path walk (`do_check`)
//! over typed register states, with state pruning at jump targets, the
//! 1M processed-instruction limit, bpf-to-bpf calls with the caller's
//! state, callbacks, reference tracking and the exit checks.
//!
//! Modules: [`tnum`] and [`scalar`] (numbers), [`state`] (registers,
//! stack, references), [`alu`], [`mem`], [`call`], [`branch`], [`prune`],
//! [`walk`] (the instruction loop) and [`exit`].

// A `Fail` ends the walk (one per verification), so its size does not
// matter for speed.
#![allow(clippy::result_large_err)]

pub mod alu;
pub mod branch;
pub mod call;
pub mod dynptr;
pub mod exit;
pub mod global;
pub mod live;
pub mod lock;
pub mod mem;
pub mod precise;
pub mod prune;
pub mod scalar;
pub mod state;
pub mod tnum;
pub mod walk;

use crate::cfg::Cfg;
use crate::diag::Code;
use crate::options::{MapInfo, Options};
use bpfbox_isa::Insn;
use bpfbox_progtype::{AttachType, ProgTypeSpec};
use state::State;

/// What kind of memory an instruction accesses on every path that
/// reaches it (for a JIT: such an access needs no run-time check).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MemKind {
    /// The stack, in bounds.
    Stack,
    /// The context, a field the type allows.
    Ctx,
    /// Packet data inside the checked range.
    Packet,
    /// A map value or key inside its size.
    MapValue,
    /// Sized memory (ring buffer record) inside its size.
    Mem,
    /// A socket, flow keys or kernel object field.
    Other,
    /// Different kinds on different paths.
    Mixed,
}

/// Facts about one instruction, proven on every path the walk took.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default, serde::Serialize)]
pub struct InsnFact {
    /// Reached by some path.
    pub reached: bool,
    /// For loads, stores and atomics: the memory accessed, proven in
    /// bounds.
    pub mem: Option<MemKind>,
}

/// A refusal found by the walk, converted to a [`crate::Diagnostic`] by
/// the report module.
#[derive(Clone, Debug)]
pub struct Fail {
    /// Instruction.
    pub pc: usize,
    /// Code.
    pub code: Code,
    /// The kernel's message.
    pub kernel: String,
    /// A further kernel log line.
    pub detail: Option<String>,
    /// The register at fault.
    pub reg: Option<u8>,
    /// What to write instead.
    pub help: Option<String>,
    /// The register's state when it failed, as text.
    pub what: Option<String>,
    /// Where the register got its value.
    pub def: Option<usize>,
    /// Branches taken on the way, most recent last: (jump slot, taken).
    pub branches: Vec<(usize, bool)>,
}

impl Fail {
    /// Names the register.
    pub fn reg(mut self, r: u8) -> Fail {
        self.reg = Some(r);
        self
    }

    /// Adds a help line.
    pub fn help(mut self, h: String) -> Fail {
        self.help = Some(h);
        self
    }

    /// Adds a further kernel line.
    pub fn detail(mut self, d: String) -> Fail {
        self.detail = Some(d);
        self
    }
}

/// The walk's context.
pub struct Walk<'a> {
    insns: &'a [Insn],
    cfg: &'a Cfg,
    opts: &'a Options<'a>,
    spec: Option<&'static ProgTypeSpec>,
    attach: Option<AttachType>,
    id_gen: u32,
    /// Per function, the deepest stack byte used.
    stack_depth: Vec<u32>,
    /// Per instruction, what the walk proved.
    facts: Vec<InsnFact>,
    /// Register of the store being checked (for linking spilled scalars).
    store_src: Option<u8>,
    /// Per frame-register, where it was last written (for diagnostics).
    defs: Vec<[usize; 11]>,
    /// Branch history of the current path.
    history: Vec<(usize, bool)>,
    /// Per function, whether it is a global function some call reached.
    globals_called: Vec<bool>,
    /// Static liveness and precision, for pruning.
    live: live::Live,
    /// Per function, the lowest stack offset accessed through a pointer
    /// other than `r10` that stack liveness assumes.
    escaped: Vec<i64>,
    /// The walk accessed a stack below `escaped`: its pruning assumed too
    /// little, so it is run again (see [`run`]).
    escape_grew: bool,
    /// Instructions processed.
    processed: u64,
    /// Instructions and jumps processed since the latest checkpoint was
    /// stored.
    since_checkpoint: (u32, u32),
    /// The current path's instructions since its latest checkpoint.
    trail: precise::Trail,
    /// Registers the current instruction needs precise.
    need: precise::Bits,
    /// The stack slot the current instruction accessed at a constant
    /// offset: frame, slot, all 8 bytes.
    slot_access: Option<(u8, u8, bool)>,
    /// The current instruction is an `exit` from a callback.
    callback_exit: bool,
    /// The instruction just walked was an `exit` from a callback back to
    /// its call (to run it again).
    back_to_call: bool,
    /// The current conditional jump's linked registers and slots.
    jump_links: Option<Box<precise::Bits>>,
    /// Kernel-style log lines, when asked for.
    log: Option<Vec<String>>,
}

/// The result of a successful walk.
#[derive(Clone, Debug, Default)]
pub struct Outcome {
    /// Per instruction facts.
    pub facts: Vec<InsnFact>,
    /// Instructions processed (the kernel's "processed N insns").
    pub processed: u64,
    /// Per function stack depth.
    pub stack_depth: Vec<u32>,
    /// Kernel-style state log, when asked for.
    pub log: Vec<String>,
}

impl<'a> Walk<'a> {
    fn new(insns: &'a [Insn], cfg: &'a Cfg, opts: &'a Options<'a>, want_log: bool) -> Walk<'a> {
        let spec = opts.prog.and_then(|p| bpfbox_progtype::by_id(p.prog_type));
        let attach = match (spec, opts.prog) {
            (Some(s), Some(p)) => s.normalize_attach(p.expected_attach_type).ok().flatten(),
            _ => None,
        };
        Walk {
            insns,
            cfg,
            opts,
            spec,
            attach,
            id_gen: 0,
            stack_depth: vec![0; cfg.funcs.len()],
            facts: vec![InsnFact::default(); insns.len()],
            store_src: None,
            defs: Vec::new(),
            history: Vec::new(),
            globals_called: vec![false; cfg.funcs.len()],
            live: live::Live::default(),
            escaped: vec![0; cfg.funcs.len()],
            escape_grew: false,
            processed: 0,
            since_checkpoint: (0, 0),
            trail: Vec::new(),
            need: precise::Bits::default(),
            slot_access: None,
            callback_exit: false,
            back_to_call: false,
            jump_links: None,
            log: want_log.then(Vec::new),
        }
    }

    fn fail(&self, pc: usize, code: Code, kernel: String) -> Fail {
        Fail {
            pc,
            code,
            kernel,
            detail: None,
            reg: None,
            help: None,
            what: None,
            def: None,
            branches: self.history.clone(),
        }
    }

    fn new_id(&mut self) -> u32 {
        self.id_gen += 1;
        self.id_gen
    }

    fn map(&self, m: u32) -> MapInfo {
        self.opts
            .maps
            .get(m as usize)
            .copied()
            .unwrap_or(MapInfo::UNKNOWN)
    }

    fn note_mem(&mut self, pc: usize, k: MemKind) {
        let f = &mut self.facts[pc];
        f.mem = match f.mem {
            None => Some(k),
            Some(old) if old == k => Some(k),
            Some(_) => Some(MemKind::Mixed),
        };
    }

    /// Notes a stack access of `frame` at offset `lo` through a pointer
    /// other than that frame's `r10`.
    fn note_escape(&mut self, st: &State, frame: usize, lo: i64) {
        let Some(f) = st.frames.get(frame).map(|f| f.func) else {
            return;
        };
        if let Some(e) = self.escaped.get_mut(f) {
            if lo < *e {
                *e = lo;
                self.escape_grew = true;
            }
        }
    }

    /// The current instruction needs register `r` of the current frame
    /// precise, if it holds a number.
    ///
    /// Every check or choice the walk makes from a number's value (rather
    /// than its type) must say so here or with [`Walk::need_slot`]:
    /// pruning treats the numbers of a state nobody asked for as
    /// interchangeable (module [`precise`]).
    fn need_scalar(&mut self, st: &State, r: u8) {
        if st.reg(r).ty == state::Ty::Scalar {
            self.need.add_reg(st.frames.len() - 1, r);
        }
    }

    /// The current instruction needs the number in the stack slot of
    /// `frame` holding offset `off` exact.
    fn need_slot(&mut self, frame: usize, off: i64) {
        let slot = (-off - 1) / 8;
        if let Some(f) = self.need.0.get_mut(frame) {
            if (0..64).contains(&slot) {
                f.stack |= 1 << slot;
            }
        }
    }

    /// The current instruction accessed the stack of `frame` at the
    /// constant offset `off` (`whole`: all 8 bytes of its slot).
    fn note_slot(&mut self, frame: usize, off: i64, whole: bool) {
        let slot = (-off - 1) / 8;
        if (0..64).contains(&slot) && frame < precise::FRAMES {
            self.slot_access = Some((frame as u8, slot as u8, whole));
        }
    }

    fn set_def(&mut self, st: &State, r: u8, pc: usize) {
        let depth = st.frames.len() - 1;
        if self.defs.len() <= depth {
            self.defs.resize(depth + 1, [usize::MAX; 11]);
        }
        self.defs[depth][r as usize] = pc;
    }
}

/// The state log of the walk up to its end or first error.
pub fn run_log(insns: &[Insn], cfg: &Cfg, opts: &Options<'_>) -> Vec<String> {
    let (mut w, r) = walk(insns, cfg, opts, true);
    let mut log = w.log.take().unwrap_or_default();
    if let Err(f) = r {
        log.push(f.kernel);
    }
    log.push(format!("processed {} insns (limit 1000000)", w.processed));
    log
}

/// Walks until the stack regions reached through pointers other than
/// `r10` are the ones the walk's stack liveness assumed (a walk that
/// finds more starts again with them; a few rounds at most).
fn walk<'a>(
    insns: &'a [Insn],
    cfg: &'a Cfg,
    opts: &'a Options<'a>,
    want_log: bool,
) -> (Walk<'a>, Result<(), Fail>) {
    // First guess: the offsets of `rX = r10; rX += c` (how compilers take
    // a stack address), so that a second walk is rarely needed.
    let mut escaped = vec![0; cfg.funcs.len()];
    for (pc, pair) in insns.windows(2).enumerate() {
        if let [Insn::Alu {
            op: bpfbox_isa::AluOp::Mov,
            dst,
            src: bpfbox_isa::Src::Reg(10),
            ..
        }, Insn::Alu {
            op: bpfbox_isa::AluOp::Add,
            dst: d2,
            src: bpfbox_isa::Src::Imm(c),
            ..
        }] = pair
        {
            let f = cfg.func_of.get(pc).copied().unwrap_or(0);
            if dst == d2 && (*c as i64) < escaped[f] {
                escaped[f] = (*c as i64).max(-512);
            }
        }
    }
    loop {
        let mut w = Walk::new(insns, cfg, opts, want_log);
        w.escaped = escaped;
        let r = w.explore();
        if !w.escape_grew {
            return (w, r);
        }
        escaped = w.escaped.clone();
    }
}

/// Runs the walk. `Err` holds the first refusal, as the kernel stops at
/// its first error.
pub fn run(
    insns: &[Insn],
    cfg: &Cfg,
    opts: &Options<'_>,
    want_log: bool,
) -> Result<Outcome, Box<Fail>> {
    let (w, r) = walk(insns, cfg, opts, want_log);
    r.map_err(Box::new)?;
    exit::check_stack_depth(&w)?;
    Ok(Outcome {
        facts: w.facts,
        processed: w.processed,
        stack_depth: w.stack_depth,
        log: w.log.unwrap_or_default(),
    })
}

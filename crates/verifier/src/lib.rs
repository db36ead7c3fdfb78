//! bpfbox-verifier: the first layer of bpfbox's eBPF verifier, the checks of
//! the Linux verifier (kernel/bpf/verifier.c) that need no type tracking,
//! reported as rustc-style diagnostics.
//!
//! Input: a decoded program (`&[Insn]`, one entry per slot, as
//! [`bpfbox_isa::decode()`] returns it) and [`Options`] (registers set at
//! entry, which optional forms are allowed). Output: `Ok(())` or every
//! [`Diagnostic`] found, the one the kernel would report first (as far as
//! this layer can tell) at the front.
//!
//! Passes, in the kernel's order, each in its own module:
//!
//! 0. `shape`: the list is a well-formed decoded program (stops here if
//!    not);
//! 1. `cfg`: functions (`check_subprogs`), jumps that leave their
//!    function, the last instruction of each function (stops here if
//!    either fails), unreachable instructions and back-edges (`check_cfg`),
//!    call nesting, and the forms the options forbid (bpf-to-bpf calls,
//!    `callx`, `LD_ABS`/`LD_IND`);
//! 2. `regs` over the dataflow of `flow`: reads of uninitialised
//!    registers ("R%d !read_ok"), with the kernel's dead-branch pruning for
//!    known constants;
//! 3. `imm`: immediates the kernel refuses (division by 0, shifts out of
//!    range);
//! 4. `fp`: ALU operations on the frame pointer the kernel refuses, and
//!    loads/stores/atomics off `r10` that are misaligned or outside the
//!    512-byte stack.
//!
//! Diagnostics are sorted so that the first one is the error the kernel
//! would report: structural ones first, then by an approximation of the
//! kernel's exploration order (depth first, fall-through before jump
//! target, a callee at its call). An uninitialised read names where the
//! register lost (or never got) its value and, when another path sets it,
//! the branch that skipped the assignment (module `path`).
//!
//! Rendering: [`render_text`] (rustc-like, with the disassembly and
//! optional C source lines); [`Diagnostic`] serialises to JSON with serde
//! (schema in [`diag`]). [`Code::explain`] has the long explanations.
//!
//! Every rule is checked against the running kernel in `tests/tests.rs`.
//! What this layer does not do (the abstract-interpretation verifier that
//! comes next): pointer types, memory access bounds other than direct
//! `r10` offsets, helper argument types, return value ranges, loop
//! termination, stack depth, reference tracking. Callbacks
//! (`BPF_PSEUDO_FUNC`) are assumed to receive `r1`-`r5`, as the helper that
//! runs them is not known here.
//!
//! # Growing into the full verifier
//!
//! The next layer replaces the join-based `flow` with the kernel's
//! path-sensitive walk over the same `cfg` (function table, successors),
//! with a register value that carries a type, a tnum and ranges instead of
//! "initialised + maybe a constant". It reports through the same
//! [`Diagnostic`] (new [`Code`]s: the enum is non-exhaustive) and keeps the
//! same order rule; pass modules stay independent so each one can be
//! checked against the kernel on its own.
//!
//! Depends only on bpfbox-isa (plus thiserror and serde); it must never
//! depend on bpfbox-interp, which in turn must not depend on it.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod absint;
mod cfg;
pub mod diag;
mod flow;
mod fp;
mod imm;
mod options;
mod path;
mod regs;
mod render;
mod report;
mod shape;

pub use absint::{InsnFact, MemKind};
pub use diag::{Applicability, Code, Diagnostic, Edit, Label, Severity, Suggestion};
pub use options::{
    BtfLoaded, BtfTyping, GlobalArg, GlobalFunc, HelperArgs, MapInfo, Options, ProgInfo, RegSet,
};
pub use render::render_text;

use bpfbox_isa::Insn;

/// What verification proved about an accepted program.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct Verified {
    /// Per slot: reached or not, and for memory instructions the kind of
    /// memory accessed, proven in bounds on every path (for a JIT).
    /// Empty when only the structural passes ran ([`Options::prog`] unset).
    pub facts: Vec<InsnFact>,
    /// Instructions the walk processed (the kernel's `processed N insns`).
    pub processed: u64,
    /// Stack bytes used per function (in slot order of functions).
    pub stack_depth: Vec<u32>,
    /// The kernel-style state log, when [`verify_with_log`] asked for it.
    pub log: Vec<String>,
}

/// Verifies `insns` under `opts` (see [`check`]) and returns what was
/// proven.
pub fn verify(insns: &[Insn], opts: &Options<'_>) -> Result<Verified, Vec<Diagnostic>> {
    verify_inner(insns, opts, false)
}

/// [`verify`], also keeping a kernel-style log of the register states at
/// every processed instruction (in [`Verified::log`], or, on failure, in
/// the last diagnostic's related labels is not possible: use
/// [`verify_log`] for the log of a refused program).
pub fn verify_with_log(insns: &[Insn], opts: &Options<'_>) -> Result<Verified, Vec<Diagnostic>> {
    verify_inner(insns, opts, true)
}

/// The kernel-style state log of the abstract interpreter's walk, up to
/// the first error (empty without [`Options::prog`] or when a structural
/// pass refuses the program).
pub fn verify_log(insns: &[Insn], opts: &Options<'_>) -> Vec<String> {
    if shape::check(insns).is_empty() {
        let mut out = Vec::new();
        if let Some(cfg) = cfg::check(insns, opts, &mut out) {
            if out.is_empty() && opts.prog.is_some() {
                return absint::run_log(insns, &cfg, opts);
            }
        }
    }
    Vec::new()
}

fn verify_inner(
    insns: &[Insn],
    opts: &Options<'_>,
    log: bool,
) -> Result<Verified, Vec<Diagnostic>> {
    let malformed = shape::check(insns);
    if !malformed.is_empty() {
        return Err(malformed);
    }
    let mut out = Vec::new();
    let Some(cfg) = cfg::check(insns, opts, &mut out) else {
        return Err(out);
    };
    let flow = flow::run(insns, &cfg, opts);
    let mut found = Vec::new();
    regs::check(insns, &cfg, &flow, opts, &mut found);
    imm::check(insns, &flow, opts, &mut found);
    fp::check(insns, &flow, &mut found);
    let rank = flow::visit_order(insns, &flow);
    found.sort_by_key(|(pc, sub, _)| (rank[*pc], *pc, *sub));
    if !found.is_empty() && out.is_empty() && opts.prog.is_some() {
        // The kernel makes these checks while walking paths: an
        // instruction that every path skips (a branch the walk decides) is
        // never checked. When the walk accepts, findings on instructions
        // it never reached are not errors.
        if let Ok(o) = absint::run(insns, &cfg, opts, log) {
            found.retain(|(pc, _, _)| o.facts.get(*pc).is_some_and(|f| f.reached));
            if found.is_empty() {
                return Ok(Verified {
                    facts: o.facts,
                    processed: o.processed,
                    stack_depth: o.stack_depth,
                    log: o.log,
                });
            }
        }
    }
    out.extend(found.into_iter().map(|(_, _, d)| d));
    if !out.is_empty() {
        return Err(out);
    }
    if opts.prog.is_none() {
        return Ok(Verified::default());
    }
    match absint::run(insns, &cfg, opts, log) {
        Ok(o) => Ok(Verified {
            facts: o.facts,
            processed: o.processed,
            stack_depth: o.stack_depth,
            log: o.log,
        }),
        Err(f) => Err(vec![report::diagnostic(&f)]),
    }
}

/// Verifies `insns` under `opts`. On failure, returns all diagnostics, the
/// structural ones first (the kernel checks those before walking the
/// program), then the register ones in approximately the order the kernel
/// explores the program; when those passes find nothing and
/// [`Options::prog`] is set, the abstract interpreter's first refusal.
pub fn check(insns: &[Insn], opts: &Options<'_>) -> Result<(), Vec<Diagnostic>> {
    verify(insns, opts).map(|_| ())
}

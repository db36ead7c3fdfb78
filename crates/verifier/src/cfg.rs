//! Pass (a), the control-flow graph: the kernel's `check_subprogs` (function
//! boundaries, jumps that leave their function, the last instruction of each
//! function), `check_cfg` (reachability, back-edges) and the structural part
//! of `check_max_stack_depth` (call nesting, recursion).

use crate::diag::{Code, Diagnostic, Label};
use crate::options::Options;
use bpfbox_isa::{Insn, LdImm64};

/// The most frames a call chain may have, the main program included
/// (`MAX_CALL_FRAMES`, include/linux/bpf_verifier.h).
pub(crate) const MAX_CALL_FRAMES: usize = 8;

/// One function (subprogram): slots `start..end`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Func {
    /// First slot.
    pub start: usize,
    /// One past the last slot.
    pub end: usize,
    /// Target of at least one `call pc+N`.
    pub called: bool,
    /// Target of at least one `BPF_PSEUDO_FUNC` load (a callback).
    pub callback: bool,
}

/// The program's functions and, per slot, the function it belongs to.
#[derive(Debug, Clone)]
pub(crate) struct Cfg {
    /// Functions in slot order; `funcs[0]` is the main program.
    pub funcs: Vec<Func>,
    /// Per slot, the index into `funcs`.
    pub func_of: Vec<usize>,
}

impl Cfg {
    /// The function starting at `start`, if any.
    pub fn func_at(&self, start: usize) -> Option<usize> {
        self.funcs.binary_search_by_key(&start, |f| f.start).ok()
    }

    /// A human name for function `f`.
    pub fn describe(&self, f: usize) -> String {
        if f == 0 {
            "the main program".to_string()
        } else {
            format!("the function at insn {}", self.funcs[f].start)
        }
    }
}

/// Intra-function successors of the instruction at `pc`: the jump target
/// (if any) and the fall-through slot (if any). Calls fall through.
pub(crate) fn succs(insns: &[Insn], pc: usize) -> (Option<usize>, Option<usize>) {
    let insn = &insns[pc];
    let next = Some(pc + insn.slots());
    match *insn {
        Insn::Exit | Insn::LdImm64Hi => (None, None),
        Insn::Ja { target, .. } => (Some(target), None),
        Insn::Jmp { target, .. } | Insn::MayGoto { target } => (Some(target), next),
        _ => (None, next),
    }
}

/// Function entry an instruction refers to: the callee of `call pc+N` or
/// the callback of a `BPF_PSEUDO_FUNC` load.
pub(crate) fn callee(insn: &Insn) -> Option<usize> {
    match *insn {
        Insn::CallLocal { target }
        | Insn::LdImm64 {
            value: LdImm64::Func(target),
            ..
        } => Some(target),
        _ => None,
    }
}

/// Runs the pass. Diagnostics go to `out`; the result is `None` when the
/// function structure is broken (a jump leaves its function, a function
/// does not end in `exit`/`goto`), because later passes rely on it.
pub(crate) fn check(insns: &[Insn], opts: &Options, out: &mut Vec<Diagnostic>) -> Option<Cfg> {
    let cfg = layout(insns);
    let before = out.len();
    // Kernel order: bpf-to-bpf calls are refused while functions are
    // collected; `callx` and packet loads only when the walk reaches them.
    option_checks(insns, opts, out, true);
    structure(insns, &cfg, out);
    if out[before..]
        .iter()
        .any(|d| matches!(d.code, Code::JumpOutOfRange | Code::NoExit))
    {
        return None;
    }
    reachability(insns, opts, &cfg, out);
    call_depth(insns, &cfg, out);
    option_checks(insns, opts, out, false);
    Some(cfg)
}

/// Function boundaries: slot 0 and every call or callback target.
fn layout(insns: &[Insn]) -> Cfg {
    let mut starts: Vec<usize> = std::iter::once(0)
        .chain(insns.iter().filter_map(callee))
        .collect();
    starts.sort_unstable();
    starts.dedup();
    let mut funcs: Vec<Func> = starts
        .iter()
        .enumerate()
        .map(|(i, &start)| Func {
            start,
            end: starts.get(i + 1).copied().unwrap_or(insns.len()),
            called: false,
            callback: false,
        })
        .collect();
    let mut func_of = vec![0; insns.len()];
    for (i, f) in funcs.iter().enumerate() {
        func_of[f.start..f.end].fill(i);
    }
    for insn in insns {
        let (t, is_call) = match *insn {
            Insn::CallLocal { target } => (target, true),
            Insn::LdImm64 {
                value: LdImm64::Func(target),
                ..
            } => (target, false),
            _ => continue,
        };
        if let Ok(f) = starts.binary_search(&t) {
            if is_call {
                funcs[f].called = true;
            } else {
                funcs[f].callback = true;
            }
        }
    }
    Cfg { funcs, func_of }
}

/// Forms the options forbid: bpf-to-bpf calls when `early`, `callx` and
/// packet loads otherwise.
fn option_checks(insns: &[Insn], opts: &Options, out: &mut Vec<Diagnostic>, early: bool) {
    for (pc, insn) in insns.iter().enumerate() {
        let is_call = matches!(
            insn,
            Insn::CallLocal { .. }
                | Insn::LdImm64 {
                    value: LdImm64::Func(_),
                    ..
                }
        );
        if is_call != early {
            continue;
        }
        match insn {
            Insn::CallX { reg } if !opts.allow_callx => out.push(
                Diagnostic::error(
                    Code::Callx,
                    "`callx` is not supported by the Linux verifier",
                    Label::new(pc, format!("indirect call through `r{reg}`")),
                )
                .with_help("call the helper by its id (`call N`) or the function by its offset (`call pc+N`)")
                .with_kernel("unknown opcode 8d"),
            ),
            Insn::LdAbs { .. } | Insn::LdInd { .. } if !opts.allow_ld_abs => out.push(
                Diagnostic::error(
                    Code::LdAbs,
                    "legacy packet load in a program type without them",
                    Label::new(pc, "`LD_ABS`/`LD_IND` need an skb"),
                )
                .with_help("read packet data through the context (`data`, `data_end`) instead")
                .with_kernel("BPF_LD_[ABS|IND] instructions not allowed for this program type"),
            ),
            Insn::CallLocal { .. } | Insn::LdImm64 { value: LdImm64::Func(_), .. }
                if !opts.allow_local_calls =>
            {
                out.push(
                    Diagnostic::error(
                        Code::LocalCall,
                        "bpf-to-bpf calls are not allowed here",
                        Label::new(pc, "refers to another function"),
                    )
                    .with_help("inline the function (`static __always_inline`)")
                    .with_kernel("function calls to other bpf functions are allowed for"),
                )
            }
            _ => {}
        }
    }
}

/// `check_subprogs`: jumps stay in their function, and each function ends
/// in `exit` or `goto`. Reported in slot order, as the kernel walks.
fn structure(insns: &[Insn], cfg: &Cfg, out: &mut Vec<Diagnostic>) {
    for (fi, f) in cfg.funcs.iter().enumerate() {
        for (pc, insn) in insns.iter().enumerate().take(f.end).skip(f.start) {
            let jump = match *insn {
                Insn::Ja { target, .. } | Insn::Jmp { target, .. } | Insn::MayGoto { target } => {
                    Some(target)
                }
                _ => None,
            };
            if let Some(t) = jump.filter(|t| !(f.start..f.end).contains(t)) {
                let tf = cfg.func_of[t];
                out.push(
                    Diagnostic::error(
                        Code::JumpOutOfRange,
                        format!("jump leaves {}", cfg.describe(fi)),
                        Label::new(pc, format!("jumps to insn {t}")),
                    )
                    .with_related(Label::new(
                        t,
                        format!("insn {t} belongs to {}", cfg.describe(tf)),
                    ))
                    .with_related(Label::new(
                        f.start,
                        format!(
                            "{} spans insns {}..={}",
                            cfg.describe(fi),
                            f.start,
                            f.end - 1
                        ),
                    ))
                    .with_help(
                        "use a bpf-to-bpf call (`call pc+N`) to run code of another function",
                    )
                    .with_kernel(format!("jump out of range from insn {pc} to {t}")),
                );
            }
        }
        let last = f.end - 1;
        if !matches!(insns[last], Insn::Exit | Insn::Ja { .. }) {
            let at = if insns[last] == Insn::LdImm64Hi {
                last - 1
            } else {
                last
            };
            let what = if fi == 0 {
                "program".to_string()
            } else {
                format!("function at insn {}", f.start)
            };
            let mut d = Diagnostic::error(
                Code::NoExit,
                format!("{what} does not end with `exit` or `goto`"),
                Label::new(at, "execution can fall off the end here"),
            )
            .with_help("end every function with `exit` (or a `goto` back into it)")
            .with_kernel("last insn is not an exit or jmp");
            if f.end < insns.len() {
                d = d.with_related(Label::new(
                    f.end,
                    "into the next function, which starts here",
                ));
            }
            out.push(d);
        }
    }
}

/// `check_cfg`: a depth-first walk from slot 0 over jumps, fall-through,
/// calls and callback references; back-edges when loops are not allowed,
/// and every slot never visited.
fn reachability(insns: &[Insn], opts: &Options, cfg: &Cfg, out: &mut Vec<Diagnostic>) {
    const WHITE: u8 = 0;
    const GREY: u8 = 1;
    const BLACK: u8 = 2;
    let n = insns.len();
    let mut color = vec![WHITE; n];
    // (node, next edge to explore)
    let mut stack: Vec<(usize, u8)> = vec![(0, 0)];
    color[0] = GREY;
    while let Some(top) = stack.last_mut() {
        let (pc, k) = *top;
        top.1 += 1;
        let (jump, next) = succs(insns, pc);
        let edge = match k {
            0 => next,
            1 => jump,
            2 => callee(&insns[pc]),
            _ => {
                color[pc] = BLACK;
                stack.pop();
                continue;
            }
        };
        let Some(t) = edge else { continue };
        match color[t] {
            WHITE => {
                color[t] = GREY;
                stack.push((t, 0));
            }
            GREY if !opts.allow_loops => out.push(
                Diagnostic::error(
                    Code::BackEdge,
                    "loops are not allowed",
                    Label::new(pc, format!("jumps back to insn {t}")),
                )
                .with_related(Label::new(t, "loop starts here"))
                .with_help("unroll the loop (`#pragma unroll`) or load the program with CAP_BPF")
                .with_kernel(format!("back-edge from insn {pc} to {t}")),
            ),
            _ => {}
        }
    }
    let mut pc = 0;
    while pc < n {
        if color[pc] != WHITE || insns[pc] == Insn::LdImm64Hi {
            pc += 1;
            continue;
        }
        let first = pc;
        while pc < n && cfg.func_of[pc] == cfg.func_of[first] && (color[pc] == WHITE) {
            pc += 1;
        }
        let count = insns[first..pc]
            .iter()
            .filter(|i| **i != Insn::LdImm64Hi)
            .count();
        let text = if count == 1 {
            "never executed".to_string()
        } else {
            format!(
                "this and the next {} instructions are never executed",
                count - 1
            )
        };
        let mut d = Diagnostic::error(
            Code::Unreachable,
            "unreachable instruction",
            Label::new(first, text),
        )
        .with_help("remove the dead code: the kernel refuses programs that contain any")
        .with_kernel(format!("unreachable insn {first}"));
        if let Some(prev) = first.checked_sub(1).map(|p| {
            if insns[p] == Insn::LdImm64Hi {
                p - 1
            } else {
                p
            }
        }) {
            if cfg.func_of[prev] == cfg.func_of[first] {
                match insns[prev] {
                    Insn::Exit => {
                        d = d.with_related(Label::new(
                            prev,
                            "any code after this `exit` is unreachable",
                        ))
                    }
                    Insn::Ja { .. } => {
                        d = d.with_related(Label::new(
                            prev,
                            "any code after this `goto` is unreachable",
                        ))
                    }
                    _ => {}
                }
            } else if cfg.funcs[cfg.func_of[first]].start == first {
                d = d.with_help(
                    "nothing calls this function: remove it, or call it with `call pc+N`",
                );
            }
        }
        out.push(d);
    }
}

/// Call nesting: the longest chain of calls (and callback references) from
/// the main program must fit in [`MAX_CALL_FRAMES`], and no function may
/// reach itself.
fn call_depth(insns: &[Insn], cfg: &Cfg, out: &mut Vec<Diagnostic>) {
    let nf = cfg.funcs.len();
    // Per function: the (call slot, callee) pairs in it.
    let calls: Vec<Vec<(usize, usize)>> = cfg
        .funcs
        .iter()
        .map(|f| {
            (f.start..f.end)
                .filter_map(|pc| Some((pc, cfg.func_at(callee(&insns[pc])?)?)))
                .collect()
        })
        .collect();
    // depth[f]: frames of the deepest chain starting in f (f included).
    let mut depth: Vec<Option<usize>> = vec![None; nf];
    let mut on_stack = vec![false; nf];
    let mut stack: Vec<(usize, usize)> = vec![(0, 0)];
    on_stack[0] = true;
    while let Some(&mut (f, ref mut i)) = stack.last_mut() {
        if let Some(&(pc, g)) = calls[f].get(*i) {
            *i += 1;
            if on_stack[g] {
                let mut d = Diagnostic::error(
                    Code::CallDepth,
                    "recursive bpf-to-bpf call",
                    Label::new(
                        pc,
                        format!("calls {}, which is already running", cfg.describe(g)),
                    ),
                )
                .with_help("BPF has no recursion: rewrite it as a bounded loop")
                .with_kernel("frames is too deep");
                if g != f {
                    d = d.with_related(Label::new(cfg.funcs[g].start, "function starts here"));
                }
                out.push(d);
                return;
            }
            if depth[g].is_none() {
                on_stack[g] = true;
                stack.push((g, 0));
            }
            continue;
        }
        let d = 1 + calls[f]
            .iter()
            .filter_map(|&(_, g)| depth[g])
            .max()
            .unwrap_or(0);
        depth[f] = Some(d);
        on_stack[f] = false;
        stack.pop();
    }
    if depth[0].unwrap_or(0) <= MAX_CALL_FRAMES {
        return;
    }
    // Follow the deepest chain to the call that opens frame 9.
    let (mut f, mut frames, mut chain) = (0, 1, Vec::new());
    while let Some(&(pc, g)) = calls[f].iter().max_by_key(|&&(_, g)| depth[g]) {
        frames += 1;
        chain.push(pc);
        if frames > MAX_CALL_FRAMES {
            let mut d = Diagnostic::error(
                Code::CallDepth,
                format!("bpf-to-bpf calls nest more than {MAX_CALL_FRAMES} frames deep"),
                Label::new(pc, format!("this call opens frame {frames}")),
            )
            .with_help("inline some of the functions (`static __always_inline`)")
            .with_kernel(format!("the call stack of {frames} frames is too deep"));
            d = d.with_related(Label::new(chain[0], "the chain starts with this call"));
            out.push(d);
            return;
        }
        f = g;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bpfbox_isa::{AluOp, Src, Width};

    fn mov0() -> Insn {
        Insn::Alu {
            width: Width::W64,
            op: AluOp::Mov,
            dst: 0,
            src: Src::Imm(0),
        }
    }

    fn run(p: &[Insn], opts: &Options) -> (Option<Cfg>, Vec<Diagnostic>) {
        let mut out = Vec::new();
        let cfg = check(p, opts, &mut out);
        (cfg, out)
    }

    #[test]
    fn functions_split_at_call_targets() {
        let p = [
            mov0(),
            Insn::CallLocal { target: 3 },
            Insn::Exit,
            mov0(),
            Insn::Exit,
        ];
        let (cfg, d) = run(&p, &Options::kernel());
        assert!(d.is_empty(), "{d:?}");
        let cfg = cfg.unwrap();
        assert_eq!(cfg.funcs.len(), 2);
        assert_eq!(
            (cfg.funcs[1].start, cfg.funcs[1].end, cfg.funcs[1].called),
            (3, 5, true)
        );
        assert_eq!(cfg.func_of, vec![0, 0, 0, 1, 1]);
    }

    #[test]
    fn unreachable_ranges_are_grouped() {
        let p = [mov0(), Insn::Exit, mov0(), mov0(), Insn::Exit];
        let (_, d) = run(&p, &Options::kernel());
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].kernel.as_deref(), Some("unreachable insn 2"));
        assert_eq!(d[0].related[0].insn, 1);
    }

    #[test]
    fn back_edges_only_when_loops_are_off() {
        let p = [
            mov0(),
            Insn::Jmp {
                width: Width::W64,
                cond: bpfbox_isa::Cond::Eq,
                dst: 0,
                src: Src::Imm(1),
                target: 0,
            },
            Insn::Exit,
        ];
        assert!(run(&p, &Options::kernel()).1.is_empty());
        let mut o = Options::kernel();
        o.allow_loops = false;
        let d = run(&p, &o).1;
        assert_eq!(d[0].kernel.as_deref(), Some("back-edge from insn 1 to 0"));
    }

    #[test]
    fn call_chains_are_limited() {
        // main calls f1, f1 calls f2, ... each function: call next; exit.
        let chain = |n: usize| {
            let mut p = Vec::new();
            for i in 0..n {
                p.push(mov0());
                if i + 1 < n {
                    p.push(Insn::CallLocal {
                        target: 3 * (i + 1),
                    });
                } else {
                    p.push(mov0());
                }
                p.push(Insn::Exit);
            }
            p
        };
        assert!(run(&chain(8), &Options::kernel()).1.is_empty());
        let d = run(&chain(9), &Options::kernel()).1;
        assert_eq!(d.len(), 1);
        assert_eq!(
            d[0].kernel.as_deref(),
            Some("the call stack of 9 frames is too deep")
        );
        let rec = [
            mov0(),
            Insn::CallLocal { target: 3 },
            Insn::Exit,
            Insn::CallLocal { target: 3 },
            Insn::Exit,
        ];
        assert_eq!(run(&rec, &Options::kernel()).1[0].code, Code::CallDepth);
    }
}

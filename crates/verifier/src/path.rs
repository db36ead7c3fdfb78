//! Explaining an uninitialised read by the path that bypasses an
//! assignment: walking back from the read along instructions after which
//! the register is still unset, the nearest merge point where another
//! incoming path has it set shows which branch skipped the assignment
//! ("`r0` is not set when this branch is taken").

use crate::cfg::Cfg;
use crate::diag::Label;
use crate::flow::{Flow, Val};
use crate::options::Options;
use bpfbox_isa::{Insn, Reg};
use std::collections::VecDeque;

/// What the walk needs: the program, its analysis and, per slot, the
/// predecessors along feasible edges inside functions.
pub(crate) struct Paths<'a> {
    insns: &'a [Insn],
    cfg: &'a Cfg,
    flow: &'a Flow,
    opts: &'a Options<'a>,
    preds: Vec<Vec<usize>>,
}

impl<'a> Paths<'a> {
    /// Builds the predecessor lists.
    pub fn new(
        insns: &'a [Insn],
        cfg: &'a Cfg,
        flow: &'a Flow,
        opts: &'a Options<'a>,
    ) -> Paths<'a> {
        let mut preds = vec![Vec::new(); insns.len()];
        for pc in 0..insns.len() {
            let (jump, next) = flow.local_successors(insns, pc);
            for t in jump.into_iter().chain(next) {
                if !preds[t].contains(&pc) {
                    preds[t].push(pc);
                }
            }
        }
        Paths {
            insns,
            cfg,
            flow,
            opts,
            preds,
        }
    }

    /// A label on the branch (or `goto`) through which `r` reaches `pc`
    /// unset while another path sets it, if there is one. `stop` is the
    /// instruction that made `r` unset (a call), where the walk ends.
    pub fn bypass(&self, pc: usize, r: Reg, stop: Option<usize>) -> Option<Label> {
        let (insns, cfg, flow, opts) = (self.insns, self.cfg, self.flow, self.opts);
        let mut seen = vec![false; insns.len()];
        let mut queue = VecDeque::from([pc]);
        seen[pc] = true;
        while let Some(q) = queue.pop_front() {
            let incoming: Vec<(usize, Option<Val>)> = self.preds[q]
                .iter()
                .map(|&p| (p, flow.after(insns, cfg, opts, p, r)))
                .collect();
            let some_set = incoming
                .iter()
                .any(|(_, v)| matches!(v, Some(Val::Init(_))));
            if some_set {
                let (p, _) = incoming
                    .iter()
                    .find(|(_, v)| matches!(v, Some(Val::Uninit(_))))?;
                return Some(edge_label(insns, *p, q, r));
            }
            for (p, v) in incoming {
                if matches!(v, Some(Val::Uninit(_))) && !seen[p] && Some(p) != stop {
                    seen[p] = true;
                    queue.push_back(p);
                }
            }
        }
        None
    }
}

fn edge_label(insns: &[Insn], p: usize, q: usize, r: Reg) -> Label {
    let text = match insns[p] {
        Insn::Jmp { target, .. } | Insn::MayGoto { target } if target == q => {
            format!("`r{r}` is not set when this branch is taken")
        }
        Insn::Jmp { .. } | Insn::MayGoto { .. } => {
            format!("`r{r}` is not set when this branch is not taken")
        }
        Insn::Ja { .. } => format!("`r{r}` is not set on the way through this `goto`"),
        _ => format!("`r{r}` is not set on the path through here"),
    };
    Label::new(p, text)
}

//! Random verifier-friendly programs from `bpfbox_kernel::fuzzgen`.

use crate::env_u64;
use crate::harness::*;
use crate::kernel_bugs::{explain, KernelBug};
use bpfbox_interp::Program;
use bpfbox_isa::disasm::disasm;
use bpfbox_isa::Insn;
use bpfbox_kernel::{fuzzgen, FUZZ_PACKET_LEN};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

/// Random programs run by `cargo test` unless `BPFBOX_DIFF_N` says
/// otherwise (about 1 ms each in a debug build).
const DEFAULT_N: u64 = 10_000;
/// Body lengths of the random programs: `MIN_LEN..=MAX_LEN`, where
/// `BPFBOX_DIFF_MAXLEN` may raise the upper bound.
const MIN_LEN: usize = 20;
const MAX_LEN: usize = 400;

/// Every program is run in both engines and the low 32 bits of `r0`
/// compared. A difference that [`explain`] attributes to one of the known
/// kernel bugs is counted and listed (by seed) but does not fail the test;
/// any other difference does.
pub(crate) fn random_programs() {
    let n = env_u64("BPFBOX_DIFF_N", DEFAULT_N);
    let first = env_u64("BPFBOX_DIFF_SEED", 0);
    let max_len = (env_u64("BPFBOX_DIFF_MAXLEN", MAX_LEN as u64) as usize).max(MIN_LEN);
    let span = max_len - MIN_LEN + 1;
    let packet = [0u8; FUZZ_PACKET_LEN];
    let started = Instant::now();
    let (mut insns_total, mut executed, mut diffs) = (0u64, 0u64, 0usize);
    let mut kernel_bugs: BTreeMap<KernelBug, Vec<u64>> = BTreeMap::new();
    for seed in first..first + n {
        let len = MIN_LEN + (seed as usize).wrapping_mul(7919) % span;
        let prog = fuzzgen::random_program(seed, len);
        insns_total += prog.iter().filter(|i| **i != Insn::LdImm64Hi).count() as u64;
        let k = bpfbox_kernel::run_in_kernel(&prog).unwrap_or_else(|e| {
            panic!(
                "seed {seed} len {len}: kernel: {e}\n{}\n{}",
                e.log().unwrap_or(""),
                disasm(&prog)
            )
        });
        let interp = Program::new(prog.clone())
            .map(Arc::new)
            .unwrap_or_else(|e| panic!("seed {seed} len {len}: interp refused the program: {e}"));
        let i = interp_run(&interp, &packet);
        match i {
            Ok(o) if o.r0 as u32 == k => executed += o.executed,
            Ok(o) if let Some(bug) = explain(&prog, &packet) => {
                executed += o.executed;
                kernel_bugs.entry(bug).or_default().push(seed);
            }
            _ => {
                diffs += 1;
                if diffs <= 5 {
                    eprintln!(
                        "DIFFERENCE seed {seed} len {len}: kernel {k:#x}, interpreter {:?}\n{}",
                        i,
                        disasm(&prog)
                    );
                }
            }
        }
    }
    eprintln!(
        "random_programs: {n} programs (seeds {first}..{}, body lengths {MIN_LEN}..={max_len}), \
         {insns_total} instructions, {executed} executed, {diffs} differences, {:.1} s",
        first + n,
        started.elapsed().as_secs_f64()
    );
    for (bug, seeds) in &kernel_bugs {
        eprintln!(
            "random_programs: {} programs where the kernel is wrong ({}; see kernel_bugs.rs), seeds {seeds:?}",
            seeds.len(),
            bug.name()
        );
    }
    assert_eq!(
        diffs, 0,
        "differences between the kernel and the interpreter"
    );
}

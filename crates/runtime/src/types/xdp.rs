//! `BPF_PROG_TYPE_XDP`: the run side (test run: `bpf_prog_test_run_xdp`).

pub mod test_run;

use super::RunOps;

/// The run side of `BPF_PROG_TYPE_XDP`.
pub static OPS: RunOps = RunOps {
    test_run: Some(test_run::test_run),
    event: None,
    helpers: &[],
};

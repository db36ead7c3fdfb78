//! `BPF_PROG_TYPE_LWT_SEG6LOCAL`: the run side. The kernel has no
//! `BPF_PROG_TEST_RUN` for the type (its `bpf_prog_ops` are empty since the
//! test run was removed upstream: `ENOTSUPP`, measured on 6.18), so bpfbox
//! has none either; programs run on events at their hook, the SRv6 End.BPF
//! behaviour ([`event`]). The seg6 helpers (`bpf_lwt_seg6_store_bytes`,
//! `_adjust_srh`, `_action`) are not implemented: a program calling one is
//! refused with `UnsupportedHelper` (kernels built without
//! `CONFIG_IPV6_SEG6_BPF` refuse it at load, as the kernel profile says).

pub mod event;
mod srh;

use super::RunOps;

/// The run side of `BPF_PROG_TYPE_LWT_SEG6LOCAL`.
pub static OPS: RunOps = RunOps {
    test_run: None,
    event: Some(&event::DRIVER),
    helpers: &[],
    after_ctx_rebuild: None,
};

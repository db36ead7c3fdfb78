//! bpfbox-kernel: the running Linux kernel as bpfbox's second engine.
//!
//! Role: load programs, run them with `BPF_PROG_TEST_RUN`, and create and
//! access maps through raw `bpf(2)` system calls, so every other engine can
//! be checked against the real thing. The `union bpf_attr` layouts are
//! those of Linux 6.18, written out in this crate (the installed uapi
//! header is older); unused trailing fields stay zero, so older kernels
//! accept them as long as the features are not used.
//!
//! Inputs: raw instructions ([`bpfbox_isa::RawInsn`]) or decoded ones
//! ([`bpfbox_isa::Insn`], for [`run_in_kernel`]), packets, contexts, keys
//! and values as bytes. Outputs: owned fds ([`KernelProg`], [`KernelMap`],
//! [`KernelBtf`], closed on drop), test-run results ([`TestRunOutput`],
//! which keeps the kernel's ENOSPC-with-partial-output behaviour), and
//! [`Error`]s carrying the errno and the verifier log.
//!
//! [`availability`] says whether this process may use `bpf()` at all; every
//! entry point checks it first. [`fuzzgen`] generates random
//! verifier-friendly programs for differential tests.
//!
//! [`probe`] measures what the running kernel offers (a
//! [`bpfbox_progtype::Profile`]: program types, helpers per type, map
//! types, behaviour facts), cached per process by
//! [`probe::running_profile`].
//!
//! Depends only on bpfbox-isa, bpfbox-uapi, bpfbox-progtype (program-type
//! data and the profile type), libc and thiserror: no libbpf, and in
//! particular not the interpreter it is compared with.
#![deny(missing_docs)]

mod attach;
mod avail;
mod btf;
pub mod consts;
mod error;
pub mod fuzzgen;
mod map;
pub mod mounts;
pub mod probe;
mod prog;
mod sys;
mod testrun;

pub use attach::{
    attach_unsupported, cgroup2_root, link_create, prog_attach, prog_detach, KernelLink,
    TestCgroup, F_ALLOW_MULTI, F_ALLOW_OVERRIDE,
};
pub use avail::availability;
pub use btf::{load_btf, KernelBtf};
pub use error::{Errno, Error, ErrorKind, Unavailable, ENOTSUPP};
pub use map::{
    create_map, nr_cpu_ids, possible_cpus, Entry, KernelMap, MapCreate, MapInfo, LOOKUP_BATCH,
    LOOKUP_BATCH_BYTES, MMAP_WINDOW,
};
pub use probe::running_profile;
pub use prog::{InfoRecords, KernelProg, ProgInfo, ProgLoad};
pub use testrun::{TestRun, TestRunOutput, DEFAULT_EXTRA_OUT};

use bpfbox_isa::Insn;

/// Length of the zero packet [`run_in_kernel`] runs programs on.
pub const FUZZ_PACKET_LEN: usize = 64;

/// Encodes `insns` (one entry per slot, as [`bpfbox_isa::decode()`] returns
/// them), loads them as a SOCKET_FILTER and runs them once on a 64-byte
/// zero packet, returning the kernel's retval (the low 32 bits of `r0`).
///
/// Errors: [`ErrorKind::Unavailable`], [`ErrorKind::InvalidInput`] when the
/// program does not encode, [`ErrorKind::Rejected`] with the verifier log,
/// or [`ErrorKind::Syscall`] from the test run.
pub fn run_in_kernel(insns: &[Insn]) -> Result<u32, Error> {
    let raw = bpfbox_isa::encode(insns).map_err(|e| Error::invalid("encode", e.to_string()))?;
    let prog = ProgLoad::new(consts::prog_type::SOCKET_FILTER, &raw)
        .name("bpfbox_fuzz")
        .load()?;
    let packet = [0u8; FUZZ_PACKET_LEN];
    let out = prog.test_run(&TestRun {
        data_in: Some(&packet),
        repeat: 1,
        ..Default::default()
    })?;
    Ok(out.retval)
}

//! bpfbox-runtime: the run side of eBPF program types, the counterpart of
//! the kernel's `bpf_prog_ops` and helper implementations.
//!
//! Inputs: a program (decoded instructions plus map specs from
//! `bpfbox-object`), a [`host::HostState`] (maps, clock, PRNG, CPU, routes)
//! and a test-run request shaped like `BPF_PROG_TEST_RUN`. Outputs: retval,
//! packet and ctx after the run, captured trace lines and records, exactly
//! as `net/bpf/test_run.c` of Linux 6.18 reports them.
//!
//! Layout: [`packet`] and [`skb`] hold the packet and `sk_buff` state with
//! the pure helper semantics, [`csum`] the checksum arithmetic, [`printf`]
//! the `bstr_printf` formatter, [`testrun`] the driver-independent
//! `BPF_PROG_TEST_RUN` validation and output rules.
//!
//! This crate must not depend on a verifier: load-time checks it performs
//! (helper availability) come from `bpfbox-progtype` data.
#![deny(missing_docs)]

pub mod avail;
pub mod csum;
pub mod ctx;
pub mod drivers;
mod error;
pub mod events;
pub mod fib;
pub mod helpers;
pub mod host;
pub mod kmem;
pub mod link;
pub mod lowmem;
pub mod packet;
pub mod printf;
pub mod skb;
pub mod testrun;
pub mod tunnel;
pub mod types;

pub use avail::ProgType;
pub use drivers::{test_run, LoadedProgram};
pub use error::Error;
pub use host::HostState;
pub use testrun::{TestRunError, TestRunInput, TestRunOutput};

//! bpfbox: Linux eBPF program types in userspace.
//!
//! Load the `.o` files clang builds and libbpf loads, and run their
//! programs with the kernel's contexts, maps, helpers and return meanings,
//! on bpfbox's interpreter (no privileges, deterministic) or on the
//! running kernel with the same calls. The entry point is [`Bpfbox`]; it
//! hands out typed programs ([`Xdp`], [`SchedCls`], [`CgroupDevice`], ...)
//! whose maps are read and written by name ([`Program::hash_map`],
//! [`Program::array`]). Errors are [`Error`] values to match on.
//!
//! # Packet programs
//!
//! ```
//! use bpfbox::{Bpfbox, Xdp, XdpAction};
//! # fn main() -> Result<(), bpfbox::Error> {
//! let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/xdp_filter.o");
//! let mut xdp: Xdp = Bpfbox::load_file(path)?.program("xdp_filter")?;
//! // Ethernet + IPv4 + ICMP: the filter drops ICMP
//! let mut icmp = vec![0u8; 12];
//! icmp.extend_from_slice(&[0x08, 0x00, 0x45, 0, 0, 28, 0, 0, 0, 0, 64, 1]);
//! icmp.resize(60, 0);
//! assert_eq!(xdp.run(&icmp)?.action, XdpAction::Drop);
//! // the program counts verdicts in an array: index 1 is XDP_DROP
//! assert_eq!(xdp.array::<u64>("verdicts")?.get(1)?, 1);
//! # Ok(())
//! # }
//! ```
//!
//! # Cgroup events
//!
//! Event-driven programs run on events described in JSON (`bpfbox types
//! NAME` prints each type's schema):
//!
//! ```
//! use bpfbox::{Bpfbox, CgroupDevice};
//! # fn main() -> Result<(), bpfbox::Error> {
//! let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/progs/events/cgroup/dev.o");
//! let mut dev: CgroupDevice = Bpfbox::load_file(path)?.program("dev_policy")?;
//! let out = dev.fire(&serde_json::json!(
//!     {"access": "write", "type": "char", "major": 1, "minor": 5}))?;
//! assert_eq!(out[0].action, "deny: EPERM");
//! # Ok(())
//! # }
//! ```
//!
//! # sock_ops
//!
//! ```
//! use bpfbox::{Bpfbox, SockOps};
//! # fn main() -> Result<(), bpfbox::Error> {
//! let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/progs/events/sock/sock_ops.o");
//! let mut ops: SockOps = Bpfbox::load_file(path)?.program("record_ops")?;
//! let out = ops.fire(&serde_json::json!({"op": "TCP_CONNECT_CB", "socket": 1,
//!     "local": "127.0.0.1:40000", "remote": "127.0.0.1:8080"}))?;
//! assert_eq!(out.len(), 1);
//! # Ok(())
//! # }
//! ```
//!
//! # Tracepoints
//!
//! ```
//! use bpfbox::{Bpfbox, Tracepoint};
//! # fn main() -> Result<(), bpfbox::Error> {
//! let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/progs/events/trace/trace.o");
//! let mut tp: Tracepoint = Bpfbox::load_file(path)?.program("tp_switch")?;
//! let out = tp.fire(&serde_json::json!({
//!     "tracepoint": "sched/sched_switch",
//!     "fields": {"prev_comm": "bash", "prev_pid": 4242, "prev_prio": 120,
//!                "prev_state": 1, "next_comm": "swapper/0", "next_pid": 0,
//!                "next_prio": 120},
//!     "task": {"pid": 4242, "comm": "bash"}, "cpu": 0}))?;
//! assert_eq!(out.len(), 1);
//! # Ok(())
//! # }
//! ```
//!
//! The other public modules are the pieces the `bpfbox` CLI is built from
//! (engines, the kernel-side loader, setup files, captures); the crates
//! re-exported under short names (`isa`, `asm`, `interp`, `kernel`) are
//! public on purpose, with their own docs. Everything else in the
//! workspace is an implementation detail.
#![deny(missing_docs)]

pub use bpfbox_asm as asm;
pub use bpfbox_interp as interp;
pub use bpfbox_isa as isa;
pub use bpfbox_kernel as kernel;

pub use api::*;

mod api;
pub mod conformance;
pub mod diff;
pub mod engine;
pub mod externs;
pub mod globalfn;
pub mod input;
pub mod jsonseq;
pub mod kobj;
pub mod objects;
pub mod pcap;
pub mod profiles;
pub mod rawprog;
pub mod setup;
pub mod stream;
pub mod support;
pub mod tracing;
pub mod types;

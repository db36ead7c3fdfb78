//! bpfbox: Linux eBPF program types in userspace.
//!
//! This facade re-exports the library crates under short names and holds the
//! top-level operations the CLI and users' tests call. The CLI (`main.rs`)
//! only parses arguments and renders reports.
#![deny(missing_docs)]

pub use bpfbox_asm as asm;
pub use bpfbox_interp as interp;
pub use bpfbox_isa as isa;
pub use bpfbox_kernel as kernel;

pub mod conformance;
pub mod diff;
pub mod engine;
pub mod input;
pub mod kobj;
pub mod objects;
pub mod pcap;
pub mod rawprog;
pub mod setup;
pub mod stream;
pub mod types;

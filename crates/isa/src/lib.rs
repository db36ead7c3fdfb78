//! The eBPF instruction set as Linux 6.x executes it (RFC 9669 plus the
//! Linux extensions): raw 8-byte slots ([`RawInsn`]), the pre-decoded
//! instruction ([`Insn`]) every engine runs, decoding with the kernel's
//! reserved-field checks ([`decode()`]), encoding ([`encode()`]), the value
//! semantics of each operation ([`sem`]) and the pseudo-C disassembler
//! ([`disasm`]).
//!
//! This crate depends on nothing else in bpfbox; everything points to it.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod decode;
pub mod disasm;
pub mod encode;
pub mod insn;
pub mod raw;
pub mod sem;

pub use decode::{decode, DecodeError, DecodeErrorKind};
pub use encode::{encode, encode_one, EncodeError};
pub use insn::*;
pub use raw::{slots_from_bytes, slots_to_bytes, RawInsn, INSN_SIZE};

//! The memory-safe eBPF interpreter of bpfbox: the reference engine the
//! kernel backend and the JIT are compared against.
//!
//! **Input:** a [`Program`] (decoded [`bpfbox_isa::Insn`]s, validated once),
//! a [`Memory`] describing which host buffers the program may touch, a
//! [`Helpers`] table and [`Config`] limits. **Output:** `r0` of the main
//! function, or a [`Trap`] saying which instruction stopped and why.
//!
//! Semantics are Linux 6.x's: value rules come from [`bpfbox_isa::sem`];
//! `r10` points at the top of the current 512-byte frame; bpf-to-bpf calls
//! save `r6..r9` and nest up to 8 frames; `may_goto` has the kernel's 8M
//! loop budget per function invocation; `LD_ABS`/`LD_IND` follow
//! `bpf_gen_ld_abs`. Guest pointers are host addresses and every access is
//! checked against the registered regions, so no bytecode (verified or not)
//! can cause undefined behaviour: it runs to `Ok` or to a `Trap`.
//!
//! # Semantic choices (where Linux leaves room or bpfbox had to pick)
//!
//! - **Frames:** at most [`Config::max_call_depth`] (8) live frames counting
//!   the main function, so the 8th nested `call` traps with
//!   [`Trap::CallDepth`]; callbacks run by [`Vm::call_function`] count too.
//!   Frames are laid out downwards like a native stack and the stack region's
//!   window covers only the live frames: a callee may use pointers into its
//!   callers' frames but nothing below its own. Each new frame (and the main
//!   frame at the start of a run) is zeroed, so results never depend on
//!   leftovers; a tail call keeps the main frame as is, as the kernel does.
//! - **Helpers:** `r1..r5` keep their values after a helper call (not
//!   scrubbed). Helpers trap with [`Vm::helper_error`] or
//!   [`Vm::mem_trap`], or stop the program with [`Trap::Unwind`].
//! - **`callx reg`:** a register value that fits an `i32` is a helper id
//!   (bpf_conformance's convention: `call %r2` with `r2 = 5` calls helper
//!   5); a function address from `lddw rX, func` makes a bpf-to-bpf call;
//!   anything else is [`Trap::BadCallTarget`].
//! - **Function addresses:** `lddw rX, func` loads [`func_addr`]`(slot)`, a
//!   value outside all memory that [`func_slot`] maps back; helpers taking
//!   callbacks use it to find the slot for [`Vm::call_function`].
//! - **`lddw` with a map or BTF pseudo source** traps with
//!   [`Trap::Unlinked`]: the loader must rewrite it to a constant first.
//! - **`may_goto`:** each function invocation starts with the kernel's
//!   budget [`MAY_GOTO_BUDGET`] (8M); at 0 it jumps, else it decrements and
//!   falls through.
//! - **`LD_ABS`/`LD_IND`:** read big-endian from the packet set with
//!   [`Vm::set_ld_abs_source`] (negative `SKF_NET_OFF`/`SKF_LL_OFF`
//!   offsets from the headers given with [`Vm::set_ld_abs_headers`]); an
//!   offset that misses ends the *current function* with `r0 = 0`, which
//!   for the main function ends the program (the kernel's `bpf_gen_ld_abs`
//!   emits an `exit`).
//! - **Atomics** are checked read-modify-writes of host memory, not locked
//!   instructions: the interpreter is single-threaded.
//! - **Instruction limit:** [`Config::insn_limit`] (default `1 << 26`)
//!   instructions per [`Vm::run`], tail calls and callbacks included.
//!
//! This crate depends only on bpfbox-isa. It must not depend on the
//! verifier, the program-type layer or map implementations: those plug in
//! through [`Memory`] regions, [`Helpers`] and the `H` host state.
//!
//! ```
//! use bpfbox_interp::{run_simple, conformance_helpers};
//! use bpfbox_isa::{encode, Insn, AluOp, Src, Width};
//! let prog = encode(&[
//!     Insn::Alu { width: Width::W64, op: AluOp::Mov, dst: 0, src: Src::Reg(2) },
//!     Insn::Exit,
//! ]).unwrap();
//! let mut mem = [0u8; 14];
//! assert_eq!(run_simple(&prog, &mut mem, &conformance_helpers()).unwrap(), 14);
//! ```
#![deny(missing_docs)]

mod exec;
mod helpers;
mod memory;
mod program;
mod trap;
mod vm;

pub use helpers::{conformance_helpers, HelperFn, Helpers, MAX_HELPERS};
pub use memory::{MemFault, Memory, RegionId, RegionKind};
pub use program::{func_addr, func_slot, Program, FUNC_ADDR_BASE};
pub use trap::Trap;
pub use vm::{
    Config, Tracer, Vm, MAX_CALL_DEPTH_LIMIT, MAX_STACK_SIZE, MAX_TAIL_CALL_CNT, MAY_GOTO_BUDGET,
};

use bpfbox_isa::{DecodeError, RawInsn};
use std::sync::Arc;

/// What went wrong in [`run_simple`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The program could not be decoded or validated.
    Decode,
    /// The program stopped with a trap.
    Trap,
}

/// The crate's error: a refused program or a trap.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(transparent)]
pub struct Error(Repr);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
enum Repr {
    #[error(transparent)]
    Decode(DecodeError),
    #[error(transparent)]
    Trap(Trap),
}

impl Error {
    /// The kind of failure.
    pub fn kind(&self) -> ErrorKind {
        match self.0 {
            Repr::Decode(_) => ErrorKind::Decode,
            Repr::Trap(_) => ErrorKind::Trap,
        }
    }

    /// The trap, for [`ErrorKind::Trap`].
    pub fn trap(&self) -> Option<Trap> {
        match self.0 {
            Repr::Trap(t) => Some(t),
            Repr::Decode(_) => None,
        }
    }

    /// The decoding error, for [`ErrorKind::Decode`].
    pub fn decode_error(&self) -> Option<&DecodeError> {
        match &self.0 {
            Repr::Decode(e) => Some(e),
            Repr::Trap(_) => None,
        }
    }
}

impl From<DecodeError> for Error {
    fn from(e: DecodeError) -> Self {
        Error(Repr::Decode(e))
    }
}

impl From<Trap> for Error {
    fn from(t: Trap) -> Self {
        Error(Repr::Trap(t))
    }
}

/// The error of [`run_simple`].
pub type RunError = Error;

/// Decodes and runs `slots` once over one writable memory block, the way
/// `bpfbox exec` and the bpf_conformance suite do: `r1` = address of `mem`
/// (0 when it is empty), `r2` = its length; default [`Config`]; returns `r0`.
pub fn run_simple(
    slots: &[RawInsn],
    mem: &mut [u8],
    helpers: &Helpers<()>,
) -> Result<u64, RunError> {
    let prog = Arc::new(Program::from_raw(slots)?);
    let len = mem.len() as u64;
    let mut memory = Memory::new();
    let addr = if mem.is_empty() {
        0
    } else {
        memory.add(mem, RegionKind::Mem).1
    };
    let mut vm = Vm::new(memory, (), helpers, Config::default());
    Ok(vm.run(&prog, [addr, len, 0, 0, 0])?)
}

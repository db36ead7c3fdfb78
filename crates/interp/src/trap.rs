//! Why a run stopped early. A [`Trap`] is small and `Copy`; every
//! constructor used by the instruction loop is `#[cold]` so the hot path
//! stays free of error-building code.

use crate::memory::RegionId;
use std::fmt;

/// A run-time stop. All variants except [`Trap::Unwind`] are errors; `pc`
/// is the slot index of the instruction that stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Trap {
    /// A load or store outside every region (or a write to a read-only one).
    OutOfBounds {
        /// Instruction.
        pc: usize,
        /// Guest address.
        addr: u64,
        /// Access size in bytes (saturated at 255 for helper accesses).
        size: u8,
        /// Whether it was a write.
        write: bool,
    },
    /// The instruction budget ([`crate::Config::insn_limit`]) ran out.
    InsnLimit {
        /// Instruction that would have run next.
        pc: usize,
    },
    /// A call to a helper id with no function in the [`crate::Helpers`] table.
    UnknownHelper {
        /// Instruction.
        pc: usize,
        /// Helper id.
        id: i32,
    },
    /// A bpf-to-bpf call (or callback) past [`crate::Config::max_call_depth`] frames.
    CallDepth {
        /// Instruction.
        pc: usize,
    },
    /// Execution ran past the last instruction.
    FellOffEnd {
        /// The slot index past the end.
        pc: usize,
    },
    /// A `lddw` whose pseudo source (map fd, map value, BTF id, map index)
    /// was not rewritten to a plain constant by the loader.
    Unlinked {
        /// Instruction.
        pc: usize,
    },
    /// A kfunc call with no function registered for its BTF id.
    Kfunc {
        /// Instruction.
        pc: usize,
        /// BTF id.
        id: i32,
    },
    /// `callx` (or [`crate::Vm::call_function`]) with a value that is neither
    /// a helper id nor a function address of the program.
    BadCallTarget {
        /// Instruction.
        pc: usize,
        /// The register value or requested slot.
        value: u64,
    },
    /// A helper reported a fatal error.
    Helper {
        /// Instruction.
        pc: usize,
        /// Helper id.
        id: i32,
        /// Helper-specific code (a negative errno by convention).
        code: i32,
    },
    /// A helper asked to stop the program with `r0` = this value. Not an
    /// error: [`crate::Vm::run`] returns `Ok(value)`.
    Unwind(u64),
    /// A tail call was requested inside a callback run by
    /// [`crate::Vm::call_function`], which cannot unwind the outer frames.
    TailCallInCallback {
        /// Instruction.
        pc: usize,
    },
    /// [`crate::Vm::run`] was called while the VM is already running.
    Reentrant,
    /// [`crate::Memory::set_window`] with an unknown region or a window
    /// outside the region's backing buffer.
    BadWindow {
        /// The region.
        region: u32,
    },
}

impl Trap {
    /// The instruction index the trap names, if any.
    pub fn pc(&self) -> Option<usize> {
        use Trap::*;
        match *self {
            OutOfBounds { pc, .. }
            | InsnLimit { pc }
            | UnknownHelper { pc, .. }
            | CallDepth { pc }
            | FellOffEnd { pc }
            | Unlinked { pc }
            | Kfunc { pc, .. }
            | BadCallTarget { pc, .. }
            | Helper { pc, .. }
            | TailCallInCallback { pc } => Some(pc),
            Unwind(_) | Reentrant | BadWindow { .. } => None,
        }
    }

    #[cold]
    #[inline(never)]
    pub(crate) fn oob(pc: usize, addr: u64, size: usize, write: bool) -> Trap {
        Trap::OutOfBounds {
            pc,
            addr,
            size: size.min(u8::MAX as usize) as u8,
            write,
        }
    }

    #[cold]
    #[inline(never)]
    pub(crate) fn insn_limit(pc: usize) -> Trap {
        Trap::InsnLimit { pc }
    }

    #[cold]
    #[inline(never)]
    pub(crate) fn unknown_helper(pc: usize, id: i32) -> Trap {
        Trap::UnknownHelper { pc, id }
    }

    #[cold]
    #[inline(never)]
    pub(crate) fn call_depth(pc: usize) -> Trap {
        Trap::CallDepth { pc }
    }

    #[cold]
    #[inline(never)]
    pub(crate) fn fell_off(pc: usize) -> Trap {
        Trap::FellOffEnd { pc }
    }

    #[cold]
    #[inline(never)]
    pub(crate) fn unlinked(pc: usize) -> Trap {
        Trap::Unlinked { pc }
    }

    #[cold]
    #[inline(never)]
    pub(crate) fn kfunc(pc: usize, id: i32) -> Trap {
        Trap::Kfunc { pc, id }
    }

    #[cold]
    #[inline(never)]
    pub(crate) fn bad_call_target(pc: usize, value: u64) -> Trap {
        Trap::BadCallTarget { pc, value }
    }

    #[cold]
    #[inline(never)]
    pub(crate) fn tail_call_in_callback(pc: usize) -> Trap {
        Trap::TailCallInCallback { pc }
    }

    #[cold]
    #[inline(never)]
    pub(crate) fn bad_window(id: RegionId) -> Trap {
        Trap::BadWindow { region: id.0 }
    }
}

impl fmt::Display for Trap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use Trap::*;
        match *self {
            OutOfBounds {
                pc,
                addr,
                size,
                write,
            } => write!(
                f,
                "insn {pc}: out-of-bounds {} of {size} bytes at {addr:#x}",
                if write { "write" } else { "read" }
            ),
            InsnLimit { pc } => write!(f, "insn {pc}: instruction limit reached"),
            UnknownHelper { pc, id } => write!(f, "insn {pc}: call to unknown helper {id}"),
            CallDepth { pc } => write!(f, "insn {pc}: call depth limit exceeded"),
            FellOffEnd { pc } => write!(f, "insn {pc}: execution fell off the end of the program"),
            Unlinked { pc } => write!(
                f,
                "insn {pc}: `lddw` with an unresolved pseudo source (map or BTF reference not linked)"
            ),
            Kfunc { pc, id } => write!(f, "insn {pc}: call to unsupported kfunc (BTF id {id})"),
            BadCallTarget { pc, value } => write!(f, "insn {pc}: bad call target {value:#x}"),
            Helper { pc, id, code } => write!(f, "insn {pc}: helper {id} failed with code {code}"),
            Unwind(v) => write!(f, "program unwound with r0 = {v:#x}"),
            TailCallInCallback { pc } => write!(f, "insn {pc}: tail call inside a callback"),
            Reentrant => write!(f, "the VM is already running a program"),
            BadWindow { region } => write!(f, "bad window for memory region {region}"),
        }
    }
}

impl std::error::Error for Trap {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_and_one_line() {
        assert!(std::mem::size_of::<Trap>() <= 24);
        let t = Trap::oob(3, 0x10, 4, true);
        assert_eq!(
            t.to_string(),
            "insn 3: out-of-bounds write of 4 bytes at 0x10"
        );
        assert_eq!(
            Trap::oob(0, 0, 1000, false),
            Trap::OutOfBounds {
                pc: 0,
                addr: 0,
                size: 255,
                write: false
            }
        );
        assert_eq!(t.pc(), Some(3));
        assert_eq!(Trap::Unwind(1).pc(), None);
    }
}

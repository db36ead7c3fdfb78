//! The diagnostic model (miette's shape, rustc's wording rules): a stable
//! code, a lowercase message without a final period, a primary label on the
//! failing instruction, related labels on the instructions that explain it,
//! a help line, an optional machine-applicable-or-not suggestion, and the
//! Linux verifier's own message for the same problem.
//!
//! # JSON form
//!
//! [`Diagnostic`] serialises (serde) as one object:
//!
//! ```json
//! {
//!   "code": "bpfbox::verifier::uninit_reg",
//!   "severity": "error",
//!   "message": "use of uninitialised register `r0`",
//!   "primary": { "insn": 3, "text": "`exit` returns `r0`" },
//!   "related": [ { "insn": 0, "text": "..." } ],
//!   "help": "initialise `r0` before `exit`, e.g. `r0 = 0`",
//!   "suggestion": { "insn": 3, "edit": "insert_before", "code": "r0 = 0",
//!                   "applicability": "maybe_incorrect" },
//!   "kernel": "R0 !read_ok"
//! }
//! ```
//!
//! `insn` is a slot index into the decoded program (the unit jump offsets
//! count in); `help`, `suggestion` and `kernel` are `null` when absent.

use serde::Serialize;
use std::fmt;

/// Stable diagnostic codes, rendered `bpfbox::verifier::<name>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Code {
    /// The instruction list is not a well-formed decoded program.
    Malformed,
    /// A jump leaves its function or the program (`check_subprogs`).
    JumpOutOfRange,
    /// A function's last instruction is not `exit` or `goto`.
    NoExit,
    /// An instruction no path reaches (`check_cfg`).
    Unreachable,
    /// A loop while loops are not allowed.
    BackEdge,
    /// bpf-to-bpf calls nest too deeply or recurse.
    CallDepth,
    /// A bpf-to-bpf call while they are not allowed.
    LocalCall,
    /// `callx` while it is not allowed.
    Callx,
    /// `LD_ABS`/`LD_IND` in a program type without them.
    LdAbs,
    /// A register is read before it is written (`R%d !read_ok`).
    UninitReg,
    /// Arithmetic on the frame pointer that the kernel refuses.
    FpArith,
    /// Division or modulo by the constant 0.
    DivByZero,
    /// Shift by a constant outside `0..width`.
    BadShift,
    /// A stack access off `r10` that is not aligned to its size.
    StackAlign,
    /// A stack access off `r10` outside the 512-byte stack.
    StackBounds,
    /// A load or store through a register that is not a pointer to memory (`invalid mem access 'scalar'`), or a pointer that may be NULL.
    InvalidMemAccess,
    /// A packet access outside the range proven by a comparison with `data_end`.
    PktAccess,
    /// An access outside a map value, map key, ring buffer record or other sized object.
    MemAccess,
    /// A context access the program type does not allow.
    CtxAccess,
    /// A stack access the verifier refuses: outside the 512 bytes, misaligned, or a partial read of a spilled pointer.
    StackAccess,
    /// Pointer arithmetic the kernel refuses.
    PtrArith,
    /// A helper argument of the wrong type or size.
    HelperArg,
    /// A helper this program type (and expected attach type) cannot call.
    HelperUnavailable,
    /// A GPL-only helper called from a program whose license is not GPL-compatible.
    GplOnly,
    /// A socket reference or ring buffer record still held when the program exits.
    RefLeak,
    /// A release of something that is not a held reference.
    RefRelease,
    /// The program (or a callback) can return a value its hook does not allow.
    RetRange,
    /// A loop that comes back to the same state: it never ends.
    InfiniteLoop,
    /// The walk processed more than 1,000,000 instructions.
    TooComplex,
    /// The stack frames of a call chain add up to more than 512 bytes.
    StackDepth,
    /// A call passes arguments a global function's BTF signature does not
    /// accept, or the signature has an argument the kernel cannot check.
    GlobalFuncArg,
    /// A `bpf_spin_lock` misused: a call or `exit` while held, an unlock
    /// without the lock, the lock word (or a timer) accessed directly.
    SpinLock,
}

impl Code {
    /// Every code, for documentation and `bpfbox explain`.
    pub const ALL: &'static [Code] = &[
        Code::Malformed,
        Code::JumpOutOfRange,
        Code::NoExit,
        Code::Unreachable,
        Code::BackEdge,
        Code::CallDepth,
        Code::LocalCall,
        Code::Callx,
        Code::LdAbs,
        Code::UninitReg,
        Code::FpArith,
        Code::DivByZero,
        Code::BadShift,
        Code::StackAlign,
        Code::StackBounds,
        Code::InvalidMemAccess,
        Code::PktAccess,
        Code::MemAccess,
        Code::CtxAccess,
        Code::StackAccess,
        Code::PtrArith,
        Code::HelperArg,
        Code::HelperUnavailable,
        Code::GplOnly,
        Code::RefLeak,
        Code::RefRelease,
        Code::RetRange,
        Code::InfiniteLoop,
        Code::TooComplex,
        Code::StackDepth,
        Code::GlobalFuncArg,
        Code::SpinLock,
    ];

    /// The short name (`uninit_reg`).
    pub const fn name(self) -> &'static str {
        match self {
            Code::Malformed => "malformed",
            Code::JumpOutOfRange => "jump_out_of_range",
            Code::NoExit => "no_exit",
            Code::Unreachable => "unreachable",
            Code::BackEdge => "back_edge",
            Code::CallDepth => "call_depth",
            Code::LocalCall => "local_call",
            Code::Callx => "callx",
            Code::LdAbs => "ld_abs",
            Code::UninitReg => "uninit_reg",
            Code::FpArith => "fp_arith",
            Code::DivByZero => "div_by_zero",
            Code::BadShift => "bad_shift",
            Code::StackAlign => "stack_align",
            Code::StackBounds => "stack_bounds",
            Code::InvalidMemAccess => "invalid_mem_access",
            Code::PktAccess => "pkt_access",
            Code::MemAccess => "mem_access",
            Code::CtxAccess => "ctx_access",
            Code::StackAccess => "stack_access",
            Code::PtrArith => "ptr_arith",
            Code::HelperArg => "helper_arg",
            Code::HelperUnavailable => "helper_unavailable",
            Code::GplOnly => "gpl_only",
            Code::RefLeak => "ref_leak",
            Code::RefRelease => "ref_release",
            Code::RetRange => "ret_range",
            Code::InfiniteLoop => "infinite_loop",
            Code::TooComplex => "too_complex",
            Code::StackDepth => "stack_depth",
            Code::GlobalFuncArg => "global_func_arg",
            Code::SpinLock => "spin_lock",
        }
    }

    /// The full stable code (`bpfbox::verifier::uninit_reg`).
    pub fn as_string(self) -> String {
        format!("bpfbox::verifier::{}", self.name())
    }

    /// Looks a code up by its short or full name.
    pub fn from_name(s: &str) -> Option<Code> {
        let short = s.strip_prefix("bpfbox::verifier::").unwrap_or(s);
        Code::ALL.iter().copied().find(|c| c.name() == short)
    }

    /// The long explanation (`bpfbox explain <code>`), naming the kernel
    /// function that enforces the rule.
    pub const fn explain(self) -> &'static str {
        match self {
            Code::Malformed => {
                "The instruction list is not a program the kernel could decode: it is empty, a \
                 jump or call target lies outside it or inside the second slot of a `lddw`, the \
                 two slots of a `lddw` are not paired, a register number is above 10, or an \
                 instruction writes the read-only frame pointer `r10`. `bpfbox_isa::decode` \
                 refuses all of these; the check exists for hand-built instruction lists."
            }
            Code::JumpOutOfRange => {
                "A jump must land inside the function it belongs to. Functions \
                 (subprograms) start at instruction 0 and at every target of a bpf-to-bpf call \
                 or `BPF_PSEUDO_FUNC` load, and end where the next one starts \
                 (`check_subprogs` in kernel/bpf/verifier.c)."
            }
            Code::NoExit => {
                "Execution must not fall off the end of a function into the next one, so the \
                 last instruction of every function must be `exit` or an unconditional `goto` \
                 (`check_subprogs` in kernel/bpf/verifier.c)."
            }
            Code::Unreachable => {
                "Every instruction must be reachable from the program start along jumps, \
                 fall-through and calls; the kernel refuses dead code instead of ignoring it \
                 (`check_cfg` in kernel/bpf/verifier.c). Branches that are never taken because \
                 of known values do not count: this is a structural check."
            }
            Code::BackEdge => {
                "A jump to an earlier instruction on the same path forms a loop. The kernel \
                 allows loops for CAP_BPF programs (since 5.3) and proves they terminate; \
                 without that capability it refuses them (`check_cfg`)."
            }
            Code::CallDepth => {
                "bpf-to-bpf calls may nest at most 8 frames deep (MAX_CALL_FRAMES), including \
                 the main program, and a function cannot call itself directly or indirectly \
                 (`check_max_stack_depth`, `check_func_call` in kernel/bpf/verifier.c)."
            }
            Code::LocalCall => {
                "bpf-to-bpf calls and `BPF_PSEUDO_FUNC` loads were disabled by the caller's \
                 options (the kernel allows them for CAP_BPF programs)."
            }
            Code::Callx => {
                "`callx reg` (BPF_JMP | BPF_CALL | BPF_X) calls through a register. RFC 9669 \
                 lists it, but the Linux verifier refuses it as an unknown opcode. It is allowed \
                 only when the caller's options say so."
            }
            Code::LdAbs => {
                "The legacy packet loads `LD_ABS` and `LD_IND` read the packet of the socket \
                 buffer in `r6`; the kernel allows them only for program types that run on an skb \
                 (socket filter, tc classifier and action: `may_access_skb` in \
                 kernel/bpf/verifier.c). Other types read packet data through their context \
                 (`data`/`data_end`) or helpers such as `bpf_skb_load_bytes`."
            }
            Code::UninitReg => {
                "A register is read on some path before anything was written to it. At program \
                 start only the context pointer `r1` and the frame pointer `r10` hold values; a \
                 helper call, a bpf-to-bpf call and a legacy packet load (`LD_ABS`/`LD_IND`) \
                 clobber `r1`-`r5`; a called function receives `r1`-`r5` from its caller but \
                 not `r0` or `r6`-`r9`; and `exit` returns `r0`, which therefore must be set. \
                 The kernel reports `R<n> !read_ok` (`check_reg_arg` in kernel/bpf/verifier.c). \
                 Branches decided by known constants are not followed, as in the kernel."
            }
            Code::FpArith => {
                "The frame pointer `r10` is a pointer: the kernel allows `=` and 64-bit `+=` \
                 with it (and `-=` when the destination is also a pointer), and refuses any other \
                 ALU operation that takes it as an operand, e.g. `r0 |= r10` (\"R0 bitwise \
                 operator |= on pointer prohibited\") or `w0 += w10` (\"R0 32-bit pointer \
                 arithmetic prohibited\"), even for root (`adjust_ptr_min_max_vals`)."
            }
            Code::DivByZero => {
                "`/=`, `%=`, `s/=` and `s%=` with the immediate 0 are refused by the kernel \
                 (\"div by zero\", `check_alu_op`). A divisor register that holds 0 at run time \
                 is fine: division gives 0 and modulo leaves the destination unchanged."
            }
            Code::BadShift => {
                "A shift by an immediate must be below the operand width (32 or 64) and not \
                 negative; the kernel refuses others (\"invalid shift %d\", `check_alu_op`). \
                 Shift amounts in registers are masked at run time instead. Runtimes following \
                 the bpf_conformance suite mask immediates too, so this check is off in \
                 `Options::conformance`."
            }
            Code::StackAlign => {
                "Loads, stores and atomics on the stack must be aligned to their size, \
                 whatever the CPU allows: the verifier's tracking of stack slots relies on it \
                 (`check_ptr_alignment` in kernel/bpf/verifier.c; \"misaligned stack access\")."
            }
            Code::StackBounds => {
                "The stack is 512 bytes (MAX_BPF_STACK) just below the frame pointer: an \
                 access off `r10` must lie within `r10 - 512` .. `r10 - 1` \
                 (`check_stack_access_within_bounds`; \"invalid read from stack\", \
                 \"invalid write to stack\")."
            }
            Code::InvalidMemAccess => "Only pointers the verifier has typed may be dereferenced: the context, the stack, packet data inside its checked range, map values after their NULL check, ring buffer records after theirs, sockets. A number (`scalar`), the packet end pointer, a map pointer or any pointer that may still be NULL (`map_value_or_null`, `sock_or_null`, `ringbuf_mem_or_null`) cannot be (`check_mem_access` in kernel/bpf/verifier.c: \"R%d invalid mem access '%s'\"). Test the helper's result against 0 first: `if (!value) return 0;`.",
            Code::PktAccess => "Direct packet access (`data`..`data_end` from the context) is allowed only for the bytes a comparison proved present: after `if (data + 14 > data_end) return ...;` the fall-through path may read `data[0..14]`. The range belongs to the pointer it was learnt on (and its copies); adding a variable offset starts a new pointer with no range; helpers that change packet data (`bpf_xdp_adjust_head`, `bpf_skb_pull_data`, ...) invalidate every packet pointer, so reload `data`/`data_end` after them (`check_packet_access`: \"R%d offset is outside of the packet\").",
            Code::MemAccess => "Map values, keys and ring buffer records have a size known at load time; every access, fixed offset plus the whole range of a variable index, must stay inside it. Bound an index before using it: `if (i >= N) return 0;` (`check_mem_region_access`: \"invalid access to map value, value_size=%d off=%d size=%d\", \"R%d unbounded memory access\"). Read-only maps (`.rodata`) refuse stores (\"write into map forbidden\").",
            Code::CtxAccess => "Each program type allows its own set of context fields, widths and writes (the kernel's `is_valid_access` callbacks; `bpfbox describe TYPE` lists them). The context pointer must be used unmodified: `*(u32 *)(ctx + 8)`, not `ctx += 8; *(u32 *)ctx` (\"invalid bpf_context access off=%d size=%d\", \"dereference of modified ctx ptr\").",
            Code::StackAccess => "The stack is 512 bytes below the frame pointer, also through copies of `r10` and variable offsets (every possible offset must be inside); accesses at fixed offsets must be aligned to their size; a spilled pointer must be read back whole (\"invalid read from stack\", \"invalid variable-offset read from stack\", \"invalid size of register fill\", `check_stack_access_within_bounds`).",
            Code::PtrArith => "Pointers allow 64-bit `+=` and `-=` of numbers (and `-` of two pointers, which gives a number). Multiplication, division, shifts and bitwise operators on a pointer, 32-bit arithmetic on it, adding two pointers, arithmetic on the packet end pointer, sockets or a pointer that may still be NULL, subtracting from a stack pointer, and offsets beyond 2^29 are refused (`adjust_ptr_min_max_vals`).",
            Code::HelperArg => "Each helper declares what its arguments must be (`struct bpf_func_proto`): a map pointer from `lddw`, a pointer to a key or value of that map's size, a memory pointer followed by a size the verifier can bound, the unmodified context... (`check_func_arg`: \"R%d type=%s expected=%s\"). Maps are also limited in the helpers they go with, e.g. `bpf_tail_call` takes only a `BPF_MAP_TYPE_PROG_ARRAY` (\"cannot pass map_type %d into func\").",
            Code::HelperUnavailable => "Helpers are offered per program type by its `get_func_proto`: an XDP helper does not exist for tc programs, and tracing helpers do not exist for networking ones (\"program of this type cannot use helper %s#%d\"). `bpfbox describe TYPE` lists the helpers a type may call.",
            Code::GplOnly => "Some helpers (`bpf_probe_read`, `bpf_trace_printk`, `bpf_ktime_get_boot_ns`...) are only for GPL-compatible programs: declare `char LICENSE[] SEC(\"license\") = \"GPL\";` (or \"Dual MIT/GPL\" ...) (\"cannot call GPL-restricted function from non-GPL compatible program\").",
            Code::RefLeak => "References acquired from `bpf_sk_lookup_tcp`/`_udp`/`bpf_skc_lookup_tcp` must be released with `bpf_sk_release`, and records from `bpf_ringbuf_reserve` submitted or discarded, on every path, including early error returns (`check_reference_leak`: \"Unreleased reference id=%d alloc_insn=%d\").",
            Code::RefRelease => "Release helpers (`bpf_sk_release`, `bpf_ringbuf_submit`, `bpf_ringbuf_discard`) take the unmodified pointer returned by the acquiring helper, once; after the release every copy of it is unusable (`release_reference`).",
            Code::RetRange => "Some program types accept only certain return values, e.g. cgroup programs 0 or 1 and `bpf_loop` callbacks 0 or 1; the verifier checks the tracked range of `r0` at every `exit` (`check_return_code`: \"At program exit the register R0 has smin=%lld smax=%lld should have been in [%d, %d]\"). `bpfbox describe TYPE` shows the rule.",
            Code::InfiniteLoop => "Loops are allowed when the verifier can follow them to their end: each iteration must change something the loop condition tests, with bounds it can track. Reaching a loop head in exactly the state of an earlier visit proves the loop may run forever (`is_state_visited`: \"infinite loop detected at insn %d\").",
            Code::TooComplex => "The verifier follows every path (pruning the ones it has seen); a program whose paths add up to more than a million instructions is refused (\"BPF program is too large. Processed %d insn\"). Bound loops with small constants, use `bpf_loop`, or split the program with tail calls.",
            Code::StackDepth => "Each function's stack, rounded up to 16 bytes, counts for every chain of bpf-to-bpf calls and callbacks; the sum must not exceed 512 bytes (`check_max_stack_depth`: \"combined stack size of %d calls is %d. Too large\"). Keep large buffers in a per-CPU array map.",
            Code::SpinLock => "A `struct bpf_spin_lock` in a map value is taken with `bpf_spin_lock(&v->lock)` and given back with `bpf_spin_unlock(&v->lock)` on every path before `exit`; while it is held nothing else may be called (no helper, no bpf-to-bpf call), and the lock word itself, like a `struct bpf_timer`, is never read or written directly (`process_spin_lock`: \"bpf_spin_unlock without taking a lock\", \"function calls are not allowed while holding a lock\", \"bpf_spin_lock cannot be accessed directly by load/store\").",
            Code::GlobalFuncArg => "A global (non-static) function is checked once, on its own, against its BTF signature, not with each caller's registers: an `int` argument is any number, a pointer to the program's context type is the context, and any other pointer is memory of the pointed-to type's size that may be NULL (so the function must test it before use). `void *` has no size and is refused. Each call must pass what the signature says: the context, a number, or a pointer to at least that many bytes (`btf_check_func_arg_match`: \"Caller passes invalid args into func#%d\"). Make the function `static` to have it checked with the caller's values instead.",
        }
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "bpfbox::verifier::{}", self.name())
    }
}

impl Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// How bad a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Severity {
    /// The kernel refuses the program.
    Error,
    /// Suspicious but accepted.
    Warning,
}

/// A label on one instruction.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Label {
    /// Slot index of the instruction.
    pub insn: usize,
    /// Short text shown next to it.
    pub text: String,
}

impl Label {
    /// A label on `insn`.
    pub fn new(insn: usize, text: impl Into<String>) -> Label {
        Label {
            insn,
            text: text.into(),
        }
    }
}

/// How safely a suggestion can be applied (rustc's `Applicability`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Applicability {
    /// Applying it certainly fixes the problem without changing intent.
    MachineApplicable,
    /// It fixes the diagnostic but may not be what the author meant.
    MaybeIncorrect,
    /// It contains placeholders to fill in.
    HasPlaceholders,
}

/// What a [`Suggestion`] does with its instruction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Edit {
    /// Insert the code before the instruction.
    InsertBefore,
    /// Replace the instruction with the code.
    Replace,
}

/// A fix: one instruction (pseudo-C text, as `bpfbox-asm` reads it) to
/// insert before, or put in place of, an instruction.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Suggestion {
    /// Slot index of the instruction the edit applies to.
    pub insn: usize,
    /// Insert or replace.
    pub edit: Edit,
    /// The instruction text.
    pub code: String,
    /// How safe it is.
    pub applicability: Applicability,
}

/// One verifier finding. `Display` prints the one-line message; use
/// [`crate::render_text`] for the full report.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, thiserror::Error)]
#[error("{message}")]
pub struct Diagnostic {
    /// Stable code.
    pub code: Code,
    /// Severity.
    pub severity: Severity,
    /// What is wrong: lowercase, no final period, code in backticks.
    pub message: String,
    /// The failing instruction.
    pub primary: Label,
    /// Instructions that explain it (where a value was clobbered, where the
    /// function starts, the target of a bad jump).
    pub related: Vec<Label>,
    /// How to fix it.
    pub help: Option<String>,
    /// A concrete fix, when there is one.
    pub suggestion: Option<Suggestion>,
    /// The Linux verifier's message for the same problem (a substring of
    /// its log), when known.
    pub kernel: Option<String>,
}

impl Diagnostic {
    /// An error with a primary label and nothing else.
    pub fn error(code: Code, message: impl Into<String>, primary: Label) -> Diagnostic {
        Diagnostic {
            code,
            severity: Severity::Error,
            message: message.into(),
            primary,
            related: Vec::new(),
            help: None,
            suggestion: None,
            kernel: None,
        }
    }

    /// Adds a related label.
    pub fn with_related(mut self, label: Label) -> Diagnostic {
        self.related.push(label);
        self
    }

    /// Sets the help line.
    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    /// Sets the suggestion.
    pub fn with_suggestion(mut self, s: Suggestion) -> Diagnostic {
        self.suggestion = Some(s);
        self
    }

    /// Sets the kernel's message.
    pub fn with_kernel(mut self, kernel: impl Into<String>) -> Diagnostic {
        self.kernel = Some(kernel.into());
        self
    }

    /// The stable code.
    pub fn code(&self) -> Code {
        self.code
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_round_trip() {
        let mut names: Vec<_> = Code::ALL.iter().map(|c| c.name()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), Code::ALL.len());
        for &c in Code::ALL {
            assert_eq!(Code::from_name(&c.as_string()), Some(c));
            assert_eq!(Code::from_name(c.name()), Some(c));
            assert!(c
                .name()
                .chars()
                .all(|ch| ch.is_ascii_lowercase() || ch == '_'));
            assert!(!c.explain().is_empty());
        }
        assert_eq!(Code::from_name("nope"), None);
    }

    #[test]
    fn builder_and_display() {
        let d = Diagnostic::error(Code::UninitReg, "use of `r0`", Label::new(3, "here"))
            .with_related(Label::new(0, "start"))
            .with_help("set it")
            .with_kernel("R0 !read_ok");
        assert_eq!(d.to_string(), "use of `r0`");
        assert_eq!(d.code().to_string(), "bpfbox::verifier::uninit_reg");
        assert_eq!(d.related.len(), 1);
    }
}

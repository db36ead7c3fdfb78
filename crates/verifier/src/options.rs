//! What the verifier may assume and allow: the registers that hold values
//! when the program starts, and the optional instruction forms.

use bpfbox_isa::{Reg, FP};
use std::fmt;

/// A set of registers `r0`..`r10`, as a bit set.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct RegSet(u16);

impl RegSet {
    /// The empty set.
    pub const EMPTY: RegSet = RegSet(0);

    /// The set of the given registers (numbers above 10 are ignored).
    pub const fn of(regs: &[Reg]) -> RegSet {
        let mut bits = 0u16;
        let mut i = 0;
        while i < regs.len() {
            if regs[i] <= FP {
                bits |= 1 << regs[i];
            }
            i += 1;
        }
        RegSet(bits)
    }

    /// Whether `r` is in the set.
    pub const fn contains(self, r: Reg) -> bool {
        r <= FP && self.0 & (1 << r) != 0
    }

    /// The set with `r` added (numbers above 10 are ignored).
    pub const fn with(self, r: Reg) -> RegSet {
        if r > FP {
            return self;
        }
        RegSet(self.0 | 1 << r)
    }

    /// The registers in ascending order.
    pub fn iter(self) -> impl Iterator<Item = Reg> {
        (0..=FP).filter(move |&r| self.contains(r))
    }
}

impl fmt::Debug for RegSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set()
            .entries(self.iter().map(|r| format!("r{r}")))
            .finish()
    }
}

/// How many argument registers (`r1`..) a helper reads, by helper id; `None`
/// for an unknown helper (its arguments are then not checked). The
/// program-type crate supplies this from its helper prototypes (the
/// kernel's `check_func_arg` reads every argument that is not
/// `ARG_DONTCARE`).
pub type HelperArgs = fn(helper: i32) -> Option<u8>;

/// A map the program refers to (by its index in `lddw` map references),
/// as the verifier needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MapInfo {
    /// `BPF_MAP_TYPE_*`.
    pub map_type: u32,
    /// Key size in bytes.
    pub key_size: u32,
    /// Value size in bytes.
    pub value_size: u32,
    /// Maximum entries.
    pub max_entries: u32,
    /// The program may not write its values (`BPF_F_RDONLY_PROG`).
    pub read_only: bool,
    /// For a map of maps, the index (in the same list) of its inner map
    /// template.
    pub inner: Option<u32>,
    /// Offset of the value's `struct bpf_spin_lock` (from BTF).
    pub lock_off: Option<u32>,
    /// Offset of the value's `struct bpf_timer` (from BTF).
    pub timer_off: Option<u32>,
}

impl MapInfo {
    /// A map the verifier knows nothing about (every access refused).
    pub const UNKNOWN: MapInfo = MapInfo {
        map_type: 0,
        key_size: 0,
        value_size: 0,
        max_entries: 0,
        read_only: true,
        inner: None,
        lock_off: None,
        timer_off: None,
    };
}

/// An argument of a global function as its BTF signature declares it
/// (the kernel's `btf_prepare_func_args`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GlobalArg {
    /// An integer or enum: any number (`ARG_ANYTHING`).
    Scalar,
    /// A pointer to the program type's context struct (`ARG_PTR_TO_CTX`).
    Ctx,
    /// A pointer to `size` bytes (`ARG_PTR_TO_MEM`), NULL allowed unless
    /// tagged `arg:nonnull`.
    Mem {
        /// The size of the pointed-to type.
        size: u32,
        /// The callee must test it against NULL.
        nullable: bool,
    },
}

/// A global (`BTF_FUNC_GLOBAL`) function of the program: the kernel checks
/// it once against its signature instead of with each caller's state.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct GlobalFunc {
    /// The slot where the function starts.
    pub insn: usize,
    /// Its name.
    pub name: String,
    /// Its arguments, or the kernel's message for a signature it cannot
    /// check (`arg#0 reference type('UNKNOWN ') size cannot be
    /// determined: -22`).
    pub args: Result<Vec<GlobalArg>, String>,
}

/// The program being checked as the kernel sees it at `BPF_PROG_LOAD`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ProgInfo {
    /// `BPF_PROG_TYPE_*`.
    pub prog_type: u32,
    /// `expected_attach_type`.
    pub expected_attach_type: u32,
}

/// Verifier options. Start from [`Options::kernel`] (also the `Default`) or
/// [`Options::conformance`] and change fields.
///
/// With [`Options::prog`] set, the abstract interpreter (types, bounds,
/// memory, helpers, references, return values, loops) runs after the
/// structural passes; without it only the structural passes run (raw
/// programs with the `exec` convention).
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct Options<'a> {
    /// Registers that hold a value when the program starts. `r10` (the
    /// frame pointer) always does, whether listed or not.
    pub entry_regs: RegSet,
    /// Allow bpf-to-bpf calls (`call pc+N`) and `BPF_PSEUDO_FUNC` loads
    /// (the kernel allows them with CAP_BPF since 4.16).
    pub allow_local_calls: bool,
    /// Allow `callx reg` (the Linux verifier refuses it: "unknown opcode
    /// 8d"; uBPF-style runtimes and bpf_conformance's `callx.data` use it).
    pub allow_callx: bool,
    /// Allow back-edges (loops). The kernel allows them with CAP_BPF since
    /// 5.3 and then proves termination by exploring the loop; this layer
    /// does not, so a loop is accepted here without a termination proof.
    pub allow_loops: bool,
    /// Argument counts of helpers, so a helper call reads its arguments.
    pub helper_args: Option<HelperArgs>,
    /// Accept shifts by an immediate outside `0..width` (the kernel refuses
    /// them: "invalid shift %d"; the bpf_conformance suite has tests such
    /// as `lsh32-imm-high.data` that expect the amount to be masked).
    pub allow_out_of_range_shifts: bool,
    /// Accept the legacy packet loads `LD_ABS`/`LD_IND`. The kernel allows
    /// them only for program types that may access an skb
    /// (`may_access_skb`: socket filter, tc classifier and action); the
    /// program-type layer clears this for the others.
    pub allow_ld_abs: bool,
    /// Program type and expected attach type: turns on the abstract
    /// interpreter with that type's context, helpers and return rules.
    pub prog: Option<ProgInfo>,
    /// The maps `lddw` instructions refer to, by index.
    pub maps: &'a [MapInfo],
    /// The object's license is GPL-compatible (GPL-only helpers allowed).
    pub gpl: bool,
    /// The kernel whose helper availability applies (a
    /// [`bpfbox_progtype::Profile`]); None: the built-in model (the
    /// program-type data).
    pub kernel: Option<&'a bpfbox_progtype::Profile>,
    /// The global functions (from BTF `func_info`); every other function
    /// is static and checked with its caller's state.
    pub globals: &'a [GlobalFunc],
    /// Per map index, the contents of a frozen read-only map (`.rodata`,
    /// `.kconfig`, which libbpf freezes after writing them): a load at a
    /// constant offset reads a known number, as the kernel's
    /// `bpf_map_direct_read` gives it.
    pub frozen: &'a [Option<&'a [u8]>],
    /// BTF typing of a tracing program's context and of the kernel
    /// objects it reaches (fentry/fexit: the traced function's arguments);
    /// None: context slots read as numbers, as without BTF.
    pub btf: Option<&'a dyn BtfTyping>,
}

/// What a BTF-typed load gives (the kernel's `btf_ctx_access` and
/// `btf_struct_access` results).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BtfLoaded {
    /// A number (`SCALAR_VALUE`).
    Scalar,
    /// A pointer to the struct with this BTF id (`PTR_TO_BTF_ID`); loads
    /// through it cannot fault (`PROBE_MEM`: a bad address reads 0).
    Ptr(u32),
}

/// The BTF types of a tracing program's world: its context (one u64 slot
/// per argument of the traced function, then the return value for fexit)
/// and the structs its pointers reach. Ids are those of one BTF (the
/// kernel's, usually), chosen by the implementer.
pub trait BtfTyping: std::fmt::Debug + Sync {
    /// What ctx slot `slot` holds; None when the traced function has no
    /// such argument (the kernel's "func '%s' doesn't have %d-th argument").
    fn arg(&self, slot: u32) -> Option<BtfLoaded>;
    /// What loading `size` bytes at `off` of struct `ty` gives, or the
    /// kernel's reason for refusing it.
    fn load(&self, ty: u32, off: i64, size: u32) -> Result<BtfLoaded, String>;
    /// The traced function's name (for messages).
    fn func_name(&self) -> &str;
}

impl Options<'static> {
    /// The Linux kernel's view of a privileged program: `r1` (the context)
    /// and `r10` are initialised, bpf-to-bpf calls and loops are allowed,
    /// `callx` is not.
    pub const fn kernel() -> Options<'static> {
        Options {
            entry_regs: RegSet::of(&[1, FP]),
            allow_local_calls: true,
            allow_callx: false,
            allow_loops: true,
            helper_args: None,
            allow_out_of_range_shifts: false,
            allow_ld_abs: true,
            prog: None,
            maps: &[],
            gpl: true,
            kernel: None,
            globals: &[],
            frozen: &[],
            btf: None,
        }
    }

    /// The bpf_conformance / `bpfbox exec` convention: `r1` (memory
    /// address) and `r2` (its length) are initialised besides `r10`, and
    /// `callx` is allowed (the suite's `callx.data` uses it), and so are
    /// shifts by out-of-range immediates (masked, as the suite's
    /// `*-imm-high` and `*-imm-neg` tests expect; the kernel refuses them).
    ///
    /// `r0` is *not* initialised: the upstream reference runtimes zero all
    /// registers, but no test of the suite relies on that (every positive
    /// test passes with this convention, which `tests/tests.rs` checks), and
    /// a program that reads `r0` first would be refused by the kernel.
    pub const fn conformance() -> Options<'static> {
        Options {
            entry_regs: RegSet::of(&[1, 2, FP]),
            allow_callx: true,
            allow_out_of_range_shifts: true,
            ..Options::kernel()
        }
    }
}

impl Default for Options<'static> {
    fn default() -> Self {
        Options::kernel()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regset_basics() {
        let s = RegSet::of(&[1, 10, 11]);
        assert!(s.contains(1) && s.contains(10) && !s.contains(11) && !s.contains(0));
        assert_eq!(s.iter().collect::<Vec<_>>(), vec![1, 10]);
        assert_eq!(s.with(3).iter().count(), 3);
        assert_eq!(format!("{:?}", s), "{\"r1\", \"r10\"}");
    }

    #[test]
    fn presets() {
        assert_eq!(Options::default().entry_regs, Options::kernel().entry_regs);
        assert!(Options::conformance().entry_regs.contains(2));
        assert!(!Options::kernel().entry_regs.contains(2));
        assert!(Options::conformance().allow_callx && !Options::kernel().allow_callx);
    }
}

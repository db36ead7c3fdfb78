//! The decoded instruction: what the interpreter, the verifier, the
//! disassembler and (later) the JIT work on. Raw slots are decoded once by
//! [`crate::decode()`]; jump and call targets are resolved to slot indices and
//! the two halves of `lddw` are merged.

/// A register number, 0..=10 (`r10` is the read-only frame pointer).
pub type Reg = u8;

/// The frame pointer register.
pub const FP: Reg = 10;

/// Operation width of ALU and JMP instructions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Width {
    /// 32-bit (`BPF_ALU`, `BPF_JMP32`): results zero-extend to 64 bits.
    W32,
    /// 64-bit (`BPF_ALU64`, `BPF_JMP`).
    W64,
}

/// Second operand: a register or the sign-extended immediate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Src {
    /// `BPF_X`: a register.
    Reg(Reg),
    /// `BPF_K`: the 32-bit immediate (sign-extended for 64-bit operations).
    Imm(i32),
}

/// ALU operations taking two operands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AluOp {
    /// `+=`
    Add,
    /// `-=`
    Sub,
    /// `*=`
    Mul,
    /// Unsigned `/=` (x / 0 = 0).
    Div,
    /// Signed `s/=` (`off` = 1).
    Sdiv,
    /// `|=`
    Or,
    /// `&=`
    And,
    /// `<<=` (shift masked to the width).
    Lsh,
    /// Logical `>>=`.
    Rsh,
    /// Unsigned `%=` (x % 0 = x).
    Mod,
    /// Signed `s%=` (`off` = 1).
    Smod,
    /// `^=`
    Xor,
    /// `=`
    Mov,
    /// `= (s8)`, `= (s16)`, `= (s32)`: sign-extending move (`off` = bits).
    Movsx(u8),
    /// Arithmetic `s>>=`.
    Arsh,
}

/// Byte-order operation (`BPF_END`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Endian {
    /// `le16/32/64`: convert to little endian (a truncation on x86).
    ToLe,
    /// `be16/32/64`: convert to big endian.
    ToBe,
    /// `bswap16/32/64` (`BPF_ALU64 | BPF_END`): unconditional swap.
    Swap,
}

/// Jump conditions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Cond {
    /// `==`
    Eq,
    /// `>` unsigned
    Gt,
    /// `>=` unsigned
    Ge,
    /// `&` non-zero
    Set,
    /// `!=`
    Ne,
    /// `s>`
    Sgt,
    /// `s>=`
    Sge,
    /// `<` unsigned
    Lt,
    /// `<=` unsigned
    Le,
    /// `s<`
    Slt,
    /// `s<=`
    Sle,
}

/// Memory access size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Size {
    /// 1 byte (`BPF_B`, `u8`).
    B,
    /// 2 bytes (`BPF_H`, `u16`).
    H,
    /// 4 bytes (`BPF_W`, `u32`).
    W,
    /// 8 bytes (`BPF_DW`, `u64`).
    DW,
}

impl Size {
    /// Size in bytes.
    pub const fn bytes(self) -> usize {
        match self {
            Size::B => 1,
            Size::H => 2,
            Size::W => 4,
            Size::DW => 8,
        }
    }

    /// Size in bits.
    pub const fn bits(self) -> u32 {
        self.bytes() as u32 * 8
    }
}

/// Atomic read-modify-write operations (`BPF_ATOMIC`, the op in `imm`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AtomicOp {
    /// `lock *(ptr) += src`, with `fetch` the old value goes to `src`.
    Add {
        /// `BPF_FETCH`
        fetch: bool,
    },
    /// `|=`
    Or {
        /// `BPF_FETCH`
        fetch: bool,
    },
    /// `&=`
    And {
        /// `BPF_FETCH`
        fetch: bool,
    },
    /// `^=`
    Xor {
        /// `BPF_FETCH`
        fetch: bool,
    },
    /// `src = xchg(ptr, src)`
    Xchg,
    /// `r0 = cmpxchg(ptr, r0, src)`
    Cmpxchg,
    /// `dst = load_acquire(src + off)` (here `dst`/`src` as in the slot).
    LoadAcquire,
    /// `store_release(dst + off, src)`
    StoreRelease,
}

/// What a `lddw` (`BPF_LD | BPF_IMM | BPF_DW`) loads, by its `src` field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LdImm64 {
    /// Plain 64-bit constant.
    Imm(u64),
    /// `BPF_PSEUDO_MAP_FD`: pointer to the map with this fd.
    MapFd(i32),
    /// `BPF_PSEUDO_MAP_VALUE`: pointer into the value of map fd at offset.
    MapValue {
        /// Map fd (first `imm`).
        fd: i32,
        /// Offset into the value (second `imm`).
        off: u32,
    },
    /// `BPF_PSEUDO_BTF_ID`: address of a kernel variable by BTF id.
    BtfId {
        /// BTF type id.
        id: i32,
        /// BTF object fd (second `imm`), 0 for vmlinux.
        btf_fd: i32,
    },
    /// `BPF_PSEUDO_FUNC`: address of a sub-program at this slot index.
    Func(usize),
    /// `BPF_PSEUDO_MAP_IDX`: map by index into `fd_array`.
    MapIdx(i32),
    /// `BPF_PSEUDO_MAP_IDX_VALUE`: value of map by index, at offset.
    MapIdxValue {
        /// Index into `fd_array`.
        idx: i32,
        /// Offset into the value.
        off: u32,
    },
}

/// One decoded instruction. Indices (`target`) are slot indices into the
/// program, the unit jump offsets count in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Insn {
    /// `dst op= src` for 32- or 64-bit operands.
    Alu {
        /// Operand width.
        width: Width,
        /// Operation.
        op: AluOp,
        /// Destination (and first operand).
        dst: Reg,
        /// Second operand.
        src: Src,
    },
    /// `dst = -dst`.
    Neg {
        /// Operand width.
        width: Width,
        /// Register.
        dst: Reg,
    },
    /// Byte order conversion of the low `bits` of `dst`.
    End {
        /// Kind of conversion.
        kind: Endian,
        /// 16, 32 or 64.
        bits: u8,
        /// Register.
        dst: Reg,
    },
    /// Unconditional jump (`goto`, or `gotol` with a 32-bit offset).
    Ja {
        /// Target slot.
        target: usize,
        /// Encoded as `BPF_JMP32 | BPF_JA` with the offset in `imm`.
        long: bool,
    },
    /// Conditional jump.
    Jmp {
        /// Comparison width.
        width: Width,
        /// Condition.
        cond: Cond,
        /// Left operand.
        dst: Reg,
        /// Right operand.
        src: Src,
        /// Target slot when the condition holds.
        target: usize,
    },
    /// `may_goto`: falls through while the loop budget lasts, then jumps.
    MayGoto {
        /// Target slot.
        target: usize,
    },
    /// `dst = *(size *)(src + off)`, sign-extending when `signed`.
    Load {
        /// Access size.
        size: Size,
        /// `BPF_MEMSX`.
        signed: bool,
        /// Destination.
        dst: Reg,
        /// Base address register.
        src: Reg,
        /// Offset.
        off: i16,
    },
    /// `*(size *)(dst + off) = src` (`BPF_STX`) or `= imm` (`BPF_ST`).
    Store {
        /// Access size.
        size: Size,
        /// Base address register.
        dst: Reg,
        /// Offset.
        off: i16,
        /// Value stored.
        src: Src,
    },
    /// Atomic operation on `*(size *)(dst + off)`.
    Atomic {
        /// Access size.
        size: Size,
        /// Operation.
        op: AtomicOp,
        /// Base address register.
        dst: Reg,
        /// Operand register.
        src: Reg,
        /// Offset.
        off: i16,
    },
    /// The first slot of a 16-byte `lddw`.
    LdImm64 {
        /// Destination.
        dst: Reg,
        /// What is loaded.
        value: LdImm64,
    },
    /// The second slot of a `lddw`; never executed, never a jump target.
    LdImm64Hi,
    /// Legacy packet access `r0 = ntoh(*(size *)(skb->data + imm))`.
    LdAbs {
        /// Access size (B, H or W).
        size: Size,
        /// Packet offset.
        imm: i32,
    },
    /// Legacy packet access `r0 = ntoh(*(size *)(skb->data + src + imm))`.
    LdInd {
        /// Access size (B, H or W).
        size: Size,
        /// Register added to the offset.
        src: Reg,
        /// Packet offset.
        imm: i32,
    },
    /// Helper call by id.
    Call {
        /// `enum bpf_func_id` value.
        helper: i32,
    },
    /// bpf-to-bpf call (`BPF_PSEUDO_CALL`).
    CallLocal {
        /// First slot of the callee.
        target: usize,
    },
    /// Kernel function call (`BPF_PSEUDO_KFUNC_CALL`) by BTF id.
    CallKfunc {
        /// BTF id of the kfunc.
        btf_id: i32,
        /// Module BTF fd index (`off`).
        off: i16,
    },
    /// `callx dst`: call the helper whose id (or sub-program address) is in
    /// a register.
    CallX {
        /// Register holding the target.
        reg: Reg,
    },
    /// Return `r0` from the current function.
    Exit,
}

impl Insn {
    /// Number of slots this instruction occupies in the raw encoding.
    pub fn slots(&self) -> usize {
        match self {
            Insn::LdImm64 { .. } => 2,
            _ => 1,
        }
    }

    /// Jump or call target slot, if the instruction has one.
    pub fn target(&self) -> Option<usize> {
        match *self {
            Insn::Ja { target, .. }
            | Insn::Jmp { target, .. }
            | Insn::MayGoto { target }
            | Insn::CallLocal { target } => Some(target),
            Insn::LdImm64 {
                value: LdImm64::Func(target),
                ..
            } => Some(target),
            _ => None,
        }
    }
}

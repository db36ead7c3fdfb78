//! The abstract machine state: registers with a type (the kernel's
//! `enum bpf_reg_type`), a fixed offset, a variable part ([`Scalar`]) and
//! ids; the stack of each frame byte by byte (invalid, misc, zero, spilled
//! register); acquired references.

use super::scalar::Scalar;

/// What a register holds (`enum bpf_reg_type` without the flags; "or
/// NULL" is [`Reg::null`]).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Ty {
    /// Never written (`NOT_INIT`).
    NotInit,
    /// A number (`SCALAR_VALUE`).
    Scalar,
    /// The context (`PTR_TO_CTX`).
    Ctx,
    /// A frame's stack (`PTR_TO_STACK`); the frame number.
    Stack(u8),
    /// Packet data (`PTR_TO_PACKET`).
    Packet,
    /// Packet metadata (`PTR_TO_PACKET_META`).
    PacketMeta,
    /// End of packet data (`PTR_TO_PACKET_END`).
    PacketEnd,
    /// A map (`CONST_PTR_TO_MAP`), by index into the options' maps.
    MapPtr(u32),
    /// A value of that map (`PTR_TO_MAP_VALUE`).
    MapValue(u32),
    /// A key of that map (`PTR_TO_MAP_KEY`, callbacks).
    MapKey(u32),
    /// Sized memory (`PTR_TO_MEM`), e.g. a ring buffer record.
    Mem {
        /// Size in bytes.
        size: u32,
        /// From `bpf_ringbuf_reserve` (`MEM_RINGBUF`).
        ringbuf: bool,
    },
    /// `struct bpf_sock *` (`PTR_TO_SOCKET`).
    Socket,
    /// Socket with common fields (`PTR_TO_SOCK_COMMON`).
    SockCommon,
    /// `struct bpf_tcp_sock *` (`PTR_TO_TCP_SOCK`).
    TcpSock,
    /// `struct bpf_flow_keys *` (`PTR_TO_FLOW_KEYS`).
    FlowKeys,
    /// Writable tracepoint buffer (`PTR_TO_TP_BUFFER`).
    TpBuffer,
    /// A BTF-typed kernel pointer, not modelled further (`PTR_TO_BTF_ID`).
    BtfId,
    /// A BPF function (`PTR_TO_FUNC`) at this slot.
    Func(u32),
}

impl Ty {
    /// The kernel's name (`reg_type_str`), without the `_or_null` suffix.
    pub fn kernel_name(self) -> &'static str {
        match self {
            Ty::NotInit => "?",
            Ty::Scalar => "scalar",
            Ty::Ctx => "ctx",
            Ty::Stack(_) => "fp",
            Ty::Packet => "pkt",
            Ty::PacketMeta => "pkt_meta",
            Ty::PacketEnd => "pkt_end",
            Ty::MapPtr(_) => "map_ptr",
            Ty::MapValue(_) => "map_value",
            Ty::MapKey(_) => "map_key",
            Ty::Mem { ringbuf: true, .. } => "ringbuf_mem",
            Ty::Mem { .. } => "mem",
            Ty::Socket => "sock",
            Ty::SockCommon => "sock_common",
            Ty::TcpSock => "tcp_sock",
            Ty::FlowKeys => "flow_keys",
            Ty::TpBuffer => "tp_buffer",
            Ty::BtfId => "ptr_",
            Ty::Func(_) => "func",
        }
    }

    /// Words for diagnostics.
    pub fn describe(self) -> &'static str {
        match self {
            Ty::NotInit => "uninitialised",
            Ty::Scalar => "a number",
            Ty::Ctx => "the context pointer",
            Ty::Stack(_) => "a stack pointer",
            Ty::Packet => "a packet pointer",
            Ty::PacketMeta => "a packet metadata pointer",
            Ty::PacketEnd => "the packet end pointer",
            Ty::MapPtr(_) => "a map pointer",
            Ty::MapValue(_) => "a map value pointer",
            Ty::MapKey(_) => "a map key pointer",
            Ty::Mem { ringbuf: true, .. } => "a ring buffer record pointer",
            Ty::Mem { .. } => "a memory pointer",
            Ty::Socket => "a socket pointer",
            Ty::SockCommon => "a socket (common fields) pointer",
            Ty::TcpSock => "a TCP socket pointer",
            Ty::FlowKeys => "the flow keys pointer",
            Ty::TpBuffer => "the tracepoint buffer pointer",
            Ty::BtfId => "a kernel object pointer",
            Ty::Func(_) => "a function pointer",
        }
    }

    /// Whether it is a pointer.
    pub fn is_ptr(self) -> bool {
        !matches!(self, Ty::NotInit | Ty::Scalar)
    }

    /// Packet data or metadata (pointers with a checked range).
    pub fn is_pkt(self) -> bool {
        matches!(self, Ty::Packet | Ty::PacketMeta)
    }
}

/// One register.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct Reg {
    /// Type.
    pub ty: Ty,
    /// May be NULL (`PTR_MAYBE_NULL`).
    pub null: bool,
    /// For scalars the value; for pointers the variable part of the
    /// offset.
    pub s: Scalar,
    /// Fixed offset of a pointer.
    pub off: i32,
    /// Identity: copies of a maybe-NULL pointer, packet pointers with the
    /// same variable part, linked scalars.
    pub id: u32,
    /// Linked scalars: the constant added since the copy (`r1 = r2;
    /// r1 += 4`, the kernel's `BPF_ADD_CONST` flags with `off`); `None`
    /// for a plain copy. A bound learnt on a linked register holds for
    /// this one shifted by the difference of the two deltas.
    pub delta: Option<Delta>,
    /// Reference this pointer holds (0: none).
    pub ref_id: u32,
    /// Packet pointers: bytes known to be readable from `off` 0.
    pub range: u32,
    /// BTF-typed pointers: the struct's id in [`crate::Options::btf`]'s
    /// BTF (0: untyped).
    pub btf: u32,
}

/// The constant a linked scalar was shifted by after the copy.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct Delta {
    /// The constant (negative for `-=`).
    pub off: i32,
    /// Added by a 32-bit instruction (`BPF_ADD_CONST32`): the register is
    /// the low 32 bits of the sum, zero-extended.
    pub w32: bool,
}

impl Reg {
    /// `NOT_INIT`.
    pub const NOT_INIT: Reg = Reg {
        ty: Ty::NotInit,
        null: false,
        s: Scalar::UNKNOWN,
        off: 0,
        id: 0,
        delta: None,
        ref_id: 0,
        range: 0,
        btf: 0,
    };

    /// An unknown number.
    pub const fn unknown() -> Reg {
        Reg {
            ty: Ty::Scalar,
            ..Reg::NOT_INIT
        }
    }

    /// A scalar with this value.
    pub const fn scalar(s: Scalar) -> Reg {
        Reg {
            ty: Ty::Scalar,
            s,
            ..Reg::NOT_INIT
        }
    }

    /// A known number.
    pub const fn known(v: u64) -> Reg {
        Reg::scalar(Scalar::known(v))
    }

    /// A pointer of type `ty` at offset 0.
    pub const fn ptr(ty: Ty) -> Reg {
        Reg {
            ty,
            s: Scalar::known(0),
            ..Reg::NOT_INIT
        }
    }

    /// Whether it is a scalar with the known value 0.
    pub fn is_zero(&self) -> bool {
        self.ty == Ty::Scalar && self.s.value() == Some(0)
    }
}

/// What one stack byte holds (`STACK_*`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Byte {
    /// Never written.
    Invalid,
    /// Some data.
    Misc,
    /// Known zero.
    Zero,
    /// Part of a spilled register.
    Spill,
}

/// An 8-byte stack slot.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct Slot {
    /// Byte kinds, index 0 = lowest address.
    pub bytes: [Byte; 8],
    /// The spilled register when every byte is [`Byte::Spill`] (or a
    /// scalar spilled with a narrower store).
    pub spill: Reg,
}

impl Slot {
    /// Never written.
    pub const EMPTY: Slot = Slot {
        bytes: [Byte::Invalid; 8],
        spill: Reg::NOT_INIT,
    };
}

/// One function's frame.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct Frame {
    /// `r0`..`r10`.
    pub regs: [Reg; 11],
    /// Slot `i` covers `fp-8*(i+1)` .. `fp-8*i`.
    pub stack: Vec<Slot>,
    /// The call instruction (`usize::MAX` for the main program).
    pub callsite: usize,
    /// Index of the function in the CFG.
    pub func: usize,
    /// Running as a callback of a helper (its `exit` returns to the
    /// helper call).
    pub callback: bool,
    /// Runs in a row of the callback this frame's iterating helper call
    /// (`bpf_loop` and the like) started on this path (the kernel's
    /// `callback_depth`): `bpf_loop` runs it no more times than its
    /// `nr_loops` may be.
    pub callback_runs: u32,
}

impl Frame {
    /// A frame with every register uninitialised except `r10`.
    pub fn new(frameno: u8, callsite: usize, func: usize) -> Frame {
        let mut regs = [Reg::NOT_INIT; 11];
        regs[10] = Reg::ptr(Ty::Stack(frameno));
        Frame {
            regs,
            stack: Vec::new(),
            callsite,
            func,
            callback: false,
            callback_runs: 0,
        }
    }

    /// The slot for stack offset `off` (negative), growing the stack.
    pub fn slot_mut(&mut self, off: i64) -> &mut Slot {
        let i = ((-off - 1) / 8) as usize;
        if self.stack.len() <= i {
            self.stack.resize(i + 1, Slot::EMPTY);
        }
        &mut self.stack[i]
    }

    /// The slot for stack offset `off`, if allocated.
    pub fn slot(&self, off: i64) -> Option<&Slot> {
        self.stack.get(((-off - 1) / 8) as usize)
    }

    /// The kind of the byte at `off`.
    #[cfg(test)]
    pub fn byte(&self, off: i64) -> Byte {
        match self.slot(off) {
            Some(s) => s.bytes[(off.rem_euclid(8)) as usize],
            None => Byte::Invalid,
        }
    }
}

/// An acquired reference (`bpf_reference_state`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct RefState {
    /// Its id (`ref_obj_id`).
    pub id: u32,
    /// The instruction that acquired it.
    pub insn: usize,
    /// Ring buffer record (else a socket).
    pub ringbuf: bool,
}

/// The whole machine state on one path.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct State {
    /// Call frames, the current one last.
    pub frames: Vec<Frame>,
    /// Held references.
    pub refs: Vec<RefState>,
    /// The `bpf_spin_lock` held: map, offset of the lock in the value,
    /// id of the value pointer (`active_lock`).
    pub lock: Option<(u32, i64, u32)>,
    /// Initialised dynptrs: frame, stack offset, reference (0: none).
    pub dynptrs: Vec<(u8, i64, u32)>,
    /// How many times a callback went back to its call on this path
    /// (`callback_unroll_depth`): two equal states with different counts
    /// are successive runs of a callback, not an infinite loop.
    pub unroll: u32,
}

impl State {
    /// The current frame.
    pub fn cur(&self) -> &Frame {
        self.frames.last().expect("a frame")
    }

    /// The current frame, mutable.
    pub fn cur_mut(&mut self) -> &mut Frame {
        self.frames.last_mut().expect("a frame")
    }

    /// Register `r` of the current frame.
    pub fn reg(&self, r: u8) -> &Reg {
        &self.cur().regs[r as usize]
    }

    /// Register `r` of the current frame, mutable.
    pub fn reg_mut(&mut self, r: u8) -> &mut Reg {
        &mut self.cur_mut().regs[r as usize]
    }

    /// Applies `f` to every register and spilled register of every frame.
    pub fn for_each_reg(&mut self, mut f: impl FnMut(&mut Reg)) {
        for fr in &mut self.frames {
            fr.regs.iter_mut().for_each(&mut f);
            for s in &mut fr.stack {
                if s.bytes.contains(&Byte::Spill) {
                    f(&mut s.spill);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_slots_grow_and_read_bytes() {
        let mut f = Frame::new(0, usize::MAX, 0);
        assert_eq!(f.byte(-1), Byte::Invalid);
        f.slot_mut(-16).bytes[0] = Byte::Misc;
        assert_eq!(f.stack.len(), 2);
        assert_eq!(f.byte(-16), Byte::Misc);
        assert_eq!(f.byte(-15), Byte::Invalid);
        assert_eq!(f.regs[10].ty, Ty::Stack(0));
    }
}

//! The raw 8-byte instruction encoding and the opcode constants of
//! `include/uapi/linux/bpf_common.h` and `include/uapi/linux/bpf.h`.

/// Size in bytes of one encoded instruction slot.
pub const INSN_SIZE: usize = 8;

/// One raw instruction slot exactly as it is stored in an object file or
/// passed to `BPF_PROG_LOAD` (`struct bpf_insn`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct RawInsn {
    /// Opcode byte.
    pub code: u8,
    /// Destination register (low nibble of byte 1).
    pub dst: u8,
    /// Source register (high nibble of byte 1).
    pub src: u8,
    /// Signed 16-bit offset.
    pub off: i16,
    /// Signed 32-bit immediate.
    pub imm: i32,
}

impl RawInsn {
    /// Builds a slot from its fields.
    pub const fn new(code: u8, dst: u8, src: u8, off: i16, imm: i32) -> Self {
        RawInsn {
            code,
            dst,
            src,
            off,
            imm,
        }
    }

    /// Decodes one little-endian slot.
    pub fn from_bytes(b: [u8; 8]) -> Self {
        RawInsn {
            code: b[0],
            dst: b[1] & 0x0f,
            src: b[1] >> 4,
            off: i16::from_le_bytes([b[2], b[3]]),
            imm: i32::from_le_bytes([b[4], b[5], b[6], b[7]]),
        }
    }

    /// Encodes the slot little-endian.
    pub fn to_bytes(self) -> [u8; 8] {
        let off = self.off.to_le_bytes();
        let imm = self.imm.to_le_bytes();
        [
            self.code,
            (self.dst & 0x0f) | (self.src << 4),
            off[0],
            off[1],
            imm[0],
            imm[1],
            imm[2],
            imm[3],
        ]
    }

    /// The slot as one little-endian 64-bit word (low byte = opcode), the
    /// form the bpf_conformance `-- raw` sections use.
    pub fn to_u64(self) -> u64 {
        u64::from_le_bytes(self.to_bytes())
    }

    /// Inverse of [`RawInsn::to_u64`].
    pub fn from_u64(w: u64) -> Self {
        Self::from_bytes(w.to_le_bytes())
    }

    /// Instruction class (`BPF_CLASS`).
    pub fn class(self) -> u8 {
        self.code & 0x07
    }
}

/// Splits a byte buffer into raw slots. Returns `None` when the length is not
/// a multiple of [`INSN_SIZE`].
pub fn slots_from_bytes(bytes: &[u8]) -> Option<Vec<RawInsn>> {
    if !bytes.len().is_multiple_of(INSN_SIZE) {
        return None;
    }
    Some(
        bytes
            .chunks_exact(INSN_SIZE)
            .map(|c| RawInsn::from_bytes(c.try_into().expect("chunk of 8")))
            .collect(),
    )
}

/// Concatenates raw slots into little-endian bytes.
pub fn slots_to_bytes(slots: &[RawInsn]) -> Vec<u8> {
    slots.iter().flat_map(|s| s.to_bytes()).collect()
}

/// Opcode field constants, named as in the kernel's uapi headers.
#[allow(missing_docs)]
pub mod op {
    // classes
    pub const LD: u8 = 0x00;
    pub const LDX: u8 = 0x01;
    pub const ST: u8 = 0x02;
    pub const STX: u8 = 0x03;
    pub const ALU: u8 = 0x04;
    pub const JMP: u8 = 0x05;
    pub const JMP32: u8 = 0x06;
    pub const ALU64: u8 = 0x07;
    // size
    pub const W: u8 = 0x00;
    pub const H: u8 = 0x08;
    pub const B: u8 = 0x10;
    pub const DW: u8 = 0x18;
    // mode
    pub const IMM: u8 = 0x00;
    pub const ABS: u8 = 0x20;
    pub const IND: u8 = 0x40;
    pub const MEM: u8 = 0x60;
    pub const MEMSX: u8 = 0x80;
    pub const ATOMIC: u8 = 0xc0;
    // source
    pub const K: u8 = 0x00;
    pub const X: u8 = 0x08;
    // alu ops
    pub const ADD: u8 = 0x00;
    pub const SUB: u8 = 0x10;
    pub const MUL: u8 = 0x20;
    pub const DIV: u8 = 0x30;
    pub const OR: u8 = 0x40;
    pub const AND: u8 = 0x50;
    pub const LSH: u8 = 0x60;
    pub const RSH: u8 = 0x70;
    pub const NEG: u8 = 0x80;
    pub const MOD: u8 = 0x90;
    pub const XOR: u8 = 0xa0;
    pub const MOV: u8 = 0xb0;
    pub const ARSH: u8 = 0xc0;
    pub const END: u8 = 0xd0;
    pub const TO_LE: u8 = 0x00;
    pub const TO_BE: u8 = 0x08;
    // jmp ops
    pub const JA: u8 = 0x00;
    pub const JEQ: u8 = 0x10;
    pub const JGT: u8 = 0x20;
    pub const JGE: u8 = 0x30;
    pub const JSET: u8 = 0x40;
    pub const JNE: u8 = 0x50;
    pub const JSGT: u8 = 0x60;
    pub const JSGE: u8 = 0x70;
    pub const CALL: u8 = 0x80;
    pub const EXIT: u8 = 0x90;
    pub const JLT: u8 = 0xa0;
    pub const JLE: u8 = 0xb0;
    pub const JSLT: u8 = 0xc0;
    pub const JSLE: u8 = 0xd0;
    pub const JCOND: u8 = 0xe0;
    // atomic imm
    pub const FETCH: i32 = 0x01;
    pub const XCHG: i32 = 0xe0 | FETCH;
    pub const CMPXCHG: i32 = 0xf0 | FETCH;
    pub const LOAD_ACQ: i32 = 0x100;
    pub const STORE_REL: i32 = 0x110;
    // pseudo sources
    pub const PSEUDO_MAP_FD: u8 = 1;
    pub const PSEUDO_MAP_VALUE: u8 = 2;
    pub const PSEUDO_BTF_ID: u8 = 3;
    pub const PSEUDO_FUNC: u8 = 4;
    pub const PSEUDO_MAP_IDX: u8 = 5;
    pub const PSEUDO_MAP_IDX_VALUE: u8 = 6;
    pub const PSEUDO_CALL: u8 = 1;
    pub const PSEUDO_KFUNC_CALL: u8 = 2;
    pub const MAY_GOTO: u8 = 0;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_roundtrip() {
        let i = RawInsn::new(0x61, 1, 10, -8, -0x1234_5678);
        assert_eq!(RawInsn::from_bytes(i.to_bytes()), i);
        assert_eq!(RawInsn::from_u64(i.to_u64()), i);
        // r0 = *(u32 *)(r1 + 4): 61 10 04 00 00 00 00 00
        let b = RawInsn::new(0x61, 0, 1, 4, 0).to_bytes();
        assert_eq!(b, [0x61, 0x10, 4, 0, 0, 0, 0, 0]);
    }

    #[test]
    fn slots_need_multiple_of_eight() {
        assert!(slots_from_bytes(&[0; 9]).is_none());
        assert_eq!(slots_from_bytes(&[0; 16]).unwrap().len(), 2);
    }
}

//! Internet checksum arithmetic exactly as x86-64 Linux computes it.
//!
//! All values are "memory order" numbers: a 16- or 32-bit quantity is the
//! little-endian load of the bytes as they sit in the packet, which is what
//! the kernel's `__sum16`/`__wsum`/`__be32` arithmetic does on x86. The
//! unfolded 32-bit sum (`__wsum`) matters bit for bit because helpers such
//! as `bpf_csum_diff` return it; the x86 `csum_partial` (64-bit add with
//! end-around carry, finalised to 32 bits) is equal to the ones' complement
//! sum of the little-endian 32-bit words of the zero-padded buffer, which is
//! what [`partial`] computes.

/// `csum_partial(buf, len, seed)` (arch/x86/lib/csum-partial_64.c).
pub fn partial(buf: &[u8], seed: u32) -> u32 {
    let mut acc: u64 = u64::from(seed);
    let mut chunks = buf.chunks_exact(4);
    for c in &mut chunks {
        acc += u64::from(u32::from_le_bytes([c[0], c[1], c[2], c[3]]));
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut w = [0u8; 4];
        w[..rest.len()].copy_from_slice(rest);
        acc += u64::from(u32::from_le_bytes(w));
    }
    fold64(acc)
}

/// Folds a 64-bit accumulation to 32 bits with end-around carry.
fn fold64(mut acc: u64) -> u32 {
    while acc >> 32 != 0 {
        acc = (acc & 0xffff_ffff) + (acc >> 32);
    }
    acc as u32
}

/// `csum_add` (x86 `add32_with_carry`).
pub fn add(a: u32, b: u32) -> u32 {
    let (s, c) = a.overflowing_add(b);
    s.wrapping_add(u32::from(c))
}

/// `csum_sub`.
pub fn sub(a: u32, b: u32) -> u32 {
    add(a, !b)
}

/// `csum_fold`: 32-bit partial sum to the 16-bit complemented checksum.
pub fn fold(sum: u32) -> u16 {
    let hi = sum & 0xffff_0000;
    let (s, c) = hi.overflowing_add(sum << 16);
    let s = s.wrapping_add(0xffff).wrapping_add(u32::from(c));
    // adcl $0xffff: the carry of the first add plus 0xffff; the carry out
    // of that second addition is discarded by the instruction.
    (!s >> 16) as u16
}

/// `csum_from32to16`.
pub fn from32to16(sum: u32) -> u16 {
    let s = sum.wrapping_add(sum.rotate_right(16));
    (s >> 16) as u16
}

/// `csum16_add`.
pub fn add16(a: u16, b: u16) -> u16 {
    let (s, c) = a.overflowing_add(b);
    s.wrapping_add(u16::from(c))
}

/// `csum_replace_by_diff`.
pub fn replace_by_diff(sum: u16, diff: u32) -> u16 {
    fold(add(diff, !u32::from(sum)))
}

/// `csum_replace4`.
pub fn replace4(sum: u16, from: u32, to: u32) -> u16 {
    let tmp = sub(!u32::from(sum), from);
    fold(add(tmp, to))
}

/// `csum_replace2`.
pub fn replace2(sum: u16, from: u16, to: u16) -> u16 {
    !add16(add16(!sum, !from), to)
}

/// `csum_block_add` (`csum_shift` rotates by 8 at odd offsets).
pub fn block_add(csum: u32, csum2: u32, offset: usize) -> u32 {
    let c2 = if offset & 1 == 1 {
        csum2.rotate_right(8)
    } else {
        csum2
    };
    add(csum, c2)
}

/// `csum_block_sub`.
pub fn block_sub(csum: u32, csum2: u32, offset: usize) -> u32 {
    block_add(csum, !csum2, offset)
}

/// The value `bpf_csum_diff(from, to, seed)` returns (net/core/filter.c,
/// 6.18: a 16-bit folded value).
pub fn diff(from: &[u8], to: &[u8], seed: u32) -> u32 {
    let ret = if !from.is_empty() && !to.is_empty() {
        sub(partial(to, seed), partial(from, 0))
    } else if !to.is_empty() {
        partial(to, seed)
    } else if !from.is_empty() {
        !partial(from, !seed)
    } else {
        seed
    };
    u32::from(from32to16(ret))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 1071 style reference: fold of the big-endian 16-bit word sum.
    fn reference_fold(buf: &[u8]) -> u16 {
        let mut s: u32 = 0;
        for c in buf.chunks(2) {
            let w = if c.len() == 2 {
                u16::from_be_bytes([c[0], c[1]])
            } else {
                u16::from_be_bytes([c[0], 0])
            };
            s += u32::from(w);
        }
        while s >> 16 != 0 {
            s = (s & 0xffff) + (s >> 16);
        }
        !(s as u16)
    }

    #[test]
    fn fold_of_partial_matches_rfc1071() {
        let hdr = [
            0x45u8, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0x00, 0x00, 0xc0, 0xa8,
            0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7,
        ];
        // memory-order fold = byte-swapped big-endian checksum
        assert_eq!(fold(partial(&hdr, 0)).swap_bytes(), reference_fold(&hdr));
        assert_eq!(reference_fold(&hdr), 0xb861);
        for len in 0..40usize {
            let buf: Vec<u8> = (0..len).map(|i| (i * 37 + 11) as u8).collect();
            assert_eq!(fold(partial(&buf, 0)).swap_bytes(), reference_fold(&buf));
        }
    }

    #[test]
    fn replace4_equals_recompute() {
        let mut hdr = [
            0x45u8, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0x00, 0x00, 0xc0, 0xa8,
            0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7,
        ];
        let c = fold(partial(&hdr, 0));
        hdr[10..12].copy_from_slice(&c.to_le_bytes());
        let from = u32::from_le_bytes([hdr[12], hdr[13], hdr[14], hdr[15]]);
        let to = u32::from_le_bytes([10, 0, 0, 1]);
        let newc = replace4(c, from, to);
        hdr[12..16].copy_from_slice(&to.to_le_bytes());
        hdr[10..12].copy_from_slice(&newc.to_le_bytes());
        assert_eq!(fold(partial(&hdr, 0)), 0);
    }

    #[test]
    fn diff_is_16_bit() {
        let a = [1u8, 2, 3, 4];
        let b = [5u8, 6, 7, 8];
        assert!(diff(&a, &b, 0) <= 0xffff);
        assert_eq!(
            diff(&[], &[], 0x1234_5678),
            u32::from(from32to16(0x1234_5678))
        );
    }
}

//! LD_ABS / LD_IND on the SOCKET_FILTER test-run packet.

use crate::asm::*;
use crate::harness::*;
use crate::ETH_HLEN;
use bpfbox_isa::{AluOp, Size, Src};

/// `SKF_NET_OFF` and `SKF_LL_OFF` (include/uapi/linux/filter.h).
const SKF_NET_OFF: i32 = -0x10_0000;
const SKF_LL_OFF: i32 = -0x20_0000;
/// A packet of `len` bytes `0x80 + i` (never zero, so a successful load is
/// distinguishable from a miss's `r0 = 0`).
fn pattern_packet(len: usize) -> Vec<u8> {
    (0..len).map(|i| 0x80u8.wrapping_add(i as u8) | 1).collect()
}

/// Fact the runtime needs: in the SOCKET_FILTER test run, `LD_ABS 0` reads
/// packet byte 14 (the byte after the Ethernet header) and the last
/// readable LD_ABS offset is `len - 15`. Checked on the kernel alone, then
/// differentially.
pub(crate) fn ld_abs_base_is_after_the_ethernet_header() {
    let pkt = pattern_packet(64);
    let probe = |imm: i32| {
        // r0 = *(u8 *)skb[imm] + 0x100: 0 for a miss, 0x1xx for a hit.
        let p = vec![
            movr(6, 1),
            ld_abs(Size::B, imm),
            alu64(AluOp::Add, 0, Src::Imm(0x100)),
            EXIT,
        ];
        Both::load(&format!("ld_abs b {imm}"), p)
    };
    let b0 = probe(0);
    assert_eq!(b0.kernel_run(&pkt), 0x100 + pkt[ETH_HLEN] as u32);
    let last = probe(64 - ETH_HLEN as i32 - 1);
    assert_eq!(last.kernel_run(&pkt), 0x100 + pkt[63] as u32);
    let past = probe(64 - ETH_HLEN as i32);
    assert_eq!(past.kernel_run(&pkt), 0, "a load past skb->len must miss");
    let mut diffs = Diffs::default();
    for b in [&b0, &last, &past] {
        b.check("ld_abs base", &pkt, &mut diffs);
    }
    diffs.finish("ld_abs_base_is_after_the_ethernet_header");
}

/// LD_ABS of every size at every offset around both ends of the packet,
/// for several packet lengths (misses end the program with `r0 = 0`).
pub(crate) fn ld_abs_sizes_and_offsets() {
    let mut diffs = Diffs::default();
    let packets: Vec<Vec<u8>> = [14, 15, 17, 18, 20, 33, 64, 100]
        .iter()
        .map(|&n| pattern_packet(n))
        .collect();
    for size in [Size::B, Size::H, Size::W] {
        for imm in (-2..=90).chain([i32::MAX, i32::MIN, -4096, 0x7fff_fffc]) {
            let p = vec![
                movr(6, 1),
                mov(0, 7),
                ld_abs(size, imm),
                alu64(AluOp::Xor, 0, Src::Imm(0x5500_0000)),
                EXIT,
            ];
            let what = format!("ld_abs {size:?} {imm}");
            let b = Both::load(&what, p);
            for pkt in &packets {
                b.check(&what, pkt, &mut diffs);
            }
        }
    }
    diffs.finish("ld_abs_sizes_and_offsets");
}

/// LD_IND with a 64-bit register from the packet plus an immediate: the
/// offset is the low 32 bits of the sum as a signed int.
pub(crate) fn ld_ind_register_offsets() {
    let mut diffs = Diffs::default();
    // (SKF_*_OFF sums are in `ld_abs_negative_skf_offsets_kernel_facts`.)
    let regs: [u64; 14] = [
        0,
        1,
        7,
        8,
        20,
        40,
        u64::MAX,
        (-8i64) as u64,
        0x1_0000_0002,
        0xffff_ffff_0000_0009,
        0x8000_0000,
        0x7fff_ffff,
        (-0x1000i64) as u64,
        (-0x30_0000i64) as u64,
    ];
    let packets: Vec<Vec<u8>> = regs
        .iter()
        .map(|&r| {
            let mut p = operand_packet(&[r]);
            p.extend(pattern_packet(40));
            p
        })
        .collect();
    for size in [Size::B, Size::H, Size::W] {
        for imm in [0, 1, 8, 9, -1, -8, 44, i32::MIN] {
            let mut p = load_operands(&[7]);
            p.extend([
                ld_ind(size, 7, imm),
                alu64(AluOp::Add, 0, Src::Imm(0x1000_0000)),
                EXIT,
            ]);
            let what = format!("ld_ind {size:?} r7{imm:+}");
            let b = Both::load(&what, p);
            for pkt in &packets {
                b.check(&what, pkt, &mut diffs);
            }
        }
    }
    diffs.finish("ld_ind_register_offsets");
}

/// The kernel's negative LD_ABS offsets
/// (`bpf_internal_load_pointer_neg_helper`): `SKF_LL_OFF + k` reads from
/// the MAC header (packet byte `k`), `SKF_NET_OFF + k` from the network
/// header (packet byte `14 + k`), up to the end of the packet. Just below
/// either base is a miss: `SKF_NET_OFF - 1` lands in the MAC range a
/// megabyte past the header, `SKF_LL_OFF - 1` in no range. The kernel's
/// answers are pinned, and the interpreter (given the header positions
/// with `Vm::set_ld_abs_headers`, as the runtime does) must agree.
pub(crate) fn ld_abs_negative_skf_offsets() {
    let pkt = pattern_packet(64);
    let run = |imm: i32| {
        let p = vec![
            movr(6, 1),
            ld_abs(Size::B, imm),
            alu64(AluOp::Add, 0, Src::Imm(0x100)),
            EXIT,
        ];
        let b = Both::load(&format!("ld_abs skf {imm}"), p);
        let i = interp_run(&b.interp, &pkt).map(|o| o.r0 as u32);
        (b.kernel_run(&pkt), i)
    };
    let cases = [
        ("SKF_LL_OFF+0", SKF_LL_OFF, Some(pkt[0])),
        ("SKF_LL_OFF+13", SKF_LL_OFF + 13, Some(pkt[13])),
        ("SKF_LL_OFF+63", SKF_LL_OFF + 63, Some(pkt[63])),
        ("SKF_LL_OFF+64", SKF_LL_OFF + 64, None),
        ("SKF_LL_OFF-1", SKF_LL_OFF - 1, None),
        ("SKF_NET_OFF+0", SKF_NET_OFF, Some(pkt[14])),
        ("SKF_NET_OFF-1", SKF_NET_OFF - 1, None),
        ("SKF_NET_OFF+49", SKF_NET_OFF + 49, Some(pkt[63])),
        ("SKF_NET_OFF+50", SKF_NET_OFF + 50, None),
        ("-1", -1, None),
        ("SKF_AD_OFF", -0x1000, None),
    ];
    for (name, imm, want) in cases {
        let (k, i) = run(imm);
        eprintln!("LD_ABS B {name} ({imm:#x}): kernel {k:#x}, interpreter {i:x?}");
        assert_eq!(k, want.map_or(0, |b| 0x100 + b as u32), "kernel, {name}");
        assert_eq!(i, Ok(k), "interpreter, {name}");
    }
}

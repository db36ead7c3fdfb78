//! Random programs never panic: raw bytes (and, to get past the decoder
//! more often, random slots built from valid opcodes) go through
//! decode + run over a small memory and must end in `Ok` or a `Trap`.

use bpfbox_interp::{conformance_helpers, Config, Helpers, Memory, Program, RegionKind, Trap, Vm};
use bpfbox_isa::{slots_from_bytes, RawInsn};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use std::sync::Arc;

/// Every opcode byte the decoder knows (and a few it doesn't).
const OPCODES: &[u8] = &[
    0x04, 0x0c, 0x07, 0x0f, 0x14, 0x1c, 0x17, 0x1f, 0x24, 0x2c, 0x27, 0x2f, 0x34, 0x3c, 0x37, 0x3f,
    0x44, 0x4c, 0x47, 0x4f, 0x54, 0x5c, 0x57, 0x5f, 0x64, 0x6c, 0x67, 0x6f, 0x74, 0x7c, 0x77, 0x7f,
    0x84, 0x87, 0x94, 0x9c, 0x97, 0x9f, 0xa4, 0xac, 0xa7, 0xaf, 0xb4, 0xbc, 0xb7, 0xbf, 0xc4, 0xcc,
    0xc7, 0xcf, 0xd4, 0xdc, 0xd7, 0x05, 0x06, 0x15, 0x1d, 0x16, 0x1e, 0x25, 0x2d, 0x35, 0x3d, 0x45,
    0x4d, 0x55, 0x5d, 0x65, 0x6d, 0x75, 0x7d, 0xa5, 0xad, 0xb5, 0xbd, 0xc5, 0xcd, 0xd5, 0xdd, 0x26,
    0x56, 0xa6, 0xd6, 0x85, 0x8d, 0x95, 0xe5, 0x18, 0x20, 0x28, 0x30, 0x40, 0x48, 0x50, 0x61, 0x69,
    0x71, 0x79, 0x81, 0x89, 0x91, 0x62, 0x6a, 0x72, 0x7a, 0x63, 0x6b, 0x73, 0x7b, 0xc3, 0xdb, 0xd3,
    0xcb, 0x00, 0xff,
];

fn slot() -> impl Strategy<Value = RawInsn> {
    let imm = prop_oneof![
        -16i32..16,
        Just(0x01),
        Just(0x41),
        Just(0x51),
        Just(0xa1),
        Just(0xe1),
        Just(0xf1),
        Just(0x100),
        Just(0x110),
        Just(16),
        Just(32),
        Just(64),
        Just(5),
        any::<i32>(),
    ];
    let src = prop_oneof![0u8..=10, 0u8..=15];
    (prop::sample::select(OPCODES), 0u8..=10, src, -8i16..8, imm)
        .prop_map(|(code, dst, src, off, imm)| RawInsn::new(code, dst, src, off, imm))
}

fn host_helper(vm: &mut Vm<'_, ()>, a: [u64; 5]) -> Result<u64, Trap> {
    // Touches memory, may call back into the program.
    let _ = vm.mem.read(a[0], (a[1] & 0xff) as usize);
    if let Some(slot) = bpfbox_interp::func_slot(a[2]) {
        return vm.call_function(slot, [a[0], 0, 0, 0, 0]);
    }
    Ok(a[0] ^ a[1])
}

/// Runs a program and checks the result is well-formed.
fn exercise(slots: &[RawInsn]) -> bool {
    let Ok(prog) = Program::from_raw(slots) else {
        return false;
    };
    let prog = Arc::new(prog);
    let mut helpers: Helpers<()> = conformance_helpers();
    helpers.set(1, host_helper).set(2, host_helper);
    let mut buf = [0u8; 32];
    let ro = [7u8; 8];
    let mut m = Memory::new();
    let (_, a) = m.add(&mut buf, RegionKind::Mem);
    let (_, b) = m.add_readonly(&ro, RegionKind::ReadOnly);
    let config = Config {
        insn_limit: 20_000,
        ..Config::default()
    };
    let mut vm = Vm::new(m, (), &helpers, config);
    vm.set_ld_abs_source(a, 32);
    match vm.run(&prog, [a, 32, b, 0, 0]) {
        Ok(_) => {}
        Err(t) => assert!(!matches!(t, Trap::Unwind(_) | Trap::Reentrant), "{t}"),
    }
    assert!(vm.insns_executed() <= 20_000);
    assert_eq!(ro, [7u8; 8]);
    true
}

/// Clears the fields each opcode class reserves, pairs `lddw` with its
/// second slot and pulls jump offsets into the program, so most generated
/// programs get past the decoder and exercise the interpreter.
fn make_decodable(slots: &mut [RawInsn]) {
    let n = slots.len();
    for r in slots.iter_mut() {
        r.src %= 11;
        if matches!(r.code, 0x00 | 0xff) {
            r.code = 0xb7;
        }
        let x = r.code & 0x08 != 0;
        match r.class() {
            0x04 | 0x07 => {
                if x {
                    r.imm = 0
                } else {
                    r.src = 0
                }
                r.off = if r.code & 0xf0 == 0x30 || r.code & 0xf0 == 0x90 {
                    r.off & 1
                } else {
                    0
                };
                if r.code & 0xf0 == 0xd0 {
                    r.src = 0;
                    r.imm = [16, 32, 64][(r.imm.unsigned_abs() % 3) as usize];
                }
                if r.code & 0xf0 == 0x80 {
                    r.imm = 0;
                }
                r.dst %= 10;
            }
            0x05 | 0x06 => match r.code {
                0x85 => {
                    r.dst = 0;
                    r.off = 0;
                    r.src &= 1;
                    if r.src == 0 {
                        r.imm &= 0x7;
                    }
                }
                0x95 => *r = RawInsn::new(0x95, 0, 0, 0, 0),
                0x8d => {
                    r.src = 0;
                    r.imm = 0;
                    r.off = 0;
                }
                0xe5 => {
                    r.src = 0;
                    r.dst = 0;
                    r.imm = 0;
                }
                0x05 => {
                    r.src = 0;
                    r.dst = 0;
                    r.imm = 0;
                }
                0x06 => {
                    r.src = 0;
                    r.dst = 0;
                    r.imm = r.off as i32;
                    r.off = 0;
                }
                _ => {
                    if x {
                        r.imm = 0
                    } else {
                        r.src = 0
                    }
                }
            },
            0x01 => {
                r.imm = 0;
                r.dst %= 10;
            }
            0x02 => r.src = 0,
            0x03 if r.code & 0xe0 == 0x60 => r.imm = 0,
            0x03 => {
                const RMW: [i32; 12] = [
                    0x00, 0x01, 0x40, 0x41, 0x50, 0x51, 0xa0, 0xa1, 0xe1, 0xf1, 0x100, 0x110,
                ];
                let k = r.imm.unsigned_abs() as usize;
                r.imm = match r.code & 0x18 {
                    0x00 | 0x18 => RMW[k % RMW.len()],
                    _ => RMW[10 + k % 2],
                };
                if r.imm == 0x100 {
                    r.dst %= 10;
                }
            }
            0x00 if r.code == 0x18 => {
                r.src = 0;
                r.off = 0;
                r.dst %= 10;
            }
            0x00 => {
                r.dst = 0;
                r.off = 0;
                if r.code & 0xe0 == 0x20 {
                    r.src = 0;
                }
            }
            _ => {}
        }
    }
    let mut i = 0;
    while i < n {
        if slots[i].code == 0x18 {
            if i + 1 < n {
                slots[i + 1] = RawInsn::new(0, 0, 0, 0, slots[i + 1].imm);
                i += 2;
                continue;
            }
            slots[i].code = 0xb7;
        }
        i += 1;
    }
    // Jump and local-call targets: inside the program, else offset 0.
    for i in 0..n {
        let r = slots[i];
        let is_jmp = matches!(r.class(), 0x05 | 0x06)
            && !matches!(r.code, 0x95 | 0x8d)
            && !(r.code == 0x85 && r.src == 0);
        if !is_jmp {
            continue;
        }
        let uses_imm = r.code == 0x06 || r.code == 0x85;
        let off = if uses_imm { r.imm as i64 } else { r.off as i64 };
        let t = i as i64 + 1 + off;
        let bad = t < 0 || t >= n as i64 || (t > 0 && slots[t as usize - 1].code == 0x18);
        if bad {
            if uses_imm {
                slots[i].imm = 0
            } else {
                slots[i].off = 0
            }
        }
    }
}

/// 3000 cases per property unless `PROPTEST_CASES` says otherwise (e.g. a
/// handful under Miri).
fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3000)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 8..256)) {
        let n = bytes.len() / 8 * 8;
        let slots = slots_from_bytes(&bytes[..n]).unwrap();
        exercise(&slots);
    }

    #[test]
    fn random_slots_never_panic(slots in prop::collection::vec(slot(), 1..48)) {
        exercise(&slots);
    }

    #[test]
    fn random_decodable_programs_never_panic(mut slots in prop::collection::vec(slot(), 1..48)) {
        make_decodable(&mut slots);
        exercise(&slots);
    }
}

#[test]
fn the_generator_reaches_the_interpreter() {
    // Guard against a generator that only produces undecodable programs.
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let strat = prop::collection::vec(slot(), 1..48);
    let mut ran = 0;
    for _ in 0..500 {
        let mut slots = strat.new_tree(&mut runner).unwrap().current();
        make_decodable(&mut slots);
        if exercise(&slots) {
            ran += 1;
        }
    }
    assert!(ran > 250, "only {ran} of 500 random programs decoded");
}

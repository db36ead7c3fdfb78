//! Compare the program-side (helper) map operations with the kernel.
//!
//! Each operation becomes a tiny hand-assembled socket filter that calls one
//! map helper (`bpf_map_update_elem`, `bpf_map_lookup_elem`,
//! `bpf_map_delete_elem`, `bpf_map_push_elem`/`pop`/`peek`) and returns its
//! result; it runs once with `BPF_PROG_TEST_RUN` on CPU 0 and is compared with
//! the same call on `bpfbox_maps::Map`. Map state is compared through the
//! syscall side at the end. Skips when `bpf()` is unavailable.

use bpfbox_maps::flags::*;
use bpfbox_maps::{Map, MapConfig, MapDef, MapType};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

pub(crate) mod common;
use common::*;

const BPF_FUNC_MAP_LOOKUP_ELEM: i32 = 1;
const BPF_FUNC_MAP_UPDATE_ELEM: i32 = 2;
const BPF_FUNC_MAP_DELETE_ELEM: i32 = 3;
const BPF_FUNC_MAP_PUSH_ELEM: i32 = 87;
const BPF_FUNC_MAP_POP_ELEM: i32 = 88;
const BPF_FUNC_MAP_PEEK_ELEM: i32 = 89;
const MISS: u32 = 0xdead;
const PREFILL: i32 = 0x7777;

fn st_w(off: i16, imm: i32) -> u64 {
    insn(0x62, 10, 0, off, imm)
}
fn ld_map(reg: u8, fd: i32) -> [u64; 2] {
    [insn(0x18, reg, 1, 0, fd), insn(0, 0, 0, 0, 0)]
}
fn fp_ptr(reg: u8, off: i32) -> [u64; 2] {
    [insn(0xbf, reg, 10, 0, 0), insn(0x07, reg, 0, 0, off)]
}
fn mov_imm(reg: u8, imm: i32) -> u64 {
    insn(0xb7, reg, 0, 0, imm)
}
fn call(f: i32) -> u64 {
    insn(0x85, 0, 0, 0, f)
}
const EXIT: u64 = 0x95;

/// Key words at fp-16 and fp-12 (keys are at most 8 bytes here).
fn store_key(p: &mut Vec<u64>, key: &[u8]) {
    let mut k = [0u8; 8];
    k[..key.len()].copy_from_slice(key);
    p.push(st_w(-16, i32::from_ne_bytes([k[0], k[1], k[2], k[3]])));
    p.push(st_w(-12, i32::from_ne_bytes([k[4], k[5], k[6], k[7]])));
}

fn prog_update(fd: i32, key: &[u8], val: u32, flags: i32) -> Vec<u64> {
    let mut p = Vec::new();
    store_key(&mut p, key);
    p.push(st_w(-4, val as i32));
    p.extend(ld_map(1, fd));
    p.extend(fp_ptr(2, -16));
    p.extend(fp_ptr(3, -4));
    p.push(mov_imm(4, flags));
    p.push(call(BPF_FUNC_MAP_UPDATE_ELEM));
    p.push(EXIT);
    p
}

fn prog_lookup(fd: i32, key: &[u8]) -> Vec<u64> {
    let mut p = Vec::new();
    store_key(&mut p, key);
    p.extend(ld_map(1, fd));
    p.extend(fp_ptr(2, -16));
    p.push(call(BPF_FUNC_MAP_LOOKUP_ELEM));
    p.push(insn(0x15, 0, 0, 2, 0)); // if r0 == 0 goto miss
    p.push(insn(0x61, 0, 0, 0, 0)); // r0 = *(u32 *)(r0 + 0)
    p.push(EXIT);
    p.push(mov_imm(0, MISS as i32));
    p.push(EXIT);
    p
}

fn prog_delete(fd: i32, key: &[u8]) -> Vec<u64> {
    let mut p = Vec::new();
    store_key(&mut p, key);
    p.extend(ld_map(1, fd));
    p.extend(fp_ptr(2, -16));
    p.push(call(BPF_FUNC_MAP_DELETE_ELEM));
    p.push(EXIT);
    p
}

fn prog_push(fd: i32, val: u32, flags: i32) -> Vec<u64> {
    let mut p = vec![st_w(-4, val as i32)];
    p.extend(ld_map(1, fd));
    p.extend(fp_ptr(2, -4));
    p.push(mov_imm(3, flags));
    p.push(call(BPF_FUNC_MAP_PUSH_ELEM));
    p.push(EXIT);
    p
}

/// pop/peek: returns the value on success, `r0 + buffer` on failure (which
/// shows whether the helper zeroed the buffer). A bloom filter peek reads
/// `val` from the buffer.
fn prog_get(fd: i32, func: i32, val: i32) -> Vec<u64> {
    let mut p = vec![st_w(-4, val)];
    p.extend(ld_map(1, fd));
    p.extend(fp_ptr(2, -4));
    p.push(call(func));
    p.push(insn(0x61, 1, 10, -4, 0)); // r1 = *(u32 *)(r10 - 4)
    p.push(insn(0x15, 0, 0, 2, 0)); // if r0 == 0 goto ok
    p.push(insn(0x0f, 0, 1, 0, 0)); // r0 += r1
    p.push(EXIT);
    p.push(insn(0xbf, 0, 1, 0, 0)); // ok: r0 = r1
    p.push(EXIT);
    p
}

fn ours_get(m: &mut Map, func: i32, val: i32) -> u32 {
    let mut buf = val.to_ne_bytes();
    let r = match func {
        BPF_FUNC_MAP_POP_ELEM => m.pop_elem(&mut buf),
        _ => m.peek_elem(&mut buf),
    };
    let b = i64::from(u32::from_ne_bytes(buf));
    if r == 0 {
        b as u32
    } else {
        (r + b) as u32
    }
}

fn ours_lookup(m: &mut Map, key: &[u8]) -> u32 {
    match m.lookup_ptr(key, 0) {
        // SAFETY: values are at least 4 bytes in these cases.
        Some(p) => unsafe { (p as *const u32).read_unaligned() },
        None => MISS,
    }
}

fn gen_key(rng: &mut ChaCha8Rng, def: &MapDef) -> Vec<u8> {
    match def.map_type {
        MapType::LpmTrie => {
            let len: u32 = rng.gen_range(0..=33);
            let ip = [
                [10u8, 0, 0, 0],
                [10, 0, 128, 0],
                [10, 1, 0, 0],
                [192, 168, 0, 1],
            ][rng.gen_range(0..4)];
            [len.to_ne_bytes(), ip].concat()
        }
        MapType::Array | MapType::PercpuArray => {
            rng.gen_range(0..def.max_entries + 2).to_ne_bytes().to_vec()
        }
        _ => rng.gen_range(0..12u32).to_ne_bytes().to_vec(),
    }
}

fn run(def: MapDef, ops: usize, seed: u64) {
    let c = MapConfig {
        ncpus: possible_cpus(),
        current_cpu: 0,
    };
    let k = kcreate(&def, None, c.ncpus as usize).unwrap();
    let mut m = Map::new(def.clone(), c).unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let valued = matches!(
        def.map_type,
        MapType::Queue | MapType::Stack | MapType::BloomFilter
    );
    const FLAGS: [i32; 7] = [0, 0, 1, 2, 4, 3, 5];
    for step in 0..ops {
        let key = gen_key(&mut rng, &def);
        let val: u32 = rng.gen_range(0..1000);
        let flags = FLAGS[rng.gen_range(0..FLAGS.len())];
        let op = rng.gen_range(0..10);
        let (what, prog, mine) = if valued {
            match op {
                0..=4 => (
                    "push",
                    prog_push(k.fd, val, flags),
                    m.push_elem(&val.to_ne_bytes(), flags as u64) as u32,
                ),
                5..=7 if def.map_type != MapType::BloomFilter => (
                    "pop",
                    prog_get(k.fd, BPF_FUNC_MAP_POP_ELEM, PREFILL),
                    ours_get(&mut m, BPF_FUNC_MAP_POP_ELEM, PREFILL),
                ),
                _ => {
                    let v = if def.map_type == MapType::BloomFilter {
                        val as i32
                    } else {
                        PREFILL
                    };
                    (
                        "peek",
                        prog_get(k.fd, BPF_FUNC_MAP_PEEK_ELEM, v),
                        ours_get(&mut m, BPF_FUNC_MAP_PEEK_ELEM, v),
                    )
                }
            }
        } else {
            match op {
                0..=4 => (
                    "update",
                    prog_update(k.fd, &key, val, flags),
                    m.update_elem(&key, &val.to_ne_bytes(), flags as u64) as u32,
                ),
                5..=7 => ("lookup", prog_lookup(k.fd, &key), ours_lookup(&mut m, &key)),
                _ => (
                    "delete",
                    prog_delete(k.fd, &key),
                    m.delete_elem(&key) as u32,
                ),
            }
        };
        let theirs = load_and_run(&prog).unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_eq!(
            theirs as i32,
            mine as i32,
            "{} step {step} {what} key {key:02x?} val {val} flags {flags}",
            def.map_type.name()
        );
        m.end_of_run();
    }
    if valued {
        return;
    }
    let kd = k.dump();
    let od: Vec<Vec<u8>> = m.entries().map(|(k, _)| k).collect();
    assert_eq!(kd, od, "final keys of {}", def.map_type.name());
    for key in &kd {
        assert_eq!(
            k.lookup(key, 0),
            ours(m.lookup(key)),
            "final value of {key:02x?}"
        );
    }
}

pub(crate) fn helpers_match_kernel() {
    assert!(pin_cpu0(), "cannot pin to CPU 0");
    let z = BPF_F_ZERO_SEED;
    let np = BPF_F_NO_PREALLOC;
    run(MapDef::new(MapType::Array, 4, 4, 6), 150, 1);
    run(MapDef::new(MapType::PercpuArray, 4, 4, 4), 120, 2);
    run(MapDef::new(MapType::Hash, 4, 4, 8).with_flags(z), 200, 3);
    run(
        MapDef::new(MapType::Hash, 4, 4, 8).with_flags(z | np),
        150,
        4,
    );
    run(
        MapDef::new(MapType::PercpuHash, 4, 4, 8).with_flags(z),
        150,
        5,
    );
    run(
        MapDef::new(MapType::LruHash, 4, 4, 256).with_flags(z),
        120,
        6,
    );
    run(
        MapDef::new(MapType::LruPercpuHash, 4, 4, 256).with_flags(z),
        120,
        7,
    );
    run(
        MapDef::new(MapType::LpmTrie, 8, 4, 6).with_flags(np),
        200,
        8,
    );
    run(MapDef::new(MapType::Queue, 0, 4, 3), 150, 9);
    run(MapDef::new(MapType::Stack, 0, 4, 3), 150, 10);
    run(
        MapDef::new(MapType::BloomFilter, 0, 4, 2).with_flags(z),
        150,
        11,
    );
}

bpfbox_testkit::main! {
    helpers_match_kernel => [kernel],
}

//! Compare bpfbox maps with the running kernel's maps.
//!
//! Each case creates the same map with raw `bpf(2)` calls and with
//! `bpfbox_maps::Map`, runs one seeded random sequence of syscall-side
//! operations on both, and requires equal return codes and values after every
//! operation and an equal dump at the end. Hash maps created with
//! `BPF_F_ZERO_SEED` must also agree on `get_next_key` order; maps with a
//! random seed are compared as key sets. Skips (with a one-line reason) when
//! `bpf()` is unavailable (`EPERM`, `ENOSYS`).

use bpfbox_maps::flags::*;
use bpfbox_maps::{Map, MapDef, MapType};

pub(crate) mod common;
use common::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

pub(crate) fn create_validation_matches_kernel() {
    use MapType::*;
    let np = BPF_F_NO_PREALLOC;
    let inner = MapDef::new(Array, 4, 4, 4);
    let defs = vec![
        MapDef::new(Array, 4, 4, 1),
        MapDef::new(Array, 8, 4, 1),
        MapDef::new(Array, 4, 0, 1),
        MapDef::new(Array, 4, 4, 0),
        MapDef::new(Array, 4, 1 << 31, 1),
        MapDef::new(Array, 4, 4, 1).with_flags(BPF_F_MMAPABLE),
        MapDef::new(Array, 4, 4, 1).with_flags(BPF_F_MMAPABLE | BPF_F_RDONLY_PROG),
        MapDef::new(Array, 4, 4, 1).with_flags(BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG),
        MapDef::new(Array, 4, 4, 1).with_flags(BPF_F_RDONLY | BPF_F_WRONLY),
        MapDef::new(Array, 4, 4, 1).with_flags(BPF_F_PRESERVE_ELEMS),
        MapDef::new(Array, 4, 4, 1).with_flags(BPF_F_INNER_MAP),
        MapDef::new(Array, 4, 4, 1).with_flags(BPF_F_ZERO_SEED),
        MapDef::new(Array, 4, 4, 1).with_flags(np),
        MapDef::new(Array, 4, 4, 1).with_extra(1),
        MapDef::new(Array, 4, 4, 1).with_name("ok.name_1"),
        MapDef::new(Array, 4, 4, 1).with_name("bad-name"),
        MapDef::new(PercpuArray, 4, 32768, 1),
        MapDef::new(PercpuArray, 4, 32769, 1),
        MapDef::new(PercpuArray, 4, 4, 1).with_flags(BPF_F_MMAPABLE),
        MapDef::new(ProgArray, 4, 4, 1),
        MapDef::new(ProgArray, 4, 8, 1),
        MapDef::new(ProgArray, 4, 4, 1).with_flags(BPF_F_RDONLY_PROG),
        MapDef::new(PerfEventArray, 4, 4, 1).with_flags(BPF_F_PRESERVE_ELEMS),
        MapDef::new(CgroupArray, 4, 4, 1),
        MapDef::new(CgroupArray, 4, 8, 1),
        MapDef::new(CgroupArray, 8, 4, 1),
        MapDef::new(CgroupArray, 4, 4, 0),
        MapDef::new(CgroupArray, 4, 4, 1).with_flags(BPF_F_RDONLY_PROG),
        MapDef::new(CgroupArray, 4, 4, 1).with_flags(BPF_F_PRESERVE_ELEMS),
        MapDef::new(CgroupArray, 4, 4, 1).with_flags(BPF_F_MMAPABLE),
        MapDef::new(CgroupArray, 4, 4, 1).with_flags(BPF_F_RDONLY),
        MapDef::new(Hash, 4, 4, 1),
        MapDef::new(Hash, 0, 4, 1),
        MapDef::new(Hash, 4, 0, 1),
        MapDef::new(Hash, 4, 4, 0),
        MapDef::new(Hash, 600, 4, 1),
        MapDef::new(Hash, 4, 4_194_251, 1).with_flags(np),
        MapDef::new(Hash, 4, 4_194_252, 1).with_flags(np),
        MapDef::new(Hash, 4, 4, 1).with_flags(np | BPF_F_ZERO_SEED),
        MapDef::new(Hash, 4, 4, 1).with_flags(BPF_F_NO_COMMON_LRU),
        MapDef::new(Hash, 4, 4, 1).with_flags(BPF_F_MMAPABLE),
        MapDef::new(Hash, 4, 4, 1).with_flags(BPF_F_INNER_MAP),
        MapDef::new(Hash, 4, 4, 1).with_flags(BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG),
        MapDef::new(Hash, 4, 4, (1 << 31) + 1).with_flags(np),
        MapDef::new(Hash, 4, 4, (1 << 27) + 1).with_flags(np),
        MapDef::new(Hash, 4, 4, 1 << 27).with_flags(np),
        MapDef::new(Hash, 4, 4, u32::MAX),
        MapDef::new(Array, 4, 4, u32::MAX),
        MapDef::new(LpmTrie, 8, 4, u32::MAX).with_flags(np),
        MapDef::new(BloomFilter, 0, 4, u32::MAX),
        MapDef::new(PercpuHash, 4, 32768, 1),
        MapDef::new(PercpuHash, 4, 32769, 1),
        MapDef::new(LruHash, 4, 4, 1).with_flags(np),
        MapDef::new(LruHash, 4, 4, 1).with_flags(BPF_F_NO_COMMON_LRU),
        MapDef::new(LruPercpuHash, 4, 4, 1),
        MapDef::new(LpmTrie, 8, 4, 1),
        MapDef::new(LpmTrie, 8, 4, 1).with_flags(np),
        MapDef::new(LpmTrie, 8, 4, 0).with_flags(np),
        MapDef::new(LpmTrie, 4, 4, 1).with_flags(np),
        MapDef::new(LpmTrie, 5, 4, 1).with_flags(np),
        MapDef::new(LpmTrie, 260, 4, 1).with_flags(np),
        MapDef::new(LpmTrie, 261, 4, 1).with_flags(np),
        MapDef::new(LpmTrie, 8, 0, 1).with_flags(np),
        MapDef::new(LpmTrie, 8, 4_194_024, 1).with_flags(np),
        MapDef::new(LpmTrie, 8, 4_194_025, 1).with_flags(np),
        MapDef::new(LpmTrie, 8, 4, 1).with_flags(np | BPF_F_ZERO_SEED),
        MapDef::new(Queue, 0, 4, 1),
        MapDef::new(Queue, 4, 4, 1),
        MapDef::new(Queue, 0, 0, 1),
        MapDef::new(Queue, 0, 4, 0),
        MapDef::new(Queue, 0, 4, 1).with_flags(np),
        MapDef::new(Stack, 0, 4_194_304, 1),
        MapDef::new(Stack, 0, 4_194_305, 1),
        MapDef::new(BloomFilter, 0, 4, 1),
        MapDef::new(BloomFilter, 4, 4, 1),
        MapDef::new(BloomFilter, 0, 4, 1).with_extra(15),
        MapDef::new(BloomFilter, 0, 4, 1).with_extra(16),
        MapDef::new(BloomFilter, 0, 4, 1).with_flags(BPF_F_ZERO_SEED),
        MapDef::new(BloomFilter, 0, 4, 1).with_flags(np),
        MapDef::new(BloomFilter, 0, 4_194_305, 1),
        MapDef::new(Ringbuf, 0, 0, 4096),
        MapDef::new(Ringbuf, 0, 0, 2048),
        MapDef::new(Ringbuf, 0, 0, 3 * 4096),
        MapDef::new(Ringbuf, 4, 0, 4096),
        MapDef::new(Ringbuf, 0, 0, 4096).with_flags(np),
        MapDef::new(ArrayOfMaps, 4, 4, 1).with_inner(inner.clone()),
        MapDef::new(ArrayOfMaps, 4, 8, 1).with_inner(inner.clone()),
        MapDef::new(HashOfMaps, 4, 4, 1).with_inner(inner.clone()),
        MapDef::new(HashOfMaps, 4, 8, 1).with_inner(inner.clone()),
        MapDef::new(HashOfMaps, 4, 4, 1).with_inner(MapDef::new(ProgArray, 4, 4, 1)),
        MapDef::new(HashOfMaps, 4, 4, 1).with_inner(MapDef::new(Ringbuf, 0, 0, 4096)),
        MapDef::new(ArrayOfMaps, 4, 4, 1)
            .with_inner(MapDef::new(ArrayOfMaps, 4, 4, 1).with_inner(inner.clone())),
    ];
    let mismatches = create_mismatches(&defs, kcreate_tree);
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

/// Create `d` in the kernel, creating its inner templates first.
fn kcreate_tree(d: &MapDef) -> Result<KMap, i32> {
    let inner = match &d.inner {
        Some(i) => Some(kcreate_tree(i)?),
        None => None,
    };
    kcreate(d, inner.as_ref().map(|k| k.fd), 1)
}

/// How keys of a case are generated.
#[derive(Clone, Copy)]
enum Keys {
    /// Array index in `0..max_entries + 2`.
    Index,
    /// `key_size` bytes from a space of `n` distinct keys.
    Space(u32),
    /// LPM: prefixlen 0..=max+1, data from a few patterns.
    Lpm,
    /// No key (queue, stack, bloom filter).
    None,
}

fn gen_key(rng: &mut ChaCha8Rng, keys: Keys, def: &MapDef) -> Vec<u8> {
    let ks = def.key_size as usize;
    match keys {
        Keys::Index => rng.gen_range(0..def.max_entries + 2).to_ne_bytes().to_vec(),
        Keys::Space(n) => {
            let i: u32 = rng.gen_range(0..n);
            let mut k = vec![0u8; ks];
            for (j, b) in k.iter_mut().enumerate() {
                *b = (i.wrapping_mul(2_654_435_761).rotate_left(j as u32 * 5) >> (j % 4 * 8)) as u8;
            }
            k[..4.min(ks)].copy_from_slice(&i.to_le_bytes()[..4.min(ks)]);
            k
        }
        Keys::Lpm => {
            let bits = (ks as u32 - 4) * 8;
            let len = rng.gen_range(0..=bits + 1);
            let mut k = len.to_ne_bytes().to_vec();
            const BYTES: [u8; 4] = [0, 0x80, 0xc0, 0xff];
            for _ in 4..ks {
                k.push(BYTES[rng.gen_range(0..4)]);
            }
            k
        }
        Keys::None => Vec::new(),
    }
}

fn gen_flags(rng: &mut ChaCha8Rng) -> u64 {
    const F: [u64; 9] = [0, 0, 0, 1, 2, 1, 2, 4, 3];
    if rng.gen_range(0..40) == 0 {
        return 8;
    }
    F[rng.gen_range(0..F.len())]
}

fn run_case(def: MapDef, keys: Keys, ops: usize, seed: u64) {
    let c = cfg();
    let k = kcreate(&def, None, c.ncpus as usize)
        .unwrap_or_else(|e| panic!("kernel create {def:?}: {e}"));
    let mut m = Map::new(def.clone(), c).unwrap_or_else(|e| panic!("bpfbox create {def:?}: {e}"));
    let exact_order = def.map_flags & BPF_F_ZERO_SEED != 0 || !def.map_type.is_hash();
    let vs = m.sys_value_size();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let is_queue = matches!(def.map_type, MapType::Queue | MapType::Stack);
    let is_bloom = def.map_type == MapType::BloomFilter;
    for step in 0..ops {
        let key = gen_key(&mut rng, keys, &def);
        let value: Vec<u8> = (0..vs).map(|_| rng.gen()).collect();
        let op = rng.gen_range(0..10);
        let ctx = || {
            format!(
                "{} seed {seed} step {step} op {op} key {key:02x?}",
                def.map_type.name()
            )
        };
        match op {
            0..=3 => {
                let f = gen_flags(&mut rng);
                assert_eq!(
                    k.update(&key, &value, f),
                    ours(m.update(&key, &value, f)),
                    "update flags {f}: {}",
                    ctx()
                );
            }
            4 | 5 => {
                if is_bloom {
                    assert_eq!(
                        k.lookup_value(&value),
                        ours(m.bloom_lookup(&value)),
                        "bloom lookup: {}",
                        ctx()
                    );
                    // Also probe values that were pushed earlier in this run.
                    continue;
                }
                let f = if rng.gen_range(0..10) == 0 {
                    BPF_F_LOCK
                } else {
                    0
                };
                assert_eq!(
                    k.lookup(&key, f),
                    ours(m.lookup_with_flags(&key, f)),
                    "lookup: {}",
                    ctx()
                );
            }
            6 => assert_eq!(k.delete(&key), ours(m.delete(&key)), "delete: {}", ctx()),
            7 | 8 => {
                let arg = if rng.gen_range(0..5) == 0 || is_queue || is_bloom {
                    None
                } else {
                    Some(key.as_slice())
                };
                let kr = k.next_key(arg);
                let or = ours(m.get_next_key(arg));
                if exact_order {
                    assert_eq!(kr, or, "get_next_key: {}", ctx());
                } else if m.is_empty() {
                    // Only emptiness is order-independent.
                    assert_eq!(kr, or, "get_next_key on empty map: {}", ctx());
                }
            }
            _ => {
                let f = if rng.gen_range(0..8) == 0 {
                    BPF_F_LOCK
                } else {
                    0
                };
                assert_eq!(
                    k.lookup_and_delete(&key, f),
                    ours(m.lookup_and_delete(&key, f)),
                    "lookup_and_delete: {}",
                    ctx()
                );
            }
        }
    }
    if is_queue || is_bloom {
        return;
    }
    let mut kd = k.dump();
    let mut od: Vec<Vec<u8>> = m.entries().map(|(k, _)| k).collect();
    if !exact_order {
        kd.sort();
        od.sort();
    }
    assert_eq!(kd, od, "final key dump of {}", def.map_type.name());
    for key in &kd {
        assert_eq!(
            k.lookup(key, 0),
            ours(m.lookup(key)),
            "final value of {key:02x?}"
        );
    }
}

pub(crate) fn arrays_match_kernel() {
    run_case(MapDef::new(MapType::Array, 4, 4, 8), Keys::Index, 1500, 1);
    run_case(MapDef::new(MapType::Array, 4, 13, 3), Keys::Index, 800, 2);
    run_case(
        MapDef::new(MapType::PercpuArray, 4, 4, 5),
        Keys::Index,
        800,
        3,
    );
    run_case(
        MapDef::new(MapType::PercpuArray, 4, 12, 2),
        Keys::Index,
        800,
        4,
    );
}

pub(crate) fn hashes_with_zero_seed_match_kernel_order() {
    let z = BPF_F_ZERO_SEED;
    for (i, (ks, vs, max, space)) in [
        (4, 4, 16, 24),
        (5, 8, 7, 12),
        (12, 3, 64, 80),
        (8, 16, 3, 6),
    ]
    .into_iter()
    .enumerate()
    {
        let seed = 10 + i as u64;
        run_case(
            MapDef::new(MapType::Hash, ks, vs, max).with_flags(z),
            Keys::Space(space),
            2000,
            seed,
        );
        let np = z | BPF_F_NO_PREALLOC;
        run_case(
            MapDef::new(MapType::Hash, ks, vs, max).with_flags(np),
            Keys::Space(space),
            1500,
            seed + 100,
        );
        run_case(
            MapDef::new(MapType::PercpuHash, ks, vs, max).with_flags(z),
            Keys::Space(space),
            1500,
            seed + 200,
        );
    }
}

pub(crate) fn hashes_with_random_seed_match_kernel_sets() {
    run_case(
        MapDef::new(MapType::Hash, 4, 8, 10),
        Keys::Space(16),
        1500,
        30,
    );
    run_case(
        MapDef::new(MapType::PercpuHash, 6, 4, 10).with_flags(BPF_F_NO_PREALLOC),
        Keys::Space(16),
        1000,
        31,
    );
}

pub(crate) fn lru_hashes_match_kernel_while_not_full() {
    // Eviction order is approximate in the kernel; keep the key space well
    // below max_entries so no eviction happens on either side.
    let z = BPF_F_ZERO_SEED;
    run_case(
        MapDef::new(MapType::LruHash, 4, 8, 512).with_flags(z),
        Keys::Space(20),
        1500,
        40,
    );
    run_case(
        MapDef::new(MapType::LruPercpuHash, 4, 4, 512).with_flags(z),
        Keys::Space(20),
        1000,
        41,
    );
}

pub(crate) fn lpm_trie_matches_kernel() {
    let np = BPF_F_NO_PREALLOC;
    run_case(
        MapDef::new(MapType::LpmTrie, 8, 4, 64).with_flags(np),
        Keys::Lpm,
        3000,
        50,
    );
    run_case(
        MapDef::new(MapType::LpmTrie, 6, 3, 5).with_flags(np),
        Keys::Lpm,
        2000,
        51,
    );
    run_case(
        MapDef::new(MapType::LpmTrie, 5, 8, 8).with_flags(np),
        Keys::Lpm,
        1500,
        52,
    );
}

pub(crate) fn queue_and_stack_match_kernel() {
    run_case(MapDef::new(MapType::Queue, 0, 4, 4), Keys::None, 1500, 60);
    run_case(MapDef::new(MapType::Stack, 0, 6, 3), Keys::None, 1500, 61);
}

pub(crate) fn bloom_filter_hashing_matches_kernel() {
    // A small, overfilled filter has many false positives: matching every
    // answer means matching the kernel's bit positions.
    for (vs, extra, max) in [(4u32, 0u64, 4u32), (6, 3, 8), (16, 1, 2), (3, 15, 10)] {
        let def = MapDef::new(MapType::BloomFilter, 0, vs, max)
            .with_flags(BPF_F_ZERO_SEED)
            .with_extra(extra);
        let k = kcreate(&def, None, 1).unwrap();
        let mut m = Map::new(def, cfg()).unwrap();
        let mut rng = ChaCha8Rng::seed_from_u64(u64::from(vs) * 7 + extra);
        let val =
            |rng: &mut ChaCha8Rng| -> Vec<u8> { (0..vs).map(|_| rng.gen_range(0..4u8)).collect() };
        for _ in 0..12 {
            let v = val(&mut rng);
            assert_eq!(k.update(&[], &v, 0), ours(m.update(&[], &v, 0)));
        }
        let mut hits = 0;
        for _ in 0..400 {
            let v = val(&mut rng);
            let r = k.lookup_value(&v);
            assert_eq!(
                r,
                ours(m.bloom_lookup(&v)),
                "bloom vs {vs} extra {extra} value {v:?}"
            );
            hits += r.is_ok() as u32;
        }
        assert!(hits > 0 && hits < 400, "degenerate filter: {hits} hits");
        let v = val(&mut rng);
        assert_eq!(
            k.update(&[], &v, BPF_EXIST),
            ours(m.update(&[], &v, BPF_EXIST))
        );
        assert_eq!(k.delete(&[]), ours(m.delete(&[])));
        assert_eq!(k.next_key(None), ours(m.get_next_key(None)));
        assert_eq!(
            k.lookup_and_delete(&[], 0),
            ours(m.lookup_and_delete(&[], 0))
        );
    }
}

pub(crate) fn freeze_and_access_flags_match_kernel() {
    for flags in [0, BPF_F_RDONLY, BPF_F_WRONLY] {
        let def = MapDef::new(MapType::Hash, 4, 4, 4).with_flags(flags);
        let k = kcreate(&def, None, 1).unwrap();
        let mut m = Map::new(def, cfg()).unwrap();
        let key = 1u32.to_ne_bytes();
        let check = |k: &KMap, m: &mut Map, what: &str| {
            assert_eq!(
                k.update(&key, &key, 0),
                ours(m.update(&key, &key, 0)),
                "{what} update"
            );
            assert_eq!(k.lookup(&key, 0), ours(m.lookup(&key)), "{what} lookup");
            assert_eq!(k.next_key(None), ours(m.get_next_key(None)), "{what} next");
            assert_eq!(
                k.lookup_and_delete(&key, 0),
                ours(m.lookup_and_delete(&key, 0)),
                "{what} l&d"
            );
            assert_eq!(k.delete(&key), ours(m.delete(&key)), "{what} delete");
        };
        check(&k, &mut m, "before freeze");
        assert_eq!(k.freeze(), ours(m.freeze()), "freeze flags {flags:#x}");
        check(&k, &mut m, "after freeze");
        assert_eq!(
            k.freeze(),
            ours(m.freeze()),
            "second freeze flags {flags:#x}"
        );
    }
}

pub(crate) fn map_in_map_template_check_matches_kernel() {
    use MapType::*;
    let templates = [
        MapDef::new(Array, 4, 4, 4),
        MapDef::new(Array, 4, 4, 4).with_flags(BPF_F_INNER_MAP),
        MapDef::new(Hash, 4, 8, 4),
        MapDef::new(Ringbuf, 0, 0, 4096),
    ];
    let candidates = [
        MapDef::new(Array, 4, 4, 4),
        MapDef::new(Array, 4, 4, 9),
        MapDef::new(Array, 4, 8, 4),
        MapDef::new(Array, 4, 4, 9).with_flags(BPF_F_INNER_MAP),
        MapDef::new(PercpuArray, 4, 4, 4),
        MapDef::new(Hash, 4, 8, 4),
        MapDef::new(Hash, 4, 8, 40),
        MapDef::new(Hash, 4, 8, 4).with_flags(BPF_F_NO_PREALLOC),
        MapDef::new(Ringbuf, 0, 0, 8192),
    ];
    for outer_t in [ArrayOfMaps, HashOfMaps] {
        for t in &templates {
            let tk = kcreate(t, None, 1).unwrap();
            let outer = MapDef::new(outer_t, 4, 4, 2).with_inner(t.clone());
            let ok = kcreate(&outer, Some(tk.fd), 1).unwrap();
            let mut om = Map::new(outer, cfg()).unwrap();
            for (i, c) in candidates.iter().enumerate() {
                let ck = kcreate(c, None, 1).unwrap();
                for (key, flags) in [
                    (0u32, BPF_ANY),
                    (1, BPF_NOEXIST),
                    (0, BPF_EXIST),
                    (5, BPF_ANY),
                ] {
                    let kb = key.to_ne_bytes();
                    let kr = ok.update(&kb, &(ck.fd as u32).to_ne_bytes(), flags);
                    let or = ours(om.update_inner(&kb, 100 + i as u32, c, flags));
                    assert_eq!(
                        kr,
                        or,
                        "{} template {t:?} candidate {c:?} key {key} flags {flags}",
                        outer_t.name()
                    );
                }
            }
            for key in [0u32, 1, 5] {
                let kb = key.to_ne_bytes();
                assert_eq!(ok.lookup(&kb, 0).is_ok(), om.lookup(&kb).is_ok());
                assert_eq!(ok.delete(&kb), ours(om.delete(&kb)), "delete {key}");
                assert_eq!(ok.delete(&kb), ours(om.delete(&kb)), "delete again {key}");
            }
        }
    }
}

pub(crate) fn prog_array_slots_match_kernel() {
    // A trivial socket filter gives a real program fd to store.
    let prog = [insn(0xb7, 0, 0, 0, 0), insn(0x95, 0, 0, 0, 0)];
    let prog_fd = load_prog(&prog).expect("load trivial program");
    let def = MapDef::new(MapType::ProgArray, 4, 4, 3);
    let k = kcreate(&def, None, 1).unwrap();
    let mut m = Map::new(def, cfg()).unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(70);
    for step in 0..400 {
        let key = rng.gen_range(0..5u32).to_ne_bytes();
        match rng.gen_range(0..4) {
            0 | 1 => {
                let f = [BPF_ANY, BPF_NOEXIST, BPF_EXIST, BPF_F_LOCK][rng.gen_range(0..4)];
                let kr = k.update(&key, &(prog_fd as u32).to_ne_bytes(), f);
                assert_eq!(
                    kr,
                    ours(m.update(&key, &77u32.to_ne_bytes(), f)),
                    "update step {step}"
                );
            }
            2 => {
                let (a, b) = (k.lookup(&key, 0), ours(m.lookup(&key)));
                assert_eq!(a.is_ok(), b.is_ok(), "lookup step {step}: {a:?} {b:?}");
                if let (Err(a), Err(b)) = (a, b) {
                    assert_eq!(a, b, "lookup errno step {step}");
                }
            }
            _ => assert_eq!(k.delete(&key), ours(m.delete(&key)), "delete step {step}"),
        }
        let slot = u32::from_ne_bytes(key);
        assert_eq!(
            m.prog_at(slot).is_some(),
            k.lookup(&key, 0).is_ok(),
            "prog_at step {step}"
        );
    }
    let mut mine = Vec::new();
    let mut cur: Option<Vec<u8>> = None;
    while let Ok(n) = m.get_next_key(cur.as_deref()) {
        mine.push(n.clone());
        cur = Some(n);
    }
    assert_eq!(k.dump(), mine, "key iteration");
    // SAFETY: closing the fd loaded above.
    unsafe { libc::close(prog_fd) };
}

bpfbox_testkit::main! {
    create_validation_matches_kernel => [kernel],
    arrays_match_kernel => [kernel],
    hashes_with_zero_seed_match_kernel_order => [kernel],
    hashes_with_random_seed_match_kernel_sets => [kernel],
    lru_hashes_match_kernel_while_not_full => [kernel],
    lpm_trie_matches_kernel => [kernel],
    queue_and_stack_match_kernel => [kernel],
    bloom_filter_hashing_matches_kernel => [kernel],
    freeze_and_access_flags_match_kernel => [kernel],
    map_in_map_template_check_matches_kernel => [kernel],
    prog_array_slots_match_kernel => [kernel],
}

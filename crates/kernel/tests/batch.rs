//! `KernelMap::for_each_entry`: batched walks (`BPF_MAP_LOOKUP_BATCH`)
//! give the same elements as the key-by-key walk, across batch boundaries,
//! and map types without batch operations fall back to the key walk.

use bpfbox_kernel::consts::{map_flags, map_type};
use bpfbox_kernel::*;

fn k(i: u32) -> [u8; 4] {
    i.to_le_bytes()
}

/// The element list by `get_next_key` and lookups, one pair of calls each.
fn slow_walk(m: &KernelMap) -> Vec<Entry> {
    let mut out = Vec::new();
    let mut key = m.get_next_key(None).unwrap();
    while let Some(kk) = key {
        if let Some(v) = m.lookup(&kk).unwrap() {
            out.push((kk.clone(), v));
        }
        key = m.get_next_key(Some(&kk)).unwrap();
    }
    out.sort();
    out
}

fn batched(m: &KernelMap) -> Vec<Entry> {
    let mut out = m.entries().unwrap();
    out.sort();
    out
}

pub(crate) fn batched_walk_equals_key_walk() {
    let cpus = possible_cpus().unwrap();
    let n = (LOOKUP_BATCH * 2 + 17) as u32;
    for (ty, vs) in [
        (map_type::HASH, 4),
        (map_type::PERCPU_HASH, 4),
        (map_type::LRU_HASH, 4),
        (map_type::ARRAY, 12),
        (map_type::PERCPU_ARRAY, 4),
    ] {
        let m = MapCreate::new(ty, 4, vs, n).create().unwrap();
        let vlen = m.value_buf_len();
        // Every third key, so hash buckets and array holes both occur.
        for i in (0..n).step_by(3) {
            let mut v = vec![0u8; vlen];
            v[..4].copy_from_slice(&k(i * 7 + 1));
            m.update(&k(i), &v, map_flags::ANY).unwrap();
        }
        let want = slow_walk(&m);
        let expected = if ty == map_type::ARRAY || ty == map_type::PERCPU_ARRAY {
            n as usize
        } else {
            n.div_ceil(3) as usize
        };
        assert_eq!(want.len(), expected, "map type {ty} (cpus {cpus})");
        assert_eq!(batched(&m), want, "map type {ty}");
    }
}

pub(crate) fn empty_maps_and_types_without_batches() {
    let h = MapCreate::new(map_type::HASH, 8, 8, 1 << 20)
        .create()
        .unwrap();
    assert!(batched(&h).is_empty());
    // LPM tries have no batch lookup: the key walk answers.
    let lpm = MapCreate {
        map_flags: 1, // BPF_F_NO_PREALLOC
        ..MapCreate::new(map_type::LPM_TRIE, 8, 4, 16)
    }
    .create()
    .unwrap();
    for (len, a) in [(8u32, 10u8), (16, 11), (24, 12)] {
        let mut key = len.to_ne_bytes().to_vec();
        key.extend_from_slice(&[a, 0, 0, 0]);
        lpm.update(&key, &k(len), map_flags::ANY).unwrap();
    }
    assert_eq!(batched(&lpm), slow_walk(&lpm));
    assert_eq!(batched(&lpm).len(), 3);
}

pub(crate) fn mmapable_arrays_are_read_through_windows() {
    // 12-byte values (16 apart): more than one MMAP_WINDOW of elements.
    let n = (MMAP_WINDOW / 16 + 1000) as u32;
    let m = MapCreate {
        map_flags: bpfbox_uapi::map_flags::F_MMAPABLE,
        ..MapCreate::new(map_type::ARRAY, 4, 12, n)
    }
    .create()
    .unwrap();
    for i in [0, 1, n / 2, (MMAP_WINDOW / 16) as u32, n - 1] {
        let mut v = [0u8; 12];
        v[..4].copy_from_slice(&k(i ^ 0x5a5a));
        v[8..].copy_from_slice(&k(i));
        m.update(&k(i), &v, map_flags::ANY).unwrap();
    }
    let mut seen = 0u32;
    let mut nonzero = Vec::new();
    m.for_each_entry(|key, v| {
        assert_eq!(key, k(seen), "index order");
        seen += 1;
        if v.iter().any(|&b| b != 0) {
            nonzero.push((key.to_vec(), v.to_vec()));
        }
    })
    .unwrap();
    assert_eq!(seen, n);
    let want: Vec<Entry> = slow_walk(&m)
        .into_iter()
        .filter(|(_, v)| v.iter().any(|&b| b != 0))
        .collect();
    assert_eq!(want.len(), 5);
    nonzero.sort();
    assert_eq!(nonzero, want);
}

bpfbox_testkit::main! {
    batched_walk_equals_key_walk => [kernel],
    empty_maps_and_types_without_batches => [kernel],
    mmapable_arrays_are_read_through_windows => [kernel],
}

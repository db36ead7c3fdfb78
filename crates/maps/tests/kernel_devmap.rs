//! devmap, devmap_hash, cpumap and xskmap against the running kernel:
//! create-time errnos, and a fixed sequence of syscall-side operations
//! (update, lookup, delete, get_next_key walk) with equal results after each
//! step. Devices: loopback (ifindex 1) exists in every network namespace;
//! ifindex 0x7fff_0000 does not.

use bpfbox_maps::flags::*;
use bpfbox_maps::{Map, MapDef, MapType};

pub(crate) mod common;
use common::*;

pub(crate) fn create_validation_matches_kernel() {
    use MapType::*;
    let defs = vec![
        MapDef::new(Devmap, 4, 4, 4),
        MapDef::new(Devmap, 4, 8, 4),
        MapDef::new(Devmap, 4, 6, 4),
        MapDef::new(Devmap, 8, 4, 4),
        MapDef::new(Devmap, 4, 4, 0),
        MapDef::new(Devmap, 4, 4, 4).with_flags(BPF_F_RDONLY_PROG),
        MapDef::new(Devmap, 4, 4, 4).with_flags(BPF_F_RDONLY),
        MapDef::new(Devmap, 4, 4, 4).with_flags(BPF_F_NO_PREALLOC),
        MapDef::new(DevmapHash, 4, 8, 5),
        MapDef::new(DevmapHash, 4, 12, 5),
        MapDef::new(DevmapHash, 2, 4, 5),
        MapDef::new(Cpumap, 4, 4, 4),
        MapDef::new(Cpumap, 4, 8, 4),
        MapDef::new(Cpumap, 4, 12, 4),
        MapDef::new(Cpumap, 4, 4, 0),
        MapDef::new(Cpumap, 4, 4, bpfbox_maps::NR_CPUS),
        MapDef::new(Cpumap, 4, 4, bpfbox_maps::NR_CPUS + 1),
        MapDef::new(Cpumap, 4, 4, 4).with_flags(BPF_F_RDONLY),
        MapDef::new(Xskmap, 4, 4, 4),
        MapDef::new(Xskmap, 4, 8, 4),
        MapDef::new(Xskmap, 4, 4, 4).with_flags(BPF_F_WRONLY),
        MapDef::new(Xskmap, 4, 4, 4).with_flags(BPF_F_ZERO_SEED),
    ];
    let bad = create_mismatches(&defs, |d| kcreate(d, None, 1));
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

fn v(a: u32, b: Option<i32>) -> Vec<u8> {
    let mut out = a.to_ne_bytes().to_vec();
    if let Some(b) = b {
        out.extend_from_slice(&b.to_ne_bytes());
    }
    out
}

enum Op {
    Update(u32, Vec<u8>, u64),
    Delete(u32),
}

/// Runs `ops` on both maps, comparing each result, every lookup and the
/// get_next_key walk after each step.
fn same_sequence(def: MapDef, ops: &[Op]) {
    let km = kcreate(&def, None, 1).expect("kernel create");
    let mut om = Map::new(def.clone(), cfg()).expect("bpfbox create");
    for (i, op) in ops.iter().enumerate() {
        let (k, o) = match op {
            Op::Update(key, val, flags) => (
                km.update(&key.to_ne_bytes(), val, *flags),
                ours(om.update(&key.to_ne_bytes(), val, *flags)),
            ),
            Op::Delete(key) => (
                km.delete(&key.to_ne_bytes()),
                ours(om.delete(&key.to_ne_bytes())),
            ),
        };
        assert_eq!(o, k, "{:?} step {i} result", def.map_type);
        for key in 0..def.max_entries + 2 {
            let kk = key.to_ne_bytes();
            assert_eq!(
                ours(om.lookup(&kk)),
                km.lookup(&kk, 0),
                "{:?} step {i} lookup {key}",
                def.map_type
            );
        }
        let mut walk = Vec::new();
        let mut cur: Option<Vec<u8>> = None;
        while let Ok(n) = ours(om.get_next_key(cur.as_deref())) {
            walk.push(n.clone());
            cur = Some(n);
            if walk.len() > 64 {
                break;
            }
        }
        assert_eq!(walk, km.dump(), "{:?} step {i} walk", def.map_type);
    }
}

pub(crate) fn devmap_operations_match_kernel() {
    let nodev = 0x7fff_0000;
    for vs in [None, Some(0)] {
        let size = if vs.is_some() { 8 } else { 4 };
        same_sequence(
            MapDef::new(MapType::Devmap, 4, size, 4),
            &[
                Op::Update(1, v(1, vs), BPF_ANY),
                Op::Update(1, v(1, vs), BPF_NOEXIST),
                Op::Update(2, v(1, vs), BPF_EXIST),
                Op::Update(4, v(1, vs), BPF_ANY),
                Op::Update(0, v(nodev, vs), BPF_ANY),
                Op::Update(0, v(1, vs), 7),
                Op::Update(2, v(0, vs), BPF_ANY),
                Op::Delete(1),
                Op::Delete(3),
                Op::Delete(9),
            ],
        );
        same_sequence(
            MapDef::new(MapType::DevmapHash, 4, size, 3),
            &[
                Op::Update(9, v(1, vs), BPF_ANY),
                Op::Update(5, v(1, vs), BPF_NOEXIST),
                Op::Update(5, v(1, vs), BPF_NOEXIST),
                Op::Update(1, v(1, vs), BPF_EXIST),
                Op::Update(13, v(1, vs), BPF_ANY),
                Op::Update(6, v(0, vs), BPF_ANY),
                Op::Update(6, v(nodev, vs), BPF_ANY),
                Op::Update(9, v(1, vs), BPF_ANY),
                Op::Delete(5),
                Op::Delete(5),
                Op::Update(2, v(1, vs), BPF_ANY),
            ],
        );
    }
    // a program fd in a devmap value needs an XDP program: ifindex 0 with
    // an fd is refused before the fd is looked at
    same_sequence(
        MapDef::new(MapType::Devmap, 4, 8, 2),
        &[Op::Update(0, v(0, Some(3)), BPF_ANY)],
    );
}

pub(crate) fn cpumap_operations_match_kernel() {
    let n = possible_cpus();
    same_sequence(
        MapDef::new(MapType::Cpumap, 4, 4, n + 2),
        &[
            Op::Update(0, v(64, None), BPF_ANY),
            Op::Update(0, v(64, None), BPF_NOEXIST),
            Op::Update(n, v(64, None), BPF_ANY),
            Op::Update(n + 2, v(64, None), BPF_ANY),
            Op::Update(0, v(16385, None), BPF_ANY),
            Op::Update(0, v(16384, None), BPF_EXIST),
            Op::Update(0, v(0, None), BPF_ANY),
            Op::Update(0, v(8, None), 4),
            Op::Delete(n + 1),
            Op::Delete(n + 2),
        ],
    );
}

pub(crate) fn xskmap_refuses_what_the_kernel_refuses() {
    // Without AF_XDP sockets only the argument checks can be compared; a
    // delete of an empty slot succeeds and lookups are not supported.
    let d = MapDef::new(MapType::Xskmap, 4, 4, 2);
    let km = kcreate(&d, None, 1).expect("kernel create");
    let mut om = Map::new(d, cfg()).expect("bpfbox create");
    let key = 5u32.to_ne_bytes();
    assert_eq!(
        ours(om.update(&key, &v(3, None), 8)),
        km.update(&key, &v(3, None), 8)
    );
    assert_eq!(
        ours(om.update(&key, &v(3, None), 0)),
        km.update(&key, &v(3, None), 0)
    );
    for k in [0u32, 2] {
        assert_eq!(
            ours(om.delete(&k.to_ne_bytes())),
            km.delete(&k.to_ne_bytes())
        );
    }
    assert_eq!(
        ours(om.lookup(&0u32.to_ne_bytes())),
        km.lookup(&0u32.to_ne_bytes(), 0)
    );
}

bpfbox_testkit::main! {
    create_validation_matches_kernel => [kernel],
    devmap_operations_match_kernel => [kernel],
    cpumap_operations_match_kernel => [kernel],
    xskmap_refuses_what_the_kernel_refuses => [kernel],
}

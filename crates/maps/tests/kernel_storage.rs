//! Cgroup storage (shared and per-CPU) against the running kernel:
//! create-time errnos, and the user-space view of a map with no program
//! attached (nothing linked: lookups and updates find no storage).

use bpfbox_maps::flags::*;
use bpfbox_maps::{Map, MapDef, MapType};

pub(crate) mod common;
use common::*;

pub(crate) fn create_validation_matches_kernel() {
    let mut defs = Vec::new();
    for t in [MapType::CgroupStorage, MapType::PercpuCgroupStorage] {
        for (key, value, max) in [
            (8, 8, 0),
            (16, 8, 0),
            (12, 8, 0),
            (4, 8, 0),
            (8, 8, 1),
            (8, 0, 0),
            (8, 4096, 0),
            (8, 32768, 0),
            (8, 32769, 0),
            (8, 65407, 0),
            (8, 65408, 0),
        ] {
            defs.push(MapDef::new(t, key, value, max));
        }
        for f in [
            BPF_F_NO_PREALLOC,
            BPF_F_NUMA_NODE,
            BPF_F_RDONLY,
            BPF_F_RDONLY_PROG,
            BPF_F_MMAPABLE,
        ] {
            defs.push(MapDef::new(t, 8, 8, 0).with_flags(f));
        }
    }
    let bad = create_mismatches(&defs, |d| kcreate(d, None, 1));
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

pub(crate) fn unattached_storage_has_no_elements() {
    let d = MapDef::new(MapType::CgroupStorage, 16, 8, 0);
    let k = kcreate(&d, None, 1).expect("kernel creates it");
    let mut o = Map::new(d, cfg()).unwrap();
    let key = [0u8; 16];
    assert_eq!(
        ours(o.lookup(&key)).map(|_| ()),
        k.lookup(&key, 0).map(|_| ())
    );
    assert_eq!(ours(o.update(&key, &[0; 8], 0)), k.update(&key, &[0; 8], 0));
    assert_eq!(ours(o.get_next_key(None)), k.next_key(None));
    assert_eq!(ours(o.delete(&key)), k.delete(&key));
}

bpfbox_testkit::main! {
    create_validation_matches_kernel => [kernel],
    unattached_storage_has_no_elements => [kernel],
}

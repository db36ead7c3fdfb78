//! Stack trace maps against the running kernel: create-time errnos and the
//! user-space view (lookup, update, delete, get_next_key of an empty map).
//! What `bpf_get_stackid` stores is compared on a real attached tracepoint
//! in crates/runtime/tests (events_trace.rs).

use bpfbox_maps::flags::*;
use bpfbox_maps::{Map, MapDef, MapType};

pub(crate) mod common;
use common::*;

pub(crate) fn create_validation_matches_kernel() {
    // bpfbox models the sysctl's default; the depth-limit cases are
    // compared only where the kernel has it too.
    let max = std::fs::read_to_string("/proc/sys/kernel/perf_event_max_stack")
        .ok()
        .and_then(|s| s.trim().parse::<u32>().ok());
    let default_depth = max == Some(bpfbox_maps::PERF_EVENT_MAX_STACK);
    if !default_depth {
        println!("kernel.perf_event_max_stack is {max:?}, not 127: depth-limit cases left out");
    }
    let t = MapType::StackTrace;
    let mut defs = Vec::new();
    for (key, value, max) in [
        (4, 8, 1),
        (4, 8, 0),
        (8, 8, 1),
        (4, 0, 1),
        (4, 4, 1),
        (4, 12, 1),
        (4, 127 * 8, 1),
        (4, 128 * 8, 1),
        (4, 64, 1000),
        (4, 8, (1 << 31) + 1),
    ] {
        defs.push(MapDef::new(t, key, value, max));
    }
    for (f, value) in [
        (BPF_F_STACK_BUILD_ID, 32),
        (BPF_F_STACK_BUILD_ID, 40),
        (BPF_F_STACK_BUILD_ID, 127 * 32),
        (BPF_F_STACK_BUILD_ID, 128 * 32),
        (BPF_F_NO_PREALLOC, 8),
        (BPF_F_NUMA_NODE, 8),
        (BPF_F_RDONLY, 8),
        (BPF_F_WRONLY, 8),
        (BPF_F_RDONLY_PROG, 8),
        (BPF_F_ZERO_SEED, 8),
        (BPF_F_MMAPABLE, 8),
    ] {
        defs.push(MapDef::new(t, 4, value, 4).with_flags(f));
    }
    if !default_depth {
        defs.retain(|d| d.value_size < 127 * 8);
    }
    let bad = create_mismatches(&defs, |d| kcreate(d, None, 1));
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

pub(crate) fn empty_map_user_space_view_matches_kernel() {
    let d = MapDef::new(MapType::StackTrace, 4, 16, 5);
    let k = kcreate(&d, None, 1).expect("kernel creates it");
    let mut o = Map::new(d, cfg()).unwrap();
    for id in [0u32, 3, 7, 8, 1000] {
        let key = id.to_ne_bytes();
        assert_eq!(
            ours(o.lookup(&key)).map(|_| ()),
            k.lookup(&key, 0).map(|_| ()),
            "lookup {id}"
        );
        assert_eq!(ours(o.delete(&key)), k.delete(&key), "delete {id}");
        assert_eq!(
            ours(o.update(&key, &[0; 16], 0)),
            k.update(&key, &[0; 16], 0),
            "update {id}"
        );
        assert_eq!(
            ours(o.lookup_and_delete(&key, 0)).map(|_| ()),
            k.lookup_and_delete(&key, 0).map(|_| ()),
            "lookup_and_delete {id}"
        );
        assert_eq!(ours(o.get_next_key(Some(&key))), k.next_key(Some(&key)));
    }
    assert_eq!(ours(o.get_next_key(None)), k.next_key(None));
}

bpfbox_testkit::main! {
    create_validation_matches_kernel => [kernel],
    empty_map_user_space_view_matches_kernel => [kernel],
}

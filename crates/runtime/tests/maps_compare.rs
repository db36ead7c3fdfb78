//! A program using array, hash, queue and prog-array maps plus .rodata,
//! .bss and .data runs `repeat` times on bpfbox and in the kernel; retval,
//! data_out and every map's contents afterwards must be identical.

use bpfbox_runtime::{test_run, LoadedProgram, TestRunInput};
use std::path::PathBuf;

fn obj_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/progs/runtime/maps.o")
}

fn frame(len: usize) -> Vec<u8> {
    let mut f = vec![0u8; len];
    f[12] = 0x08;
    f
}

/// Map contents as sorted (key, value) pairs; queues are drained.
type Dump = Vec<Vec<(Vec<u8>, Vec<u8>)>>;

fn run_kernel(obj: &bpfbox_object::Object, inputs: &[TestRunInput]) -> (Vec<(i32, u32)>, Dump) {
    let mut maps = Vec::new();
    for spec in &obj.maps {
        let mut mc = bpfbox_kernel::MapCreate::new(
            spec.map_type,
            spec.key_size,
            spec.value_size,
            spec.max_entries,
        );
        mc.map_flags = spec.map_flags;
        let m = mc
            .create()
            .unwrap_or_else(|e| panic!("map {}: {e}", spec.name));
        if let Some(d) = &spec.initial_data {
            m.update(&0u32.to_le_bytes(), d, 0).unwrap();
        }
        maps.push(m);
    }
    use std::os::fd::AsRawFd;
    let def = obj.program("maps_xdp").unwrap();
    let insns = def.link(|i| maps[i].fd().as_raw_fd());
    let prog = bpfbox_kernel::ProgLoad::new(def.prog_type, &insns)
        .load()
        .unwrap_or_else(|e| panic!("{e}"));
    let mut res = Vec::new();
    for input in inputs {
        let t = bpfbox_kernel::TestRun {
            data_in: Some(&input.data_in),
            data_size_out: 4096,
            repeat: input.repeat,
            ..bpfbox_kernel::TestRun::packet(&input.data_in)
        };
        let o = prog.test_run(&t).unwrap();
        res.push((0, o.retval));
    }
    let mut dump = Vec::new();
    for (spec, m) in obj.maps.iter().zip(&maps) {
        let mut d = Vec::new();
        if spec.map_type == 22 {
            while let Some(v) = m.lookup_and_delete(None).unwrap() {
                d.push((Vec::new(), v));
            }
        } else if spec.map_type != 3 {
            for e in m.entries().unwrap() {
                d.push(e);
            }
        }
        d.sort();
        dump.push(d);
    }
    (res, dump)
}

fn run_bpfbox(obj: &bpfbox_object::Object, inputs: &[TestRunInput]) -> (Vec<(i32, u32)>, Dump) {
    let mut host = crate::running::host();
    let prog = LoadedProgram::from_object(&mut host, obj, "maps_xdp").unwrap();
    let mut res = Vec::new();
    for input in inputs {
        let o = test_run(&prog, &mut host, input).unwrap();
        res.push((0, o.retval));
    }
    let mut dump = Vec::new();
    for (spec, m) in obj.maps.iter().zip(host.maps.iter_mut()) {
        let mut d = Vec::new();
        if spec.map_type == 22 {
            while let Ok(v) = m.lookup_and_delete(&[], 0) {
                d.push((Vec::new(), v));
            }
        } else if spec.map_type != 3 {
            d.extend(m.entries());
        }
        d.sort();
        dump.push(d);
    }
    (res, dump)
}

pub(crate) fn maps_and_global_data_match_kernel() {
    let obj = bpfbox_object::load_file(obj_path()).unwrap();
    let inputs: Vec<TestRunInput> = [(60, 1), (61, 3), (62, 2), (60, 1), (99, 4)]
        .iter()
        .map(|&(len, repeat)| TestRunInput {
            data_in: frame(len),
            data_size_out: Some(4096),
            repeat,
            ..Default::default()
        })
        .collect();
    let b = run_bpfbox(&obj, &inputs);
    let k = run_kernel(&obj, &inputs);
    assert_eq!(b.0, k.0, "retvals");
    for (i, spec) in obj.maps.iter().enumerate() {
        assert_eq!(b.1[i], k.1[i], "map {}", spec.name);
    }
    assert!(b.1.iter().any(|d| !d.is_empty()));
}

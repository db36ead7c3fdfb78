//! Tunnel keys against the kernel (tests/progs/helpers/tunnel.c): a tc
//! program test-run on both engines sets and reads tunnel metadata with
//! every flag and key layout, then encapsulates like a load balancer's
//! healthchecker (IPv4 key, redirect). Retval, data_out, every helper
//! result and every key read back must be equal. In a test run nothing
//! consumes the metadata, so what the helpers report is all there is.

use bpfbox_runtime::drivers::LoadedProgram;
use bpfbox_runtime::{test_run, TestRunInput};
use std::os::fd::AsRawFd;
use std::path::PathBuf;

fn obj() -> bpfbox_object::Object {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/progs/helpers/tunnel.o");
    bpfbox_object::load_file(p).unwrap()
}

/// An IPv4/UDP frame as a healthchecker sends it.
fn frame() -> Vec<u8> {
    let mut f = vec![0u8; 14 + 28];
    f[12] = 0x08;
    f[14] = 0x45;
    f[16..18].copy_from_slice(&28u16.to_be_bytes());
    f[22] = 64;
    f[23] = 17;
    f[26..30].copy_from_slice(&[10, 1, 1, 1]);
    f[30..34].copy_from_slice(&[10, 200, 1, 1]);
    f
}

pub(crate) fn tunnel_keys_match_the_kernel() {
    let o = obj();
    let pkt = frame();
    let maps: Vec<_> = o
        .maps
        .iter()
        .map(|s| {
            bpfbox_kernel::MapCreate::new(s.map_type, s.key_size, s.value_size, s.max_entries)
                .create()
                .unwrap()
        })
        .collect();
    let def = o.program("hc_encap").unwrap();
    let insns = def.link(|i| maps[i].fd().as_raw_fd());
    let kp = bpfbox_kernel::ProgLoad::new(def.prog_type, &insns)
        .license("GPL")
        .load()
        .unwrap_or_else(|e| panic!("kernel rejected hc_encap: {e}"));
    let mut t = bpfbox_kernel::TestRun::packet(&pkt);
    t.data_size_out = 256;
    let ko = kp.test_run(&t).unwrap();
    let kdump: Vec<Vec<(Vec<u8>, Vec<u8>)>> = maps.iter().map(|m| m.entries().unwrap()).collect();

    let mut host = crate::running::host();
    let prog = LoadedProgram::from_object(&mut host, &o, "hc_encap").unwrap();
    let input = TestRunInput {
        data_in: pkt.clone(),
        data_size_out: Some(256),
        ..Default::default()
    };
    let bo = test_run(&prog, &mut host, &input).unwrap();
    let bdump: Vec<Vec<(Vec<u8>, Vec<u8>)>> =
        host.maps.iter().map(|m| m.entries().collect()).collect();

    assert_eq!(ko.retval, 7, "TC_ACT_REDIRECT");
    let res: Vec<i64> = kdump[0]
        .iter()
        .map(|(_, v)| i64::from_ne_bytes(v[..8].try_into().unwrap()))
        .collect();
    println!("kernel results: {res:?}");
    assert_eq!(res[0], -22, "no metadata before the first set");
    assert_eq!(res[4], 0, "an IPv4 key is attached");
    assert_eq!((bo.retval, &bo.data_out), (ko.retval, &ko.data_out));
    for (i, name) in o.maps.iter().map(|m| &m.name).enumerate() {
        for (b, k) in bdump[i].iter().zip(&kdump[i]) {
            assert_eq!(b, k, "map {name} key {:?}", k.0);
        }
        assert_eq!(bdump[i].len(), kdump[i].len(), "map {name}");
    }
}

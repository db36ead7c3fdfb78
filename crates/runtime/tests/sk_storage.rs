//! Socket storage against the kernel (tests/progs/helpers/sk_storage.c):
//! a tc program test-run three times (one skb, one socket, as the
//! kernel's test run repeats) creates, reads, deletes and re-creates the
//! storage of its skb's socket. Every result must be equal; after the run
//! bpfbox's map is empty (the kernel frees the run's socket and its
//! storage; user space cannot list socket storage to show it).

use bpfbox_runtime::drivers::LoadedProgram;
use bpfbox_runtime::{test_run, TestRunInput};
use std::os::fd::AsRawFd;
use std::path::PathBuf;

fn obj() -> bpfbox_object::Object {
    let p =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/progs/helpers/sk_storage.o");
    bpfbox_object::load_file(p).unwrap()
}

pub(crate) fn sk_storage_matches_the_kernel() {
    let o = obj();
    let mut pkt = vec![0u8; 60];
    pkt[12] = 0x08;
    // the kernel wants BTF for sk_storage maps
    let btf = bpfbox_kernel::load_btf(&o.btf_for_kernel().expect("object BTF")).unwrap();
    let maps: Vec<_> = o
        .maps
        .iter()
        .map(|s| {
            let mut mc =
                bpfbox_kernel::MapCreate::new(s.map_type, s.key_size, s.value_size, s.max_entries);
            mc.map_flags = s.map_flags;
            if s.btf_value_type_id != 0 {
                mc.btf_fd = Some(btf.fd().as_raw_fd());
                mc.btf_key_type_id = s.btf_key_type_id;
                mc.btf_value_type_id = s.btf_value_type_id;
            }
            mc.create()
                .unwrap_or_else(|e| panic!("map {}: {e}", s.name))
        })
        .collect();
    let def = o.program("sk_store").unwrap();
    let insns = def.link(|i| maps[i].fd().as_raw_fd());
    let kp = bpfbox_kernel::ProgLoad::new(def.prog_type, &insns)
        .license("GPL")
        .load()
        .unwrap_or_else(|e| panic!("kernel rejected sk_store: {e}"));
    let mut t = bpfbox_kernel::TestRun::packet(&pkt);
    t.repeat = 3;
    let ko = kp.test_run(&t).unwrap();
    let st = o.maps.iter().position(|m| m.name == "st").unwrap();
    let res = o.maps.iter().position(|m| m.name == "res").unwrap();
    let kres = maps[res].entries().unwrap();
    // no key walk on socket storage; a lookup by key needs a socket fd
    let kwalk = maps[st]
        .get_next_key(None)
        .map(|k| k.is_some())
        .map_err(|e| e.errno().map(|n| n.raw()));

    let mut host = crate::running::host();
    let prog = LoadedProgram::from_object(&mut host, &o, "sk_store").unwrap();
    let input = TestRunInput {
        data_in: pkt,
        repeat: 3,
        ..Default::default()
    };
    let bo = test_run(&prog, &mut host, &input).unwrap();
    let bres: Vec<_> = host.maps[res].entries().collect();
    let bwalk = host.maps[st]
        .get_next_key(None)
        .map(|_| true)
        .map_err(|e| Some(e.errno()));

    assert_eq!(ko.retval, 0);
    assert_eq!(bwalk, kwalk, "get_next_key");
    assert!(
        host.maps[st].is_empty(),
        "the run's socket storage is freed with it"
    );
    let words: Vec<u64> = kres
        .iter()
        .map(|(_, v)| u64::from_ne_bytes(v[..8].try_into().unwrap()))
        .collect();
    println!("kernel results: {words:?}");
    assert_eq!(words[0], 0, "the test run's skb has a socket");
    assert_eq!(bo.retval, ko.retval);
    assert_eq!(bres, kres, "results (bpfbox vs kernel)");
}

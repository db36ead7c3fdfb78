//! `--setup`: objects prepared as their loaders prepare them (maps sized
//! and filled, `.rodata` configuration, prog-array and map-in-map slots),
//! on both engines with the same setup file; dumps fed back as setups;
//! one clear line for a bad setup file.

use super::{kernel_usable, root};
use bpfbox::engine::{self, Engine, InterpEngine, KernelEngine, MapDump, RunInput, RunOutput};
use bpfbox::setup::{self, Setup};
use bpfbox_object::Object;
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn bpfbox(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bpfbox"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("run bpfbox")
}

fn lb() -> PathBuf {
    root().join("examples/lb/lb.o")
}

fn packet(name: &str) -> Vec<u8> {
    std::fs::read(root().join("examples/lb").join(name)).unwrap()
}

fn input(data: Vec<u8>) -> RunInput {
    RunInput {
        data_in: data,
        ..Default::default()
    }
}

fn ncpus() -> u32 {
    bpfbox::kernel::possible_cpus().map_or(1, |n| n as u32)
}

/// The object prepared with `setup`, and the interpreter running `prog`
/// with the setup's entries inserted.
fn interp(obj_path: &Path, s: Option<&Setup>, prog: &str) -> (Object, Box<dyn Engine>) {
    let (obj, prep) = setup::load_object(obj_path, s).unwrap();
    let def = obj.program(prog).unwrap().clone();
    let mut e: Box<dyn Engine> =
        Box::new(InterpEngine::new(&obj, &def, engine::host_like_kernel()).unwrap());
    prep.fill(&mut *e, ncpus()).unwrap();
    (obj, e)
}

fn kernel(obj_path: &Path, s: Option<&Setup>, prog: &str) -> Box<dyn Engine> {
    let (obj, prep) = setup::load_object(obj_path, s).unwrap();
    let def = obj.program(prog).unwrap().clone();
    engine::pin_to_cpu0();
    let mut e: Box<dyn Engine> = Box::new(KernelEngine::new(&obj, &def).unwrap());
    prep.fill(&mut *e, ncpus()).unwrap();
    e
}

fn run(e: &mut dyn Engine, data: Vec<u8>) -> RunOutput {
    e.test_run(&input(data)).unwrap()
}

fn lb_setup() -> Setup {
    Setup::load(&root().join("examples/lb/setup.json")).unwrap()
}

pub(crate) fn a_map_left_unsized_is_sized_by_the_setup() {
    let (obj, _) = setup::load_object(&lb(), None).unwrap();
    let def = obj.program("lb").unwrap();
    let err = InterpEngine::new(&obj, def, engine::host_like_kernel())
        .err()
        .expect("max_entries 0 is refused");
    assert!(err.message.contains("backends"), "{}", err.message);
    let (obj, _) = setup::load_object(&lb(), Some(&lb_setup())).unwrap();
    let m = &obj.maps[obj.map_index("backends").unwrap()];
    assert_eq!(m.max_entries, 4);
}

pub(crate) fn structured_vip_table_and_rodata_config_drive_the_balancer() {
    let s = lb_setup();
    let (_, mut e) = interp(&lb(), Some(&s), "lb");
    let out = run(&mut *e, packet("vip_tcp80.bin"));
    assert_eq!(out.retval, 3, "XDP_TX to the backend");
    // destination MAC of backend 0, source MAC lb_mac, daddr 10.1.0.10
    assert_eq!(out.data_out[0..6], [2, 0, 0, 0, 0, 0x0a]);
    assert_eq!(out.data_out[6..12], [2, 0, 0, 0, 0, 1]);
    assert_eq!(out.data_out[30..34], [10, 1, 0, 10]);
    let out = run(&mut *e, packet("vip_udp53.bin"));
    assert_eq!(
        (out.retval, out.data_out[30..34].to_vec()),
        (3, vec![10, 1, 0, 11])
    );
    // not a VIP: the configured default action (XDP_DROP = 1)
    assert_eq!(run(&mut *e, packet("other.bin")).retval, 1);
    // the same object without that .rodata value passes it (XDP_PASS = 2)
    let mut s2 = s.clone();
    s2.globals.remove("default_action");
    let (_, mut e2) = interp(&lb(), Some(&s2), "lb");
    assert_eq!(run(&mut *e2, packet("other.bin")).retval, 2);
    // a port that is not in the table: the default action too
    let mut s3 = s.clone();
    s3.maps.get_mut("vips").unwrap().entries.truncate(1);
    let (_, mut e3) = interp(&lb(), Some(&s3), "lb");
    assert_eq!(run(&mut *e3, packet("vip_udp53.bin")).retval, 1);
}

pub(crate) fn vip_key_bytes_follow_the_documented_byte_order() {
    let (obj, _) = setup::load_object(&lb(), None).unwrap();
    let spec = &obj.maps[obj.map_index("vips").unwrap()];
    let btf = obj.btf.as_ref().unwrap();
    let ty = setup::value::Ty::Btf(btf, spec.btf_key_type_id);
    let k = json!({"vip": "10.200.1.1", "port": 80, "proto": 6});
    let b = setup::value::encode_new(ty, &k, "k").unwrap();
    // __be32 address, __be16 port in network order, proto, zero pad
    assert_eq!(b, [10, 200, 1, 1, 0, 80, 6, 0]);
    let b2 = setup::value::encode_new(ty, &json!({"vip": "10.200.1.1", "port": {"le": 80}}), "k")
        .unwrap();
    assert_eq!(b2[4..6], [80, 0], "{{\"le\": n}} overrides __be16");
    let mut shown = k.clone();
    shown["pad"] = json!(0);
    assert_eq!(setup::value::decode(ty, &b, ""), shown);
    let e = setup::value::encode_new(ty, &json!({"vip": "10.200.1.1", "port": 70000}), "key")
        .unwrap_err();
    assert_eq!(
        (e.path.as_str(), e.message.as_str()),
        ("key.port", "70000 does not fit u16")
    );
    let e =
        setup::value::encode_new(ty, &json!({"vip": "10.200.1.1", "prt": 1}), "key").unwrap_err();
    assert!(e.message.contains("no member `prt`"), "{}", e.message);
}

pub(crate) fn many_btf_shapes_encode_and_decode_back() {
    let path = root().join("tests/progs/setup/types.o");
    let (obj, _) = setup::load_object(&path, None).unwrap();
    let btf = obj.btf.as_ref().unwrap();
    let spec = &obj.maps[obj.map_index("rules").unwrap()];
    let kty = setup::value::Ty::Btf(btf, spec.btf_key_type_id);
    let vty = setup::value::Ty::Btf(btf, spec.btf_value_type_id);
    let key = json!({"saddr6": "2001:db8::1", "sport": 1234, "dport": {"be": 443},
                     "proto": 17, "mac": "02:00:00:00:00:07"});
    let kb = setup::value::encode_new(kty, &key, "key").unwrap();
    assert_eq!(kb[0..2], [0x20, 0x01]);
    assert_eq!(kb[15], 1);
    assert_eq!(kb[16..20], [0x04, 0xd2, 0x01, 0xbb]);
    assert_eq!(kb[21..27], [2, 0, 0, 0, 0, 7]);
    let val = json!({"color": "BLUE", "delta": -2, "a": 5, "b": 17, "word": 0x01020304,
                     "label": "abc", "nh_addr": "192.0.2.1", "cookie": 1, "on": true});
    let vb = setup::value::encode_new(vty, &val, "value").unwrap();
    let back = setup::value::decode(vty, &vb, "");
    assert_eq!(back["color"], "BLUE");
    assert_eq!(back["delta"], -2);
    assert_eq!(
        (back["a"].clone(), back["b"].clone()),
        (json!(5), json!(17))
    );
    assert_eq!(back["label"], "abc");
    assert_eq!(back["on"], true);
    // decoding then encoding gives the same bytes for every shape
    assert_eq!(setup::value::encode_new(vty, &back, "v").unwrap(), vb);
    let kback = setup::value::decode(kty, &kb, "");
    assert_eq!(setup::value::encode_new(kty, &kback, "k").unwrap(), kb);
    for (v, msg) in [
        (json!({"a": 8}), "8 does not fit a 3-bit field"),
        (
            json!({"color": "PINK"}),
            "is not an enumerator of enum color",
        ),
        (json!({"label": "much too long"}), "does not fit char[8]"),
        (json!({"delta": 40000}), "40000 does not fit s16"),
    ] {
        let e = setup::value::encode_new(vty, &v, "value").unwrap_err();
        assert!(e.message.contains(msg), "{v}: {}", e.message);
    }
}

/// Both engines' maps after the same runs, compared (what `diff` does).
fn same_maps(a: &[MapDump], b: &[MapDump]) {
    let mut d = Vec::new();
    bpfbox::diff::compare_maps(a, b, &mut d);
    assert!(d.is_empty(), "{d:#?}");
}

pub(crate) fn both_engines_agree_with_the_same_setup_through_the_library() {
    if !kernel_usable("both_engines_agree_with_the_same_setup_through_the_library") {
        return;
    }
    let s = lb_setup();
    let (_, mut i) = interp(&lb(), Some(&s), "lb");
    let mut k = kernel(&lb(), Some(&s), "lb");
    for p in [
        "vip_tcp80.bin",
        "vip_udp53.bin",
        "other.bin",
        "vip_tcp80.bin",
    ] {
        let x = i.test_run(&input(packet(p))).unwrap();
        let y = k.test_run(&input(packet(p))).unwrap();
        assert_eq!((x.retval, &x.data_out), (y.retval, &y.data_out), "{p}");
    }
    same_maps(&i.dump_maps(), &k.dump_maps());
    let chain = root().join("tests/progs/setup/chain.o");
    let s = Setup::load(&root().join("tests/progs/setup/chain.json")).unwrap();
    let (_, mut i) = interp(&chain, Some(&s), "chain");
    let mut k = kernel(&chain, Some(&s), "chain");
    for _ in 0..2 {
        let x = i.test_run(&input(packet("other.bin"))).unwrap();
        let y = k.test_run(&input(packet("other.bin"))).unwrap();
        assert_eq!(x.retval, 1, "tail call into the other object's XDP_DROP");
        assert_eq!(x.retval, y.retval);
    }
    same_maps(&i.dump_maps(), &k.dump_maps());
}

pub(crate) fn prog_array_slots_and_inner_maps_come_from_the_setup() {
    let chain = root().join("tests/progs/setup/chain.o");
    let mut s = Setup::load(&root().join("tests/progs/setup/chain.json")).unwrap();
    let (_, mut e) = interp(&chain, Some(&s), "chain");
    assert_eq!(run(&mut *e, packet("other.bin")).retval, 1);
    // slot 1 of the same object
    let inner = s.maps.get_mut("policy").unwrap().slots.get_mut(&0).unwrap();
    let Some(setup::SlotSetup::Inner(m)) = inner else {
        panic!("inner map")
    };
    m.entries[0].value = setup::EntryValue::One(json!(1));
    let (_, mut e) = interp(&chain, Some(&s), "chain");
    assert_eq!(run(&mut *e, packet("other.bin")).retval, 3);
    // an empty slot: the tail call falls through
    s.maps.get_mut("jumps").unwrap().slots.insert(1, None);
    let (_, mut e) = interp(&chain, Some(&s), "chain");
    assert_eq!(run(&mut *e, packet("other.bin")).retval, 0);
    // no inner map: the program passes
    let (_, mut e) = interp(&chain, None, "chain");
    assert_eq!(run(&mut *e, packet("other.bin")).retval, 2);
    // prog array values are programs, not bytes
    let bad = Setup::from_json(
        r#"{"maps": {"jumps": {"entries": [{"key": 0, "value": 3}]}}}"#,
        "fd.json",
    )
    .unwrap();
    let err = setup::load_object(&chain, Some(&bad)).unwrap_err();
    assert!(
        err.contains("fd.json: maps.jumps.entries: values of this map are programs"),
        "{err}"
    );
}

/// Runs, dumps as a setup, feeds the dump to a fresh object and checks
/// the maps read back equal those after the runs.
fn round_trip(obj_path: &Path, s: &Setup, prog: &str, packets: &[&str], on_kernel: bool) {
    let (obj, mut e) = interp(obj_path, Some(s), prog);
    for p in packets {
        run(&mut *e, packet(p));
    }
    let after = e.dump_maps();
    let text = setup::dump::to_setup(&obj, &after, Some(s), ncpus()).to_string();
    let mut fed = Setup::from_json(&text, "dump.json").unwrap();
    fed.base_dir = s.base_dir.clone();
    let (_, mut e2) = interp(obj_path, Some(&fed), prog);
    same_maps(&after, &e2.dump_maps());
    if on_kernel {
        let mut k = kernel(obj_path, Some(&fed), prog);
        same_maps(&after, &k.dump_maps());
    }
}

pub(crate) fn a_dump_fed_back_as_a_setup_reproduces_the_state() {
    let on_kernel = kernel_usable("a_dump_fed_back_as_a_setup_reproduces_the_state (kernel part)");
    let pk = ["vip_tcp80.bin", "vip_udp53.bin", "other.bin"];
    round_trip(&lb(), &lb_setup(), "lb", &pk, on_kernel);
    let chain = root().join("tests/progs/setup/chain.o");
    let s = Setup::load(&root().join("tests/progs/setup/chain.json")).unwrap();
    round_trip(&chain, &s, "chain", &pk, on_kernel);
    let types = root().join("tests/progs/setup/types.o");
    let s = Setup::from_json(
        &json!({
            "maps": {
                "rules": {"entries": [{"key": {"saddr6": "::1", "sport": 1}, "value": {"color": "RED", "label": "x"}}]},
                "pcpu": {"entries": [{"key": 1, "values": [10, 20]}, {"key": 2, "value": -1}]},
                "q": {"entries": [{"value": 4}, {"value": 5}]},
                "raw": {"entries": [{"key": 7, "value": "000102030405060708090a0b"}]}
            },
            "globals": {"offset": -7, "seen": 1, "name": "lb", "limit": 100}
        })
        .to_string(),
        "types.json",
    )
    .unwrap();
    round_trip(&types, &s, "types_prog", &["other.bin"], on_kernel);
}

pub(crate) fn rodata_is_frozen_after_load_on_both_engines() {
    let (obj, mut e) = interp(&lb(), Some(&lb_setup()), "lb");
    let ro = obj.maps.iter().find(|m| m.name == ".rodata").unwrap();
    let zeros = vec![0u8; ro.value_size as usize];
    let ie = e
        .update_map(".rodata", &0u32.to_le_bytes(), &zeros)
        .unwrap_err();
    assert_eq!(ie.errno, Some(1), "EPERM: {}", ie.message);
    if kernel_usable("rodata_is_frozen_after_load_on_both_engines (kernel part)") {
        let mut k = kernel(&lb(), Some(&lb_setup()), "lb");
        let ke = k
            .update_map(".rodata", &0u32.to_le_bytes(), &zeros)
            .unwrap_err();
        assert_eq!(ke.errno, ie.errno);
    }
}

fn one_line(o: &Output, needle: &str) {
    let e = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{e}");
    assert_eq!(e.lines().count(), 1, "{e}");
    assert!(e.starts_with("bpfbox: ") && e.contains(needle), "{e}");
}

pub(crate) fn bad_setup_files_give_one_line_naming_file_and_path() {
    let dir = std::env::temp_dir().join(format!("bpfbox-setup-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cases = [
        ("bad.json", "{\"maps\": ", "bad.json: not valid JSON"),
        (
            "unknown.json",
            r#"{"maps": {"nope": {"max_entries": 1}}}"#,
            "unknown.json: maps.nope: the object has no map `nope` (maps: vips, backends, stats, .rodata, .bss)",
        ),
        (
            "size.json",
            r#"{"maps": {"backends": {"max_entries": 2, "entries": [{"key": 0, "value": "0102"}]}}}"#,
            "size.json: maps.backends.entries[0].value: 2 bytes of hex where 12 are needed",
        ),
        (
            "range.json",
            r#"{"maps": {"backends": {"max_entries": 2}, "vips": {"entries": [{"key": {"vip": "10.0.0.1", "port": 80}, "value": {}}, {"key": {}, "value": {}}, {"key": {"vip": "10.0.0.1", "port": 70000, "proto": 6}, "value": {}}]}}}"#,
            "range.json: maps.vips.entries[2].key.port: 70000 does not fit u16",
        ),
        (
            "global.json",
            r#"{"globals": {"nope": 1}}"#,
            "global.json: globals.nope: the object has no global variable `nope`",
        ),
        (
            "full.json",
            r#"{"maps": {"backends": {"max_entries": 1, "entries": [{"key": 3, "value": {}}]}}}"#,
            "full.json: maps.backends.entries[0]: updating `backends`",
        ),
    ];
    for (name, text, needle) in cases {
        let f = dir.join(name);
        std::fs::write(&f, text).unwrap();
        let fs = f.to_str().unwrap();
        let o = bpfbox(&[
            "run",
            "examples/lb/lb.o",
            "--data-in",
            "examples/lb/other.bin",
            "--setup",
            fs,
        ]);
        one_line(&o, needle);
        let o = bpfbox(&["map", "dump", "examples/lb/lb.o", "--setup", fs]);
        one_line(&o, needle);
    }
    let o = bpfbox(&[
        "verify",
        "examples/lb/lb.o",
        "--setup",
        dir.join("bad.json").to_str().unwrap(),
    ]);
    one_line(&o, "bad.json: not valid JSON");
    let o = bpfbox(&[
        "run",
        "examples/lb/lb.o",
        "--data-in",
        "examples/lb/other.bin",
        "--setup",
        "/nonexistent/s.json",
    ]);
    one_line(&o, "/nonexistent/s.json: cannot read");
}

pub(crate) fn cli_diff_and_map_dump_use_the_setup() {
    let o = bpfbox(&["map", "dump", "examples/lb/lb.o"]);
    assert!(o.status.success());
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["maps"]["backends"]["max_entries"], 0);
    assert_eq!(v["globals"]["default_action"], 2);
    let o = bpfbox(&[
        "map",
        "dump",
        "examples/lb/lb.o",
        "--setup",
        "examples/lb/setup.json",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["maps"]["vips"]["entries"][0]["key"]["vip"], "10.200.1.1");
    assert_eq!(v["globals"]["lb_mac"], "02:00:00:00:00:01");
    if !kernel_usable("cli_diff_and_map_dump_use_the_setup (diff part)") {
        return;
    }
    for p in ["vip_tcp80.bin", "other.bin"] {
        let pk = format!("examples/lb/{p}");
        let o = bpfbox(&[
            "diff",
            "examples/lb/lb.o",
            "--data-in",
            &pk,
            "--setup",
            "examples/lb/setup.json",
        ]);
        let out = String::from_utf8_lossy(&o.stdout);
        assert!(o.status.success() && out.contains("identical"), "{out}");
    }
    let o = bpfbox(&[
        "diff",
        "tests/progs/setup/chain.o",
        "--prog",
        "chain",
        "--data-in",
        "examples/lb/other.bin",
        "--setup",
        "tests/progs/setup/chain.json",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stdout));
}

pub(crate) fn fire_runs_event_programs_prepared_by_the_setup() {
    let dir = std::env::temp_dir().join(format!("bpfbox-setup-fire-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("dev.json");
    std::fs::write(
        &f,
        r#"{"globals": {"allowed_major": 1},
            "maps": {"minors": {"entries": [{"key": 3, "value": 1}, {"key": 5, "value": 1}]}}}"#,
    )
    .unwrap();
    let retvals = |setup: Option<&str>| {
        let mut args = vec![
            "fire",
            "tests/progs/setup/devpolicy.o",
            "--event",
            "examples/events/cgroup_device.json",
            "--json",
        ];
        if let Some(s) = setup {
            args.extend(["--setup", s]);
        }
        let o = bpfbox(&args);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        v.as_array()
            .unwrap()
            .iter()
            .map(|e| e["retval"].as_u64().unwrap())
            .collect::<Vec<_>>()
    };
    // c 1:3 r, c 1:3 rw, c 1:5 w, c 1:7 r, c 1:7 m, b 8:0 m
    assert_eq!(retvals(Some(f.to_str().unwrap())), [1, 1, 1, 0, 0, 0]);
    assert_eq!(retvals(None), [0, 0, 0, 0, 0, 0]);
}

pub(crate) fn a_global_array_grows_with_its_resized_section() {
    let path = root().join("tests/progs/setup/resize.o");
    let s = Setup::from_json(
        r#"{"maps": {".data.slots": {"value_size": 16}}, "globals": {"nslots": 4, "slots": [1, 2, 3, 4]}}"#,
        "rs.json",
    )
    .unwrap();
    let (obj, mut e) = interp(&path, Some(&s), "resize");
    let m = &obj.maps[obj.map_index(".data.slots").unwrap()];
    assert_eq!(
        (m.value_size, m.initial_data.as_deref()),
        (
            16,
            Some(&[1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0][..])
        )
    );
    assert_eq!(
        run(&mut *e, packet("other.bin")).retval,
        1,
        "1+2+3+4: XDP_DROP"
    );
    // the dump shows every element and the size, and feeds back
    let dumped = setup::dump::to_setup(&obj, &e.dump_maps(), Some(&s), ncpus());
    assert_eq!(dumped["globals"]["slots"], json!([1, 2, 3, 4]));
    assert_eq!(dumped["maps"][".data.slots"]["value_size"], 16);
    let fed = Setup::from_json(&dumped.to_string(), "dump.json").unwrap();
    let (_, mut e2) = interp(&path, Some(&fed), "resize");
    assert_eq!(run(&mut *e2, packet("other.bin")).retval, 1);
    // too many elements, and other attributes of a data map, are refused
    for (text, msg) in [
        (
            r#"{"maps": {".data.slots": {"value_size": 8}}, "globals": {"slots": [1, 2, 3]}}"#,
            "globals.slots: 3 elements do not fit the resized section (8 bytes)",
        ),
        (
            r#"{"maps": {".data.slots": {"max_entries": 2}}}"#,
            "maps..data.slots: `.data.slots` holds global variables",
        ),
    ] {
        let bad = Setup::from_json(text, "bad.json").unwrap();
        let err = setup::load_object(&path, Some(&bad)).unwrap_err();
        assert!(err.contains(msg), "{err}");
    }
    if kernel_usable("a_global_array_grows_with_its_resized_section (kernel part)") {
        let mut k = kernel(&path, Some(&s), "resize");
        assert_eq!(run(&mut *k, packet("other.bin")).retval, 1);
        same_maps(&e.dump_maps(), &k.dump_maps());
    }
}

/// Cgroup array slots named by cgroup v2 path: the kernel engine gets the
/// directories' fds, bpfbox the cgroup ids, and both give the same
/// answers for `bpf_skb_under_cgroup`/`bpf_current_task_under_cgroup`
/// (tests/progs/helpers/cgroup_array.c): the root (every task is below
/// it), a fresh cgroup nobody is in, two empty slots, one past the end.
pub(crate) fn cgroup_array_slots_come_from_the_setup() {
    let cg = bpfbox::kernel::TestCgroup::new().expect("a test cgroup");
    let name = cg.path().file_name().unwrap().to_str().unwrap().to_string();
    let s = Setup::from_json(
        &json!({"maps": {"cgroups": {"slots": {
            "0": {"cgroup": "/"},
            "1": {"cgroup": format!("/{name}")},
        }}}})
        .to_string(),
        "cg.json",
    )
    .unwrap();
    let obj_path = root().join("tests/progs/helpers/cgroup_array.o");
    let mut pkt = vec![0u8; 64];
    pkt[12] = 0x08;
    let words = |e: &mut dyn Engine| -> Vec<i64> {
        (0u32..10)
            .map(|k| {
                let v = e.lookup_map("res", &k.to_ne_bytes()).unwrap().unwrap();
                i64::from_ne_bytes(v[..8].try_into().unwrap())
            })
            .collect()
    };
    let (_, mut ours) = interp(&obj_path, Some(&s), "under_cgroup");
    run(&mut *ours, pkt.clone());
    let mut theirs = kernel(&obj_path, Some(&s), "under_cgroup");
    run(&mut *theirs, pkt);
    let (eagain, e2big) = (-11, -7);
    let expect = [1, 0, eagain, eagain, e2big, 1, 0, eagain, eagain, e2big];
    assert_eq!(words(&mut *theirs), expect, "kernel");
    assert_eq!(words(&mut *ours), expect, "bpfbox");

    // the dump writes the slots back as the setup named them
    let (obj, prep) = setup::load_object(&obj_path, Some(&s)).unwrap();
    let maps = setup::dump::initial_state(&obj, &prep, 1).unwrap();
    let dump = setup::dump::to_setup(&obj, &maps, Some(&s), 1);
    assert_eq!(
        dump["maps"]["cgroups"]["slots"],
        json!({"0": {"cgroup": "/"}, "1": {"cgroup": format!("/{name}")}})
    );

    // a path that is not a cgroup, and a slot that is not a cgroup
    for (slots, want) in [
        (
            json!({"0": {"cgroup": "/no-such-cgroup"}}),
            "no cgroup `/no-such-cgroup`",
        ),
        (json!({"0": {"cgroup": "relative"}}), "is not a cgroup path"),
        (
            json!({"0": {"cgroup": "/"}, "9": {"cgroup": "/"}}),
            "slot 9 is past max_entries 4",
        ),
        (
            json!({"0": "under_cgroup"}),
            "a cgroup array slot holds a cgroup",
        ),
    ] {
        let s = Setup::from_json(
            &json!({"maps": {"cgroups": {"slots": slots}}}).to_string(),
            "cg.json",
        )
        .unwrap();
        let e = setup::load_object(&obj_path, Some(&s)).expect_err("refused");
        assert!(
            e.contains(want) && e.starts_with("cg.json: maps.cgroups.slots."),
            "{e}"
        );
    }
}

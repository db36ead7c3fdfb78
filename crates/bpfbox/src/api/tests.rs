use super::*;

fn filter() -> Bpfbox {
    Bpfbox::load_file(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/xdp_filter.o"
    ))
    .unwrap()
}

/// An Ethernet + IPv4 frame with protocol `proto` (UDP to port 53 from
/// 192.0.2.1 when 17).
fn ipv4(proto: u8) -> Vec<u8> {
    let mut f = vec![0u8; 12];
    f.extend_from_slice(&[0x08, 0x00]);
    let mut ip = vec![
        0x45, 0, 0, 28, 0, 0, 0, 0, 64, proto, 0, 0, 192, 0, 2, 1, 10, 0, 0, 1,
    ];
    ip.extend_from_slice(&[0x30, 0x39, 0, 53, 0, 8, 0, 0]);
    f.extend_from_slice(&ip);
    f.resize(60, 0);
    f
}

#[test]
fn typed_xdp_runs_give_actions_and_count_in_maps() {
    let mut xdp: Xdp = filter().program("xdp_filter").unwrap();
    assert_eq!(xdp.run(&ipv4(1)).unwrap().action, XdpAction::Drop);
    assert_eq!(xdp.run(&ipv4(17)).unwrap().action, XdpAction::Drop);
    assert_eq!(xdp.run(&ipv4(6)).unwrap().action, XdpAction::Pass);
    // BPF_PROG_TEST_RUN refuses frames shorter than an Ethernet header
    let short = xdp.run(&[0u8; 10]).unwrap_err();
    assert!(
        matches!(
            &short,
            Error::BadInput {
                what: "packet or context",
                errno: Some(22),
                cause: Some(_),
                ..
            }
        ),
        "{short:?}"
    );
    assert!(std::error::Error::source(&short).is_some());
    // verdicts[action] counts runs per action
    let mut verdicts = xdp.array::<u64>("verdicts").unwrap();
    assert_eq!(verdicts.get(1).unwrap(), 2, "XDP_DROP twice");
    assert_eq!(verdicts.get(2).unwrap(), 1, "XDP_PASS once");
    assert_eq!(verdicts.get(0).unwrap(), 0, "no XDP_ABORTED");
    let mut per_proto = xdp.hash_map::<u8, u64>("per_proto").unwrap();
    assert_eq!(per_proto.get(&17).unwrap(), Some(1));
    assert_eq!(per_proto.get(&99).unwrap(), None);
    assert_eq!(per_proto.entries().unwrap(), vec![(1, 1), (6, 1), (17, 1)]);
}

#[test]
fn maps_written_before_a_run_are_what_the_program_sees() {
    let mut xdp: Xdp = filter().program("xdp_filter").unwrap();
    xdp.array::<u64>("verdicts").unwrap().set(2, 40).unwrap();
    xdp.hash_map::<u8, u64>("per_proto")
        .unwrap()
        .insert(6, 100)
        .unwrap();
    xdp.run(&ipv4(6)).unwrap();
    assert_eq!(xdp.array::<u64>("verdicts").unwrap().get(2).unwrap(), 41);
    let mut h = xdp.hash_map::<u8, u64>("per_proto").unwrap();
    assert_eq!(h.get(&6).unwrap(), Some(101));
    assert!(h.remove(&6).unwrap());
    assert!(!h.remove(&6).unwrap());
}

#[test]
fn wrong_names_types_and_sizes_are_errors_to_match_on() {
    let obj = filter();
    assert_eq!(obj.program_names(), vec!["xdp_filter"]);
    assert!(matches!(
        obj.program::<Xdp>("nope"),
        Err(Error::NoProgram { .. })
    ));
    assert!(matches!(
        obj.program::<SchedCls>("xdp_filter"),
        Err(Error::WrongType { .. })
    ));
    let mut p: Program = obj.program("xdp_filter").unwrap();
    assert!(matches!(p.map("nope"), Err(Error::NoMap(_))));
    assert!(matches!(
        p.hash_map::<u32, u64>("per_proto"),
        Err(Error::MapType { .. })
    ));
    assert!(matches!(
        p.array::<u32>("verdicts"),
        Err(Error::MapType { .. })
    ));
    assert!(matches!(
        p.hash_map::<u8, u64>("verdicts"),
        Err(Error::MapType { .. })
    ));
    assert!(matches!(
        p.array::<u64>("verdicts").unwrap().get(5),
        Err(Error::Map { .. })
    ));
    assert!(matches!(
        Bpfbox::load_file("/nonexistent.o"),
        Err(Error::Object { .. })
    ));
}

#[test]
fn untyped_programs_report_the_types_verdict() {
    let mut p: Program = filter().program("xdp_filter").unwrap();
    let out = p.test_run(&ipv4(1)).unwrap();
    assert_eq!(out.verdict.name, "XDP_DROP");
    assert!(out.verdict.drops);
    assert_eq!(out.packet, ipv4(1));
    assert!(
        matches!(p.fire(&serde_json::json!({})), Err(Error::Run { .. })),
        "XDP has no events"
    );
}

#[test]
fn a_bad_event_is_bad_input_naming_the_event() {
    let mut dev: CgroupDevice = Bpfbox::load_file(repo("tests/progs/events/cgroup/dev.o"))
        .unwrap()
        .program("dev_policy")
        .unwrap();
    let err = dev
        .program()
        .fire(&serde_json::json!({"no_such_key": 1}))
        .unwrap_err();
    assert!(
        matches!(
            &err,
            Error::BadInput {
                what: "event",
                cause: Some(_),
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("no_such_key"), "{err}");
    // inside a sequence too, the event is at fault
    let err = dev
        .program()
        .fire(&serde_json::json!([{"no_such_key": 1}]))
        .unwrap_err();
    assert!(
        matches!(&err, Error::BadInput { what: "event", .. }),
        "{err:?}"
    );
}

fn repo(p: &str) -> String {
    format!("{}/../../{p}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn a_setup_file_prepares_the_load_balancer_through_the_library() {
    let setup = Setup::load(Path::new(&repo("examples/lb/setup.json"))).unwrap();
    let lb = Bpfbox::load_file(repo("examples/lb/lb.o")).unwrap();
    assert!(matches!(lb.program::<Xdp>("lb"), Err(Error::Load { .. })));
    let mut xdp: Xdp = lb.setup(setup).program("lb").unwrap();
    let pkt = std::fs::read(repo("examples/lb/vip_tcp80.bin")).unwrap();
    let out = xdp.run(&pkt).unwrap();
    assert_eq!(out.action, XdpAction::Tx);
    let other = std::fs::read(repo("examples/lb/other.bin")).unwrap();
    assert_eq!(xdp.run(&other).unwrap().action, XdpAction::Drop);
}

#[test]
fn a_setups_kconfig_values_reach_the_program_through_the_library() {
    let run = |hz: u32| {
        let s =
            Setup::from_json(&format!(r#"{{"kconfig": {{"CONFIG_HZ": {hz}}}}}"#), "kc").unwrap();
        let mut xdp: Xdp = Bpfbox::load_file(repo("tests/progs/setup/externs.o"))
            .unwrap()
            .setup(s)
            .program("kconfig_prog")
            .unwrap();
        let other = std::fs::read(repo("examples/lb/other.bin")).unwrap();
        xdp.run(&other).unwrap().action
    };
    assert_eq!(run(100), XdpAction::Drop);
    assert_eq!(run(1000), XdpAction::Pass);
}

#[test]
fn a_helper_bpfbox_lacks_is_unsupported_helper_with_its_id() {
    let bpf = Bpfbox::load_file(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/progs/library/unsupported_helper.o"
    ))
    .unwrap();
    let Err(err) = bpf.program::<Xdp>("uses_jiffies") else {
        panic!("a program calling bpf_jiffies64 loaded");
    };
    let jiffies64 = bpfbox_uapi::helper::id::JIFFIES64;
    assert!(
        matches!(
            &err,
            Error::UnsupportedHelper { program, id, .. }
                if program == "uses_jiffies" && *id == jiffies64
        ),
        "{err:?}"
    );
    assert!(
        err.to_string().starts_with("loading `uses_jiffies`: "),
        "{err}"
    );
}

#[test]
fn the_verifier_runs_once_and_verify_false_skips_it() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/progs/verify/reject.o"
    );
    // reads_r5 reads an uninitialised register: the kernel refuses it
    let err = Bpfbox::load_file(path)
        .unwrap()
        .program::<SocketFilter>("reads_r5")
        .unwrap_err();
    assert!(
        matches!(
            &err,
            Error::VerifierRefused { verifier: Verifier::Bpfbox, message, log, .. }
                if message.contains("R5 !read_ok") && log.contains("R5 !read_ok")
        ),
        "{err}"
    );
    // without the verifier it loads; the interpreter's run-time checks stay
    let p = Bpfbox::load_file(path)
        .unwrap()
        .verify(false)
        .program::<SocketFilter>("reads_r5");
    assert!(p.is_ok(), "{:?}", p.err());
    // the same check for a kernel profile given explicitly
    let p = Bpfbox::load_file(path)
        .unwrap()
        .kernel(bpfbox_progtype::Profile::builtin_shared())
        .program::<SocketFilter>("accepted");
    assert!(p.is_ok(), "{:?}", p.err());
}

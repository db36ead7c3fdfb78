//! LWT_SEG6LOCAL (tests/progs/lwt_seg6local): no `BPF_PROG_TEST_RUN` on
//! either engine (the kernel's answer), the seg6 helpers refused as the
//! running kernel's profile and bpfbox's implementations say, and the
//! End.BPF hook driven by events, checked against RFC 8986's End behaviour
//! and the skb the kernel hands the program (the IPv6 header at `data`,
//! `protocol` in network order).

use crate::events_sock::{kload, map_index};
use bpfbox_runtime::events::{fire_all, EventError};
use bpfbox_runtime::{HostState, LoadedProgram, TestRunInput};
use serde_json::json;
use std::path::PathBuf;

fn object() -> bpfbox_object::Object {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/progs/lwt_seg6local/seg6local.o");
    bpfbox_object::load_file(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// The kernel's internal `ENOTSUPP`.
const ENOTSUPP: i32 = 524;

/// An Ethernet frame with an IPv6 header, for a test run.
fn frame() -> Vec<u8> {
    let mut f = vec![2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x86, 0xdd];
    f.extend_from_slice(&packet(2));
    f
}

pub(crate) fn test_runs_are_refused_as_the_kernel_refuses_them() {
    let obj = object();
    let input = TestRunInput {
        data_in: frame(),
        data_size_out: Some(4096),
        ..Default::default()
    };
    for name in ["seg6_fields", "seg6_policy"] {
        let k = kload(&obj, name);
        let t = bpfbox_kernel::TestRun {
            data_in: Some(&input.data_in),
            data_size_out: 4096,
            ..Default::default()
        };
        let kernel = k
            .prog
            .test_run(&t)
            .map(|o| o.retval)
            .map_err(|e| e.errno().map(|n| n.raw()));
        let mut host = HostState::default();
        let prog = LoadedProgram::from_object(&mut host, &obj, name).unwrap();
        let ours = bpfbox_runtime::test_run(&prog, &mut host, &input)
            .map(|o| o.retval)
            .map_err(|e| Some(e.errno));
        assert_eq!(ours, kernel, "{name}: bpfbox (left) vs kernel (right)");
        assert_eq!(ours, Err(Some(ENOTSUPP)));
    }
}

/// The seg6 helpers: the kernel loads a program calling one only when it
/// has them (CONFIG_IPV6_SEG6_BPF), and bpfbox modelling that kernel
/// refuses it the same way; where the kernel has them bpfbox still lacks
/// their implementation and says so.
pub(crate) fn seg6_helpers_are_refused_by_profile_or_as_unsupported() {
    let obj = object();
    let def = obj.program("seg6_action").unwrap();
    let kernel_loads = bpfbox_kernel::ProgLoad::new(def.prog_type, &def.link(|_| -1))
        .license("GPL")
        .load()
        .is_ok();
    let profile = bpfbox_kernel::running_profile().unwrap();
    let action = bpfbox_uapi::helper::id::LWT_SEG6_ACTION;
    let ty = bpfbox_progtype::ProgType::LwtSeg6local;
    assert_eq!(profile.helper_allowed(ty, 0, action), kernel_loads);
    let mut host = HostState::default();
    host.kernel = std::sync::Arc::new(profile.clone());
    let err = LoadedProgram::from_object(&mut host, &obj, "seg6_action").unwrap_err();
    if kernel_loads {
        assert!(
            matches!(err, bpfbox_runtime::Error::UnsupportedHelper { id, .. } if id == action),
            "{err}"
        );
    } else {
        assert!(
            matches!(err, bpfbox_runtime::Error::HelperNotAllowed { .. }),
            "{err}"
        );
        assert!(
            err.to_string()
                .contains("program of this type cannot use helper bpf_lwt_seg6_action#76"),
            "{err}"
        );
    }
    // the built-in model has them; bpfbox does not implement them
    let mut host = HostState::default();
    let err = LoadedProgram::from_object(&mut host, &obj, "seg6_action").unwrap_err();
    assert!(
        matches!(err, bpfbox_runtime::Error::UnsupportedHelper { id, .. } if id == action),
        "{err}"
    );
}

fn seg(last: u8) -> [u8; 16] {
    let mut s = [0u8; 16];
    s[0] = 0xfc;
    s[15] = last;
    s
}

/// An IPv6 packet from fd fd..fd with an SRH over [S0=..00, S1=..dd,
/// S2=..02] (Segment List[0] is the last segment), Segments Left `left`,
/// destination Segment List[left], and 8 payload bytes.
fn packet(left: u8) -> Vec<u8> {
    let segs = [seg(0x00), seg(0xdd), seg(0x02)];
    let mut p = vec![0x60, 0, 0, 0, 0, 64, 43, 64];
    p.extend_from_slice(&[0xfd; 16]);
    p.extend_from_slice(&segs[usize::from(left)]);
    p.extend_from_slice(&[17, 6, 4, left, 2, 0, 0, 0]);
    for s in &segs {
        p.extend_from_slice(s);
    }
    p.extend_from_slice(&[0xaa; 8]);
    p
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn seen(host: &HostState, obj: &bpfbox_object::Object, slot: u32) -> u64 {
    let m = map_index(obj, "seen");
    let v = host.maps[m].lookup(&slot.to_le_bytes()).unwrap();
    u64::from_le_bytes(v[..8].try_into().unwrap())
}

pub(crate) fn end_bpf_runs_after_the_end_behaviour() {
    let obj = object();
    let mut host = HostState::default();
    let prog = LoadedProgram::from_object(&mut host, &obj, "seg6_fields").unwrap();
    let pkt = packet(2);
    let out = fire_all(
        &prog,
        &mut host,
        &json!({"packet": hex(&pkt), "ifindex": 3, "mark": 9}),
    )
    .unwrap();
    // RFC 8986 §4.1: SL 2 → 1, destination = Segment List[1]
    let next = "fc00::dd";
    assert_eq!(out[0].action, format!("forward to {next}"));
    assert_eq!(out[0].effects["next_segment"], next);
    assert_eq!(out[0].effects["segments_left"], 1);
    let mut after = pkt.clone();
    after[43] = 1;
    after[24..40].copy_from_slice(&seg(0xdd));
    assert_eq!(out[0].effects["packet"], hex(&after));
    // the skb the program saw: the whole packet from its IPv6 header
    let len = pkt.len() as u64;
    assert_eq!(seen(&host, &obj, 0), 1, "runs");
    assert_eq!(seen(&host, &obj, 1), len, "len");
    assert_eq!(seen(&host, &obj, 2), 0xdd86, "protocol, network order");
    assert_eq!(seen(&host, &obj, 3), 3, "ifindex");
    assert_eq!(seen(&host, &obj, 5), 9, "mark");
    assert_eq!(seen(&host, &obj, 6), len, "data_end - data");

    // the program sees the new destination: ..dd is dropped, ..00 passes
    let prog = LoadedProgram::from_object(&mut host, &obj, "seg6_policy").unwrap();
    let events = json!([{"packet": hex(&packet(2))}, {"packet": hex(&packet(1))}]);
    let out = fire_all(&prog, &mut host, &events).unwrap();
    assert_eq!(out[0].action, "drop");
    assert_eq!(out[1].action, "forward to fc00::");
}

pub(crate) fn packets_end_bpf_drops_before_the_program_are_bad_events() {
    let obj = object();
    let mut host = HostState::default();
    let prog = LoadedProgram::from_object(&mut host, &obj, "seg6_fields").unwrap();
    let mut no_srh = packet(2);
    no_srh[6] = 17;
    for (pkt, why) in [
        (packet(0), "Segments Left is 0"),
        (no_srh, "no segment routing header"),
        (packet(2)[..60].to_vec(), "past the packet"),
    ] {
        let err = fire_all(&prog, &mut host, &json!({"packet": hex(&pkt)})).unwrap_err();
        assert!(matches!(err, EventError::BadEvent(_)), "{err:?}");
        assert!(err.to_string().contains(why), "{err}");
    }
    assert_eq!(seen(&host, &obj, 0), 0, "the program never ran");
}

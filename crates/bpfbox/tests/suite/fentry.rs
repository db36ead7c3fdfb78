//! fentry/fexit programs attached to an XDP program bpfbox runs
//! (tests/progs/fentry): what they read of the kernel's `struct xdp_buff`
//! through BTF-typed pointers, and `bpf_xdp_output`.
//!
//! The kernel of the reference VM refuses to load fentry/fexit programs
//! (`EPERM` before verification, see `bpfbox_runtime::drivers::attached`),
//! so the tracer's view is checked against the values the kernel's test
//! run gives its `xdp_buff` (net/bpf/test_run.c: 256 bytes of headroom, a
//! 4096-byte frame, loopback's RX queue 0), and `bpf_xdp_output`'s samples
//! against the kernel's own samples of the same function reached from an
//! XDP program (`bpf_perf_event_output`, `xdp_output_ref.c`).

use super::root;
use bpfbox::{Bpfbox, EngineKind, Xdp, XdpAction};
use std::path::PathBuf;

fn prog(name: &str) -> PathBuf {
    root().join("tests/progs/fentry").join(name)
}

/// A 64-byte frame starting with `first`.
fn frame(first: u8) -> Vec<u8> {
    let mut f: Vec<u8> = (0..64u8).collect();
    f[0] = first;
    f
}

/// The target with both tracers attached and perf buffers open.
fn traced() -> Xdp {
    let mut target: Xdp = Bpfbox::load_file(prog("xdp_target.o"))
        .unwrap()
        .program("xdp_target")
        .unwrap();
    let tracer = bpfbox::objects::load(&prog("xdp_trace.o")).unwrap();
    for name in ["trace_entry", "trace_exit"] {
        target.attach_tracing_from(&tracer, name, true).unwrap();
    }
    target.open_perf_buffers().unwrap();
    target
}

fn seen(p: &mut Xdp) -> Vec<u64> {
    let mut a = p.array::<u64>("xdp_trace:seen").unwrap();
    (0..14).map(|i| a.get(i).unwrap()).collect()
}

pub(crate) fn fentry_and_fexit_see_the_kernels_xdp_buff() {
    let mut p = traced();
    let out = p.run(&frame(0xab)).unwrap();
    assert_eq!(out.action, XdpAction::Pass);
    let s = seen(&mut p);
    // runs, length, headroom, frame_sz, ifindex (lo), queue, no metadata
    assert_eq!(&s[..7], &[1, 64, 256, 4096, 1, 0, 0], "fentry: {s:?}");
    assert_eq!(s[7], 0, "bpf_xdp_output returns 0");
    assert_eq!(
        (s[8], s[9], s[10]),
        (2, 64, 1),
        "fexit: XDP_PASS, length, one run"
    );
    assert_eq!(s[11], 0, "a load through the NULL txq reads 0");
    assert_eq!(s[12], 0xab, "bpf_probe_read_kernel of xdp->data");
    assert_eq!(
        s[13],
        u64::from_le_bytes(*b"lo\0\0\0\0\0\0"),
        "rxq->dev->name"
    );

    let out = p.run(&frame(0xaa)).unwrap();
    assert_eq!(out.action, XdpAction::Drop);
    let s = seen(&mut p);
    assert_eq!((s[0], s[8], s[10]), (2, 1, 2), "fexit sees XDP_DROP");

    // the target pops 14 bytes: fexit sees the moved data, fentry did not
    let out = p.run(&frame(0xcc)).unwrap();
    assert_eq!(out.action, XdpAction::Pass);
    assert_eq!(out.packet.len(), 50);
    let s = seen(&mut p);
    assert_eq!((s[1], s[9]), (64, 50));

    // one sample per run: the 8-byte tag, then the frame's first 4 bytes
    let samples = p.perf_samples("xdp_trace:events").unwrap();
    assert_eq!(samples.len(), 3);
    for (sample, first) in samples.iter().zip([0xab, 0xaa, 0xcc]) {
        let mut want = 0x1122_3344_5566_7788u64.to_le_bytes().to_vec();
        want.extend_from_slice(&[first, 1, 2, 3]);
        assert!(sample.starts_with(&want), "{sample:x?}");
    }
}

pub(crate) fn tracers_need_a_target_they_name_and_a_type_they_can_trace() {
    let mut target: Xdp = Bpfbox::load_file(prog("xdp_output_ref.o"))
        .unwrap()
        .program("xdp_output_ref")
        .unwrap();
    let tracer = bpfbox::objects::load(&prog("xdp_trace.o")).unwrap();
    let e = target
        .attach_tracing_from(&tracer, "trace_entry", true)
        .unwrap_err()
        .to_string();
    assert!(e.contains("traces `xdp_target`"), "{e}");
    let e = target
        .attach_tracing_from(&tracer, "no_such", true)
        .unwrap_err()
        .to_string();
    assert!(e.contains("no_such"), "{e}");
    // an XDP program is not a tracer
    let own = bpfbox::objects::load(&prog("xdp_target.o")).unwrap();
    let e = target
        .attach_tracing_from(&own, "xdp_target", true)
        .unwrap_err()
        .to_string();
    assert!(e.contains("not an fentry or fexit program"), "{e}");
}

pub(crate) fn xdp_output_samples_match_the_kernels_perf_event_output() {
    let mut kernel: Xdp = Bpfbox::load_file(prog("xdp_output_ref.o"))
        .unwrap()
        .engine(EngineKind::Kernel)
        .program("xdp_output_ref")
        .unwrap();
    kernel.open_perf_buffers().unwrap();
    let mut ours = traced();
    // a short frame, a full one, and one with a page fragment
    let mut big = vec![0x5au8; 5000];
    big[..4].copy_from_slice(&[9, 8, 7, 6]);
    for f in [frame(0xab)[..14].to_vec(), frame(0x01), big] {
        kernel.run(&f).unwrap();
        ours.run(&f).unwrap();
        let k = kernel.perf_samples("events").unwrap();
        let b = ours.perf_samples("xdp_trace:events").unwrap();
        assert_eq!(b, k, "{} bytes", f.len());
        assert_eq!(k.len(), 1);
        let kret = kernel.array::<u64>("seen").unwrap().get(7).unwrap();
        let bret = ours.array::<u64>("xdp_trace:seen").unwrap().get(7).unwrap();
        assert_eq!(bret, kret, "return value");
    }
}

fn cli(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_bpfbox"))
        .args(args)
        .current_dir(prog(""))
        .output()
        .unwrap()
}

pub(crate) fn cli_run_attaches_tracers_and_lists_them() {
    let dir = std::env::temp_dir().join(format!("bpfbox-fentry-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let pkt = dir.join("f.bin");
    std::fs::write(&pkt, frame(0xaa)).unwrap();
    let p = pkt.to_str().unwrap();
    let out = cli(&[
        "run",
        "xdp_target.o",
        "--data-in",
        p,
        "--attach",
        "xdp_trace.o",
        "--dump-maps",
        "--json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["retval"], 1, "{v}");
    let entries = v["maps"]["maps"]["xdp_trace:seen"]["entries"]
        .as_array()
        .unwrap()
        .clone();
    let slot = |k: u64| {
        entries
            .iter()
            .find(|e| e["key"] == k)
            .map_or(0, |e| e["value"].as_u64().unwrap())
    };
    assert_eq!(
        (slot(0), slot(1), slot(8), slot(10)),
        (1, 64, 1, 1),
        "{entries:?}"
    );
    // one program by name; the kernel engine says it does not attach
    let out = cli(&[
        "run",
        "xdp_target.o",
        "--data-in",
        p,
        "--attach",
        "xdp_trace.o:trace_exit",
        "--engine",
        "kernel",
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert!(err.contains("does not attach tracing programs"), "{err}");
    // an object without a tracer of this program
    let out = cli(&[
        "run",
        "xdp_target.o",
        "--data-in",
        p,
        "--attach",
        "xdp_output_ref.o",
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        (out.status.code(), err.lines().count()),
        (Some(1), 1),
        "{err}"
    );
    assert!(
        err.contains("no fentry/fexit program traces `xdp_target`"),
        "{err}"
    );
    // a tracer run on its own says how it runs
    let out = cli(&[
        "run",
        "xdp_trace.o",
        "--prog",
        "trace_entry",
        "--data-in",
        p,
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        (out.status.code(), err.lines().count()),
        (Some(1), 1),
        "{err}"
    );
    assert!(
        err.contains("runs attached to the program it traces"),
        "{err}"
    );
    // prog list says how they run
    let out = cli(&["prog", "list", "xdp_trace.o"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("run only attached") && text.contains("trace_exit (traces xdp_target)"),
        "{text}"
    );
    let out = cli(&["types", "tracing"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("Run in bpfbox attached to a program it runs"),
        "{text}"
    );
    // verify types a tracer's context from its target, and only then
    // accepts its dereferences
    let out = cli(&["verify", "xdp_trace.o", "--target", "xdp_target.o"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("trace_entry: accepted") && text.contains("trace_exit: accepted"),
        "{text}"
    );
    let out = cli(&["verify", "xdp_trace.o"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("invalid mem access 'scalar'"), "{text}");
    std::fs::remove_dir_all(&dir).ok();
}

/// A 64-byte IPv4 frame starting with `first`.
fn ipv4_frame(first: u8) -> Vec<u8> {
    let mut f = vec![0u8; 64];
    f[0] = first;
    f[12..14].copy_from_slice(&[0x08, 0x00]);
    f[14] = 0x45;
    f
}

/// The tc target with its tracers attached and perf buffers open.
fn tc_traced() -> bpfbox::SchedCls {
    let mut target: bpfbox::SchedCls = Bpfbox::load_file(prog("tc_target.o"))
        .unwrap()
        .program("tc_target")
        .unwrap();
    let tracer = bpfbox::objects::load(&prog("tc_trace.o")).unwrap();
    for name in ["tc_entry", "tc_exit"] {
        target.attach_tracing_from(&tracer, name, true).unwrap();
    }
    target.open_perf_buffers().unwrap();
    target
}

pub(crate) fn fentry_and_fexit_see_the_kernels_sk_buff() {
    let mut p = tc_traced();
    let out = p.run(&ipv4_frame(0xab)).unwrap();
    assert_eq!(out.run.verdict.retval, 0, "TC_ACT_OK");
    let mut a = p.array::<u64>("tc_trace:seen").unwrap();
    let s: Vec<u64> = (0..11).map(|i| a.get(i).unwrap()).collect();
    // runs, len (the Ethernet header pushed back for tc), no fragments,
    // NET_SKB_PAD of headroom, htons(ETH_P_IP), mark 0, loopback
    assert_eq!(&s[..7], &[1, 64, 0, 64, 0x0008, 0, 1], "fentry: {s:?}");
    assert_eq!(s[7], 0, "bpf_skb_output returns 0");
    assert_eq!(
        (s[8], s[9], s[10]),
        (0, 0x77, 1),
        "fexit: TC_ACT_OK, the mark set"
    );
    p.run(&ipv4_frame(0xaa)).unwrap();
    let mut a = p.array::<u64>("tc_trace:seen").unwrap();
    assert_eq!(
        (a.get(0).unwrap(), a.get(8).unwrap()),
        (2, 2),
        "TC_ACT_SHOT"
    );
    let samples = p.perf_samples("tc_trace:events").unwrap();
    assert_eq!(samples.len(), 2);
}

pub(crate) fn skb_output_samples_match_the_kernels_perf_event_output() {
    let mut kernel: bpfbox::SchedCls = Bpfbox::load_file(prog("tc_output_ref.o"))
        .unwrap()
        .engine(EngineKind::Kernel)
        .program("tc_output_ref")
        .unwrap();
    kernel.open_perf_buffers().unwrap();
    let mut ours = tc_traced();
    let mut big = ipv4_frame(0x07);
    big.resize(1500, 0x5a);
    for f in [ipv4_frame(0x01)[..34].to_vec(), ipv4_frame(0x02), big] {
        kernel.run(&f).unwrap();
        ours.run(&f).unwrap();
        let k = kernel.perf_samples("events").unwrap();
        let b = ours.perf_samples("tc_trace:events").unwrap();
        assert_eq!(b, k, "{} bytes", f.len());
        assert_eq!(k.len(), 1);
        let kret = kernel.array::<u64>("seen").unwrap().get(7).unwrap();
        let bret = ours.array::<u64>("tc_trace:seen").unwrap().get(7).unwrap();
        assert_eq!(bret, kret, "return value");
    }
}

pub(crate) fn fentry_and_fexit_run_around_a_fired_kprobe_program() {
    let mut target: bpfbox::Program = Bpfbox::load_file(prog("kprobe_target.o"))
        .unwrap()
        .program("kp_target")
        .unwrap();
    let tracer = bpfbox::objects::load(&prog("kprobe_trace.o")).unwrap();
    for name in ["kp_entry", "kp_exit"] {
        target.attach_tracing_from(&tracer, name, true).unwrap();
    }
    let ev = serde_json::json!({"regs": {"di": 7, "si": 9, "ip": "0xffffffff81000010"}});
    let out = target.fire(&ev).unwrap();
    assert_eq!(out.len(), 1);
    let mut a = target.array::<u64>("kprobe_trace:seen").unwrap();
    let s: Vec<u64> = (0..5).map(|i| a.get(i).unwrap()).collect();
    // the pt_regs the kprobe program read, then its return value (di == 7)
    assert_eq!(s, [7, 9, 0xffff_ffff_8100_0010, 1, 7]);
    target
        .fire(&serde_json::json!({"regs": {"di": 8}}))
        .unwrap();
    let mut a = target.array::<u64>("kprobe_trace:seen").unwrap();
    assert_eq!((a.get(0).unwrap(), a.get(3).unwrap()), (8, 0));
}

//! Inputs of any size read safely, and the rough edges a new user meets:
//! every input file is read with a bound (`/dev/zero` anywhere is one
//! line, in little memory), a capture's memory does not grow with its
//! packets, and the output details of issue 9.

use super::packets::{ipv4, udp};
use super::{kernel_usable, root, shared};
use pcap_file::pcap::{PcapHeader, PcapPacket, PcapWriter};
use std::borrow::Cow;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

const OBJ: &str = "tests/progs/capture/udp_port.o";

fn dir() -> PathBuf {
    let d = std::env::temp_dir().join(format!("bpfbox-inputs-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn tmp(name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir().join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

/// A finished `bpfbox` run: exit code, output and peak memory.
pub(crate) struct Run {
    pub(crate) code: Option<i32>,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
    /// Peak resident set size, KiB (`ru_maxrss` of bpfbox alone).
    pub(crate) max_rss_kb: i64,
}

/// Environment variable that makes [`measure_child`] run a command.
const MEASURE: &str = "BPFBOX_TEST_MEASURE";

/// Runs bpfbox and measures its peak RSS. Linux charges a new program
/// with the peak RSS of the process image it replaces (exec records the
/// old mm's high-water mark in `ru_maxrss`), so bpfbox is not started
/// from this big, multi-threaded test process but from a small child of
/// it (this test binary running only [`measure_child`]), which waits for
/// it with wait4 and writes code and peak to a file.
pub(crate) fn bpfbox(args: &[&str]) -> Run {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let base = dir().join(format!("run{n}"));
    let spec = serde_json::json!({ "args": args, "out": base });
    let o = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "suite::inputs::measure_child",
            "--ignored",
            "--test-threads=1",
        ])
        .env(MEASURE, spec.to_string())
        .output()
        .expect("run the measuring child");
    let read = |ext: &str| std::fs::read_to_string(base.with_extension(ext)).unwrap_or_default();
    let status = read("status");
    assert!(
        !status.is_empty(),
        "measuring child: {}",
        String::from_utf8_lossy(&o.stdout)
    );
    let v: serde_json::Value = serde_json::from_str(&status).unwrap();
    Run {
        code: v["code"].as_i64().map(|c| c as i32),
        stdout: read("stdout"),
        stderr: read("stderr"),
        max_rss_kb: v["max_rss_kb"].as_i64().unwrap(),
    }
}

/// Not a test: the child process of [`bpfbox`] (does nothing without
/// its environment variable).
pub(crate) fn measure_child() {
    let Ok(spec) = std::env::var(MEASURE) else {
        return;
    };
    let spec: serde_json::Value = serde_json::from_str(&spec).unwrap();
    let args: Vec<&str> = spec["args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    let base = PathBuf::from(spec["out"].as_str().unwrap());
    let file = |ext: &str| std::fs::File::create(base.with_extension(ext)).unwrap();
    // reaped by wait4 below, which std's wait cannot replace (no rusage)
    #[allow(clippy::zombie_processes)]
    let child = Command::new(env!("CARGO_BIN_EXE_bpfbox"))
        .args(&args)
        .current_dir(root())
        .stdout(file("stdout"))
        .stderr(file("stderr"))
        .spawn()
        .expect("run bpfbox");
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: a zeroed rusage is valid; wait4 writes status and usage of
    // the child we spawned and have not waited for.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    let r = unsafe { libc::wait4(pid, &mut status, 0, &mut ru) };
    assert_eq!(r, pid, "wait4");
    let code = libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status));
    let v = serde_json::json!({ "code": code, "max_rss_kb": ru.ru_maxrss });
    std::fs::write(base.with_extension("status"), v.to_string()).unwrap();
}

/// Exit 1 with one `bpfbox:` line containing each of `want`.
fn one_line(r: &Run, want: &[&str]) {
    assert_eq!(r.code, Some(1), "{}{}", r.stdout, r.stderr);
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    for w in want {
        assert!(r.stderr.contains(w), "want {w:?}: {}", r.stderr);
    }
}

pub(crate) fn dev_zero_as_any_input_is_one_line_in_bounded_memory() {
    let pkt = tmp("pkt.bin", &[0; 64]).display().to_string();
    let out = dir().join("o.bin").display().to_string();
    let z = "/dev/zero";
    let cases: [&[&str]; 11] = [
        &["run", OBJ, "--prog", "xdp_udp53", "--data-in", z],
        &[
            "run",
            OBJ,
            "--prog",
            "xdp_udp53",
            "--data-in",
            &pkt,
            "--ctx-in",
            z,
        ],
        &["run", OBJ, "--prog", "xdp_udp53", "--pcap", z],
        &["run", z, "--data-in", &pkt],
        &["prog", "list", z],
        &["exec", z],
        &["asm", z, "-o", &out],
        &["disasm", z],
        &["verify", z],
        &["fire", "tests/progs/events/cgroup/dev.o", "--event", z],
        &["conformance", z],
    ];
    for args in cases {
        let r = bpfbox(args);
        if args[0] == "conformance" {
            // a file that cannot be read is a failed test, reported as such
            assert_eq!(r.code, Some(1));
            assert!(r.stdout.starts_with("FAIL /dev/zero: ") && r.stdout.contains("limit"));
        } else {
            one_line(&r, &[z]);
        }
        // the largest bound read from a device is 32 MiB of text
        assert!(r.max_rss_kb < 100_000, "{args:?}: {} KiB", r.max_rss_kb);
    }
    // the conformance plugin reads its program from stdin
    let o = Command::new(env!("CARGO_BIN_EXE_bpfbox"))
        .arg("conformance-plugin")
        .stdin(std::fs::File::open(z).unwrap())
        .output()
        .unwrap();
    let e = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{e}");
    assert!(e.starts_with("bpfbox: stdin: program longer than"), "{e}");
}

pub(crate) fn over_the_kernels_limits_is_refused_before_reading() {
    // a 200 MB packet (sparse: no disk) is refused by its size
    let big = dir().join("big.bin");
    std::fs::File::create(&big)
        .unwrap()
        .set_len(200 << 20)
        .unwrap();
    let r = bpfbox(&[
        "run",
        OBJ,
        "--prog",
        "xdp_udp53",
        "--data-in",
        big.to_str().unwrap(),
    ]);
    one_line(&r, &["big.bin", "209715200 bytes, over the limit of 73408"]);
    assert!(r.max_rss_kb < 40_000, "{} KiB", r.max_rss_kb);
    // a ctx over a page
    let pkt = tmp("pkt60.bin", &[0; 60]);
    let ctx = tmp("ctx5000.bin", &[0; 5000]);
    let r = bpfbox(&[
        "run",
        OBJ,
        "--prog",
        "xdp_udp53",
        "--data-in",
        pkt.to_str().unwrap(),
        "--ctx-in",
        ctx.to_str().unwrap(),
    ]);
    one_line(&r, &["ctx5000.bin", "over the limit of 4096"]);
    // the largest packet the kernel takes is run, one byte more is the
    // kernel's own ENOMEM (XDP: 3520 linear + 17 pages)
    for (len, ok) in [(73152, true), (73153, false)] {
        let p = tmp(&format!("p{len}.bin"), &vec![0; len]);
        let r = bpfbox(&[
            "run",
            OBJ,
            "--prog",
            "xdp_udp53",
            "--data-in",
            p.to_str().unwrap(),
        ]);
        assert_eq!(r.code == Some(0), ok, "{len}: {}", r.stderr);
    }
}

/// A capture of `n` UDP packets (every 4th to port 53).
fn write_capture(w: impl Write, n: u64) {
    let header = PcapHeader::default();
    let mut w = PcapWriter::with_header(std::io::BufWriter::new(w), header).unwrap();
    let (a, b) = (eth(&ipv4(17, &udp(53))), eth(&ipv4(17, &udp(80))));
    for i in 0..n {
        let data = if i % 4 == 0 { &a } else { &b };
        let packet = PcapPacket {
            timestamp: Duration::from_micros(i),
            orig_len: data.len() as u32,
            data: Cow::Borrowed(data),
        };
        if w.write_packet(&packet).is_err() {
            return; // reader gone
        }
    }
}

fn eth(ip: &[u8]) -> Vec<u8> {
    let mut f = vec![2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 8, 0];
    f.extend_from_slice(ip);
    f
}

fn capture_file(n: u64) -> PathBuf {
    let p = dir().join(format!("cap{n}.pcap"));
    write_capture(std::fs::File::create(&p).unwrap(), n);
    p
}

/// Peak RSS of `cmd` over a capture of `n` packets, checking it counted
/// them all.
fn rss_for(cmd: &[&str], cap: &Path, n: u64) -> i64 {
    let out = dir().join("kept.pcap");
    let mut args = cmd.to_vec();
    args.extend([
        "--prog",
        "xdp_udp53",
        "--pcap",
        cap.to_str().unwrap(),
        "--json",
    ]);
    if cmd[0] == "run" {
        args.extend(["--pcap-out", out.to_str().unwrap()]);
    }
    let r = bpfbox(&args);
    assert_eq!(r.code, Some(0), "{args:?}: {}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(r.stdout.trim()).unwrap();
    assert_eq!(v["packets"], n, "{}", r.stdout);
    r.max_rss_kb
}

pub(crate) fn a_capture_keeps_no_per_packet_state() {
    // before streaming: 480 B per packet on the interpreter (58 MB over
    // these 120,000 more packets) and 46 KB per packet on the kernel engine
    // both captures larger than pcap-file's fixed 8 MB read buffer, whose
    // pages are touched as the file is read
    let (small, big) = (120_000, 240_000);
    let (cs, cb) = (capture_file(small), capture_file(big));
    let mut cmds: Vec<Vec<&str>> = vec![vec!["run", OBJ]];
    if kernel_usable("a_capture_keeps_no_per_packet_state (kernel part)") {
        cmds.push(vec!["run", OBJ, "--engine", "kernel"]);
        cmds.push(vec!["diff", OBJ]);
    }
    for cmd in cmds {
        let (a, b) = (rss_for(&cmd, &cs, small), rss_for(&cmd, &cb, big));
        eprintln!("{cmd:?}: {small} packets {a} KiB, {big} packets {b} KiB");
        assert!(
            b - a < 2048,
            "{cmd:?}: grew {} KiB over {} packets",
            b - a,
            big - small
        );
    }
}

/// 1M and 10M packets streamed through a FIFO (no disk): the peak RSS
/// must be the same. Slow (minutes): `cargo test --release -p bpfbox
/// --test tests big_captures -- --ignored --nocapture`.
pub(crate) fn big_captures_run_in_the_same_memory() {
    let mut rss = Vec::new();
    for n in [1_000_000u64, 10_000_000] {
        let fifo = dir().join(format!("fifo{n}"));
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: mkfifo reads the NUL-terminated path only.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let path = fifo.clone();
        let writer = std::thread::spawn(move || {
            write_capture(
                std::fs::OpenOptions::new().write(true).open(path).unwrap(),
                n,
            )
        });
        let kb = rss_for(&["run", OBJ], &fifo, n);
        writer.join().unwrap();
        eprintln!("{n} packets: max RSS {kb} KiB");
        rss.push(kb);
    }
    assert!(rss[1] - rss[0] < 4096, "{rss:?}");
}

pub(crate) fn pcap_out_with_data_in_writes_the_packet_or_nothing() {
    for (port, kept) in [(80, 1), (53, 0)] {
        let pkt = tmp(&format!("udp{port}.bin"), &eth(&ipv4(17, &udp(port))));
        let out = dir().join(format!("one{port}.pcap"));
        let r = bpfbox(&[
            "run",
            OBJ,
            "--prog",
            "xdp_udp53",
            "--data-in",
            pkt.to_str().unwrap(),
            "--pcap-out",
            out.to_str().unwrap(),
        ]);
        assert_eq!(r.code, Some(0), "{}", r.stderr);
        assert!(
            r.stdout.contains(&format!("wrote {kept} packets")),
            "{}",
            r.stdout
        );
        let got = bpfbox::pcap::read(&out).unwrap();
        assert_eq!(got.len(), kept);
        if kept == 1 {
            assert_eq!(got[0].data, std::fs::read(&pkt).unwrap());
        }
    }
}

pub(crate) fn kernel_refusal_gives_the_cause_and_the_log_on_request() {
    let pkt = tmp("pkt64.bin", &[0; 64]);
    let args = [
        "run",
        "tests/progs/inputs/refused.o",
        "--engine",
        "kernel",
        "--data-in",
        pkt.to_str().unwrap(),
    ];
    let r = bpfbox(&args);
    one_line(&r, &["refused.o", "infinite loop detected at insn"]);
    assert!(!r.stderr.contains("state:"), "{}", r.stderr);
    let mut with_log = args.to_vec();
    with_log.push("--verifier-log");
    let r = bpfbox(&with_log);
    assert_eq!(r.code, Some(1));
    assert!(
        r.stderr.contains("old state:") && r.stderr.contains("processed "),
        "{}",
        r.stderr
    );
    let last = r.stderr.lines().last().unwrap();
    assert!(
        last.starts_with("bpfbox: ") && last.contains("infinite loop"),
        "{last}"
    );
}

pub(crate) fn conformance_recurses_and_no_test_is_an_error() {
    let root_dir = dir().join("conf");
    let nested = root_dir.join("a/b");
    std::fs::create_dir_all(&nested).unwrap();
    std::fs::write(
        nested.join("one.data"),
        "-- asm\nmov32 %r0, 7\nexit\n-- result\n0x7\n",
    )
    .unwrap();
    let r = bpfbox(&["conformance", root_dir.to_str().unwrap()]);
    assert_eq!(r.code, Some(0), "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("1 passed, 0 failed"), "{}", r.stdout);
    let empty = dir().join("conf-empty/sub");
    std::fs::create_dir_all(&empty).unwrap();
    let r = bpfbox(&["conformance", empty.parent().unwrap().to_str().unwrap()]);
    one_line(&r, &["conf-empty", "no test found"]);
    if let Some(shared) = shared() {
        // the shared suite keeps its tests in subdirectories
        let r = bpfbox(&["conformance", shared.join("conformance").to_str().unwrap()]);
        assert!(!r.stdout.contains(" 0 passed"), "{}", r.stdout);
    }
}

pub(crate) fn text_output_has_no_doubled_values() {
    // xdp_fields returns a packed value no XDP action names
    let pkt = tmp("z3520.bin", &[0; 3520]);
    let r = bpfbox(&[
        "run",
        "tests/progs/runtime/xdp.o",
        "--prog",
        "xdp_fields",
        "--data-in",
        pkt.to_str().unwrap(),
    ]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let line = r.stdout.lines().find(|l| l.starts_with("retval:")).unwrap();
    assert!(line.starts_with("retval:  56322 (invalid action"), "{line}");
    assert!(!line.contains("56322 (56322"), "{line}");
    let pkt = tmp("udp80.bin", &eth(&ipv4(17, &udp(80))));
    let r = bpfbox(&[
        "run",
        OBJ,
        "--prog",
        "xdp_udp53",
        "--data-in",
        pkt.to_str().unwrap(),
    ]);
    assert!(r.stdout.contains("retval:  2 (XDP_PASS)\n"), "{}", r.stdout);
    let r = bpfbox(&[
        "fire",
        "tests/progs/events/cgroup/dev.o",
        "--event",
        "examples/events/cgroup_device.json",
    ]);
    assert!(
        r.stdout.starts_with("event 0: retval 1 -> allow\n"),
        "{}",
        r.stdout
    );
}

pub(crate) fn types_output_reads_right() {
    let r = bpfbox(&["types", "xdp"]);
    assert_eq!(r.code, Some(0));
    let last = r
        .stdout
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap();
    assert!(!last.starts_with("bpfbox:"), "{last}");
    assert!(
        r.stdout.contains("Run in bpfbox with: bpfbox run"),
        "{}",
        r.stdout
    );
    // the table: each column starts at the same offset on every row, even
    // after `struct bpf_raw_tracepoint_args`
    let r = bpfbox(&["types"]);
    let mut lines = r.stdout.lines();
    let head = lines.next().unwrap();
    let col = head.find("test_run").unwrap();
    let rows: Vec<_> = lines.take_while(|l| !l.is_empty()).collect();
    assert!(rows.iter().any(|l| l.contains("bpf_raw_tracepoint_args")));
    for row in rows {
        let cell = &row[col..col + 3];
        assert!(
            (cell == "yes" || cell == "no ") && row.as_bytes()[col - 1] == b' ',
            "{row}"
        );
    }
}

pub(crate) fn long_bad_values_are_cut_in_error_lines() {
    let long = "x".repeat(100_000);
    let r = bpfbox(&["types", &long]);
    one_line(&r, &["unknown program type", "(100002 characters)"]);
    assert!(r.stderr.len() < 1000, "{} bytes", r.stderr.len());
    // a usage error (exit 2) echoing the value cuts it too
    let r = bpfbox(&["run", OBJ, "--repeat", &long]);
    assert_eq!(r.code, Some(2));
    assert!(
        r.stderr.contains("invalid value") && r.stderr.contains("(100002 characters)"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.len() < 1000, "{} bytes", r.stderr.len());
}

pub(crate) fn explain_honours_json() {
    let r = bpfbox(&["explain", "uninit_reg", "--json"]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["code"], "bpfbox::verifier::uninit_reg");
    assert!(v["explanation"].as_str().unwrap().contains("r10"));
}

pub(crate) fn event_is_accepted_inline_or_as_a_path() {
    let text = std::fs::read_to_string(root().join("examples/events/cgroup_device.json")).unwrap();
    let from_file = bpfbox(&[
        "fire",
        "tests/progs/events/cgroup/dev.o",
        "--event",
        "examples/events/cgroup_device.json",
        "--json",
    ]);
    let inline = bpfbox(&[
        "fire",
        "tests/progs/events/cgroup/dev.o",
        "--event",
        &text,
        "--json",
    ]);
    assert_eq!(inline.code, Some(0), "{}", inline.stderr);
    assert_eq!(inline.stdout, from_file.stdout);
    let r = bpfbox(&[
        "fire",
        "tests/progs/events/cgroup/dev.o",
        "--event",
        "{\"access\": ",
    ]);
    one_line(&r, &["--event: not valid JSON"]);
}

pub(crate) fn a_long_event_sequence_is_streamed() {
    // 50k events (3 MB): each is run as it is parsed and its outcome
    // printed, so memory does not grow with the sequence (holding the
    // parsed array and every outcome took ~1 GB for 32 MB of events, so
    // ~100 MB here); the output is checked without parsing it whole, to
    // keep this test process small
    let ev = r#"{"access": "read", "type": "char", "major": 1, "minor": 3}"#;
    let n = 50_000;
    let text = format!("[{}]", vec![ev; n].join(",\n"));
    let p = tmp("many-events.json", text.as_bytes());
    let r = bpfbox(&[
        "fire",
        "tests/progs/events/cgroup/dev.o",
        "--event",
        p.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(r.stdout.starts_with("[{") && r.stdout.ends_with("}]\n"));
    assert_eq!(r.stdout.matches(r#""action":"allow""#).count(), n);
    assert!(r.max_rss_kb < 40_000, "{} KiB", r.max_rss_kb);
}

pub(crate) fn diff_lists_both_engines_and_caps_the_differences() {
    // a program returning a random number differs on every packet
    let n = 1000;
    let cap = capture_file(n);
    let obj = "tests/progs/inputs/random.o";
    let r = bpfbox(&["diff", obj, "--pcap", cap.to_str().unwrap(), "--per-packet"]);
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    let lines: Vec<_> = r.stdout.lines().collect();
    assert!(lines[0].starts_with("packet 1 interp: "), "{}", lines[0]);
    assert!(lines[1].starts_with("packet 1 kernel: "), "{}", lines[1]);
    assert!(
        r.stdout.contains("\n... and 900 more differences\n"),
        "{}",
        r.stdout
    );
    assert_eq!(
        lines.last().unwrap(),
        &format!("random_verdict (BPF_PROG_TYPE_XDP): {n} differences")
    );
    let r = bpfbox(&["diff", obj, "--pcap", cap.to_str().unwrap(), "--json"]);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["difference_count"], n);
    assert_eq!(v["differences"].as_array().unwrap().len(), 100);
    assert_eq!(v["identical"], false);
}

pub(crate) fn a_bad_ctx_is_named_on_both_engines() {
    let ctx = tmp("bad-ctx.bin", &[1u8; 24]);
    let pkt = tmp("good-pkt.bin", &[0u8; 64]);
    for engine in ["interp", "kernel"] {
        let r = bpfbox(&[
            "run",
            OBJ,
            "--prog",
            "xdp_udp53",
            "--engine",
            engine,
            "--data-in",
            pkt.to_str().unwrap(),
            "--ctx-in",
            ctx.to_str().unwrap(),
        ]);
        // the kernel answers only EINVAL, so its line names both files
        one_line(&r, &["bad-ctx.bin"]);
    }
}

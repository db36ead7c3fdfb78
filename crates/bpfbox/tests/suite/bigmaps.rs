//! Big maps cost what they hold: the objects of tests/progs/bigmaps declare
//! maps of millions of entries (a 33M-entry array, a 1M-entry hash, 4M-entry
//! arrays) and touch a few. `run` and `diff` must stay within a memory bound
//! that the declared sizes alone would exceed many times over (measured as
//! the child process's peak RSS; timings are in README.md, not here).

use super::kernel_usable;

/// Runs the bpfbox binary; returns exit code, stdout and peak RSS in KiB,
/// measured by a small child process (see `inputs::bpfbox`: started from
/// this test process directly, bpfbox would be charged with this
/// process's own peak RSS).
fn bpfbox_rss(args: &[&str]) -> (i32, String, i64) {
    let r = super::inputs::bpfbox(args);
    if !r.stderr.is_empty() {
        eprint!("{}", r.stderr);
    }
    (r.code.unwrap_or(-1), r.stdout, r.max_rss_kb)
}

/// 100 MB: the target for a program using a 33M-entry array.
const RSS_LIMIT_KIB: i64 = 100 * 1024;

pub(crate) fn a_33m_entry_array_runs_in_little_memory() {
    let (code, out, rss) = bpfbox_rss(&[
        "run",
        "tests/progs/bigmaps/lb_rings.o",
        "--pcap",
        "examples/mixed.pcap",
        "--dump-maps",
        "--json",
    ]);
    assert_eq!(code, 0, "{out}");
    assert!(rss < RSS_LIMIT_KIB, "peak RSS {rss} KiB");
    let v: serde_json::Value = serde_json::from_str(&out).expect("one JSON object");
    // --dump-maps writes the setup format: maps by name
    let rings = &v["maps"]["maps"]["ch_rings"];
    assert!(rings.is_object(), "ch_rings in {}", v["maps"]);
    // Two slots per IPv4 packet at most, written by the program: listed,
    // and the untouched 33M zero slots not.
    let n = rings["entries"].as_array().map_or(0, Vec::len);
    assert!((1..=48).contains(&n), "ch_rings lists {n} entries: {rings}");
}

pub(crate) fn diff_of_million_entry_maps_reads_only_what_can_differ() {
    if !kernel_usable("diff_of_million_entry_maps_reads_only_what_can_differ") {
        return;
    }
    let (code, out, rss) = bpfbox_rss(&[
        "diff",
        "tests/progs/bigmaps/diff_big.o",
        "--pcap",
        "examples/mixed.pcap",
    ]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("identical"), "{out}");
    assert!(rss < RSS_LIMIT_KIB, "peak RSS {rss} KiB");
}

/// A classic pcap of `n` IPv4/UDP packets of pseudo-random flows (source
/// address and port, destination address): a load balancer's traffic,
/// spreading its ring slots and connections over the whole maps.
fn random_flows(n: u32) -> std::path::PathBuf {
    let mut out = Vec::with_capacity(24 + n as usize * 72);
    for w in [0xa1b2_c3d4u32, 0x0004_0002, 0, 0, 65535, 1] {
        out.extend_from_slice(&w.to_le_bytes());
    }
    let mut x = 0x2545_f491_4f6c_dd1du64;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    for i in 0..n {
        let r = next();
        let mut p = vec![0u8; 14 + 20 + 8 + 12];
        p[12] = 0x08;
        p[14] = 0x45;
        p[16..18].copy_from_slice(&40u16.to_be_bytes());
        p[22] = 64;
        p[23] = 17;
        p[26..30].copy_from_slice(&[10, (r >> 8) as u8, (r >> 16) as u8, (r >> 24) as u8 | 1]);
        p[30..34].copy_from_slice(&[10, 200, (r >> 32) as u8 & 3, (r >> 40) as u8 | 1]);
        p[34..36].copy_from_slice(&((r >> 48) as u16 | 1024).to_be_bytes());
        p[36..38].copy_from_slice(&53u16.to_be_bytes());
        for w in [i, 0, p.len() as u32, p.len() as u32] {
            out.extend_from_slice(&w.to_le_bytes());
        }
        out.extend_from_slice(&p);
    }
    let path = std::env::temp_dir().join(format!("bpfbox-bigmaps-{}.pcap", std::process::id()));
    std::fs::write(&path, out).unwrap();
    path
}

/// 20,000 flows touch 40,000 ring slots spread over 33.5M (every 64 KiB of
/// the array, were it stored in blocks) and 20,000 connections: memory
/// must follow the elements touched, not the span they cover.
pub(crate) fn random_flows_cost_what_they_touch() {
    let cap = random_flows(20_000);
    let (code, out, rss) = bpfbox_rss(&[
        "run",
        "tests/progs/bigmaps/lb_rings.o",
        "--pcap",
        cap.to_str().unwrap(),
    ]);
    let _ = std::fs::remove_file(&cap);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("20000 packets"), "{out}");
    assert!(rss < RSS_LIMIT_KIB, "peak RSS {rss} KiB");
}

/// `bpfbox map dump` of the object with a 33.5M-entry array: the template
/// lists the big arrays' non-zero elements (none), not 33.5M zeroes
/// (before: 46 s and 4.4 GB).
pub(crate) fn map_dump_of_a_33m_entry_array_is_small() {
    let (code, out, rss) = bpfbox_rss(&["map", "dump", "tests/progs/bigmaps/lb_rings.o", "--json"]);
    assert_eq!(code, 0, "{out}");
    assert!(rss < RSS_LIMIT_KIB, "peak RSS {rss} KiB");
    assert!(out.len() < 64 << 10, "{} bytes of template", out.len());
}

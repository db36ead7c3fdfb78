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

//! The shipped example events, fired through the test programs.

use super::{map_index, object, u32_at};
use bpfbox_runtime::{events, HostState, LoadedProgram};
use serde_json::{json, Value};
use std::path::PathBuf;

/// The shipped example events fire through the test programs with the
/// actions the kernel semantics give (no kernel needed).
pub(crate) fn example_events_fire_with_the_expected_actions() {
    let ex = |name: &str| -> Value {
        let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../examples/events")
            .join(name);
        serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap()
    };
    let fire = |obj: &str, prog: &str, events: &str| -> Vec<String> {
        let o = object(obj);
        let mut host = HostState::default();
        let p = LoadedProgram::from_object(&mut host, &o, prog).unwrap();
        events::fire_all(&p, &mut host, &ex(events))
            .unwrap()
            .into_iter()
            .map(|r| r.action)
            .collect()
    };
    let a = fire("sock_ops.o", "record_ops", "sock_ops.json");
    assert_eq!(a[2], "initial rwnd 40 segments (at most)");
    assert_eq!(a[3], "SYN RTO 10 jiffies = 40 ms at HZ=250");
    assert!(a[4].starts_with("ECN off"));
    assert!(
        a[8].starts_with("not called: BPF_SOCK_OPS_RTT_CB_FLAG"),
        "{}",
        a[8]
    );
    assert_eq!(a[9], "STATE_CB (result ignored by the kernel)");
    // Timestamping callbacks do not hold the socket lock: the TCP fields
    // and cb flags read 0 and the socket helpers refuse (EOPNOTSUPP).
    let o = object("sock_ops.o");
    let mut host = HostState::default();
    let p = LoadedProgram::from_object(&mut host, &o, "record_ops").unwrap();
    let evs = json!([{"op": "ACTIVE_ESTABLISHED_CB"}, {"op": "TSTAMP_SCHED_CB"},
        {"op": "ACTIVE_ESTABLISHED_CB"}]);
    events::fire_all(&p, &mut host, &evs).unwrap();
    let li = map_index(&o, "oplog");
    let rec = |i: u32| host.maps[li].lookup(&i.to_le_bytes()).unwrap();
    assert_eq!(u32_at(&rec(0), 88), 4, "cb flags after the first callback");
    assert_eq!(u32_at(&rec(1), 32), 0, "cb flags read in TSTAMP_SCHED_CB");
    assert_eq!(u32_at(&rec(2), 32), 4, "cb flags read when locked");
    // TCP_BPF_SYN: the SYN header from the event (ENOSPC into 8 bytes),
    // ENOENT without one.
    let o = object("hdr_opt.o");
    let mut host = HostState::default();
    let p = LoadedProgram::from_object(&mut host, &o, "hdr_opts").unwrap();
    let syn = "9c401f900000000100000000a002faf0000000000204ffd70402080a000000010000000001030307";
    let ack = "1f909c4000000002000000025010020000000000"; // a 20-byte ACK header
    let evs = json!([
        {"op": "PASSIVE_ESTABLISHED_CB", "skb": ack, "syn": syn},
        {"op": "PASSIVE_ESTABLISHED_CB", "skb": ack}
    ]);
    events::fire_all(&p, &mut host, &evs).unwrap();
    let li = map_index(&o, "oplog");
    let r3 = |i: u32| u32_at(&host.maps[li].lookup(&i.to_le_bytes()).unwrap(), 48) as i32;
    assert_eq!((r3(0), r3(1)), (-28, -2));
    let a = fire("sk_reuseport.o", "pick", "sk_reuseport.json");
    assert_eq!(a[0], "select socket 2");
    assert!(
        a[1].starts_with("select socket 2 (kernel hash pick: index 1"),
        "{}",
        a[1]
    );
    assert!(
        a[2].starts_with("select socket 3 (kernel hash pick: index 2"),
        "{}",
        a[2]
    );
    assert!(a[3].starts_with("refuse"));
    // Request migration (no kernel comparison: it needs a closing
    // listener with pending requests).
    let o = object("sk_reuseport.o");
    let mut host = HostState::default();
    let p = LoadedProgram::from_object(&mut host, &o, "migrate").unwrap();
    let evs = json!([
        {"group": [1, 2], "sockmaps": {"group": {"0": 1, "1": 2}}, "migrating": 7, "hash": 5},
        {"group": [1, 2], "hash": 4294967295u32},
    ]);
    let out = events::fire_all(&p, &mut host, &evs).unwrap();
    assert_eq!(out[0].action, "migrate to socket 2");
    assert!(out[1]
        .action
        .starts_with("select socket 2 (kernel hash pick: index 1"));
    let pick = LoadedProgram::from_object(&mut host, &o, "pick").unwrap();
    let bad = events::fire_all(&pick, &mut host, &json!({"migrating": true}));
    assert!(bad.unwrap_err().to_string().contains("SELECT_OR_MIGRATE"));
    let a = fire("sk_skb.o", "verdict", "sk_skb.json");
    assert_eq!(
        a,
        [
            "pass: queue on socket 1",
            "redirect to socket 2 (ingress)",
            "drop"
        ]
    );
    let a = fire("sk_skb.o", "parse", "sk_skb_parser.json");
    assert_eq!(a[0], "message of 7 bytes");
    assert_eq!(a[1], "message of 18 bytes: wait for 14 more bytes");
    assert!(a[2].starts_with("need more data"));
    let a = fire("sk_msg.o", "msg_verdict", "sk_msg.json");
    assert_eq!(a[0], "pass: send 9 bytes");
    assert_eq!(a[3], "redirect 5 bytes to socket 1 (ingress)");
    assert!(
        a[4].starts_with("pass: send 2 bytes, then pass: send 2 bytes, then pass: send 1 bytes"),
        "{}",
        a[4]
    );
    assert_eq!(a[6], "cork: held until 8 bytes are queued");
    assert_eq!(a[7], "pass: send 9 bytes");
    // The kernel keeps the cork's message struct (cork_bytes 8) for later
    // sends: the dropped 5 bytes are corked, and refused with the next.
    assert_eq!(a[8], "cork: held until 8 bytes are queued");
    assert_eq!(a[9], "drop: sendmsg fails with EACCES");
    let a = fire("flow_dissector.o", "dissect", "flow_dissector.json");
    assert_eq!(
        a,
        [
            "flow 10.0.0.1:5001 -> 10.0.0.2:53 proto 17",
            "flow 2000::1:0 -> 2000::2:0 proto 17",
            "dissection failed (no flow keys)"
        ]
    );
    let a = fire("sk_lookup.o", "pick", "sk_lookup.json");
    assert_eq!(
        a,
        [
            "deliver to socket 1 (no reuseport group pick)",
            "deliver to socket 2 (no reuseport group pick)",
            "continue: the regular socket lookup decides",
            "continue: the regular socket lookup decides",
            "drop: no socket (TCP reset)"
        ]
    );
}

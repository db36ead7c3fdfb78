//! Bad events get an error naming the cause, never a panic.

use super::object;
use bpfbox_runtime::{events, HostState, LoadedProgram};
use serde_json::{json, Value};

pub(crate) fn malformed_events_are_refused_with_a_reason() {
    let cases: &[(&str, &str)] = &[
        ("sock_ops.o", "record_ops"),
        ("hdr_opt.o", "hdr_opts"),
        ("sk_reuseport.o", "pick"),
        ("sk_skb.o", "verdict"),
        ("sk_skb.o", "parse"),
        ("sk_msg.o", "msg_verdict"),
        ("sk_lookup.o", "pick"),
        ("flow_dissector.o", "dissect"),
    ];
    let bad: Vec<Value> = vec![
        json!(null),
        json!(7),
        json!("op"),
        json!({"nope": 1}),
        json!({"op": "NOT_AN_OP"}),
        json!({"op": 99}),
        json!({"op": -1}),
        json!({"op": 1, "args": [1, 2, 3, 4, 5]}),
        json!({"op": 1, "args": "x"}),
        json!({"op": 1, "local": "nowhere"}),
        json!({"op": 1, "local": "[::1]:80", "remote": "1.2.3.4:5"}),
        json!({"op": 1, "tcp": {"snd_cwnd": 1u64 << 40}}),
        json!({"op": 1, "tcp": {"bogus": 1}}),
        json!({"op": 15, "skb": "zz"}),
        json!({"op": 15, "skb": "é"}),
        json!({"group": []}),
        json!({"group": [1], "socket": 1u64 << 33}),
        json!({"packet": [1, 2, 300]}),
        json!({"packet": "00"}),
        json!({"data": "0102", "segments": [1, 5]}),
        json!({"data": "0102", "segments": [0, 2]}),
        json!({"data": "0102", "linear": 9}),
        json!({"attach": "sideways"}),
        json!({"protocol": "sctp"}),
        json!({"sockets": [{"id": 1, "protocol": "tcp", "state": "NOPE"}]}),
        json!({"sockmaps": {"missing": {"0": 1}}}),
        json!({"sockmaps": {"oplog": {"0": 1}}}),
        json!({"sockmaps": {"group": {"x": 1}}}),
        json!({"sockmaps": {"sock_map": {"0": 1u64 << 40}}}),
        json!({"migrating": true}),
    ];
    for (obj, prog) in cases {
        let o = object(obj);
        let mut host = HostState::default();
        let p = LoadedProgram::from_object(&mut host, &o, prog).unwrap();
        let mut refused = 0;
        for ev in &bad {
            if let Err(e) = events::fire_all(&p, &mut host, ev) {
                assert!(!e.to_string().is_empty());
                refused += 1;
            }
        }
        assert!(refused > 0, "{obj}/{prog} accepted every malformed event");
    }
}

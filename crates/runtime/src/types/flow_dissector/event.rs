//! FLOW_DISSECTOR (type 22) events: one dissection of a frame, through the
//! same step as the test-run runner
//! ([`crate::types::flow_dissector::test_run::dissect`]: keys preset with
//! `n_proto` = the ethertype and `nhoff` = `thoff` = 14, no skb, offsets
//! clamped afterwards).
//!
//! Decision (`__skb_flow_dissect`): BPF_OK (0) takes the keys, BPF_DROP (2)
//! and any other value except BPF_FLOW_DISSECTOR_CONTINUE (129) end the
//! dissection as failed, CONTINUE falls back to the kernel's C dissector.

use crate::events::sockets::{bytes, hex, object, u32_or};
use crate::events::{EventDriver, EventError, EventOutcome};
use crate::types::flow_dissector::test_run::dissect;
use crate::drivers::LoadedProgram;
use crate::host::HostState;
use serde_json::{json, Map, Value};
use std::net::{Ipv4Addr, Ipv6Addr};

const KEYS: &[&str] = &["packet", "flags"];

/// The decoded `struct bpf_flow_keys` as a JSON object.
pub fn keys_json(k: &[u8; 56]) -> Map<String, Value> {
    let u16le = |o: usize| u16::from_le_bytes([k[o], k[o + 1]]);
    let be16 = |o: usize| u16::from_be_bytes([k[o], k[o + 1]]);
    let mut m = Map::new();
    m.insert("nhoff".into(), json!(u16le(0)));
    m.insert("thoff".into(), json!(u16le(2)));
    m.insert("addr_proto".into(), json!(u16le(4)));
    m.insert("is_frag".into(), json!(k[6]));
    m.insert("is_first_frag".into(), json!(k[7]));
    m.insert("is_encap".into(), json!(k[8]));
    m.insert("ip_proto".into(), json!(k[9]));
    m.insert("n_proto".into(), json!(format!("{:#06x}", be16(10))));
    m.insert("sport".into(), json!(be16(12)));
    m.insert("dport".into(), json!(be16(14)));
    match u16le(4) {
        0x0800 => {
            let a = |o: usize| Ipv4Addr::new(k[o], k[o + 1], k[o + 2], k[o + 3]).to_string();
            m.insert("src".into(), json!(a(16)));
            m.insert("dst".into(), json!(a(20)));
        }
        0x86dd => {
            let a = |o: usize| {
                let mut b = [0u8; 16];
                b.copy_from_slice(&k[o..o + 16]);
                Ipv6Addr::from(b).to_string()
            };
            m.insert("src".into(), json!(a(16)));
            m.insert("dst".into(), json!(a(32)));
        }
        _ => {}
    }
    m.insert(
        "flow_label".into(),
        json!(u32::from_be_bytes([k[52], k[53], k[54], k[55]])),
    );
    m.insert("raw".into(), json!(hex(k)));
    m
}

fn fire(
    prog: &LoadedProgram,
    host: &mut HostState,
    ev: &Value,
) -> Result<EventOutcome, EventError> {
    let obj = object(ev, "flow_dissector", KEYS)?;
    let frame = match obj.get("packet") {
        Some(v) => bytes(v, "packet")?,
        None => return Err(EventError::new("a flow_dissector event needs `packet`")),
    };
    if frame.len() < 14 {
        return Err(EventError::new(
            "`packet` must be an Ethernet frame (at least 14 bytes)",
        ));
    }
    let flags = u32_or(obj, "flags", 0)?;
    let trace_start = host.trace.len();
    let (r, keys) = dissect(prog, host, &frame, flags).map_err(EventError::Refused)?;
    let trace = host.trace.split_off(trace_start.min(host.trace.len()));
    let k = keys_json(&keys);
    let action = match r {
        0 => {
            let ports = |p: &str| k.get(p).and_then(Value::as_u64).unwrap_or(0);
            match (k.get("src"), k.get("dst")) {
                (Some(s), Some(d)) => format!(
                    "flow {}:{} -> {}:{} proto {}",
                    s.as_str().unwrap_or(""),
                    ports("sport"),
                    d.as_str().unwrap_or(""),
                    ports("dport"),
                    keys[9]
                ),
                _ => "flow keys taken (BPF_OK)".into(),
            }
        }
        129 => "continue: the kernel's C dissector takes over".into(),
        _ => "dissection failed (no flow keys)".into(),
    };
    let mut effects = Map::new();
    effects.insert("flow_keys".into(), Value::Object(k));
    Ok(EventOutcome {
        retval: u64::from(r),
        action,
        effects,
        trace,
    })
}

const SCHEMA: &str = r#"flow_dissector event: one frame to dissect.
  packet        (required) hex string or byte list: the Ethernet frame (14 ..= 4096 bytes)
  flags         BPF_FLOW_DISSECTOR_F_* (PARSE_1ST_FRAG 1, STOP_AT_FLOW_LABEL 2, STOP_AT_ENCAP 4;
                default 0)
Result: "flow SRC:SPORT -> DST:DPORT proto P" (BPF_OK), "dissection failed" or "continue: ...";
effects.flow_keys: the decoded struct bpf_flow_keys (nhoff, thoff, addr_proto, is_frag, ...,
src, dst, raw hex) after the kernel's offset clamps.
Example: {"packet": "020000000002 020000000001 0800 45000020123400004011 0000 0a000001 0a000002
                      1389 0035 000c 0000 68692121"}"#;

/// The FLOW_DISSECTOR driver.
pub static DRIVER: EventDriver = EventDriver {
    schema: SCHEMA,
    fire,
};

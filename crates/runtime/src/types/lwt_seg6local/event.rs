//! LWT_SEG6LOCAL (type 19) events: an IPv6 packet reaching a route whose
//! SRv6 behaviour is End.BPF (`input_action_end_bpf`,
//! net/ipv6/seg6_local.c). The hook finds and checks the packet's Segment
//! Routing Header, applies the End behaviour (Segments Left minus one,
//! destination = the next segment), then runs the program on the skb at
//! its IPv6 header with `data`/`data_end` over the whole packet.
//!
//! Decisions: `BPF_OK` forwards the packet by its (new) destination;
//! `BPF_REDIRECT` uses the route a seg6 action chose; `BPF_DROP` and any
//! other value drop it. A packet without a valid SRH, or with Segments
//! Left 0, is dropped before the program runs (an error naming why).

use super::srh;
use crate::ctx::skb_image;
use crate::drivers::{run_with_ctx, LoadedProgram};
use crate::events::sockets::{bytes, hex, object, u32_or};
use crate::events::{EventDriver, EventError, EventOutcome};
use crate::host::{HostState, PacketState};
use crate::packet::Packet;
use crate::skb::Skb;
use serde_json::{json, Map, Value};
use std::net::Ipv6Addr;

/// `ETH_P_IPV6`.
const ETH_P_IPV6: u16 = 0x86dd;
/// Room around the packet for the skb helpers.
const ROOM: usize = 128;

const KEYS: &[&str] = &["packet", "ifindex", "mark"];

/// What End.BPF does with return value `r0` once the program ran.
pub fn decision(r0: u32, next_segment: Ipv6Addr) -> String {
    match r0 {
        0 => format!("forward to {next_segment}"),
        7 => "redirect: the route a seg6 action chose".to_string(),
        2 => "drop".to_string(),
        other => format!("drop: {other} is no End.BPF return value"),
    }
}

fn fire(prog: &LoadedProgram, host: &mut HostState, ev: &Value) -> Result<EventOutcome, EventError> {
    let obj = object(ev, "lwt_seg6local", KEYS)?;
    let mut pkt = match obj.get("packet") {
        Some(v) => bytes(v, "packet")?,
        None => return Err(EventError::new("an lwt_seg6local event needs `packet`")),
    };
    let header = srh::find(&pkt).map_err(|why| {
        EventError::new(format!("End.BPF drops the packet before the program runs: {why}"))
    })?;
    let next = srh::advance(&mut pkt, &header).ok_or_else(|| {
        EventError::new("End.BPF drops the packet before the program runs: Segments Left is 0")
    })?;
    let packet = Packet::new(&pkt, ROOM, ROOM)
        .ok_or_else(|| EventError::new("no memory below 4 GiB for the skb"))?;
    let mut skb = Skb::new(packet);
    skb.protocol = ETH_P_IPV6;
    skb.network_header = skb.pkt.data;
    skb.ifindex = u32_or(obj, "ifindex", 1)?;
    skb.mark = u32_or(obj, "mark", 0)?;
    let base = skb.pkt.buf.addr();
    let mut ctx = skb_image(&skb, base, 0).to_vec();
    let saved = std::mem::replace(&mut host.packet, PacketState::Skb(Box::new(skb)));
    let trace_start = host.trace.len();
    let run = run_with_ctx(prog, host, &mut ctx, &mut []);
    let after = std::mem::replace(&mut host.packet, saved);
    let trace = host.trace.split_off(trace_start.min(host.trace.len()));
    let run = run.map_err(EventError::Trapped)?;
    let out = match &after {
        PacketState::Skb(s) => s.pkt.buf[s.pkt.data..s.pkt.end].to_vec(),
        _ => Vec::new(),
    };
    let next_segment = Ipv6Addr::from(next);
    let mut effects = Map::new();
    effects.insert("next_segment".into(), json!(next_segment.to_string()));
    effects.insert("segments_left".into(), json!(header.segments_left - 1));
    effects.insert("packet".into(), json!(hex(&out)));
    Ok(EventOutcome {
        retval: run.retval,
        action: decision(run.retval as u32, next_segment),
        effects,
        trace,
    })
}

const SCHEMA: &str = r#"lwt_seg6local event: an IPv6 packet reaching an SRv6 End.BPF route.
  packet        hex string or byte list: the packet from its IPv6 header; it must carry a Segment
                Routing Header (routing type 4) with Segments Left > 0, else the hook drops it
                before the program runs
  ifindex       the receiving device (default 1)
  mark          skb->mark (default 0)
The hook applies the End behaviour first (Segments Left - 1, destination = the next segment), then
runs the program with data/data_end over the whole packet.
Result: "forward to ADDR" (BPF_OK), "redirect: ..." (BPF_REDIRECT), "drop" (BPF_DROP or any other
value); effects: next_segment, segments_left, packet (the bytes after the program).
Example: {"packet": "6000000000200000fdfd...", "ifindex": 2}"#;

/// The LWT_SEG6LOCAL driver.
pub static DRIVER: EventDriver = EventDriver {
    schema: SCHEMA,
    fire,
};

//! SK_LOOKUP (type 30) events: one socket lookup for an arriving TCP SYN
//! or UDP datagram in the program's network namespace
//! (`inet_lookup_run_sk_lookup`), through the same step as the test-run
//! runner ([`crate::types::sk_lookup::test_run::lookup`]).
//!
//! Decision: SK_PASS with a socket assigned delivers to it (and skips the
//! reuseport group pick with `BPF_SK_LOOKUP_F_NO_REUSEPORT`); SK_PASS
//! alone lets the regular lookup continue; SK_DROP ends the lookup with no
//! socket (TCP answers with a reset, UDP with port unreachable).

use crate::events::sockets::{apply_sockmaps, endpoint, ip4, ip6, object, tcp_state, u32_or, SockDesc};
use crate::events::{EventDriver, EventError, EventOutcome};
use crate::types::sk_lookup::test_run::{declare_socket, lookup, CTX_SIZE};
use crate::drivers::LoadedProgram;
use crate::host::HostState;
use serde_json::{json, Map, Value};

const KEYS: &[&str] = &["protocol", "local", "remote", "sockets", "sockmaps"];

fn protocol(v: Option<&Value>) -> Result<u32, EventError> {
    match v.map(|v| v.as_str()) {
        None | Some(Some("tcp")) => Ok(6),
        Some(Some("udp")) => Ok(17),
        _ => Err(EventError::new("`protocol` must be \"tcp\" or \"udp\"")),
    }
}

fn declare(host: &mut HostState, v: &Value) -> Result<(), EventError> {
    let list = v
        .as_array()
        .ok_or_else(|| EventError::new("`sockets` must be a list of socket objects"))?;
    for s in list {
        let o = object(s, "sockets[]", &["id", "protocol", "local", "state"])?;
        let proto = protocol(o.get("protocol"))?;
        let state = match o.get("state") {
            Some(v) => tcp_state(v)?,
            None if proto == 6 => 10,
            None => 7,
        };
        let local = endpoint(o, "local", "0.0.0.0:0")?;
        let any = if local.is_ipv4() {
            "0.0.0.0:0"
        } else {
            "[::]:0"
        };
        declare_socket(
            host,
            SockDesc {
                id: u32_or(o, "id", 1)?,
                local,
                remote: any
                    .parse()
                    .map_err(|_| EventError::new("internal: bad unspecified address"))?,
                state,
                protocol: proto,
            },
        );
    }
    Ok(())
}

fn fire(
    prog: &LoadedProgram,
    host: &mut HostState,
    ev: &Value,
) -> Result<EventOutcome, EventError> {
    let obj = object(ev, "sk_lookup", KEYS)?;
    let proto = protocol(obj.get("protocol"))?;
    let local = endpoint(obj, "local", "127.0.0.1:80")?;
    let remote = endpoint(obj, "remote", "127.0.0.1:40000")?;
    if local.is_ipv4() != remote.is_ipv4() {
        return Err(EventError::new(
            "`local` and `remote` must be of the same family",
        ));
    }
    if let Some(v) = obj.get("sockets") {
        declare(host, v)?;
    }
    apply_sockmaps(host, obj)?;
    let mut ctx = [0u8; CTX_SIZE];
    let family: u32 = if local.is_ipv4() { 2 } else { 10 };
    ctx[8..12].copy_from_slice(&family.to_le_bytes());
    ctx[12..16].copy_from_slice(&proto.to_le_bytes());
    ctx[16..20].copy_from_slice(&ip4(&remote));
    ctx[20..36].copy_from_slice(&ip6(&remote));
    ctx[36..38].copy_from_slice(&remote.port().to_be_bytes());
    ctx[40..44].copy_from_slice(&ip4(&local));
    ctx[44..60].copy_from_slice(&ip6(&local));
    ctx[60..64].copy_from_slice(&u32::from(local.port()).to_le_bytes());
    let trace_start = host.trace.len();
    let res = lookup(prog, host, &ctx).map_err(EventError::Refused)?;
    let trace = host.trace.split_off(trace_start.min(host.trace.len()));
    let mut effects = Map::new();
    let action = match (res.verdict, res.selected) {
        (1, Some(id)) => {
            effects.insert("socket".into(), json!(id));
            effects.insert("no_reuseport".into(), json!(res.no_reuseport));
            if res.no_reuseport {
                format!("deliver to socket {id} (no reuseport group pick)")
            } else {
                format!("deliver to socket {id}")
            }
        }
        (1, None) => "continue: the regular socket lookup decides".into(),
        _ => {
            let what = if proto == 6 {
                "TCP reset"
            } else {
                "ICMP port unreachable"
            };
            format!("drop: no socket ({what})")
        }
    };
    effects.insert("verdict".into(), json!(res.verdict));
    if !res.log.is_empty() {
        effects.insert("helpers".into(), Value::Array(res.log));
    }
    Ok(EventOutcome {
        retval: u64::from(res.prog_ret),
        action,
        effects,
        trace,
    })
}

const SCHEMA: &str = r#"sk_lookup event: one socket lookup for an arriving packet.
  protocol      "tcp" (default) or "udp"
  local         destination "addr:port" of the packet (default "127.0.0.1:80"); IPv6 as "[::1]:80"
  remote        source "addr:port" (default "127.0.0.1:40000")
  sockets       candidate sockets the sockmaps hold: [{"id": 1, "protocol": "tcp", "local":
                "127.0.0.1:8080", "state": "LISTEN"}] (state default LISTEN for tcp, CLOSE for udp);
                bpf_sk_assign checks protocol, state and family against them; undeclared ids look
                like TCP listeners of the lookup's family
  sockmaps      {"map name": {"key": socket id}} stored before the run
Result: "deliver to socket N", "continue: the regular socket lookup decides" or "drop: no socket";
effects: socket, no_reuseport, verdict (the hook's combined SK_PASS/SK_DROP), helpers.
Example: {"protocol": "tcp", "local": "10.0.0.1:7000", "remote": "10.0.0.9:40000",
          "sockets": [{"id": 1, "local": "127.0.0.1:8080"}], "sockmaps": {"socks": {"0": 1}}}"#;

/// The SK_LOOKUP driver.
pub static DRIVER: EventDriver = EventDriver {
    schema: SCHEMA,
    fire,
};

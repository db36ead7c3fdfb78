//! TRACEPOINT (type 5) events: the ctx is the raw trace record the
//! event's tracefs `format` file describes ([`super::tracefs`]), laid out
//! from named field values. The record sits at the start of an
//! 8192-byte (`PERF_MAX_TRACE_SIZE`) ctx region whose tail is zero: the
//! verifier lets programs read anywhere in it, the kernel would show
//! whatever follows the record in the perf buffer there. Loads at
//! negative offsets, which the verifier also accepts (see
//! `bpfbox_progtype`'s TRACEPOINT hooks), read unrelated kernel memory;
//! in bpfbox they trap and the event fails.
//!
//! Checked against the kernel (crates/runtime/tests/events_trace.rs):
//! programs attached for real to `syscalls/sys_enter_openat`,
//! `sched/sched_switch` and `sched/sched_process_exec` (a `__data_loc`
//! string) leave the same maps as bpfbox firing the same event laid out
//! from the shipped format files.

use super::traceenv::{apply_common, object, run_event};
use super::tracefs::{builtin, Format, BUILTIN_NAMES, RECORD_MAX};
use super::{EventDriver, EventError, EventOutcome};
use crate::drivers::LoadedProgram;
use crate::host::HostState;
use serde_json::{Map, Value};

const KEYS: &[&str] = &["tracepoint", "format_file", "format", "fields"];

/// Largest tracepoint format file read (tracefs ones are a few KB).
const MAX_FORMAT_FILE: u64 = 1 << 20;

/// Reads a format file of at most [`MAX_FORMAT_FILE`] bytes.
fn read_format(p: &str) -> Result<String, EventError> {
    use std::io::Read;
    let fail = |m: String| EventError::new(format!("format_file `{p}`: {m}"));
    let mut bytes = Vec::new();
    std::fs::File::open(p)
        .and_then(|f| f.take(MAX_FORMAT_FILE + 1).read_to_end(&mut bytes))
        .map_err(|e| fail(e.to_string()))?;
    if bytes.len() as u64 > MAX_FORMAT_FILE {
        return Err(fail(format!("larger than {MAX_FORMAT_FILE} bytes")));
    }
    String::from_utf8(bytes).map_err(|_| fail("not UTF-8 text".into()))
}

/// The event's format: `format` (the file's text), `format_file` (a path)
/// or `tracepoint` (`SYS/EVENT`, one of the shipped formats).
pub fn event_format(obj: &Map<String, Value>) -> Result<Format, EventError> {
    let text = match (
        obj.get("format"),
        obj.get("format_file"),
        obj.get("tracepoint"),
    ) {
        (Some(Value::String(t)), None, _) => t.clone(),
        (None, Some(Value::String(p)), _) => read_format(p)?,
        (None, None, Some(Value::String(n))) => {
            let n = n
                .trim_start_matches("tracepoint/")
                .trim_start_matches("tp/");
            builtin(n)
                .ok_or_else(|| {
                    EventError::new(format!(
                        "no shipped format for tracepoint `{n}`; give \"format_file\": \
                         \"/sys/kernel/tracing/events/{n}/format\" (shipped: {})",
                        BUILTIN_NAMES.join(", ")
                    ))
                })?
                .to_string()
        }
        (None, None, None) => {
            return Err(EventError::new(
                "a tracepoint event needs \"tracepoint\": \"SYS/EVENT\" or \"format_file\": PATH",
            ))
        }
        _ => return Err(EventError::new(
            "give one of `format` or `format_file` (strings); `tracepoint` names a shipped format",
        )),
    };
    Format::parse(&text)
}

/// `SYS/EVENT` of a libbpf section name (`tracepoint/SYS/EVENT`,
/// `tp/SYS/EVENT`, sleepable `tracepoint.s/…`, `tp.s/…`).
pub fn tracepoint_of_section(section: &str) -> Option<&str> {
    let (kind, rest) = section.split_once('/')?;
    matches!(kind, "tracepoint" | "tp" | "tracepoint.s" | "tp.s")
        .then_some(rest)
        .filter(|r| r.split('/').count() == 2)
}

/// Lets a caller that knows the program's section (`bpfbox fire`) default
/// each event's `tracepoint` to it: every event object (or each element of
/// a sequence) without `tracepoint`, `format` or `format_file` gets
/// `"tracepoint": "SYS/EVENT"` from `section`.
pub fn fill_tracepoint(events: &mut Value, section: &str) {
    let Some(tp) = tracepoint_of_section(section) else {
        return;
    };
    let fill = |ev: &mut Value| {
        if let Value::Object(o) = ev {
            if !["tracepoint", "format", "format_file"]
                .iter()
                .any(|k| o.contains_key(*k))
            {
                o.insert("tracepoint".into(), Value::from(tp));
            }
        }
    };
    match events {
        Value::Array(list) => list.iter_mut().for_each(fill),
        ev => fill(ev),
    }
}

fn fire(
    prog: &LoadedProgram,
    host: &mut HostState,
    ev: &Value,
) -> Result<EventOutcome, EventError> {
    let obj = object(ev, "tracepoint", KEYS)?;
    let st = apply_common(host, obj)?;
    let fmt = event_format(obj)?;
    let empty = Map::new();
    let fields = match obj.get("fields") {
        None => &empty,
        Some(Value::Object(m)) => m,
        Some(other) => {
            return Err(EventError::new(format!(
                "`fields` must be an object of field: value, got {other}"
            )))
        }
    };
    let rec = fmt.layout(fields, host.task.pid)?;
    let size = rec.len();
    let mut ctx = vec![0u8; RECORD_MAX];
    ctx[..size].copy_from_slice(&rec);
    let mut out = run_event(prog, host, st, &mut ctx, |r| {
        if r as u32 == 0 {
            "discard: no perf sample for this hit".into()
        } else {
            "keep: the perf sample is written".into()
        }
    })?;
    out.effects
        .insert("event".into(), Value::from(fmt.name.clone()));
    out.effects.insert("record_size".into(), Value::from(size));
    Ok(out)
}

/// The TRACEPOINT driver.
pub static DRIVER: EventDriver = EventDriver {
    schema: SCHEMA,
    fire,
};

const SCHEMA: &str = r#"TRACEPOINT event (tracepoint/SYS/EVENT, tp/SYS/EVENT):
  tracepoint   string   "SYS/EVENT" (default: from the program's section) of a shipped Linux 6.18 format: sched/sched_switch,
                        sched/sched_process_exec, sched/sched_process_fork, sched/sched_process_exit,
                        sched/sched_wakeup(_new), syscalls/sys_enter_openat, syscalls/sys_exit_openat,
                        syscalls/sys_enter_{execve,read,write,kill,getppid}, raw_syscalls/sys_enter,
                        raw_syscalls/sys_exit, net/netif_receive_skb, net/net_dev_xmit,
                        irq/irq_handler_entry, irq/irq_handler_exit, irq/softirq_entry, kmem/kmalloc,
                        block/block_rq_issue, signal/signal_generate, sock/inet_sock_set_state,
                        tcp/tcp_retransmit_skb, timer/hrtimer_start, task/task_newtask
  format_file  string   path of a tracefs format file (e.g. /sys/kernel/tracing/events/SYS/EVENT/format)
                        instead; "format" gives the file's text inline
  fields       object   field name -> value: integers (numbers or "0x..." strings), strings for
                        char arrays and __data_loc strings (appended after the fixed part, located
                        by (len << 16 | offset)), lists of integers (or "hex:...") for other arrays.
                        Unset fields are 0; common_type defaults to the format's ID, common_pid to
                        task.pid
  memory, task, cookie, cpu, counters   as for KPROBE
Result: 0 discards the perf sample of this hit, non-zero keeps it. Effects: event, record_size,
perf_event_output, ringbuf, signals (as KPROBE). The record is followed by zeros up to 8192 bytes.
Example: {"tracepoint": "sched/sched_switch", "fields": {"prev_comm": "bash", "prev_pid": 42,
          "prev_prio": 120, "prev_state": 1, "next_comm": "swapper/0", "next_pid": 0,
          "next_prio": 120}}"#;

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn tracepoint_from_the_section() {
        assert_eq!(
            tracepoint_of_section("tp/sched/sched_switch"),
            Some("sched/sched_switch")
        );
        assert_eq!(tracepoint_of_section("tracepoint.s/a/b"), Some("a/b"));
        assert_eq!(tracepoint_of_section("kprobe/x"), None);
        assert_eq!(tracepoint_of_section("tp/only"), None);
        let mut ev = json!([{"fields": {}}, {"format_file": "/f"}]);
        fill_tracepoint(&mut ev, "tracepoint/syscalls/sys_enter_openat");
        assert_eq!(ev[0]["tracepoint"], "syscalls/sys_enter_openat");
        assert!(ev[1].get("tracepoint").is_none());
    }

    #[test]
    fn format_sources() {
        let o = json!({"tracepoint": "tp/sched/sched_switch"});
        assert_eq!(
            event_format(o.as_object().unwrap()).unwrap().name,
            "sched_switch"
        );
        let o = json!({"tracepoint": "nope/nope"});
        assert!(event_format(o.as_object().unwrap())
            .unwrap_err()
            .to_string()
            .contains("format_file"));
        let o = json!({"format_file": "/nonexistent/format"});
        assert!(event_format(o.as_object().unwrap())
            .unwrap_err()
            .to_string()
            .contains("/nonexistent"));
        let o = json!({});
        assert!(event_format(o.as_object().unwrap()).is_err());
        let o = json!({"format": "name: t\nfield:int x;\toffset:8;\tsize:4;\tsigned:1;\n"});
        assert_eq!(event_format(o.as_object().unwrap()).unwrap().name, "t");
    }
}

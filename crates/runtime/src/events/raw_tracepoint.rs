//! RAW_TRACEPOINT (type 17) events: the ctx is `u64 args[]`, the
//! tracepoint's C arguments. A program reading more slots than the event
//! has is refused, as the kernel refuses to attach it
//! (`bpf_raw_tp_link_attach`: `max_ctx_offset` beyond the tracepoint's
//! arguments is EINVAL).

use super::traceenv::{apply_common, int, object, run_event};
use super::{EventDriver, EventError, EventOutcome};
use crate::drivers::tracing::max_ctx_offset;
use crate::drivers::LoadedProgram;
use crate::host::HostState;
use serde_json::Value;

/// `MAX_BPF_FUNC_ARGS`.
pub const MAX_ARGS: usize = 12;

const KEYS: &[&str] = &["args", "tracepoint"];

fn fire(
    prog: &LoadedProgram,
    host: &mut HostState,
    ev: &Value,
) -> Result<EventOutcome, EventError> {
    let obj = object(ev, "raw_tracepoint", KEYS)?;
    let st = apply_common(host, obj)?;
    let empty = Vec::new();
    let args = match obj.get("args") {
        None => &empty,
        Some(Value::Array(a)) => a,
        Some(_) => return Err(EventError::new("`args` must be a list of integers")),
    }
    .iter()
    .enumerate()
    .map(|(i, v)| int(v, &format!("args[{i}]")))
    .collect::<Result<Vec<u64>, _>>()?;
    if args.len() > MAX_ARGS {
        return Err(EventError::new(format!(
            "`args` has {} values; tracepoints have at most {MAX_ARGS}",
            args.len()
        )));
    }
    let need = max_ctx_offset(prog.prog.insns()) as usize;
    if need > args.len() * 8 {
        return Err(EventError::new(format!(
            "the program reads args[{}] but the event gives {} argument(s) (the kernel refuses \
             to attach it: EINVAL)",
            need.div_ceil(8) - 1,
            args.len()
        )));
    }
    let mut ctx: Vec<u8> = args.iter().flat_map(|a| a.to_le_bytes()).collect();
    let mut out = run_event(prog, host, st, &mut ctx, |_| {
        "return value ignored (raw tracepoint)".into()
    })?;
    if let Some(Value::String(n)) = obj.get("tracepoint") {
        out.effects
            .insert("tracepoint".into(), Value::from(n.clone()));
    }
    Ok(out)
}

/// The RAW_TRACEPOINT driver (also RAW_TRACEPOINT_WRITABLE, 24, whose
/// writable buffer in args[0] bpfbox does not model: give it in `memory`
/// and read it with probe_read).
pub static DRIVER: EventDriver = EventDriver {
    prog_types: &[17],
    schema: SCHEMA,
    fire,
};

const SCHEMA: &str = r#"RAW_TRACEPOINT event (raw_tp/NAME, raw_tracepoint/NAME):
  args        list     the tracepoint's C arguments as integers (at most 12), args[i] = ctx->args[i]
                       (e.g. sys_enter: [pt_regs pointer, syscall nr]); a program reading beyond
                       them is refused as the kernel refuses to attach it
  tracepoint  string   name, for the report only
  memory, task, cookie, cpu   as for KPROBE (pointers in args can point into memory)
Result: the return value is ignored. Effects: perf_event_output and ringbuf records.
BPF_PROG_TEST_RUN also works (bpfbox run/diff with ctx_in = the args).
Example: {"tracepoint": "sched_switch", "args": [0, "0xffff888000100000", "0xffff888000200000", 1],
          "memory": [{"addr": "0xffff888000200000", "bytes": "2a000000"}]}"#;

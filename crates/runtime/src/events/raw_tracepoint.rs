//! RAW_TRACEPOINT (type 17) events: the ctx is `u64 args[]`, the
//! tracepoint's C arguments. A program reading more slots than the event
//! has is refused, as the kernel refuses to attach it
//! (`bpf_raw_tp_link_attach`: `max_ctx_offset` beyond the tracepoint's
//! arguments is EINVAL).

use super::traceenv::{apply_common, hex_bytes, int, object, run_event_with, to_hex};
use super::{EventDriver, EventError, EventOutcome};
use crate::drivers::tracing::max_ctx_offset;
use crate::drivers::ExtraRegion;
use crate::drivers::LoadedProgram;
use crate::host::HostState;
use bpfbox_interp::RegionKind;
use serde_json::Value;

/// `MAX_BPF_FUNC_ARGS`.
pub const MAX_ARGS: usize = 12;

const KEYS: &[&str] = &["args", "tracepoint", "buffer"];

/// `BPF_PROG_TYPE_RAW_TRACEPOINT_WRITABLE`.
const WRITABLE: u32 = 24;

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
    let writable = prog.prog_type_id() == WRITABLE;
    let mut buffer = match (obj.get("buffer"), writable) {
        (None, _) => None,
        (Some(Value::String(h)), true) => {
            Some(hex_bytes(h).ok_or_else(|| EventError::new("`buffer` is not a hex string"))?)
        }
        (Some(_), true) => return Err(EventError::new("`buffer` must be a hex string")),
        (Some(_), false) => {
            return Err(EventError::new(
                "`buffer` is for RAW_TRACEPOINT_WRITABLE programs (raw_tp.w/)",
            ))
        }
    };
    let mut ctx: Vec<u8> = args.iter().flat_map(|a| a.to_le_bytes()).collect();
    let mut extra = Vec::new();
    if let Some(b) = buffer.as_mut() {
        if ctx.len() < 8 {
            return Err(EventError::new(
                "`buffer` is passed in args[0]: give at least one argument",
            ));
        }
        let r = ExtraRegion {
            bytes: b.as_mut_slice(),
            writable: true,
            kind: RegionKind::Mem,
        };
        ctx[..8].copy_from_slice(&r.addr().to_le_bytes());
        extra.push(r);
    }
    let mut out = run_event_with(prog, host, st, &mut ctx, &mut extra, |_| {
        "return value ignored (raw tracepoint)".into()
    })?;
    drop(extra);
    if let Some(b) = &buffer {
        out.effects.insert("buffer".into(), Value::from(to_hex(b)));
    }
    if let Some(Value::String(n)) = obj.get("tracepoint") {
        out.effects
            .insert("tracepoint".into(), Value::from(n.clone()));
    }
    Ok(out)
}

/// The RAW_TRACEPOINT and RAW_TRACEPOINT_WRITABLE driver.
pub static DRIVER: EventDriver = EventDriver {
    schema: SCHEMA,
    fire,
};

const SCHEMA: &str = r#"RAW_TRACEPOINT event (raw_tp/NAME, raw_tracepoint/NAME):
  args        list     the tracepoint's C arguments as integers (at most 12), args[i] = ctx->args[i]
                       (e.g. sys_enter: [pt_regs pointer, syscall nr]); a program reading beyond
                       them is refused as the kernel refuses to attach it
  tracepoint  string   name, for the report only
  buffer      string   RAW_TRACEPOINT_WRITABLE (raw_tp.w/) only: hex bytes of the tracepoint's
                       writable buffer; args[0] becomes its address and the bytes after the run
                       are reported (effect `buffer`)
  memory, task, cookie, cpu, counters   as for KPROBE (pointers in args can point into memory)
Result: the return value is ignored. Effects: perf_event_output, ringbuf, signals (as KPROBE).
BPF_PROG_TEST_RUN also works (bpfbox run/diff with ctx_in = the args).
Example: {"tracepoint": "sched_switch", "args": [0, "0xffff888000100000", "0xffff888000200000", 1],
          "memory": [{"addr": "0xffff888000200000", "bytes": "2a000000"}]}"#;

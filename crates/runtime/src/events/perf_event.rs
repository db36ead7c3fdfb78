//! PERF_EVENT (type 7) events: one sample of a perf event. The ctx is
//! `struct bpf_perf_event_data` (184 bytes): the sampled `pt_regs`
//! (168), `sample_period` @168 and `addr` @176.

use super::kprobe::{regs_image, PT_REGS_SIZE};
use super::traceenv::{apply_common, int, object, run_event};
use super::{EventDriver, EventError, EventOutcome};
use crate::drivers::LoadedProgram;
use crate::host::HostState;
use serde_json::Value;

/// `sizeof(struct bpf_perf_event_data)`.
pub const PERF_EVENT_DATA_SIZE: usize = 184;

const KEYS: &[&str] = &["regs", "args", "ret", "sample_period", "addr", "read_value"];

fn fire(
    prog: &LoadedProgram,
    host: &mut HostState,
    ev: &Value,
) -> Result<EventOutcome, EventError> {
    let obj = object(ev, "perf_event", KEYS)?;
    let mut st = apply_common(host, obj)?;
    let mut ctx = vec![0u8; PERF_EVENT_DATA_SIZE];
    ctx[..PT_REGS_SIZE].copy_from_slice(&regs_image(obj)?);
    let period = obj
        .get("sample_period")
        .map(|v| int(v, "sample_period"))
        .transpose()?
        .unwrap_or(1);
    let addr = obj
        .get("addr")
        .map(|v| int(v, "addr"))
        .transpose()?
        .unwrap_or(0);
    ctx[168..176].copy_from_slice(&period.to_le_bytes());
    ctx[176..184].copy_from_slice(&addr.to_le_bytes());
    if let Some(v) = obj.get("read_value") {
        let o = v
            .as_object()
            .ok_or_else(|| EventError::new("`read_value` must be {counter, enabled, running}"))?;
        for (i, k) in ["counter", "enabled", "running"].iter().enumerate() {
            if let Some(x) = o.get(*k) {
                st.perf_value[i] = int(x, &format!("read_value.{k}"))?;
            }
        }
        if let Some(k) = o
            .keys()
            .find(|k| !["counter", "enabled", "running"].contains(&k.as_str()))
        {
            return Err(EventError::new(format!(
                "unknown key `{k}` in `read_value` (known: counter, enabled, running)"
            )));
        }
    }
    run_event(prog, host, st, &mut ctx, |r| {
        if r as u32 == 0 {
            "drop the sample (no perf record)".into()
        } else {
            "keep the sample (normal perf processing)".into()
        }
    })
}

/// The PERF_EVENT driver.
pub static DRIVER: EventDriver = EventDriver {
    schema: SCHEMA,
    fire,
};

const SCHEMA: &str = r#"PERF_EVENT event (one sample of a sampling perf event):
  regs           object   pt_regs at the sample, by name as for KPROBE (r15 .. ss)
  args, ret      list/int as for KPROBE (di si dx cx r8 r9 / ax)
  sample_period  integer  ctx->sample_period (default 1)
  addr           integer  ctx->addr (default 0)
  read_value     object   {counter, enabled, running} for bpf_perf_prog_read_value (default 0s)
  memory, task, cookie, cpu, counters   as for KPROBE
Result: 0 drops the sample (the overflow output is skipped), anything else keeps it.
Effects: perf_event_output, ringbuf, signals (as KPROBE).
Example: {"regs": {"ip": "0xffffffff81100000", "sp": "0xffffc90000003e00"},
          "sample_period": 100000, "task": {"pid": 7, "comm": "busy"}, "cpu": 0}"#;

#[cfg(test)]
mod tests {
    #[test]
    fn layout_matches_the_progtype_table() {
        let t = &bpfbox_progtype::ProgType::PerfEvent.spec().ctx;
        assert_eq!(t.size as usize, super::PERF_EVENT_DATA_SIZE);
        let off = |n: &str| t.fields.iter().find(|f| f.name == n).unwrap().offset;
        assert_eq!((off("sample_period"), off("addr")), (168, 176));
    }
}

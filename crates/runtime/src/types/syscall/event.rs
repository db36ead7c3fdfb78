//! SYSCALL (type 31) events: the ctx is a caller-provided blob, as
//! `BPF_PROG_TEST_RUN` passes `ctx_in`; the program may write it, and the
//! bytes after the run are reported (`ctx_out` effect). The loader
//! helpers of this type (`bpf_sys_bpf`, `bpf_sys_close`,
//! `bpf_btf_find_by_name_kind`, `bpf_kallsyms_lookup_name`) are out of
//! scope: programs calling them do not load in bpfbox.

use crate::events::traceenv::{apply_common, hex_bytes, int, object, run_event, to_hex};
use crate::events::{EventDriver, EventError, EventOutcome};
use crate::drivers::tracing::{max_ctx_offset, SYSCALL_CTX_MAX};
use crate::drivers::LoadedProgram;
use crate::host::HostState;
use serde_json::Value;

const KEYS: &[&str] = &["ctx"];

fn ctx_bytes(v: Option<&Value>) -> Result<Vec<u8>, EventError> {
    match v {
        None => Ok(Vec::new()),
        Some(Value::String(h)) => {
            hex_bytes(h).ok_or_else(|| EventError::new("`ctx` is not a hex string"))
        }
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, x)| {
                u8::try_from(int(x, &format!("ctx[{i}]"))?)
                    .map_err(|_| EventError::new(format!("ctx[{i}] is not a byte")))
            })
            .collect(),
        Some(other) => Err(EventError::new(format!(
            "`ctx` must be a hex string or a list of bytes, got {other}"
        ))),
    }
}

fn fire(
    prog: &LoadedProgram,
    host: &mut HostState,
    ev: &Value,
) -> Result<EventOutcome, EventError> {
    let obj = object(ev, "syscall", KEYS)?;
    let st = apply_common(host, obj)?;
    let mut ctx = ctx_bytes(obj.get("ctx"))?;
    let need = max_ctx_offset(prog.prog.insns()) as usize;
    if ctx.len() < need || ctx.len() > SYSCALL_CTX_MAX {
        return Err(EventError::new(format!(
            "`ctx` has {} bytes; the program touches {need} and the kernel takes at most \
             {SYSCALL_CTX_MAX} (BPF_PROG_TEST_RUN would fail with EINVAL)",
            ctx.len()
        )));
    }
    let mut out = run_event(prog, host, st, &mut ctx, |r| {
        format!(
            "returned to the BPF_PROG_TEST_RUN caller as retval {}",
            r as u32
        )
    })?;
    out.effects
        .insert("ctx_out".into(), Value::from(to_hex(&ctx)));
    Ok(out)
}

/// The SYSCALL driver.
pub static DRIVER: EventDriver = EventDriver {
    schema: SCHEMA,
    fire,
};

const SCHEMA: &str = r#"SYSCALL event (SEC("syscall"), run as BPF_PROG_TEST_RUN runs it):
  ctx     string|list  the ctx_in blob: hex string or list of bytes (at most 65535 bytes, at
                       least as many as the program touches)
  memory, task, cookie, cpu, counters   as for KPROBE
Result: retval as BPF_PROG_TEST_RUN reports it; effect ctx_out = the blob after the run (the
kernel copies it back into ctx_in). bpf_sys_bpf/sys_close/btf_find_by_name_kind/
kallsyms_lookup_name are not supported. `bpfbox run` also works (ctx_in).
Example: {"ctx": "0a00000000000000"}"#;

//! CGROUP_DEVICE events: a device access checked by
//! `devcgroup_check_permission` → `__cgroup_bpf_check_dev_permission`
//! (kernel/bpf/cgroup.c), on open() and mknod() of device nodes.

use crate::events::cgroup::{
    apply_task, cg_verdict, object, opt_int, outcome, put32, run_hook, verdict_action,
};
use crate::events::{EventDriver, EventError, EventOutcome};
use crate::drivers::LoadedProgram;
use crate::helpers::cgroup::CgroupRun;
use crate::host::HostState;
use serde_json::{json, Map, Value};

/// `BPF_DEVCG_ACC_MKNOD`, `_READ`, `_WRITE`.
pub const ACC_MKNOD: u32 = 1;
/// Read access.
pub const ACC_READ: u32 = 2;
/// Write access.
pub const ACC_WRITE: u32 = 4;
/// `BPF_DEVCG_DEV_BLOCK`, `_CHAR`.
pub const DEV_BLOCK: u32 = 1;
/// Character device.
pub const DEV_CHAR: u32 = 2;

/// `struct bpf_cgroup_dev_ctx` size.
pub const CTX_SIZE: usize = 12;

const KEYS: &[&str] = &["access", "type", "major", "minor"];

/// The schema, for `bpfbox fire --help` and `bpfbox types`.
pub const SCHEMA: &str = r#"CGROUP_DEVICE event: one device access by a task in the cgroup.
  {"access": "mknod"|"read"|"write" or a list of them (or "rwm" letters),
   "type": "char"|"block", "major": N, "minor": N, "task": {...}?}
ctx (struct bpf_cgroup_dev_ctx): access_type = type | access << 16
(BPF_DEVCG_ACC_MKNOD 1, READ 2, WRITE 4; BPF_DEVCG_DEV_BLOCK 1, CHAR 2), major, minor.
Result: action "allow" or "deny: EPERM" (or the errno a program set with
bpf_set_retval); effects {"access_type", "device"}.
Example: {"access": "read", "type": "char", "major": 1, "minor": 3}"#;

fn access_bits(v: &Value) -> Result<u32, EventError> {
    let one = |s: &str| -> Result<u32, EventError> {
        match s {
            "mknod" => Ok(ACC_MKNOD),
            "read" => Ok(ACC_READ),
            "write" => Ok(ACC_WRITE),
            s if !s.is_empty() && s.chars().all(|c| matches!(c, 'r' | 'w' | 'm')) => Ok(s
                .chars()
                .map(|c| match c {
                    'r' => ACC_READ,
                    'w' => ACC_WRITE,
                    _ => ACC_MKNOD,
                })
                .fold(0, |a, b| a | b)),
            other => Err(EventError::new(format!(
                "`access`: unknown access `{other}` (known: mknod, read, write)"
            ))),
        }
    };
    match v {
        Value::String(s) => one(s),
        Value::Array(list) if !list.is_empty() => list.iter().try_fold(0, |acc, x| match x {
            Value::String(s) => Ok(acc | one(s)?),
            _ => Err(EventError::new("`access`: list items must be strings")),
        }),
        _ => Err(EventError::new(
            "`access`: expected \"mknod\", \"read\", \"write\" or a non-empty list of them",
        )),
    }
}

fn dev_type(obj: &Map<String, Value>) -> Result<u32, EventError> {
    match obj.get("type") {
        Some(Value::String(s)) => match s.as_str() {
            "char" | "c" => Ok(DEV_CHAR),
            "block" | "b" => Ok(DEV_BLOCK),
            other => Err(EventError::new(format!(
                "`type`: unknown device type `{other}` (known: char, block)"
            ))),
        },
        Some(v) => Err(EventError::new(format!(
            "`type`: expected \"char\" or \"block\", got {v}"
        ))),
        None => Err(EventError::new(
            "a cgroup_device event needs `type` (\"char\" or \"block\")",
        )),
    }
}

/// The ctx image of an event: `Ok((ctx, access_type))`.
pub fn ctx_of(obj: &Map<String, Value>) -> Result<[u8; CTX_SIZE], EventError> {
    let access = access_bits(
        obj.get("access")
            .ok_or_else(|| EventError::new("a cgroup_device event needs `access`"))?,
    )?;
    let ty = dev_type(obj)?;
    let major: u32 = opt_int(obj, "major")?
        .ok_or_else(|| EventError::new("a cgroup_device event needs `major`"))?;
    let minor: u32 = opt_int(obj, "minor")?
        .ok_or_else(|| EventError::new("a cgroup_device event needs `minor`"))?;
    let mut ctx = [0u8; CTX_SIZE];
    put32(&mut ctx, 0, ty | access << 16);
    put32(&mut ctx, 4, major);
    put32(&mut ctx, 8, minor);
    Ok(ctx)
}

fn describe(ctx: &[u8; CTX_SIZE]) -> String {
    let at = crate::events::cgroup::get32(ctx, 0);
    let ty = if at & 0xffff == DEV_BLOCK { 'b' } else { 'c' };
    let acc = at >> 16;
    let mut a = String::new();
    for (bit, c) in [(ACC_READ, 'r'), (ACC_WRITE, 'w'), (ACC_MKNOD, 'm')] {
        if acc & bit != 0 {
            a.push(c);
        }
    }
    format!(
        "{ty} {}:{} {a}",
        crate::events::cgroup::get32(ctx, 4),
        crate::events::cgroup::get32(ctx, 8)
    )
}

fn fire(
    prog: &LoadedProgram,
    host: &mut HostState,
    ev: &Value,
) -> Result<EventOutcome, EventError> {
    let obj = object(ev, "cgroup_device", KEYS)?;
    let mut ctx = ctx_of(obj)?;
    apply_task(host, obj)?;
    let run = run_hook(prog, host, &mut ctx, &mut [], CgroupRun::default())?;
    let (ret, _) = cg_verdict(run.r0, run.state.retval, false);
    let mut effects = Map::new();
    effects.insert("access_type".into(), json!(crate::events::cgroup::get32(&ctx, 0)));
    effects.insert("device".into(), json!(describe(&ctx)));
    Ok(outcome(run.r0, verdict_action(ret), effects, run.trace))
}

/// The CGROUP_DEVICE driver.
pub static DRIVER: EventDriver = EventDriver {
    schema: SCHEMA,
    fire,
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_type_is_type_or_access_shifted() {
        let ev = json!({"access": ["read", "write"], "type": "char", "major": 1, "minor": 3});
        let ctx = ctx_of(ev.as_object().unwrap()).unwrap();
        assert_eq!(crate::events::cgroup::get32(&ctx, 0), 2 | 6 << 16);
        assert_eq!(describe(&ctx), "c 1:3 rw");
        let ev = json!({"access": "mknod", "type": "block", "major": 8, "minor": 0});
        let ctx = ctx_of(ev.as_object().unwrap()).unwrap();
        assert_eq!(crate::events::cgroup::get32(&ctx, 0), 1 | 1 << 16);
        let ev = json!({"access": "rwm", "type": "c", "major": 1, "minor": 3});
        let ctx = ctx_of(ev.as_object().unwrap()).unwrap();
        assert_eq!(crate::events::cgroup::get32(&ctx, 0) >> 16, 7);
    }

    #[test]
    fn bad_events_name_the_cause() {
        for (ev, want) in [
            (
                json!({"access": "exec", "type": "char", "major": 1, "minor": 3}),
                "unknown access",
            ),
            (
                json!({"access": "read", "type": "pipe", "major": 1, "minor": 3}),
                "unknown device type",
            ),
            (
                json!({"access": "read", "type": "char", "minor": 3}),
                "needs `major`",
            ),
            (
                json!({"access": "read", "type": "char", "major": -1, "minor": 3}),
                "out of range",
            ),
            (
                json!({"access": [], "type": "char", "major": 1, "minor": 3}),
                "non-empty",
            ),
        ] {
            let e = ctx_of(ev.as_object().unwrap()).unwrap_err();
            assert!(e.to_string().contains(want), "{e} does not say {want}");
        }
    }
}

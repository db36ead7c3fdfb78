//! CGROUP_SYSCTL events: a read or write of a /proc/sys file, run through
//! `__cgroup_bpf_run_filter_sysctl` (kernel/bpf/cgroup.c) with
//! `struct bpf_sysctl` as ctx and the sysctl_* helpers reading the name,
//! the current value and the value being written.

use crate::events::cgroup::{
    apply_task, cg_verdict, get32, object, opt_int, opt_str, outcome, put32, run_hook,
    verdict_action,
};
use crate::events::{EventDriver, EventError, EventOutcome};
use crate::drivers::LoadedProgram;
use crate::helpers::cgroup::CgroupRun;
use crate::helpers::sysctl::{SysctlAccess, PAGE_SIZE};
use crate::host::HostState;
use serde_json::{json, Map, Value};

const KEYS: &[&str] = &["name", "write", "value", "new_value", "current", "file_pos"];

/// The schema, for `bpfbox fire --help` and `bpfbox types`.
pub const SCHEMA: &str = r#"CGROUP_SYSCTL event: one read or write of /proc/sys/<name>.
  {"name": "net/ipv4/ip_forward",   the path below /proc/sys
   "current": "0\n"?,               what the sysctl's handler prints (as the kernel formats it,
                                    usually with a trailing newline; default "": handler failed)
   "new_value": "1\n"?,             a write of these bytes (absent: a read)
   "write": true|false?,            default: whether new_value is given
   "file_pos": N?, "task": {...}?}
ctx (struct bpf_sysctl): write, file_pos (writable).
Helpers: bpf_sysctl_get_name (full path or, with BPF_F_SYSCTL_BASE_NAME, the last part),
bpf_sysctl_get_current_value, bpf_sysctl_get_new_value, bpf_sysctl_set_new_value, bpf_strtol,
bpf_strtoul, with the kernel's return codes (length, -E2BIG on truncation, -EINVAL).
Result: "allow" or "deny: EPERM" (read()/write() fail); effects {"write", "file_pos",
"new_value"? (the value the handler gets when a program replaced it; allowed writes only)}.
Example: {"name": "kernel/domainname", "current": "(none)\n", "new_value": "rw-test"}"#;

/// The ctx and sysctl state of an event.
pub fn prepare(obj: &Map<String, Value>) -> Result<([u8; 8], SysctlAccess), EventError> {
    let name = opt_str(obj, "name")?.ok_or_else(|| {
        EventError::new("a cgroup_sysctl event needs `name` (e.g. \"net/ipv4/ip_forward\")")
    })?;
    if name.trim_matches('/').is_empty() {
        return Err(EventError::new("`name` must name a sysctl below /proc/sys"));
    }
    let new_value = match (opt_str(obj, "new_value")?, opt_str(obj, "value")?) {
        (Some(_), Some(_)) => return Err(EventError::new("give `new_value` or `value`, not both")),
        (a, b) => a.or(b).map(|s| s.as_bytes().to_vec()),
    };
    let write = match obj.get("write") {
        None => new_value.is_some(),
        Some(Value::Bool(b)) => *b,
        Some(v) => {
            return Err(EventError::new(format!(
                "`write`: expected true or false, got {v}"
            )))
        }
    };
    if !write && new_value.is_some() {
        return Err(EventError::new("`new_value` is given but `write` is false"));
    }
    let current = opt_str(obj, "current")?.unwrap_or("").as_bytes();
    let file_pos: u32 = opt_int(obj, "file_pos")?.unwrap_or(0);
    // The kernel gives programs at most one page of each value.
    let cap = |v: &[u8]| v[..v.len().min(PAGE_SIZE)].to_vec();
    let access = SysctlAccess {
        name: name.trim_matches('/').to_string(),
        write,
        current: cap(current),
        new_value: new_value
            .filter(|v| write && !v.is_empty())
            .map(|v| cap(&v)),
        new_updated: false,
    };
    let mut ctx = [0u8; 8];
    put32(&mut ctx, 0, u32::from(write));
    put32(&mut ctx, 4, file_pos);
    Ok((ctx, access))
}

fn fire(
    prog: &LoadedProgram,
    host: &mut HostState,
    ev: &Value,
) -> Result<EventOutcome, EventError> {
    let obj = object(ev, "cgroup_sysctl", KEYS)?;
    let (mut ctx, access) = prepare(obj)?;
    apply_task(host, obj)?;
    let state = CgroupRun {
        sysctl: Some(access),
        ..Default::default()
    };
    let run = run_hook(prog, host, &mut ctx, &mut [], state)?;
    let (ret, _) = cg_verdict(run.r0, run.state.retval, false);
    let mut effects = Map::new();
    effects.insert("write".into(), json!(get32(&ctx, 0) != 0));
    effects.insert("file_pos".into(), json!(get32(&ctx, 4)));
    if let Some(acc) = &run.state.sysctl {
        // `__cgroup_bpf_run_filter_sysctl` hands the program's value to
        // the handler only when the hook allowed the write.
        if acc.new_updated && ret == 0 {
            let v = acc.new_value.clone().unwrap_or_default();
            effects.insert("new_value".into(), json!(String::from_utf8_lossy(&v)));
        }
    }
    Ok(outcome(run.r0, verdict_action(ret), effects, run.trace))
}

/// The CGROUP_SYSCTL driver.
pub static DRIVER: EventDriver = EventDriver {
    schema: SCHEMA,
    fire,
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_and_writes() {
        let ev = json!({"name": "/net/ipv4/ip_forward/", "current": "0\n"});
        let (ctx, acc) = prepare(ev.as_object().unwrap()).unwrap();
        assert_eq!(get32(&ctx, 0), 0);
        assert_eq!(acc.name, "net/ipv4/ip_forward");
        assert_eq!(acc.new_value, None);
        let ev = json!({"name": "kernel/domainname", "new_value": "abc", "file_pos": 3});
        let (ctx, acc) = prepare(ev.as_object().unwrap()).unwrap();
        assert_eq!((get32(&ctx, 0), get32(&ctx, 4)), (1, 3));
        assert_eq!(acc.new_value.as_deref(), Some(&b"abc"[..]));
        // an empty write has no new value (count 0: new_val stays NULL)
        let ev = json!({"name": "kernel/domainname", "write": true});
        let (_, acc) = prepare(ev.as_object().unwrap()).unwrap();
        assert!(acc.write && acc.new_value.is_none());
        for bad in [
            json!({"current": "1"}),
            json!({"name": "a", "write": "yes"}),
            json!({"name": "a", "write": false, "new_value": "1"}),
        ] {
            assert!(prepare(bad.as_object().unwrap()).is_err());
        }
    }
}

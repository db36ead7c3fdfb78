//! CGROUP_SOCK events: a socket being created (`inet_create` →
//! `BPF_CGROUP_RUN_PROG_INET_SOCK`), bound (`__inet_bind` →
//! post_bind4/6) or released (`inet_release`), with the socket itself as
//! the `struct bpf_sock` ctx (`__cgroup_bpf_run_filter_sk`).

use crate::events::cgroup::{
    apply_task, cg_verdict, get32, object, opt_int, outcome, run_hook, verdict_action, SockDesc,
    AF_INET, AF_INET6, SOCK_KEYS,
};
use crate::events::{EventDriver, EventError, EventOutcome};
use crate::drivers::LoadedProgram;
use crate::helpers::cgroup::CgroupRun;
use crate::host::HostState;
use serde_json::{json, Map, Value};

/// The hook of a CGROUP_SOCK program.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SockHook {
    /// `BPF_CGROUP_INET_SOCK_CREATE` (also attach type 0).
    Create,
    /// `BPF_CGROUP_INET4_POST_BIND` / `INET6_POST_BIND`.
    PostBind(u32),
    /// `BPF_CGROUP_INET_SOCK_RELEASE`.
    Release,
}

/// The hook of an expected attach type.
pub fn hook_of(expected_attach_type: u32) -> Option<SockHook> {
    match expected_attach_type {
        0 | 2 => Some(SockHook::Create),
        12 => Some(SockHook::PostBind(AF_INET)),
        13 => Some(SockHook::PostBind(AF_INET6)),
        34 => Some(SockHook::Release),
        _ => None,
    }
}

/// The schema, for `bpfbox fire --help` and `bpfbox types`.
pub const SCHEMA: &str = r#"CGROUP_SOCK event: the socket being created, bound or released (the hook is the
program's attach type: cgroup/sock_create, cgroup/post_bind4, cgroup/post_bind6, cgroup/sock_release).
  {"family": "inet"|"inet6"?, "type": "stream"|"dgram"|"raw"?, "protocol": "tcp"|"udp"|N?,
   "src_ip": "10.0.0.1"?, "src_port": N?,    the bound address (post_bind)
   "dst_ip"?, "dst_port"?, "state": N?, "bound_dev_if": N?, "mark": N?, "priority": N?,
   "rx_queue_mapping": N?, "socket_cookie": N?, "task": {...}?}
Defaults: the hook's family (inet; inet6 for post_bind6), stream, tcp/udp by type, addresses 0,
state 7 (TCP_CLOSE), rx_queue_mapping -1.
ctx: struct bpf_sock; sock_create/sock_release may write bound_dev_if, mark and priority.
Result: sock_create: "allow" or "deny: EPERM" (socket() fails); post_bind: "allow" or
"deny: EPERM" (bind() fails and is undone); sock_release: the verdict is ignored.
effects {"bound_dev_if", "mark", "priority"} (sock_create/sock_release).
Example (sock_create): {"family": "inet", "type": "dgram"}"#;

/// The ctx image of an event.
pub fn ctx_of(hook: SockHook, obj: &Map<String, Value>) -> Result<[u8; 80], EventError> {
    let fam = match hook {
        SockHook::PostBind(f) => f,
        _ => AF_INET,
    };
    let sk = SockDesc::parse(obj, fam, 1)?;
    if let SockHook::PostBind(f) = hook {
        if sk.family != f {
            return Err(EventError::new(format!(
                "`family`: a post_bind{} hook runs on {} sockets",
                if f == AF_INET { 4 } else { 6 },
                if f == AF_INET { "AF_INET" } else { "AF_INET6" }
            )));
        }
    }
    Ok(sk.image())
}

fn fire(
    prog: &LoadedProgram,
    host: &mut HostState,
    ev: &Value,
) -> Result<EventOutcome, EventError> {
    let mut keys: Vec<&str> = SOCK_KEYS.to_vec();
    keys.push("socket_cookie");
    let obj = object(ev, "cgroup_sock", &keys)?;
    let hook = hook_of(prog.expected_attach_type).ok_or_else(|| {
        EventError::new(format!(
            "attach type {} is not a cgroup_sock hook",
            prog.expected_attach_type
        ))
    })?;
    let mut ctx = ctx_of(hook, obj)?;
    apply_task(host, obj)?;
    if let Some(c) = opt_int::<i64>(obj, "socket_cookie")? {
        host.socket_cookie = c as u64;
    }
    let run = run_hook(prog, host, &mut ctx, &mut [], CgroupRun::default())?;
    let (ret, _) = cg_verdict(run.r0, run.state.retval, false);
    let mut effects = Map::new();
    let action = match hook {
        SockHook::Create | SockHook::Release => {
            effects.insert("bound_dev_if".into(), json!(get32(&ctx, 0)));
            effects.insert("mark".into(), json!(get32(&ctx, 16)));
            effects.insert("priority".into(), json!(get32(&ctx, 20)));
            if hook == SockHook::Release {
                format!(
                    "ignored (the socket is released; verdict was {})",
                    verdict_action(ret)
                )
            } else {
                verdict_action(ret)
            }
        }
        SockHook::PostBind(_) if ret != 0 => {
            format!("{} (the bind is undone)", verdict_action(ret))
        }
        SockHook::PostBind(_) => verdict_action(ret),
    };
    Ok(outcome(run.r0, action, effects, run.trace))
}

/// The CGROUP_SOCK driver.
pub static DRIVER: EventDriver = EventDriver {
    schema: SCHEMA,
    fire,
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hooks_and_families() {
        assert_eq!(hook_of(0), Some(SockHook::Create));
        assert_eq!(hook_of(13), Some(SockHook::PostBind(AF_INET6)));
        assert_eq!(hook_of(34), Some(SockHook::Release));
        assert_eq!(hook_of(10), None);
        let ev = json!({"src_ip": "::1", "src_port": 80});
        let img = ctx_of(SockHook::PostBind(AF_INET6), ev.as_object().unwrap()).unwrap();
        assert_eq!(get32(&img, 4), AF_INET6);
        assert_eq!(img[43], 1);
        assert_eq!(get32(&img, 44), 80);
        let ev = json!({"family": "inet", "src_ip": "1.2.3.4"});
        assert!(ctx_of(SockHook::PostBind(AF_INET6), ev.as_object().unwrap()).is_err());
    }
}

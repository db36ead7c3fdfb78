//! Event-driven program types (`bpfbox fire`): programs that run on an
//! event (a device access, a connect, a TCP state change, a kprobe hit)
//! rather than on a packet handed to `BPF_PROG_TEST_RUN`.
//!
//! This module holds what event drivers share (the cgroup hook runner,
//! the socket world, the tracing environment) and the drivers several
//! tracing types use; a driver only one type uses is its module's `event`
//! (e.g. [`crate::types::sock_ops::event`]). Each exports a `pub static
//! DRIVER: EventDriver`; a program type names its driver in its run-side
//! table ([`crate::types::ops_of`]) and [`driver_for`] picks it from
//! there. A driver turns one JSON event into the type's context
//! (and any memory the context points at), runs the program, and says what
//! the hook does with the return value (`deny: EPERM`, `select socket 2`).
//! Map state lives in [`HostState`] and persists across a sequence of
//! events.

pub mod cgroup;
pub mod kprobe;
pub mod perf_event;
pub mod raw_tracepoint;
pub mod sockets;
pub mod traceenv;
pub mod tracefs;
pub mod tracepoint;

use crate::drivers::LoadedProgram;
use crate::host::HostState;
use serde_json::Value;

/// What one event did.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct EventOutcome {
    /// r0 as the program returned it.
    pub retval: u64,
    /// What the hook does with it, in words: `allow`, `deny: EPERM`,
    /// `select socket 2`, `keep 54 bytes`.
    pub action: String,
    /// Type-specific results: rewritten address and port, the sock_ops
    /// reply, the selected socket, written sysctl value, ... (a JSON object,
    /// empty when there is nothing more to say).
    pub effects: serde_json::Map<String, Value>,
    /// Lines `bpf_trace_printk` printed during this event.
    pub trace: Vec<String>,
}

/// An event that cannot be run, as a value to match on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EventError {
    /// The event does not fit the program's type: not the expected JSON
    /// shape, an unknown key, a value out of range.
    #[error("{0}")]
    BadEvent(String),
    /// The program trapped (a memory fault, a helper failure bpfbox
    /// reports as a trap).
    #[error("program trapped: {0}")]
    Trapped(#[source] bpfbox_interp::Trap),
    /// The type's run machinery refused the event as the kernel's
    /// `BPF_PROG_TEST_RUN` would (sk_lookup, flow dissector).
    #[error("{}", .0.message)]
    Refused(#[source] crate::TestRunError),
    /// A map the event fills (`sockmaps`) refused the update.
    #[error("{what}: {source}")]
    Map {
        /// Which entry.
        what: String,
        /// The map's error.
        #[source]
        source: bpfbox_maps::MapError,
    },
    /// The program's type runs on packets or not at all, not on events.
    #[error(
        "`fire` does not drive programs of type {prog_type} (use `bpfbox run` for packet types)"
    )]
    NoDriver {
        /// The type's kernel name.
        prog_type: &'static str,
    },
    /// One event of a sequence failed.
    #[error("event {index}: {source}")]
    InSequence {
        /// Its index in the sequence.
        index: usize,
        /// Why.
        #[source]
        source: Box<EventError>,
    },
}

impl EventError {
    /// A [`EventError::BadEvent`] saying `msg`.
    pub fn new(msg: impl Into<String>) -> Self {
        EventError::BadEvent(msg.into())
    }

    /// Whether the event itself was at fault ([`EventError::BadEvent`],
    /// also inside a sequence) rather than the program or a map.
    pub fn is_bad_event(&self) -> bool {
        match self {
            EventError::BadEvent(_) => true,
            EventError::InSequence { source, .. } => source.is_bad_event(),
            _ => false,
        }
    }
}

/// The event as a JSON object whose keys are all in `allowed` or `common`
/// (a misspelt key is an error, not a silent default). `ty` names the
/// event kind in messages.
pub fn json_object<'a>(
    ev: &'a Value,
    ty: &str,
    allowed: &[&str],
    common: &[&str],
) -> Result<&'a serde_json::Map<String, Value>, EventError> {
    let obj = ev
        .as_object()
        .ok_or_else(|| EventError::new(format!("a {ty} event must be a JSON object, got {ev}")))?;
    let known = |k: &str| allowed.contains(&k) || common.contains(&k);
    if let Some(k) = obj.keys().find(|k| !known(k)) {
        let all: Vec<&str> = allowed.iter().chain(common).copied().collect();
        return Err(EventError::new(format!(
            "unknown key `{k}` in a {ty} event (known: {})",
            all.join(", ")
        )));
    }
    Ok(obj)
}

/// The `task` of an event (who runs the hook): `{"pid", "tgid" (default
/// pid), "uid", "gid", "comm", "cgroup_id", "ptr"}`; returns the task and
/// the `task_struct` address `ptr` (for `bpf_get_current_task`), if given.
pub fn task_from_json(v: &Value) -> Result<(crate::host::Task, Option<u64>), EventError> {
    let o = v
        .as_object()
        .ok_or_else(|| EventError::new("`task` must be an object"))?;
    let mut t = crate::host::Task::default();
    let mut ptr = None;
    for (k, val) in o {
        let int = |key: &str| traceenv::int(val, &format!("task.{key}"));
        let small = |key: &str| -> Result<u32, EventError> {
            u32::try_from(int(key)?)
                .map_err(|_| EventError::new(format!("task.{key} does not fit in 32 bits")))
        };
        match k.as_str() {
            "pid" => t.pid = small("pid")?,
            "tgid" => t.tgid = small("tgid")?,
            "uid" => t.uid = small("uid")?,
            "gid" => t.gid = small("gid")?,
            "cgroup_id" => t.cgroup_id = int("cgroup_id")?,
            "cgroup_ancestors" => {
                let list = val.as_array().ok_or_else(|| {
                    EventError::new("task.cgroup_ancestors must be a list of cgroup ids")
                })?;
                t.cgroup_ancestors = list
                    .iter()
                    .map(|x| traceenv::int(x, "task.cgroup_ancestors[]"))
                    .collect::<Result<_, _>>()?;
            }
            "pidns_dev" => t.pidns.0 = int("pidns_dev")?,
            "pidns_ino" => t.pidns.1 = int("pidns_ino")?,
            "ptr" => ptr = Some(int("ptr")?),
            "comm" => {
                t.comm = val
                    .as_str()
                    .ok_or_else(|| EventError::new("task.comm must be a string"))?
                    .to_string()
            }
            other => {
                return Err(EventError::new(format!(
                    "unknown key `{other}` in `task` (known: pid, tgid, uid, gid, comm, cgroup_id, cgroup_ancestors, pidns_dev, pidns_ino, ptr)"
                )))
            }
        }
    }
    if !o.contains_key("tgid") {
        t.tgid = t.pid;
    }
    Ok((t, ptr))
}

/// Runs one event through a loaded program.
pub type FireFn = fn(&LoadedProgram, &mut HostState, &Value) -> Result<EventOutcome, EventError>;

/// The run side of one event-driven program-type family.
pub struct EventDriver {
    /// The event's JSON schema, documented for users (`bpfbox fire --help`
    /// and `bpfbox types`): fields, types, defaults, an example.
    pub schema: &'static str,
    /// Runs one event.
    pub fire: FireFn,
}

/// The driver for a program type, if bpfbox can fire events at it.
pub fn driver_for(prog_type: u32) -> Option<&'static EventDriver> {
    crate::types::ops_of(crate::ProgType::from_id(prog_type)?).event
}

/// Runs one event (a JSON object), keeping map state in `host`; for
/// sequences read one event at a time.
pub fn fire_one(
    prog: &LoadedProgram,
    host: &mut HostState,
    event: &Value,
) -> Result<EventOutcome, EventError> {
    let driver = driver_for(prog.prog_type_id()).ok_or_else(|| EventError::NoDriver {
        prog_type: prog.prog_type_name(),
    })?;
    (driver.fire)(prog, host, event)
}

/// Runs a sequence of events (a JSON array) or one event (any other JSON
/// value), keeping map state in `host` across them. Stops at the first
/// error, naming the event's index.
pub fn fire_all(
    prog: &LoadedProgram,
    host: &mut HostState,
    events: &Value,
) -> Result<Vec<EventOutcome>, EventError> {
    let driver = driver_for(prog.prog_type_id()).ok_or_else(|| EventError::NoDriver {
        prog_type: prog.prog_type_name(),
    })?;
    let one = |host: &mut HostState, ev: &Value| (driver.fire)(prog, host, ev);
    match events {
        Value::Array(list) => list
            .iter()
            .enumerate()
            .map(|(index, ev)| {
                one(host, ev).map_err(|e| EventError::InSequence {
                    index,
                    source: Box::new(e),
                })
            })
            .collect(),
        ev => Ok(vec![one(host, ev)?]),
    }
}

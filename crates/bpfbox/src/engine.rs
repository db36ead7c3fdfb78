//! Running an object's program on either engine with the same inputs:
//! bpfbox's interpreter ([`InterpEngine`]) or the running kernel
//! ([`KernelEngine`]), both behind [`Engine`], so `bpfbox run` and
//! `bpfbox diff` have one code path. Inputs and outputs are those of
//! `BPF_PROG_TEST_RUN`.

use crate::kobj::KernelObject;
use bpfbox_object::{Object, ProgramDef};
use bpfbox_progtype::Profile;
use bpfbox_runtime::{HostState, LoadedProgram, TestRunInput};
use serde::Serialize;
use std::path::Path;

/// Capacity of the `data_out` buffer both engines get: room for any packet
/// a program can grow to (XDP frames are at most a page plus fragments).
pub const DATA_OUT_CAPACITY: u32 = 1 << 16;

/// One test run's inputs.
#[derive(Debug, Clone, Default)]
pub struct RunInput {
    /// Packet (`data_in`).
    pub data_in: Vec<u8>,
    /// Context (`ctx_in`), if given.
    pub ctx_in: Option<Vec<u8>>,
    /// `repeat` (0 counts as 1).
    pub repeat: u32,
    /// `flags`.
    pub flags: u32,
}

impl RunInput {
    /// Whether there is a packet (`data_in`); without one (raw tracepoint,
    /// syscall programs) no `data_out` buffer is passed either, as the
    /// kernel refuses one for those types.
    pub fn has_data(&self) -> bool {
        !self.data_in.is_empty()
    }

    /// Whether a `ctx_out` buffer is passed: only with `ctx_in` (for XDP a
    /// ctx buffer without `ctx_in` is an all-zero `xdp_md`, which the
    /// kernel reads as an empty packet) and a packet (the context-only
    /// runners refuse `ctx_out`).
    pub fn wants_ctx_out(&self) -> bool {
        self.ctx_in.is_some() && self.has_data()
    }
}

/// Without a `ctx_out` buffer, a context the program changed is reported
/// from where the kernel writes it back (`ctx_in`, for syscall programs);
/// an unchanged one is not reported.
fn written_back(input: &RunInput, after: Option<Vec<u8>>) -> Option<Vec<u8>> {
    after.filter(|a| input.ctx_in.as_ref().is_some_and(|c| c != a))
}

/// One test run's outputs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RunOutput {
    /// `retval`.
    pub retval: u32,
    /// Error the syscall reported along with results (`ENOSPC`).
    pub errno: Option<i32>,
    /// Packet after the run.
    pub data_out: Vec<u8>,
    /// Context after the run.
    pub ctx_out: Option<Vec<u8>>,
    /// Mean wall-clock time per run, ns (each engine its own).
    pub duration_ns: u32,
    /// Lines `bpf_trace_printk` printed (the kernel engine: only after
    /// [`KernelEngine::capture_trace`]).
    pub trace: Vec<String>,
}

/// The cause of a [`RunError`], kept for [`std::error::Error::source`].
pub type Cause = std::sync::Arc<dyn std::error::Error + Send + Sync + 'static>;

/// A load or run that did not produce results.
#[derive(Debug, Clone, Default, thiserror::Error)]
#[error("{message}")]
pub struct RunError {
    /// What kind of failure it is, as a value to match on.
    pub kind: RunErrorKind,
    /// errno, when the failure is one (EINVAL for a bad ctx_in, ...).
    pub errno: Option<i32>,
    /// One line.
    pub message: String,
    /// For [`RunErrorKind::VerifierRefused`]: the verifier's log (the
    /// kernel's `BPF_PROG_LOAD` log, or bpfbox's diagnostics).
    pub log: Option<String>,
    /// The underlying error, when there is one.
    #[source]
    pub cause: Option<Cause>,
}

impl PartialEq for RunError {
    /// Equal when kind, errno and message are (the cause is not compared).
    fn eq(&self, other: &Self) -> bool {
        (self.kind, self.errno, &self.message) == (other.kind, other.errno, &other.message)
    }
}

impl Eq for RunError {}

impl RunError {
    /// The same error keeping `cause` as its source.
    pub fn caused_by(self, cause: impl std::error::Error + Send + Sync + 'static) -> Self {
        RunError {
            cause: Some(std::sync::Arc::new(cause)),
            ..self
        }
    }
}

/// What kind of failure a [`RunError`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum RunErrorKind {
    /// The program calls a helper (this id) its type may use but bpfbox
    /// does not implement.
    UnsupportedHelper(u32),
    /// A verifier (bpfbox's or the kernel's) refused the program.
    VerifierRefused,
    /// Bad input to a run: packet or context of the wrong size (EINVAL).
    BadInput,
    /// `bpf()` cannot be used here.
    KernelUnavailable,
    /// Anything else.
    #[default]
    Other,
}

impl RunErrorKind {
    /// The kind of a runtime load error.
    fn of_load(e: &bpfbox_runtime::Error) -> Self {
        match e {
            bpfbox_runtime::Error::UnsupportedHelper { id, .. } => {
                RunErrorKind::UnsupportedHelper(*id)
            }
            bpfbox_runtime::Error::HelperNotAllowed { .. } => RunErrorKind::VerifierRefused,
            _ => RunErrorKind::Other,
        }
    }

    /// The kind of a failed kernel-engine load: the kernel's verifier
    /// refusing the program (`BPF_PROG_LOAD` with a log) is told apart
    /// from other `bpf()` failures; `EPERM` (the process lacks the
    /// capabilities `bpf()` needs, e.g. after dropping them once the
    /// availability probe had passed) is the kernel being unavailable.
    fn of_kernel_load(e: &crate::kobj::Error) -> Self {
        match e {
            crate::kobj::Error::Unavailable(_) => RunErrorKind::KernelUnavailable,
            crate::kobj::Error::Kernel { source, .. }
                if source.errno().map(|n| n.raw()) == Some(libc::EPERM) =>
            {
                RunErrorKind::KernelUnavailable
            }
            crate::kobj::Error::Kernel { source, .. }
                if source.kind() == bpfbox_kernel::ErrorKind::Rejected =>
            {
                RunErrorKind::VerifierRefused
            }
            _ => RunErrorKind::Other,
        }
    }

    /// The kind of a failed run with this errno.
    fn of_errno(errno: i32) -> Self {
        if errno == libc::EINVAL {
            RunErrorKind::BadInput
        } else {
            RunErrorKind::Other
        }
    }
}

/// A map's contents after runs, in a form both engines can produce.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MapDump {
    /// Map name in the object.
    pub name: String,
    /// `(key, value)` pairs sorted by key. Values of maps that hold
    /// host-specific handles (prog arrays, map-in-map) are left empty.
    /// Arrays list only elements whose value is not all zero (every index
    /// exists; the zero ones are the untouched ones).
    pub entries: Vec<(Vec<u8>, Vec<u8>)>,
    /// Why the map's contents are not listed, if they are not.
    pub note: Option<String>,
}

/// An engine that runs one loaded program.
pub trait Engine {
    /// `interp` or `kernel`.
    fn name(&self) -> &'static str;
    /// Runs `BPF_PROG_TEST_RUN`.
    fn test_run(&mut self, input: &RunInput) -> Result<RunOutput, RunError>;
    /// Reads every map back (queues and stacks are drained, ring buffer
    /// records consumed: numbered in commit order).
    fn dump_maps(&mut self) -> Vec<MapDump>;
    /// Reads the maps that reading leaves unchanged, as [`dump_maps`]
    /// would list them; queues, stacks, ring buffers and perf event arrays
    /// (whose reading consumes) get a note instead, so runs after a peek
    /// behave as without it. For per-packet map changes.
    ///
    /// [`dump_maps`]: Engine::dump_maps
    fn peek_maps(&mut self) -> Vec<MapDump>;
    /// Writes one element of the object's map `map` from user space
    /// (`BPF_MAP_UPDATE_ELEM` with `BPF_ANY`), e.g. to give a devmap a
    /// target before the runs.
    fn update_map(&mut self, map: &str, key: &[u8], value: &[u8]) -> Result<(), RunError>;
    /// Puts the cgroup of directory `dir` in slot `key` of cgroup array
    /// `map`. The default stores the cgroup id, as bpfbox's helpers read
    /// it; the kernel engine stores the directory's fd, as the kernel
    /// takes it.
    fn set_cgroup_slot(&mut self, map: &str, key: &[u8], dir: &Path) -> Result<(), RunError> {
        let value = crate::setup::cgroup_slot_value(dir).map_err(|message| RunError {
            kind: RunErrorKind::BadInput,
            errno: None,
            message,
            ..Default::default()
        })?;
        self.update_map(map, key, &value)
    }
    /// Reads one element of map `map` from user space
    /// (`BPF_MAP_LOOKUP_ELEM`): `None` when the key is absent. Per-CPU
    /// maps give every CPU's value, one after the other.
    fn lookup_map(&mut self, map: &str, key: &[u8]) -> Result<Option<Vec<u8>>, RunError>;
    /// Deletes one element of map `map` from user space
    /// (`BPF_MAP_DELETE_ELEM`): `false` when the key was absent.
    fn delete_map(&mut self, map: &str, key: &[u8]) -> Result<bool, RunError>;
    /// Consumes the records of ring buffer `map`, oldest first. The
    /// default reads them through [`Engine::dump_maps`], which also drains
    /// the object's other queues, stacks and buffers.
    fn drain_map(&mut self, map: &str) -> Result<Vec<Vec<u8>>, RunError> {
        let d = self
            .dump_maps()
            .into_iter()
            .find(|d| d.name == map)
            .ok_or_else(|| no_map(map))?;
        Ok(d.entries.into_iter().map(|(_, v)| v).collect())
    }
    /// Runs an event-driven program on one event or a JSON array of them
    /// (`bpfbox fire`).
    fn fire(
        &mut self,
        events: &serde_json::Value,
    ) -> Result<Vec<bpfbox_runtime::events::EventOutcome>, RunError> {
        let _ = events;
        Err(RunError {
            kind: RunErrorKind::Other,
            errno: None,
            message: format!(
                "the {} engine does not fire events: in the kernel these programs run \
                 at real attachments",
                self.name()
            ),
            ..Default::default()
        })
    }
    /// Fills slot `i` of every perf_event_array (but those whose name ends
    /// in `_unopened`) with a BPF-output event on CPU `i`, as libbpf's perf
    /// buffer does; `dump_maps` then lists the records written to them
    /// (key: CPU and sequence number; value: the raw sample, zero-padded so
    /// its u32 size field plus data fill whole 8-byte words, as the kernel
    /// stores it).
    fn open_perf_buffers(&mut self) -> Result<(), RunError>;
    /// Attaches the fentry/fexit program `tracer` of `obj` to the program
    /// this engine runs (`target`): each test run then runs it before
    /// (fentry) or after (fexit) the target, as a BPF trampoline does.
    /// `same_object`: `obj` is the target's own object (the tracer shares
    /// its maps); otherwise the tracer's maps are created and listed as
    /// `OBJECT:MAP`. `verify`: run bpfbox's verifier on the tracer first.
    fn attach_tracing(
        &mut self,
        obj: &Object,
        tracer: &ProgramDef,
        target: &ProgramDef,
        same_object: bool,
        verify: bool,
    ) -> Result<(), RunError> {
        let _ = (obj, tracer, target, same_object, verify);
        Err(RunError {
            kind: RunErrorKind::Other,
            errno: None,
            message: format!(
                "the {} engine does not attach tracing programs to programs",
                self.name()
            ),
            ..Default::default()
        })
    }
}

/// Why a map is not listed: [`unlistable`], or a perf event array without
/// perf buffers.
fn note_for(name: &str, ty: u32, perf_open: bool) -> Option<String> {
    if ty == PERF_EVENT_ARRAY && !(perf_open && opened_perf(name, ty)) {
        return Some("perf event array without perf buffers: records go nowhere".into());
    }
    unlistable(ty).map(str::to_string)
}

/// Whether [`Engine::open_perf_buffers`] opens this map.
fn opened_perf(name: &str, map_type: u32) -> bool {
    map_type == PERF_EVENT_ARRAY && !name.ends_with("_unopened")
}

/// A perf sample as the kernel stores it: data zero-padded so that
/// `4 + len` is a multiple of 8.
fn perf_padded(mut data: Vec<u8>) -> Vec<u8> {
    let n = (data.len() + 4).next_multiple_of(8) - 4;
    data.resize(n, 0);
    data
}

fn perf_key(cpu: u32, seq: usize) -> Vec<u8> {
    let mut k = cpu.to_le_bytes().to_vec();
    k.extend_from_slice(&(seq as u32).to_le_bytes());
    k
}

/// The object's index of map `map`.
fn map_position(names: &[(String, u32)], map: &str) -> Result<usize, RunError> {
    names
        .iter()
        .position(|(n, _)| n == map)
        .ok_or_else(|| no_map(map))
}

const ENOENT: i32 = bpfbox_uapi::errno::ENOENT;

fn no_map(map: &str) -> RunError {
    RunError {
        kind: RunErrorKind::Other,
        errno: Some(2),
        message: format!("the object has no map `{map}`"),
        ..Default::default()
    }
}

use bpfbox_maps::MapType;

const ARRAY: u32 = MapType::Array as u32;
const PERCPU_ARRAY: u32 = MapType::PercpuArray as u32;
const QUEUE: u32 = MapType::Queue as u32;
const STACK: u32 = MapType::Stack as u32;
const RINGBUF: u32 = MapType::Ringbuf as u32;
const PERF_EVENT_ARRAY: u32 = MapType::PerfEventArray as u32;

/// Ring buffer records as dump entries: (record number, bytes), consumed.
fn numbered(records: Vec<Vec<u8>>) -> Vec<(Vec<u8>, Vec<u8>)> {
    records
        .into_iter()
        .enumerate()
        .map(|(i, r)| ((i as u32).to_le_bytes().to_vec(), r))
        .collect()
}

/// Why a map is not read by [`Engine::peek_maps`].
fn peek_note(name: &str, ty: u32) -> Option<String> {
    if matches!(ty, QUEUE | STACK | RINGBUF | PERF_EVENT_ARRAY) {
        return Some("not read between runs: reading consumes its records".into());
    }
    note_for(name, ty, false)
}

/// A map's `(key, value)` pairs.
type Entries = Vec<(Vec<u8>, Vec<u8>)>;

fn peeked(name: &str, ty: u32, entries: Result<Entries, String>) -> MapDump {
    let mut d = MapDump {
        name: name.to_string(),
        entries: Vec::new(),
        note: peek_note(name, ty),
    };
    if d.note.is_none() {
        match entries {
            Ok(mut e) => {
                e.sort();
                if handle_valued(ty) {
                    e.iter_mut().for_each(|e| e.1.clear());
                }
                d.entries = e;
            }
            Err(e) => d.note = Some(format!("cannot read: {e}")),
        }
    }
    d
}

/// Maps whose contents cannot be listed the same way in both engines.
fn unlistable(map_type: u32) -> Option<&'static str> {
    match map_type {
        t if t == MapType::Xskmap as u32 => Some("xskmap: AF_XDP sockets cannot be read back"),
        t if t == MapType::BloomFilter as u32 => Some("bloom filter: not iterable"),
        t if t == MapType::SkStorage as u32 => {
            Some("sk_storage: the kernel lists socket storage only through BPF iterators")
        }
        _ => None,
    }
}

/// Maps whose values are host-specific handles (fds, ids).
fn handle_valued(map_type: u32) -> bool {
    MapType::from_u32(map_type).is_some_and(|t| t == MapType::ProgArray || t.is_map_in_map())
}

fn ctx_size(prog_type: u32) -> Option<u32> {
    bpfbox_progtype::by_id(prog_type).map(|s| s.ctx.size)
}

/// The interpreter engine: a [`HostState`] holding the maps and the loaded
/// program.
pub struct InterpEngine {
    /// Maps, clock, PRNG, trace capture.
    pub host: HostState,
    prog: LoadedProgram,
    names: Vec<(String, u32)>,
    ctx_size: Option<u32>,
    perf_open: bool,
    /// Objects of attached tracers (by name) and their maps' host indices.
    attached_objects: Vec<(String, Vec<usize>)>,
}

impl InterpEngine {
    /// Verifies `def` (the full verifier, [`verify_object`]), creates the
    /// object's maps and loads `def` for the interpreter.
    /// The helpers available are those of `host.kernel`.
    pub fn new(obj: &Object, def: &ProgramDef, host: HostState) -> Result<Self, RunError> {
        if let Some(message) = crate::support::attached_only_refusal(def) {
            return Err(RunError {
                message,
                ..Default::default()
            });
        }
        if let Some(message) = crate::support::interp_refusal(obj, def) {
            return Err(RunError {
                kind: crate::support::first_unsupported_helper(def)
                    .map_or(RunErrorKind::Other, RunErrorKind::UnsupportedHelper),
                errno: None,
                message,
                ..Default::default()
            });
        }
        verify_object_on(obj, def, &host.kernel)?;
        Self::new_unverified(obj, def, host)
    }

    /// [`InterpEngine::new`] without the verifier (`--no-verify`): the
    /// interpreter's run-time checks alone keep the run memory safe.
    pub fn new_unverified(
        obj: &Object,
        def: &ProgramDef,
        host: HostState,
    ) -> Result<Self, RunError> {
        if let Some(message) = crate::support::attached_only_refusal(def) {
            return Err(RunError {
                message,
                ..Default::default()
            });
        }
        if let Some(message) = crate::support::interp_refusal(obj, def) {
            return Err(RunError {
                kind: crate::support::first_unsupported_helper(def)
                    .map_or(RunErrorKind::Other, RunErrorKind::UnsupportedHelper),
                errno: None,
                message,
                ..Default::default()
            });
        }
        let mut host = host;
        // bpfbox's verifier refused the helper calls `host.kernel` lacks
        // where it reaches them, as the kernel does (or the user chose not
        // to verify): dead ones load and would trap if reached
        let prog = LoadedProgram::from_object_with(
            &mut host,
            obj,
            &def.name,
            bpfbox_runtime::drivers::MissingHelpers::TrapIfReached,
        )
        .map_err(|e| {
            RunError {
                kind: RunErrorKind::of_load(&e),
                errno: None,
                message: e.to_string(),
                ..Default::default()
            }
            .caused_by(e)
        })?;
        Ok(InterpEngine {
            host,
            prog,
            names: obj
                .maps
                .iter()
                .map(|m| (m.name.clone(), m.map_type))
                .collect(),
            ctx_size: ctx_size(def.prog_type),
            perf_open: false,
            attached_objects: Vec::new(),
        })
    }
}

impl Engine for InterpEngine {
    fn name(&self) -> &'static str {
        "interp"
    }

    fn test_run(&mut self, input: &RunInput) -> Result<RunOutput, RunError> {
        let req = TestRunInput {
            data_in: input.data_in.clone(),
            data_size_out: input.has_data().then_some(DATA_OUT_CAPACITY),
            ctx_in: input.ctx_in.clone(),
            ctx_size_out: input.wants_ctx_out().then_some(self.ctx_size).flatten(),
            repeat: input.repeat,
            flags: input.flags,
            ..Default::default()
        };
        let out = bpfbox_runtime::test_run(&self.prog, &mut self.host, &req).map_err(|e| {
            RunError {
                kind: RunErrorKind::of_errno(e.errno),
                errno: Some(e.errno),
                message: e.to_string(),
                ..Default::default()
            }
            .caused_by(e)
        })?;
        let ctx_out = if input.wants_ctx_out() {
            out.ctx_out
        } else {
            written_back(input, out.ctx_out)
        };
        Ok(RunOutput {
            retval: out.retval,
            errno: out.errno,
            data_out: out.data_out,
            ctx_out,
            duration_ns: out.duration_ns,
            trace: std::mem::take(&mut self.host.trace),
        })
    }

    fn dump_maps(&mut self) -> Vec<MapDump> {
        let mut out = Vec::new();
        for ((name, ty), m) in self.names.iter().zip(self.host.maps.iter_mut()) {
            let mut d = MapDump {
                name: name.clone(),
                entries: Vec::new(),
                note: note_for(name, *ty, self.perf_open),
            };
            if d.note.is_none() {
                if matches!(*ty, QUEUE | STACK) {
                    while let Ok(v) = m.lookup_and_delete(&[], 0) {
                        d.entries.push((Vec::new(), v));
                    }
                } else if *ty == RINGBUF {
                    d.entries = numbered(m.ringbuf_consume());
                } else if *ty == PERF_EVENT_ARRAY {
                    d.entries = m
                        .take_perf_records()
                        .into_iter()
                        .enumerate()
                        .map(|(i, r)| (perf_key(r.cpu, i), perf_padded(r.data)))
                        .collect();
                } else {
                    d.entries = m.dump_entries();
                    d.entries.sort();
                }
                if handle_valued(*ty) {
                    d.entries.iter_mut().for_each(|e| e.1.clear());
                }
            }
            out.push(d);
        }
        out
    }

    fn peek_maps(&mut self) -> Vec<MapDump> {
        let maps = self.host.maps.iter_mut();
        self.names
            .iter()
            .zip(maps)
            .map(|((name, ty), m)| {
                let skip = peek_note(name, *ty).is_some();
                let entries = if skip { Vec::new() } else { m.dump_entries() };
                peeked(name, *ty, Ok(entries))
            })
            .collect()
    }

    fn update_map(&mut self, map: &str, key: &[u8], value: &[u8]) -> Result<(), RunError> {
        let i = self
            .names
            .iter()
            .position(|(n, _)| n == map)
            .ok_or_else(|| no_map(map))?;
        let m = self.host.maps.get_mut(i).ok_or_else(|| no_map(map))?;
        m.update(key, value, 0).map_err(|e| RunError {
            kind: RunErrorKind::Other,
            errno: Some(e.errno()),
            message: format!("updating `{map}`: {e}"),
            ..Default::default()
        })
    }

    fn lookup_map(&mut self, map: &str, key: &[u8]) -> Result<Option<Vec<u8>>, RunError> {
        let i = map_position(&self.names, map)?;
        let m = self.host.maps.get_mut(i).ok_or_else(|| no_map(map))?;
        match m.lookup(key) {
            Ok(v) => Ok(Some(v)),
            Err(e) if e.errno() == ENOENT => Ok(None),
            Err(e) => Err(RunError {
                kind: RunErrorKind::Other,
                errno: Some(e.errno()),
                message: format!("looking up `{map}`: {e}"),
                ..Default::default()
            }),
        }
    }

    fn drain_map(&mut self, map: &str) -> Result<Vec<Vec<u8>>, RunError> {
        let i = map_position(&self.names, map)?;
        let m = self.host.maps.get_mut(i).ok_or_else(|| no_map(map))?;
        Ok(m.ringbuf_consume())
    }

    fn fire(
        &mut self,
        events: &serde_json::Value,
    ) -> Result<Vec<bpfbox_runtime::events::EventOutcome>, RunError> {
        bpfbox_runtime::events::fire_all(&self.prog, &mut self.host, events).map_err(|e| {
            RunError {
                kind: if e.is_bad_event() {
                    RunErrorKind::BadInput
                } else {
                    RunErrorKind::Other
                },
                errno: None,
                message: e.to_string(),
                ..Default::default()
            }
            .caused_by(e)
        })
    }

    fn delete_map(&mut self, map: &str, key: &[u8]) -> Result<bool, RunError> {
        let i = map_position(&self.names, map)?;
        let m = self.host.maps.get_mut(i).ok_or_else(|| no_map(map))?;
        match m.delete(key) {
            Ok(()) => Ok(true),
            Err(e) if e.errno() == ENOENT => Ok(false),
            Err(e) => Err(RunError {
                kind: RunErrorKind::Other,
                errno: Some(e.errno()),
                message: format!("deleting from `{map}`: {e}"),
                ..Default::default()
            }),
        }
    }

    fn attach_tracing(
        &mut self,
        obj: &Object,
        tracer: &ProgramDef,
        target: &ProgramDef,
        same_object: bool,
        verify: bool,
    ) -> Result<(), RunError> {
        let other = |message: String| RunError {
            kind: RunErrorKind::Other,
            errno: None,
            message,
            ..Default::default()
        };
        crate::tracing::check_target(tracer, target).map_err(other)?;
        let btf = crate::tracing::model_btf(obj).map_err(other)?;
        if let Some(message) = crate::support::interp_refusal(obj, tracer) {
            return Err(RunError {
                kind: crate::support::first_unsupported_helper(tracer)
                    .map_or(RunErrorKind::Other, RunErrorKind::UnsupportedHelper),
                errno: None,
                message,
                ..Default::default()
            });
        }
        if verify {
            let typing = crate::tracing::TargetArgs::new(
                btf.clone(),
                tracer,
                self.prog.prog_type,
                &target.name,
            );
            let kernel = self.host.kernel.clone();
            verify_with(tracer, |insns| {
                check_object_traced(obj, tracer, insns, &kernel, Some(&typing)).map(|_| ())
            })?;
        }
        let missing = bpfbox_runtime::drivers::MissingHelpers::TrapIfReached;
        let load_err = |e: bpfbox_runtime::Error| RunError {
            kind: RunErrorKind::of_load(&e),
            errno: None,
            message: e.to_string(),
            ..Default::default()
        };
        let known = self
            .attached_objects
            .iter()
            .find(|(name, _)| *name == obj.name)
            .map(|(_, idx)| idx.clone());
        let loaded = if same_object {
            let idx: Vec<usize> = (0..obj.maps.len()).collect();
            LoadedProgram::from_object_linked(&mut self.host, obj, &tracer.name, &idx, missing)
        } else if let Some(idx) = known {
            // a second program of an object already attached shares its maps
            LoadedProgram::from_object_linked(&mut self.host, obj, &tracer.name, &idx, missing)
        } else {
            let first = self.host.maps.len();
            let p = LoadedProgram::from_object_with(&mut self.host, obj, &tracer.name, missing);
            if p.is_ok() {
                for m in &obj.maps {
                    self.names
                        .push((format!("{}:{}", obj.name, m.name), m.map_type));
                }
                let idx = (first..first + obj.maps.len()).collect();
                self.attached_objects.push((obj.name.clone(), idx));
            }
            p
        }
        .map_err(load_err)?;
        self.host
            .attach_tracing(loaded, &self.prog, btf)
            .map_err(load_err)
    }

    fn open_perf_buffers(&mut self) -> Result<(), RunError> {
        for ((name, ty), m) in self.names.iter().zip(self.host.maps.iter_mut()) {
            if opened_perf(name, *ty) {
                m.perf_open_all().map_err(|e| RunError {
                    kind: RunErrorKind::Other,
                    errno: Some(e.errno()),
                    message: format!("opening perf buffers of `{name}`: {e}"),
                    ..Default::default()
                })?;
            }
        }
        self.perf_open = true;
        Ok(())
    }
}

/// Runs the verifier's structural layer on `def`'s decoded instructions
/// with the kernel's conventions for its program type (no map or license
/// information: use [`check_object`] for the full verifier).
pub fn check(
    def: &ProgramDef,
    insns: &[bpfbox_isa::Insn],
) -> Result<(), Vec<bpfbox_verifier::Diagnostic>> {
    let opts = base_options(def);
    bpfbox_verifier::check(insns, &opts)
}

fn base_options(def: &ProgramDef) -> bpfbox_verifier::Options<'static> {
    let mut opts = bpfbox_verifier::Options::kernel();
    opts.helper_args = Some(|id| {
        u32::try_from(id)
            .ok()
            .and_then(bpfbox_progtype::helpers::proto)
            .map(|p| p.nargs() as u8)
    });
    opts.allow_ld_abs = bpfbox_progtype::by_id(def.prog_type).is_some_and(|s| s.ld_abs);
    opts
}

/// The kernel's `license_is_gpl_compatible`.
pub fn gpl_compatible(license: &str) -> bool {
    matches!(
        license,
        "GPL"
            | "GPL v2"
            | "GPL and additional rights"
            | "Dual BSD/GPL"
            | "Dual MIT/GPL"
            | "Dual MPL/GPL"
    )
}

/// The byte offset of the member of struct type `value` (BTF id) whose
/// type is `struct NAME` (a map value's `bpf_spin_lock`, `bpf_timer`).
fn field_offset(obj: &Object, value: u32, name: &str) -> Option<u32> {
    use bpfbox_object::btf::{kind, Extra};
    let btf = obj.btf.as_ref()?;
    let t = btf.type_by_id(btf.skip_mods_and_typedefs(value))?;
    let Extra::Members(members) = &t.extra else {
        return None;
    };
    members.iter().find_map(|mb| {
        let mt = btf.type_by_id(btf.skip_mods_and_typedefs(mb.type_id))?;
        (mt.kind == kind::STRUCT && btf.str_at(mt.name_off) == Some(name))
            .then_some(mb.bit_offset / 8)
    })
}

/// The verifier's view of `obj`'s maps, by map index (inner map templates
/// appended after the object's maps).
pub fn map_infos(obj: &Object) -> Vec<bpfbox_verifier::MapInfo> {
    let info = |m: &bpfbox_object::MapSpec| bpfbox_verifier::MapInfo {
        map_type: m.map_type,
        key_size: m.key_size,
        value_size: m.value_size,
        max_entries: m.max_entries,
        read_only: m.map_flags & bpfbox_uapi::map_flags::F_RDONLY_PROG != 0,
        inner: None,
        lock_off: field_offset(obj, m.btf_value_type_id, "bpf_spin_lock"),
        timer_off: field_offset(obj, m.btf_value_type_id, "bpf_timer"),
    };
    let mut out: Vec<_> = obj.maps.iter().map(info).collect();
    for (i, m) in obj.maps.iter().enumerate() {
        if let Some(inner) = &m.inner {
            out[i].inner = Some(out.len() as u32);
            out.push(info(inner));
        }
    }
    out
}

/// The full verifier (structural passes and the abstract interpreter)
/// on `def` of `obj`: its program type and expected attach type, the
/// object's maps and license. Returns what was proven.
pub fn check_object(
    obj: &Object,
    def: &ProgramDef,
    insns: &[bpfbox_isa::Insn],
) -> Result<bpfbox_verifier::Verified, Vec<bpfbox_verifier::Diagnostic>> {
    check_object_on(obj, def, insns, Profile::builtin())
}

/// [`check_object`] for the kernel `kernel` describes (its helper
/// availability).
pub fn check_object_on(
    obj: &Object,
    def: &ProgramDef,
    insns: &[bpfbox_isa::Insn],
    kernel: &Profile,
) -> Result<bpfbox_verifier::Verified, Vec<bpfbox_verifier::Diagnostic>> {
    check_object_traced(obj, def, insns, kernel, None)
}

/// [`check_object_on`] with the BTF typing of a tracing program's context
/// (fentry/fexit attached to a program: [`crate::tracing::TargetArgs`]).
pub fn check_object_traced(
    obj: &Object,
    def: &ProgramDef,
    insns: &[bpfbox_isa::Insn],
    kernel: &Profile,
    btf: Option<&dyn bpfbox_verifier::BtfTyping>,
) -> Result<bpfbox_verifier::Verified, Vec<bpfbox_verifier::Diagnostic>> {
    let maps = map_infos(obj);
    let mut opts = base_options(def);
    opts.prog = Some(bpfbox_verifier::ProgInfo {
        prog_type: def.prog_type,
        expected_attach_type: def.expected_attach_type,
    });
    opts.maps = &maps;
    opts.gpl = gpl_compatible(&obj.license);
    opts.kernel = Some(kernel);
    let globals = crate::globalfn::global_funcs(obj, def);
    opts.globals = &globals;
    let frozen: Vec<Option<&[u8]>> = obj
        .maps
        .iter()
        .map(|m| match m.kind {
            bpfbox_object::MapKind::Data(d) if d.frozen() => m.initial_data.as_deref(),
            _ => None,
        })
        .collect();
    opts.frozen = &frozen;
    opts.btf = btf;
    bpfbox_verifier::verify(insns, &opts)
}

/// The kernel's load-time checks that bpfbox has, without the object's
/// maps (structural layer only; see [`verify_object`]).
pub fn verify(def: &ProgramDef) -> Result<(), RunError> {
    verify_with(def, |insns| check(def, insns).map(|_| ()))
}

/// The full verifier on `def` of `obj` (what `run` and `fire` do before
/// running, unless `--no-verify`).
pub fn verify_object(obj: &Object, def: &ProgramDef) -> Result<(), RunError> {
    verify_object_on(obj, def, Profile::builtin())
}

/// [`verify_object`] for the kernel `kernel` describes.
pub fn verify_object_on(obj: &Object, def: &ProgramDef, kernel: &Profile) -> Result<(), RunError> {
    verify_with(def, |insns| {
        check_object_on(obj, def, insns, kernel).map(|_| ())
    })
}

fn verify_with(
    def: &ProgramDef,
    check: impl FnOnce(&[bpfbox_isa::Insn]) -> Result<(), Vec<bpfbox_verifier::Diagnostic>>,
) -> Result<(), RunError> {
    let insns = bpfbox_isa::decode(&def.insns).map_err(|e| RunError {
        kind: RunErrorKind::Other,
        errno: None,
        message: format!("{}: {e}", def.name),
        ..Default::default()
    })?;
    check(&insns).map_err(|diags| {
        let d = &diags[0];
        let line = def
            .line_for(d.primary.insn)
            .map(|l| format!(" at {}:{}: `{}`", l.file, l.line, l.text.trim()))
            .unwrap_or_default();
        let kernel = d
            .kernel
            .as_deref()
            .map(|k| format!(" (kernel: \"{k}\")"))
            .unwrap_or_default();
        let log = diags
            .iter()
            .map(|d| match &d.kernel {
                Some(k) => format!("insn {}: {} (kernel: \"{k}\")", d.primary.insn, d.message),
                None => format!("insn {}: {}", d.primary.insn, d.message),
            })
            .collect::<Vec<_>>()
            .join("\n");
        RunError {
            kind: RunErrorKind::VerifierRefused,
            errno: Some(bpfbox_uapi::errno::EACCES),
            message: format!(
                "verifier rejected `{}`: insn {}: {}{line}{kernel}",
                def.name, d.primary.insn, d.message
            ),
            log: Some(log),
            ..Default::default()
        }
    })
}

/// The kernel engine: the same object loaded with `bpf()`.
pub struct KernelEngine {
    obj: KernelObject,
    names: Vec<(String, u32)>,
    ctx_size: Option<u32>,
    /// Perf buffers by map index, one per CPU slot.
    perf: Vec<(usize, Vec<crate::kobj::PerfBuffer>)>,
    /// Where `bpf_trace_printk` lines are read from, once asked for.
    trace: Option<crate::kobj::TraceCapture>,
}

impl KernelEngine {
    /// Loads `def` and the object's maps into the running kernel.
    pub fn new(obj: &Object, def: &ProgramDef) -> Result<Self, RunError> {
        let k = KernelObject::load(obj, def).map_err(|e| {
            let (errno, log) = match &e {
                crate::kobj::Error::Kernel { source, .. } => (
                    source.errno().map(|n| n.raw()),
                    source.log().map(str::to_string),
                ),
                _ => (None, None),
            };
            RunError {
                kind: RunErrorKind::of_kernel_load(&e),
                errno,
                message: e.to_string(),
                log,
                ..Default::default()
            }
            .caused_by(e)
        })?;
        Ok(KernelEngine {
            obj: k,
            names: obj
                .maps
                .iter()
                .map(|m| (m.name.clone(), m.map_type))
                .collect(),
            ctx_size: ctx_size(def.prog_type),
            perf: Vec::new(),
            trace: None,
        })
    }
}

impl KernelEngine {
    /// Captures `bpf_trace_printk` lines from now on (a tracefs instance
    /// of this engine's own): later runs report them in
    /// [`RunOutput::trace`].
    pub fn capture_trace(&mut self) -> Result<(), RunError> {
        let t = crate::kobj::TraceCapture::new().map_err(|e| RunError {
            kind: RunErrorKind::Other,
            errno: None,
            message: e.to_string(),
            ..Default::default()
        })?;
        self.trace = Some(t);
        Ok(())
    }
}

impl Engine for KernelEngine {
    fn name(&self) -> &'static str {
        "kernel"
    }

    fn test_run(&mut self, input: &RunInput) -> Result<RunOutput, RunError> {
        let t = bpfbox_kernel::TestRun {
            data_in: input.has_data().then_some(&input.data_in[..]),
            data_size_out: if input.has_data() {
                DATA_OUT_CAPACITY
            } else {
                0
            },
            ctx_in: input.ctx_in.as_deref(),
            ctx_size_out: input
                .wants_ctx_out()
                .then_some(self.ctx_size)
                .flatten()
                .unwrap_or(0),
            repeat: input.repeat,
            flags: input.flags,
            ..Default::default()
        };
        let out = self.obj.prog.test_run(&t).map_err(|e| {
            RunError {
                kind: e
                    .errno()
                    .map_or(RunErrorKind::Other, |n| RunErrorKind::of_errno(n.raw())),
                errno: e.errno().map(|e| e.raw()),
                message: e.to_string(),
                ..Default::default()
            }
            .caused_by(e)
        })?;
        Ok(RunOutput {
            retval: out.retval,
            errno: out.errno.map(|e| e.raw()),
            data_out: out.data_out,
            ctx_out: if input.wants_ctx_out() {
                (out.ctx_size_out > 0).then_some(out.ctx_out)
            } else {
                written_back(input, Some(out.ctx_in_after))
            },
            duration_ns: out.duration_ns,
            trace: self
                .trace
                .as_ref()
                // SAFETY: gettid has no memory effects.
                .map(|t| t.take(unsafe { libc::gettid() }))
                .unwrap_or_default(),
        })
    }

    fn dump_maps(&mut self) -> Vec<MapDump> {
        let mut out = Vec::new();
        for (i, ((name, ty), m)) in self.names.iter().zip(&self.obj.maps).enumerate() {
            let mut d = MapDump {
                name: name.clone(),
                entries: Vec::new(),
                note: note_for(name, *ty, !self.perf.is_empty()),
            };
            if d.note.is_none() {
                if matches!(*ty, QUEUE | STACK) {
                    while let Ok(Some(v)) = m.lookup_and_delete(None) {
                        d.entries.push((Vec::new(), v));
                    }
                } else if *ty == PERF_EVENT_ARRAY {
                    let bufs = self.perf.iter_mut().filter(|p| p.0 == i);
                    for (cpu, buf) in bufs.flat_map(|p| p.1.iter_mut().enumerate()) {
                        for (seq, s) in buf.take_samples().into_iter().enumerate() {
                            d.entries.push((perf_key(cpu as u32, seq), s));
                        }
                    }
                } else if *ty == RINGBUF {
                    match crate::kobj::ringbuf_records(m, m.max_entries() as usize) {
                        Ok(r) => d.entries = numbered(r),
                        Err(e) => d.note = Some(format!("cannot read: {e}")),
                    }
                } else {
                    match kernel_dump_entries(m, *ty) {
                        Ok(mut e) => {
                            e.sort();
                            d.entries = e;
                        }
                        Err(e) => d.note = Some(format!("cannot read: {e}")),
                    }
                }
                if handle_valued(*ty) {
                    d.entries.iter_mut().for_each(|e| e.1.clear());
                }
            }
            out.push(d);
        }
        out
    }

    fn peek_maps(&mut self) -> Vec<MapDump> {
        self.names
            .iter()
            .zip(&self.obj.maps)
            .map(|((name, ty), m)| {
                let entries = if peek_note(name, *ty).is_some() {
                    Ok(Vec::new())
                } else {
                    kernel_dump_entries(m, *ty).map_err(|e| e.to_string())
                };
                peeked(name, *ty, entries)
            })
            .collect()
    }

    fn update_map(&mut self, map: &str, key: &[u8], value: &[u8]) -> Result<(), RunError> {
        let i = self
            .names
            .iter()
            .position(|(n, _)| n == map)
            .ok_or_else(|| no_map(map))?;
        let m = self.obj.maps.get(i).ok_or_else(|| no_map(map))?;
        m.update(key, value, 0).map_err(|e| RunError {
            kind: RunErrorKind::Other,
            errno: e.errno().map(|e| e.raw()),
            message: format!("updating `{map}`: {e}"),
            ..Default::default()
        })
    }

    fn set_cgroup_slot(&mut self, map: &str, key: &[u8], dir: &Path) -> Result<(), RunError> {
        use std::os::fd::AsRawFd;
        let f = std::fs::File::open(dir).map_err(|e| RunError {
            kind: RunErrorKind::BadInput,
            errno: e.raw_os_error(),
            message: format!("{}: {e}", dir.display()),
            ..Default::default()
        })?;
        // the kernel takes a reference on the cgroup; the fd may close
        self.update_map(map, key, &(f.as_raw_fd() as u32).to_ne_bytes())
    }

    fn lookup_map(&mut self, map: &str, key: &[u8]) -> Result<Option<Vec<u8>>, RunError> {
        let i = map_position(&self.names, map)?;
        let m = self.obj.maps.get(i).ok_or_else(|| no_map(map))?;
        m.lookup(key).map_err(|e| RunError {
            kind: RunErrorKind::Other,
            errno: e.errno().map(|e| e.raw()),
            message: format!("looking up `{map}`: {e}"),
            ..Default::default()
        })
    }

    fn delete_map(&mut self, map: &str, key: &[u8]) -> Result<bool, RunError> {
        let i = map_position(&self.names, map)?;
        let m = self.obj.maps.get(i).ok_or_else(|| no_map(map))?;
        match m.delete(key) {
            Ok(()) => Ok(true),
            Err(e) if e.errno().map(|e| e.raw()) == Some(ENOENT) => Ok(false),
            Err(e) => Err(RunError {
                kind: RunErrorKind::Other,
                errno: e.errno().map(|e| e.raw()),
                message: format!("deleting from `{map}`: {e}"),
                ..Default::default()
            }),
        }
    }

    fn open_perf_buffers(&mut self) -> Result<(), RunError> {
        let cpus = bpfbox_kernel::possible_cpus().unwrap_or(1) as u32;
        let err = |message: String| RunError {
            kind: RunErrorKind::Other,
            errno: None,
            message,
            ..Default::default()
        };
        for (i, ((name, ty), m)) in self.names.iter().zip(&self.obj.maps).enumerate() {
            if !opened_perf(name, *ty) {
                continue;
            }
            let mut bufs = Vec::new();
            for cpu in 0..m.max_entries().min(cpus) {
                let b = crate::kobj::PerfBuffer::open(cpu).map_err(|e| err(e.to_string()))?;
                let fd = b.raw_fd() as u32;
                m.update(&cpu.to_ne_bytes(), &fd.to_ne_bytes(), 0)
                    .map_err(|e| err(format!("filling `{name}` slot {cpu}: {e}")))?;
                bufs.push(b);
            }
            self.perf.push((i, bufs));
        }
        if self.perf.is_empty() {
            // no perf map: remember the call with an empty entry
            self.perf.push((usize::MAX, Vec::new()));
        }
        Ok(())
    }
}

/// A kernel map's elements as [`bpfbox_maps::Map::dump_entries`] lists
/// them: arrays without their all-zero elements, read in batches so that
/// memory stays proportional to the elements listed.
fn kernel_dump_entries(
    m: &bpfbox_kernel::KernelMap,
    ty: u32,
) -> Result<Vec<bpfbox_kernel::Entry>, bpfbox_kernel::Error> {
    let skip_zero = matches!(ty, ARRAY | PERCPU_ARRAY);
    let mut out = Vec::new();
    m.for_each_entry(|k, v| {
        if !(skip_zero && v.iter().all(|&b| b == 0)) {
            out.push((k.to_vec(), v.to_vec()));
        }
    })?;
    Ok(out)
}

/// Pins the calling thread to CPU 0 so per-CPU map slots the kernel
/// writes are the ones bpfbox (CPU 0 by default) writes.
pub fn pin_to_cpu0() {
    // SAFETY: a zeroed cpu_set_t is a valid empty set; CPU_SET and
    // sched_setaffinity only read and write that local set.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(0, &mut set);
        libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set);
    }
}

/// A host state matching the kernel's CPU count, for diffs.
pub fn host_like_kernel() -> HostState {
    let mut host = HostState::default();
    if let Ok(n) = bpfbox_kernel::possible_cpus() {
        host.nr_cpus = n as u32;
    }
    host
}

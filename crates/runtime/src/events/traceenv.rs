//! What tracing programs (KPROBE, TRACEPOINT, RAW_TRACEPOINT, PERF_EVENT,
//! SYSCALL) see besides their ctx: the current task, a memory image that
//! `bpf_probe_read_*` reads, the attach cookie and the probed function's
//! address; plus the event-JSON parts every tracing event shares and the
//! collection of perf / ring-buffer output.
//!
//! Common event keys (all optional):
//!
//! * `memory`: list of `{"addr": A, "bytes": "68690a"}` or
//!   `{"addr": A, "string": "text"}` (a NUL is appended). Addresses at or
//!   above `0xffff800000000000` are kernel memory (`probe_read_kernel`),
//!   below `0x00007ffffffff000` user memory (`probe_read_user`). Reads
//!   touching a byte outside every region fail with `-EFAULT` and zero the
//!   destination, as the kernel's `copy_from_*_nofault` does.
//! * `task`: `{"pid", "tgid", "uid", "gid", "comm", "ptr"}` for
//!   `get_current_pid_tgid`, `get_current_uid_gid`, `get_current_comm`
//!   (the host's [`Task`]), `get_current_task` (`ptr`); defaults pid =
//!   tgid = 1000 (tgid follows pid when only pid is given), uid = gid =
//!   0, comm `bpfbox`, ptr `0xffff888001000000`.
//! * `cookie`: `bpf_get_attach_cookie` (default 0).
//! * `counters`: `{"SLOT": {"counter", "enabled", "running"}}` (or an
//!   integer counter): what `bpf_perf_event_read(_value)` read from that
//!   perf_event_array slot (default 0s; slot `i` is bound to CPU `i`).
//! * `cpu`: `bpf_get_smp_processor_id` and the per-CPU map slot (default
//!   the host's CPU); must be below the host's CPU count.
//! * `stack`: `{"kernel": [ip, ...], "user": [ip, ...]}`, innermost frame
//!   first: the call chains `bpf_get_stack`, `bpf_get_stackid` and
//!   `bpf_get_task_stack` (current task) collect (default: none, which the
//!   helpers answer with `-EFAULT`, as the kernel does for an empty chain).
//!
//! Integers may be JSON numbers or strings (`"0xffff…"`, `"-1"`).

use super::tracefs::parse_u64;
use super::{EventError, EventOutcome};
use crate::drivers::{run_with_ctx, ExtraRegion, LoadedProgram};
use crate::host::{HostState, Task};
use serde_json::{json, Map, Value};

/// First byte of the x86-64 kernel half (`__PAGE_OFFSET_BASE` region and
/// above are kernel addresses; everything canonical at or above this).
pub const KERNEL_START: u64 = 0xffff_8000_0000_0000;
/// `TASK_SIZE_MAX` on x86-64 with 4-level paging: the end of user space.
pub const TASK_SIZE_MAX: u64 = (1 << 47) - 4096;

/// One block of the memory image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemRegion {
    /// Address of the first byte.
    pub addr: u64,
    /// Contents.
    pub bytes: Vec<u8>,
}

/// Tracing state of one event, kept in the host's event slot
/// ([`HostState::event`]) for the helpers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TracingState {
    /// The memory image `probe_read_*` read.
    pub memory: Vec<MemRegion>,
    /// `bpf_get_current_task()`.
    pub task_ptr: u64,
    /// `bpf_get_attach_cookie`.
    pub cookie: u64,
    /// `bpf_get_func_ip` (kprobe: the probed function).
    pub func_ip: u64,
    /// `bpf_perf_prog_read_value`: counter, enabled, running.
    pub perf_value: [u64; 3],
    /// Signals `bpf_send_signal(_thread)` sent: (signal, to the thread
    /// only).
    pub signals: Vec<(u32, bool)>,
    /// `bpf_perf_event_read(_value)`: (perf_event_array slot, [counter,
    /// enabled, running]).
    pub perf_counters: Vec<(u32, [u64; 3])>,
    /// Kernel call chain, innermost frame first.
    pub kernel_stack: Vec<u64>,
    /// User call chain, innermost frame first.
    pub user_stack: Vec<u64>,
}

/// Why a memory-image read failed (the helper's negative errno).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadError {
    /// `-EFAULT`: a byte is not in any region.
    Fault,
    /// `-ERANGE`: a kernel read of a user or non-canonical address
    /// (`copy_from_kernel_nofault_allowed`).
    Range,
}

/// Default `bpf_get_current_task()` value.
pub const DEFAULT_TASK_PTR: u64 = 0xffff_8880_0100_0000;

impl Default for TracingState {
    fn default() -> Self {
        TracingState {
            memory: Vec::new(),
            task_ptr: DEFAULT_TASK_PTR,
            cookie: 0,
            func_ip: 0,
            perf_value: [0; 3],
            signals: Vec::new(),
            perf_counters: Vec::new(),
            kernel_stack: Vec::new(),
            user_stack: Vec::new(),
        }
    }
}

impl TracingState {
    /// The byte at `addr`, if the image has it.
    pub fn byte(&self, addr: u64) -> Option<u8> {
        self.memory.iter().find_map(|r| {
            let off = addr.checked_sub(r.addr)?;
            r.bytes.get(usize::try_from(off).ok()?).copied()
        })
    }

    /// `len` bytes at `addr`, all of which must be in the image.
    pub fn read(&self, addr: u64, len: usize) -> Result<Vec<u8>, ReadError> {
        // fast path: one region holds it all
        for r in &self.memory {
            if let Some(off) = addr.checked_sub(r.addr) {
                let off = off as usize;
                if off < r.bytes.len() && r.bytes.len() - off >= len {
                    return Ok(r.bytes[off..off + len].to_vec());
                }
            }
        }
        (0..len as u64)
            .map(|i| {
                addr.checked_add(i)
                    .and_then(|a| self.byte(a))
                    .ok_or(ReadError::Fault)
            })
            .collect()
    }
}

/// Whether a kernel read of `addr..addr+len` may be attempted at all
/// (x86 `copy_from_kernel_nofault_allowed`: not user space, not the
/// guard page, canonical).
pub fn kernel_addr_ok(addr: u64) -> bool {
    // everything from TASK_SIZE_MAX + PAGE_SIZE up to the kernel half is
    // non-canonical with 4-level paging
    addr >= KERNEL_START
}

/// Decodes a hex string (spaces and `0x` prefix allowed).
pub fn hex_bytes(s: &str) -> Option<Vec<u8>> {
    let s: String = s
        .trim()
        .trim_start_matches("0x")
        .chars()
        .filter(|c| !c.is_whitespace() && *c != ':')
        .collect();
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).ok())
        .collect()
}

/// Lower-case hex of `b`.
pub fn to_hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// An integer event value, with the key named in the error.
pub fn int(v: &Value, key: &str) -> Result<u64, EventError> {
    parse_u64(v).ok_or_else(|| {
        EventError::new(format!(
            "`{key}`: expected an integer (number or \"0x…\" string), got {v}"
        ))
    })
}

/// The event as a JSON object, refusing keys outside `allowed` (plus the
/// common keys).
pub fn object<'a>(
    ev: &'a Value,
    ty: &str,
    allowed: &[&str],
) -> Result<&'a Map<String, Value>, EventError> {
    super::json_object(ev, ty, allowed, COMMON_KEYS)
}

/// Keys [`apply_common`] reads.
pub const COMMON_KEYS: &[&str] = &["memory", "task", "cookie", "cpu", "counters", "stack"];

/// `sysctl_perf_event_max_stack`'s default: the deepest chain collected.
const MAX_STACK: usize = 127;

/// `stack`: `{"kernel": [...], "user": [...]}`.
fn parse_stack(v: &Value, st: &mut TracingState) -> Result<(), EventError> {
    let o = v.as_object().ok_or_else(|| {
        EventError::new("`stack` must be an object: {\"kernel\": [ip, ...], \"user\": [ip, ...]}")
    })?;
    for (k, list) in o {
        let frames = list
            .as_array()
            .ok_or_else(|| EventError::new(format!("stack.{k} must be a list of addresses")))?;
        if frames.len() > MAX_STACK {
            return Err(EventError::new(format!(
                "stack.{k} has {} frames; a call chain holds at most {MAX_STACK}",
                frames.len()
            )));
        }
        let ips = frames
            .iter()
            .enumerate()
            .map(|(i, f)| int(f, &format!("stack.{k}[{i}]")))
            .collect::<Result<Vec<u64>, _>>()?;
        match k.as_str() {
            "kernel" => st.kernel_stack = ips,
            "user" => st.user_stack = ips,
            _ => {
                return Err(EventError::new(format!(
                    "stack: unknown key `{k}` (kernel, user)"
                )))
            }
        }
    }
    Ok(())
}

/// `counters`: `{"SLOT": {"counter", "enabled", "running"}}` (or a bare
/// integer for the counter) for `bpf_perf_event_read(_value)`.
fn parse_counters(v: &Value) -> Result<Vec<(u32, [u64; 3])>, EventError> {
    let o = v.as_object().ok_or_else(|| {
        EventError::new("`counters` must be an object: slot -> {counter, enabled, running}")
    })?;
    let mut out = Vec::new();
    for (k, c) in o {
        let slot = k
            .parse::<u32>()
            .map_err(|_| EventError::new(format!("counters: `{k}` is not a slot number")))?;
        let mut vals = [0u64; 3];
        match c {
            Value::Object(f) => {
                for (name, x) in f {
                    let i = ["counter", "enabled", "running"]
                        .iter()
                        .position(|n| n == name)
                        .ok_or_else(|| {
                            EventError::new(format!(
                                "counters.{k}: unknown key `{name}` (counter, enabled, running)"
                            ))
                        })?;
                    vals[i] = int(x, &format!("counters.{k}.{name}"))?;
                }
            }
            other => vals[0] = int(other, &format!("counters.{k}"))?,
        }
        out.push((slot, vals));
    }
    Ok(out)
}

fn parse_memory(v: &Value) -> Result<Vec<MemRegion>, EventError> {
    let list = v
        .as_array()
        .ok_or_else(|| EventError::new("`memory` must be a list of {addr, bytes|string}"))?;
    let mut out = Vec::new();
    for (i, r) in list.iter().enumerate() {
        let o = r
            .as_object()
            .ok_or_else(|| EventError::new(format!("memory[{i}] must be an object")))?;
        let addr = int(
            o.get("addr")
                .ok_or_else(|| EventError::new(format!("memory[{i}] has no `addr`")))?,
            "addr",
        )?;
        let bytes = match (o.get("bytes"), o.get("string")) {
            (Some(Value::String(h)), None) => hex_bytes(h)
                .ok_or_else(|| EventError::new(format!("memory[{i}].bytes is not a hex string")))?,
            (None, Some(Value::String(s))) => {
                let mut b = s.as_bytes().to_vec();
                b.push(0);
                b
            }
            _ => {
                return Err(EventError::new(format!(
                    "memory[{i}] needs exactly one of `bytes` (hex) or `string`"
                )))
            }
        };
        if addr.checked_add(bytes.len() as u64).is_none() {
            return Err(EventError::new(format!(
                "memory[{i}] runs past the end of the address space"
            )));
        }
        out.push(MemRegion { addr, bytes });
    }
    Ok(out)
}

fn parse_task(v: &Value, state: &mut TracingState) -> Result<Task, EventError> {
    let (t, ptr) = super::task_from_json(v)?;
    if let Some(p) = ptr {
        state.task_ptr = p;
    }
    Ok(t)
}

/// Applies the common keys of `ev`: sets `host.task` and the CPU, and
/// returns the event's tracing state (every event starts from the
/// defaults: nothing but map state carries over between events).
pub fn apply_common(
    host: &mut HostState,
    ev: &Map<String, Value>,
) -> Result<TracingState, EventError> {
    let mut st = TracingState::default();
    if let Some(m) = ev.get("memory") {
        st.memory = parse_memory(m)?;
    }
    host.task = match ev.get("task") {
        Some(t) => parse_task(t, &mut st)?,
        None => Task::default(),
    };
    if let Some(c) = ev.get("cookie") {
        st.cookie = int(c, "cookie")?;
    }
    if let Some(c) = ev.get("counters") {
        st.perf_counters = parse_counters(c)?;
    }
    if let Some(c) = ev.get("stack") {
        parse_stack(c, &mut st)?;
    }
    if let Some(c) = ev.get("cpu") {
        let cpu = int(c, "cpu")?;
        if cpu >= u64::from(host.nr_cpus.max(1)) {
            return Err(EventError::new(format!(
                "`cpu` {cpu} is not below the host's {} CPUs",
                host.nr_cpus.max(1)
            )));
        }
        host.cpu = cpu as u32;
        for m in &mut host.maps {
            let _ = m.set_current_cpu(host.cpu);
        }
    }
    Ok(st)
}

/// Runs `prog` on `ctx` and builds the outcome: `action` from `describe`,
/// effects with the perf and ring-buffer records the run produced:
/// `perf_event_output: [{map, cpu, index, data}]` (perf_event_array slots
/// are open on every CPU, as libbpf's perf buffer does) and
/// `ringbuf: [{map, data}]` (records consumed after the event), `data` in
/// hex, `map` the map's name; `signals: [{signal, to}]` from
/// `bpf_send_signal` (`to` = `process`) and `bpf_send_signal_thread`
/// (`thread`).
pub fn run_event(
    prog: &LoadedProgram,
    host: &mut HostState,
    state: TracingState,
    ctx: &mut [u8],
    describe: impl Fn(u64) -> String,
) -> Result<EventOutcome, EventError> {
    run_event_with(prog, host, state, ctx, &mut [], describe)
}

/// [`run_event`] with extra guest memory (a writable tracepoint buffer).
pub fn run_event_with(
    prog: &LoadedProgram,
    host: &mut HostState,
    state: TracingState,
    ctx: &mut [u8],
    extra: &mut [ExtraRegion<'_>],
    describe: impl Fn(u64) -> String,
) -> Result<EventOutcome, EventError> {
    host.event.set(state);
    // A perf buffer reader has every CPU's event open (libbpf's layout).
    for m in &mut host.maps {
        if m.def().map_type == bpfbox_maps::MapType::PerfEventArray && m.is_empty() {
            let _ = m.perf_open_all();
        }
    }
    let trace_before = host.trace.len();
    let run = run_with_ctx(prog, host, ctx, extra);
    let signals = host
        .event
        .take::<TracingState>()
        .map(|st| st.signals)
        .unwrap_or_default();
    let run = run.map_err(EventError::Trapped)?;
    let trace = host.trace.split_off(trace_before);
    let mut effects = Map::new();
    let mut perf = Vec::new();
    let mut ring = Vec::new();
    for m in host.maps.iter_mut() {
        let name = m.def().name.clone();
        for r in m.take_perf_records() {
            perf.push(json!({"map": name, "cpu": r.cpu, "index": r.index,
                             "data": to_hex(&r.data)}));
        }
        if m.def().map_type == bpfbox_maps::MapType::Ringbuf {
            for r in m.ringbuf_consume() {
                ring.push(json!({"map": name, "data": to_hex(&r)}));
            }
        }
    }
    if !perf.is_empty() {
        effects.insert("perf_event_output".into(), Value::Array(perf));
    }
    if !ring.is_empty() {
        effects.insert("ringbuf".into(), Value::Array(ring));
    }
    if !signals.is_empty() {
        let list = signals
            .iter()
            .map(|&(sig, thread)| {
                json!({"signal": sig, "to": if thread { "thread" } else { "process" }})
            })
            .collect();
        effects.insert("signals".into(), Value::Array(list));
    }
    Ok(EventOutcome {
        retval: run.retval,
        action: describe(run.retval),
        effects,
        trace,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_reads() {
        let s = TracingState {
            memory: vec![
                MemRegion {
                    addr: 0x1000,
                    bytes: vec![1, 2, 3, 4],
                },
                MemRegion {
                    addr: 0x1004,
                    bytes: vec![5, 6],
                },
            ],
            ..Default::default()
        };
        assert_eq!(s.read(0x1001, 2), Ok(vec![2, 3]));
        assert_eq!(
            s.read(0x1002, 4),
            Ok(vec![3, 4, 5, 6]),
            "spans adjacent regions"
        );
        assert_eq!(s.read(0x1004, 3), Err(ReadError::Fault));
        assert_eq!(s.read(0xfff, 1), Err(ReadError::Fault));
        assert_eq!(s.read(u64::MAX, 2), Err(ReadError::Fault));
        assert!(kernel_addr_ok(0xffff_8880_0000_0000));
        assert!(!kernel_addr_ok(0x7fff_ffff_f000));
        assert!(!kernel_addr_ok(0x0000_8000_0000_0000), "non-canonical");
    }

    #[test]
    fn common_keys() {
        let mut h = HostState {
            nr_cpus: 2,
            ..Default::default()
        };
        let ev = json!({"memory": [{"addr": "0xffff888000000000", "string": "hi"},
                                   {"addr": 4096, "bytes": "00ff"}],
                        "task": {"pid": 7, "comm": "a-very-long-command"}, "cookie": "0x10", "cpu": 1});
        let st = apply_common(&mut h, ev.as_object().unwrap()).unwrap();
        assert_eq!(st.memory[0].bytes, b"hi\0");
        assert_eq!(st.memory[1].bytes, [0, 0xff]);
        assert_eq!((h.task.pid, h.task.tgid), (7, 7));
        assert_eq!(h.task.comm, "a-very-long-command");
        assert_eq!((st.cookie, h.cpu), (16, 1));
        for bad in [
            json!({"cpu": 2}),
            json!({"memory": [{"addr": 1}]}),
            json!({"memory": [{"addr": 1, "bytes": "abc"}]}),
            json!({"task": {"pdi": 1}}),
            json!({"task": {"pid": -1}}),
        ] {
            assert!(
                apply_common(&mut h, bad.as_object().unwrap()).is_err(),
                "{bad}"
            );
        }
        assert!(object(&json!({"x": 1}), "kprobe", &["regs"]).is_err());
        assert!(object(&json!([1]), "kprobe", &["regs"]).is_err());
    }
}

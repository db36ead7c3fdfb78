//! KPROBE (type 2) events: a kprobe/kretprobe/uprobe hit. The ctx is the
//! x86-64 `struct pt_regs` (168 bytes) at the probe; helpers read kernel
//! and user memory from the event's memory image
//! ([`super::traceenv`]).
//!
//! Checked against the kernel (crates/runtime/tests/events_trace.rs): the
//! test machine has no kprobe PMU (`CONFIG_KPROBES=n`), so a KPROBE
//! program reading every `pt_regs` slot is attached as a *uprobe* to a
//! function of the test binary; the registers, `get_func_ip`, the probe
//! reads and the task helpers it records must equal what bpfbox records
//! for the same hit. The verifier checks the offsets too (every slot
//! loads, offset 168 does not).

use super::traceenv::{apply_common, int, object, run_event};
use super::{EventDriver, EventError, EventOutcome};
use crate::drivers::LoadedProgram;
use crate::host::HostState;
use bpfbox_progtype::AttachType;
use serde_json::{Map, Value};

/// `struct pt_regs` on x86-64: (register, offset). 21 slots of 8 bytes.
pub const PT_REGS: [(&str, usize); 21] = [
    ("r15", 0),
    ("r14", 8),
    ("r13", 16),
    ("r12", 24),
    ("bp", 32),
    ("bx", 40),
    ("r11", 48),
    ("r10", 56),
    ("r9", 64),
    ("r8", 72),
    ("ax", 80),
    ("cx", 88),
    ("dx", 96),
    ("si", 104),
    ("di", 112),
    ("orig_ax", 120),
    ("ip", 128),
    ("cs", 136),
    ("flags", 144),
    ("sp", 152),
    ("ss", 160),
];

/// `sizeof(struct pt_regs)`.
pub const PT_REGS_SIZE: usize = 168;

/// `PT_REGS_PARM1..6` on x86-64 (the System V argument registers).
pub const ARG_REGS: [&str; 6] = ["di", "si", "dx", "cx", "r8", "r9"];

/// Offset of a register by name; `rax`-style names and `PARM1..6`-style
/// aliases (`arg1`..`arg6`) are accepted too.
pub fn reg_offset(name: &str) -> Option<usize> {
    let n = name.to_ascii_lowercase();
    let n = n.as_str();
    let n = match n {
        "arg1" => "di",
        "arg2" => "si",
        "arg3" => "dx",
        "arg4" => "cx",
        "arg5" => "r8",
        "arg6" => "r9",
        "rc" | "ret" => "ax",
        _ => n,
    };
    let n = match n.strip_prefix('r') {
        Some(rest) if PT_REGS.iter().any(|(r, _)| *r == rest) => rest,
        _ => n,
    };
    let n = match n {
        "ip" | "sp" | "flags" => n,
        "eflags" => "flags",
        _ => n,
    };
    PT_REGS.iter().find(|(r, _)| *r == n).map(|(_, o)| *o)
}

/// Builds the `pt_regs` image from `regs` (name → integer), `args`
/// (PT_REGS_PARM1.. in di, si, dx, cx, r8, r9) and `ret` (ax).
pub fn regs_image(ev: &Map<String, Value>) -> Result<[u8; PT_REGS_SIZE], EventError> {
    let mut img = [0u8; PT_REGS_SIZE];
    let mut put = |name: &str, v: &Value, key: &str| -> Result<(), EventError> {
        let off = reg_offset(name).ok_or_else(|| {
            let names: Vec<&str> = PT_REGS.iter().map(|(n, _)| *n).collect();
            EventError::new(format!(
                "unknown register `{name}` (x86-64 pt_regs: {})",
                names.join(", ")
            ))
        })?;
        let x = int(v, key)?;
        img[off..off + 8].copy_from_slice(&x.to_le_bytes());
        Ok(())
    };
    if let Some(r) = ev.get("regs") {
        let o = r
            .as_object()
            .ok_or_else(|| EventError::new("`regs` must be an object of register: value"))?;
        for (k, v) in o {
            put(k, v, &format!("regs.{k}"))?;
        }
    }
    if let Some(a) = ev.get("args") {
        let list = a
            .as_array()
            .ok_or_else(|| EventError::new("`args` must be a list of at most 6 integers"))?;
        if list.len() > ARG_REGS.len() {
            return Err(EventError::new(format!(
                "`args` has {} values; x86-64 passes 6 in registers (di si dx cx r8 r9)",
                list.len()
            )));
        }
        for (i, v) in list.iter().enumerate() {
            put(ARG_REGS[i], v, &format!("args[{i}]"))?;
        }
    }
    if let Some(v) = ev.get("ret") {
        put("ax", v, "ret")?;
    }
    Ok(img)
}

/// Reads register `name` from a `pt_regs` image.
pub fn reg(img: &[u8], name: &str) -> Option<u64> {
    let off = reg_offset(name)?;
    let b = img.get(off..off + 8)?;
    let mut w = [0u8; 8];
    w.copy_from_slice(b);
    Some(u64::from_le_bytes(w))
}

const KEYS: &[&str] = &["regs", "args", "ret", "func_ip"];

fn fire(
    prog: &LoadedProgram,
    host: &mut HostState,
    ev: &Value,
) -> Result<EventOutcome, EventError> {
    let obj = object(ev, "kprobe", KEYS)?;
    let mut st = apply_common(host, obj)?;
    let mut img = regs_image(obj)?;
    st.func_ip = match obj.get("func_ip") {
        Some(v) => int(v, "func_ip")?,
        None => reg(&img, "ip").unwrap_or(0),
    };
    let session = [
        AttachType::TraceKprobeSession.id(),
        AttachType::TraceUprobeSession.id(),
    ]
    .contains(&prog.expected_attach_type);
    run_event(prog, host, st, &mut img, |r| describe(session, r))
}

/// What the hook does with r0.
fn describe(session: bool, r: u64) -> String {
    if session {
        return match r {
            0 => "run the matching return probe".into(),
            1 => "skip the matching return probe".into(),
            _ => format!("{} (the verifier allows only 0 and 1 here)", r as i64),
        };
    }
    if r as u32 == 0 {
        "return value ignored (kprobe); 0: a perf-event kprobe emits no sample".into()
    } else {
        "return value ignored (kprobe); perf sample kept".into()
    }
}

/// The KPROBE driver.
pub static DRIVER: EventDriver = EventDriver {
    schema: SCHEMA,
    fire,
};

const SCHEMA: &str = r#"KPROBE event (kprobe, kretprobe, uprobe, usdt, *.multi, *.session):
  regs      object   x86-64 pt_regs by name: r15 r14 r13 r12 bp bx r11 r10 r9 r8 ax cx dx
                     si di orig_ax ip cs flags sp ss ("rdi" and "arg1".."arg6" also work);
                     values are integers or "0x..." strings; unset registers are 0
  args      list     up to 6 integers: PT_REGS_PARM1..6 = di si dx cx r8 r9
  ret       integer  kretprobe return value (ax, PT_REGS_RC)
  func_ip   integer  bpf_get_func_ip (default: regs.ip)
  memory    list     {"addr": A, "bytes": "hex"} or {"addr": A, "string": "text"}: the memory
                     bpf_probe_read_kernel/_user(_str) read (kernel addresses >=
                     0xffff800000000000, user below 0x7ffffffff000); other reads: -EFAULT,
                     destination zeroed
  task      object   {pid, tgid, uid, gid, comm, ptr} for get_current_pid_tgid/uid_gid/comm/task
                     (defaults 1000, 1000, 0, 0, "bpfbox", 0xffff888001000000)
  cookie    integer  bpf_get_attach_cookie (default 0)
  cpu       integer  CPU the probe fires on (stays for later events of a sequence)
  counters  object   {"SLOT": {counter, enabled, running}} read by bpf_perf_event_read(_value)
                     from that perf_event_array slot (slot i is bound to CPU i; default 0s)
Result: the return value is ignored by kprobe links; for a perf-event kprobe 0 suppresses the
sample. kprobe.session/uprobe.session: 1 skips the return probe. Effects: perf_event_output
[{map, cpu, index, data}], ringbuf [{map, data}], signals [{signal, to}] (bpf_send_signal).
get_stackid/get_stack have no call chain: -EFAULT.
Example: {"args": ["0xffff888000001000", 2], "regs": {"ip": "0xffffffff81234560"},
          "memory": [{"addr": "0xffff888000001000", "string": "/etc/passwd"}],
          "task": {"pid": 42, "comm": "cat"}}"#;

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn layout_matches_the_progtype_table() {
        let t = &bpfbox_progtype::ProgType::Kprobe.spec().ctx;
        assert_eq!(t.size as usize, PT_REGS_SIZE);
        for (name, off) in PT_REGS {
            let f = t.fields.iter().find(|f| f.name == name).unwrap();
            assert_eq!((f.offset as usize, f.size), (off, 8), "{name}");
        }
    }

    #[test]
    fn regs_args_and_aliases() {
        let ev = json!({"regs": {"rip": "0xffffffff81000000", "SP": 8, "r9": 1},
                        "args": [1, 2, 3, 4, 5, 6], "ret": -1});
        let img = regs_image(ev.as_object().unwrap()).unwrap();
        assert_eq!(reg(&img, "ip"), Some(0xffff_ffff_8100_0000));
        assert_eq!(reg(&img, "sp"), Some(8));
        for (i, r) in ARG_REGS.iter().enumerate() {
            assert_eq!(reg(&img, r), Some(i as u64 + 1), "{r}");
        }
        assert_eq!(reg(&img, "ax"), Some(u64::MAX));
        assert_eq!(reg_offset("arg1"), Some(112));
        assert_eq!(reg_offset("r8"), Some(72));
        assert_eq!(reg_offset("rax"), Some(80));
        assert!(regs_image(json!({"regs": {"xmm0": 1}}).as_object().unwrap()).is_err());
        assert!(regs_image(json!({"args": [1, 2, 3, 4, 5, 6, 7]}).as_object().unwrap()).is_err());
    }
}

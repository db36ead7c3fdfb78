//! tracefs event `format` files and the raw trace record they describe
//! (the ctx of a TRACEPOINT program).
//!
//! A format file (`/sys/kernel/tracing/events/SYS/EVENT/format`) lists
//! each field as
//! `field:TYPE NAME; offset:O; size:S; signed:0|1;` (tab-separated), the four common
//! header fields first. [`Format::parse`] reads it; [`Format::layout`]
//! builds the record the kernel's `perf_trace_<class>()` would hand the
//! program: fixed fields at their offsets, then the dynamic data of
//! `__data_loc` fields appended after the fixed part, each located by a
//! u32 `(len << 16) | offset` (offset from the record start; `__rel_loc`:
//! from the end of the location field itself).
//!
//! [`builtin`] holds the format files of common events of the Linux 6.18
//! kernel this was developed on (copied from its tracefs; they are facts of
//! that kernel, other kernels may differ: pass the running kernel's file
//! with `format_file`).

use super::EventError;
use serde_json::Value;

/// How a field's bytes are interpreted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldKind {
    /// An integer (or pointer) of the field's size.
    Scalar,
    /// A fixed array `TYPE name[N]`: `len` elements of `elem` bytes;
    /// `chars` for `char`/`u8`-like strings. `len` 0: a flexible array
    /// member (`TYPE name[]`, size 0) whose value extends the record.
    Array {
        /// Element size in bytes.
        elem: u32,
        /// Number of elements.
        len: u32,
        /// Whether a JSON string may fill it.
        chars: bool,
    },
    /// `__data_loc TYPE[] name` (or `__rel_loc` when `relative`): a u32
    /// locating dynamic data after the fixed part.
    DataLoc {
        /// Element size (1 for strings).
        elem: u32,
        /// Whether a JSON string may fill it.
        chars: bool,
        /// `__rel_loc`: the offset counts from the end of the field.
        relative: bool,
    },
}

/// One `field:` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormatField {
    /// Field name (`prev_pid`).
    pub name: String,
    /// C type as written, without the name and array suffix (`pid_t`,
    /// `char`, `__data_loc char[]`).
    pub c_type: String,
    /// Offset in the record.
    pub offset: u32,
    /// Size in bytes.
    pub size: u32,
    /// `signed:1`.
    pub signed: bool,
    /// Interpretation.
    pub kind: FieldKind,
}

/// A parsed format file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Format {
    /// `name:` line (`sched_switch`).
    pub name: String,
    /// `ID:` line (the event id, `common_type`), if present.
    pub id: Option<u32>,
    /// Every field, common header fields first.
    pub fields: Vec<FormatField>,
}

fn bad(msg: impl Into<String>) -> EventError {
    EventError::new(msg)
}

fn is_char_type(t: &str) -> bool {
    let t = t
        .trim_start_matches("const ")
        .trim_start_matches("unsigned ")
        .trim_start_matches("signed ")
        .trim();
    matches!(
        t,
        "char" | "u8" | "__u8" | "s8" | "__s8" | "uint8_t" | "int8_t"
    )
}

/// Parses the declaration part of a field line (`char prev_comm[16]`,
/// `__data_loc char[] filename`, `const char * filename`).
fn parse_decl(decl: &str, size: u32) -> Result<(String, String, FieldKind), EventError> {
    let decl = decl.trim();
    for (prefix, relative) in [("__data_loc ", false), ("__rel_loc ", true)] {
        if let Some(rest) = decl.strip_prefix(prefix) {
            // `__data_loc char[] name`
            let (ty, name) = rest
                .rsplit_once(|c: char| c.is_whitespace())
                .ok_or_else(|| bad(format!("format: cannot read `{decl}`")))?;
            let elem_ty = ty.trim().trim_end_matches("[]").trim();
            let chars = is_char_type(elem_ty);
            let elem = if chars {
                1
            } else {
                c_type_size(elem_ty).unwrap_or(1)
            };
            return Ok((
                name.trim().to_string(),
                ty.trim().to_string(),
                FieldKind::DataLoc {
                    elem,
                    chars,
                    relative,
                },
            ));
        }
    }
    if let Some(open) = decl.rfind('[') {
        if decl.ends_with(']') {
            let head = &decl[..open];
            let count = decl[open + 1..decl.len() - 1].trim();
            let (ty, name) = head
                .trim()
                .rsplit_once(|c: char| c.is_whitespace() || c == '*')
                .ok_or_else(|| bad(format!("format: cannot read `{decl}`")))?;
            let chars = is_char_type(ty);
            let len = count.parse::<u32>().ok().filter(|&n| n > 0);
            let (elem, len) = match len {
                Some(n) if size.is_multiple_of(n) => (size / n, n),
                _ if size == 0 => (c_type_size(ty.trim()).unwrap_or(1), 0),
                _ if chars => (1, size),
                _ => (size, 1),
            };
            return Ok((
                name.trim().to_string(),
                ty.trim().to_string(),
                FieldKind::Array { elem, len, chars },
            ));
        }
    }
    let (ty, name) = decl
        .rsplit_once(|c: char| c.is_whitespace() || c == '*')
        .ok_or_else(|| bad(format!("format: cannot read `{decl}`")))?;
    let ptr = decl[ty.len()..].starts_with('*') || ty.trim_end().ends_with('*');
    let ty = if ptr {
        format!("{} *", ty.trim().trim_end_matches('*').trim())
    } else {
        ty.trim().to_string()
    };
    Ok((name.trim().to_string(), ty, FieldKind::Scalar))
}

/// Size of a few element types of non-char `__data_loc` arrays.
fn c_type_size(t: &str) -> Option<u32> {
    Some(match t.trim_start_matches("unsigned ").trim() {
        "short" | "u16" | "__u16" | "s16" => 2,
        "int" | "u32" | "__u32" | "s32" | "pid_t" => 4,
        "long" | "u64" | "__u64" | "s64" | "long long" => 8,
        _ => return None,
    })
}

fn field_value(part: &str, key: &str) -> Option<String> {
    part.trim()
        .strip_prefix(key)
        .and_then(|r| r.strip_prefix(':'))
        .map(|v| v.trim().to_string())
}

impl Format {
    /// Parses a tracefs `format` file.
    pub fn parse(text: &str) -> Result<Format, EventError> {
        let mut name = String::new();
        let mut id = None;
        let mut fields = Vec::new();
        for (lineno, line) in text.lines().enumerate() {
            let t = line.trim();
            if let Some(n) = t.strip_prefix("name:") {
                name = n.trim().to_string();
            } else if let Some(n) = t.strip_prefix("ID:") {
                id = Some(
                    n.trim()
                        .parse::<u32>()
                        .map_err(|_| bad(format!("format line {}: bad ID", lineno + 1)))?,
                );
            } else if t.starts_with("field:") {
                let at = |msg: &str| bad(format!("format line {}: {msg}: `{t}`", lineno + 1));
                let parts: Vec<&str> = t.split(';').collect();
                let decl = parts
                    .first()
                    .and_then(|p| p.trim().strip_prefix("field:"))
                    .ok_or_else(|| at("no field declaration"))?;
                let mut offset = None;
                let mut size = None;
                let mut signed = false;
                for p in &parts[1..] {
                    if let Some(v) = field_value(p, "offset") {
                        offset = v.parse::<u32>().ok();
                    } else if let Some(v) = field_value(p, "size") {
                        size = v.parse::<u32>().ok();
                    } else if let Some(v) = field_value(p, "signed") {
                        signed = v == "1";
                    }
                }
                let offset = offset.ok_or_else(|| at("missing or bad offset"))?;
                let size = size.ok_or_else(|| at("missing or bad size"))?;
                let flexible = size == 0 && decl.trim_end().ends_with("[]");
                if (size == 0 && !flexible)
                    || u64::from(offset) + u64::from(size) > RECORD_MAX as u64
                {
                    return Err(at("field outside the 8192-byte record"));
                }
                let (fname, c_type, kind) = parse_decl(decl, size)?;
                if matches!(kind, FieldKind::DataLoc { .. }) && size != 4 {
                    return Err(at("a __data_loc field must be 4 bytes"));
                }
                fields.push(FormatField {
                    name: fname,
                    c_type,
                    offset,
                    size,
                    signed,
                    kind,
                });
            }
        }
        if fields.is_empty() {
            return Err(bad("format: no `field:` lines"));
        }
        Ok(Format { name, id, fields })
    }

    /// The field called `name`.
    pub fn field(&self, name: &str) -> Option<&FormatField> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// Size of the fixed part (end of the last field); dynamic data starts
    /// here (`offsetof(struct trace_event_raw_*, __data)`).
    pub fn fixed_size(&self) -> usize {
        self.fields
            .iter()
            .map(|f| (f.offset + f.size) as usize)
            .max()
            .unwrap_or(0)
    }

    /// Lays out a record: `values` maps field names to JSON values
    /// (integers as numbers or `"0x…"`/decimal strings; char arrays and
    /// `__data_loc` strings as JSON strings; other arrays as lists of
    /// integers, or hex strings `"hex:0a0b…"`). Missing fields are zero;
    /// `common_type` defaults to the format's ID and `common_pid` to
    /// `pid`. Returns the record (fixed part plus dynamic data).
    pub fn layout(
        &self,
        values: &serde_json::Map<String, Value>,
        pid: u32,
    ) -> Result<Vec<u8>, EventError> {
        for k in values.keys() {
            if self.field(k).is_none() {
                let names: Vec<&str> = self.fields.iter().map(|f| f.name.as_str()).collect();
                return Err(bad(format!(
                    "event `{}` has no field `{k}` (fields: {})",
                    self.name,
                    names.join(", ")
                )));
            }
        }
        let mut rec = vec![0u8; self.fixed_size()];
        for f in &self.fields {
            let v = match values.get(&f.name) {
                Some(v) => v.clone(),
                None if f.name == "common_type" => Value::from(self.id.unwrap_or(0)),
                None if f.name == "common_pid" => Value::from(pid),
                None => continue,
            };
            let at = f.offset as usize;
            match &f.kind {
                FieldKind::Scalar => {
                    let n = int_for(&v, f.size, &f.name)?;
                    put_int(&mut rec[at..at + f.size as usize], n);
                }
                FieldKind::Array { elem, len, chars } => {
                    let bytes = array_bytes(&v, *elem, *chars, &f.name)?;
                    if *len == 0 {
                        // a flexible array member (`char buf[]`, size 0)
                        // extends the record
                        let end = at + bytes.len();
                        if end > RECORD_MAX {
                            return Err(bad(format!(
                                "field `{}`: the record would exceed {RECORD_MAX} bytes",
                                f.name
                            )));
                        }
                        rec.resize(rec.len().max(end), 0);
                        rec[at..end].copy_from_slice(&bytes);
                        continue;
                    }
                    let cap = (elem * len) as usize;
                    if bytes.len() > cap {
                        return Err(bad(format!(
                            "field `{}` holds {cap} bytes, got {}",
                            f.name,
                            bytes.len()
                        )));
                    }
                    rec[at..at + bytes.len()].copy_from_slice(&bytes);
                }
                FieldKind::DataLoc {
                    elem,
                    chars,
                    relative,
                } => {
                    let mut bytes = array_bytes(&v, *elem, *chars, &f.name)?;
                    if *chars {
                        bytes.push(0);
                    }
                    let start = rec.len();
                    let base = if *relative { at + 4 } else { 0 };
                    if start + bytes.len() > RECORD_MAX || bytes.len() > 0xffff {
                        return Err(bad(format!(
                            "field `{}`: the record would exceed {RECORD_MAX} bytes",
                            f.name
                        )));
                    }
                    let loc = ((bytes.len() as u32) << 16) | (start - base) as u32;
                    rec[at..at + 4].copy_from_slice(&loc.to_le_bytes());
                    rec.extend_from_slice(&bytes);
                }
            }
        }
        Ok(rec)
    }
}

/// `PERF_MAX_TRACE_SIZE`: the largest trace record (and the ctx bound the
/// verifier uses for TRACEPOINT programs).
pub const RECORD_MAX: usize = 8192;

fn put_int(dst: &mut [u8], v: u64) {
    let b = v.to_le_bytes();
    let n = dst.len().min(8);
    dst[..n].copy_from_slice(&b[..n]);
}

/// Parses a JSON integer (number, negative number, or a decimal / `0x`
/// string) as u64 bits.
pub fn parse_u64(v: &Value) -> Option<u64> {
    match v {
        Value::Number(n) => n.as_u64().or_else(|| n.as_i64().map(|i| i as u64)),
        Value::Bool(b) => Some(u64::from(*b)),
        Value::String(s) => {
            let s = s.trim();
            let (neg, s) = match s.strip_prefix('-') {
                Some(r) => (true, r),
                None => (false, s),
            };
            let v = match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
                Some(h) => u64::from_str_radix(&h.replace('_', ""), 16).ok()?,
                None => s.replace('_', "").parse::<u64>().ok()?,
            };
            Some(if neg { v.wrapping_neg() } else { v })
        }
        _ => None,
    }
}

/// An integer for a field of `size` bytes: must fit as signed or unsigned.
fn int_for(v: &Value, size: u32, name: &str) -> Result<u64, EventError> {
    let n = parse_u64(v).ok_or_else(|| {
        bad(format!(
            "field `{name}`: expected an integer (number or \"0x…\" string), got {v}"
        ))
    })?;
    if size < 8 {
        let bits = size * 8;
        let fits_unsigned = n >> bits == 0;
        let s = n as i64;
        let fits_signed = s >= -(1i64 << (bits - 1)) && s < (1i64 << (bits - 1));
        if !fits_unsigned && !fits_signed {
            return Err(bad(format!(
                "field `{name}`: {v} does not fit in {size} bytes"
            )));
        }
    }
    Ok(n)
}

/// Bytes of an array value: a string (char arrays), `"hex:…"`, or a list
/// of integers of `elem` bytes each.
fn array_bytes(v: &Value, elem: u32, chars: bool, name: &str) -> Result<Vec<u8>, EventError> {
    match v {
        Value::String(s) => {
            if let Some(h) = s.strip_prefix("hex:") {
                return super::traceenv::hex_bytes(h)
                    .ok_or_else(|| bad(format!("field `{name}`: bad hex string")));
            }
            if chars {
                Ok(s.as_bytes().to_vec())
            } else {
                Err(bad(format!(
                    "field `{name}` is not a char array: give a list of integers or \"hex:…\""
                )))
            }
        }
        Value::Array(items) => {
            let mut out = Vec::with_capacity(items.len() * elem as usize);
            for it in items {
                let n = int_for(it, elem, name)?;
                let b = n.to_le_bytes();
                let w = (elem as usize).min(8);
                out.extend_from_slice(&b[..w]);
                // elements wider than 8 bytes (structs): the integer fills
                // the first 8, the rest is zero
                out.resize(out.len() + elem as usize - w, 0);
            }
            Ok(out)
        }
        other => Err(bad(format!(
            "field `{name}`: expected a string or a list, got {other}"
        ))),
    }
}

macro_rules! formats {
    ($($name:literal),* $(,)?) => {
        /// Names (`SYS/EVENT`) of the shipped format files.
        pub const BUILTIN_NAMES: &[&str] = &[$($name),*];
        /// The shipped format file of `SYS/EVENT`, if any.
        pub fn builtin(name: &str) -> Option<&'static str> {
            match name {
                $($name => Some(include_str!(concat!("../../data/tracepoints/", $name, "/format"))),)*
                _ => None,
            }
        }
    };
}

formats!(
    "block/block_rq_issue",
    "irq/irq_handler_entry",
    "irq/irq_handler_exit",
    "irq/softirq_entry",
    "kmem/kmalloc",
    "net/net_dev_xmit",
    "net/netif_receive_skb",
    "raw_syscalls/sys_enter",
    "raw_syscalls/sys_exit",
    "sched/sched_process_exec",
    "sched/sched_process_exit",
    "sched/sched_process_fork",
    "sched/sched_switch",
    "sched/sched_wakeup",
    "sched/sched_wakeup_new",
    "signal/signal_generate",
    "sock/inet_sock_set_state",
    "syscalls/sys_enter_execve",
    "syscalls/sys_enter_getppid",
    "syscalls/sys_enter_kill",
    "syscalls/sys_enter_openat",
    "syscalls/sys_enter_read",
    "syscalls/sys_enter_write",
    "syscalls/sys_exit_openat",
    "task/task_newtask",
    "tcp/tcp_retransmit_skb",
    "timer/hrtimer_start",
);

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fmt(name: &str) -> Format {
        Format::parse(builtin(name).unwrap()).unwrap()
    }

    #[test]
    fn every_builtin_parses_with_the_common_header() {
        for n in BUILTIN_NAMES {
            let f = fmt(n);
            assert_eq!(f.name, n.split('/').nth(1).unwrap(), "{n}");
            assert!(f.id.is_some(), "{n}");
            let h: Vec<(&str, u32, u32)> = f.fields[..4]
                .iter()
                .map(|x| (x.name.as_str(), x.offset, x.size))
                .collect();
            assert_eq!(
                h,
                [
                    ("common_type", 0, 2),
                    ("common_flags", 2, 1),
                    ("common_preempt_count", 3, 1),
                    ("common_pid", 4, 4)
                ],
                "{n}"
            );
        }
    }

    #[test]
    fn field_kinds() {
        let f = fmt("sched/sched_switch");
        let c = f.field("prev_comm").unwrap();
        assert_eq!(
            (c.offset, c.size, &c.kind),
            (
                8,
                16,
                &FieldKind::Array {
                    elem: 1,
                    len: 16,
                    chars: true
                }
            )
        );
        let p = f.field("prev_state").unwrap();
        assert_eq!(
            (p.offset, p.size, p.signed, &p.kind),
            (32, 8, true, &FieldKind::Scalar)
        );
        assert_eq!(p.c_type, "long");
        let o = fmt("syscalls/sys_enter_openat");
        let fname = o.field("filename").unwrap();
        assert_eq!((fname.c_type.as_str(), fname.offset), ("const char *", 24));
        let e = fmt("raw_syscalls/sys_enter");
        assert_eq!(
            e.field("args").unwrap().kind,
            FieldKind::Array {
                elem: 8,
                len: 6,
                chars: false
            }
        );
        let x = fmt("sched/sched_process_exec");
        assert_eq!(
            x.field("filename").unwrap().kind,
            FieldKind::DataLoc {
                elem: 1,
                chars: true,
                relative: false
            }
        );
    }

    #[test]
    fn layout_sched_switch() {
        let f = fmt("sched/sched_switch");
        let v = json!({"prev_comm": "bash", "prev_pid": 42, "prev_prio": 120, "prev_state": 1,
                       "next_comm": "swapper/0", "next_pid": 0, "next_prio": -1});
        let r = f.layout(v.as_object().unwrap(), 42).unwrap();
        assert_eq!(r.len(), 64);
        assert_eq!(u16::from_le_bytes([r[0], r[1]]), f.id.unwrap() as u16);
        assert_eq!(i32::from_le_bytes(r[4..8].try_into().unwrap()), 42);
        assert_eq!(&r[8..13], b"bash\0");
        assert_eq!(i32::from_le_bytes(r[24..28].try_into().unwrap()), 42);
        assert_eq!(i64::from_le_bytes(r[32..40].try_into().unwrap()), 1);
        assert_eq!(&r[40..49], b"swapper/0");
        assert_eq!(i32::from_le_bytes(r[60..64].try_into().unwrap()), -1);
    }

    #[test]
    fn layout_data_loc() {
        let f = fmt("sched/sched_process_exec");
        let v = json!({"filename": "/bin/ls", "pid": 7, "old_pid": 7});
        let r = f.layout(v.as_object().unwrap(), 7).unwrap();
        let loc = u32::from_le_bytes(r[8..12].try_into().unwrap());
        assert_eq!(loc & 0xffff, 20, "after the fixed part");
        assert_eq!(loc >> 16, 8, "7 bytes + NUL");
        assert_eq!(&r[20..28], b"/bin/ls\0");
        let rel = Format::parse(
            "name: x\nID: 1\nformat:\n\tfield:__rel_loc char[] s;\toffset:8;\tsize:4;\tsigned:0;\n\tfield:int n;\toffset:12;\tsize:4;\tsigned:1;\n",
        )
        .unwrap();
        let r = rel
            .layout(json!({"s": "ab"}).as_object().unwrap(), 0)
            .unwrap();
        let loc = u32::from_le_bytes(r[8..12].try_into().unwrap());
        assert_eq!((loc & 0xffff, loc >> 16), (16 - 12, 3));
    }

    #[test]
    fn flexible_array_extends_the_record() {
        let f = Format::parse(
            "name: raw\nID: 9\nformat:\n\tfield:unsigned int id;\toffset:8;\tsize:4;\tsigned:0;\n\tfield:char buf[];\toffset:12;\tsize:0;\tsigned:0;\n",
        )
        .unwrap();
        let r = f
            .layout(json!({"buf": "hex:0102"}).as_object().unwrap(), 0)
            .unwrap();
        assert_eq!(r.len(), 14);
        assert_eq!(&r[12..], [1, 2]);
        assert!(Format::parse("field:int a;\toffset:8;\tsize:0;\tsigned:1;").is_err());
    }

    #[test]
    fn bad_input_is_named() {
        let f = fmt("sched/sched_switch");
        let e = f
            .layout(json!({"nope": 1}).as_object().unwrap(), 0)
            .unwrap_err();
        assert!(e.to_string().contains("no field `nope`"), "{e}");
        let e = f
            .layout(json!({"prev_pid": "x"}).as_object().unwrap(), 0)
            .unwrap_err();
        assert!(e.to_string().contains("prev_pid"), "{e}");
        let e = f
            .layout(
                json!({"prev_comm": "a-very-long-command-name"})
                    .as_object()
                    .unwrap(),
                0,
            )
            .unwrap_err();
        assert!(e.to_string().contains("holds 16 bytes"), "{e}");
        let e = f
            .layout(json!({"prev_prio": 1u64 << 33}).as_object().unwrap(), 0)
            .unwrap_err();
        assert!(e.to_string().contains("does not fit"), "{e}");
        assert!(Format::parse("name: x\n").is_err());
        assert!(Format::parse("field:int a;\toffset:9000;\tsize:4;\tsigned:1;").is_err());
        assert!(Format::parse("field:int a;\tsize:4;").is_err());
    }

    #[test]
    fn malformed_format_files_never_panic() {
        let text = builtin("sched/sched_process_exec").unwrap();
        let vals = json!({"filename": "x", "pid": 1});
        for cut in 0..text.len() {
            if let Ok(f) = Format::parse(&text[..cut]) {
                let _ = f.layout(vals.as_object().unwrap(), 0);
            }
        }
        let mut bytes = text.as_bytes().to_vec();
        let mut x: u32 = 7;
        for _ in 0..2000 {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
            let i = (x >> 8) as usize % bytes.len();
            let old = bytes[i];
            let alphabet = b"0123456789[]; :\t_a-";
            bytes[i] = alphabet[(x >> 20) as usize % alphabet.len()];
            if let Ok(f) = Format::parse(&String::from_utf8_lossy(&bytes)) {
                let _ = f.layout(vals.as_object().unwrap(), 0);
            }
            bytes[i] = old;
        }
    }

    #[test]
    fn integers_in_many_spellings() {
        assert_eq!(
            parse_u64(&json!("0xffff888000001000")),
            Some(0xffff_8880_0000_1000)
        );
        assert_eq!(parse_u64(&json!(-1)), Some(u64::MAX));
        assert_eq!(parse_u64(&json!("-2")), Some(u64::MAX - 1));
        assert_eq!(parse_u64(&json!("1_000")), Some(1000));
        assert_eq!(parse_u64(&json!(1.5)), None);
    }
}

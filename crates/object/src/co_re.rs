//! CO-RE relocations: the `.BTF.ext` `bpf_core_relo` records resolved
//! against a target BTF and patched into the instructions, as libbpf's
//! relo_core.c (`bpf_core_parse_spec`, `bpf_core_spec_match`,
//! `bpf_core_calc_relo`, `bpf_core_patch_insn`) and libbpf.c
//! (`bpf_core_add_cands`) do.
//!
//! Not done (documented difference): candidates are searched in one target
//! BTF only (libbpf falls back to kernel-module BTFs).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use bpfbox_isa::RawInsn;

use crate::btf::{kind, Btf, CoreRelo, Extra};
use crate::error::{Error, ErrorKind};

/// The kernel's BTF, the default CO-RE target when readable.
pub const VMLINUX_BTF: &str = "/sys/kernel/btf/vmlinux";

/// The `imm` of the `call` libbpf writes over an instruction whose
/// relocation cannot be resolved (the verifier then reports
/// "invalid func unknown#195896080").
pub const POISON_CALL_IMM: i32 = 0x0bad_2310;

/// `enum bpf_core_relo_kind`.
#[allow(missing_docs)]
pub mod relo_kind {
    pub const FIELD_BYTE_OFFSET: u32 = 0;
    pub const FIELD_BYTE_SIZE: u32 = 1;
    pub const FIELD_EXISTS: u32 = 2;
    pub const FIELD_SIGNED: u32 = 3;
    pub const FIELD_LSHIFT_U64: u32 = 4;
    pub const FIELD_RSHIFT_U64: u32 = 5;
    pub const TYPE_ID_LOCAL: u32 = 6;
    pub const TYPE_ID_TARGET: u32 = 7;
    pub const TYPE_EXISTS: u32 = 8;
    pub const TYPE_SIZE: u32 = 9;
    pub const ENUMVAL_EXISTS: u32 = 10;
    pub const ENUMVAL_VALUE: u32 = 11;
    pub const TYPE_MATCHES: u32 = 12;
}
use relo_kind as rk;

/// Which BTF CO-RE relocations are resolved against.
#[derive(Debug, Clone, Default)]
pub enum CoreTarget {
    /// [`VMLINUX_BTF`] when it can be read and parsed, else the object's own
    /// BTF. The default.
    #[default]
    Auto,
    /// [`VMLINUX_BTF`]; loading fails when it cannot be read.
    Vmlinux,
    /// The object's own (local) BTF: every relocation resolves to the value
    /// clang compiled in (poisoned/absent ones aside). Right for running
    /// on bpfbox's interpreter, which has no kernel structs of its own.
    Local,
    /// A BTF file (raw `.BTF` format, like `/sys/kernel/btf/vmlinux`).
    Path(PathBuf),
    /// An already parsed BTF.
    Btf(Box<Btf>),
}

/// Options for [`crate::load_with`].
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// Target BTF of CO-RE relocations.
    pub core_target: CoreTarget,
}

/// What one CO-RE relocation did (kept in [`crate::Object::core_relos`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoreReloResult {
    /// ELF section of the instruction.
    pub section: String,
    /// Byte offset of the instruction in its section.
    pub insn_off: u32,
    /// [`relo_kind`] number.
    pub kind: u32,
    /// Name of the local root type.
    pub local_type: String,
    /// The access string ("0:1").
    pub access: String,
    /// The value computed from the local BTF (what clang emitted).
    pub orig_val: u64,
    /// The relocated value written into the instruction.
    pub new_val: u64,
    /// The instruction was replaced by `call 0xbad2310` (no target match).
    pub poisoned: bool,
}

/// Human name of a relocation kind.
pub fn relo_kind_name(k: u32) -> &'static str {
    match k {
        rk::FIELD_BYTE_OFFSET => "byte_off",
        rk::FIELD_BYTE_SIZE => "byte_sz",
        rk::FIELD_EXISTS => "field_exists",
        rk::FIELD_SIGNED => "signed",
        rk::FIELD_LSHIFT_U64 => "lshift_u64",
        rk::FIELD_RSHIFT_U64 => "rshift_u64",
        rk::TYPE_ID_LOCAL => "local_type_id",
        rk::TYPE_ID_TARGET => "target_type_id",
        rk::TYPE_EXISTS => "type_exists",
        rk::TYPE_SIZE => "type_size",
        rk::ENUMVAL_EXISTS => "enumval_exists",
        rk::ENUMVAL_VALUE => "enumval_value",
        rk::TYPE_MATCHES => "type_matches",
        _ => "unknown",
    }
}

fn is_field(k: u32) -> bool {
    k <= rk::FIELD_RSHIFT_U64
}
fn is_enumval(k: u32) -> bool {
    k == rk::ENUMVAL_EXISTS || k == rk::ENUMVAL_VALUE
}

/// The "essential" name: `name` without a `___flavour` suffix (libbpf
/// `bpf_core_essential_name_len`).
pub fn essential_name(name: &str) -> &str {
    let b = name.as_bytes();
    if b.len() >= 5 {
        for i in (0..=b.len() - 5).rev() {
            if b[i] != b'_' && &b[i + 1..i + 4] == b"___" && b[i + 4] != b'_' {
                return &name[..i + 1];
            }
        }
    }
    name
}

/// A target BTF with its types indexed by essential name.
#[derive(Debug)]
pub(crate) struct Target {
    btf: Arc<Btf>,
    by_name: HashMap<String, Vec<u32>>,
    /// The object's own BTF: each relocation's target is its local type
    /// itself (no candidate search, so flavours of one type never make a
    /// relocation ambiguous).
    identity: bool,
}

impl Target {
    fn new(btf: Arc<Btf>) -> Target {
        let mut by_name: HashMap<String, Vec<u32>> = HashMap::new();
        for (id, t) in btf.types() {
            let name = btf.str_at(t.name_off).unwrap_or("");
            if !name.is_empty() {
                by_name
                    .entry(essential_name(name).to_string())
                    .or_default()
                    .push(id);
            }
        }
        Target {
            btf,
            by_name,
            identity: false,
        }
    }
}

fn read_btf(p: &Path) -> Result<Btf, Error> {
    let b = std::fs::read(p).map_err(|e| {
        Error::new(
            ErrorKind::Io,
            format!("CO-RE target BTF {}: {e}", p.display()),
        )
    })?;
    Btf::parse(&b)
}

/// The kernel's BTF, read and indexed once per process.
fn vmlinux() -> Result<Arc<Target>, Error> {
    static VMLINUX: OnceLock<Result<Arc<Target>, Error>> = OnceLock::new();
    VMLINUX
        .get_or_init(|| {
            read_btf(Path::new(VMLINUX_BTF)).map(|b| Arc::new(Target::new(Arc::new(b))))
        })
        .clone()
}

/// Resolves the target choice to an indexed BTF and a description.
pub(crate) fn resolve_target(t: &CoreTarget, local: &Btf) -> Result<(Arc<Target>, String), Error> {
    let local_target = || {
        Arc::new(Target {
            btf: Arc::new(local.clone()),
            by_name: HashMap::new(),
            identity: true,
        })
    };
    Ok(match t {
        CoreTarget::Auto => match vmlinux() {
            Ok(v) => (v, VMLINUX_BTF.to_string()),
            Err(_) => (local_target(), "local".to_string()),
        },
        CoreTarget::Vmlinux => (vmlinux()?, VMLINUX_BTF.to_string()),
        CoreTarget::Local => (local_target(), "local".to_string()),
        CoreTarget::Path(p) => (
            Arc::new(Target::new(Arc::new(read_btf(p)?))),
            p.display().to_string(),
        ),
        CoreTarget::Btf(b) => (
            Arc::new(Target::new(Arc::new((**b).clone()))),
            "custom".to_string(),
        ),
    })
}

/// One step of an access path (libbpf `bpf_core_accessor`).
#[derive(Debug, Clone)]
struct Acc {
    /// The composite type (named access) or the array element type.
    type_id: u32,
    idx: u32,
    /// Member/enumerator name; `None` for array indexing.
    name: Option<String>,
}

#[derive(Debug, Clone)]
struct Spec {
    root_id: u32,
    access: Vec<Acc>,
    raw_len: usize,
    bit_offset: u64,
}

type R<T> = Result<T, String>;

fn members(btf: &Btf, id: u32) -> Option<&[crate::btf::Member]> {
    match &btf.type_by_id(id)?.extra {
        Extra::Members(m) => Some(m),
        _ => None,
    }
}

fn is_composite(btf: &Btf, id: u32) -> bool {
    btf.type_by_id(id)
        .is_some_and(|t| t.kind == kind::STRUCT || t.kind == kind::UNION)
}

fn tkind(btf: &Btf, id: u32) -> u8 {
    btf.type_by_id(id).map_or(0, |t| t.kind)
}

fn is_enum(k: u8) -> bool {
    k == kind::ENUM || k == kind::ENUM64
}

fn kind_compat(a: u8, b: u8) -> bool {
    a == b || (is_enum(a) && is_enum(b))
}

fn size(btf: &Btf, id: u32) -> R<u64> {
    btf.resolve_size(id)
        .map(u64::from)
        .map_err(|e| e.message().to_string())
}

fn int_enc(btf: &Btf, id: u32) -> Option<u32> {
    match btf.type_by_id(id)?.extra {
        Extra::Int(e) => Some(e),
        _ => None,
    }
}

/// `base + idx * size * 8` without overflow.
fn elem_bits(base: u64, idx: u32, size: u64) -> R<u64> {
    u64::from(idx)
        .checked_mul(size)
        .and_then(|b| b.checked_mul(8))
        .and_then(|b| b.checked_add(base))
        .ok_or_else(|| "offset overflows".to_string())
}

/// libbpf `bpf_core_parse_spec`.
fn parse_spec(btf: &Btf, type_id: u32, access: &str, relo_kind: u32) -> R<Spec> {
    let raw: Vec<u32> = access
        .split(':')
        .map(|s| s.parse::<u32>())
        .collect::<Result<_, _>>()
        .map_err(|_| format!("malformed access string '{access}'"))?;
    if raw.is_empty() || raw.len() > 64 {
        return Err(format!("malformed access string '{access}'"));
    }
    let t = btf
        .type_by_id(type_id)
        .ok_or_else(|| format!("unknown local type id {type_id}"))?;
    let mut spec = Spec {
        root_id: type_id,
        access: Vec::new(),
        raw_len: raw.len(),
        bit_offset: 0,
    };
    if !is_field(relo_kind) && !is_enumval(relo_kind) {
        if raw != [0] {
            return Err(format!("type relocation with access '{access}'"));
        }
        return Ok(spec);
    }
    if is_enumval(relo_kind) {
        let Extra::Enumerators(e) = &t.extra else {
            return Err("enum value relocation on a non-enum type".into());
        };
        let idx = raw[0];
        let (name_off, _) = e
            .get(idx as usize)
            .filter(|_| raw.len() == 1)
            .ok_or_else(|| format!("bad enumerator access '{access}'"))?;
        spec.access.push(Acc {
            type_id,
            idx,
            name: Some(btf.str_at(*name_off).unwrap_or("").to_string()),
        });
        return Ok(spec);
    }
    let mut id = btf.skip_mods_and_typedefs(type_id);
    spec.access.push(Acc {
        type_id: id,
        idx: raw[0],
        name: None,
    });
    spec.bit_offset = elem_bits(0, raw[0], size(btf, id)?)?;
    for &idx in &raw[1..] {
        let t = btf
            .type_by_id(id)
            .ok_or_else(|| format!("access '{access}' through void"))?;
        match &t.extra {
            Extra::Members(m) => {
                let m = m
                    .get(idx as usize)
                    .ok_or_else(|| format!("member index {idx} out of range in '{access}'"))?;
                spec.bit_offset = spec
                    .bit_offset
                    .checked_add(u64::from(m.bit_offset))
                    .ok_or("offset overflows")?;
                let name = btf.str_at(m.name_off).unwrap_or("");
                if !name.is_empty() {
                    spec.access.push(Acc {
                        type_id: id,
                        idx,
                        name: Some(name.to_string()),
                    });
                }
                id = btf.skip_mods_and_typedefs(m.type_id);
            }
            Extra::Array { elem, nelems, .. } => {
                let flex = is_flex(btf, spec.access.last(), *nelems);
                if !flex && idx >= *nelems {
                    return Err(format!("array index {idx} out of range in '{access}'"));
                }
                let e = btf.skip_mods_and_typedefs(*elem);
                spec.access.push(Acc {
                    type_id: e,
                    idx,
                    name: None,
                });
                spec.bit_offset = elem_bits(spec.bit_offset, idx, size(btf, e)?)?;
                id = e;
            }
            _ => return Err(format!("cannot index into a {} in '{access}'", t.kind)),
        }
    }
    Ok(spec)
}

/// A zero-length array that is the last member of its struct.
fn is_flex(btf: &Btf, prev: Option<&Acc>, nelems: u32) -> bool {
    let Some(a) = prev.filter(|a| a.name.is_some()) else {
        return false;
    };
    nelems == 0 && members(btf, a.type_id).is_some_and(|m| a.idx as usize + 1 == m.len())
}

/// libbpf `bpf_core_types_are_compat`.
fn types_compat(l: &Btf, lid: u32, t: &Btf, tid: u32, depth: u32) -> bool {
    if depth > 32 {
        return false;
    }
    let (lid, tid) = (l.skip_mods_and_typedefs(lid), t.skip_mods_and_typedefs(tid));
    let (Some(lt), Some(tt)) = (l.type_by_id(lid), t.type_by_id(tid)) else {
        return lid == 0 && tid == 0;
    };
    if !kind_compat(lt.kind, tt.kind) {
        return false;
    }
    match (&lt.extra, &tt.extra) {
        (Extra::Int(a), Extra::Int(b)) => (a >> 16) & 0xff == 0 && (b >> 16) & 0xff == 0,
        (Extra::Array { elem: a, .. }, Extra::Array { elem: b, .. }) => {
            types_compat(l, *a, t, *b, depth + 1)
        }
        (Extra::Params(a), Extra::Params(b)) => {
            a.len() == b.len()
                && a.iter()
                    .zip(b)
                    .all(|(x, y)| types_compat(l, x.1, t, y.1, depth + 1))
                && types_compat(l, lt.size_or_type, t, tt.size_or_type, depth + 1)
        }
        _ => match lt.kind {
            kind::PTR => types_compat(l, lt.size_or_type, t, tt.size_or_type, depth + 1),
            kind::STRUCT | kind::UNION | kind::ENUM | kind::ENUM64 | kind::FWD | kind::FLOAT => {
                true
            }
            _ => false,
        },
    }
}

/// Essential names equal, or both anonymous (libbpf
/// `bpf_core_names_match`).
fn names_match(l: &Btf, loff: u32, t: &Btf, toff: u32) -> bool {
    let (a, b) = (l.str_at(loff).unwrap_or(""), t.str_at(toff).unwrap_or(""));
    if b.is_empty() {
        return a.is_empty();
    }
    essential_name(a) == essential_name(b)
}

/// libbpf `__bpf_core_types_match` (the `TYPE_MATCHES` relation): names
/// match, kinds equal (a struct/union behind a pointer may match a FWD of
/// its kind), ints by size and signedness, arrays by length and element,
/// local struct members and enum variants all present by name in the
/// target, function prototypes argument by argument.
fn types_match(l: &Btf, lid: u32, t: &Btf, tid: u32, behind_ptr: bool, level: u32) -> bool {
    let (mut lid, mut tid, mut behind_ptr) = (lid, tid, behind_ptr);
    if level == 0 {
        return false;
    }
    for _ in 0..32 {
        (lid, tid) = (l.skip_mods_and_typedefs(lid), t.skip_mods_and_typedefs(tid));
        let (Some(lt), Some(tt)) = (l.type_by_id(lid), t.type_by_id(tid)) else {
            return false;
        };
        if !names_match(l, lt.name_off, t, tt.name_off) {
            return false;
        }
        let same = lt.kind == tt.kind;
        match (&lt.extra, &tt.extra) {
            _ if lt.kind == kind::FWD => {
                return if behind_ptr && !same {
                    (tt.kind == kind::STRUCT && !lt.kind_flag)
                        || (tt.kind == kind::UNION && lt.kind_flag)
                } else {
                    same && lt.kind_flag == tt.kind_flag
                };
            }
            (Extra::Enumerators(le), Extra::Enumerators(te)) => {
                return lt.size_or_type == tt.size_or_type
                    && le.len() <= te.len()
                    && le
                        .iter()
                        .all(|(ln, _)| te.iter().any(|(tn, _)| names_match(l, *ln, t, *tn)));
            }
            (Extra::Members(lm), _) if behind_ptr => {
                let _ = lm;
                return same || (tt.kind == kind::FWD && (lt.kind == kind::UNION) == tt.kind_flag);
            }
            (Extra::Members(lm), Extra::Members(tm)) => {
                return same
                    && lm.len() <= tm.len()
                    && lm.iter().all(|a| {
                        tm.iter().any(|b| {
                            names_match(l, a.name_off, t, b.name_off)
                                && types_match(l, a.type_id, t, b.type_id, behind_ptr, level - 1)
                        })
                    });
            }
            (Extra::Int(a), Extra::Int(b)) => {
                return lt.size_or_type == tt.size_or_type && (a >> 24) & 1 == (b >> 24) & 1;
            }
            (
                Extra::Array {
                    elem: le,
                    nelems: ln,
                    ..
                },
                Extra::Array {
                    elem: te,
                    nelems: tn,
                    ..
                },
            ) => {
                if ln != tn {
                    return false;
                }
                (lid, tid) = (*le, *te);
            }
            (Extra::Params(lp), Extra::Params(tp)) => {
                if lp.len() != tp.len()
                    || !lp
                        .iter()
                        .zip(tp)
                        .all(|(a, b)| types_match(l, a.1, t, b.1, behind_ptr, level - 1))
                {
                    return false;
                }
                (lid, tid) = (lt.size_or_type, tt.size_or_type);
            }
            _ if lt.kind == kind::PTR && same => {
                behind_ptr = true;
                (lid, tid) = (lt.size_or_type, tt.size_or_type);
            }
            _ => return false,
        }
    }
    false
}

/// libbpf `bpf_core_fields_are_compat`.
fn fields_compat(l: &Btf, lid: u32, t: &Btf, tid: u32, depth: u32) -> bool {
    if depth > 32 {
        return false;
    }
    let (lid, tid) = (l.skip_mods_and_typedefs(lid), t.skip_mods_and_typedefs(tid));
    if is_composite(l, lid) && is_composite(t, tid) {
        return true;
    }
    let (Some(lt), Some(tt)) = (l.type_by_id(lid), t.type_by_id(tid)) else {
        return false;
    };
    if !kind_compat(lt.kind, tt.kind) {
        return false;
    }
    match lt.kind {
        kind::FWD | kind::FLOAT | kind::PTR => true,
        kind::ENUM | kind::ENUM64 => {
            let (a, b) = (l.type_name(lid), t.type_name(tid));
            a.is_empty() || b.is_empty() || essential_name(a) == essential_name(b)
        }
        kind::INT => {
            int_enc(l, lid).is_some_and(|e| (e >> 16) & 0xff == 0)
                && int_enc(t, tid).is_some_and(|e| (e >> 16) & 0xff == 0)
        }
        kind::ARRAY => match (&lt.extra, &tt.extra) {
            (Extra::Array { elem: a, .. }, Extra::Array { elem: b, .. }) => {
                fields_compat(l, *a, t, *b, depth + 1)
            }
            _ => false,
        },
        _ => false,
    }
}

/// libbpf `bpf_core_match_member`: finds the local member named by `acc`
/// in target composite `targ_id` (looking through anonymous members).
/// Returns the target member's type id.
fn match_member(
    l: &Btf,
    acc: &Acc,
    t: &Btf,
    targ_id: u32,
    spec: &mut Spec,
    depth: u32,
) -> Option<u32> {
    let lm = members(l, acc.type_id)?.get(acc.idx as usize)?;
    let lname = acc.name.as_deref()?;
    let targ_id = t.skip_mods_and_typedefs(targ_id);
    if depth > 32 || !is_composite(t, targ_id) {
        return None;
    }
    for (i, m) in members(t, targ_id)?.iter().enumerate() {
        spec.bit_offset = spec.bit_offset.checked_add(u64::from(m.bit_offset))?;
        spec.raw_len += 1;
        let name = t.str_at(m.name_off).unwrap_or("");
        if name.is_empty() {
            if let Some(n) = match_member(l, acc, t, m.type_id, spec, depth + 1) {
                return Some(n);
            }
        } else if name == lname {
            if !fields_compat(l, lm.type_id, t, m.type_id, 0) {
                return None;
            }
            spec.access.push(Acc {
                type_id: targ_id,
                idx: i as u32,
                name: Some(name.to_string()),
            });
            return Some(t.skip_mods_and_typedefs(m.type_id));
        }
        spec.bit_offset -= u64::from(m.bit_offset);
        spec.raw_len -= 1;
    }
    None
}

/// libbpf `bpf_core_spec_match`: the target spec, or `None` when the
/// candidate does not match.
fn spec_match(l: &Btf, local: &Spec, t: &Btf, targ_id: u32, relo_kind: u32) -> R<Option<Spec>> {
    let mut spec = Spec {
        root_id: targ_id,
        access: Vec::new(),
        raw_len: 0,
        bit_offset: 0,
    };
    if relo_kind == rk::TYPE_MATCHES {
        let ok = types_match(l, local.root_id, t, targ_id, false, 32);
        return Ok(ok.then_some(spec));
    }
    if !is_field(relo_kind) && !is_enumval(relo_kind) {
        let ok = types_compat(l, local.root_id, t, targ_id, 0);
        return Ok(ok.then_some(spec));
    }
    if is_enumval(relo_kind) {
        let lname = local.access[0].name.as_deref().unwrap_or("");
        let Some(Extra::Enumerators(e)) = t.type_by_id(targ_id).map(|x| &x.extra) else {
            return Ok(None);
        };
        for (i, (n, _)) in e.iter().enumerate() {
            let name = t.str_at(*n).unwrap_or("");
            if essential_name(name) == essential_name(lname) {
                spec.access.push(Acc {
                    type_id: targ_id,
                    idx: i as u32,
                    name: Some(name.to_string()),
                });
                spec.raw_len = 1;
                return Ok(Some(spec));
            }
        }
        return Ok(None);
    }
    let mut id = t.skip_mods_and_typedefs(targ_id);
    let first = local.access[0].idx;
    spec.access.push(Acc {
        type_id: id,
        idx: first,
        name: None,
    });
    spec.raw_len = 1;
    spec.bit_offset = elem_bits(0, first, size(t, id)?)?;
    for acc in &local.access[1..] {
        if acc.name.is_some() {
            match match_member(l, acc, t, id, &mut spec, 0) {
                Some(n) => id = n,
                None => return Ok(None),
            }
            continue;
        }
        let Some(Extra::Array { elem, nelems, .. }) =
            t.type_by_id(t.skip_mods_and_typedefs(id)).map(|x| &x.extra)
        else {
            return Ok(None);
        };
        if !is_flex(t, spec.access.last(), *nelems) && acc.idx >= *nelems {
            return Ok(None);
        }
        let e = t.skip_mods_and_typedefs(*elem);
        spec.access.push(Acc {
            type_id: e,
            idx: acc.idx,
            name: None,
        });
        spec.raw_len += 1;
        spec.bit_offset = elem_bits(spec.bit_offset, acc.idx, size(t, e)?)?;
        id = e;
    }
    Ok(Some(spec))
}

/// A computed relocation (libbpf `bpf_core_relo_res`).
#[derive(Debug, Clone, Default)]
struct Res {
    orig: u64,
    new: u64,
    poison: bool,
    validate: bool,
    orig_sz: u64,
    new_sz: u64,
    orig_type: u32,
    new_type: u32,
    fail_memsz: bool,
}

/// Value of a field relocation: (value, field size, field type, validate).
fn field_value(btf: &Btf, spec: &Spec, relo_kind: u32) -> R<(u64, u64, u32, bool)> {
    if relo_kind == rk::FIELD_EXISTS {
        return Ok((1, 0, 0, true));
    }
    let acc = spec.access.last().ok_or("empty access")?;
    let Some(_) = &acc.name else {
        return match relo_kind {
            rk::FIELD_BYTE_OFFSET => Ok((spec.bit_offset / 8, size(btf, acc.type_id)?, 0, true)),
            rk::FIELD_BYTE_SIZE => Ok((size(btf, acc.type_id)?, 0, 0, true)),
            _ => Err(format!(
                "{} relocation on an array element or root",
                relo_kind_name(relo_kind)
            )),
        };
    };
    let m = members(btf, acc.type_id)
        .and_then(|m| m.get(acc.idx as usize))
        .ok_or("bad member access")?;
    let ftype = btf.skip_mods_and_typedefs(m.type_id);
    let bit_off = spec.bit_offset;
    if bit_off > u64::MAX / 4 {
        return Err("field offset too large".into());
    }
    let mut bit_sz = u64::from(m.bitfield_size);
    let bitfield = bit_sz > 0;
    let (byte_off, byte_sz) = if bitfield {
        let mut byte_sz = size(btf, ftype)?.max(1);
        let mut byte_off = bit_off / 8 / byte_sz * byte_sz;
        while bit_off + bit_sz - byte_off * 8 > byte_sz * 8 {
            if byte_sz >= 8 {
                return Err("bitfield does not fit in 8 bytes".into());
            }
            byte_sz *= 2;
            byte_off = bit_off / 8 / byte_sz * byte_sz;
        }
        (byte_off, byte_sz)
    } else {
        let s = size(btf, ftype)?;
        bit_sz = s * 8;
        (bit_off / 8, s)
    };
    let mut validate = !bitfield;
    let (mut fsz, mut ftid) = (byte_sz, ftype);
    let val = match relo_kind {
        rk::FIELD_BYTE_OFFSET => {
            if bitfield {
                (fsz, ftid) = (0, 0);
            }
            byte_off
        }
        rk::FIELD_BYTE_SIZE => byte_sz,
        rk::FIELD_SIGNED => {
            validate = true;
            let t = btf.type_by_id(ftype);
            match t.map(|t| (&t.extra, t.kind_flag)) {
                Some((Extra::Enumerators(_), kf)) => u64::from(kf),
                Some((Extra::Int(e), _)) => u64::from((e >> 24) & 1 != 0),
                _ => 0,
            }
        }
        rk::FIELD_LSHIFT_U64 => (64u64)
            .checked_sub(bit_off + bit_sz - byte_off * 8)
            .ok_or("field too large for a shift relocation")?,
        rk::FIELD_RSHIFT_U64 => (64u64)
            .checked_sub(bit_sz)
            .ok_or("field too large for a shift relocation")?,
        _ => return Err("not a field relocation".into()),
    };
    Ok((val, fsz, ftid, validate))
}

/// Value of a relocation from one spec (libbpf `bpf_core_calc_relo`, one
/// side): (value, field size, field type, validate).
fn spec_value(btf: &Btf, spec: &Spec, relo_kind: u32) -> R<(u64, u64, u32, bool)> {
    if is_field(relo_kind) {
        return field_value(btf, spec, relo_kind);
    }
    let v = match relo_kind {
        rk::TYPE_ID_LOCAL | rk::TYPE_ID_TARGET => u64::from(spec.root_id),
        rk::TYPE_EXISTS | rk::TYPE_MATCHES | rk::ENUMVAL_EXISTS => 1,
        rk::TYPE_SIZE => size(btf, spec.root_id)?,
        rk::ENUMVAL_VALUE => {
            let a = &spec.access[0];
            match btf.type_by_id(a.type_id).map(|t| &t.extra) {
                Some(Extra::Enumerators(e)) => {
                    e.get(a.idx as usize).ok_or("bad enumerator")?.1 as u64
                }
                _ => return Err("not an enum".into()),
            }
        }
        k => return Err(format!("unknown relocation kind {k}")),
    };
    Ok((v, 0, 0, true))
}

fn calc(l: &Btf, local: &Spec, t: &Btf, targ: Option<&Spec>, relo_kind: u32) -> R<Res> {
    let (orig, orig_sz, orig_type, validate) = spec_value(l, local, relo_kind)?;
    let mut res = Res {
        orig,
        orig_sz,
        orig_type,
        validate,
        ..Res::default()
    };
    match targ {
        Some(ts) => {
            let (new, new_sz, new_type, v2) = spec_value(t, ts, relo_kind)?;
            res.new = new;
            res.new_sz = new_sz;
            res.new_type = new_type;
            res.validate &= v2;
        }
        None => match relo_kind {
            rk::FIELD_EXISTS | rk::TYPE_EXISTS | rk::TYPE_MATCHES | rk::ENUMVAL_EXISTS => {
                res.new = 0
            }
            _ => {
                res.poison = true;
                res.new_sz = res.orig_sz;
            }
        },
    }
    if relo_kind == rk::FIELD_BYTE_OFFSET && targ.is_some() && res.orig_sz != res.new_sz {
        let (ot, nt) = (l.type_by_id(res.orig_type), t.type_by_id(res.new_type));
        let ok = match (ot, nt) {
            (Some(a), Some(b)) => match (&a.extra, &b.extra) {
                (Extra::Int(x), Extra::Int(y)) => x >> 24 == y >> 24,
                (Extra::Enumerators(_), Extra::Enumerators(_)) => {
                    a.kind == b.kind && a.kind_flag == b.kind_flag
                }
                _ => a.kind == kind::PTR && b.kind == kind::PTR,
            },
            _ => false,
        };
        res.fail_memsz = !ok;
    }
    Ok(res)
}

fn bytes_of_size(code: u8) -> u64 {
    match code & 0x18 {
        0x00 => 4,
        0x08 => 2,
        0x10 => 1,
        _ => 8,
    }
}

fn poison(insn: &mut RawInsn) {
    *insn = RawInsn {
        code: 0x85,
        dst: 0,
        src: 0,
        off: 0,
        imm: POISON_CALL_IMM,
    };
}

/// libbpf `bpf_core_patch_insn`.
fn patch(insns: &mut [RawInsn], i: usize, res: &Res) -> R<()> {
    let code = insns[i].code;
    let is_lddw = code == 0x18;
    if res.poison || (res.fail_memsz && matches!(code & 7, 1..=3)) {
        if is_lddw && i + 1 < insns.len() {
            poison(&mut insns[i + 1]);
        }
        poison(&mut insns[i]);
        return Ok(());
    }
    let insn = &mut insns[i];
    match code & 7 {
        4 | 7 => {
            if code & 0x08 != 0 {
                return Err("ALU instruction with a register source".into());
            }
            if res.validate && insn.imm as u32 as u64 != res.orig {
                return Err(format!(
                    "unexpected imm {} (expected {})",
                    insn.imm, res.orig
                ));
            }
            insn.imm = u32::try_from(res.new)
                .map_err(|_| format!("value {} does not fit an imm", res.new))?
                as i32;
        }
        1..=3 => {
            if res.validate && i64::from(insn.off) as u64 != res.orig {
                return Err(format!(
                    "unexpected off {} (expected {})",
                    insn.off, res.orig
                ));
            }
            insn.off = i16::try_from(res.new)
                .map_err(|_| format!("offset {} does not fit 16 bits", res.new))?;
            if res.new_sz != res.orig_sz {
                if bytes_of_size(code) != res.orig_sz {
                    return Err(format!(
                        "unexpected memory access size {} (field is {})",
                        bytes_of_size(code),
                        res.orig_sz
                    ));
                }
                let sz = match res.new_sz {
                    1 => 0x10,
                    2 => 0x08,
                    4 => 0x00,
                    8 => 0x18,
                    n => return Err(format!("no memory access of size {n}")),
                };
                insn.code = (code & !0x18) | sz;
            }
        }
        0 if is_lddw && i + 1 < insns.len() => {
            let cur = u64::from(insns[i].imm as u32) | (u64::from(insns[i + 1].imm as u32) << 32);
            if res.validate && cur != res.orig {
                return Err(format!("unexpected imm64 {cur} (expected {})", res.orig));
            }
            insns[i].imm = res.new as u32 as i32;
            insns[i + 1].imm = (res.new >> 32) as u32 as i32;
        }
        _ => return Err(format!("instruction {code:#04x} cannot be relocated")),
    }
    Ok(())
}

/// Applies all CO-RE relocations of `sec` (records `recs`) to its slots.
/// `target` `None` means the local BTF.
pub(crate) fn apply(
    local: &Btf,
    target: &Target,
    sec: &str,
    recs: &[CoreRelo],
    insns: &mut [RawInsn],
    out: &mut Vec<CoreReloResult>,
) -> Result<(), Error> {
    let t = &*target.btf;
    for (n, r) in recs.iter().enumerate() {
        let access = local.str_at(r.access_str_off).unwrap_or("").to_string();
        let lname = local.type_name(r.type_id).to_string();
        let fail = |m: String| {
            Error::new(
                ErrorKind::Relocation,
                format!(
                    "CO-RE relocation #{n} in '{sec}' (insn byte {}, {} of '{lname}' access '{access}'): {m}",
                    r.insn_off,
                    relo_kind_name(r.kind)
                ),
            )
        };
        let i = (r.insn_off / 8) as usize;
        if r.insn_off % 8 != 0 || i >= insns.len() {
            return Err(fail("instruction offset out of range".into()));
        }
        let lspec = parse_spec(local, r.type_id, &access, r.kind).map_err(fail)?;
        let res = if r.kind == rk::TYPE_ID_LOCAL || target.identity {
            let mut res = calc(local, &lspec, local, Some(&lspec), r.kind).map_err(fail)?;
            res.new = res.orig;
            res
        } else {
            if lname.is_empty() {
                return Err(fail("anonymous root type".into()));
            }
            let lkind = tkind(local, r.type_id);
            let ids = target
                .by_name
                .get(essential_name(&lname))
                .map_or(&[][..], Vec::as_slice)
                .iter()
                .copied()
                .filter(|&id| kind_compat(tkind(t, id), lkind));
            let mut chosen: Option<Res> = None;
            for cid in ids {
                let Some(ts) = spec_match(local, &lspec, t, cid, r.kind).map_err(fail)? else {
                    continue;
                };
                let res = calc(local, &lspec, t, Some(&ts), r.kind).map_err(fail)?;
                if let Some(c) = &chosen {
                    if c.new != res.new || c.poison != res.poison {
                        return Err(fail(format!(
                            "ambiguous: candidates give {} and {}",
                            c.new, res.new
                        )));
                    }
                } else {
                    chosen = Some(res);
                }
            }
            match chosen {
                Some(c) => c,
                None => calc(local, &lspec, t, None, r.kind).map_err(fail)?,
            }
        };
        patch(insns, i, &res).map_err(fail)?;
        out.push(CoreReloResult {
            section: sec.to_string(),
            insn_off: r.insn_off,
            kind: r.kind,
            local_type: lname,
            access,
            orig_val: res.orig,
            new_val: res.new,
            poisoned: res.poison || res.fail_memsz,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn essential_names() {
        assert_eq!(essential_name("iphdr___mine"), "iphdr");
        assert_eq!(essential_name("iphdr"), "iphdr");
        assert_eq!(essential_name("a___b___c"), "a___b");
        assert_eq!(essential_name("____x"), "____x");
        assert_eq!(essential_name("x____y"), "x____y");
    }

    #[test]
    fn patch_checks_and_rewrites() {
        let ldx = RawInsn {
            code: 0x61,
            dst: 1,
            src: 2,
            off: 4,
            imm: 0,
        };
        let mut v = vec![ldx];
        let res = Res {
            orig: 4,
            new: 12,
            validate: true,
            orig_sz: 4,
            new_sz: 2,
            ..Res::default()
        };
        patch(&mut v, 0, &res).unwrap();
        assert_eq!((v[0].off, v[0].code), (12, 0x69));
        // the instruction no longer holds the expected original value
        assert!(patch(&mut v, 0, &res).is_err());
        let mut v = vec![ldx];
        let big = Res {
            orig: 4,
            new: 40000,
            validate: true,
            ..Res::default()
        };
        assert!(patch(&mut v, 0, &big).unwrap_err().contains("16 bits"));
        let mut v = vec![ldx];
        let p = Res {
            poison: true,
            ..Res::default()
        };
        patch(&mut v, 0, &p).unwrap();
        assert_eq!((v[0].code, v[0].imm), (0x85, 0x0bad_2310));
    }
}

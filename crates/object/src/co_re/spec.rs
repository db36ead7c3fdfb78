//! CO-RE access specs: parsing the access string against the local BTF
//! (libbpf `bpf_core_parse_spec`) and matching it in a target candidate
//! (`bpf_core_spec_match`, with the type compatibility relations).

use super::{essential_name, is_enumval, is_field, rk};
use crate::btf::{kind, Btf, Extra};

/// One step of an access path (libbpf `bpf_core_accessor`).
#[derive(Debug, Clone)]
pub(super) struct Acc {
    /// The composite type (named access) or the array element type.
    pub(super) type_id: u32,
    pub(super) idx: u32,
    /// Member/enumerator name; `None` for array indexing.
    pub(super) name: Option<String>,
}

#[derive(Debug, Clone)]
pub(super) struct Spec {
    pub(super) root_id: u32,
    pub(super) access: Vec<Acc>,
    pub(super) raw_len: usize,
    pub(super) bit_offset: u64,
}

pub(super) type R<T> = Result<T, String>;

pub(super) fn members(btf: &Btf, id: u32) -> Option<&[crate::btf::Member]> {
    match &btf.type_by_id(id)?.extra {
        Extra::Members(m) => Some(m),
        _ => None,
    }
}

pub(super) fn is_composite(btf: &Btf, id: u32) -> bool {
    btf.type_by_id(id)
        .is_some_and(|t| t.kind == kind::STRUCT || t.kind == kind::UNION)
}

pub(super) fn tkind(btf: &Btf, id: u32) -> u8 {
    btf.type_by_id(id).map_or(0, |t| t.kind)
}

pub(super) fn is_enum(k: u8) -> bool {
    k == kind::ENUM || k == kind::ENUM64
}

pub(super) fn kind_compat(a: u8, b: u8) -> bool {
    a == b || (is_enum(a) && is_enum(b))
}

pub(super) fn size(btf: &Btf, id: u32) -> R<u64> {
    btf.resolve_size(id)
        .map(u64::from)
        .map_err(|e| e.message().to_string())
}

pub(super) fn int_enc(btf: &Btf, id: u32) -> Option<u32> {
    match btf.type_by_id(id)?.extra {
        Extra::Int(e) => Some(e),
        _ => None,
    }
}

/// `base + idx * size * 8` without overflow.
pub(super) fn elem_bits(base: u64, idx: u32, size: u64) -> R<u64> {
    u64::from(idx)
        .checked_mul(size)
        .and_then(|b| b.checked_mul(8))
        .and_then(|b| b.checked_add(base))
        .ok_or_else(|| "offset overflows".to_string())
}

/// libbpf `bpf_core_parse_spec`.
pub(super) fn parse_spec(btf: &Btf, type_id: u32, access: &str, relo_kind: u32) -> R<Spec> {
    if relo_kind > rk::TYPE_MATCHES {
        return Err(format!("unknown relocation kind {relo_kind}"));
    }
    if !is_field(relo_kind) && !is_enumval(relo_kind) && access != "0" {
        return Err(format!("type relocation with access '{access}'"));
    }
    let raw: Vec<u32> = access
        .split(':')
        .map(|s| s.parse::<u32>())
        .collect::<Result<_, _>>()
        .map_err(|_| format!("malformed access string '{access}'"))?;
    if raw.is_empty() || raw.len() > 64 {
        return Err(format!("malformed access string '{access}'"));
    }
    if btf.type_by_id(type_id).is_none() {
        return Err(format!("unknown local type id {type_id}"));
    }
    let mut spec = Spec {
        root_id: type_id,
        access: Vec::new(),
        raw_len: raw.len(),
        bit_offset: 0,
    };
    if !is_field(relo_kind) && !is_enumval(relo_kind) {
        return Ok(spec);
    }
    if is_enumval(relo_kind) {
        let type_id = btf.skip_mods_and_typedefs(type_id);
        let t = btf
            .type_by_id(type_id)
            .ok_or("enum value relocation on void")?;
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
pub(super) fn is_flex(btf: &Btf, prev: Option<&Acc>, nelems: u32) -> bool {
    let Some(a) = prev.filter(|a| a.name.is_some()) else {
        return false;
    };
    nelems == 0 && members(btf, a.type_id).is_some_and(|m| a.idx as usize + 1 == m.len())
}

/// libbpf `bpf_core_types_are_compat`.
pub(super) fn types_compat(l: &Btf, lid: u32, t: &Btf, tid: u32, depth: u32) -> bool {
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
            kind::STRUCT | kind::UNION | kind::ENUM | kind::ENUM64 | kind::FWD => true,
            _ => false,
        },
    }
}

/// Essential names equal, or both anonymous (libbpf
/// `bpf_core_names_match`).
pub(super) fn names_match(l: &Btf, loff: u32, t: &Btf, toff: u32) -> bool {
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
pub(super) fn types_match(
    l: &Btf,
    lid: u32,
    t: &Btf,
    tid: u32,
    behind_ptr: bool,
    level: u32,
) -> bool {
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
pub(super) fn fields_compat(l: &Btf, lid: u32, t: &Btf, tid: u32, depth: u32) -> bool {
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
        kind::FLOAT | kind::PTR => true,
        kind::FWD | kind::ENUM | kind::ENUM64 => {
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
pub(super) fn match_member(
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
pub(super) fn spec_match(
    l: &Btf,
    local: &Spec,
    t: &Btf,
    targ_id: u32,
    relo_kind: u32,
) -> R<Option<Spec>> {
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
        let targ_id = t.skip_mods_and_typedefs(targ_id);
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

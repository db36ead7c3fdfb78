//! A parser for the `.BTF` and `.BTF.ext` sections (the formats of
//! include/uapi/linux/btf.h and libbpf's btf.h), and the fixups libbpf
//! makes before handing BTF to `BPF_BTF_LOAD` (`btf_fixup_datasec`).

use crate::error::{err, Error, ErrorKind};

const BTF_MAGIC: u16 = 0xeb9f;

/// BTF kind numbers (`BTF_KIND_*`).
#[allow(missing_docs)]
pub mod kind {
    pub const INT: u8 = 1;
    pub const PTR: u8 = 2;
    pub const ARRAY: u8 = 3;
    pub const STRUCT: u8 = 4;
    pub const UNION: u8 = 5;
    pub const ENUM: u8 = 6;
    pub const FWD: u8 = 7;
    pub const TYPEDEF: u8 = 8;
    pub const VOLATILE: u8 = 9;
    pub const CONST: u8 = 10;
    pub const RESTRICT: u8 = 11;
    pub const FUNC: u8 = 12;
    pub const FUNC_PROTO: u8 = 13;
    pub const VAR: u8 = 14;
    pub const DATASEC: u8 = 15;
    pub const FLOAT: u8 = 16;
    pub const DECL_TAG: u8 = 17;
    pub const TYPE_TAG: u8 = 18;
    pub const ENUM64: u8 = 19;
}

/// `BTF_FUNC_STATIC` (a FUNC's linkage lives in `vlen`).
pub const FUNC_STATIC: u32 = 0;
/// `BTF_FUNC_GLOBAL`.
pub const FUNC_GLOBAL: u16 = 1;
/// `BTF_VAR_STATIC`.
pub const VAR_STATIC: u32 = 0;
/// `BTF_VAR_GLOBAL_EXTERN`.
pub const VAR_GLOBAL_EXTERN: u32 = 2;

/// A struct or union member (`struct btf_member`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// Name offset in the string section.
    pub name_off: u32,
    /// Member type id.
    pub type_id: u32,
    /// Bit offset of the member (bitfield size already stripped).
    pub bit_offset: u32,
    /// Bitfield size in bits for `kind_flag` structs (0: not a bitfield,
    /// or a pre-`kind_flag` bitfield encoded in its INT type).
    pub bitfield_size: u32,
}

/// One `struct btf_var_secinfo` of a DATASEC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VarSecInfo {
    /// The VAR (or FUNC for `.ksyms`) type id.
    pub type_id: u32,
    /// Offset in the section.
    pub offset: u32,
    /// Size in bytes.
    pub size: u32,
}

/// Kind-specific data following a `struct btf_type`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Extra {
    /// No extra data (PTR, FWD, TYPEDEF, modifiers, FUNC, FLOAT, TYPE_TAG).
    None,
    /// INT encoding word.
    Int(u32),
    /// ARRAY: element type, index type, element count.
    Array {
        /// Element type.
        elem: u32,
        /// Index type.
        index: u32,
        /// Number of elements.
        nelems: u32,
    },
    /// STRUCT/UNION members.
    Members(Vec<Member>),
    /// ENUM/ENUM64 enumerators: name offset and (sign-extended) value.
    Enumerators(Vec<(u32, i64)>),
    /// FUNC_PROTO parameters: name offset and type.
    Params(Vec<(u32, u32)>),
    /// VAR linkage.
    Var(u32),
    /// DATASEC variables.
    DataSec(Vec<VarSecInfo>),
    /// DECL_TAG component index.
    DeclTag(i32),
}

/// One parsed BTF type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BtfType {
    /// Name offset in the string section.
    pub name_off: u32,
    /// `BTF_KIND_*`.
    pub kind: u8,
    /// The `kind_flag` bit.
    pub kind_flag: bool,
    /// `vlen` (members, enumerators, params, vars).
    pub vlen: u16,
    /// `size` or `type`, depending on the kind.
    pub size_or_type: u32,
    /// Kind-specific data.
    pub extra: Extra,
    /// Byte offset of this record inside the raw blob (for fixups).
    raw_off: usize,
}

impl BtfType {
    /// Byte offset of this record inside the raw blob.
    pub(crate) fn raw_off(&self) -> usize {
        self.raw_off
    }
}

/// A parsed `.BTF` section. Type id 0 is `void`; ids start at 1.
#[derive(Debug, Clone)]
pub struct Btf {
    raw: Vec<u8>,
    types: Vec<BtfType>,
    str_start: usize,
    str_len: usize,
}

fn rd_u16(b: &[u8], off: usize) -> Option<u16> {
    Some(u16::from_le_bytes(
        b.get(off..off.checked_add(2)?)?.try_into().ok()?,
    ))
}

pub(crate) fn rd_u32(b: &[u8], off: usize) -> Option<u32> {
    Some(u32::from_le_bytes(
        b.get(off..off.checked_add(4)?)?.try_into().ok()?,
    ))
}

fn btf_err<T>(msg: impl Into<String>) -> Result<T, Error> {
    err(ErrorKind::Btf, msg)
}

impl Btf {
    /// Parses a `.BTF` section (little-endian only).
    pub fn parse(raw: &[u8]) -> Result<Btf, Error> {
        let magic =
            rd_u16(raw, 0).ok_or_else(|| Error::new(ErrorKind::Btf, ".BTF: truncated header"))?;
        if magic != BTF_MAGIC {
            return btf_err(format!(
                ".BTF: bad magic {magic:#06x} (big-endian BTF is not supported)"
            ));
        }
        let field = |off| {
            rd_u32(raw, off).ok_or_else(|| Error::new(ErrorKind::Btf, ".BTF: truncated header"))
        };
        let hdr_len = field(4)? as usize;
        let (type_off, type_len) = (field(8)? as usize, field(12)? as usize);
        let (str_off, str_len) = (field(16)? as usize, field(20)? as usize);
        let span = |off: usize, len: usize| {
            hdr_len
                .checked_add(off)
                .and_then(|s| s.checked_add(len).map(|e| (s, e)))
                .filter(|&(_, e)| e <= raw.len())
        };
        let Some((t_start, t_end)) = span(type_off, type_len) else {
            return btf_err(".BTF: type section out of bounds");
        };
        let Some((s_start, _)) = span(str_off, str_len) else {
            return btf_err(".BTF: string section out of bounds");
        };
        if hdr_len < 24 {
            return btf_err(".BTF: header too short");
        }
        let mut types = Vec::new();
        let mut off = t_start;
        while off < t_end {
            let (t, next) = parse_type(raw, off, t_end).ok_or_else(|| {
                Error::new(
                    ErrorKind::Btf,
                    format!(".BTF: malformed type #{} at byte {off}", types.len() + 1),
                )
            })?;
            types.push(t);
            off = next;
        }
        Ok(Btf {
            raw: raw.to_vec(),
            types,
            str_start: s_start,
            str_len,
        })
    }

    /// The section exactly as found in the object file.
    pub fn raw(&self) -> &[u8] {
        &self.raw
    }

    /// Number of types, not counting `void`.
    pub fn len(&self) -> usize {
        self.types.len()
    }

    /// Whether there are no types.
    pub fn is_empty(&self) -> bool {
        self.types.is_empty()
    }

    /// The type with this id (`None` for 0 = void and for unknown ids).
    pub fn type_by_id(&self, id: u32) -> Option<&BtfType> {
        (id as usize).checked_sub(1).and_then(|i| self.types.get(i))
    }

    /// All types with their ids.
    pub fn types(&self) -> impl Iterator<Item = (u32, &BtfType)> {
        self.types
            .iter()
            .enumerate()
            .map(|(i, t)| (i as u32 + 1, t))
    }

    /// The NUL-terminated string at `off` in the string section.
    pub fn str_at(&self, off: u32) -> Option<&str> {
        let off = off as usize;
        if off >= self.str_len {
            return None;
        }
        let s = &self.raw[self.str_start + off..self.str_start + self.str_len];
        let end = s.iter().position(|&c| c == 0)?;
        std::str::from_utf8(&s[..end]).ok()
    }

    /// The name of type `id` ("" when anonymous or unknown).
    pub fn type_name(&self, id: u32) -> &str {
        self.type_by_id(id)
            .and_then(|t| self.str_at(t.name_off))
            .unwrap_or("")
    }

    /// Follows typedefs and modifiers (const, volatile, restrict, type tags)
    /// to the underlying type id (libbpf `skip_mods_and_typedefs`).
    pub fn skip_mods_and_typedefs(&self, mut id: u32) -> u32 {
        for _ in 0..64 {
            match self.type_by_id(id) {
                Some(t)
                    if matches!(
                        t.kind,
                        kind::TYPEDEF
                            | kind::VOLATILE
                            | kind::CONST
                            | kind::RESTRICT
                            | kind::TYPE_TAG
                    ) =>
                {
                    id = t.size_or_type
                }
                _ => return id,
            }
        }
        id
    }

    /// Size in bytes of type `id` (libbpf `btf__resolve_size`).
    pub fn resolve_size(&self, id: u32) -> Result<u32, Error> {
        let mut id = id;
        let mut mult: u64 = 1;
        for _ in 0..64 {
            let Some(t) = self.type_by_id(id) else {
                return btf_err(format!("BTF type [{id}] has no size"));
            };
            match t.kind {
                kind::INT
                | kind::STRUCT
                | kind::UNION
                | kind::ENUM
                | kind::ENUM64
                | kind::DATASEC
                | kind::FLOAT => {
                    let total = mult.saturating_mul(u64::from(t.size_or_type));
                    return u32::try_from(total)
                        .or_else(|_| btf_err(format!("BTF type [{id}] is too large")));
                }
                kind::PTR => {
                    return u32::try_from(mult.saturating_mul(8))
                        .or_else(|_| btf_err(format!("BTF type [{id}] is too large")))
                }
                kind::TYPEDEF
                | kind::VOLATILE
                | kind::CONST
                | kind::RESTRICT
                | kind::TYPE_TAG
                | kind::VAR => id = t.size_or_type,
                kind::ARRAY => {
                    let Extra::Array { elem, nelems, .. } = t.extra else {
                        return btf_err("BTF array without array data");
                    };
                    mult = mult.saturating_mul(u64::from(nelems));
                    id = elem;
                }
                _ => {
                    return btf_err(format!(
                        "BTF type [{id}] ({}) has no size",
                        kind_name(t.kind)
                    ))
                }
            }
        }
        btf_err("BTF type chain too deep")
    }

    /// Finds the first type of `kind` named `name`.
    pub fn find(&self, name: &str, kind: u8) -> Option<u32> {
        self.types()
            .find(|(_, t)| t.kind == kind && self.str_at(t.name_off) == Some(name))
            .map(|(id, _)| id)
    }

    /// Produces the bytes libbpf would pass to `BPF_BTF_LOAD`: every DATASEC
    /// whose size clang left as 0 gets its ELF section size and its
    /// variables' offsets from their ELF symbols, variables whose symbol is
    /// hidden become static, and variables are sorted by offset
    /// (libbpf `btf_fixup_datasec`). Returns `None` when a DATASEC cannot be
    /// fixed (no such ELF section, or a variable without a symbol).
    /// Global `FUNC`s named in `static_funcs` (hidden sub-programs) become
    /// static, as libbpf does for `mark_btf_static` sub-programs.
    pub fn sanitized(
        &self,
        section_size: &dyn Fn(&str) -> Option<u32>,
        var_symbol: &dyn Fn(&str) -> Option<(u32, bool)>,
        static_funcs: &[&str],
    ) -> Option<Vec<u8>> {
        let mut out = self.raw.clone();
        for name in static_funcs {
            let f = self.types.iter().find(|t| {
                t.kind == kind::FUNC
                    && t.vlen == FUNC_GLOBAL
                    && self.str_at(t.name_off) == Some(name)
            });
            if let Some(f) = f {
                let info = u32::from(kind::FUNC) << 24 | FUNC_STATIC;
                out[f.raw_off + 4..f.raw_off + 8].copy_from_slice(&info.to_le_bytes());
            }
        }
        for t in &self.types {
            let Extra::DataSec(vars) = &t.extra else {
                continue;
            };
            let sec_name = self.str_at(t.name_off)?;
            if sec_name == ".kconfig" || sec_name == ".ksyms" {
                continue;
            }
            let fix_offsets = t.size_or_type == 0;
            if fix_offsets {
                let size = section_size(sec_name).filter(|&s| s != 0)?;
                out[t.raw_off + 8..t.raw_off + 12].copy_from_slice(&size.to_le_bytes());
            }
            let mut fixed = vars.clone();
            for v in fixed.iter_mut() {
                let vt = self
                    .type_by_id(v.type_id)
                    .filter(|vt| vt.kind == kind::VAR)?;
                let Extra::Var(linkage) = vt.extra else {
                    return None;
                };
                if linkage == VAR_STATIC || linkage == VAR_GLOBAL_EXTERN {
                    continue;
                }
                let (value, hidden) = var_symbol(self.str_at(vt.name_off)?)?;
                if fix_offsets {
                    v.offset = value;
                }
                if hidden {
                    out[vt.raw_off + 12..vt.raw_off + 16]
                        .copy_from_slice(&VAR_STATIC.to_le_bytes());
                }
            }
            fixed.sort_by_key(|v| v.offset);
            for (i, v) in fixed.iter().enumerate() {
                let at = t.raw_off + 12 + i * 12;
                out[at..at + 4].copy_from_slice(&v.type_id.to_le_bytes());
                out[at + 4..at + 8].copy_from_slice(&v.offset.to_le_bytes());
                out[at + 8..at + 12].copy_from_slice(&v.size.to_le_bytes());
            }
        }
        Some(out)
    }
}

/// Human name of a BTF kind, for messages.
pub fn kind_name(k: u8) -> &'static str {
    match k {
        kind::INT => "INT",
        kind::PTR => "PTR",
        kind::ARRAY => "ARRAY",
        kind::STRUCT => "STRUCT",
        kind::UNION => "UNION",
        kind::ENUM => "ENUM",
        kind::FWD => "FWD",
        kind::TYPEDEF => "TYPEDEF",
        kind::VOLATILE => "VOLATILE",
        kind::CONST => "CONST",
        kind::RESTRICT => "RESTRICT",
        kind::FUNC => "FUNC",
        kind::FUNC_PROTO => "FUNC_PROTO",
        kind::VAR => "VAR",
        kind::DATASEC => "DATASEC",
        kind::FLOAT => "FLOAT",
        kind::DECL_TAG => "DECL_TAG",
        kind::TYPE_TAG => "TYPE_TAG",
        kind::ENUM64 => "ENUM64",
        _ => "UNKNOWN",
    }
}

/// Parses one type record at `off`; returns it and the next offset.
fn parse_type(b: &[u8], off: usize, end: usize) -> Option<(BtfType, usize)> {
    let b = &b[..end];
    let name_off = rd_u32(b, off)?;
    let info = rd_u32(b, off + 4)?;
    let size_or_type = rd_u32(b, off + 8)?;
    let vlen = (info & 0xffff) as u16;
    let kind = ((info >> 24) & 0x1f) as u8;
    let kind_flag = info >> 31 != 0;
    let mut p = off + 12;
    let n = vlen as usize;
    let extra = match kind {
        kind::INT => {
            p += 4;
            Extra::Int(rd_u32(b, p - 4)?)
        }
        kind::PTR
        | kind::FWD
        | kind::TYPEDEF
        | kind::VOLATILE
        | kind::CONST
        | kind::RESTRICT
        | kind::FUNC
        | kind::FLOAT
        | kind::TYPE_TAG => Extra::None,
        kind::ARRAY => {
            p += 12;
            Extra::Array {
                elem: rd_u32(b, p - 12)?,
                index: rd_u32(b, p - 8)?,
                nelems: rd_u32(b, p - 4)?,
            }
        }
        kind::STRUCT | kind::UNION => {
            let mut v = Vec::with_capacity(n.min(4096));
            for _ in 0..n {
                let raw_off = rd_u32(b, p + 8)?;
                let bit_offset = if kind_flag {
                    raw_off & 0x00ff_ffff
                } else {
                    raw_off
                };
                v.push(Member {
                    name_off: rd_u32(b, p)?,
                    type_id: rd_u32(b, p + 4)?,
                    bit_offset,
                    bitfield_size: if kind_flag { raw_off >> 24 } else { 0 },
                });
                p += 12;
            }
            Extra::Members(v)
        }
        kind::ENUM => {
            let mut v = Vec::with_capacity(n.min(4096));
            for _ in 0..n {
                let raw = rd_u32(b, p + 4)?;
                let val = if kind_flag {
                    i64::from(raw as i32)
                } else {
                    i64::from(raw)
                };
                v.push((rd_u32(b, p)?, val));
                p += 8;
            }
            Extra::Enumerators(v)
        }
        kind::ENUM64 => {
            let mut v = Vec::with_capacity(n.min(4096));
            for _ in 0..n {
                let val = u64::from(rd_u32(b, p + 4)?) | (u64::from(rd_u32(b, p + 8)?) << 32);
                v.push((rd_u32(b, p)?, val as i64));
                p += 12;
            }
            Extra::Enumerators(v)
        }
        kind::FUNC_PROTO => {
            let mut v = Vec::with_capacity(n.min(4096));
            for _ in 0..n {
                v.push((rd_u32(b, p)?, rd_u32(b, p + 4)?));
                p += 8;
            }
            Extra::Params(v)
        }
        kind::VAR => {
            p += 4;
            Extra::Var(rd_u32(b, p - 4)?)
        }
        kind::DATASEC => {
            let mut v = Vec::with_capacity(n.min(4096));
            for _ in 0..n {
                v.push(VarSecInfo {
                    type_id: rd_u32(b, p)?,
                    offset: rd_u32(b, p + 4)?,
                    size: rd_u32(b, p + 8)?,
                });
                p += 12;
            }
            Extra::DataSec(v)
        }
        kind::DECL_TAG => {
            p += 4;
            Extra::DeclTag(rd_u32(b, p - 4)? as i32)
        }
        _ => return None,
    };
    if p > end {
        return None;
    }
    Some((
        BtfType {
            name_off,
            kind,
            kind_flag,
            vlen,
            size_or_type,
            extra,
            raw_off: off,
        },
        p,
    ))
}

/// One `.BTF.ext` func_info record, for one ELF section.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExtFunc {
    /// Byte offset of the function in its ELF section.
    pub insn_off: u32,
    /// BTF id of the `BTF_KIND_FUNC`.
    pub type_id: u32,
}

/// One `.BTF.ext` line_info record, for one ELF section.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExtLine {
    /// Byte offset of the instruction in its ELF section.
    pub insn_off: u32,
    /// String offset of the file name.
    pub file_name_off: u32,
    /// String offset of the source line text.
    pub line_off: u32,
    /// `line << 10 | column`.
    pub line_col: u32,
}

/// The parsed `.BTF.ext` section, grouped by ELF section name.
#[derive(Debug, Clone, Default)]
pub struct BtfExt {
    /// func_info per section.
    pub func_info: Vec<(String, Vec<ExtFunc>)>,
    /// line_info per section.
    pub line_info: Vec<(String, Vec<ExtLine>)>,
    /// Number of CO-RE relocation records per section.
    pub core_relos: Vec<(String, usize)>,
    /// The CO-RE relocation records (`struct bpf_core_relo`) per section.
    pub core_relo_recs: Vec<(String, Vec<CoreRelo>)>,
}

/// One `.BTF.ext` CO-RE relocation record (`struct bpf_core_relo`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CoreRelo {
    /// Byte offset of the instruction in its ELF section.
    pub insn_off: u32,
    /// Local BTF id of the root type.
    pub type_id: u32,
    /// String offset of the access string ("0:1:2").
    pub access_str_off: u32,
    /// `enum bpf_core_relo_kind`.
    pub kind: u32,
}

impl BtfExt {
    /// Parses `.BTF.ext`; strings are resolved through `btf`.
    pub fn parse(raw: &[u8], btf: &Btf) -> Result<BtfExt, Error> {
        let trunc = || Error::new(ErrorKind::Btf, ".BTF.ext: truncated header");
        if rd_u16(raw, 0).ok_or_else(trunc)? != BTF_MAGIC {
            return btf_err(".BTF.ext: bad magic");
        }
        let hdr_len = rd_u32(raw, 4).ok_or_else(trunc)? as usize;
        if hdr_len < 24 {
            return btf_err(".BTF.ext: header too short");
        }
        let f = |o| rd_u32(raw, o).map(|v| v as usize).ok_or_else(trunc);
        let mut ext = BtfExt::default();
        let sub = |off: usize,
                   len: usize,
                   what: &str,
                   min_rec: usize|
         -> Result<Vec<(String, u32, Vec<u8>)>, Error> {
            parse_ext_sub(raw, btf, hdr_len, off, len, what, min_rec)
        };
        for (sec, rec_size, recs) in sub(f(8)?, f(12)?, "func_info", 8)? {
            let v = recs
                .chunks_exact(rec_size as usize)
                .filter_map(|r| {
                    Some(ExtFunc {
                        insn_off: rd_u32(r, 0)?,
                        type_id: rd_u32(r, 4)?,
                    })
                })
                .collect();
            ext.func_info.push((sec, v));
        }
        for (sec, rec_size, recs) in sub(f(16)?, f(20)?, "line_info", 16)? {
            let v = recs
                .chunks_exact(rec_size as usize)
                .filter_map(|r| {
                    Some(ExtLine {
                        insn_off: rd_u32(r, 0)?,
                        file_name_off: rd_u32(r, 4)?,
                        line_off: rd_u32(r, 8)?,
                        line_col: rd_u32(r, 12)?,
                    })
                })
                .collect();
            ext.line_info.push((sec, v));
        }
        if hdr_len >= 32 {
            for (sec, rec_size, recs) in sub(f(24)?, f(28)?, "core_relo", 16)? {
                ext.core_relos
                    .push((sec.clone(), recs.len() / rec_size as usize));
                let v = recs
                    .chunks_exact(rec_size as usize)
                    .filter_map(|r| {
                        Some(CoreRelo {
                            insn_off: rd_u32(r, 0)?,
                            type_id: rd_u32(r, 4)?,
                            access_str_off: rd_u32(r, 8)?,
                            kind: rd_u32(r, 12)?,
                        })
                    })
                    .collect();
                ext.core_relo_recs.push((sec, v));
            }
        }
        Ok(ext)
    }
}

/// Splits one `.BTF.ext` sub-section into (section name, record size,
/// record bytes) groups.
fn parse_ext_sub(
    raw: &[u8],
    btf: &Btf,
    hdr_len: usize,
    off: usize,
    len: usize,
    what: &str,
    min_rec: usize,
) -> Result<Vec<(String, u32, Vec<u8>)>, Error> {
    if len == 0 {
        return Ok(Vec::new());
    }
    let bad = || Error::new(ErrorKind::Btf, format!(".BTF.ext: malformed {what}"));
    let start = hdr_len.checked_add(off).ok_or_else(bad)?;
    let end = start
        .checked_add(len)
        .filter(|&e| e <= raw.len())
        .ok_or_else(bad)?;
    let b = &raw[..end];
    let rec_size = rd_u32(b, start).ok_or_else(bad)?;
    if (rec_size as usize) < min_rec || rec_size % 4 != 0 {
        return Err(bad());
    }
    let mut p = start + 4;
    let mut out = Vec::new();
    while p < end {
        let name_off = rd_u32(b, p).ok_or_else(bad)?;
        let n = rd_u32(b, p + 4).ok_or_else(bad)? as usize;
        p += 8;
        let bytes = n.checked_mul(rec_size as usize).ok_or_else(bad)?;
        let recs = b
            .get(p..p.checked_add(bytes).ok_or_else(bad)?)
            .ok_or_else(bad)?;
        let name = btf.str_at(name_off).ok_or_else(bad)?.to_string();
        out.push((name, rec_size, recs.to_vec()));
        p += bytes;
    }
    Ok(out)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Builds a tiny BTF blob: `int` and `struct s { int a; int b[3]; }`.
    fn tiny() -> Vec<u8> {
        let strings = b"\0int\0s\0a\0b\0".to_vec();
        let mut types = Vec::new();
        let mut push = |w: &[u32]| {
            w.iter()
                .for_each(|x| types.extend_from_slice(&x.to_le_bytes()))
        };
        push(&[1, (kind::INT as u32) << 24, 4, 32]); // [1] int
        push(&[0, (kind::ARRAY as u32) << 24, 0, 1, 1, 3]); // [2] int[3]
        push(&[5, (kind::STRUCT as u32) << 24 | 2, 16, 7, 1, 0, 9, 2, 32]); // [3] struct s
        push(&[0, (kind::CONST as u32) << 24, 3]); // [4] const struct s
        blob(&types, &strings)
    }

    /// A BTF blob (header, then the type and string sections) for unit
    /// tests building their own types.
    pub(crate) fn blob(types: &[u8], strings: &[u8]) -> Vec<u8> {
        let mut b = Vec::new();
        b.extend_from_slice(&BTF_MAGIC.to_le_bytes());
        b.extend_from_slice(&[1, 0]);
        for w in [
            24u32,
            0,
            types.len() as u32,
            types.len() as u32,
            strings.len() as u32,
        ] {
            b.extend_from_slice(&w.to_le_bytes());
        }
        b.extend_from_slice(types);
        b.extend_from_slice(strings);
        b
    }

    #[test]
    fn parses_and_resolves_sizes() {
        let btf = Btf::parse(&tiny()).unwrap();
        assert_eq!(btf.len(), 4);
        assert_eq!(btf.type_name(1), "int");
        assert_eq!(btf.resolve_size(2).unwrap(), 12);
        assert_eq!(btf.resolve_size(4).unwrap(), 16);
        assert_eq!(btf.skip_mods_and_typedefs(4), 3);
        assert_eq!(btf.find("s", kind::STRUCT), Some(3));
        let Extra::Members(m) = &btf.type_by_id(3).unwrap().extra else {
            panic!()
        };
        assert_eq!(m[1].bit_offset, 32);
        assert_eq!(btf.str_at(m[1].name_off), Some("b"));
    }

    #[test]
    fn truncations_are_errors_not_panics() {
        let full = tiny();
        for n in 0..full.len() {
            let _ = Btf::parse(&full[..n]);
        }
        let mut bad = full.clone();
        bad[0] = 0;
        assert_eq!(Btf::parse(&bad).unwrap_err().kind(), ErrorKind::Btf);
    }
}

//! Extern symbols, resolved the way libbpf's `bpf_object__collect_externs`
//! and `bpf_object__resolve_externs` do:
//!
//! - `__kconfig` externs (DATASEC `.kconfig`) live in a read-only
//!   `.kconfig` array map libbpf adds after the global-data maps; each gets
//!   an offset (externs sorted by alignment, descending, then size, then
//!   name) and its value from an [`ExternSource`]: `CONFIG_*` lines of the
//!   kernel configuration (`y`/`n`/`m`, numbers, quoted strings) and the
//!   virtual `LINUX_KERNEL_VERSION`, `LINUX_HAS_BPF_COOKIE`,
//!   `LINUX_HAS_SYSCALL_WRAPPER`. A value nobody gives is 0: libbpf does
//!   so for weak externs and refuses strong ones; bpfbox gives a strong
//!   one 0 too (a deterministic default) and says so in [`Resolution`].
//! - `__ksym` variables (DATASEC `.ksyms`): a typeless one (`const void`)
//!   becomes the symbol's kernel address (`/proc/kallsyms`), a typed one
//!   `BPF_PSEUDO_BTF_ID` with the id of the kernel BTF `VAR` of that name;
//!   `__ksym` functions (kfuncs) become `BPF_PSEUDO_KFUNC_CALL` calls of
//!   the kernel BTF `FUNC` of that name, or, unresolved and weak, libbpf's
//!   poisoned call (`call 2002000000 + extern index`).
//!
//! Not done (documented difference): kernel-module BTFs are not searched
//! for ksyms and kfuncs, and the local and kernel types of a typed ksym or
//! kfunc are not checked for compatibility.

use std::sync::Arc;

use bpfbox_isa::raw::op;
use bpfbox_isa::RawInsn;

use crate::btf::{kind, Btf, Extra};
use crate::elf::{Elf, STB_GLOBAL, STB_WEAK};
use crate::error::{err, Error, ErrorKind};

/// `call` immediate libbpf writes over an unresolved weak kfunc call (plus
/// the extern's index).
pub const POISON_CALL_KFUNC_BASE: i32 = 2_002_000_000;

/// Values of externs, supplied by whoever loads the object (bpfbox's own
/// reads the running kernel and the setup file).
pub trait ExternSource: std::fmt::Debug + Send + Sync {
    /// The value of `__kconfig` extern `name` written as the right-hand
    /// side of a Kconfig line (`y`, `m`, `n`, `250`, `0x10`, `"text"`),
    /// with where it came from (`/proc/config.gz`, `setup.json`); `None`
    /// when nothing gives it.
    fn kconfig(&self, name: &str) -> Option<(String, String)>;
    /// The kernel address of symbol `name` (typeless `__ksym`).
    fn kallsyms(&self, name: &str) -> Option<u64>;
    /// The kernel's BTF to resolve typed `__ksym`s and kfuncs against.
    fn kernel_btf(&self) -> Option<Arc<Btf>>;
}

/// What kind of value a `__kconfig` extern holds (libbpf `kcfg_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KcfgType {
    /// A 1-byte integer (`char`): takes `y`/`n`/`m` as the character.
    Char,
    /// `bool`.
    Bool,
    /// An integer of 2, 4 or 8 bytes.
    Int,
    /// `enum libbpf_tristate` (no 0, yes 1, module 2).
    Tristate,
    /// A `char` array (a string).
    CharArray,
}

/// What an extern is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExternKind {
    /// A `__kconfig` variable at `offset` in the `.kconfig` map.
    Kconfig {
        /// Value kind.
        ty: KcfgType,
        /// Size in bytes.
        size: u32,
        /// Alignment in bytes.
        align: u32,
        /// Signed integer.
        signed: bool,
        /// Offset in the `.kconfig` map's value.
        offset: u32,
    },
    /// A `__ksym` variable; `typed` when it has a BTF type (not `void`).
    Ksym {
        /// It has a BTF type.
        typed: bool,
    },
    /// A `__ksym` function (kfunc).
    Kfunc,
}

/// How an extern was resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolution {
    /// A `__kconfig` value given by a source.
    Value {
        /// The value as given (`y`, `250`, `"text"`).
        text: String,
        /// Where it came from.
        origin: String,
    },
    /// No source gives it: 0 (why, for listings).
    Zero(String),
    /// A kernel address (typeless `__ksym`).
    Address(u64),
    /// An id in the kernel's BTF (typed `__ksym`, kfunc).
    KernelBtfId(u32),
    /// Not found (a ksym or kfunc): weak ones are 0 / poisoned calls, a
    /// strong one cannot be loaded into a kernel.
    Unresolved(String),
}

/// One extern of the object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extern {
    /// The symbol's name.
    pub name: String,
    /// Declared `__weak`.
    pub weak: bool,
    /// Kind and layout.
    pub kind: ExternKind,
    /// The value or target.
    pub resolution: Resolution,
    /// BTF id of the VAR/FUNC (object BTF).
    pub btf_id: u32,
}

impl Extern {
    /// One line for listings: `CONFIG_HZ (kconfig int) = 250 from /proc/config.gz`.
    pub fn describe(&self) -> String {
        let what = match &self.kind {
            ExternKind::Kconfig { ty, .. } => format!("kconfig {ty:?}").to_lowercase(),
            ExternKind::Ksym { typed: true } => "typed ksym".into(),
            ExternKind::Ksym { typed: false } => "typeless ksym".into(),
            ExternKind::Kfunc => "kfunc".into(),
        };
        let weak = if self.weak { ", weak" } else { "" };
        let how = match &self.resolution {
            Resolution::Value { text, origin } => format!("= {text} (from {origin})"),
            Resolution::Zero(why) => format!("= 0 ({why})"),
            Resolution::Address(a) => format!("= {a:#x} (kallsyms)"),
            Resolution::KernelBtfId(id) => format!("-> kernel BTF id {id}"),
            Resolution::Unresolved(why) => format!("unresolved: {why}"),
        };
        format!("{} ({what}{weak}) {how}", self.name)
    }
}

fn ext_err<T>(msg: impl Into<String>) -> Result<T, Error> {
    err(ErrorKind::Unsupported, msg)
}

/// libbpf `find_kcfg_type`.
fn kcfg_type(btf: &Btf, id: u32) -> Option<(KcfgType, bool)> {
    let id = btf.skip_mods_and_typedefs(id);
    let t = btf.type_by_id(id)?;
    let name = btf.str_at(t.name_off).unwrap_or("");
    match (&t.extra, t.kind) {
        (Extra::Int(enc), kind::INT) => {
            let enc = enc >> 24;
            if enc & 4 != 0 {
                return (t.size_or_type == 1).then_some((KcfgType::Bool, false));
            }
            let signed = enc & 1 != 0;
            match t.size_or_type {
                1 => Some((KcfgType::Char, signed)),
                2 | 4 | 8 => Some((KcfgType::Int, signed)),
                _ => None,
            }
        }
        (_, kind::ENUM) if t.size_or_type == 4 && name == "libbpf_tristate" => {
            Some((KcfgType::Tristate, false))
        }
        (_, kind::ENUM64) if name == "libbpf_tristate" => Some((KcfgType::Tristate, false)),
        (Extra::Array { elem, nelems, .. }, kind::ARRAY) if *nelems > 0 => {
            matches!(kcfg_type(btf, *elem), Some((KcfgType::Char, _)))
                .then_some((KcfgType::CharArray, false))
        }
        _ => None,
    }
}

/// libbpf `btf__align_of` for the types a kconfig extern can have.
fn align_of(btf: &Btf, id: u32) -> u32 {
    let id = btf.skip_mods_and_typedefs(id);
    match btf.type_by_id(id) {
        Some(t) if t.kind == kind::ARRAY => match t.extra {
            Extra::Array { elem, .. } => align_of(btf, elem),
            _ => 1,
        },
        Some(t) => t.size_or_type.clamp(1, 8),
        None => 1,
    }
}

/// Finds every extern symbol (undefined, global or weak, no type) and its
/// BTF, as libbpf `bpf_object__collect_externs`, and lays out the
/// `.kconfig` externs. Returns them sorted as libbpf sorts them (kconfig
/// first).
pub(crate) fn collect(elf: &Elf, btf: Option<&Btf>) -> Result<Vec<Extern>, Error> {
    let mut out = Vec::new();
    for sym in &elf.symbols {
        let is_extern = sym.shndx == 0
            && (sym.bind == STB_GLOBAL || sym.bind == STB_WEAK)
            && sym.kind == 0
            && !sym.name.is_empty();
        if !is_extern {
            continue;
        }
        let Some(btf) = btf else {
            return ext_err(format!("extern '{}': the object has no BTF", sym.name));
        };
        let (btf_id, sec) = find_in_datasecs(btf, &sym.name).ok_or_else(|| {
            Error::new(
                ErrorKind::Unsupported,
                format!("extern '{}': not in a .kconfig or .ksyms DATASEC", sym.name),
            )
        })?;
        let t = btf.type_by_id(btf_id).expect("found above");
        let kind = match sec.as_str() {
            ".kconfig" => {
                if t.kind == kind::FUNC {
                    return ext_err(format!(
                        "extern function '{}' is unsupported under .kconfig",
                        sym.name
                    ));
                }
                let size = btf.resolve_size(t.size_or_type).unwrap_or(0);
                let Some((ty, signed)) = kcfg_type(btf, t.size_or_type) else {
                    return ext_err(format!("extern (kcfg) '{}': type is unsupported", sym.name));
                };
                ExternKind::Kconfig {
                    ty,
                    size,
                    align: align_of(btf, t.size_or_type),
                    signed,
                    offset: 0,
                }
            }
            ".ksyms" if t.kind == kind::FUNC => ExternKind::Kfunc,
            ".ksyms" => ExternKind::Ksym {
                typed: btf.skip_mods_and_typedefs(t.size_or_type) != 0,
            },
            other => return ext_err(format!("unrecognized extern section '{other}'")),
        };
        out.push(Extern {
            name: sym.name.clone(),
            weak: sym.bind == STB_WEAK,
            kind,
            resolution: Resolution::Zero(String::new()),
            btf_id,
        });
    }
    // libbpf cmp_externs: kconfig before ksyms; kconfig by alignment
    // (descending), size, then name; others by name
    out.sort_by(|a, b| {
        let key = |e: &Extern| match e.kind {
            ExternKind::Kconfig { align, size, .. } => (0, u32::MAX - align, size),
            _ => (1, 0, 0),
        };
        key(a).cmp(&key(b)).then_with(|| a.name.cmp(&b.name))
    });
    let mut off = 0u32;
    for e in &mut out {
        if let ExternKind::Kconfig {
            size,
            align,
            offset,
            ..
        } = &mut e.kind
        {
            *offset = off.next_multiple_of(*align);
            off = *offset + *size;
        }
    }
    Ok(out)
}

/// The VAR or FUNC named `name` in the `.kconfig` or `.ksyms` DATASEC.
fn find_in_datasecs(btf: &Btf, name: &str) -> Option<(u32, String)> {
    for (_, t) in btf.types() {
        let Extra::DataSec(vars) = &t.extra else {
            continue;
        };
        let sec = btf.str_at(t.name_off).unwrap_or("");
        for v in vars {
            let Some(vt) = btf.type_by_id(v.type_id) else {
                continue;
            };
            if btf.str_at(vt.name_off) == Some(name) {
                return Some((v.type_id, sec.to_string()));
            }
        }
    }
    None
}

/// Size of the `.kconfig` map's value (0: no kconfig externs).
pub(crate) fn kconfig_size(externs: &[Extern]) -> u32 {
    externs
        .iter()
        .filter_map(|e| match e.kind {
            ExternKind::Kconfig { size, offset, .. } => Some(offset + size),
            _ => None,
        })
        .max()
        .unwrap_or(0)
}

/// Resolves every extern with `source`; returns the `.kconfig` map's
/// initial value.
pub(crate) fn resolve(
    externs: &mut [Extern],
    source: Option<&dyn ExternSource>,
) -> Result<Vec<u8>, Error> {
    let mut data = vec![0u8; kconfig_size(externs) as usize];
    let kbtf = if externs
        .iter()
        .any(|e| matches!(e.kind, ExternKind::Kfunc | ExternKind::Ksym { typed: true }))
    {
        source.and_then(|s| s.kernel_btf())
    } else {
        None
    };
    for e in externs.iter_mut() {
        e.resolution = match e.kind {
            ExternKind::Kconfig {
                ty,
                size,
                signed,
                offset,
                ..
            } => match source.and_then(|s| s.kconfig(&e.name)) {
                Some((text, origin)) => {
                    let slot = &mut data[offset as usize..(offset + size) as usize];
                    set_kcfg(&e.name, ty, signed, slot, &text).map_err(|m| {
                        Error::new(
                            ErrorKind::Unsupported,
                            format!("extern (kcfg) '{}' from {origin}: {m}", e.name),
                        )
                    })?;
                    Resolution::Value { text, origin }
                }
                None => {
                    if e.name.starts_with("LINUX_") && !e.weak && !is_virtual(&e.name) {
                        return ext_err(format!(
                            "extern (kcfg) '{}': unrecognized virtual extern",
                            e.name
                        ));
                    }
                    Resolution::Zero(if e.weak {
                        "weak, not set".into()
                    } else {
                        "not in the kernel config nor the setup: default".into()
                    })
                }
            },
            ExternKind::Ksym { typed: false } => match source.and_then(|s| s.kallsyms(&e.name)) {
                Some(a) => Resolution::Address(a),
                None => Resolution::Unresolved("not in /proc/kallsyms".into()),
            },
            ExternKind::Ksym { typed: true } | ExternKind::Kfunc => {
                let want = if e.kind == ExternKind::Kfunc {
                    kind::FUNC
                } else {
                    kind::VAR
                };
                let name = crate::co_re::essential_name(&e.name).to_string();
                match kbtf.as_ref() {
                    None => Resolution::Unresolved("no kernel BTF".into()),
                    Some(k) => match k.find(&name, want) {
                        Some(id) => Resolution::KernelBtfId(id),
                        None => Resolution::Unresolved("not in the kernel's BTF".into()),
                    },
                }
            }
        };
    }
    Ok(data)
}

/// The virtual `LINUX_*` kconfig externs libbpf fills itself.
pub fn is_virtual(name: &str) -> bool {
    matches!(
        name,
        "LINUX_KERNEL_VERSION" | "LINUX_HAS_BPF_COOKIE" | "LINUX_HAS_SYSCALL_WRAPPER"
    )
}

/// Stores a Kconfig value as libbpf's `set_kcfg_value_*` do.
fn set_kcfg(
    name: &str,
    ty: KcfgType,
    signed: bool,
    out: &mut [u8],
    text: &str,
) -> Result<(), String> {
    let _ = name;
    let v = text.trim();
    match v.as_bytes().first() {
        Some(c @ (b'y' | b'n' | b'm')) if v.len() == 1 => {
            match ty {
                KcfgType::Bool if *c == b'm' => {
                    return Err(format!("value '{v}' implies tristate or char type"))
                }
                KcfgType::Bool => out[0] = u8::from(*c == b'y'),
                KcfgType::Tristate => {
                    let n: u32 = match c {
                        b'y' => 1,
                        b'm' => 2,
                        _ => 0,
                    };
                    out[..4].copy_from_slice(&n.to_le_bytes());
                }
                KcfgType::Char => out[0] = *c,
                _ => return Err(format!("value '{v}' implies bool, tristate, or char type")),
            }
            Ok(())
        }
        Some(b'"') => {
            if ty != KcfgType::CharArray {
                return Err(format!("value '{v}' implies char array type"));
            }
            if v.len() < 2 || !v.ends_with('"') {
                return Err(format!("invalid string config '{v}'"));
            }
            let s = &v.as_bytes()[1..v.len() - 1];
            let n = s.len().min(out.len() - 1);
            out.fill(0);
            out[..n].copy_from_slice(&s[..n]);
            Ok(())
        }
        _ => {
            let n = parse_u64(v).ok_or_else(|| format!("value '{v}' isn't a valid integer"))?;
            if !matches!(ty, KcfgType::Int | KcfgType::Char | KcfgType::Bool) {
                return Err(format!("value '{v}' implies integer type"));
            }
            if ty == KcfgType::Bool && n > 1 {
                return Err(format!("value '{v}' isn't boolean compatible"));
            }
            let bits = out.len() as u32 * 8;
            let fits = bits >= 64
                || if signed {
                    n.wrapping_add(1u64 << (bits - 1)) < (1u64 << bits)
                } else {
                    n >> bits == 0
                };
            if !fits {
                return Err(format!("value '{v}' doesn't fit in {} bytes", out.len()));
            }
            let le = n.to_le_bytes();
            let len = out.len().min(8);
            out[..len].copy_from_slice(&le[..len]);
            Ok(())
        }
    }
}

/// `strtoull(v, 0)`: decimal, `0x` hex, leading-0 octal; a leading `-`
/// wraps as in C.
fn parse_u64(v: &str) -> Option<u64> {
    let (neg, body) = match v.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, v.strip_prefix('+').unwrap_or(v)),
    };
    let n = if let Some(h) = body.strip_prefix("0x").or_else(|| body.strip_prefix("0X")) {
        u64::from_str_radix(h, 16).ok()?
    } else if body.len() > 1 && body.starts_with('0') {
        u64::from_str_radix(&body[1..], 8).ok()?
    } else {
        body.parse().ok()?
    };
    Some(if neg { n.wrapping_neg() } else { n })
}

/// Patches one relocated instruction referring to extern `ext` (index
/// `idx`): see the module docs. `kconfig_map` is the `.kconfig` map's
/// index. Returns the map reference to record, if any.
pub(crate) fn patch(
    insns: &mut [RawInsn],
    at: usize,
    ext: &Extern,
    idx: usize,
    kconfig_map: Option<usize>,
) -> Option<crate::MapRef> {
    let is_call = insns[at].code == (op::JMP | op::CALL);
    match (&ext.kind, &ext.resolution) {
        (ExternKind::Kconfig { offset, .. }, _) => {
            let map = kconfig_map?;
            insns[at].src = op::PSEUDO_MAP_IDX_VALUE;
            insns[at].imm = map as i32;
            insns[at + 1].imm = *offset as i32;
            Some(crate::MapRef::MapValue { map, off: *offset })
        }
        (ExternKind::Kfunc, Resolution::KernelBtfId(id)) if is_call => {
            insns[at].src = op::PSEUDO_KFUNC_CALL;
            insns[at].imm = *id as i32;
            insns[at].off = 0;
            None
        }
        (ExternKind::Kfunc, _) if is_call => {
            insns[at].src = 0;
            insns[at].dst = 0;
            insns[at].off = 0;
            insns[at].imm = POISON_CALL_KFUNC_BASE.wrapping_add(idx as i32);
            None
        }
        (ExternKind::Ksym { typed: true } | ExternKind::Kfunc, Resolution::KernelBtfId(id)) => {
            insns[at].src = op::PSEUDO_BTF_ID;
            insns[at].imm = *id as i32;
            insns[at + 1].imm = 0;
            None
        }
        (_, res) => {
            let addr = match res {
                Resolution::Address(a) => *a,
                _ => 0,
            };
            insns[at].src = 0;
            insns[at].imm = addr as u32 as i32;
            insns[at + 1].imm = (addr >> 32) as u32 as i32;
            None
        }
    }
}

/// libbpf's BTF fixups for the extern DATASECs: `.kconfig` variables get
/// their offsets and global-allocated linkage, `.ksyms` variables become
/// 4-byte `int`s at 4-byte steps. Returns `false` when a `.ksyms` DATASEC
/// holds functions (libbpf adds a dummy variable for them, which bpfbox
/// does not; the kernel then gets the object without BTF).
pub(crate) fn fix_btf(btf: &Btf, out: &mut [u8], externs: &[Extern]) -> bool {
    let int_id = btf
        .types()
        .find(|(_, t)| matches!(t.extra, Extra::Int(e) if e & 0xff == 32))
        .map(|(id, _)| id);
    for (_, t) in btf.types() {
        let Extra::DataSec(vars) = &t.extra else {
            continue;
        };
        let sec = btf.str_at(t.name_off).unwrap_or("");
        let ksyms = sec == ".ksyms";
        if sec != ".kconfig" && !ksyms {
            continue;
        }
        let mut size = 0u32;
        for (i, v) in vars.iter().enumerate() {
            let Some(vt) = btf.type_by_id(v.type_id) else {
                return false;
            };
            let vname = btf.str_at(vt.name_off).unwrap_or("");
            let at = t.raw_off() + 12 + i * 12;
            let (off, sz) = if ksyms {
                if vt.kind != kind::VAR {
                    return false;
                }
                let Some(int_id) = int_id else { return false };
                // the VAR's type becomes int
                out[vt.raw_off() + 8..vt.raw_off() + 12].copy_from_slice(&int_id.to_le_bytes());
                (i as u32 * 4, 4)
            } else {
                let Some(ExternKind::Kconfig { offset, .. }) =
                    externs.iter().find(|e| e.name == vname).map(|e| &e.kind)
                else {
                    return false;
                };
                (*offset, v.size)
            };
            // linkage: global allocated
            if vt.kind == kind::VAR {
                out[vt.raw_off() + 12..vt.raw_off() + 16].copy_from_slice(&1u32.to_le_bytes());
            }
            out[at + 4..at + 8].copy_from_slice(&off.to_le_bytes());
            out[at + 8..at + 12].copy_from_slice(&sz.to_le_bytes());
            size = size.max(off + sz);
        }
        if !ksyms {
            size = kconfig_size(externs);
        }
        out[t.raw_off() + 8..t.raw_off() + 12].copy_from_slice(&size.to_le_bytes());
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kconfig_values_as_libbpf_stores_them() {
        let mut b = [0u8; 4];
        set_kcfg("X", KcfgType::Tristate, false, &mut b, "m").unwrap();
        assert_eq!(b, [2, 0, 0, 0]);
        let mut b = [0u8; 1];
        assert!(set_kcfg("X", KcfgType::Bool, false, &mut b, "m").is_err());
        set_kcfg("X", KcfgType::Bool, false, &mut b, "y").unwrap();
        assert_eq!(b, [1]);
        set_kcfg("X", KcfgType::Char, false, &mut b, "m").unwrap();
        assert_eq!(b, [b'm']);
        let mut b = [0u8; 2];
        assert!(set_kcfg("X", KcfgType::Int, false, &mut b, "70000").is_err());
        set_kcfg("X", KcfgType::Int, true, &mut b, "-1").unwrap();
        assert_eq!(b, [0xff, 0xff]);
        set_kcfg("X", KcfgType::Int, false, &mut b, "0x10").unwrap();
        assert_eq!(b, [16, 0]);
        let mut b = [9u8; 4];
        set_kcfg("X", KcfgType::CharArray, false, &mut b, "\"abcdef\"").unwrap();
        assert_eq!(&b, b"abc\0");
        assert!(set_kcfg("X", KcfgType::Int, false, &mut b, "\"a\"").is_err());
        assert_eq!(parse_u64("010"), Some(8));
    }
}

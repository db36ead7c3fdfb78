//! Map definitions: BTF-defined maps in `.maps`, the legacy `maps` section
//! (`struct bpf_map_def`) and global-data maps for `.data*`, `.rodata*` and
//! `.bss*`, following libbpf's `bpf_object__init_maps` (legacy maps first,
//! then BTF maps in DATASEC order, then data sections in ELF order).

use crate::btf::{kind, Btf, Extra};
use crate::elf::{Elf, Symbol, SHT_NOBITS, SHT_PROGBITS, STT_SECTION, STV_HIDDEN, STV_INTERNAL};
use crate::error::{err, Error, ErrorKind};

/// Highest `BPF_MAP_TYPE_*` Linux 6.18 knows (`BPF_MAP_TYPE_ARENA`).
pub use bpfbox_uapi::map_type::ARENA as MAX_MAP_TYPE;
/// `BPF_MAP_TYPE_ARRAY`.
pub use bpfbox_uapi::map_type::ARRAY as BPF_MAP_TYPE_ARRAY;
/// `BPF_MAP_TYPE_ARRAY_OF_MAPS`.
pub use bpfbox_uapi::map_type::ARRAY_OF_MAPS as BPF_MAP_TYPE_ARRAY_OF_MAPS;
/// `BPF_MAP_TYPE_HASH_OF_MAPS`.
pub use bpfbox_uapi::map_type::HASH_OF_MAPS as BPF_MAP_TYPE_HASH_OF_MAPS;
/// `BPF_MAP_TYPE_PROG_ARRAY`.
pub use bpfbox_uapi::map_type::PROG_ARRAY as BPF_MAP_TYPE_PROG_ARRAY;
/// Largest global-data section accepted (a `.bss` size is only a header
/// field, so it is bounded before zeros are allocated for it).
pub const MAX_DATA_SIZE: u64 = 1 << 26;
/// `BPF_F_RDONLY_PROG` map flag.
pub const BPF_F_RDONLY_PROG: u32 = 1 << 7;
/// `BPF_F_MMAPABLE` map flag.
pub const BPF_F_MMAPABLE: u32 = 1 << 10;

/// Which global-data section a data map stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataKind {
    /// `.data` or `.data.*`.
    Data,
    /// `.rodata` or `.rodata.*` (including `.rodata.str1.1`, `.rodata.cst16`).
    Rodata,
    /// `.bss` or `.bss.*`.
    Bss,
    /// The `.kconfig` map libbpf adds for `__kconfig` externs.
    Kconfig,
}

impl DataKind {
    /// Whether libbpf freezes the map after writing it (`.rodata`,
    /// `.kconfig`): neither programs nor user space can change it.
    pub fn frozen(self) -> bool {
        matches!(self, DataKind::Rodata | DataKind::Kconfig)
    }
}

/// Where a map definition came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MapKind {
    /// A BTF-defined map in `.maps`.
    Btf,
    /// A `struct bpf_map_def` in the legacy `maps` section.
    Legacy,
    /// A one-element array holding a global-data section.
    Data(DataKind),
}

/// libbpf's `pinning` attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Pinning {
    /// `LIBBPF_PIN_NONE`.
    #[default]
    None,
    /// `LIBBPF_PIN_BY_NAME`.
    ByName,
}

/// An initial slot value of a map-in-map or prog array (`.values = {...}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MapInit {
    /// The map with this index in [`crate::Object::maps`].
    Map(usize),
    /// The program with this index in [`crate::Object::programs`].
    Program(usize),
}

/// Everything needed to create one map, loader-neutral.
#[derive(Debug, Clone, PartialEq)]
pub struct MapSpec {
    /// The map's name in the object: the variable name, or the section
    /// name (`.rodata`) for data maps.
    pub name: String,
    /// The name to pass to `BPF_MAP_CREATE` (libbpf `internal_map_name` for
    /// data maps; at most 15 bytes).
    pub kernel_name: String,
    /// `BPF_MAP_TYPE_*`.
    pub map_type: u32,
    /// Key size in bytes.
    pub key_size: u32,
    /// Value size in bytes.
    pub value_size: u32,
    /// Maximum number of entries.
    pub max_entries: u32,
    /// `BPF_F_*` map flags.
    pub map_flags: u32,
    /// `map_extra` (bloom filter hashes, arena address).
    pub map_extra: u64,
    /// NUMA node (`numa_node` attribute; 0 unless given).
    pub numa_node: u32,
    /// The inner map template of a map-in-map.
    pub inner: Option<Box<MapSpec>>,
    /// Initial contents of a data map's single value (`.bss`: zeros).
    pub initial_data: Option<Vec<u8>>,
    /// Origin of the definition.
    pub kind: MapKind,
    /// Pinning requested in the definition.
    pub pinning: Pinning,
    /// BTF id of the key type (0 if none).
    pub btf_key_type_id: u32,
    /// BTF id of the value type (0 if none; the DATASEC for data maps).
    pub btf_value_type_id: u32,
    /// Initial slots (`key`, what to store) from `.values = { [key] = &x }`.
    pub init_slots: Vec<(u32, MapInit)>,
    /// ELF section holding the definition or the data.
    pub section: String,
    /// Offset of the definition inside [`MapSpec::section`].
    pub sec_offset: u64,
    pub(crate) sec_idx: usize,
    /// Size of the definition variable in `.maps` (to place `.values` relocations).
    pub(crate) def_size: u64,
    /// Byte offset of the `values` member inside the definition.
    pub(crate) values_off: Option<u64>,
}

impl MapSpec {
    fn blank(name: &str, kind: MapKind, section: &str, sec_idx: usize, sec_offset: u64) -> MapSpec {
        MapSpec {
            name: name.to_string(),
            kernel_name: truncate_name(name),
            map_type: 0,
            key_size: 0,
            value_size: 0,
            max_entries: 0,
            map_flags: 0,
            map_extra: 0,
            numa_node: 0,
            inner: None,
            initial_data: None,
            kind,
            pinning: Pinning::None,
            btf_key_type_id: 0,
            btf_value_type_id: 0,
            init_slots: Vec::new(),
            section: section.to_string(),
            sec_offset,
            sec_idx,
            def_size: 0,
            values_off: None,
        }
    }

    /// Whether this is a map-in-map (array or hash of maps).
    pub fn is_map_in_map(&self) -> bool {
        matches!(
            self.map_type,
            BPF_MAP_TYPE_ARRAY_OF_MAPS | BPF_MAP_TYPE_HASH_OF_MAPS
        )
    }
}

fn truncate_name(name: &str) -> String {
    let mut s: String = name.chars().take(15).collect();
    while s.len() > 15 {
        s.pop();
    }
    s
}

fn map_err<T>(msg: impl Into<String>) -> Result<T, Error> {
    err(ErrorKind::Map, msg)
}

fn check_type(name: &str, map_type: u32) -> Result<(), Error> {
    if map_type == 0 {
        return map_err(format!("map '{name}': map type isn't specified"));
    }
    if map_type > MAX_MAP_TYPE {
        return map_err(format!("map '{name}': unknown map type {map_type}"));
    }
    Ok(())
}

/// libbpf `internal_map_name`: the kernel-visible name of a data map.
pub(crate) fn internal_map_name(obj_name: &str, real_name: &str) -> String {
    let sfx_len = real_name.len().clamp(7, 15);
    let pfx_len = if real_name.get(1..).is_some_and(|r| r.contains('.')) {
        0
    } else {
        (16 - sfx_len - 1).min(obj_name.len())
    };
    let raw: String = obj_name
        .chars()
        .take(pfx_len)
        .chain(real_name.chars().take(sfx_len))
        .collect();
    raw.chars()
        .take(15)
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Parses legacy `maps` section definitions.
pub(crate) fn legacy_maps(elf: &Elf, sec_idx: usize) -> Result<Vec<MapSpec>, Error> {
    let sec = &elf.sections[sec_idx];
    let mut syms: Vec<&Symbol> = elf
        .symbols
        .iter()
        .filter(|s| s.shndx as usize == sec_idx && s.kind != STT_SECTION && !s.name.is_empty())
        .collect();
    syms.sort_by_key(|s| s.value);
    if syms.is_empty() {
        return Ok(Vec::new());
    }
    let def_size = sec.data.len() / syms.len();
    if def_size < 16 || sec.data.len() % syms.len() != 0 {
        return map_err(format!(
            "legacy 'maps' section: {} bytes do not divide into {} map definitions",
            sec.data.len(),
            syms.len()
        ));
    }
    let mut out = Vec::new();
    for s in syms {
        let off = s.value as usize;
        let def = sec
            .data
            .get(off..off.saturating_add(def_size))
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::Map,
                    format!("map '{}': definition outside the 'maps' section", s.name),
                )
            })?;
        let field = |i: usize| {
            def.get(i * 4..i * 4 + 4)
                .map_or(0, |b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        };
        let mut m = MapSpec::blank(&s.name, MapKind::Legacy, &sec.name, sec_idx, s.value);
        m.map_type = field(0);
        m.key_size = field(1);
        m.value_size = field(2);
        m.max_entries = field(3);
        m.map_flags = field(4);
        m.def_size = def_size as u64;
        check_type(&m.name, m.map_type)?;
        out.push(m);
    }
    Ok(out)
}

/// Reads `__uint(name, N)` (a pointer to an array of N elements) or
/// `__ulong(name, N)` (a pointer to a one-enumerator enum).
fn field_value(btf: &Btf, map: &str, field: &str, type_id: u32) -> Result<u64, Error> {
    let bad = || {
        Error::new(
            ErrorKind::Map,
            format!("map '{map}': attribute '{field}' is not an __uint/__ulong"),
        )
    };
    let ptr = btf
        .type_by_id(btf.skip_mods_and_typedefs(type_id))
        .ok_or_else(bad)?;
    if ptr.kind != kind::PTR {
        return Err(bad());
    }
    let t = btf.type_by_id(ptr.size_or_type).ok_or_else(bad)?;
    match &t.extra {
        Extra::Array { nelems, .. } => Ok(u64::from(*nelems)),
        Extra::Enumerators(v) if v.len() == 1 => Ok(v[0].1 as u64),
        _ => Err(bad()),
    }
}

fn field_u32(btf: &Btf, map: &str, field: &str, type_id: u32) -> Result<u32, Error> {
    u32::try_from(field_value(btf, map, field, type_id)?).or_else(|_| {
        map_err(format!(
            "map '{map}': attribute '{field}' does not fit 32 bits"
        ))
    })
}

/// Resolves `__type(key, T)` / `__type(value, T)` (a pointer to T).
fn pointee(btf: &Btf, map: &str, field: &str, type_id: u32) -> Result<(u32, u32), Error> {
    let t = btf.type_by_id(type_id).filter(|t| t.kind == kind::PTR);
    let Some(t) = t else {
        return map_err(format!("map '{map}': {field} spec is not a pointer"));
    };
    let size = btf.resolve_size(t.size_or_type).map_err(|e| {
        Error::new(
            ErrorKind::Map,
            format!("map '{map}': can't determine {field} size: {}", e.message()),
        )
    })?;
    Ok((t.size_or_type, size))
}

fn set_size(
    m: &mut MapSpec,
    field: &str,
    slot: fn(&mut MapSpec) -> &mut u32,
    sz: u32,
) -> Result<(), Error> {
    let cur = *slot(m);
    if cur != 0 && cur != sz {
        return map_err(format!(
            "map '{}': conflicting {field} size {cur} != {sz}",
            m.name
        ));
    }
    *slot(m) = sz;
    Ok(())
}

/// libbpf `parse_btf_map_def`: fills `m` from the members of `def_id`.
fn parse_def(btf: &Btf, m: &mut MapSpec, def_id: u32, is_inner: bool) -> Result<(), Error> {
    let def = btf.type_by_id(def_id).filter(|t| t.kind == kind::STRUCT);
    let Some(def) = def else {
        return map_err(format!("map '{}': definition is not a struct", m.name));
    };
    let Extra::Members(members) = &def.extra else {
        return map_err(format!("map '{}': definition has no members", m.name));
    };
    let n = members.len();
    for (i, mem) in members.iter().enumerate() {
        let fname = btf.str_at(mem.name_off).unwrap_or("");
        let name = m.name.clone();
        match fname {
            "type" => m.map_type = field_u32(btf, &name, fname, mem.type_id)?,
            "max_entries" => m.max_entries = field_u32(btf, &name, fname, mem.type_id)?,
            "map_flags" => m.map_flags = field_u32(btf, &name, fname, mem.type_id)?,
            "numa_node" => m.numa_node = field_u32(btf, &name, fname, mem.type_id)?,
            "map_extra" => m.map_extra = field_value(btf, &name, fname, mem.type_id)?,
            "key_size" => {
                let sz = field_u32(btf, &name, fname, mem.type_id)?;
                set_size(m, "key", |m| &mut m.key_size, sz)?;
            }
            "value_size" => {
                let sz = field_u32(btf, &name, fname, mem.type_id)?;
                set_size(m, "value", |m| &mut m.value_size, sz)?;
            }
            "key" => {
                let (id, sz) = pointee(btf, &name, "key", mem.type_id)?;
                set_size(m, "key", |m| &mut m.key_size, sz)?;
                m.btf_key_type_id = id;
            }
            "value" => {
                let (id, sz) = pointee(btf, &name, "value", mem.type_id)?;
                set_size(m, "value", |m| &mut m.value_size, sz)?;
                m.btf_value_type_id = id;
            }
            "pinning" => {
                if is_inner {
                    return map_err(format!(
                        "map '{name}': inner map definition can't be pinned"
                    ));
                }
                m.pinning = match field_u32(btf, &name, fname, mem.type_id)? {
                    0 => Pinning::None,
                    1 => Pinning::ByName,
                    v => return map_err(format!("map '{name}': invalid pinning value {v}")),
                };
            }
            "values" => parse_values(btf, m, mem.type_id, mem.bit_offset, i + 1 == n, is_inner)?,
            other => return map_err(format!("map '{name}': unknown attribute '{other}'")),
        }
    }
    check_type(&m.name, m.map_type)
}

/// The `__array(values, ...)` member: inner map template or prog array.
fn parse_values(
    btf: &Btf,
    m: &mut MapSpec,
    type_id: u32,
    bit_off: u32,
    last: bool,
    is_inner: bool,
) -> Result<(), Error> {
    let name = m.name.clone();
    if is_inner {
        return map_err(format!(
            "map '{name}': multi-level inner maps are not supported"
        ));
    }
    if !last {
        return map_err(format!("map '{name}': 'values' must be the last attribute"));
    }
    let prog_array = m.map_type == BPF_MAP_TYPE_PROG_ARRAY;
    if !m.is_map_in_map() && !prog_array {
        return map_err(format!(
            "map '{name}': 'values' needs a map-in-map or prog array"
        ));
    }
    set_size(m, "value", |m| &mut m.value_size, 4)?;
    m.values_off = Some(u64::from(bit_off / 8));
    let arr = btf.type_by_id(type_id);
    let elem = match arr.map(|t| &t.extra) {
        Some(Extra::Array {
            elem, nelems: 0, ..
        }) => *elem,
        _ => return map_err(format!("map '{name}': 'values' is not a zero-sized array")),
    };
    let ptr = btf
        .type_by_id(btf.skip_mods_and_typedefs(elem))
        .filter(|t| t.kind == kind::PTR);
    let Some(ptr) = ptr else {
        return map_err(format!("map '{name}': 'values' elements are not pointers"));
    };
    let target = btf.skip_mods_and_typedefs(ptr.size_or_type);
    let tk = btf.type_by_id(target).map_or(0, |t| t.kind);
    if prog_array {
        if tk != kind::FUNC_PROTO {
            return map_err(format!(
                "map '{name}': prog array values must point to functions"
            ));
        }
        return Ok(());
    }
    if tk != kind::STRUCT {
        return map_err(format!(
            "map '{name}': inner map definition is not a struct"
        ));
    }
    let inner_name = format!("{name}.inner");
    let mut inner = MapSpec::blank(
        &inner_name,
        MapKind::Btf,
        &m.section,
        m.sec_idx,
        m.sec_offset,
    );
    parse_def(btf, &mut inner, target, true)?;
    m.inner = Some(Box::new(inner));
    Ok(())
}

/// Parses the BTF-defined maps of the `.maps` section `sec_idx`.
pub(crate) fn btf_maps(
    elf: &Elf,
    btf: Option<&Btf>,
    sec_idx: usize,
) -> Result<Vec<MapSpec>, Error> {
    let sec_name = elf.sections[sec_idx].name.clone();
    let Some(btf) = btf else {
        return map_err("'.maps' section present but the object has no .BTF");
    };
    let Some(ds) = btf.find(&sec_name, kind::DATASEC) else {
        return map_err("no DATASEC '.maps' in .BTF");
    };
    let Some(Extra::DataSec(vars)) = btf.type_by_id(ds).map(|t| &t.extra) else {
        return map_err("DATASEC '.maps' is malformed");
    };
    let mut out = Vec::new();
    for vsi in vars {
        let var = btf.type_by_id(vsi.type_id).filter(|t| t.kind == kind::VAR);
        let Some(var) = var else {
            return map_err(format!("'.maps' entry [{}] is not a variable", vsi.type_id));
        };
        let name = btf.str_at(var.name_off).unwrap_or("").to_string();
        let sym = elf
            .symbols
            .iter()
            .find(|s| s.shndx as usize == sec_idx && s.name == name && s.kind != STT_SECTION);
        let Some(sym) = sym else {
            return map_err(format!("map '{name}': no ELF symbol in '.maps'"));
        };
        let mut m = MapSpec::blank(&name, MapKind::Btf, &sec_name, sec_idx, sym.value);
        // the symbol size covers `.values` initializers past the struct
        m.def_size = sym.size.max(u64::from(vsi.size));
        parse_def(
            btf,
            &mut m,
            btf.skip_mods_and_typedefs(var.size_or_type),
            false,
        )?;
        out.push(m);
    }
    // libbpf sorts DATASEC variables by offset (btf_fixup_datasec) before
    // it creates maps, so map order is section order
    out.sort_by_key(|m| m.sec_offset);
    Ok(out)
}

/// Classifies a section as global data, as `bpf_object__elf_collect` does.
pub(crate) fn data_kind(name: &str, sh_type: u32, exec: bool) -> Option<DataKind> {
    let is =
        |base: &str| name == base || name.strip_prefix(base).is_some_and(|r| r.starts_with('.'));
    if sh_type == SHT_PROGBITS && !exec {
        if is(".data") {
            return Some(DataKind::Data);
        }
        if is(".rodata") {
            return Some(DataKind::Rodata);
        }
    }
    if sh_type == SHT_NOBITS && is(".bss") {
        return Some(DataKind::Bss);
    }
    None
}

/// Builds the data maps (libbpf `bpf_object__init_global_data_maps`).
pub(crate) fn data_maps(
    elf: &Elf,
    btf: Option<&Btf>,
    obj_name: &str,
) -> Result<Vec<MapSpec>, Error> {
    let mut out = Vec::new();
    for (idx, sec) in elf.sections.iter().enumerate() {
        let Some(dk) = data_kind(&sec.name, sec.sh_type, sec.is_exec()) else {
            continue;
        };
        if sec.size == 0 {
            continue;
        }
        if sec.size > MAX_DATA_SIZE {
            return map_err(format!(
                "section '{}': {} bytes of global data is too large",
                sec.name, sec.size
            ));
        }
        let mut m = MapSpec::blank(&sec.name, MapKind::Data(dk), &sec.name, idx, 0);
        m.kernel_name = internal_map_name(obj_name, &sec.name);
        m.map_type = BPF_MAP_TYPE_ARRAY;
        m.key_size = 4;
        m.value_size = u32::try_from(sec.size).unwrap_or(u32::MAX);
        m.max_entries = 1;
        if dk == DataKind::Rodata {
            m.map_flags = BPF_F_RDONLY_PROG;
        }
        m.initial_data = Some(match dk {
            DataKind::Bss => vec![0; m.value_size as usize],
            _ => sec.data.to_vec(),
        });
        if let Some(btf) = btf {
            if let Some(ds) = btf.find(&sec.name, kind::DATASEC) {
                m.btf_value_type_id = ds;
                if has_exposed_var(elf, btf, ds) {
                    m.map_flags |= BPF_F_MMAPABLE;
                }
            }
        }
        out.push(m);
    }
    Ok(out)
}

/// The `.kconfig` map (libbpf `bpf_object__init_kconfig_map`): a
/// one-element read-only array of the kconfig externs' values.
pub(crate) fn kconfig_map(btf: Option<&Btf>, obj_name: &str, data: Vec<u8>) -> MapSpec {
    let mut m = MapSpec::blank(
        ".kconfig",
        MapKind::Data(DataKind::Kconfig),
        ".kconfig",
        usize::MAX,
        0,
    );
    m.kernel_name = internal_map_name(obj_name, ".kconfig");
    m.map_type = BPF_MAP_TYPE_ARRAY;
    m.key_size = 4;
    m.value_size = data.len() as u32;
    m.max_entries = 1;
    m.map_flags = BPF_F_RDONLY_PROG;
    if let Some(ds) = btf.and_then(|b| b.find(".kconfig", kind::DATASEC)) {
        m.btf_value_type_id = ds;
        m.map_flags |= BPF_F_MMAPABLE;
    }
    m.initial_data = Some(data);
    m
}

/// libbpf `map_is_mmapable`: some variable of the DATASEC is global and
/// not hidden.
fn has_exposed_var(elf: &Elf, btf: &Btf, ds: u32) -> bool {
    let Some(Extra::DataSec(vars)) = btf.type_by_id(ds).map(|t| &t.extra) else {
        return false;
    };
    vars.iter().any(|v| {
        let Some(t) = btf.type_by_id(v.type_id).filter(|t| t.kind == kind::VAR) else {
            return false;
        };
        let Extra::Var(linkage) = t.extra else {
            return false;
        };
        if linkage == crate::btf::VAR_STATIC {
            return false;
        }
        let name = btf.str_at(t.name_off).unwrap_or("");
        let hidden = elf
            .symbols
            .iter()
            .find(|s| s.name == name && s.kind == crate::elf::STT_OBJECT)
            .is_some_and(|s| s.visibility == STV_HIDDEN || s.visibility == STV_INTERNAL);
        !hidden
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_names_follow_libbpf() {
        assert_eq!(
            internal_map_name("my_object_name", ".rodata"),
            "my_objec.rodata"
        );
        assert_eq!(internal_map_name("my_object_name", ".bss"), "my_objec.bss");
        assert_eq!(
            internal_map_name("my_object_name", ".kconfig"),
            "my_obje.kconfig"
        );
        assert_eq!(
            internal_map_name("x", ".rodata.abracadabra"),
            ".rodata.abracad"
        );
        assert_eq!(internal_map_name("xdp-prog", ".data"), "xdp_prog.data");
        assert_eq!(internal_map_name("", ".data.custom"), ".data.custom");
    }

    #[test]
    fn data_section_names() {
        assert_eq!(
            data_kind(".rodata.str1.1", SHT_PROGBITS, false),
            Some(DataKind::Rodata)
        );
        assert_eq!(
            data_kind(".data", SHT_PROGBITS, false),
            Some(DataKind::Data)
        );
        assert_eq!(data_kind(".bss", SHT_NOBITS, false), Some(DataKind::Bss));
        assert_eq!(data_kind(".datax", SHT_PROGBITS, false), None);
        assert_eq!(data_kind(".data", SHT_PROGBITS, true), None);
    }
}

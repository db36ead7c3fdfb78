//! bpfbox-object: loads eBPF ELF objects the way libbpf does
//! (tools/lib/bpf/libbpf.c is the reference) into a loader-neutral model
//! that both engines use — the bpfbox interpreter and the real kernel.
//!
//! Input: the bytes of a relocatable eBPF ELF object as clang emits it
//! (`clang -O2 -g -target bpf -c`). Output: an [`Object`] with
//! - [`ProgramDef`]s: one per entry function in a `SEC()` section, its
//!   program type from libbpf's `SEC()` names (each program type's
//!   `sec_names` in `bpfbox-progtype`, searched by [`find_section`]), the
//!   instructions with every used `.text` sub-program appended and
//!   bpf-to-bpf calls / callback addresses re-pointed, and map references
//!   left as `BPF_PSEUDO_MAP_IDX` / `BPF_PSEUDO_MAP_IDX_VALUE` placeholders
//!   listed in [`ProgramDef::map_refs`];
//! - [`MapSpec`]s: BTF-defined maps (`.maps`), legacy `maps` definitions and
//!   global-data maps (`.data*`, `.rodata*`, `.bss*`);
//! - the `.BTF` / `.BTF.ext` data: func_info and line_info per program for
//!   diagnostics, and [`Object::btf_for_kernel`] for `BPF_BTF_LOAD`.
//!
//! A kernel loader calls [`Object::link`] with the map fds; the interpreter
//! rewrites the placeholders itself using `map_refs`.
//!
//! This crate depends only on `bpfbox-isa`, `bpfbox-uapi`, the check-side
//! data of `bpfbox-progtype` (for the `SEC()` names) and the `object` ELF
//! reader; it must not depend on any engine, the kernel crate or the maps
//! crate.
//! CO-RE relocations (`.BTF.ext` `bpf_core_relo` records) are resolved and
//! patched before anything else, against the target chosen in
//! [`LoadOptions::core_target`] ([`load_with`]); the default,
//! [`CoreTarget::Auto`], uses the kernel's `/sys/kernel/btf/vmlinux` when it
//! is readable and else the object's own BTF. With the local BTF as target
//! every relocation resolves to the value clang compiled in, which is what
//! bpfbox's interpreter needs when it has no kernel structs. Relocations of
//! kinds other than the `*_EXISTS` ones that find no target are "poisoned"
//! as libbpf does: the instruction becomes `call 0xbad2310`, which the
//! kernel's verifier rejects ("invalid func unknown#195896080") only if the
//! instruction is reachable. See [`Object::core_relos`] for what was done.
//!
//! Externs (`__kconfig`, `__ksym` variables and kfuncs) are resolved as
//! libbpf does, with values from [`LoadOptions::externs`] (see
//! [`externs`]). Not supported yet (clear errors): arena and struct_ops
//! sections.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod btf;
pub mod co_re;
mod elf;
mod error;
pub mod externs;
pub mod layout;
pub mod maps;
mod prog;

use std::path::Path;

use bpfbox_isa::raw::op;
use bpfbox_isa::RawInsn;

pub use bpfbox_progtype::section::{find as find_section, SecDef, SectionMatch};
pub use btf::{Btf, BtfExt};
pub use co_re::{CoreReloResult, CoreTarget, LoadOptions};
pub use error::{Error, ErrorKind};
pub use externs::{Extern, ExternKind, ExternSource, Resolution};
pub use maps::{DataKind, MapInit, MapKind, MapSpec, Pinning};

use elf::Elf;
use error::err;

/// A map reference at an `lddw` slot of a program.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MapRef {
    /// The map itself (`BPF_PSEUDO_MAP_FD` once linked).
    Map(usize),
    /// An address inside the map's (single) value (`BPF_PSEUDO_MAP_VALUE`).
    MapValue {
        /// Index into [`Object::maps`].
        map: usize,
        /// Byte offset into the value (symbol value + addend, as libbpf).
        off: u32,
    },
}

/// One `bpf_func_info` of a program, already re-based to instruction
/// indices of [`ProgramDef::insns`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FuncInfo {
    /// Instruction index where the function starts.
    pub insn: u32,
    /// BTF id of its `BTF_KIND_FUNC`.
    pub type_id: u32,
    /// Function name from BTF.
    pub name: String,
}

/// One `bpf_line_info` of a program (instruction index → source position).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineInfo {
    /// Instruction index in [`ProgramDef::insns`].
    pub insn: u32,
    /// BTF string offset of the file name (for `BPF_PROG_LOAD`).
    pub file_name_off: u32,
    /// BTF string offset of the line text (for `BPF_PROG_LOAD`).
    pub line_off: u32,
    /// `line << 10 | col` (for `BPF_PROG_LOAD`).
    pub line_col: u32,
    /// Source file name.
    pub file: String,
    /// 1-based line number.
    pub line: u32,
    /// 1-based column (0 when unknown).
    pub col: u32,
    /// The source line's text.
    pub text: String,
}

/// One entry program of the object.
#[derive(Debug, Clone, PartialEq)]
pub struct ProgramDef {
    /// Function name.
    pub name: String,
    /// ELF section name (the `SEC()` string).
    pub section: String,
    /// `BPF_PROG_TYPE_*`.
    pub prog_type: u32,
    /// `expected_attach_type` for `BPF_PROG_LOAD`.
    pub expected_attach_type: u32,
    /// `prog_flags` libbpf adds (`BPF_F_SLEEPABLE`, `BPF_F_XDP_HAS_FRAGS`).
    pub prog_flags: u32,
    /// The matching libbpf `SEC()` name.
    pub sec_def: &'static SecDef,
    /// `false` for `SEC("?name")` programs, which libbpf does not load by
    /// default ([`ProgramDef::section`] has the `?` stripped).
    pub autoload: bool,
    /// Main function followed by the `.text` sub-programs it reaches.
    /// Map references hold placeholders, see [`ProgramDef::map_refs`].
    pub insns: Vec<RawInsn>,
    /// `(slot, reference)` for every `lddw` that refers to a map. The slot
    /// holds `src = BPF_PSEUDO_MAP_IDX` (or `_IDX_VALUE`), `imm` = map index,
    /// and for values the next slot's `imm` = offset.
    pub map_refs: Vec<(usize, MapRef)>,
    /// Function boundaries from `.BTF.ext` (empty without BTF).
    pub func_info: Vec<FuncInfo>,
    /// Source lines from `.BTF.ext` (empty without BTF).
    pub line_info: Vec<LineInfo>,
}

impl ProgramDef {
    /// The instructions with real map fds: `BPF_PSEUDO_MAP_FD` /
    /// `BPF_PSEUDO_MAP_VALUE` with `imm = resolve(map index)`.
    pub fn link(&self, resolve: impl Fn(usize) -> i32) -> Vec<RawInsn> {
        let mut out = self.insns.clone();
        for &(slot, r) in &self.map_refs {
            match r {
                MapRef::Map(m) => {
                    out[slot].src = op::PSEUDO_MAP_FD;
                    out[slot].imm = resolve(m);
                }
                MapRef::MapValue { map, off } => {
                    out[slot].src = op::PSEUDO_MAP_VALUE;
                    out[slot].imm = resolve(map);
                    out[slot + 1].imm = off as i32;
                }
            }
        }
        out
    }

    /// The BTF attach target named in the section (`fentry/do_unlinkat` →
    /// `do_unlinkat`) for `SEC()` rows that attach by BTF id, as libbpf's
    /// `libbpf_prepare_prog_load` reads it; `None` otherwise.
    pub fn attach_target(&self) -> Option<&str> {
        if !self.sec_def.attaches_by_btf() {
            return None;
        }
        self.section.split_once('/').map(|(_, t)| t)
    }

    /// The source line covering instruction `insn` (the last line_info
    /// record at or before it).
    pub fn line_for(&self, insn: usize) -> Option<&LineInfo> {
        self.line_info
            .iter()
            .take_while(|l| l.insn as usize <= insn)
            .last()
    }
}

/// A loaded object file.
#[derive(Debug, Clone)]
pub struct Object {
    /// libbpf's object name: the file name up to its first `.` for
    /// [`load_file`], the given name for [`load_named`], "" for [`load`].
    pub name: String,
    /// Contents of the `license` section (up to the first NUL).
    pub license: String,
    /// Contents of the `version` section, if any.
    pub kern_version: Option<u32>,
    /// Entry programs, in libbpf order (by ELF section index, then offset).
    pub programs: Vec<ProgramDef>,
    /// Maps: legacy, then BTF-defined, then global data.
    pub maps: Vec<MapSpec>,
    /// Parsed `.BTF`, with the raw bytes ([`Btf::raw`]).
    pub btf: Option<Btf>,
    /// Parsed `.BTF.ext`.
    pub btf_ext: Option<BtfExt>,
    /// The CO-RE target used: a BTF file path, "custom" or "local"; `None`
    /// when the object has no CO-RE relocations.
    pub core_target: Option<String>,
    /// Every CO-RE relocation applied, in `.BTF.ext` order.
    pub core_relos: Vec<CoreReloResult>,
    /// `__kconfig` and `__ksym` externs with what they resolved to (see
    /// [`externs`]), in libbpf's order.
    pub externs: Vec<Extern>,
    sec_sizes: Vec<(String, u32)>,
    var_syms: Vec<(String, u32, bool)>,
    static_funcs: Vec<String>,
}

impl Object {
    /// Same as [`ProgramDef::link`].
    pub fn link(&self, prog: &ProgramDef, resolve: impl Fn(usize) -> i32) -> Vec<RawInsn> {
        prog.link(resolve)
    }

    /// The program named `name`.
    pub fn program(&self, name: &str) -> Option<&ProgramDef> {
        self.programs.iter().find(|p| p.name == name)
    }

    /// The index of the map named `name` in [`Object::maps`].
    pub fn map_index(&self, name: &str) -> Option<usize> {
        self.maps.iter().position(|m| m.name == name)
    }

    /// The `.BTF` bytes libbpf would pass to `BPF_BTF_LOAD`: DATASEC sizes
    /// and variable offsets filled in from the ELF, hidden variables made
    /// static, variables sorted (libbpf `btf_fixup_datasec`), hidden global
    /// sub-programs' `FUNC`s made static (libbpf `mark_btf_static`). `None` without
    /// BTF or when a DATASEC cannot be fixed up.
    pub fn btf_for_kernel(&self) -> Option<Vec<u8>> {
        let btf = self.btf.as_ref()?;
        let size = |name: &str| {
            self.sec_sizes
                .iter()
                .find(|(n, _)| n == name)
                .map(|&(_, s)| s)
        };
        let sym = |name: &str| {
            self.var_syms
                .iter()
                .find(|(n, _, _)| n == name)
                .map(|&(_, v, h)| (v, h))
        };
        let statics: Vec<&str> = self.static_funcs.iter().map(String::as_str).collect();
        let mut out = btf.sanitized(&size, &sym, &statics)?;
        externs::fix_btf(btf, &mut out, &self.externs).then_some(out)
    }
}

/// Loads an object from memory. Data maps get kernel names without an
/// object-name prefix (use [`load_named`] to give one).
pub fn load(bytes: &[u8]) -> Result<Object, Error> {
    load_named(bytes, "")
}

/// Largest object file read: 256 MiB (clang-built BPF objects are KBs
/// to a few MBs); a larger file, or a device or pipe that gives more, is
/// refused before memory fills.
pub const MAX_OBJECT_FILE: u64 = 256 << 20;

/// Reads an object file of at most [`MAX_OBJECT_FILE`] bytes. Only the
/// first bytes of something that is not ELF are read (the parser then
/// refuses them), so `/dev/zero` costs nothing.
fn read_file(path: &Path) -> Result<Vec<u8>, Error> {
    use std::io::Read;
    let fail = |m: String| Error::new(ErrorKind::Io, m).with_file(path.to_path_buf());
    let meta = std::fs::metadata(path).map_err(|e| fail(format!("cannot read: {e}")))?;
    if meta.is_dir() {
        return Err(fail("is a directory, not an object file".into()));
    }
    let too_big = || {
        fail(format!(
            "larger than the limit of {MAX_OBJECT_FILE} bytes for an object file"
        ))
    };
    if meta.is_file() && meta.len() > MAX_OBJECT_FILE {
        return Err(too_big());
    }
    let mut file = std::fs::File::open(path).map_err(|e| fail(format!("cannot read: {e}")))?;
    let mut bytes = Vec::new();
    (&mut file)
        .take(64)
        .read_to_end(&mut bytes)
        .map_err(|e| fail(format!("cannot read: {e}")))?;
    if !bytes.starts_with(b"\x7fELF") {
        return Ok(bytes);
    }
    file.take(MAX_OBJECT_FILE + 1 - bytes.len() as u64)
        .read_to_end(&mut bytes)
        .map_err(|e| fail(format!("cannot read: {e}")))?;
    if bytes.len() as u64 > MAX_OBJECT_FILE {
        return Err(too_big());
    }
    Ok(bytes)
}

/// Loads an object from a file; the object name used for data-map names is
/// the file name up to its first `.`, as libbpf does. Errors name the file.
pub fn load_file(path: impl AsRef<Path>) -> Result<Object, Error> {
    let path = path.as_ref();
    let bytes = read_file(path)?;
    let base = path
        .file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let name = base.split('.').next().unwrap_or("");
    load_named(&bytes, name).map_err(|e| e.with_file(path.to_path_buf()))
}

/// Loads an object from memory with `obj_name` as libbpf's object name.
pub fn load_named(bytes: &[u8], obj_name: &str) -> Result<Object, Error> {
    load_with(bytes, obj_name, &LoadOptions::default())
}

/// Loads an object from a file, as [`load_file`], with options.
pub fn load_file_with(path: impl AsRef<Path>, opts: &LoadOptions) -> Result<Object, Error> {
    let path = path.as_ref();
    let bytes = read_file(path)?;
    let base = path
        .file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let name = base.split('.').next().unwrap_or("");
    load_with(&bytes, name, opts).map_err(|e| e.with_file(path.to_path_buf()))
}

/// Loads an object from memory with `obj_name` as libbpf's object name and
/// explicit options (the CO-RE target).
pub fn load_with(bytes: &[u8], obj_name: &str, opts: &LoadOptions) -> Result<Object, Error> {
    let elf = Elf::parse(bytes)?;
    let mut license = String::new();
    let mut kern_version = None;
    let mut btf_raw = None;
    let mut ext_raw = None;
    let mut legacy_sec = None;
    let mut btf_maps_sec = None;
    for (idx, s) in elf.sections.iter().enumerate() {
        match s.name.as_str() {
            "license" => {
                let end = s.data.iter().position(|&c| c == 0).unwrap_or(s.data.len());
                license = String::from_utf8_lossy(&s.data[..end]).into_owned();
            }
            "version" => {
                let Ok(b) = <[u8; 4]>::try_from(s.data) else {
                    return err(
                        ErrorKind::Section,
                        format!("invalid 'version' section size {}", s.data.len()),
                    );
                };
                kern_version = Some(u32::from_le_bytes(b));
            }
            "maps" => legacy_sec = Some(idx),
            ".maps" => btf_maps_sec = Some(idx),
            ".BTF" => btf_raw = Some(s.data),
            ".BTF.ext" => ext_raw = Some(s.data),
            _ => {}
        }
    }
    let btf = btf_raw.map(Btf::parse).transpose()?;
    let btf_ext = match (ext_raw, &btf) {
        (Some(raw), Some(b)) => Some(BtfExt::parse(raw, b)?),
        _ => None,
    };

    let mut maps = Vec::new();
    if let Some(idx) = legacy_sec {
        maps.extend(maps::legacy_maps(&elf, idx)?);
    }
    if let Some(idx) = btf_maps_sec {
        maps.extend(maps::btf_maps(&elf, btf.as_ref(), idx)?);
    }
    maps.extend(maps::data_maps(&elf, btf.as_ref(), obj_name)?);
    let maps_secs: Vec<usize> = legacy_sec.into_iter().chain(btf_maps_sec).collect();
    let mut externs = externs::collect(&elf, btf.as_ref())?;
    let kconfig_data = externs::resolve(&mut externs, opts.externs.as_deref())?;
    let kconfig_map = (!kconfig_data.is_empty()).then(|| {
        maps.push(maps::kconfig_map(btf.as_ref(), obj_name, kconfig_data));
        maps.len() - 1
    });

    let mut code = prog::collect_code(&elf)?;
    let (core_target, core_relos) = match (&btf, &btf_ext) {
        (Some(b), Some(ext)) => apply_core(&elf, b, ext, &mut code, opts)?,
        _ => (None, Vec::new()),
    };
    prog::collect_relocs(&elf, &mut code, &maps, &maps_secs, &externs)?;

    // entry programs: functions outside .text, in libbpf's cmp_progs order
    // (section index, then offset)
    let mut entries: Vec<usize> = (0..code.funcs.len())
        .filter(|&i| Some(code.funcs[i].sec_idx) != code.text_idx)
        .collect();
    entries.sort_by_key(|&i| (code.funcs[i].sec_idx, code.funcs[i].start));
    let mut programs = Vec::new();
    for fid in entries {
        let f = &code.funcs[fid];
        // libbpf: SEC("?xdp") is SEC("xdp") with autoload off
        let raw_section = &elf.sections[f.sec_idx].name;
        let (section, autoload) = match raw_section.strip_prefix('?') {
            Some(s) => (s.to_string(), false),
            None => (raw_section.clone(), true),
        };
        let Some(SectionMatch { spec, def: sec_def }) = find_section(&section) else {
            return err(
                ErrorKind::Section,
                format!(
                    "section '{section}' (program '{}') is not a known SEC() name",
                    f.name
                ),
            );
        };
        let linked = prog::link_entry(&code, fid, &externs, kconfig_map)?;
        let (func_info, line_info) =
            prog::ext_info(&elf, &code, btf.as_ref(), btf_ext.as_ref(), &linked.placed);
        programs.push(ProgramDef {
            name: f.name.clone(),
            section,
            prog_type: spec.id(),
            expected_attach_type: sec_def.expected_attach_type(),
            prog_flags: sec_def.prog_flags(),
            sec_def,
            autoload,
            insns: linked.insns,
            map_refs: linked.map_refs,
            func_info,
            line_info,
        });
    }
    // code in an executable section that no function symbol covers
    for (idx, s) in elf.sections.iter().enumerate() {
        if s.is_exec()
            && !s.data.is_empty()
            && Some(idx) != code.text_idx
            && find_section(s.name.strip_prefix('?').unwrap_or(&s.name)).is_none()
        {
            return err(
                ErrorKind::Section,
                format!(
                    "section '{}' contains code but is not a known SEC() name",
                    s.name
                ),
            );
        }
    }

    if let Some(idx) = btf_maps_sec {
        init_slots(&elf, idx, &mut maps, &programs)?;
    }

    let static_funcs = code
        .funcs
        .iter()
        .filter(|f| f.hidden_global && Some(f.sec_idx) == code.text_idx)
        .map(|f| f.name.clone())
        .collect();
    let sec_sizes = elf
        .sections
        .iter()
        .map(|s| (s.name.clone(), u32::try_from(s.size).unwrap_or(u32::MAX)))
        .collect();
    let var_syms = elf
        .symbols
        .iter()
        .filter(|s| s.kind == elf::STT_OBJECT)
        .map(|s| {
            let hidden = s.visibility == elf::STV_HIDDEN || s.visibility == elf::STV_INTERNAL;
            (
                s.name.clone(),
                u32::try_from(s.value).unwrap_or(u32::MAX),
                hidden,
            )
        })
        .collect();
    Ok(Object {
        name: obj_name.to_string(),
        license,
        kern_version,
        programs,
        maps,
        btf,
        btf_ext,
        core_target,
        core_relos,
        externs,
        sec_sizes,
        var_syms,
        static_funcs,
    })
}

/// Applies every CO-RE relocation to the sections' slots (before linking,
/// as libbpf does them per program before `bpf_object__reloc_code`).
fn apply_core(
    elf: &Elf,
    btf: &Btf,
    ext: &BtfExt,
    code: &mut prog::Code,
    opts: &LoadOptions,
) -> Result<(Option<String>, Vec<CoreReloResult>), Error> {
    if ext.core_relo_recs.iter().all(|(_, r)| r.is_empty()) {
        return Ok((None, Vec::new()));
    }
    let (target, desc) = co_re::resolve_target(&opts.core_target, btf)?;
    let mut out = Vec::new();
    for (sec, recs) in &ext.core_relo_recs {
        if recs.is_empty() {
            continue;
        }
        let Some(idx) = elf
            .sections
            .iter()
            .position(|s| &s.name == sec && s.is_exec())
        else {
            return err(
                ErrorKind::Relocation,
                format!("CO-RE relocations for unknown code section '{sec}'"),
            );
        };
        co_re::apply(btf, &target, sec, recs, &mut code.slots[idx], &mut out)?;
    }
    Ok((Some(desc), out))
}

/// `.rel.maps`: the `.values = { ... }` initializers of map-in-maps and prog
/// arrays (libbpf `bpf_object__collect_map_relos`).
fn init_slots(
    elf: &Elf,
    maps_sec: usize,
    maps: &mut [MapSpec],
    programs: &[ProgramDef],
) -> Result<(), Error> {
    let merr = |msg: String| Error::new(ErrorKind::Map, msg);
    for (ridx, rsec) in elf.sections.iter().enumerate() {
        if rsec.sh_type != elf::SHT_REL || rsec.info as usize != maps_sec {
            continue;
        }
        for rel in elf.rels(ridx)? {
            if rel.rtype != elf::R_BPF_64_ABS64 {
                return err(
                    ErrorKind::Relocation,
                    format!(
                        ".maps: unknown relocation type {} at offset {:#x}",
                        rel.rtype, rel.offset
                    ),
                );
            }
            let sym = elf
                .symbols
                .get(rel.sym as usize)
                .ok_or_else(|| merr(format!(".maps: missing symbol #{}", rel.sym)))?;
            let Some(mi) = maps.iter().position(|m| {
                m.kind == MapKind::Btf
                    && m.sec_offset <= rel.offset
                    && rel.offset.saturating_add(8) <= m.sec_offset.saturating_add(m.def_size)
            }) else {
                return Err(merr(format!(
                    ".maps: no map at offset {} for '{}'",
                    rel.offset, sym.name
                )));
            };
            let m = &maps[mi];
            let Some(values_off) = m.values_off else {
                return Err(merr(format!(
                    "map '{}': initializer without a 'values' attribute",
                    m.name
                )));
            };
            let moff = rel.offset - m.sec_offset;
            if moff < values_off || (moff - values_off) % 8 != 0 {
                return Err(merr(format!(
                    "map '{}': misplaced 'values' initializer",
                    m.name
                )));
            }
            let key = u32::try_from((moff - values_off) / 8)
                .map_err(|_| merr("slot index too large".into()))?;
            let init = if m.is_map_in_map() {
                let t = maps.iter().position(|t| {
                    t.kind == MapKind::Btf && t.name == sym.name && sym.shndx as usize == maps_sec
                });
                MapInit::Map(t.ok_or_else(|| {
                    merr(format!(
                        "map '{}': '{}' isn't a BTF-defined map",
                        m.name, sym.name
                    ))
                })?)
            } else {
                let p = programs.iter().position(|p| p.name == sym.name);
                MapInit::Program(p.ok_or_else(|| {
                    merr(format!(
                        "map '{}': '{}' isn't an entry-point program",
                        m.name, sym.name
                    ))
                })?)
            };
            maps[mi].init_slots.push((key, init));
        }
    }
    Ok(())
}

//! Preparing an object before its programs run, as its userspace loader
//! would: a [`Setup`] sizes maps and sets their create-time attributes
//! (what libbpf's `bpf_map__set_*` allow before load), sets global
//! variables in `.rodata`/`.data`/`.bss` by name (skeleton semantics: set
//! before load, `.rodata` frozen after), fills prog-array slots with
//! programs of the object or of another object file, gives map-in-map
//! slots inner maps of their own, inserts map entries, and gives
//! `__kconfig` externs their values.
//!
//! A setup is a library value ([`Setup`], built in Rust or read from JSON
//! with [`Setup::from_json`]/[`Setup::load`]); the JSON format is the one
//! [`dump`] writes, so a dump of maps after a run can be fed back as a
//! setup. Keys, values and variables are JSON structured by the object's
//! BTF types ([`value`] documents the rules), or hex.
//!
//! [`Setup::apply`] changes the [`Object`] both engines load (one loader,
//! two engines) and returns the entries to insert once the maps exist
//! ([`Prepared`]), which [`Prepared::fill`] writes through either engine.
//! Errors name the setup file and the path inside it:
//! `setup.json: maps.vips.entries[2].key.port: 70000 does not fit u16`.

pub mod dump;
mod parse;
pub mod value;

use crate::engine::Engine;
use bpfbox_object::btf::{kind, Btf, Extra};
use bpfbox_object::{DataKind, MapInit, MapKind, MapSpec, Object};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use value::{Ty, ValueError};

/// A setup error: the file (or origin), the path inside it and the cause,
/// shown as one line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{origin}: {}{message}", if path.is_empty() { String::new() } else { format!("{path}: ") })]
pub struct SetupError {
    /// The setup file (or `setup` for one built in code).
    pub origin: String,
    /// Path inside the setup (`maps.vips.entries[2].key.port`), or empty.
    pub path: String,
    /// What is wrong.
    pub message: String,
}

/// How to prepare an object before its programs run.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Setup {
    /// Named in errors: the file the setup was read from.
    pub origin: String,
    /// Relative object paths (prog-array slots) are taken from here.
    pub base_dir: PathBuf,
    /// Per map, by name.
    pub maps: BTreeMap<String, MapSetup>,
    /// Global variables by name (`.rodata`, `.data`, `.bss` and their
    /// `.data.*`-style variants).
    pub globals: BTreeMap<String, Value>,
    /// Values of `__kconfig` externs (`CONFIG_HZ`, `LINUX_KERNEL_VERSION`):
    /// a number, `true`/`false`, `"y"`/`"n"`/`"m"`, or a string.
    pub kconfig: BTreeMap<String, Value>,
}

/// What to do with one map.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MapSetup {
    /// `bpf_map__set_max_entries`.
    pub max_entries: Option<u32>,
    /// `bpf_map__set_map_flags`.
    pub map_flags: Option<u32>,
    /// `bpf_map__set_numa_node`.
    pub numa_node: Option<u32>,
    /// `bpf_map__set_map_extra`.
    pub map_extra: Option<u64>,
    /// `bpf_map__set_key_size` (maps without a BTF key type only).
    pub key_size: Option<u32>,
    /// `bpf_map__set_value_size` (maps without a BTF value type only).
    pub value_size: Option<u32>,
    /// Entries to insert (`BPF_MAP_UPDATE_ELEM`, `BPF_ANY`), in order.
    pub entries: Vec<EntrySetup>,
    /// Prog-array and map-in-map slots by index; `None` empties a slot the
    /// object's `.values` filled.
    pub slots: BTreeMap<u32, Option<SlotSetup>>,
}

/// One entry to insert.
#[derive(Debug, Clone, PartialEq)]
pub struct EntrySetup {
    /// The key (JSON by the key's BTF type, or hex).
    pub key: Value,
    /// The value.
    pub value: EntryValue,
}

/// A value: one for every CPU, or one per CPU for per-CPU maps.
#[derive(Debug, Clone, PartialEq)]
pub enum EntryValue {
    /// The same value (for per-CPU maps: on every CPU).
    One(Value),
    /// One value per CPU (per-CPU maps), missing CPUs zero.
    PerCpu(Vec<Value>),
}

/// What a slot of a prog array or map-in-map holds.
#[derive(Debug, Clone, PartialEq)]
pub enum SlotSetup {
    /// A program of this object (`object: None`) or of another object file.
    Program {
        /// Another object file (relative to [`Setup::base_dir`]).
        object: Option<PathBuf>,
        /// The program's name.
        prog: String,
    },
    /// Another map of this object (map-in-map).
    Map(String),
    /// A new inner map made from the outer map's inner template, with
    /// these settings and entries.
    Inner(MapSetup),
    /// A cgroup of a cgroup array: its cgroup v2 path (`/` is the root,
    /// `/system.slice/x` as `/proc/PID/cgroup` names it). The kernel
    /// engine stores the directory's fd as the kernel takes it; the
    /// interpreter stores the cgroup id (the directory's inode number).
    Cgroup(String),
}

/// The part of a setup applied once the maps exist.
#[derive(Debug, Clone, Default)]
pub struct Prepared {
    origin: String,
    fills: Vec<Fill>,
}

#[derive(Debug, Clone)]
struct Fill {
    map: String,
    path: String,
    key: Vec<u8>,
    /// Per CPU for per-CPU maps (each `value_size` bytes), else one.
    values: Vec<Vec<u8>>,
    percpu: bool,
    /// One value for every CPU of a per-CPU map.
    replicate: bool,
    /// A cgroup array slot: the cgroup's directory (the value is made
    /// per engine: an fd for the kernel, the cgroup id for bpfbox).
    cgroup: Option<PathBuf>,
}

impl Setup {
    /// An empty setup named `origin` in errors.
    pub fn new(origin: &str) -> Setup {
        Setup {
            origin: origin.to_string(),
            ..Setup::default()
        }
    }

    /// Reads a setup file (JSON).
    pub fn load(path: &Path) -> Result<Setup, SetupError> {
        let origin = path.display().to_string();
        let text = crate::setup::parse::read_bounded(path).map_err(|message| SetupError {
            origin: origin.clone(),
            path: String::new(),
            message,
        })?;
        let mut s = Setup::from_json(&text, &origin)?;
        s.base_dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        Ok(s)
    }

    /// Parses a setup from JSON text; `origin` names it in errors.
    pub fn from_json(text: &str, origin: &str) -> Result<Setup, SetupError> {
        parse::from_json(text, origin)
    }

    /// Extern values: the setup's `"kconfig"` over the running kernel's.
    pub fn externs(&self) -> Result<crate::externs::HostExterns, SetupError> {
        let mut over = BTreeMap::new();
        for (name, v) in &self.kconfig {
            let path = format!("kconfig.{name}");
            let text = crate::externs::kconfig_text(v).ok_or_else(|| {
                self.err(
                    &path,
                    format!(
                        "{} is not a Kconfig value (y/n/m, a number or a string)",
                        value::show(v)
                    ),
                )
            })?;
            over.insert(name.clone(), (text, format!("{}: {path}", self.origin)));
        }
        Ok(crate::externs::HostExterns::with(over, true))
    }

    fn err(&self, path: &str, message: impl Into<String>) -> SetupError {
        SetupError {
            origin: self.origin.clone(),
            path: path.to_string(),
            message: message.into(),
        }
    }

    fn verr(&self, e: ValueError) -> SetupError {
        self.err(&e.path, e.message)
    }

    /// The settings of map `name`, created if absent (for building a
    /// setup in code).
    pub fn map_mut(&mut self, name: &str) -> &mut MapSetup {
        self.maps.entry(name.to_string()).or_default()
    }

    /// Applies everything that comes before load to `obj` (sizes, flags,
    /// slots, globals) and prepares the entries to insert after the maps
    /// are created. `__kconfig` values are applied when the object is
    /// loaded ([`load_object`], [`Setup::externs`]).
    pub fn apply(&self, obj: &mut Object) -> Result<Prepared, SetupError> {
        let mut prep = Prepared {
            origin: self.origin.clone(),
            fills: Vec::new(),
        };
        let mut imported: Vec<(PathBuf, usize)> = Vec::new();
        // slots first: they may bring in another object's maps, which the
        // setup (a dump fed back) may then name
        for (name, ms) in &self.maps {
            if let Some(i) = obj.map_index(name) {
                self.slots(
                    obj,
                    i,
                    ms,
                    &format!("maps.{name}"),
                    &mut imported,
                    &mut prep,
                )?;
            }
        }
        for (name, ms) in &self.maps {
            let path = format!("maps.{name}");
            let Some(i) = obj.map_index(name) else {
                let names: Vec<&str> = obj.maps.iter().map(|m| m.name.as_str()).collect();
                return Err(self.err(
                    &path,
                    format!(
                        "the object has no map `{name}` (maps: {})",
                        names.join(", ")
                    ),
                ));
            };
            if let MapKind::Data(dk) = obj.maps[i].kind {
                self.resize_data(&mut obj.maps[i], dk, ms, &path)?;
                continue;
            }
            self.configure(&mut obj.maps[i], ms, &path)?;
            self.entries(obj, i, &ms.entries, &path, &mut prep)?;
        }
        self.set_globals(obj)?;
        Ok(prep)
    }

    /// The create-time overrides of one map.
    fn configure(&self, spec: &mut MapSpec, ms: &MapSetup, path: &str) -> Result<(), SetupError> {
        if let Some(n) = ms.max_entries {
            spec.max_entries = n;
        }
        if let Some(f) = ms.map_flags {
            spec.map_flags = f;
        }
        if let Some(n) = ms.numa_node {
            spec.numa_node = n;
        }
        if let Some(x) = ms.map_extra {
            spec.map_extra = x;
        }
        if let Some(k) = ms.key_size {
            if spec.btf_key_type_id != 0 && k != spec.key_size {
                return Err(self.err(
                    &format!("{path}.key_size"),
                    format!(
                        "the key is a BTF type of {} bytes; its size cannot change",
                        spec.key_size
                    ),
                ));
            }
            spec.key_size = k;
        }
        if let Some(v) = ms.value_size {
            if spec.btf_value_type_id != 0 && v != spec.value_size {
                return Err(self.err(
                    &format!("{path}.value_size"),
                    format!(
                        "the value is a BTF type of {} bytes; its size cannot change",
                        spec.value_size
                    ),
                ));
            }
            spec.value_size = v;
        }
        Ok(())
    }

    fn slots(
        &self,
        obj: &mut Object,
        outer: usize,
        ms: &MapSetup,
        path: &str,
        imported: &mut Vec<(PathBuf, usize)>,
        prep: &mut Prepared,
    ) -> Result<(), SetupError> {
        if ms.slots.is_empty() {
            return Ok(());
        }
        let spec = &obj.maps[outer];
        if spec.map_type == bpfbox_uapi::map_type::CGROUP_ARRAY {
            return self.cgroup_slots(spec, ms, path, prep);
        }
        let prog_array = spec.map_type == bpfbox_object::maps::BPF_MAP_TYPE_PROG_ARRAY;
        let in_map = matches!(
            spec.map_type,
            bpfbox_object::maps::BPF_MAP_TYPE_ARRAY_OF_MAPS
                | bpfbox_object::maps::BPF_MAP_TYPE_HASH_OF_MAPS
        );
        if !prog_array && !in_map {
            return Err(self.err(
                &format!("{path}.slots"),
                "slots are for prog arrays and map-in-maps",
            ));
        }
        let outer_name = spec.name.clone();
        for (&key, slot) in &ms.slots {
            let p = format!("{path}.slots.{key}");
            let init = match slot {
                None => None,
                Some(SlotSetup::Program { object, prog }) => {
                    if !prog_array {
                        return Err(self.err(&p, "a map-in-map slot holds a map, not a program"));
                    }
                    let (base, src) = match object {
                        None => (0, None),
                        Some(o) => {
                            let (base, src) = self.import(obj, o, imported, &p)?;
                            (base, Some(src))
                        }
                    };
                    let found = match &src {
                        None => obj.programs.iter().position(|d| &d.name == prog),
                        Some(src) => src
                            .programs
                            .iter()
                            .position(|d| &d.name == prog)
                            .map(|i| base + i),
                    };
                    let idx = found.ok_or_else(|| {
                        let list = match &src {
                            None => &obj.programs,
                            Some(s) => &s.programs,
                        };
                        let names: Vec<&str> = list.iter().map(|d| d.name.as_str()).collect();
                        self.err(
                            &p,
                            format!("no program `{prog}` (programs: {})", names.join(", ")),
                        )
                    })?;
                    Some(MapInit::Program(idx))
                }
                Some(SlotSetup::Map(m)) => {
                    if !in_map {
                        return Err(self.err(&p, "a prog array slot holds a program, not a map"));
                    }
                    let i = obj
                        .map_index(m)
                        .ok_or_else(|| self.err(&p, format!("the object has no map `{m}`")))?;
                    Some(MapInit::Map(i))
                }
                Some(SlotSetup::Cgroup(_)) => {
                    return Err(self.err(&p, "cgroup slots are for cgroup arrays"));
                }
                Some(SlotSetup::Inner(inner)) => {
                    if !in_map {
                        return Err(self.err(&p, "a prog array slot holds a program, not a map"));
                    }
                    let Some(tpl) = obj.maps[outer].inner.as_deref() else {
                        return Err(
                            self.err(&p, format!("`{outer_name}` has no inner map template"))
                        );
                    };
                    let mut spec = tpl.clone();
                    spec.name = format!("{outer_name}[{key}]");
                    spec.kernel_name = kernel_name(&format!("{outer_name}_{key}"));
                    spec.init_slots.clear();
                    self.configure(&mut spec, inner, &p)?;
                    if !inner.slots.is_empty() {
                        return Err(self.err(&format!("{p}.slots"), "inner maps have no slots"));
                    }
                    obj.maps.push(spec);
                    let i = obj.maps.len() - 1;
                    self.entries(obj, i, &inner.entries, &p, prep)?;
                    Some(MapInit::Map(i))
                }
            };
            let slots = &mut obj.maps[outer].init_slots;
            slots.retain(|(k, _)| *k != key);
            if let Some(init) = init {
                slots.push((key, init));
                slots.sort_by_key(|s| s.0);
            }
        }
        Ok(())
    }

    /// The slots of a cgroup array: each a cgroup v2 path, written once
    /// the map exists (an empty slot stays empty).
    fn cgroup_slots(
        &self,
        spec: &MapSpec,
        ms: &MapSetup,
        path: &str,
        prep: &mut Prepared,
    ) -> Result<(), SetupError> {
        for (&key, slot) in &ms.slots {
            let p = format!("{path}.slots.{key}");
            let cgroup = match slot {
                None => continue,
                Some(SlotSetup::Cgroup(c)) => c,
                Some(_) => {
                    return Err(self.err(
                        &p,
                        "a cgroup array slot holds a cgroup: {\"cgroup\": \"/path\"}",
                    ))
                }
            };
            if key >= spec.max_entries {
                return Err(self.err(
                    &p,
                    format!("slot {key} is past max_entries {}", spec.max_entries),
                ));
            }
            let dir = cgroup_dir(cgroup).map_err(|m| self.err(&p, m))?;
            prep.fills.push(Fill {
                map: spec.name.clone(),
                path: p,
                key: key.to_ne_bytes().to_vec(),
                values: Vec::new(),
                percpu: false,
                replicate: false,
                cgroup: Some(dir),
            });
        }
        Ok(())
    }

    /// Appends another object's maps and programs to `obj` (once per
    /// file); returns the index of its first program and the object.
    fn import(
        &self,
        obj: &mut Object,
        file: &Path,
        imported: &mut Vec<(PathBuf, usize)>,
        path: &str,
    ) -> Result<(usize, Object), SetupError> {
        let full = if file.is_absolute() {
            file.to_path_buf()
        } else {
            self.base_dir.join(file)
        };
        let src = crate::objects::load(&full).map_err(|e| self.err(path, e.to_string()))?;
        if let Some(&(_, base)) = imported.iter().find(|(p, _)| *p == full) {
            return Ok((base, src));
        }
        let map_base = obj.maps.len();
        let prog_base = obj.programs.len();
        for m in &src.maps {
            let mut m = m.clone();
            m.name = format!("{}:{}", src.name, m.name);
            // type ids of another object's BTF mean nothing here
            m.btf_key_type_id = 0;
            m.btf_value_type_id = 0;
            if let Some(inner) = m.inner.as_deref_mut() {
                inner.btf_key_type_id = 0;
                inner.btf_value_type_id = 0;
            }
            for (_, init) in &mut m.init_slots {
                *init = match *init {
                    MapInit::Map(i) => MapInit::Map(i + map_base),
                    MapInit::Program(p) => MapInit::Program(p + prog_base),
                };
            }
            obj.maps.push(m);
        }
        for d in &src.programs {
            let mut d = d.clone();
            for (slot, r) in &mut d.map_refs {
                *r = match *r {
                    bpfbox_object::MapRef::Map(m) => bpfbox_object::MapRef::Map(m + map_base),
                    bpfbox_object::MapRef::MapValue { map, off } => {
                        bpfbox_object::MapRef::MapValue {
                            map: map + map_base,
                            off,
                        }
                    }
                };
                let idx = match *r {
                    bpfbox_object::MapRef::Map(m) => m,
                    bpfbox_object::MapRef::MapValue { map, .. } => map,
                };
                d.insns[*slot].imm = idx as i32;
            }
            // func and line info refer to the other object's BTF
            d.func_info.clear();
            d.line_info.clear();
            obj.programs.push(d);
        }
        imported.push((full, prog_base));
        Ok((prog_base, src))
    }

    fn entries(
        &self,
        obj: &Object,
        i: usize,
        entries: &[EntrySetup],
        path: &str,
        prep: &mut Prepared,
    ) -> Result<(), SetupError> {
        let spec = &obj.maps[i];
        let percpu = bpfbox_maps::MapType::from_u32(spec.map_type).is_some_and(|t| t.is_percpu());
        let no_key = matches!(
            bpfbox_maps::MapType::from_u32(spec.map_type),
            Some(bpfbox_maps::MapType::Queue | bpfbox_maps::MapType::Stack)
        );
        if !entries.is_empty() {
            if let Some(why) = fd_valued(spec.map_type) {
                return Err(self.err(
                    &format!("{path}.entries"),
                    format!("values of this map are {why}, which a setup cannot name as bytes"),
                ));
            }
        }
        let (kty, vty) = types_of(obj, spec);
        for (n, e) in entries.iter().enumerate() {
            let p = format!("{path}.entries[{n}]");
            let key = if no_key {
                if !e.key.is_null() {
                    return Err(self.err(
                        &format!("{p}.key"),
                        "queues and stacks have no keys (leave \"key\" out)",
                    ));
                }
                Vec::new()
            } else {
                if e.key.is_null() {
                    return Err(self.err(&p, "an entry needs a \"key\""));
                }
                value::encode_new(kty, &e.key, &format!("{p}.key")).map_err(|e| self.verr(e))?
            };
            let values = match &e.value {
                EntryValue::One(v) => {
                    vec![value::encode_new(vty, v, &format!("{p}.value"))
                        .map_err(|e| self.verr(e))?]
                }
                EntryValue::PerCpu(vs) => {
                    if !percpu {
                        return Err(self.err(
                            &format!("{p}.values"),
                            "per-CPU values for a map that is not per-CPU (use \"value\")",
                        ));
                    }
                    vs.iter()
                        .enumerate()
                        .map(|(c, v)| {
                            value::encode_new(vty, v, &format!("{p}.values[{c}]"))
                                .map_err(|e| self.verr(e))
                        })
                        .collect::<Result<_, _>>()?
                }
            };
            prep.fills.push(Fill {
                map: spec.name.clone(),
                path: p,
                key,
                values,
                percpu,
                replicate: matches!(e.value, EntryValue::One(_)),
                cgroup: None,
            });
        }
        Ok(())
    }

    /// A global-data map takes only `value_size`: libbpf's
    /// `bpf_map__set_value_size` on `.data*`/`.bss*`/`.rodata*` resizes the
    /// section (new bytes zero; the last variable, an array, grows). The
    /// map is then created without its BTF value type, which no longer
    /// matches (libbpf rewrites the DATASEC instead).
    fn resize_data(
        &self,
        spec: &mut MapSpec,
        dk: DataKind,
        ms: &MapSetup,
        path: &str,
    ) -> Result<(), SetupError> {
        let only_size = MapSetup {
            value_size: ms.value_size,
            ..MapSetup::default()
        };
        if dk == DataKind::Kconfig || ms.value_size.is_none() || *ms != only_size {
            return Err(self.err(
                path,
                format!(
                    "`{}` holds global variables: set them under \"globals\" (its \"value_size\" alone may change)",
                    spec.name
                ),
            ));
        }
        let size = ms.value_size.unwrap_or(0);
        if size == 0 {
            return Err(self.err(&format!("{path}.value_size"), "must be > 0"));
        }
        if size != spec.value_size {
            spec.value_size = size;
            spec.btf_value_type_id = 0;
            if let Some(d) = spec.initial_data.as_mut() {
                d.resize(size as usize, 0);
            }
        }
        Ok(())
    }

    fn set_globals(&self, obj: &mut Object) -> Result<(), SetupError> {
        if self.globals.is_empty() {
            return Ok(());
        }
        let vars = data_vars(obj);
        for (name, v) in &self.globals {
            let path = format!("globals.{name}");
            let found: Vec<&DataVar> = vars.iter().filter(|d| &d.name == name).collect();
            let var = match found.as_slice() {
                [one] => *one,
                [] => {
                    let names: Vec<&str> = vars.iter().map(|d| d.name.as_str()).collect();
                    return Err(self.err(
                        &path,
                        format!(
                            "the object has no global variable `{name}` (variables: {})",
                            if names.is_empty() {
                                "none".to_string()
                            } else {
                                names.join(", ")
                            }
                        ),
                    ));
                }
                _ => return Err(self.err(&path, "several sections define this name")),
            };
            let btf = obj.btf.as_ref().expect("data vars come from BTF");
            let room = obj.maps[var.map].value_size.saturating_sub(var.offset);
            let last = !vars
                .iter()
                .any(|d| d.map == var.map && d.offset > var.offset);
            let grown = if last {
                grown_array(btf, var, room)
            } else {
                None
            };
            let bytes = match grown {
                // the last array of a resized section: as many elements as fit
                Some((elem, esize))
                    if v.as_array()
                        .is_some_and(|a| a.len() as u32 * esize > var.size) =>
                {
                    let items = v.as_array().expect("checked");
                    if items.len() as u32 * esize > room {
                        return Err(self.err(
                            &path,
                            format!(
                                "{} elements do not fit the resized section ({room} bytes)",
                                items.len()
                            ),
                        ));
                    }
                    let mut out = Vec::new();
                    for (i, item) in items.iter().enumerate() {
                        let p = format!("{path}[{i}]");
                        out.extend(
                            value::encode_new(Ty::Btf(btf, elem), item, &p)
                                .map_err(|e| self.verr(e))?,
                        );
                    }
                    out
                }
                _ => value::encode_new(Ty::Btf(btf, var.type_id), v, &path)
                    .map_err(|e| self.verr(e))?,
            };
            let spec = &mut obj.maps[var.map];
            let data = spec.initial_data.get_or_insert_with(Vec::new);
            let end = var.offset as usize + bytes.len();
            if end > data.len() {
                return Err(self.err(&path, "variable outside its section"));
            }
            data[var.offset as usize..end].copy_from_slice(&bytes);
        }
        Ok(())
    }
}

/// The element type and size of `var` when it is an array that a resized
/// section gives more room than declared (`room` bytes from its offset).
pub(crate) fn grown_array(btf: &Btf, var: &DataVar, room: u32) -> Option<(u32, u32)> {
    if room <= var.size {
        return None;
    }
    let t = btf.type_by_id(btf.skip_mods_and_typedefs(var.type_id))?;
    let Extra::Array { elem, .. } = t.extra else {
        return None;
    };
    let esize = btf.resolve_size(elem).ok().filter(|&s| s > 0)?;
    Some((elem, esize))
}

/// Maps whose values are file descriptors or records, not data: a setup
/// fills prog arrays and map-in-maps through `"slots"`, and cannot give
/// the others.
fn fd_valued(map_type: u32) -> Option<&'static str> {
    use bpfbox_uapi::map_type as mt;
    match map_type {
        mt::PROG_ARRAY => Some("programs (use \"slots\")"),
        mt::ARRAY_OF_MAPS | mt::HASH_OF_MAPS => Some("maps (use \"slots\")"),
        mt::PERF_EVENT_ARRAY => Some("perf events"),
        mt::SOCKMAP | mt::SOCKHASH | mt::REUSEPORT_SOCKARRAY | mt::XSKMAP => Some("sockets"),
        mt::CGROUP_ARRAY => Some("cgroups (use \"slots\")"),
        mt::RINGBUF | mt::USER_RINGBUF => Some("ring buffer records"),
        _ => None,
    }
}

fn kernel_name(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .take(15)
        .collect()
}

/// The key and value types of a map: its BTF types, or raw sizes.
pub(crate) fn types_of<'o>(obj: &'o Object, spec: &MapSpec) -> (Ty<'o>, Ty<'o>) {
    let pick = |id: u32, size: u32| match &obj.btf {
        Some(b) if id != 0 && b.resolve_size(id).ok() == Some(size) => Ty::Btf(b, id),
        _ => Ty::Raw(size),
    };
    (
        pick(spec.btf_key_type_id, spec.key_size),
        pick(spec.btf_value_type_id, spec.value_size),
    )
}

/// A global variable of a data map.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataVar {
    /// Variable name.
    pub name: String,
    /// Index of its data map in [`Object::maps`].
    pub map: usize,
    /// Byte offset in the map's value.
    pub offset: u32,
    /// Size in bytes.
    pub size: u32,
    /// BTF type id of the variable's type (in the object's BTF).
    pub type_id: u32,
    /// Which section kind.
    pub section: DataKind,
}

/// The global variables of `obj`'s data maps, with the offsets libbpf
/// gives them (the DATASECs as fixed for the kernel). Static variables
/// are left out, as the skeleton leaves them out.
pub fn data_vars(obj: &Object) -> Vec<DataVar> {
    let (Some(btf), Some(fixed)) = (&obj.btf, obj.btf_for_kernel()) else {
        return Vec::new();
    };
    let Ok(fixed) = Btf::parse(&fixed) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (mi, spec) in obj.maps.iter().enumerate() {
        let MapKind::Data(dk) = spec.kind else {
            continue;
        };
        if dk == DataKind::Kconfig {
            continue; // set under "kconfig"
        }
        if spec.name.contains(':') {
            continue; // another object's data, imported for a prog array
        }
        let Some(ds) = fixed.find(&spec.section, kind::DATASEC) else {
            continue;
        };
        let Some(Extra::DataSec(vars)) = fixed.type_by_id(ds).map(|t| &t.extra) else {
            continue;
        };
        for v in vars {
            let Some(t) = fixed.type_by_id(v.type_id) else {
                continue;
            };
            if t.kind != kind::VAR || matches!(t.extra, Extra::Var(0)) {
                continue;
            }
            let name = fixed.str_at(t.name_off).unwrap_or("").to_string();
            // the original BTF has the same ids
            if btf.type_by_id(v.type_id).is_none() {
                continue;
            }
            out.push(DataVar {
                name,
                map: mi,
                offset: v.offset,
                size: v.size,
                type_id: t.size_or_type,
                section: dk,
            });
        }
    }
    out
}

/// Writes one map element: map name, key, value; an error line.
pub type UpdateFn<'a> = dyn FnMut(&str, &[u8], &[u8]) -> Result<(), String> + 'a;

impl Prepared {
    /// Writes the setup's entries through `eng` (`BPF_ANY` updates);
    /// per-CPU values are laid out for `ncpus` CPUs (missing CPUs zero).
    pub fn fill(&self, eng: &mut dyn Engine, ncpus: u32) -> Result<(), SetupError> {
        for f in self.fills.iter().filter(|f| f.cgroup.is_some()) {
            let dir = f.cgroup.as_deref().unwrap_or(Path::new("/"));
            eng.set_cgroup_slot(&f.map, &f.key, dir)
                .map_err(|e| SetupError {
                    origin: self.origin.clone(),
                    path: f.path.clone(),
                    message: e.message,
                })?;
        }
        self.fill_entries(ncpus, false, &mut |map, k, v| {
            eng.update_map(map, k, v).map_err(|e| e.message)
        })
    }

    /// Same as [`Prepared::fill`] through any update function.
    /// Cgroup array slots get the cgroup id (bpfbox's view): through
    /// [`Prepared::fill`], the kernel engine gets directory fds instead.
    pub fn fill_with(&self, ncpus: u32, update: &mut UpdateFn<'_>) -> Result<(), SetupError> {
        self.fill_entries(ncpus, true, update)
    }

    fn fill_entries(
        &self,
        ncpus: u32,
        cgroup_ids: bool,
        update: &mut UpdateFn<'_>,
    ) -> Result<(), SetupError> {
        for f in &self.fills {
            if f.cgroup.is_some() && !cgroup_ids {
                continue;
            }
            let value = if let Some(dir) = &f.cgroup {
                cgroup_slot_value(dir).map_err(|message| SetupError {
                    origin: self.origin.clone(),
                    path: f.path.clone(),
                    message,
                })?
            } else if f.percpu {
                let size = f.values.first().map_or(0, Vec::len);
                let stride = size.next_multiple_of(8);
                let mut buf = vec![0u8; stride * ncpus.max(1) as usize];
                for c in 0..ncpus.max(1) as usize {
                    let v = if f.replicate {
                        &f.values[0]
                    } else {
                        match f.values.get(c) {
                            Some(v) => v,
                            None => continue,
                        }
                    };
                    buf[c * stride..c * stride + size].copy_from_slice(v);
                }
                if !f.replicate && f.values.len() > ncpus.max(1) as usize {
                    return Err(SetupError {
                        origin: self.origin.clone(),
                        path: f.path.clone(),
                        message: format!("{} per-CPU values for {ncpus} CPUs", f.values.len()),
                    });
                }
                buf
            } else {
                f.values[0].clone()
            };
            update(&f.map, &f.key, &value).map_err(|message| SetupError {
                origin: self.origin.clone(),
                path: f.path.clone(),
                message,
            })?;
        }
        Ok(())
    }

    /// Whether there is nothing to insert.
    pub fn is_empty(&self) -> bool {
        self.fills.is_empty()
    }
}

/// The directory of cgroup v2 path `cgroup` (`/` is the root of the
/// cgroup v2 hierarchy, mounted where missing).
fn cgroup_dir(cgroup: &str) -> Result<PathBuf, String> {
    if !cgroup.starts_with('/') || cgroup.split('/').any(|p| p == "..") {
        return Err(format!(
            "`{cgroup}` is not a cgroup path (it starts with `/`, the cgroup v2 root, and has no `..`)"
        ));
    }
    let root = bpfbox_kernel::mounts::cgroup2().map_err(|e| e.to_string())?;
    let dir = root.join(cgroup.trim_start_matches('/'));
    if !dir.is_dir() {
        return Err(format!(
            "no cgroup `{cgroup}` ({} is not a directory)",
            dir.display()
        ));
    }
    Ok(dir)
}

/// What bpfbox stores in a cgroup array slot for cgroup directory `dir`:
/// the cgroup id (the directory's inode number on cgroup v2), as the
/// helpers compare it (its low 32 bits, see `bpfbox_runtime::Task`).
pub fn cgroup_slot_value(dir: &Path) -> Result<Vec<u8>, String> {
    use std::os::unix::fs::MetadataExt;
    let id = std::fs::metadata(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .ino();
    Ok((id as u32).to_ne_bytes().to_vec())
}

/// Loads an object file and prepares it with `setup` (when given): the
/// one loading path of every command, so both engines get the same
/// prepared object. Errors are one line naming the file.
pub fn load_object(path: &Path, setup: Option<&Setup>) -> Result<(Object, Prepared), String> {
    let externs = match setup {
        Some(s) => s.externs().map_err(|e| e.to_string())?,
        None => crate::externs::HostExterns::kernel(),
    };
    let mut obj = crate::objects::load_with_externs(path, externs).map_err(|e| e.to_string())?;
    let prep = match setup {
        Some(s) => s.apply(&mut obj).map_err(|e| e.to_string())?,
        None => Prepared::default(),
    };
    Ok((obj, prep))
}

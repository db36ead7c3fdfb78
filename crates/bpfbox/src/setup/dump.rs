//! Maps' contents written as a setup: the JSON [`super::Setup::from_json`]
//! reads, BTF-typed like bpftool's dumps. Global variables go under
//! `"globals"`, map entries under `"maps"`, and the slots a setup filled
//! are written again so the file recreates the same state.

use super::value::{self, Ty};
use super::{Prepared, Setup, SetupError, SlotSetup};
use crate::engine::MapDump;
use bpfbox_maps::MapType;
use bpfbox_object::{MapKind, Object};
use serde_json::{json, Map as JsonMap, Value};

/// Arrays with more elements than this list only their non-zero ones in
/// a template.
const TEMPLATE_MAX: u32 = 4096;

/// A setup holding the state in `dumps` (one per map of `obj`, in order,
/// as [`crate::engine::Engine::dump_maps`] returns them). `setup` is the
/// setup the object was prepared with, if any: its slots are written
/// back (an engine cannot read program or map handles back).
pub fn to_setup(obj: &Object, dumps: &[MapDump], setup: Option<&Setup>, ncpus: u32) -> Value {
    let mut maps = JsonMap::new();
    let mut globals = JsonMap::new();
    let vars = super::data_vars(obj);
    let by_name = |n: &str| dumps.iter().find(|d| d.name == n);
    for (i, (spec, d)) in obj.maps.iter().zip(dumps).enumerate() {
        if let MapKind::Data(_) = spec.kind {
            if spec.name.contains(':') {
                continue; // another object's globals (a prog-array import)
            }
            let Some((_, data)) = d.entries.first() else {
                continue;
            };
            let resized = spec.btf_value_type_id == 0 && obj.btf.is_some();
            if resized {
                maps.insert(spec.name.clone(), json!({ "value_size": spec.value_size }));
            }
            let mine: Vec<&super::DataVar> = vars.iter().filter(|v| v.map == i).collect();
            for v in &mine {
                let Some(btf) = &obj.btf else { continue };
                let last = !mine.iter().any(|d| d.offset > v.offset);
                let room = spec.value_size.saturating_sub(v.offset);
                let grown = if last && resized {
                    super::grown_array(btf, v, room)
                } else {
                    None
                };
                let shown = match grown {
                    // a resized section's last array: every element
                    Some((elem, esize)) => Value::Array(
                        data.get(v.offset as usize..)
                            .unwrap_or_default()
                            .chunks_exact(esize as usize)
                            .map(|b| value::decode(Ty::Btf(btf, elem), b, ""))
                            .collect(),
                    ),
                    None => {
                        let Some(bytes) = data.get(v.offset as usize..(v.offset + v.size) as usize)
                        else {
                            continue;
                        };
                        value::decode(Ty::Btf(btf, v.type_id), bytes, &v.name)
                    }
                };
                globals.insert(v.name.clone(), shown);
            }
            continue;
        }
        // inner maps made by a setup are written inside their outer map
        if spec.name.ends_with(']') && spec.name.contains('[') {
            continue;
        }
        let mut m = JsonMap::new();
        let ty = MapType::from_u32(spec.map_type);
        m.insert(
            "_type".into(),
            Value::String(ty.map_or_else(|| spec.map_type.to_string(), |t| t.name().to_string())),
        );
        let not_sized = d
            .note
            .as_deref()
            .is_some_and(|n| n.starts_with("max_entries is 0"));
        m.insert(
            "max_entries".into(),
            Value::from(if not_sized { 0 } else { spec.max_entries }),
        );
        if let Some(n) = &d.note {
            m.insert("_note".into(), Value::String(n.clone()));
        }
        let ms = setup.and_then(|s| s.maps.get(&spec.name));
        let handle = ty.is_some_and(|t| {
            matches!(t, MapType::ProgArray | MapType::CgroupArray) || t.is_map_in_map()
        });
        if handle {
            let mut slots = JsonMap::new();
            for (k, slot) in ms.map(|m| &m.slots).into_iter().flatten() {
                let v = match slot {
                    None => Value::Null,
                    Some(SlotSetup::Program { object: None, prog }) => Value::String(prog.clone()),
                    Some(SlotSetup::Program {
                        object: Some(o),
                        prog,
                    }) => json!({"prog": prog, "object": o.display().to_string()}),
                    Some(SlotSetup::Map(name)) => json!({ "map": name }),
                    Some(SlotSetup::Cgroup(c)) => json!({ "cgroup": c }),
                    Some(SlotSetup::Inner(_)) => {
                        let name = format!("{}[{k}]", spec.name);
                        let inner_spec = obj.maps.iter().find(|s| s.name == name);
                        match (inner_spec, by_name(&name)) {
                            (Some(is), Some(id)) => {
                                let mut o = JsonMap::new();
                                o.insert("max_entries".into(), Value::from(is.max_entries));
                                o.insert("entries".into(), entries(obj, is, id, ncpus));
                                Value::Object(o)
                            }
                            _ => continue,
                        }
                    }
                };
                slots.insert(k.to_string(), v);
            }
            if !slots.is_empty() {
                m.insert("slots".into(), Value::Object(slots));
            }
        } else if d.note.is_none()
            && !matches!(ty, Some(MapType::Ringbuf | MapType::PerfEventArray))
        {
            m.insert("entries".into(), entries(obj, spec, d, ncpus));
        } else if d.note.is_none() && !d.entries.is_empty() {
            m.insert(
                "_records".into(),
                Value::Array(
                    d.entries
                        .iter()
                        .map(|(_, v)| Value::String(value::hex(v)))
                        .collect(),
                ),
            );
        }
        maps.insert(spec.name.clone(), Value::Object(m));
    }
    let mut root = JsonMap::new();
    root.insert("maps".into(), Value::Object(maps));
    if !globals.is_empty() {
        root.insert("globals".into(), Value::Object(globals));
    }
    if let Some(s) = setup.filter(|s| !s.kconfig.is_empty()) {
        root.insert(
            "kconfig".into(),
            Value::Object(s.kconfig.clone().into_iter().collect()),
        );
    }
    Value::Object(root)
}

fn entries(obj: &Object, spec: &bpfbox_object::MapSpec, d: &MapDump, ncpus: u32) -> Value {
    let (kty, vty) = super::types_of(obj, spec);
    let percpu = MapType::from_u32(spec.map_type).is_some_and(|t| t.is_percpu());
    let vsize = spec.value_size as usize;
    // every index of an array exists; all-zero ones are its initial state
    let array = matches!(
        MapType::from_u32(spec.map_type),
        Some(MapType::Array | MapType::PercpuArray)
    );
    let list = d
        .entries
        .iter()
        .filter(|(_, v)| !(array && v.iter().all(|&b| b == 0)))
        .map(|(k, v)| {
            let mut e = JsonMap::new();
            if !k.is_empty() {
                e.insert("key".into(), value::decode(kty, k, ""));
            }
            if percpu && vsize > 0 {
                let stride = vsize.next_multiple_of(8);
                let vals: Vec<Value> = (0..ncpus.max(1) as usize)
                    .filter_map(|c| v.get(c * stride..c * stride + vsize))
                    .map(|b| value::decode(vty, b, ""))
                    .collect();
                e.insert("values".into(), Value::Array(vals));
            } else {
                e.insert("value".into(), value::decode(vty, v, ""));
            }
            Value::Object(e)
        })
        .collect();
    Value::Array(list)
}

/// The maps of `obj` as they are before any program runs: created, with
/// the object's initial data, slots and the setup's entries (bpfbox's
/// maps, as the interpreter engine creates them). A map still declared
/// with `max_entries` 0 (left for the loader to size) is listed empty
/// with a note saying so.
pub fn initial_state(
    obj: &Object,
    prep: &Prepared,
    ncpus: u32,
) -> Result<Vec<MapDump>, SetupError> {
    let mut obj = obj.clone();
    let mut not_sized = Vec::new();
    for m in &mut obj.maps {
        let perf = MapType::from_u32(m.map_type) == Some(MapType::PerfEventArray);
        if m.max_entries == 0 && !perf && !matches!(m.kind, MapKind::Data(_)) {
            m.max_entries = 1;
            not_sized.push(m.name.clone());
        }
    }
    let obj = &obj;
    let mut host = bpfbox_runtime::HostState::default();
    host.nr_cpus = ncpus.max(1);
    let fail = |message: String| SetupError {
        origin: prep.origin.clone(),
        path: String::new(),
        message,
    };
    let idx = bpfbox_runtime::link::create_maps(&mut host, obj).map_err(|e| fail(e.to_string()))?;
    prep.fill_with(ncpus.max(1), &mut |name, k, v| {
        let i = obj
            .map_index(name)
            .and_then(|i| idx.get(i).copied())
            .ok_or_else(|| format!("the object has no map `{name}`"))?;
        host.maps[i]
            .update(k, v, 0)
            .map_err(|e| format!("updating `{name}`: {e}"))
    })?;
    let mut out = Vec::new();
    for (spec, &hi) in obj.maps.iter().zip(&idx) {
        let m = &mut host.maps[hi];
        let ty = MapType::from_u32(spec.map_type);
        let mut d = MapDump {
            name: spec.name.clone(),
            entries: Vec::new(),
            note: None,
        };
        if not_sized.contains(&spec.name) {
            d.note = Some("max_entries is 0: the loader must size it (\"max_entries\")".into());
            out.push(d);
            continue;
        }
        match ty {
            Some(MapType::Queue | MapType::Stack) => {
                while let Ok(v) = m.lookup_and_delete(&[], 0) {
                    d.entries.push((Vec::new(), v));
                }
            }
            Some(MapType::Ringbuf | MapType::PerfEventArray) => {}
            Some(MapType::Xskmap) => {
                d.note = Some("xskmap: AF_XDP sockets cannot be read back".into())
            }
            Some(MapType::BloomFilter) => d.note = Some("bloom filter: not iterable".into()),
            // a template lists every element of a small array; a big one
            // lists its non-zero elements (not 33M zeroes)
            Some(MapType::Array | MapType::PercpuArray) if m.def().max_entries > TEMPLATE_MAX => {
                d.entries = m.dump_entries();
            }
            _ => {
                d.entries = m.entries().collect();
                d.entries.sort();
            }
        }
        out.push(d);
    }
    Ok(out)
}

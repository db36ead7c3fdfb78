//! Linking a `bpfbox-object` program for the interpreter: creates the
//! object's maps in a [`HostState`] and rewrites every map reference.
//!
//! * `lddw rX, map` (`BPF_PSEUDO_MAP_IDX`) becomes the map's *handle*: the
//!   address of a per-map token in host memory ([`HostState::map_handle`]).
//!   Map helpers translate it back; the token region is read-only, so the
//!   program cannot forge a map through it.
//! * `lddw rX, map + off` (`BPF_PSEUDO_MAP_IDX_VALUE`, global data) becomes
//!   the host address of the array map's value storage plus `off`; the
//!   storage is registered as a guest region for every run (read-only for
//!   maps with `BPF_F_RDONLY_PROG`, i.e. `.rodata`).
//!
//! Host-specific (documented difference): the pointer values differ from
//! the kernel's; programs that print or hash map pointers see other
//! numbers.

use crate::host::{HostState, MAX_MAPS};
use crate::Error;
use bpfbox_interp::Program;
use bpfbox_isa::{Insn, LdImm64};
use bpfbox_maps::{Map, MapConfig, MapDef, MapType};
use bpfbox_object::{MapInit, MapSpec, Object, ProgramDef};
use std::sync::Arc;

/// `BPF_F_RDONLY_PROG`.
pub use bpfbox_uapi::map_flags::F_RDONLY_PROG;
use bpfbox_uapi::map_type::PERF_EVENT_ARRAY;

/// `max_entries` as libbpf creates the map: a perf event array declared
/// without one gets one slot per possible CPU.
pub fn effective_max_entries(spec: &MapSpec, nr_cpus: u32) -> u32 {
    if spec.map_type == PERF_EVENT_ARRAY && spec.max_entries == 0 {
        nr_cpus.max(1)
    } else {
        spec.max_entries
    }
}

fn map_def(spec: &MapSpec, nr_cpus: u32) -> Result<MapDef, Error> {
    let ty = MapType::from_u32(spec.map_type).ok_or_else(|| {
        Error::unsupported(format!(
            "map {}: type {} not supported",
            spec.name, spec.map_type
        ))
    })?;
    let max_entries = effective_max_entries(spec, nr_cpus);
    let mut d = MapDef::new(ty, spec.key_size, spec.value_size, max_entries)
        .with_flags(spec.map_flags)
        .with_extra(spec.map_extra)
        .with_name(&spec.kernel_name);
    if let Some(inner) = &spec.inner {
        d = d.with_inner(map_def(inner, nr_cpus)?);
    }
    Ok(d)
}

/// Creates the object's maps in `host` (appended to `host.maps`) with their
/// initial data. Returns the host index of each object map.
pub fn create_maps(host: &mut HostState, obj: &Object) -> Result<Vec<usize>, Error> {
    let mut idx = Vec::with_capacity(obj.maps.len());
    for spec in &obj.maps {
        if host.maps.len() >= MAX_MAPS {
            return Err(Error::unsupported(format!("more than {MAX_MAPS} maps")));
        }
        if !host.kernel.map_type_available(spec.map_type) {
            return Err(Error::unsupported(format!(
                "map {}: this kernel cannot create maps of type {}",
                spec.name, spec.map_type
            )));
        }
        let cfg = MapConfig {
            ncpus: host.nr_cpus.max(1),
            current_cpu: host.cpu,
        };
        let mut m = Map::new(map_def(spec, host.nr_cpus)?, cfg)
            .map_err(|e| Error::map(&spec.name, "", e))?;
        let ifindexes: Vec<u32> = host.devices.iter().map(|d| d.ifindex).collect();
        m.set_devices(&ifindexes);
        if let Some(data) = &spec.initial_data {
            m.update(&0u32.to_le_bytes(), data, 0)
                .map_err(|e| Error::map(&spec.name, "initial data: ", e))?;
        }
        // libbpf freezes `.rodata` and `.kconfig` after writing them: user
        // space can no longer change them either
        if matches!(spec.kind, bpfbox_object::MapKind::Data(d) if d.frozen()) {
            m.freeze()
                .map_err(|e| Error::map(&spec.name, "freeze: ", e))?;
        }
        idx.push(host.maps.len());
        host.maps.push(m);
    }
    // `.values`: inner ids of map-in-map are host map indices; a prog
    // array slot holds the index into `host.programs` of the named program,
    // linked against the same maps (as libbpf loads every program of the
    // object and then fills the slots with their fds).
    for (spec, &outer) in obj.maps.iter().zip(&idx) {
        for (key, init) in &spec.init_slots {
            let slot =
                |e: bpfbox_maps::MapError| Error::map(&spec.name, format!("slot {key}: "), e);
            match *init {
                MapInit::Map(i) => {
                    let inner = host_map(&idx, i as i32)?;
                    let def = host.maps[inner].def().clone();
                    host.maps[outer]
                        .update_inner(&key.to_le_bytes(), inner as u32, &def, 0)
                        .map_err(slot)?;
                }
                MapInit::Program(p) => {
                    let id = load_slot_program(host, obj, p, &idx)?;
                    host.maps[outer]
                        .update(&key.to_le_bytes(), &id.to_le_bytes(), 0)
                        .map_err(slot)?;
                }
            }
        }
    }
    Ok(idx)
}

/// Links program `p` of `obj` for a prog array slot and adds it to
/// `host.programs`; returns its id there. Its helper calls are checked
/// against its own type like an entry program's.
fn load_slot_program(
    host: &mut HostState,
    obj: &Object,
    p: usize,
    idx: &[usize],
) -> Result<u32, Error> {
    let def = obj
        .programs
        .get(p)
        .ok_or_else(|| Error::invalid(format!("prog array slot names unknown program {p}")))?;
    let ty = crate::avail::ProgType::from_id(def.prog_type).ok_or_else(|| {
        Error::unsupported(format!(
            "{}: program type {} is not run by bpfbox-runtime",
            def.name, def.prog_type
        ))
    })?;
    let insns = link(host, def, idx)?;
    let prog = Program::new(insns).map_err(|e| Error::program(Some(&def.name), e))?;
    crate::helpers::table_for(
        &prog,
        ty,
        def.expected_attach_type,
        &host.kernel,
        crate::helpers::MissingHelpers::Refuse,
    )?;
    let id =
        u32::try_from(host.programs.len()).map_err(|_| Error::unsupported("too many programs"))?;
    host.programs.push(Arc::new(prog));
    Ok(id)
}

/// The program's instructions with map references replaced (see the
/// module docs). `map_index[i]` is the host index of object map `i`, as
/// [`create_maps`] returned.
pub fn link(
    host: &mut HostState,
    prog: &ProgramDef,
    map_index: &[usize],
) -> Result<Vec<Insn>, Error> {
    let mut insns =
        bpfbox_isa::decode(&prog.insns).map_err(|e| Error::program(Some(&prog.name), e))?;
    for insn in &mut insns {
        let Insn::LdImm64 { dst, value } = *insn else {
            continue;
        };
        let resolved = match value {
            LdImm64::MapIdx(i) | LdImm64::MapFd(i) => {
                let h = host_map(map_index, i)?;
                host.map_handle(h)
                    .ok_or_else(|| Error::invalid("map handle table full"))?
            }
            LdImm64::MapIdxValue { idx, off } | LdImm64::MapValue { fd: idx, off } => {
                let h = host_map(map_index, idx)?;
                let cpu = host.cpu;
                let m = &mut host.maps[h];
                if m.def().value_size <= off {
                    return Err(Error::invalid(format!(
                        "{}: offset {off} beyond the value of map {h}",
                        prog.name
                    )));
                }
                let p = m.lookup_ptr(&0u32.to_le_bytes(), cpu).ok_or_else(|| {
                    Error::invalid(format!("{}: map {h} has no direct value", prog.name))
                })?;
                p as usize as u64 + u64::from(off)
            }
            LdImm64::BtfId { .. } => {
                return Err(Error::unsupported(format!(
                    "{}: ksym references are not supported",
                    prog.name
                )))
            }
            LdImm64::Imm(_) | LdImm64::Func(_) => continue,
        };
        *insn = Insn::LdImm64 {
            dst,
            value: LdImm64::Imm(resolved),
        };
    }
    Ok(insns)
}

fn host_map(map_index: &[usize], i: i32) -> Result<usize, Error> {
    usize::try_from(i)
        .ok()
        .and_then(|i| map_index.get(i).copied())
        .ok_or_else(|| Error::invalid(format!("reference to unknown map {i}")))
}

/// Whether programs may write map `m`'s values.
pub(crate) fn prog_writable(m: &Map) -> bool {
    m.def().map_flags & F_RDONLY_PROG == 0
}

//! What an object needs that bpfbox does not run, found before anything
//! runs: helpers bpfbox does not implement, map types it cannot create,
//! program types it has no runner for, and externs its interpreter cannot
//! give a value (kfuncs, typed `__ksym`s), plus externs no kernel could
//! load (a strong `__ksym` or kfunc that did not resolve). `prog list`,
//! `verify` and the engines use the same lists.

use bpfbox_isa::Insn;
use bpfbox_object::{ExternKind, Object, ProgramDef, Resolution};
use serde::Serialize;

/// One thing an object needs that bpfbox does not support.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Missing {
    /// `helper`, `map type`, `program type`, `kfunc`, `typed ksym`,
    /// `unresolved extern`.
    pub what: &'static str,
    /// `bpf_skb_set_tunnel_key#21`, `stack_trace (map st)`, the extern's name.
    pub name: String,
    /// Which program or map needs it.
    pub needed_by: String,
}

impl std::fmt::Display for Missing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {} (needed by {})",
            self.what, self.name, self.needed_by
        )
    }
}

fn helper_label(id: u32) -> String {
    bpfbox_uapi::helper::helper_name(id)
        .map_or_else(|| format!("#{id}"), |n| format!("bpf_{n}#{id}"))
}

/// The externs `def`'s instructions refer to that the interpreter cannot
/// run: kfunc calls and typed ksyms (both need kernel memory and code).
fn interp_externs(obj: &Object, def: &ProgramDef, insns: &[Insn], out: &mut Vec<Missing>) {
    for (i, e) in obj.externs.iter().enumerate() {
        let Resolution::KernelBtfId(id) = e.resolution else {
            // poisoned kfunc calls trap only if reached, as in the kernel
            let _ = i;
            continue;
        };
        let used = insns.iter().any(|insn| match (insn, &e.kind) {
            (Insn::CallKfunc { btf_id, .. }, ExternKind::Kfunc) => *btf_id as u32 == id,
            (
                Insn::LdImm64 {
                    value: bpfbox_isa::LdImm64::BtfId { id: x, .. },
                    ..
                },
                _,
            ) => *x as u32 == id,
            _ => false,
        });
        if used {
            out.push(Missing {
                what: match e.kind {
                    ExternKind::Kfunc => "kfunc",
                    _ => "typed ksym",
                },
                name: e.name.clone(),
                needed_by: def.name.clone(),
            });
        }
    }
}

/// Whether `def` is a tracing program bpfbox runs attached to a program
/// it runs (fentry/fexit on a BPF program: `--attach`,
/// [`crate::Program::attach_tracing`]), rather than on its own.
pub fn runs_attached(def: &ProgramDef) -> bool {
    use bpfbox_progtype::{AttachType, ProgType};
    def.prog_type == ProgType::Tracing.id()
        && matches!(
            AttachType::from_id(def.expected_attach_type),
            Some(AttachType::TraceFentry | AttachType::TraceFexit)
        )
}

/// Why `def` cannot run on its own: an fentry/fexit program runs attached
/// to the program it traces, named in its section.
pub fn attached_only_refusal(def: &ProgramDef) -> Option<String> {
    runs_attached(def).then(|| {
        let target = def.attach_target().unwrap_or("TARGET");
        format!(
            "`{}` ({}) runs attached to the program it traces, not on its own: run `{target}` \
             with `--attach OBJECT` (library: attach_tracing_from)",
            def.name, def.section
        )
    })
}

/// What program `def` needs that bpfbox's interpreter does not run: its
/// type, helpers it calls, its maps' types, kfuncs and typed ksyms.
pub fn missing_for_program(obj: &Object, def: &ProgramDef) -> Vec<Missing> {
    let mut out = Vec::new();
    let runnable = bpfbox_runtime::ProgType::from_id(def.prog_type)
        .is_some_and(|t| bpfbox_runtime::drivers::runner_for(t).is_some())
        || bpfbox_runtime::events::driver_for(def.prog_type).is_some()
        || runs_attached(def);
    if !runnable {
        out.push(Missing {
            what: "program type",
            name: crate::objects::verdict_kind(def),
            needed_by: def.name.clone(),
        });
    }
    let Ok(insns) = bpfbox_isa::decode(&def.insns) else {
        return out;
    };
    for id in unsupported_helpers(def.prog_type, &insns) {
        out.push(Missing {
            what: "helper",
            name: helper_label(id),
            needed_by: def.name.clone(),
        });
    }
    let mut maps: Vec<usize> = def
        .map_refs
        .iter()
        .map(|(_, r)| match *r {
            bpfbox_object::MapRef::Map(m) => m,
            bpfbox_object::MapRef::MapValue { map, .. } => map,
        })
        .collect();
    maps.sort_unstable();
    maps.dedup();
    for m in maps {
        if let Some(spec) = obj.maps.get(m) {
            if let Some(x) = missing_map(spec) {
                out.push(Missing {
                    needed_by: def.name.clone(),
                    ..x
                });
            }
        }
    }
    interp_externs(obj, def, &insns, &mut out);
    out
}

/// A map type's name (`stack_trace`), for types bpfbox may lack.
pub fn map_type_name(t: u32) -> String {
    use bpfbox_uapi::map_type as mt;
    if let Some(m) = bpfbox_maps::MapType::from_u32(t) {
        return m.name().to_string();
    }
    match t {
        mt::STACK_TRACE => "stack_trace",
        mt::CGROUP_ARRAY => "cgroup_array",
        mt::SK_STORAGE => "sk_storage",
        mt::STRUCT_OPS => "struct_ops",
        mt::INODE_STORAGE => "inode_storage",
        mt::TASK_STORAGE => "task_storage",
        mt::USER_RINGBUF => "user_ringbuf",
        mt::CGRP_STORAGE => "cgrp_storage",
        mt::ARENA => "arena",
        _ => return format!("type {t}"),
    }
    .to_string()
}

fn missing_map(spec: &bpfbox_object::MapSpec) -> Option<Missing> {
    let unsupported = bpfbox_maps::MapType::from_u32(spec.map_type).is_none()
        || spec
            .inner
            .as_deref()
            .is_some_and(|i| bpfbox_maps::MapType::from_u32(i.map_type).is_none());
    unsupported.then(|| Missing {
        what: "map type",
        name: format!("{} (map `{}`)", map_type_name(spec.map_type), spec.name),
        needed_by: spec.name.clone(),
    })
}

/// Everything the object needs that bpfbox does not support: each
/// program's list ([`missing_for_program`]), maps no program refers to,
/// and strong externs that did not resolve (no kernel loads those).
pub fn missing(obj: &Object) -> Vec<Missing> {
    let mut out: Vec<Missing> = Vec::new();
    for def in &obj.programs {
        for m in missing_for_program(obj, def) {
            if !out.iter().any(|o| o.what == m.what && o.name == m.name) {
                out.push(m);
            } else if let Some(o) = out
                .iter_mut()
                .find(|o| o.what == m.what && o.name == m.name)
            {
                if !o.needed_by.split(", ").any(|n| n == m.needed_by) {
                    o.needed_by = format!("{}, {}", o.needed_by, m.needed_by);
                }
            }
        }
    }
    for spec in &obj.maps {
        if let Some(m) = missing_map(spec) {
            if !out.iter().any(|o| o.name == m.name) {
                out.push(m);
            }
        }
    }
    out.extend(unloadable(obj));
    out
}

/// Strong `__ksym` and kfunc externs that did not resolve: libbpf refuses
/// to load such an object ("extern 'x' (strong): not resolved").
pub fn unloadable(obj: &Object) -> Vec<Missing> {
    obj.externs
        .iter()
        .filter(|e| !e.weak)
        .filter_map(|e| match &e.resolution {
            Resolution::Unresolved(why) => Some(Missing {
                what: "unresolved extern",
                name: format!("{} ({why})", e.name),
                needed_by: "the object (libbpf refuses to load it)".into(),
            }),
            _ => None,
        })
        .collect()
}

/// The ids of the Linux helpers `insns` call that bpfbox does not
/// implement for programs of type `prog_type`, each once, in the order of
/// their first call.
fn unsupported_helpers(prog_type: u32, insns: &[Insn]) -> Vec<u32> {
    let implemented: Vec<u32> = match bpfbox_runtime::ProgType::from_id(prog_type) {
        Some(ty) => bpfbox_runtime::helpers::implemented_for(ty),
        None => bpfbox_runtime::helpers::implemented(),
    }
    .iter()
    .map(|h| h.id())
    .collect();
    let mut seen = Vec::new();
    for insn in insns {
        if let Insn::Call { helper } = *insn {
            let id = helper as u32;
            if helper >= 0
                && bpfbox_runtime::avail::known(id)
                && !implemented.contains(&id)
                && !seen.contains(&id)
            {
                seen.push(id);
            }
        }
    }
    seen
}

/// The first helper `def` calls that bpfbox does not implement.
pub fn first_unsupported_helper(def: &ProgramDef) -> Option<u32> {
    let insns = bpfbox_isa::decode(&def.insns).ok()?;
    unsupported_helpers(def.prog_type, &insns).first().copied()
}

/// The error the interpreter engine gives for a program it cannot run.
pub fn interp_refusal(obj: &Object, def: &ProgramDef) -> Option<String> {
    let m = missing_for_program(obj, def);
    (!m.is_empty()).then(|| {
        let list: Vec<String> = m.iter().map(|m| format!("{} {}", m.what, m.name)).collect();
        format!(
            "`{}` needs what bpfbox does not run: {}",
            def.name,
            list.join(", ")
        )
    })
}

//! Kernel profiles: what one kernel offers to BPF programs.
//!
//! Kernels differ, even with the same version string: a distribution
//! kernel may be built without `CONFIG_IPV6_SEG6_BPF` (no seg6 helpers in
//! `LWT_SEG6LOCAL` programs), a patched one may refuse
//! `bpf_xdp_adjust_meta` in XDP programs or `BPF_F_TEST_XDP_LIVE_FRAMES`
//! test runs. A [`Profile`] records, for one kernel:
//!
//! - which program types load at all, and for each type (and each
//!   expected attach type where the kernel decides by it) which helpers
//!   its verifier offers;
//! - which map types can be created;
//! - behaviour facts found by probing ([`Facts`]), and the `CONFIG_*`
//!   options these measurements reveal.
//!
//! [`Profile::builtin`] is bpfbox's own model: upstream Linux 6.18 with
//! every BPF-related option on, derived from the program-type data of this
//! crate (not a second copy). `bpfbox probe --json` measures the running
//! kernel's profile (bpfbox-kernel's `probe`); the file can be carried to
//! another machine and given to `--kernel PROFILE.json`.
//!
//! # File format (version 1)
//!
//! A JSON object: `format` (always `"bpfbox-kernel-profile"`), `version`
//! (1), `kernel` (`source` `"builtin"` or `"probed"`, `release` and
//! `machine` as `uname` reports them), `prog_types` (one object per
//! `BPF_PROG_TYPE_*`: `name`, `id`, `loadable`, `measured` and `helpers`,
//! a list of groups `{ "attach": [...], "helpers": [...] }` giving the
//! helper names (without `bpf_`) callable under the listed effective
//! expected attach types, `"none"` standing for none), `map_types` (`name`,
//! `id`, `available`, `measured`) and `facts`. Unknown fields are refused;
//! a missing program type, attach key or map type means "as the built-in
//! model".

use crate::attach::AttachType;
use crate::helpers::{helper_id, helper_name, HELPER_COUNT};
use crate::spec::{ExpectedAttach, ProgType, ProgTypeSpec};
use crate::ALL;
use bpfbox_isa::Insn;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// The `format` value of every profile file.
pub const FORMAT: &str = "bpfbox-kernel-profile";
/// The profile format version this crate reads and writes.
pub const VERSION: u32 = 1;
/// The attach key standing for "no effective expected attach type".
pub const NO_ATTACH: &str = "none";

/// What a kernel offers (see the module docs for the file format).
///
/// A clone answers from its (public, editable) data; only
/// [`Profile::builtin`] itself answers from the program-type data directly.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// Always [`FORMAT`].
    pub format: String,
    /// Format version ([`VERSION`]).
    pub version: u32,
    /// Where the profile comes from.
    pub kernel: KernelInfo,
    /// Program types in id order.
    pub prog_types: Vec<ProgTypeProfile>,
    /// Map types in id order.
    pub map_types: Vec<MapTypeProfile>,
    /// Behaviour facts.
    pub facts: Facts,
    #[serde(skip)]
    index: OnceLock<Index>,
    /// Whether this is the built-in model itself (answers from the type
    /// data directly).
    #[serde(skip)]
    model: bool,
}

/// Which kernel a profile describes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KernelInfo {
    /// `"builtin"` (bpfbox's model) or `"probed"` (measured).
    pub source: String,
    /// `uname -r` (`"6.18"` for the built-in model).
    pub release: String,
    /// `uname -m` (empty for the built-in model).
    pub machine: String,
}

/// One program type in a profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProgTypeProfile {
    /// `BPF_PROG_TYPE_*` name.
    pub name: String,
    /// `enum bpf_prog_type` value.
    pub id: u32,
    /// Whether programs of the type load at all.
    pub loadable: bool,
    /// Whether `loadable` and `helpers` were measured (false: copied from
    /// the built-in model, e.g. types that need a BTF attach target).
    pub measured: bool,
    /// Helper groups by effective expected attach type.
    pub helpers: Vec<HelperGroup>,
}

/// Helpers callable under a set of expected attach types.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HelperGroup {
    /// Effective expected attach types (`BPF_*` names, or [`NO_ATTACH`]).
    pub attach: Vec<String>,
    /// Helper names without the `bpf_` prefix, in id order.
    pub helpers: Vec<String>,
}

/// One map type in a profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MapTypeProfile {
    /// `BPF_MAP_TYPE_*` name.
    pub name: String,
    /// `enum bpf_map_type` value.
    pub id: u32,
    /// Whether maps of the type can be created.
    pub available: bool,
    /// Whether `available` was measured (false: needs BTF to probe).
    pub measured: bool,
}

/// Behaviour facts that are not a yes/no on a helper or type.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Facts {
    /// errno with which `BPF_PROG_TEST_RUN` of an XDP program with
    /// `BPF_F_TEST_XDP_LIVE_FRAMES` is refused right after the flags
    /// check, or `None` when live-frame runs work (upstream).
    pub xdp_live_frames_errno: Option<i32>,
    /// The kernel's `nr_cpu_ids` (highest possible CPU + 1): the verifier
    /// bounds `bpf_get_smp_processor_id`'s result below it. `None` when
    /// not measured (the verifier then assumes the widest range).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nr_cpu_ids: Option<u32>,
    /// `CONFIG_*` options the measurements reveal (derived, informative).
    pub config: BTreeMap<String, bool>,
}

/// Fast lookups built from the serialised data.
#[derive(Debug, Clone, Default)]
struct Index {
    /// (prog type id, attach key) → helper bit set.
    helpers: BTreeMap<(u32, Option<u32>), [u64; 4]>,
    /// prog type id → loadable.
    loadable: BTreeMap<u32, bool>,
    /// map type id → available.
    maps: BTreeMap<u32, bool>,
}

/// A bad profile file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ProfileError(String);

/// The attach-key name of an effective expected attach type.
pub fn attach_key_name(a: Option<AttachType>) -> &'static str {
    a.map_or(NO_ATTACH, AttachType::name)
}

/// Every (raw `expected_attach_type`, effective attach type) a loader can
/// give a program type, one raw value per distinct effective type: 0
/// where the kernel accepts it, the attach types of its section names and
/// its allowed list. Types whose attach value is not an attach type
/// (struct_ops member index) or which need a BTF target still get their
/// candidates; probing skips them.
pub fn attach_configs(s: &ProgTypeSpec) -> Vec<(u32, Option<AttachType>)> {
    let mut raw: Vec<u32> = Vec::new();
    if !matches!(s.attach.expected, ExpectedAttach::OneOf { zero: None, .. }) {
        raw.push(0);
    }
    raw.extend(
        s.sec_names
            .iter()
            .filter_map(|d| d.attach.map(AttachType::id)),
    );
    if let ExpectedAttach::OneOf { allowed, .. } | ExpectedAttach::WithBtfTarget { allowed } =
        s.attach.expected
    {
        raw.extend(allowed.iter().map(|a| a.id()));
    }
    let mut out: Vec<(u32, Option<AttachType>)> = Vec::new();
    for r in raw {
        if let Ok(a) = s.normalize_attach(r) {
            if !out.iter().any(|(_, b)| *b == a) {
                out.push((r, a));
            }
        }
    }
    out
}

/// Groups (attach key, helper ids) pairs with equal helper sets.
pub fn group_helpers(per_attach: &[(Option<AttachType>, Vec<u32>)]) -> Vec<HelperGroup> {
    let mut groups: Vec<(Vec<u32>, Vec<String>)> = Vec::new();
    for (a, ids) in per_attach {
        let key = attach_key_name(*a).to_string();
        match groups.iter_mut().find(|(g, _)| g == ids) {
            Some((_, keys)) => keys.push(key),
            None => groups.push((ids.clone(), vec![key])),
        }
    }
    groups
        .into_iter()
        .map(|(ids, attach)| HelperGroup {
            attach,
            helpers: ids
                .iter()
                .filter_map(|&i| helper_name(i))
                .map(str::to_string)
                .collect(),
        })
        .collect()
}

/// The built-in model's helper ids for `s` under `a`.
pub fn model_helpers(s: &ProgTypeSpec, a: Option<AttachType>) -> Vec<u32> {
    (1..HELPER_COUNT)
        .filter(|&id| s.helper_allowed(a, id))
        .collect()
}

/// `map_type` names, indexed by id (0 = UNSPEC is not a map type).
pub static MAP_TYPE_NAMES: [&str; 34] = [
    "BPF_MAP_TYPE_UNSPEC",
    "BPF_MAP_TYPE_HASH",
    "BPF_MAP_TYPE_ARRAY",
    "BPF_MAP_TYPE_PROG_ARRAY",
    "BPF_MAP_TYPE_PERF_EVENT_ARRAY",
    "BPF_MAP_TYPE_PERCPU_HASH",
    "BPF_MAP_TYPE_PERCPU_ARRAY",
    "BPF_MAP_TYPE_STACK_TRACE",
    "BPF_MAP_TYPE_CGROUP_ARRAY",
    "BPF_MAP_TYPE_LRU_HASH",
    "BPF_MAP_TYPE_LRU_PERCPU_HASH",
    "BPF_MAP_TYPE_LPM_TRIE",
    "BPF_MAP_TYPE_ARRAY_OF_MAPS",
    "BPF_MAP_TYPE_HASH_OF_MAPS",
    "BPF_MAP_TYPE_DEVMAP",
    "BPF_MAP_TYPE_SOCKMAP",
    "BPF_MAP_TYPE_CPUMAP",
    "BPF_MAP_TYPE_XSKMAP",
    "BPF_MAP_TYPE_SOCKHASH",
    "BPF_MAP_TYPE_CGROUP_STORAGE",
    "BPF_MAP_TYPE_REUSEPORT_SOCKARRAY",
    "BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE",
    "BPF_MAP_TYPE_QUEUE",
    "BPF_MAP_TYPE_STACK",
    "BPF_MAP_TYPE_SK_STORAGE",
    "BPF_MAP_TYPE_DEVMAP_HASH",
    "BPF_MAP_TYPE_STRUCT_OPS",
    "BPF_MAP_TYPE_RINGBUF",
    "BPF_MAP_TYPE_INODE_STORAGE",
    "BPF_MAP_TYPE_TASK_STORAGE",
    "BPF_MAP_TYPE_BLOOM_FILTER",
    "BPF_MAP_TYPE_USER_RINGBUF",
    "BPF_MAP_TYPE_CGRP_STORAGE",
    "BPF_MAP_TYPE_ARENA",
];

/// Helpers whose presence in `LWT_SEG6LOCAL` programs is
/// `CONFIG_IPV6_SEG6_BPF`.
pub const SEG6_HELPERS: [u32; 3] = [
    bpfbox_uapi::helper::id::LWT_SEG6_STORE_BYTES,
    bpfbox_uapi::helper::id::LWT_SEG6_ADJUST_SRH,
    bpfbox_uapi::helper::id::LWT_SEG6_ACTION,
];

impl Profile {
    /// Assembles a profile (the `index` is built on first use).
    pub fn new(
        kernel: KernelInfo,
        prog_types: Vec<ProgTypeProfile>,
        map_types: Vec<MapTypeProfile>,
        facts: Facts,
    ) -> Profile {
        let mut p = Profile {
            format: FORMAT.to_string(),
            version: VERSION,
            kernel,
            prog_types,
            map_types,
            facts,
            index: OnceLock::new(),
            model: false,
        };
        p.facts.config = p.derived_config();
        p
    }

    /// bpfbox's built-in model: upstream Linux 6.18 with every BPF option
    /// on, from this crate's program-type data.
    pub fn builtin() -> &'static Profile {
        static B: OnceLock<Profile> = OnceLock::new();
        B.get_or_init(|| {
            let prog_types = ALL
                .iter()
                .map(|s| {
                    let per: Vec<_> = attach_configs(s)
                        .into_iter()
                        .map(|(_, a)| (a, model_helpers(s, a)))
                        .collect();
                    ProgTypeProfile {
                        name: s.name.to_string(),
                        id: s.id(),
                        loadable: true,
                        measured: false,
                        helpers: group_helpers(&per),
                    }
                })
                .collect();
            let map_types = (1..MAP_TYPE_NAMES.len() as u32)
                .map(|id| MapTypeProfile {
                    name: MAP_TYPE_NAMES[id as usize].to_string(),
                    id,
                    available: true,
                    measured: false,
                })
                .collect();
            let mut p = Profile::new(
                KernelInfo {
                    source: "builtin".to_string(),
                    release: "6.18".to_string(),
                    machine: String::new(),
                },
                prog_types,
                map_types,
                Facts::default(),
            );
            p.model = true;
            p.facts.config = p.derived_config();
            p
        })
    }

    /// [`Profile::builtin`] behind a shared pointer (one allocation per
    /// process).
    pub fn builtin_shared() -> std::sync::Arc<Profile> {
        static B: OnceLock<std::sync::Arc<Profile>> = OnceLock::new();
        B.get_or_init(|| std::sync::Arc::new(Profile::builtin().clone()))
            .clone()
    }

    /// Parses a profile file's text; `origin` names it in errors.
    pub fn from_json(origin: &str, text: &str) -> Result<Profile, ProfileError> {
        let bad = |m: String| ProfileError(format!("{origin}: {m}"));
        let p: Profile =
            serde_json::from_str(text).map_err(|e| bad(format!("not a kernel profile: {e}")))?;
        if p.format != FORMAT {
            return Err(bad(format!("format is {:?}, not {FORMAT:?}", p.format)));
        }
        if p.version != VERSION {
            return Err(bad(format!(
                "profile version {} (this bpfbox reads version {VERSION})",
                p.version
            )));
        }
        for t in &p.prog_types {
            let s = crate::by_id(t.id)
                .ok_or_else(|| bad(format!("unknown program type id {}", t.id)))?;
            for g in &t.helpers {
                for a in &g.attach {
                    if a != NO_ATTACH && AttachType::from_name(a).is_none() {
                        return Err(bad(format!("{}: unknown attach type {a:?}", s.name)));
                    }
                }
                for h in &g.helpers {
                    if helper_id(h).is_none() {
                        return Err(bad(format!("{}: unknown helper {h:?}", s.name)));
                    }
                }
            }
        }
        Ok(p)
    }

    /// The profile as pretty JSON (the file format).
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    fn index(&self) -> &Index {
        self.index.get_or_init(|| {
            let mut ix = Index::default();
            for t in &self.prog_types {
                ix.loadable.insert(t.id, t.loadable);
                for g in &t.helpers {
                    let mut bits = [0u64; 4];
                    for id in g.helpers.iter().filter_map(|h| helper_id(h)) {
                        bits[(id / 64) as usize] |= 1 << (id % 64);
                    }
                    for a in &g.attach {
                        let key = AttachType::from_name(a).map(AttachType::id);
                        ix.helpers.insert((t.id, key), bits);
                    }
                }
            }
            for m in &self.map_types {
                ix.maps.insert(m.id, m.available);
            }
            ix
        })
    }

    /// Whether programs of `ty` load on this kernel.
    pub fn prog_type_loadable(&self, ty: ProgType) -> bool {
        match self.index().loadable.get(&ty.id()) {
            Some(&l) => l,
            None => self.is_builtin() || Profile::builtin().prog_type_loadable(ty),
        }
    }

    /// Whether maps of type `map_type` can be created on this kernel.
    pub fn map_type_available(&self, map_type: u32) -> bool {
        match self.index().maps.get(&map_type) {
            Some(&a) => a,
            None => !self.is_builtin() && Profile::builtin().map_type_available(map_type),
        }
    }

    fn is_builtin(&self) -> bool {
        self.model
    }

    /// Whether a program of `ty` loaded with raw `expected_attach_type`
    /// may call helper `id` on this kernel (the verifier's
    /// `get_func_proto` answering non-NULL).
    pub fn helper_allowed(&self, ty: ProgType, expected_attach_type: u32, id: u32) -> bool {
        if self.is_builtin() {
            let spec = ty.spec();
            let attach = spec.normalize_attach(expected_attach_type).ok().flatten();
            return spec.helper_allowed(attach, id);
        }
        if id == 0 || id >= 256 {
            return false;
        }
        let spec = ty.spec();
        let attach = spec
            .normalize_attach(expected_attach_type)
            .ok()
            .flatten()
            .map(AttachType::id);
        let ix = self.index();
        let bits = ix.helpers.get(&(ty.id(), attach)).or_else(|| {
            ix.helpers
                .range((ty.id(), None)..=(ty.id(), Some(u32::MAX)))
                .next()
                .map(|(_, b)| b)
        });
        match bits {
            Some(b) => (b[(id / 64) as usize] >> (id % 64)) & 1 == 1,
            None => Profile::builtin().helper_allowed(ty, expected_attach_type, id),
        }
    }

    /// The kernel's load-time refusal of a program of `ty` (raw
    /// `expected_attach_type`) on this kernel, if any: the program type
    /// does not load, or the first call of a helper the type may not use
    /// (`program of this type cannot use helper bpf_NAME#ID`, the
    /// verifier's wording), with its instruction index. Calls of ids that
    /// are no helper of 6.18 are left to the caller (the kernel refuses
    /// them only where its verifier reaches them).
    pub fn refusal(
        &self,
        ty: ProgType,
        expected_attach_type: u32,
        insns: &[Insn],
    ) -> Option<Refusal> {
        if !self.prog_type_loadable(ty) {
            return Some(Refusal {
                insn: None,
                message: format!(
                    "program type {} is not supported by this kernel",
                    ty.spec().name
                ),
            });
        }
        insns.iter().enumerate().find_map(|(i, insn)| match *insn {
            Insn::Call { helper } => {
                let id = u32::try_from(helper).ok()?;
                let name = helper_name(id).filter(|_| id != 0)?;
                (!self.helper_allowed(ty, expected_attach_type, id)).then(|| Refusal {
                    insn: Some(i),
                    message: format!("program of this type cannot use helper bpf_{name}#{id}"),
                })
            }
            _ => None,
        })
    }

    /// Where this profile differs from `base`, one line each, e.g.
    /// `BPF_PROG_TYPE_XDP: helper bpf_xdp_adjust_meta (54) missing`.
    pub fn differences(&self, base: &Profile) -> Vec<String> {
        let mut out = Vec::new();
        for spec in ALL.iter() {
            let ty = spec.ty;
            let (l, bl) = (self.prog_type_loadable(ty), base.prog_type_loadable(ty));
            if l != bl {
                out.push(format!(
                    "{}: program type {}",
                    spec.name,
                    if l { "present" } else { "missing" }
                ));
            }
            if !l || !bl {
                continue;
            }
            let configs = attach_configs(spec);
            for id in 1..HELPER_COUNT {
                let diff: Vec<(Option<AttachType>, bool)> = configs
                    .iter()
                    .filter_map(|&(raw, a)| {
                        let here = self.helper_allowed(ty, raw, id);
                        (here != base.helper_allowed(ty, raw, id)).then_some((a, here))
                    })
                    .collect();
                let name = helper_name(id).unwrap_or("?");
                let word = |here: bool| if here { "present" } else { "missing" };
                if !diff.is_empty()
                    && diff.len() == configs.len()
                    && diff.iter().all(|d| d.1 == diff[0].1)
                {
                    out.push(format!(
                        "{}: helper bpf_{name} ({id}) {}",
                        spec.name,
                        word(diff[0].1)
                    ));
                } else {
                    for (a, here) in diff {
                        out.push(format!(
                            "{} ({}): helper bpf_{name} ({id}) {}",
                            spec.name,
                            attach_key_name(a),
                            word(here)
                        ));
                    }
                }
            }
        }
        for id in 1..MAP_TYPE_NAMES.len() as u32 {
            let (a, b) = (self.map_type_available(id), base.map_type_available(id));
            if a != b {
                out.push(format!(
                    "{}: map type {}",
                    MAP_TYPE_NAMES[id as usize],
                    if a { "present" } else { "missing" }
                ));
            }
        }
        if self.facts.xdp_live_frames_errno != base.facts.xdp_live_frames_errno {
            out.push(match self.facts.xdp_live_frames_errno {
                Some(e) => format!(
                    "BPF_PROG_TYPE_XDP: test runs with BPF_F_TEST_XDP_LIVE_FRAMES refused ({} {e})",
                    bpfbox_uapi::errno::name(e).unwrap_or("errno")
                ),
                None => {
                    "BPF_PROG_TYPE_XDP: test runs with BPF_F_TEST_XDP_LIVE_FRAMES work".to_string()
                }
            });
        }
        for (k, v) in &self.facts.config {
            if base.facts.config.get(k) != Some(v) {
                out.push(format!("{k}: {}", if *v { "on" } else { "off" }));
            }
        }
        out
    }

    /// `CONFIG_*` facts the helper and type data reveal.
    fn derived_config(&self) -> BTreeMap<String, bool> {
        let mut c = BTreeMap::new();
        let seg6 = SEG6_HELPERS
            .iter()
            .all(|&id| self.helper_allowed(ProgType::LwtSeg6local, 0, id));
        c.insert("CONFIG_IPV6_SEG6_BPF".to_string(), seg6);
        c.insert(
            "CONFIG_BPF_LIRC_MODE2".to_string(),
            self.prog_type_loadable(ProgType::LircMode2),
        );
        c
    }

    /// The same profile without helper `id` in program type `ty` (every
    /// attach group): what a kernel lacking it would report.
    pub fn without_helper(&self, ty: ProgType, id: u32) -> Profile {
        let mut p = self.clone();
        let name = helper_name(id).unwrap_or_default();
        for t in p.prog_types.iter_mut().filter(|t| t.id == ty.id()) {
            for g in &mut t.helpers {
                g.helpers.retain(|h| h != name);
            }
        }
        p.kernel.source = format!("{} minus bpf_{name} in {}", p.kernel.source, ty.spec().name);
        p.facts.config = p.derived_config();
        p
    }
}

impl Clone for Profile {
    fn clone(&self) -> Profile {
        Profile {
            format: self.format.clone(),
            version: self.version,
            kernel: self.kernel.clone(),
            prog_types: self.prog_types.clone(),
            map_types: self.map_types.clone(),
            facts: self.facts.clone(),
            index: OnceLock::new(),
            model: false,
        }
    }
}

/// A load-time refusal ([`Profile::refusal`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The refused call's instruction index (None: the whole program).
    pub insn: Option<usize>,
    /// The kernel's wording.
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use bpfbox_uapi::helper::id;

    #[test]
    fn builtin_agrees_with_the_type_data() {
        let b = Profile::builtin();
        for s in ALL.iter() {
            for (raw, a) in attach_configs(s) {
                for h in 1..HELPER_COUNT {
                    assert_eq!(b.helper_allowed(s.ty, raw, h), s.helper_allowed(a, h));
                }
            }
        }
        assert!(b.differences(b).is_empty());
        assert!(b.facts.config["CONFIG_IPV6_SEG6_BPF"]);
    }

    #[test]
    fn a_clone_answers_from_its_data() {
        let mut p = Profile::builtin().clone();
        for t in p
            .prog_types
            .iter_mut()
            .filter(|t| t.id == ProgType::Xdp.id())
        {
            t.loadable = false;
        }
        assert!(!p.prog_type_loadable(ProgType::Xdp));
        assert!(Profile::builtin().prog_type_loadable(ProgType::Xdp));
        assert!(Profile::builtin_shared()
            .differences(Profile::builtin())
            .is_empty());
    }

    #[test]
    fn json_round_trip_keeps_every_answer() {
        let b = Profile::builtin();
        let p = Profile::from_json("t", &b.to_json()).unwrap();
        assert!(p.differences(b).is_empty());
        assert!(b.differences(&p).is_empty());
        for s in ALL.iter() {
            for (raw, _) in attach_configs(s) {
                for h in 1..HELPER_COUNT {
                    assert_eq!(
                        p.helper_allowed(s.ty, raw, h),
                        b.helper_allowed(s.ty, raw, h)
                    );
                }
            }
        }
    }

    #[test]
    fn a_missing_helper_is_refused_with_the_kernel_wording() {
        let b = Profile::builtin();
        let p = b.without_helper(ProgType::Xdp, id::XDP_ADJUST_META);
        assert_eq!(
            p.differences(b),
            vec!["BPF_PROG_TYPE_XDP: helper bpf_xdp_adjust_meta (54) missing".to_string()]
        );
        let prog = [
            Insn::Call {
                helper: id::XDP_ADJUST_META as i32,
            },
            Insn::Exit,
        ];
        assert_eq!(b.refusal(ProgType::Xdp, 0, &prog), None);
        assert_eq!(
            p.refusal(ProgType::Xdp, 0, &prog),
            Some(Refusal {
                insn: Some(0),
                message: "program of this type cannot use helper bpf_xdp_adjust_meta#54".into()
            })
        );
        // unknown ids (CO-RE poison) are not this function's business
        let poison = [Insn::Call { helper: 0xbad2310 }, Insn::Exit];
        assert_eq!(p.refusal(ProgType::Xdp, 0, &poison), None);
    }

    #[test]
    fn seg6_config_follows_the_helpers() {
        let p = Profile::builtin().without_helper(ProgType::LwtSeg6local, id::LWT_SEG6_ACTION);
        assert!(!p.facts.config["CONFIG_IPV6_SEG6_BPF"]);
        assert!(p
            .differences(Profile::builtin())
            .contains(&"CONFIG_IPV6_SEG6_BPF: off".to_string()));
    }

    #[test]
    fn bad_files_are_named() {
        let e = Profile::from_json("p.json", "{").unwrap_err();
        assert!(
            e.to_string().starts_with("p.json: not a kernel profile"),
            "{e}"
        );
        let mut v: serde_json::Value = serde_json::from_str(&Profile::builtin().to_json()).unwrap();
        v["version"] = 9.into();
        let e = Profile::from_json("p.json", &v.to_string()).unwrap_err();
        assert!(e.to_string().contains("version 9"), "{e}");
        v["version"] = 1.into();
        v["prog_types"][5]["helpers"][0]["helpers"][0] = "no_such_helper".into();
        let e = Profile::from_json("p.json", &v.to_string()).unwrap_err();
        assert!(e.to_string().contains("no_such_helper"), "{e}");
    }
}

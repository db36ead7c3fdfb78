//! libbpf's `SEC()` names (`section_defs[]` in tools/lib/bpf/libbpf.c) and
//! its matching rules. Each type's module lists its own names in
//! [`crate::ProgTypeSpec::sec_names`]; [`find`] searches them all, and the
//! object loader uses nothing else.
//!
//! Matching follows `sec_def_matches()` of libbpf 1.x: a pattern ending in
//! `+` matches the bare name or the name followed by `/` and anything; a
//! pattern ending in `/` matches any section name with that prefix; any
//! other pattern must match exactly. libbpf takes the first matching row of
//! its one ordered table; no two names here match the same section (a unit
//! test checks it), so searching type by type gives libbpf's answer.
//! libbpf 1.0 removed the old "sloppy" prefix matching (`SEC("xdp_foo")`
//! style), and so does this table. Left out: `fsession*`, `fentry.multi*`,
//! `fexit.multi*` (attach types newer than 6.18).

use bpfbox_uapi::prog_flags;

use crate::attach::AttachType;
use crate::registry::ALL;
use crate::spec::ProgTypeSpec;

/// libbpf's `enum sec_def_flags`, as bits in [`SecDef::flags`].
pub mod sec_flags {
    /// No flag.
    pub const NONE: u32 = 0;
    /// expected_attach_type may be dropped on kernels that lack it.
    pub const EXP_ATTACH_OPT: u32 = 1;
    /// Historically attachable with BPF_PROG_ATTACH (informational).
    pub const ATTACHABLE: u32 = 2;
    /// [`ATTACHABLE`] and [`EXP_ATTACH_OPT`].
    pub const ATTACHABLE_OPT: u32 = ATTACHABLE | EXP_ATTACH_OPT;
    /// The attach target is named by BTF id (`fentry/FUNC`, `lsm/HOOK`, ...).
    pub const ATTACH_BTF: u32 = 4;
    /// Loaded with `BPF_F_SLEEPABLE`.
    pub const SLEEPABLE: u32 = 8;
    /// XDP program loaded with `BPF_F_XDP_HAS_FRAGS`.
    pub const XDP_FRAGS: u32 = 16;
    /// usdt probe (libbpf switches to uprobe_multi when available).
    pub const USDT: u32 = 32;
}

/// One libbpf `SEC()` name of a program type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SecDef {
    /// The pattern as libbpf writes it: `xdp`, `kprobe+`, `tc/ingress`.
    pub pattern: &'static str,
    /// The expected_attach_type libbpf passes (None = 0).
    pub attach: Option<AttachType>,
    /// [`sec_flags`] bits.
    pub flags: u32,
}

impl SecDef {
    /// A name with expected_attach_type 0 and no flags.
    pub const fn plain(pattern: &'static str) -> SecDef {
        SecDef {
            pattern,
            attach: None,
            flags: sec_flags::NONE,
        }
    }

    /// A name with an expected_attach_type.
    pub const fn at(pattern: &'static str, attach: AttachType) -> SecDef {
        SecDef {
            pattern,
            attach: Some(attach),
            flags: sec_flags::NONE,
        }
    }

    /// The same with libbpf's [`sec_flags`].
    pub const fn flags(self, flags: u32) -> SecDef {
        SecDef { flags, ..self }
    }

    /// Whether `section` is matched by this name (libbpf `sec_def_matches`).
    pub fn matches(&self, section: &str) -> bool {
        let p = self.pattern;
        if let Some(prefix) = p.strip_suffix('+') {
            match section.strip_prefix(prefix) {
                Some(rest) => rest.is_empty() || rest.starts_with('/'),
                None => false,
            }
        } else if p.ends_with('/') {
            section.starts_with(p)
        } else {
            section == p
        }
    }

    /// The expected_attach_type value libbpf passes to `BPF_PROG_LOAD`.
    pub fn expected_attach_type(&self) -> u32 {
        self.attach.map_or(0, AttachType::id)
    }

    /// The `prog_flags` libbpf's `libbpf_prepare_prog_load` adds
    /// (`BPF_F_SLEEPABLE`, `BPF_F_XDP_HAS_FRAGS`).
    pub fn prog_flags(&self) -> u32 {
        let mut f = 0;
        if self.is_sleepable() {
            f |= prog_flags::F_SLEEPABLE;
        }
        if self.flags & sec_flags::XDP_FRAGS != 0 {
            f |= prog_flags::F_XDP_HAS_FRAGS;
        }
        f
    }

    /// Whether programs in such sections are sleepable.
    pub fn is_sleepable(&self) -> bool {
        self.flags & sec_flags::SLEEPABLE != 0
    }

    /// Whether the part after `/` names a BTF attach target.
    pub fn attaches_by_btf(&self) -> bool {
        self.flags & sec_flags::ATTACH_BTF != 0
    }

    /// The flags in words, for display (`sleepable, BPF_F_XDP_HAS_FRAGS`).
    pub fn describe_flags(&self) -> String {
        let words = [
            (sec_flags::ATTACH_BTF, "BTF attach target"),
            (sec_flags::SLEEPABLE, "sleepable"),
            (sec_flags::XDP_FRAGS, "BPF_F_XDP_HAS_FRAGS"),
            (sec_flags::USDT, "usdt"),
        ];
        let on: Vec<&str> = words
            .iter()
            .filter(|(bit, _)| self.flags & bit != 0)
            .map(|(_, w)| *w)
            .collect();
        on.join(", ")
    }
}

/// A section name matched to its program type.
#[derive(Debug, Clone, Copy)]
pub struct SectionMatch {
    /// The program type.
    pub spec: &'static ProgTypeSpec,
    /// The matching name.
    pub def: &'static SecDef,
}

/// The `SEC()` name matching `section` (libbpf `find_sec_def`), with its
/// program type.
pub fn find(section: &str) -> Option<SectionMatch> {
    ALL.iter().find_map(|spec| {
        let def = spec.sec_names.iter().find(|d| d.matches(section))?;
        Some(SectionMatch { spec, def })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ProgType;

    fn all_defs() -> impl Iterator<Item = (&'static ProgTypeSpec, &'static SecDef)> {
        ALL.iter()
            .flat_map(|s| s.sec_names.iter().map(move |d| (*s, d)))
    }

    /// Sections each pattern is meant to take: the bare name, and for
    /// prefix patterns a name with a target.
    fn samples(d: &SecDef) -> Vec<String> {
        match d.pattern.strip_suffix('+') {
            Some(bare) => vec![bare.to_string(), format!("{bare}/target")],
            None if d.pattern.ends_with('/') => vec![format!("{}target", d.pattern)],
            None => vec![d.pattern.to_string()],
        }
    }

    /// libbpf takes the first match of one ordered table; per-type lists
    /// give the same answer only because no section matches two names.
    #[test]
    fn no_section_matches_two_names() {
        let defs: Vec<_> = all_defs().collect();
        assert_eq!(defs.len(), 108);
        for (_, d) in &defs {
            for s in samples(d) {
                let hits: Vec<_> = defs.iter().filter(|(_, e)| e.matches(&s)).collect();
                assert_eq!(hits.len(), 1, "{s}: {:?}", hits);
                assert_eq!(hits[0].1, *d, "{s}");
            }
        }
    }

    #[test]
    fn exact_names() {
        let xdp = find("xdp").unwrap();
        assert_eq!(xdp.spec.ty, ProgType::Xdp);
        assert_eq!(xdp.def.attach, Some(AttachType::Xdp));
        assert_eq!(find("tc").unwrap().spec.ty, ProgType::SchedCls);
        assert_eq!(find("classifier").unwrap().def.expected_attach_type(), 0);
        assert_eq!(find("socket").unwrap().spec.ty, ProgType::SocketFilter);
        // exact names do not match longer ones
        assert!(find("xdp_foo").is_none());
        assert!(find("socket/x").is_none());
        assert!(find("tcx").is_none());
    }

    #[test]
    fn plus_names_need_slash_or_end() {
        assert_eq!(find("kprobe/do_sys_open").unwrap().def.pattern, "kprobe+");
        assert_eq!(find("kprobe").unwrap().def.pattern, "kprobe+");
        assert_eq!(
            find("kprobe.multi/foo*").unwrap().def.pattern,
            "kprobe.multi+"
        );
        assert!(find("kprobex").is_none());
        let s = find("fentry.s/bpf_fentry_test1").unwrap().def;
        assert!(s.is_sleepable() && s.attaches_by_btf());
        assert_eq!(s.prog_flags(), prog_flags::F_SLEEPABLE);
    }

    #[test]
    fn specific_names() {
        let at = |s: &str| find(s).unwrap().def.attach;
        assert_eq!(at("tc/ingress"), Some(AttachType::TcxIngress));
        assert_eq!(at("xdp/devmap"), Some(AttachType::XdpDevmap));
        assert_eq!(
            find("xdp.frags").unwrap().def.prog_flags(),
            prog_flags::F_XDP_HAS_FRAGS
        );
        assert_eq!(
            at("sk_reuseport/migrate"),
            Some(AttachType::SkReuseportSelectOrMigrate)
        );
        assert_eq!(at("cgroup_skb/egress"), Some(AttachType::CgroupInetEgress));
        assert_eq!(find("lwt_xmit").unwrap().spec.ty, ProgType::LwtXmit);
        assert_eq!(find("freplace/foo").unwrap().spec.ty, ProgType::Ext);
        assert_eq!(at("iter/task"), Some(AttachType::TraceIter));
        assert_eq!(
            find("syscall").unwrap().def.prog_flags(),
            prog_flags::F_SLEEPABLE
        );
        assert!(find("fsession/foo").is_none());
        assert_eq!(
            find("usdt.s/x").unwrap().def.describe_flags(),
            "sleepable, usdt"
        );
    }
}

//! Helper functions as data: the 212 ids and names of 6.18
//! ([`HELPER_NAMES`]), prototypes of every helper a type offers ([`proto()`]) and
//! availability per program type as layered sets ([`HelperAvail`]).

pub mod proto;
pub mod sets;

pub use bpfbox_uapi::helper::{helper_id, helper_name, id, HELPER_COUNT, HELPER_NAMES};
pub use proto::{declaration, proto, ArgType, HelperProto, RetType, PROTOS};

use crate::attach::AttachType;
use crate::spec::{AttachFilter, Evidence};

/// A named set of helper ids (one layer).
#[derive(Debug)]
pub struct HelperSet {
    /// Layer name for display (`base`, `tc_extra`).
    pub name: &'static str,
    /// Helper ids.
    pub ids: &'static [u32],
    bits: [u64; 4],
}

impl HelperSet {
    /// Build a set; ids ≥ 256 are ignored by the bit map (and rejected by
    /// the registry tests).
    pub const fn new(name: &'static str, ids: &'static [u32]) -> HelperSet {
        let mut bits = [0u64; 4];
        let mut i = 0;
        while i < ids.len() {
            let id = ids[i];
            if id < 256 {
                bits[(id / 64) as usize] |= 1u64 << (id % 64);
            }
            i += 1;
        }
        HelperSet { name, ids, bits }
    }

    /// Membership.
    pub const fn contains(&self, id: u32) -> bool {
        id < 256 && (self.bits[(id / 64) as usize] >> (id % 64)) & 1 == 1
    }
}

/// An attach-type dependent change to a type's helper set.
#[derive(Debug)]
pub struct AttachHelperRule {
    /// Where it applies.
    pub when: AttachFilter,
    /// Added helpers.
    pub add: &'static [&'static HelperSet],
    /// Removed helpers (applied after `add`).
    pub remove: &'static [&'static HelperSet],
}

/// Which helpers a program type may call.
#[derive(Debug)]
pub enum HelperAvail {
    /// Union of layers, then attach-type rules.
    Layers {
        /// Layers, shared ones first.
        layers: &'static [&'static HelperSet],
        /// Attach-type dependent additions and removals.
        by_attach: &'static [AttachHelperRule],
        /// How the sets were established.
        evidence: Evidence,
    },
    /// Extension programs use the helpers of the program they replace:
    /// resolve with that program's spec. [`HelperAvail::allows`] answers
    /// false for everything.
    InheritTarget,
}

impl HelperAvail {
    /// Whether helper `id` is callable under `attach`.
    pub fn allows(&self, attach: Option<AttachType>, id: u32) -> bool {
        let HelperAvail::Layers {
            layers, by_attach, ..
        } = self
        else {
            return false;
        };
        if id == 0 || id >= HELPER_COUNT {
            return false;
        }
        let mut ok = layers.iter().any(|l| l.contains(id));
        for r in by_attach.iter().filter(|r| r.when.matches(attach)) {
            if r.add.iter().any(|l| l.contains(id)) {
                ok = true;
            }
            if r.remove.iter().any(|l| l.contains(id)) {
                ok = false;
            }
        }
        ok
    }

    /// All callable ids under `attach`, ascending.
    pub fn ids(&self, attach: Option<AttachType>) -> Vec<u32> {
        (1..HELPER_COUNT)
            .filter(|&i| self.allows(attach, i))
            .collect()
    }

    /// Every set mentioned (layers and attach rules), for invariant checks.
    pub fn all_sets(&self) -> Vec<&'static HelperSet> {
        match self {
            HelperAvail::Layers {
                layers, by_attach, ..
            } => {
                let mut v: Vec<&'static HelperSet> = layers.to_vec();
                for r in by_attach.iter() {
                    v.extend(r.add.iter().copied());
                    v.extend(r.remove.iter().copied());
                }
                v
            }
            HelperAvail::InheritTarget => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_ids() {
        assert_eq!(HELPER_NAMES.len(), 212);
        assert_eq!(helper_name(1), Some("map_lookup_elem"));
        assert_eq!(helper_name(211), Some("cgrp_storage_delete"));
        assert_eq!(helper_name(212), None);
        assert_eq!(helper_id("bpf_xdp_adjust_head"), Some(44));
        assert_eq!(helper_id("unspec"), None);
        assert_eq!(id::LOOP, 181);
    }

    #[test]
    fn set_bits() {
        static S: HelperSet = HelperSet::new("t", &[1, 63, 64, 211]);
        assert!(S.contains(1) && S.contains(63) && S.contains(64) && S.contains(211));
        assert!(!S.contains(2) && !S.contains(0) && !S.contains(300));
    }

    #[test]
    fn attach_rules() {
        static A: HelperSet = HelperSet::new("a", &[1, 2]);
        static B: HelperSet = HelperSet::new("b", &[2]);
        static C: HelperSet = HelperSet::new("c", &[5]);
        static H: HelperAvail = HelperAvail::Layers {
            layers: &[&A],
            by_attach: &[AttachHelperRule {
                when: AttachFilter::Only(&[AttachType::Xdp]),
                add: &[&C],
                remove: &[&B],
            }],
            evidence: Evidence::Source,
        };
        let h = &H;
        assert_eq!(h.ids(None), vec![1, 2]);
        assert_eq!(h.ids(Some(AttachType::Xdp)), vec![1, 5]);
        assert!(!HelperAvail::InheritTarget.allows(None, 1));
    }
}

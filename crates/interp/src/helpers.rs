//! The helper table a [`Vm`] calls into: plain function pointers indexed by
//! helper id (`enum bpf_func_id`), plus kfuncs by BTF id. The table is built
//! once by the program-type layer and shared by reference.

use crate::trap::Trap;
use crate::vm::Vm;

/// A helper (or kfunc) implementation: gets the VM (memory, host state,
/// callbacks) and `r1..r5`, returns the new `r0` or a [`Trap`].
pub type HelperFn<H> = fn(&mut Vm<'_, H>, [u64; 5]) -> Result<u64, Trap>;

/// Number of helper slots (ids `0..=255`).
pub const MAX_HELPERS: usize = 256;

/// Helper functions by id, and kfuncs by BTF id.
pub struct Helpers<H> {
    table: Box<[Option<HelperFn<H>>; MAX_HELPERS]>,
    kfuncs: Vec<(i32, HelperFn<H>)>,
}

impl<H> Clone for Helpers<H> {
    fn clone(&self) -> Self {
        Helpers {
            table: self.table.clone(),
            kfuncs: self.kfuncs.clone(),
        }
    }
}

impl<H> Default for Helpers<H> {
    fn default() -> Self {
        Self::new()
    }
}

impl<H> std::fmt::Debug for Helpers<H> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ids: Vec<usize> = (0..MAX_HELPERS)
            .filter(|&i| self.table[i].is_some())
            .collect();
        let kf: Vec<i32> = self.kfuncs.iter().map(|k| k.0).collect();
        f.debug_struct("Helpers")
            .field("helpers", &ids)
            .field("kfuncs", &kf)
            .finish()
    }
}

impl<H> Helpers<H> {
    /// An empty table: every call traps with [`Trap::UnknownHelper`].
    pub fn new() -> Self {
        Helpers {
            table: Box::new([None; MAX_HELPERS]),
            kfuncs: Vec::new(),
        }
    }

    /// Installs (or replaces) helper `id`.
    pub fn set(&mut self, id: u8, f: HelperFn<H>) -> &mut Self {
        self.table[id as usize] = Some(f);
        self
    }

    /// Builder form of [`Helpers::set`].
    pub fn with(mut self, id: u8, f: HelperFn<H>) -> Self {
        self.set(id, f);
        self
    }

    /// Removes helper `id`.
    pub fn remove(&mut self, id: u8) {
        self.table[id as usize] = None;
    }

    /// The helper with this id, if installed (any id outside `0..=255` is
    /// unknown).
    #[inline(always)]
    pub fn get(&self, id: i32) -> Option<HelperFn<H>> {
        usize::try_from(id)
            .ok()
            .and_then(|i| self.table.get(i).copied().flatten())
    }

    /// Installs (or replaces) the kfunc with this BTF id.
    pub fn set_kfunc(&mut self, btf_id: i32, f: HelperFn<H>) -> &mut Self {
        match self.kfuncs.iter_mut().find(|k| k.0 == btf_id) {
            Some(k) => k.1 = f,
            None => self.kfuncs.push((btf_id, f)),
        }
        self
    }

    /// The kfunc with this BTF id, if installed.
    pub fn get_kfunc(&self, btf_id: i32) -> Option<HelperFn<H>> {
        self.kfuncs.iter().find(|k| k.0 == btf_id).map(|k| k.1)
    }
}

/// Helper 5 of the bpf_conformance suite ("unwind"): returns its first
/// argument, and when that is 0 stops the program with `r0 = 0`.
fn conformance_unwind(_: &mut Vm<'_, ()>, args: [u64; 5]) -> Result<u64, Trap> {
    if args[0] == 0 {
        Err(Trap::Unwind(0))
    } else {
        Ok(args[0])
    }
}

/// The helper set of the bpf_conformance reference runners: only helper 5,
/// "unwind" (see the suite's README).
pub fn conformance_helpers() -> Helpers<()> {
    Helpers::new().with(5, conformance_unwind)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(_: &mut Vm<'_, ()>, a: [u64; 5]) -> Result<u64, Trap> {
        Ok(a[0] + 1)
    }

    #[test]
    fn table_lookup() {
        let mut t = Helpers::<()>::new();
        assert!(t.get(1).is_none());
        t.set(1, h).set(255, h);
        assert!(t.get(1).is_some() && t.get(255).is_some());
        assert!(t.get(256).is_none() && t.get(-1).is_none());
        t.remove(1);
        assert!(t.get(1).is_none());
        t.set_kfunc(-7, h);
        assert!(t.get_kfunc(-7).is_some() && t.get_kfunc(7).is_none());
        assert!(conformance_helpers().get(5).is_some());
        assert_eq!(
            format!("{:?}", t),
            "Helpers { helpers: [255], kfuncs: [-7] }"
        );
    }
}

//! Objects and the program a command runs: loading a `.o`, picking a
//! program, describing its return value.

use bpfbox_object::{Object, ProgramDef};
use std::path::Path;

/// Loading or selecting failed; each message names the file.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The object cannot be loaded (the loader's line names the file).
    #[error("{0}")]
    Load(#[source] bpfbox_object::Error),
    /// No program of that name.
    #[error("{}: no program `{name}` (programs: {have})", path.display())]
    NoProgram {
        /// The object file.
        path: std::path::PathBuf,
        /// The name asked for.
        name: String,
        /// The programs it has.
        have: String,
    },
    /// The object has no programs at all.
    #[error("{}: the object has no programs", path.display())]
    NoPrograms {
        /// The object file.
        path: std::path::PathBuf,
    },
    /// Several programs and none named.
    #[error("{}: the object has {count} programs, pick one with --prog: {have}", path.display())]
    Ambiguous {
        /// The object file.
        path: std::path::PathBuf,
        /// How many.
        count: usize,
        /// Their names.
        have: String,
    },
}

/// Loads an object file; externs get their values from the running
/// kernel ([`crate::externs::HostExterns`]).
pub fn load(path: &Path) -> Result<Object, Error> {
    load_with_externs(path, crate::externs::HostExterns::kernel())
}

/// Loads an object file with externs from `externs`.
pub fn load_with_externs(
    path: &Path,
    externs: crate::externs::HostExterns,
) -> Result<Object, Error> {
    let opts = bpfbox_object::LoadOptions {
        externs: Some(std::sync::Arc::new(externs)),
        ..Default::default()
    };
    bpfbox_object::load_file_with(path, &opts).map_err(Error::Load)
}

/// The program named `name`, or the only program when `name` is `None`.
pub fn select<'o>(
    obj: &'o Object,
    path: &Path,
    name: Option<&str>,
) -> Result<&'o ProgramDef, Error> {
    let names = || {
        obj.programs
            .iter()
            .map(|p| p.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let path = path.to_path_buf();
    match name {
        Some(n) => obj.program(n).ok_or_else(|| Error::NoProgram {
            path,
            name: n.to_string(),
            have: names(),
        }),
        None => match obj.programs.as_slice() {
            [one] => Ok(one),
            [] => Err(Error::NoPrograms { path }),
            _ => Err(Error::Ambiguous {
                path,
                count: obj.programs.len(),
                have: names(),
            }),
        },
    }
}

/// The program type's description of `def`.
pub fn spec_of(def: &ProgramDef) -> Option<&'static bpfbox_progtype::ProgTypeSpec> {
    bpfbox_progtype::by_id(def.prog_type)
}

/// `expected_attach_type` as progtype understands it.
pub fn attach_of(def: &ProgramDef) -> Option<bpfbox_progtype::AttachType> {
    spec_of(def)?
        .normalize_attach(def.expected_attach_type)
        .ok()
        .flatten()
}

/// What the hook does with `retval`: `XDP_DROP`, `keep 54 bytes`.
pub fn verdict(def: &ProgramDef, retval: u32) -> String {
    match spec_of(def) {
        Some(s) => s.ret.describe(attach_of(def), retval as u64),
        None => retval.to_string(),
    }
}

/// Whether the hook drops the packet for `retval`.
pub fn drops(def: &ProgramDef, retval: u32) -> bool {
    spec_of(def).is_some_and(|s| s.ret.drops(attach_of(def), retval as u64))
}

/// The program's type name, `BPF_PROG_TYPE_XDP`, or its number.
pub fn verdict_kind(def: &ProgramDef) -> String {
    spec_of(def).map_or_else(|| def.prog_type.to_string(), |s| s.name.to_string())
}

/// `expected_attach_type` for display: `-` when the type ignores it and
/// the object leaves it 0 (tc, socket filters).
pub fn attach_label(def: &ProgramDef) -> String {
    let ignored = spec_of(def).is_some_and(|s| {
        matches!(
            s.attach.expected,
            bpfbox_progtype::spec::ExpectedAttach::NotValidated
        )
    });
    match attach_of(def) {
        Some(_) if ignored && def.expected_attach_type == 0 => "-".to_string(),
        Some(a) => format!("{a:?}"),
        None => "-".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selection_failures_are_values_naming_the_file() {
        let path = Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../tests/progs/lwt_seg6local/seg6local.o"
        ));
        let obj = load(path).unwrap();
        let e = select(&obj, path, Some("nope")).unwrap_err();
        assert!(matches!(&e, Error::NoProgram { name, .. } if name == "nope"));
        assert!(e
            .to_string()
            .starts_with(&format!("{}: no program `nope`", path.display())));
        let e = select(&obj, path, None).unwrap_err();
        assert!(matches!(e, Error::Ambiguous { count: 3, .. }), "{e}");
        assert_eq!(
            select(&obj, path, Some("seg6_fields")).unwrap().name,
            "seg6_fields"
        );
        let missing = Path::new("/nonexistent/x.o");
        let e = load(missing).unwrap_err();
        assert!(matches!(e, Error::Load(_)));
        assert!(std::error::Error::source(&e).is_some());
        assert!(e.to_string().contains("/nonexistent/x.o"), "{e}");
    }
}

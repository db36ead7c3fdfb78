pub(crate) mod bigmaps;
pub(crate) mod captures;
pub(crate) mod cli;
pub(crate) mod conformance;
pub(crate) mod fibnet;
pub(crate) mod inputs;
pub(crate) mod packets;
pub(crate) mod progs_diff;
pub(crate) mod setup;

use std::path::PathBuf;

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `../shared` beside the repository, if present.
pub fn shared() -> Option<PathBuf> {
    let p = root().join("../shared");
    p.is_dir().then_some(p)
}

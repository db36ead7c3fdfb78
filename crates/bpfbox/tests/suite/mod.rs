pub(crate) mod api;
pub(crate) mod bigmaps;
pub(crate) mod btfdump;
pub(crate) mod captures;
pub(crate) mod cli;
pub(crate) mod conformance;
pub(crate) mod externs;
pub(crate) mod fentry;
pub(crate) mod fibnet;
pub(crate) mod inputs;
pub(crate) mod packets;
pub(crate) mod profiles;
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

/// Whether the kernel engine can run: always true, since tests that call
/// this are listed `=> [kernel]` and the harness skips them (visibly)
/// where it cannot. A test not listed so fails here instead of passing
/// without its kernel part.
pub fn kernel_usable(test: &str) -> bool {
    if let Err(e) = bpfbox::kernel::availability() {
        panic!("{test}: needs the kernel but is not listed `=> [kernel]`: {e}");
    }
    true
}

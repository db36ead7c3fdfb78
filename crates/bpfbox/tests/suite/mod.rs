mod bigmaps;
mod captures;
mod cli;
mod conformance;
mod fibnet;
mod inputs;
mod packets;
mod progs_diff;
mod setup;

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

/// Whether the kernel engine can run; prints the reason when not.
pub fn kernel_usable(test: &str) -> bool {
    match bpfbox::kernel::availability() {
        Ok(()) => true,
        Err(e) => {
            eprintln!("{test}: skipped: {e}");
            false
        }
    }
}

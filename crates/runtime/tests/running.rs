//! The kernel bpfbox models in these comparisons: the running kernel's
//! profile (what it offers, measured once per process), so bpfbox refuses
//! what this kernel refuses; the built-in model where `bpf()` is not
//! usable (then only the bpfbox-only tests run).

use bpfbox_progtype::Profile;
use bpfbox_runtime::HostState;
use std::sync::Arc;

/// The running kernel's profile (the built-in model without `bpf()`).
pub(crate) fn profile() -> Arc<Profile> {
    match bpfbox_kernel::running_profile() {
        Ok(p) => Arc::new(p.clone()),
        Err(_) => Profile::builtin_shared(),
    }
}

/// A default host modelling the running kernel.
pub(crate) fn host() -> HostState {
    let mut h = HostState::default();
    h.kernel = profile();
    h
}

//! Which helper a program may call: the check-side data of
//! `bpfbox-progtype` (`ProgTypeSpec::helper_allowed`, measured on 6.18),
//! applied at load time so that a program the kernel's verifier would
//! reject for its helpers is rejected here too.

pub use bpfbox_progtype::ProgType;

/// Whether a program of `ty` loaded with `expected_attach_type` may call
/// helper `id`.
pub fn allowed(ty: ProgType, expected_attach_type: u32, id: u32) -> bool {
    let spec = ty.spec();
    let attach = spec.normalize_attach(expected_attach_type).ok().flatten();
    spec.helper_allowed(attach, id)
}

/// Whether `id` is a helper of Linux 6.18 at all.
pub fn known(id: u32) -> bool {
    bpfbox_progtype::helper_name(id).is_some()
}

/// The kernel name of a program type (`BPF_PROG_TYPE_XDP`).
pub fn name(ty: ProgType) -> &'static str {
    ty.spec().name
}

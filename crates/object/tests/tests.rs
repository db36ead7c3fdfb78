//! Integration tests of bpfbox-object on the committed objects in
//! tests/progs (rebuild them with `make progs`).

pub(crate) mod bad_input;
pub(crate) mod core;
pub(crate) mod kernel;
pub(crate) mod libbpf;
pub(crate) mod lists;

use std::path::PathBuf;

/// Path of a committed test object.
pub fn prog_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/progs")
        .join(name)
}

/// Every committed object that must load.
pub const LOADABLE: &[&str] = &[
    "xdp_globals.o",
    "skb_multi.o",
    "map_in_map.o",
    "legacy_maps.o",
    "loop.o",
    "global_func.o",
    "core_reloc.o",
    "core_more.o",
];

/// Loads a committed object, panicking with the error's text.
pub fn load(name: &str) -> bpfbox_object::Object {
    bpfbox_object::load_file(prog_path(name)).unwrap_or_else(|e| panic!("{e}"))
}

bpfbox_testkit::main! {
    bad_input::every_truncation_is_an_error,
    bad_input::corrupted_bytes_never_panic,
    bad_input::random_bytes_and_foreign_elf,
    bad_input::unknown_code_section_is_named,
    bad_input::unknown_relocation_type_is_named,
    bad_input::unknown_map_type_is_named,
    bad_input::an_unresolved_kfunc_is_listed_and_its_call_poisoned_as_libbpf_does,
    core::local_target_keeps_the_compiled_instructions,
    core::reordered_fields_get_the_kernels_offsets => [btf],
    core::kernel_runs_the_relocated_programs => [kernel, btf],
    core::local_target_values_are_the_local_types,
    core::bitfield_relocations_follow_the_kernel_layout => [btf],
    core::unreadable_target_file_is_an_io_error,
    core::objects_without_core_relos_report_no_target,
    core::flavours_of_one_type_in_a_searched_target_are_ambiguous,
    core::load_size_follows_the_target_field_size => [btf],
    core::a_target_without_the_types_gives_zero_or_poison_by_kind,
    core::auto_prefers_the_kernels_btf_and_falls_back_to_local,
    kernel::kernel_verifier_accepts_every_program => [kernel],
    kernel::kernel_accepts_programs_without_btf => [kernel],
    libbpf::same_result_as_libbpf => [kernel, clang, btf],
    lists::every_object_decodes_placeholder_and_linked,
    lists::xdp_globals,
    lists::skb_multi,
    lists::map_in_map,
    lists::legacy_maps,
    lists::bpf_loop_callback,
    lists::global_function_and_flagged_sections,
    lists::btf_attach_targets,
}

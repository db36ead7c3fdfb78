//! Integration tests of bpfbox-object on the committed objects in
//! tests/progs (rebuild them with `make progs`).

mod bad_input;
mod core;
mod kernel;
mod libbpf;
mod lists;

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

//! Integration tests of bpfbox-asm: byte-exact encodings per instruction
//! class, clang-19's assembler as the oracle for the pseudo-C syntax, and
//! disassemble/reassemble round trips.

pub(crate) mod clang_oracle;
pub(crate) mod pseudo_classes;
pub(crate) mod robustness;
pub(crate) mod roundtrip;
pub(crate) mod verifier_log;

bpfbox_testkit::main! {
    clang_oracle::same_bytes_as_clang,
    clang_oracle::fixture_matches_live_clang => [clang, llvm],
    pseudo_classes::alu64_and_alu32,
    pseudo_classes::byte_order,
    pseudo_classes::loads_and_stores,
    pseudo_classes::lddw_and_pseudo,
    pseudo_classes::atomics,
    pseudo_classes::jumps,
    pseudo_classes::calls_and_exit,
    pseudo_classes::comments_labels_and_log_prefixes,
    pseudo_classes::refusals_name_the_line_and_cause,
    robustness::fragments_never_panic,
    roundtrip::isa_fixtures_roundtrip,
    roundtrip::every_decodable_encoding_roundtrips,
    roundtrip::far_displacements_roundtrip,
    verifier_log::xlated_listings_assemble_to_the_kernel_bytes,
    verifier_log::verifier_log_in_walk_order_assembles_in_slot_order,
}

//! The shared bpf_conformance suite through this crate (reported as
//! ignored, with the reason, when `../shared` is absent).

pub(crate) mod suite;

bpfbox_testkit::main! {
    suite::every_positive_test_parses_assembles_and_decodes => [shared],
    suite::positive_programs_roundtrip_through_pseudo_c => [shared],
    suite::negative_tests_are_refused_before_execution => [shared],
    suite::engine_only_negatives_need_the_engine => [shared],
}

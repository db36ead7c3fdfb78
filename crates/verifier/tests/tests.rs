//! Integration tests of bpfbox-verifier, one module per topic. The kernel
//! is the reference: every rule is checked against `BPF_PROG_LOAD` of the
//! same program (SOCKET_FILTER, as root); those parts are skipped with a
//! printed reason when `bpf()` is unusable.

pub(crate) mod common;

pub(crate) mod conformance;
pub(crate) mod differential;
pub(crate) mod golden;
pub(crate) mod robustness;
pub(crate) mod rules;
pub(crate) mod typed;

bpfbox_testkit::main! {
    conformance::every_positive_test_passes => [shared],
    conformance::frame_pointer_or_is_refused => [shared],
    differential::fuzzgen_programs_pass => [kernel],
    differential::random_scalar_programs_agree_with_the_kernel => [kernel],
    golden::uninit_return_value => [kernel],
    golden::clobbered_by_helper_with_source_lines => [kernel],
    golden::structural_errors => [kernel],
    golden::dead_code_and_frame_pointer => [kernel],
    golden::json_form => [kernel],
    golden::immediates => [kernel],
    robustness::never_panics,
    rules::every_rule_matches_the_kernel => [kernel],
    rules::kernel_stops_at_the_same_instruction => [kernel],
    rules::call_depth_limit_is_the_kernels => [kernel],
    rules::options_change_the_rules => [kernel],
    rules::related_labels_explain_the_origin,
    rules::one_diagnostic_per_mistake_and_path,
    rules::constant_tracking_matches_the_kernel => [kernel],
    rules::ld_abs_needs_an_skb_program_type => [kernel],
    typed::classic_mistakes_agree_with_the_kernel => [kernel],
    typed::refusals_carry_the_kernel_message_and_the_register,
}

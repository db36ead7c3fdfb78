//! bpfbox's integration tests, one binary, modules by topic.

pub(crate) mod suite;

bpfbox_testkit::main! {
    suite::cli::exec_prints_r0_last_for_both_syntaxes_and_raw,
    suite::cli::exec_on_the_kernel => [kernel],
    suite::cli::exec_bad_input_is_one_line,
    suite::cli::conformance_plugin_protocol,
    suite::cli::run_json_and_pcap_counts,
    suite::cli::run_bad_input_is_one_line,
    suite::cli::diff_example_is_identical => [kernel],
    suite::cli::prog_list_shows_programs_and_maps,
    suite::cli::fire_cgroup_device_sequence,
    suite::cli::types_lists_every_program_type,
    suite::cli::explain_prints_the_long_text,
    suite::cli::verify_points_at_the_c_source_line => [kernel],
    suite::cli::every_shipped_example_event_fires,
    suite::cli::co_re_poisoned_dead_code_runs_like_the_kernel => [kernel],
    suite::cli::kernel_engine_mounts_tracefs_where_missing => [kernel],
    suite::conformance::all_conformance_tests_pass => [shared],
    suite::conformance::all_negative_tests_are_refused => [shared],
    suite::progs_diff::every_packet_program_matches_the_kernel => [kernel],
}

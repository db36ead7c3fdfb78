//! bpfbox-runtime against the kernel's BPF_PROG_TEST_RUN: every program of
//! tests/progs/runtime runs on both with the same inputs; retval, errno,
//! data_out, data_size_out and ctx_out must be identical.

pub(crate) mod cgroup_array;
pub(crate) mod events_cgroup;
pub(crate) mod events_sock;
pub(crate) mod events_trace;
pub(crate) mod kernel_compare;
pub(crate) mod lwt_seg6local;
pub(crate) mod maps_compare;
pub(crate) mod misc_helpers;
pub(crate) mod netfilter;
pub(crate) mod profiles;
pub(crate) mod running;
pub(crate) mod sk_storage;
pub(crate) mod stacks;
pub(crate) mod task_ns;
pub(crate) mod tunnel;

bpfbox_testkit::main! {
    profiles::a_helper_the_profile_lacks_is_refused_in_the_kernels_words,
    profiles::xdp_live_frames_follow_the_profile,
    events_cgroup::dev_sysctl::cgroup_device_matches_the_kernel => [kernel],
    events_cgroup::dev_sysctl::cgroup_sysctl_matches_the_kernel => [kernel],
    events_cgroup::dev_sysctl::sysctl_helpers_in_bpfbox,
    events_cgroup::dev_sysctl::sysctl_helper_results_match_the_kernel => [kernel],
    events_cgroup::sock_addr::cgroup_sock_addr_connect4_rewrite_matches_the_kernel => [kernel],
    events_cgroup::sock_addr::sock_addr_hooks_in_bpfbox,
    events_cgroup::sock_addr::sock_addr_setsockopt_matches_the_kernel => [kernel],
    events_cgroup::sock_addr::cgroup_sock_addr_connect6_with_bpf_bind_matches_the_kernel => [kernel],
    events_cgroup::sock_addr::cgroup_recvmsg4_report_matches_the_kernel => [kernel],
    events_cgroup::sock_addr::cgroup_sendmsg4_rewrite_matches_the_kernel => [kernel],
    events_cgroup::sock_sockopt::cgroup_sock_create_matches_the_kernel => [kernel],
    events_cgroup::sock_sockopt::post_bind_and_release_in_bpfbox,
    events_cgroup::sock_sockopt::cgroup_post_bind4_and_bind4_match_the_kernel => [kernel],
    events_cgroup::sock_sockopt::cgroup_sockopt_matches_the_kernel => [kernel],
    events_cgroup::sock_sockopt::sockopt_optlen_rules_in_bpfbox,
    events_cgroup::example_events_fire,
    events_cgroup::malformed_events_are_one_clear_line,
    events_sock::examples::example_events_fire_with_the_expected_actions,
    events_sock::psock::sk_msg_changes_what_the_peer_receives_like_the_kernel => [kernel],
    events_sock::psock::sk_skb_frames_and_routes_like_the_kernel => [kernel],
    events_sock::reuseport::sk_reuseport_picks_the_socket_the_kernel_picks => [kernel],
    events_sock::reuseport::sk_reuseport_tcp_syns_go_where_the_kernel_sends_them => [kernel],
    events_sock::robust::malformed_events_are_refused_with_a_reason,
    events_sock::sock_ops::sock_ops_replays_a_loopback_connection_like_the_kernel => [kernel],
    events_sock::sock_ops::sock_ops_header_options_match_the_kernel => [kernel],
    events_sock::sock_ops::sock_ops_socket_options_match_the_kernel => [kernel],
    events_sock::testrun::flow_dissector_test_runs_match_the_kernel => [kernel],
    events_sock::testrun::sk_lookup_test_runs_match_the_kernel => [kernel],
    events_trace::raw_tp_test_runs_match_kernel => [kernel],
    events_trace::syscall_test_runs_match_kernel => [kernel],
    events_trace::probe_read_and_task_helpers_match_kernel => [kernel],
    events_trace::tracepoint_openat_matches_kernel => [kernel],
    events_trace::tracepoint_array_field_matches_kernel => [kernel],
    events_trace::tracepoint_sched_switch_matches_kernel => [kernel],
    events_trace::tracepoint_data_loc_string_matches_kernel => [kernel],
    events_trace::kprobe_pt_regs_offsets_and_event => [kernel],
    events_trace::kprobe_program_as_uprobe_matches_kernel => [kernel],
    events_trace::perf_event_cpu_clock_sample_matches_kernel => [kernel],
    events_trace::perf_and_ringbuf_output_are_reported,
    events_trace::send_signal_matches_kernel => [kernel],
    events_trace::perf_event_read_matches_kernel => [kernel],
    events_trace::get_stack_without_call_chains => [kernel],
    events_trace::perf_event_sample,
    events_trace::raw_tracepoint_and_syscall_events,
    events_trace::raw_tracepoint_writable_buffer => [kernel],
    events_trace::every_format_file_of_the_running_kernel_parses => [kernel],
    events_trace::bad_events_name_the_cause,
    events_trace::example_events_run,
    kernel_compare::tc_reads_every_field,
    kernel_compare::socket_filter_fields,
    kernel_compare::cgroup_skb_fields,
    kernel_compare::lwt_fields,
    kernel_compare::tc_packet_helpers => [kernel],
    kernel_compare::skb_flags_and_repeat => [kernel],
    kernel_compare::xdp_programs => [kernel],
    kernel_compare::helper_not_allowed_is_a_load_error,
    kernel_compare::xdp_flags_batch_and_live_frames => [kernel],
    maps_compare::maps_and_global_data_match_kernel => [kernel],
    misc_helpers::printk_snprintf_loop_and_clock => [kernel],
    netfilter::netfilter_test_runs_match_the_kernel => [kernel],
    lwt_seg6local::test_runs_are_refused_as_the_kernel_refuses_them => [kernel],
    lwt_seg6local::seg6_helpers_are_refused_by_profile_or_as_unsupported => [kernel],
    lwt_seg6local::end_bpf_runs_after_the_end_behaviour,
    lwt_seg6local::packets_end_bpf_drops_before_the_program_are_bad_events,
    cgroup_array::under_cgroup_matches_the_kernel => [kernel],
    stacks::stack_helpers_match_kernel_on_an_attached_tracepoint => [kernel],
    task_ns::ns_pid_tgid_matches_the_kernel => [kernel],
    tunnel::tunnel_keys_match_the_kernel => [kernel],
    sk_storage::sk_storage_matches_the_kernel => [kernel],
}

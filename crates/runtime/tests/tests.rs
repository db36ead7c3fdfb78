//! bpfbox-runtime against the kernel's BPF_PROG_TEST_RUN: every program of
//! tests/progs/runtime runs on both with the same inputs; retval, errno,
//! data_out, data_size_out and ctx_out must be identical.

mod events_cgroup;
mod events_sock;
mod events_trace;
mod kernel_compare;
mod maps_compare;
mod misc_helpers;

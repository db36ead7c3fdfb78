// SPDX-License-Identifier: MIT OR Apache-2.0
// Returns a random number: bpfbox's seeded generator and the kernel's
// differ on every run, which is how the tests get a diff with differences
// on every packet (per-packet lines of both engines, the cap on listed
// differences).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int random_verdict(struct xdp_md *ctx)
{
	return bpf_get_prandom_u32();
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";

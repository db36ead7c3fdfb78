// SPDX-License-Identifier: MIT OR Apache-2.0
/* A map type and a helper bpfbox does not have (a user ring buffer drained
 * by bpf_user_ringbuf_drain): `prog list` and `verify` must name both
 * before anything runs.
 */
#include "../common.h"

struct {
	__uint(type, BPF_MAP_TYPE_USER_RINGBUF);
	__uint(max_entries, 4096);
} from_user SEC(".maps");

static long on_sample(struct bpf_dynptr *d, void *ctx)
{
	return 0;
}

SEC("xdp")
int drain(struct xdp_md *ctx)
{
	bpf_user_ringbuf_drain(&from_user, on_sample, (void *)0, 0);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";

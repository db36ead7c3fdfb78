// SPDX-License-Identifier: MIT OR Apache-2.0
/* A tail-call target in an object of its own (loaded into the prog array of
 * chain.o by the setup), with a map and a .rodata config of its own.
 */
#include "../common.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} tail_hits SEC(".maps");

const volatile __u32 tail_verdict = XDP_DROP;

SEC("xdp")
int tail_drop(struct xdp_md *ctx)
{
	__u32 k = 0;
	__u64 *v = bpf_map_lookup_elem(&tail_hits, &k);

	if (v)
		__sync_fetch_and_add(v, 1);
	return tail_verdict;
}

char LICENSE[] SEC("license") = "GPL";

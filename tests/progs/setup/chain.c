// SPDX-License-Identifier: MIT OR Apache-2.0
/* What a loader fills before a run: a map-in-map whose inner map the
 * loader creates and fills (slot 0; the program reads the jump slot from
 * key 1 of it and counts in key 2), and a prog array with no `.values`
 * whose slots the loader fills with programs of this object or another.
 */
#include "../common.h"

struct inner_def {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u32);
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 2);
	__type(key, __u32);
	__array(values, struct inner_def);
} policy SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__array(values, int (void *));
} jumps SEC(".maps");

SEC("xdp")
int chain(struct xdp_md *ctx)
{
	__u32 zero = 0, k_slot = 1, k_count = 2, one = 1;
	__u32 *slot, *n;
	void *inner;

	inner = bpf_map_lookup_elem(&policy, &zero);
	if (!inner)
		return XDP_PASS;
	n = bpf_map_lookup_elem(inner, &k_count);
	if (n)
		__sync_fetch_and_add(n, 1);
	else
		bpf_map_update_elem(inner, &k_count, &one, BPF_ANY);
	slot = bpf_map_lookup_elem(inner, &k_slot);
	if (!slot)
		return XDP_PASS;
	bpf_tail_call(ctx, &jumps, *slot);
	return XDP_ABORTED;
}

SEC("xdp")
int local_tx(struct xdp_md *ctx)
{
	return XDP_TX;
}

char LICENSE[] SEC("license") = "GPL";

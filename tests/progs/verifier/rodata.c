// SPDX-License-Identifier: MIT OR Apache-2.0
/* Frozen read-only data (`const volatile` configuration in .rodata,
 * frozen by the loader): the verifier reads the value, so a branch on it
 * has one side only. */
#include "vc.h"

const volatile __u32 limit = 4;
const volatile __u64 enable_bad = 0;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32[4]);
} arr SEC(".maps");

SEC("socket")
int ok_rodata_bound(struct __sk_buff *skb)
{
	/* the index is bounded by limit (4), which the verifier knows */
	__u32 k = 0, i = skb->len;
	__u32 *v = bpf_map_lookup_elem(&arr, &k);

	if (!v || i >= limit)
		return 0;
	return v[i];
}

SEC("socket")
int ok_rodata_dead_branch(struct __sk_buff *skb)
{
	/* enable_bad is 0: the NULL dereference is never reached */
	if (enable_bad)
		return *(volatile int *)0;
	return 1;
}

SEC("socket")
int bad_rodata_bound_too_big(struct __sk_buff *skb)
{
	/* limit + 1 = 5 slots of a 4-slot value */
	__u32 k = 0, i = skb->len;
	__u32 *v = bpf_map_lookup_elem(&arr, &k);

	if (!v || i > limit)
		return 0;
	return v[i];
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";

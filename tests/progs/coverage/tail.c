// SPDX-License-Identifier: GPL-2.0
/* Tail calls through a prog array filled by `.values` (both engines must
 * load the named programs and put them in the slots): a chain into a
 * program that tail-calls itself until the kernel's limit of 33 stops it,
 * plus calls into an empty slot and past max_entries, which fall through.
 */
#include "cov.h"

RESULTS(8);

int count_self(struct __sk_buff *skb);
int leaf(struct __sk_buff *skb);

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__array(values, int (void *));
} jumps SEC(".maps") = {
	.values = { [1] = (void *)&count_self, [2] = (void *)&leaf },
};

SEC("tc")
int count_self(struct __sk_buff *skb)
{
	__u32 k = 0;
	__u64 *n = bpf_map_lookup_elem(&res, &k);

	if (n)
		*n += 1;
	bpf_tail_call(skb, &jumps, 1);
	/* only reached once the tail call limit is hit */
	PUT(1, skb->len);
	return 5;
}

SEC("tc")
int leaf(struct __sk_buff *skb)
{
	PUT(2, skb->len);
	return 77;
}

SEC("tc")
int entry(struct __sk_buff *skb)
{
	PUT(3, skb->len);
	bpf_tail_call(skb, &jumps, 3); /* empty slot */
	PUT(3, 1);
	bpf_tail_call(skb, &jumps, 4); /* past max_entries */
	PUT(3, 2);
	if (skb->len & 1)
		bpf_tail_call(skb, &jumps, 2);
	bpf_tail_call(skb, &jumps, 1);
	return 1;
}

char LICENSE[] SEC("license") = "GPL";

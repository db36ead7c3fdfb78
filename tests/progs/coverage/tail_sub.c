// SPDX-License-Identifier: GPL-2.0
/* Tail calls from bpf-to-bpf subprograms: the count of 33 is shared across
 * the calls a program makes through subprograms, a failed tail call in a
 * subprogram returns there, and a successful one replaces only the calling
 * subprogram: the new program runs in its frame and its r0 returns to the
 * subprogram's caller, which resumes (the x86-64 JIT's behaviour).
 */
#include "cov.h"

RESULTS(8);

int sub_loop(struct __sk_buff *skb);
int via_global(struct __sk_buff *skb);

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__array(values, int (void *));
} jt SEC(".maps") = {
	.values = { [0] = (void *)&sub_loop, [1] = (void *)&via_global },
};

static __noinline int jump(struct __sk_buff *skb, __u32 slot)
{
	volatile int pad = slot;

	bpf_tail_call(skb, &jt, slot);
	return pad + 100; /* only when the tail call failed */
}

__noinline int global_jump(struct __sk_buff *skb)
{
	if (!skb)
		return 0;
	bpf_tail_call(skb, &jt, 0);
	return 1000;
}

SEC("tc")
int sub_loop(struct __sk_buff *skb)
{
	__u32 k = 0;
	__u64 *n = bpf_map_lookup_elem(&res, &k);

	if (n)
		*n += 1;
	PUT(1, jump(skb, 0));
	return 3;
}

SEC("tc")
int via_global(struct __sk_buff *skb)
{
	PUT(2, skb->len);
	PUT(2, global_jump(skb));
	return 4;
}

SEC("tc")
int start(struct __sk_buff *skb)
{
	PUT(3, jump(skb, 3)); /* empty slot: returns 103 */
	if (skb->len & 1)
		return jump(skb, 1) + 10000;
	return jump(skb, 0) + 20000;
}

char LICENSE[] SEC("license") = "GPL";

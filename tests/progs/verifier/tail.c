// SPDX-License-Identifier: MIT OR Apache-2.0
/* bpf_tail_call takes a prog array. */
#include "vc.h"

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u32);
} progs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u32);
} plain SEC(".maps");

SEC("socket")
int ok_tail_prog_array(struct __sk_buff *skb)
{
	bpf_tail_call(skb, &progs, 1);
	return 0;
}

SEC("socket")
int bad_tail_plain_array(struct __sk_buff *skb)
{
	bpf_tail_call(skb, &plain, 1);
	return 0;
}

SEC("socket")
int ok_tail_var_index(struct __sk_buff *skb)
{
	bpf_tail_call(skb, &progs, skb->len);
	return 0;
}

SEC("socket")
int bad_lookup_prog_array(struct __sk_buff *skb)
{
	/* a prog array has no values to look up from a program */
	__u32 k = 0;

	return bpf_map_lookup_elem(&progs, &k) != 0;
}

SEC("socket")
NAKED int bad_tail_not_ctx(void)
{
	asm volatile("r1 = 0;"
		     "r2 = %[progs] ll;"
		     "r3 = 0;"
		     "call %[tail_call];"
		     "r0 = 0;"
		     "exit;"
		     :: ADDR(progs), FN(tail_call));
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";

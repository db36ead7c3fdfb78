// SPDX-License-Identifier: MIT OR Apache-2.0
/* Callbacks (bpf_loop, bpf_for_each_map_elem) are verified with the
 * arguments the helper passes and must return 0 or 1. */
#include "vc.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} arr SEC(".maps");

struct acc {
	__u64 sum;
};

static int add_idx(__u32 i, struct acc *a)
{
	a->sum += i;
	return 0;
}

static int returns_two(__u32 i, struct acc *a)
{
	a->sum += i;
	return 2;
}

static int reads_past_ctx(__u32 i, struct acc *a)
{
	/* the callback context is the caller's 8-byte stack slot */
	return ((__u64 *)a)[1] & 1;
}

static int stops_early(__u32 i, struct acc *a)
{
	a->sum += i;
	return a->sum > 10;
}

SEC("socket")
int ok_loop(struct __sk_buff *skb)
{
	struct acc a = {};

	bpf_loop(16, add_idx, &a, 0);
	return a.sum;
}

SEC("socket")
int bad_loop_ret_two(struct __sk_buff *skb)
{
	struct acc a = {};

	bpf_loop(16, returns_two, &a, 0);
	return a.sum;
}

SEC("socket")
int bad_loop_past_ctx(struct __sk_buff *skb)
{
	struct acc a = {};

	bpf_loop(16, reads_past_ctx, &a, 0);
	return a.sum;
}

SEC("socket")
int ok_loop_stop(struct __sk_buff *skb)
{
	struct acc a = {};

	bpf_loop(skb->len, stops_early, &a, 0);
	return a.sum;
}

SEC("socket")
int ok_loop_var_flags(struct __sk_buff *skb)
{
	struct acc a = {};
	__u64 flags = skb->len;

	/* flags must be 0, but that is checked when it runs, not by the
	 * verifier */
	bpf_loop(4, add_idx, &a, flags);
	return a.sum;
}

static long sum_elem(void *map, __u32 *key, __u64 *val, struct acc *a)
{
	a->sum += *val;
	return 0;
}

static long write_key(void *map, __u32 *key, __u64 *val, struct acc *a)
{
	*key = 0; /* keys are read-only */
	return 0;
}

static long past_value(void *map, __u32 *key, __u64 *val, struct acc *a)
{
	a->sum += val[1];
	return 0;
}

static long write_value(void *map, __u32 *key, __u64 *val, struct acc *a)
{
	*val += 1;
	return 0;
}

SEC("socket")
int ok_for_each(struct __sk_buff *skb)
{
	struct acc a = {};

	bpf_for_each_map_elem(&arr, sum_elem, &a, 0);
	return a.sum;
}

SEC("socket")
int bad_for_each_write_key(struct __sk_buff *skb)
{
	struct acc a = {};

	bpf_for_each_map_elem(&arr, write_key, &a, 0);
	return a.sum;
}

SEC("socket")
int bad_for_each_past_value(struct __sk_buff *skb)
{
	struct acc a = {};

	bpf_for_each_map_elem(&arr, past_value, &a, 0);
	return a.sum;
}

SEC("socket")
int ok_for_each_write_value(struct __sk_buff *skb)
{
	struct acc a = {};

	bpf_for_each_map_elem(&arr, write_value, &a, 0);
	return a.sum;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";

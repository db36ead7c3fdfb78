// SPDX-License-Identifier: GPL-2.0
/* Map-in-map with __array(values, ...) and its `.values` initializers, and
 * a prog array whose slots are initialized with programs.
 */
#include "common.h"

struct inner {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u32);
};

struct inner inner_a SEC(".maps");
struct inner inner_b SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 4);
	__type(key, __u32);
	__array(values, struct inner);
} outer SEC(".maps") = {
	.values = { [0] = &inner_a, [2] = &inner_b },
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH_OF_MAPS);
	__uint(max_entries, 8);
	__type(key, __u32);
	__array(values, struct {
		__uint(type, BPF_MAP_TYPE_HASH);
		__uint(max_entries, 16);
		__type(key, __u32);
		__type(value, __u64);
	});
} outer_hash SEC(".maps");

int tail_target(struct __sk_buff *skb);

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 3);
	__type(key, __u32);
	__array(values, int (void *));
} jumps SEC(".maps") = {
	.values = { [1] = (void *)&tail_target },
};

SEC("tc")
int tail_target(struct __sk_buff *skb)
{
	return 7;
}

SEC("tc")
int entry(struct __sk_buff *skb)
{
	__u32 k = 2, ik = 1;
	__u32 *v;
	void *m;

	m = bpf_map_lookup_elem(&outer, &k);
	if (m) {
		v = bpf_map_lookup_elem(m, &ik);
		if (v)
			*v += 1;
	}
	m = bpf_map_lookup_elem(&outer_hash, &k);
	if (m)
		bpf_map_delete_elem(m, &ik);
	bpf_tail_call(skb, &jumps, 1);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";

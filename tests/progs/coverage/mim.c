// SPDX-License-Identifier: GPL-2.0
/* Map-in-map with inner hash, per-CPU array, queue and ring buffer
 * templates: lookups of inner maps by packet-derived keys, element
 * updates, deletes, pushes and outputs through the inner map.
 */
#include "cov.h"

RESULTS(8);

struct ih {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8);
	__uint(map_flags, BPF_F_ZERO_SEED);
	__type(key, __u32);
	__type(value, __u64);
};
struct ih ih0 SEC(".maps"), ih1 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 2);
	__type(key, __u32);
	__array(values, struct ih);
} of_hash SEC(".maps") = {
	.values = { &ih0, &ih1 },
};

struct ipa {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u32);
};
struct ipa ipa0 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH_OF_MAPS);
	__uint(max_entries, 4);
	__type(key, __u32);
	__array(values, struct ipa);
} of_pcpu SEC(".maps") = {
	.values = { [2] = &ipa0 },
};

struct iq {
	__uint(type, BPF_MAP_TYPE_QUEUE);
	__uint(max_entries, 3);
	__type(value, __u32);
};
struct iq iq0 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1);
	__type(key, __u32);
	__array(values, struct iq);
} of_queue SEC(".maps") = {
	.values = { &iq0 },
};

struct irb {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
};
struct irb irb0 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1);
	__type(key, __u32);
	__array(values, struct irb);
} of_rb SEC(".maps") = {
	.values = { &irb0 },
};

SEC("tc")
int mim(struct __sk_buff *skb)
{
	__u32 len = skb->len, k = len & 1, ik = len % 5, z = 0, two = 2;
	__u64 v = len, *p;
	void *m;

	m = bpf_map_lookup_elem(&of_hash, &k);
	if (m) {
		PUT(0, bpf_map_update_elem(m, &ik, &v, BPF_NOEXIST));
		p = bpf_map_lookup_elem(m, &ik);
		if (p)
			*p += 1000;
		ik ^= 1;
		PUT(0, bpf_map_delete_elem(m, &ik));
	}
	k = len & 3;
	m = bpf_map_lookup_elem(&of_pcpu, &k);
	PUT(1, m != 0);
	m = bpf_map_lookup_elem(&of_pcpu, &two);
	if (m) {
		__u32 *c = bpf_map_lookup_elem(m, &ik);

		if (c)
			*c += len;
		c = bpf_map_lookup_percpu_elem(m, &ik, 0);
		PUT(1, c ? *c : 1);
	}
	m = bpf_map_lookup_elem(&of_queue, &z);
	if (m) {
		__u32 x = len, y = 0;

		PUT(2, bpf_map_push_elem(m, &x, BPF_EXIST));
		PUT(2, bpf_map_peek_elem(m, &y));
		PUT(2, y);
	}
	m = bpf_map_lookup_elem(&of_rb, &z);
	if (m) {
		PUT(3, bpf_ringbuf_output(m, &v, sizeof(v), 0));
		PUT(3, bpf_ringbuf_query(m, BPF_RB_PROD_POS));
	}
	return 0;
}

char LICENSE[] SEC("license") = "GPL";

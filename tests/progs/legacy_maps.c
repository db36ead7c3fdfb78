// SPDX-License-Identifier: GPL-2.0
/* The pre-BTF `maps` section (struct bpf_map_def), plus a `version`
 * section, in a socket filter.
 */
#include "common.h"

struct bpf_map_def {
	unsigned int type;
	unsigned int key_size;
	unsigned int value_size;
	unsigned int max_entries;
	unsigned int map_flags;
};

struct bpf_map_def SEC("maps") legacy_hash = {
	.type = BPF_MAP_TYPE_HASH,
	.key_size = sizeof(__u32),
	.value_size = sizeof(__u64),
	.max_entries = 32,
};

struct bpf_map_def SEC("maps") legacy_array = {
	.type = BPF_MAP_TYPE_ARRAY,
	.key_size = sizeof(__u32),
	.value_size = sizeof(__u32),
	.max_entries = 8,
	.map_flags = 0,
};

SEC("socket")
int legacy_filter(struct __sk_buff *skb)
{
	__u32 key = skb->protocol;
	__u64 init = 1, *v;
	__u32 *a;

	v = bpf_map_lookup_elem(&legacy_hash, &key);
	if (v)
		*v += 1;
	else
		bpf_map_update_elem(&legacy_hash, &key, &init, BPF_ANY);
	key = 0;
	a = bpf_map_lookup_elem(&legacy_array, &key);
	if (a)
		*a = skb->len;
	return skb->len;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
__u32 VERSION SEC("version") = 0x060000;

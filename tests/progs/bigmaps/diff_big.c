// SPDX-License-Identifier: GPL-2.0
/* The `bpfbox diff` size case: a 1M-entry hash and a 4M-entry array (plus
 * a 4M-entry per-CPU array) of which a run writes a few elements. Each
 * packet counts its source address in the hash, sets the array slot its
 * addresses hash to, and adds its length to a per-CPU slot.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define SLOTS (1 << 22)

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1 << 20);
	__type(key, __u32);
	__type(value, __u64);
} src_count SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SLOTS);
	__type(key, __u32);
	__type(value, __u64);
} slots SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SLOTS);
	__type(key, __u32);
	__type(value, __u32);
} lens SEC(".maps");

SEC("xdp")
int diff_big(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = data + sizeof(*eth);
	__u64 one = 1, *n, *s;
	__u32 *l, idx;

	if ((void *)(ip + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	n = bpf_map_lookup_elem(&src_count, &ip->saddr);
	if (n)
		*n += 1;
	else
		bpf_map_update_elem(&src_count, &ip->saddr, &one, BPF_NOEXIST);
	idx = (ip->saddr * 2654435761u ^ ip->daddr) & (SLOTS - 1);
	s = bpf_map_lookup_elem(&slots, &idx);
	if (s)
		*s = ((__u64)ip->saddr << 32) | ip->daddr;
	idx = (idx * 40503u) & (SLOTS - 1);
	l = bpf_map_lookup_elem(&lens, &idx);
	if (l)
		*l += end - data;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";

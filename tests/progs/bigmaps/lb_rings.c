// SPDX-License-Identifier: GPL-2.0
/* A load balancer's big maps: consistent-hashing rings of 65,537 slots for
 * each of 512 VIPs in one array (33,554,944 entries, as a production L4
 * load balancer declares them), per-VIP per-CPU counters and a 1M-entry
 * connection table. Each packet picks its VIP from the destination
 * address and its ring slot from a hash of the source address and ports,
 * fills the slot on first use and records the connection. A run touches a
 * handful of entries of maps declared with millions.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define RING_SIZE 65537
#define MAX_VIPS 512

struct flow {
	__u32 saddr;
	__u32 daddr;
	__u32 ports;
	__u32 proto;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, RING_SIZE * MAX_VIPS);
	__type(key, __u32);
	__type(value, __u32);
} ch_rings SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, MAX_VIPS * 2048);
	__type(key, __u32);
	__type(value, __u64);
} vip_bytes SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1 << 20);
	__type(key, struct flow);
	__type(value, __u32);
} conns SEC(".maps");

static __always_inline __u32 mix(__u32 a, __u32 b)
{
	a ^= b * 0x9e3779b1;
	a ^= a >> 15;
	a *= 0x85ebca77;
	a ^= a >> 13;
	return a;
}

SEC("xdp")
int lb_rings(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = data + sizeof(*eth);
	struct flow f = {};
	__u32 vip, slot, idx, *backend, be;
	__u64 *bytes;

	if ((void *)(ip + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	f.saddr = ip->saddr;
	f.daddr = ip->daddr;
	f.proto = ip->protocol;
	if ((void *)(ip + 1) + 4 <= end)
		f.ports = *(__u32 *)(ip + 1);
	vip = mix(f.daddr, 0) % MAX_VIPS;
	slot = mix(f.saddr, f.ports) % RING_SIZE;
	idx = vip * RING_SIZE + slot;
	backend = bpf_map_lookup_elem(&ch_rings, &idx);
	if (!backend)
		return XDP_ABORTED;
	if (!*backend)
		*backend = 1 + mix(idx, f.proto) % 100;
	be = *backend;
	/* The last ring slot too, through an update from the program. */
	idx = RING_SIZE * MAX_VIPS - 1 - slot;
	bpf_map_update_elem(&ch_rings, &idx, &be, BPF_ANY);
	idx = vip * 2048 + (be & 2047);
	bytes = bpf_map_lookup_elem(&vip_bytes, &idx);
	if (bytes)
		*bytes += end - data;
	bpf_map_update_elem(&conns, &f, &be, BPF_ANY);
	return be & 1 ? XDP_TX : XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";

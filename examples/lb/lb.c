// SPDX-License-Identifier: MIT OR Apache-2.0
// A load balancer in the style of production XDP L4 balancers, for the
// README's setup example: a VIP table keyed by (address, port, protocol),
// a backend table its control plane sizes (max_entries 0 until the loader
// sets it), per-CPU counters, and `const volatile` configuration the loader
// sets before load. A packet to a known VIP is sent back out (XDP_TX)
// towards its backend: destination address and MAC rewritten, IPv4 checksum
// recomputed. Other packets get the configured default action.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/in.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct vip_key {
	__be32 vip;
	__be16 port;
	__u8 proto;
	__u8 pad;
};

struct vip_meta {
	__u32 flags;
	__u32 backend;		/* index into backends */
};

struct backend {
	__be32 addr;
	__u8 mac[6];
	__u16 weight;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, struct vip_key);
	__type(value, struct vip_meta);
} vips SEC(".maps");

/* sized by the control plane: max_entries 0 here, as real balancers ship */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 0);
	__type(key, __u32);
	__type(value, struct backend);
} backends SEC(".maps");

enum stat { STAT_NO_VIP, STAT_NO_BACKEND, STAT_FORWARDED, STAT_MAX };

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, STAT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

/* configuration set by the loader before load (read-only afterwards) */
const volatile __u32 default_action = XDP_PASS;
const volatile __u8 lb_mac[6] = {};
/* packets forwarded, read by the control plane */
__u64 forwarded = 0;

static __always_inline void count(__u32 s)
{
	__u64 *v = bpf_map_lookup_elem(&stats, &s);

	if (v)
		*v += 1;
}

static __always_inline __u16 ip_csum(struct iphdr *ip)
{
	__u16 *w = (__u16 *)ip;
	__u32 sum = 0;

	ip->check = 0;
#pragma unroll
	for (int i = 0; i < (int)sizeof(*ip) / 2; i++)
		sum += w[i];
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return ~sum;
}

SEC("xdp")
int lb(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = data + sizeof(*eth);
	struct vip_key key = {};
	struct vip_meta *meta;
	struct backend *be;
	__u16 *ports;

	if ((void *)(ip + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP) || ip->ihl != 5)
		return default_action;
	if (ip->protocol != IPPROTO_TCP && ip->protocol != IPPROTO_UDP)
		return default_action;
	ports = (void *)(ip + 1);
	if ((void *)(ports + 2) > end)
		return default_action;
	key.vip = ip->daddr;
	key.port = ports[1];
	key.proto = ip->protocol;
	meta = bpf_map_lookup_elem(&vips, &key);
	if (!meta) {
		count(STAT_NO_VIP);
		return default_action;
	}
	be = bpf_map_lookup_elem(&backends, &meta->backend);
	if (!be) {
		count(STAT_NO_BACKEND);
		return XDP_ABORTED;
	}
	ip->daddr = be->addr;
	ip->check = ip_csum(ip);
	__builtin_memcpy(eth->h_dest, be->mac, ETH_ALEN);
	for (int i = 0; i < ETH_ALEN; i++)
		eth->h_source[i] = lb_mac[i];
	count(STAT_FORWARDED);
	__sync_fetch_and_add(&forwarded, 1);
	return XDP_TX;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";

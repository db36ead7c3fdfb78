// SPDX-License-Identifier: MIT OR Apache-2.0
// A small XDP firewall used by bpfbox's README: drops IPv4 ICMP and UDP to
// port 53 from outside 10.0.0.0/8, answers nothing, passes the rest, bounces
// (XDP_TX) IPv6 packets with hop limit 1 and counts verdicts per protocol.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/in.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 5);
	__type(key, __u32);
	__type(value, __u64);
} verdicts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, __u8);
	__type(value, __u64);
} per_proto SEC(".maps");

static __always_inline int count(int verdict, __u8 proto)
{
	__u32 k = verdict;
	__u64 one = 1, *v = bpf_map_lookup_elem(&verdicts, &k);
	if (v)
		__sync_fetch_and_add(v, 1);
	v = bpf_map_lookup_elem(&per_proto, &proto);
	if (v)
		__sync_fetch_and_add(v, 1);
	else
		bpf_map_update_elem(&per_proto, &proto, &one, BPF_NOEXIST);
	return verdict;
}

SEC("xdp")
int xdp_filter(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;

	if ((void *)(eth + 1) > data_end)
		return count(XDP_ABORTED, 0);
	if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = (void *)(eth + 1);
		if ((void *)(ip6 + 1) > data_end)
			return count(XDP_DROP, 0);
		if (ip6->hop_limit == 1)
			return count(XDP_TX, ip6->nexthdr);
		return count(XDP_PASS, ip6->nexthdr);
	}
	if (eth->h_proto != bpf_htons(ETH_P_IP))
		return count(XDP_PASS, 0);
	struct iphdr *ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > data_end)
		return count(XDP_DROP, 0);
	if (ip->protocol == IPPROTO_ICMP)
		return count(XDP_DROP, ip->protocol);
	if (ip->protocol == IPPROTO_UDP) {
		struct udphdr *udp = (void *)ip + ip->ihl * 4;
		if ((void *)(udp + 1) > data_end)
			return count(XDP_DROP, ip->protocol);
		if (udp->dest == bpf_htons(53) &&
		    (bpf_ntohl(ip->saddr) >> 24) != 10)
			return count(XDP_DROP, ip->protocol);
	}
	return count(XDP_PASS, ip->protocol);
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";

// SPDX-License-Identifier: MIT OR Apache-2.0
// Drops UDP to port 53 over IPv4 and IPv6, passes everything else, as an
// XDP program, a tc program (both see the Ethernet frame) and a
// cgroup_skb program (sees the packet from its IP header; the protocol
// comes from skb->protocol). Each counts its verdicts in `seen`. A capture
// read with the wrong link type passes what these drop.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/in.h>
#include <linux/udp.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} seen SEC(".maps");

static __always_inline void count(__u32 dropped)
{
	__u64 *v = bpf_map_lookup_elem(&seen, &dropped);
	if (v)
		__sync_fetch_and_add(v, 1);
}

/* Whether the L3 packet at `l3` (protocol `proto`, network order) is UDP
 * to port 53. */
static __always_inline int udp53(void *l3, void *end, __u16 proto)
{
	struct udphdr *udp;

	if (proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = l3;
		if ((void *)(ip + 1) > end || ip->protocol != IPPROTO_UDP)
			return 0;
		udp = l3 + ip->ihl * 4;
	} else if (proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = l3;
		if ((void *)(ip6 + 1) > end || ip6->nexthdr != IPPROTO_UDP)
			return 0;
		udp = (void *)(ip6 + 1);
	} else {
		return 0;
	}
	if ((void *)(udp + 1) > end)
		return 0;
	return udp->dest == bpf_htons(53);
}

SEC("xdp")
int xdp_udp53(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;

	if ((void *)(eth + 1) > end)
		return XDP_PASS;
	int drop = udp53(eth + 1, end, eth->h_proto);
	count(drop);
	return drop ? XDP_DROP : XDP_PASS;
}

SEC("tc")
int tc_udp53(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;

	if ((void *)(eth + 1) > end)
		return TC_ACT_OK;
	int drop = udp53(eth + 1, end, eth->h_proto);
	count(drop);
	return drop ? TC_ACT_SHOT : TC_ACT_OK;
}

SEC("cgroup_skb/ingress")
int cg_udp53(struct __sk_buff *skb)
{
	struct udphdr udp;
	__u32 l4;
	__u8 next;

	if (skb->protocol == bpf_htons(ETH_P_IP)) {
		struct iphdr ip;
		if (bpf_skb_load_bytes(skb, 0, &ip, sizeof(ip)))
			return 1;
		next = ip.protocol;
		l4 = ip.ihl * 4;
	} else if (skb->protocol == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr ip6;
		if (bpf_skb_load_bytes(skb, 0, &ip6, sizeof(ip6)))
			return 1;
		next = ip6.nexthdr;
		l4 = sizeof(ip6);
	} else {
		return 1;
	}
	int drop = next == IPPROTO_UDP && !bpf_skb_load_bytes(skb, l4, &udp, sizeof(udp)) &&
		   udp.dest == bpf_htons(53);
	count(drop);
	return drop ? 0 : 1;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";

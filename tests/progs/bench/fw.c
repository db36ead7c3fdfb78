// SPDX-License-Identifier: MIT OR Apache-2.0
/* A tc firewall, written to be verified the hard way: Ethernet, IPv4 or
 * IPv6, TCP/UDP/ICMP; a connection table that lets established flows
 * through; otherwise an ordered rule list walked rule by rule (prefix
 * masks, port ranges, protocol, interface), first match wins; per-rule
 * counters; rate limiting by source with a token bucket; a log record in
 * a ring buffer for drops. Loops are bounded loops the verifier walks. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/in.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define MAX_RULES 416
#define NO_UNROLL _Pragma("clang loop unroll(disable)")

enum action { ACT_PASS = 1, ACT_DROP = 2, ACT_LIMIT = 3 };

struct tuple {
	__u32 src[4];
	__u32 dst[4];
	__u16 sport;
	__u16 dport;
	__u8 proto;
	__u8 v6;
	__u16 pad;
};

struct rule {
	__u32 src[4];
	__u32 src_mask[4];
	__u32 dst[4];
	__u32 dst_mask[4];
	__u16 dport_lo;
	__u16 dport_hi;
	__u8 proto;
	__u8 v6;
	__u8 action;
	__u8 used;
	__u32 ifindex;
};

struct bucket {
	__u64 last_ns;
	__u64 tokens;
};

struct drop_log {
	struct tuple t;
	__u32 rule;
	__u32 reason;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MAX_RULES);
	__type(key, __u32);
	__type(value, struct rule);
} rules SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, MAX_RULES + 1);
	__type(key, __u32);
	__type(value, __u64);
} hits SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct tuple);
	__type(value, __u64);
} established SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, struct bucket);
} limits SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 16);
} drops SEC(".maps");

static __always_inline int prefix_match(const __u32 *a, const __u32 *net,
					const __u32 *mask, int v6)
{
	if ((a[0] & mask[0]) != net[0])
		return 0;
	if (!v6)
		return 1;
	return (a[1] & mask[1]) == net[1] && (a[2] & mask[2]) == net[2] &&
	       (a[3] & mask[3]) == net[3];
}

static __always_inline int parse(struct __sk_buff *skb, struct tuple *t)
{
	void *data = (void *)(long)skb->data;
	void *end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	void *l4;

	if ((void *)(eth + 1) > end)
		return -1;
	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = (void *)(eth + 1);

		if ((void *)(ip + 1) > end || ip->ihl < 5)
			return -1;
		t->src[0] = ip->saddr;
		t->dst[0] = ip->daddr;
		t->proto = ip->protocol;
		l4 = (void *)ip + ip->ihl * 4;
	} else if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = (void *)(eth + 1);

		if ((void *)(ip6 + 1) > end)
			return -1;
		__builtin_memcpy(t->src, &ip6->saddr, 16);
		__builtin_memcpy(t->dst, &ip6->daddr, 16);
		t->proto = ip6->nexthdr;
		t->v6 = 1;
		l4 = ip6 + 1;
	} else {
		return 1;
	}
	if (t->proto == IPPROTO_TCP || t->proto == IPPROTO_UDP) {
		struct udphdr *u = l4; /* ports at the same place in both */

		if ((void *)(u + 1) > end)
			return -1;
		t->sport = bpf_ntohs(u->source);
		t->dport = bpf_ntohs(u->dest);
	}
	return 0;
}

static __always_inline int rate_ok(__u32 src)
{
	struct bucket *b = bpf_map_lookup_elem(&limits, &src);
	__u64 now = bpf_ktime_get_ns();

	if (!b) {
		struct bucket fresh = { .last_ns = now, .tokens = 99 };

		bpf_map_update_elem(&limits, &src, &fresh, BPF_ANY);
		return 1;
	}
	b->tokens += (now - b->last_ns) / 10000000;
	if (b->tokens > 100)
		b->tokens = 100;
	b->last_ns = now;
	if (!b->tokens)
		return 0;
	b->tokens--;
	return 1;
}

static __always_inline void log_drop(struct tuple *t, __u32 rule, __u32 reason)
{
	struct drop_log *l = bpf_ringbuf_reserve(&drops, sizeof(*l), 0);

	if (!l)
		return;
	__builtin_memcpy(&l->t, t, sizeof(*t));
	l->rule = rule;
	l->reason = reason;
	bpf_ringbuf_submit(l, 0);
}

SEC("tc")
int firewall(struct __sk_buff *skb)
{
	struct tuple t = {};
	__u32 matched = MAX_RULES, action = ACT_PASS;
	__u64 *seen, *hit;
	int r = parse(skb, &t);

	if (r < 0) {
		log_drop(&t, MAX_RULES, 1);
		return TC_ACT_SHOT;
	}
	if (r > 0)
		return TC_ACT_OK;
	seen = bpf_map_lookup_elem(&established, &t);
	if (seen) {
		*seen = bpf_ktime_get_ns();
		return TC_ACT_OK;
	}
	NO_UNROLL
	for (__u32 i = 0; i < MAX_RULES; i++) {
		struct rule *ru = bpf_map_lookup_elem(&rules, &i);

		if (!ru || !ru->used)
			break;
		if (ru->v6 != t.v6 || (ru->proto && ru->proto != t.proto))
			continue;
		if (ru->ifindex && ru->ifindex != skb->ingress_ifindex)
			continue;
		if (t.dport < ru->dport_lo || t.dport > ru->dport_hi)
			continue;
		if (!prefix_match(t.src, ru->src, ru->src_mask, t.v6))
			continue;
		if (!prefix_match(t.dst, ru->dst, ru->dst_mask, t.v6))
			continue;
		matched = i;
		action = ru->action;
		break;
	}
	hit = bpf_map_lookup_elem(&hits, &matched);
	if (hit)
		*hit += 1;
	if (action == ACT_LIMIT)
		action = rate_ok(t.src[0]) ? ACT_PASS : ACT_DROP;
	if (action == ACT_DROP) {
		log_drop(&t, matched, 2);
		return TC_ACT_SHOT;
	}
	if (t.proto == IPPROTO_TCP) {
		__u64 now = bpf_ktime_get_ns();

		bpf_map_update_elem(&established, &t, &now, BPF_ANY);
	}
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";

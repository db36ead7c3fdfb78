// SPDX-License-Identifier: MIT OR Apache-2.0
/* An XDP layer-4 load balancer, written to be verified the hard way:
 * Ethernet with up to two VLAN tags, IPv4 (with options) and IPv6 (with
 * up to eight extension headers), TCP (with its options: MSS clamping)
 * and UDP; a VIP table, a connection
 * table (LRU), a consistent-hashing ring walked with bounded loops, per-CPU
 * statistics, and IP-in-IP encapsulation towards the chosen backend with
 * the outer header checksum computed in a loop. Loops are bounded loops
 * the verifier walks, not bpf_loop. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/in.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define MAX_VLANS 2
#define MAX_EXT_HDRS 8
#define MAX_TCP_OPTS 6
#define RING_SIZE 64
#define RING_PROBES 16
#define NO_UNROLL _Pragma("clang loop unroll(disable)")
#define MAX_BACKENDS 256

struct vlan_hdr {
	__be16 tci;
	__be16 proto;
};

struct flow {
	__u32 src[4];
	__u32 dst[4];
	__u16 sport;
	__u16 dport;
	__u8 proto;
	__u8 v6;
	__u16 pad;
};

struct vip_key {
	__u32 addr[4];
	__u16 port;
	__u8 proto;
	__u8 v6;
};

struct vip {
	__u32 ring_base;
	__u32 flags;
};

struct backend {
	__u32 addr;
	__u32 weight;
	__u8 mac[6];
	__u16 up;
};

struct stats {
	__u64 packets;
	__u64 bytes;
	__u64 new_flows;
	__u64 drops;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 512);
	__type(key, struct vip_key);
	__type(value, struct vip);
} vips SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct flow);
	__type(value, __u32);
} conns SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 512 * RING_SIZE);
	__type(key, __u32);
	__type(value, __u32);
} ring SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MAX_BACKENDS);
	__type(key, __u32);
	__type(value, struct backend);
} backends SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, struct stats);
} stats SEC(".maps");

static __always_inline __u32 mix(__u32 h, __u32 v)
{
	h ^= v;
	h *= 0x01000193;
	h ^= h >> 15;
	return h;
}

static __always_inline void count(__u32 idx, __u64 bytes, int new_flow, int drop)
{
	struct stats *s = bpf_map_lookup_elem(&stats, &idx);

	if (!s)
		return;
	s->packets++;
	s->bytes += bytes;
	s->new_flows += new_flow;
	s->drops += drop;
}

/* Walks the first options of a SYN and lowers an MSS above 1400. */
static __always_inline void clamp_mss(struct tcphdr *t, void *end)
{
	__u8 *opt = (__u8 *)(t + 1);
	__u32 len = t->doff * 4;
	__u32 i = 0;

	if (len <= sizeof(*t))
		return;
	len -= sizeof(*t);
	NO_UNROLL
	for (int n = 0; n < MAX_TCP_OPTS; n++) {
		__u8 *p = opt + (i & 63);
		__u8 kind, olen;

		if (i >= len || (void *)(p + 4) > end)
			break;
		kind = p[0];
		if (kind == 0)
			break;
		if (kind == 1) {
			i++;
			continue;
		}
		olen = p[1];
		if (olen < 2)
			break;
		if (kind == 2 && olen == 4) {
			__u16 mss = (p[2] << 8) | p[3];

			if (mss > 1400) {
				p[2] = 1400 >> 8;
				p[3] = 1400 & 0xff;
			}
		}
		i += olen;
	}
}

static __always_inline int parse_l4(void *l4, void *end, struct flow *f)
{
	if (f->proto == IPPROTO_TCP) {
		struct tcphdr *t = l4;

		if ((void *)(t + 1) > end)
			return -1;
		if (t->syn && t->ack)
			return -1;
		if (t->syn)
			clamp_mss(t, end);
		f->sport = t->source;
		f->dport = t->dest;
		return 0;
	}
	if (f->proto == IPPROTO_UDP) {
		struct udphdr *u = l4;

		if ((void *)(u + 1) > end)
			return -1;
		f->sport = u->source;
		f->dport = u->dest;
		return 0;
	}
	return -1;
}

static __always_inline int parse_v6(void *data, void *end, __u64 off, struct flow *f)
{
	struct ipv6hdr *ip6 = data + off;
	__u8 next;

	if ((void *)(ip6 + 1) > end)
		return -1;
	__builtin_memcpy(f->src, &ip6->saddr, 16);
	__builtin_memcpy(f->dst, &ip6->daddr, 16);
	f->v6 = 1;
	next = ip6->nexthdr;
	off += sizeof(*ip6);
	NO_UNROLL
	for (int i = 0; i < MAX_EXT_HDRS; i++) {
		__u8 *ext = data + off;

		if (next != IPPROTO_HOPOPTS && next != IPPROTO_ROUTING &&
		    next != IPPROTO_DSTOPTS)
			break;
		if ((void *)(ext + 2) > end)
			return -1;
		next = ext[0];
		off += (ext[1] + 1) * 8;
		if (off > 512)
			return -1;
	}
	f->proto = next;
	return parse_l4(data + off, end, f);
}

static __always_inline int parse_v4(void *data, void *end, __u64 off, struct flow *f)
{
	struct iphdr *ip = data + off;
	__u32 ihl;

	if ((void *)(ip + 1) > end)
		return -1;
	ihl = ip->ihl * 4;
	if (ihl < sizeof(*ip))
		return -1;
	if (ip->frag_off & bpf_htons(0x3fff))
		return -1;
	f->src[0] = ip->saddr;
	f->dst[0] = ip->daddr;
	f->proto = ip->protocol;
	return parse_l4(data + off + ihl, end, f);
}

static __always_inline __u32 flow_hash(struct flow *f)
{
	__u32 h = 0x811c9dc5;

	NO_UNROLL
	for (int i = 0; i < 4; i++) {
		h = mix(h, f->src[i]);
		h = mix(h, f->dst[i]);
	}
	h = mix(h, ((__u32)f->sport << 16) | f->dport);
	return mix(h, f->proto);
}

/* Walks the VIP's ring from the flow's hash to the first backend that is
 * up. */
static __always_inline int pick_backend(struct vip *v, __u32 hash, __u32 *out)
{
	NO_UNROLL
	for (int probe = 0; probe < RING_PROBES; probe++) {
		__u32 slot = v->ring_base * RING_SIZE + ((hash + probe * 7) % RING_SIZE);
		__u32 *id = bpf_map_lookup_elem(&ring, &slot);
		struct backend *b;

		if (!id)
			return -1;
		b = bpf_map_lookup_elem(&backends, id);
		if (!b)
			continue;
		if (b->up && b->weight) {
			*out = *id;
			return 0;
		}
	}
	return -1;
}

static __always_inline __u16 csum_fold(__u32 sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return ~sum;
}

static __always_inline int encap(struct xdp_md *ctx, struct backend *b, __u32 inner_len)
{
	void *data, *end;
	struct ethhdr *eth;
	struct iphdr *outer;
	__u16 *words;
	__u32 sum = 0;

	if (bpf_xdp_adjust_head(ctx, 0 - (int)sizeof(struct iphdr)))
		return -1;
	data = (void *)(long)ctx->data;
	end = (void *)(long)ctx->data_end;
	eth = data;
	outer = data + sizeof(*eth);
	if ((void *)(outer + 1) > end)
		return -1;
	__builtin_memcpy(eth->h_dest, b->mac, 6);
	eth->h_proto = bpf_htons(ETH_P_IP);
	outer->version = 4;
	outer->ihl = 5;
	outer->tos = 0;
	outer->tot_len = bpf_htons(inner_len + sizeof(*outer));
	outer->id = 0;
	outer->frag_off = 0;
	outer->ttl = 64;
	outer->protocol = IPPROTO_IPIP;
	outer->check = 0;
	outer->saddr = bpf_htonl(0x0a000001);
	outer->daddr = b->addr;
	words = (__u16 *)outer;
	NO_UNROLL
	for (int i = 0; i < (int)sizeof(*outer) / 2; i++)
		sum += words[i];
	outer->check = csum_fold(sum);
	return 0;
}

SEC("xdp")
int balance(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct flow f = {};
	struct vip_key vk = {};
	struct vip *v;
	struct backend *b;
	__u32 *cached, id = 0, hash, len = end - data;
	__u64 off = sizeof(*eth);
	__u16 proto;
	int new_flow = 0, r;

	if ((void *)(eth + 1) > end)
		return XDP_DROP;
	proto = eth->h_proto;
	NO_UNROLL
	for (int i = 0; i < MAX_VLANS; i++) {
		struct vlan_hdr *vh = data + off;

		if (proto != bpf_htons(ETH_P_8021Q) && proto != bpf_htons(ETH_P_8021AD))
			break;
		if ((void *)(vh + 1) > end)
			return XDP_DROP;
		proto = vh->proto;
		off += sizeof(*vh);
	}
	if (proto == bpf_htons(ETH_P_IP))
		r = parse_v4(data, end, off, &f);
	else if (proto == bpf_htons(ETH_P_IPV6))
		r = parse_v6(data, end, off, &f);
	else
		return XDP_PASS;
	if (r < 0) {
		count(0, len, 0, 1);
		return XDP_PASS;
	}
	__builtin_memcpy(vk.addr, f.dst, 16);
	vk.port = f.dport;
	vk.proto = f.proto;
	vk.v6 = f.v6;
	v = bpf_map_lookup_elem(&vips, &vk);
	if (!v) {
		vk.port = 0;
		v = bpf_map_lookup_elem(&vips, &vk);
		if (!v)
			return XDP_PASS;
	}
	cached = bpf_map_lookup_elem(&conns, &f);
	if (cached) {
		id = *cached;
	} else {
		hash = flow_hash(&f);
		if (pick_backend(v, hash, &id) < 0) {
			count(1, len, 0, 1);
			return XDP_DROP;
		}
		bpf_map_update_elem(&conns, &f, &id, BPF_ANY);
		new_flow = 1;
	}
	b = bpf_map_lookup_elem(&backends, &id);
	if (!b)
		return XDP_DROP;
	if (encap(ctx, b, len - sizeof(*eth)) < 0) {
		count(2, len, new_flow, 1);
		return XDP_DROP;
	}
	count(3, len, new_flow, 0);
	return XDP_TX;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";

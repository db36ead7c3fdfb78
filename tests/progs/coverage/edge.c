// SPDX-License-Identifier: GPL-2.0
/* Edge cases of the helpers: flag combinations, out-of-range offsets and
 * sizes, encapsulation flags of skb_adjust_room, checksum flags, format
 * specifiers of snprintf, limits of bpf_loop, csum_diff and the ring
 * buffer. Return codes go to `res`, packets to data_out.
 */
#include "cov.h"

RESULTS(48);

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, char[64]);
} strs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} rb SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 3);
	__type(key, __u32);
	__type(value, __u64);
} pa SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 32);
	__type(key, __u32);
	__type(value, __u64);
} lru SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __be32[130]);
} bigbuf SEC(".maps");

SEC("tc")
int room_encap(struct __sk_buff *skb)
{
	__u64 f4 = BPF_F_ADJ_ROOM_ENCAP_L3_IPV4;
	__u64 f6 = BPF_F_ADJ_ROOM_ENCAP_L3_IPV6;

	PUT(0, bpf_skb_adjust_room(skb, 28, BPF_ADJ_ROOM_MAC, f4 | BPF_F_ADJ_ROOM_ENCAP_L4_UDP));
	PUT(0, skb->len);
	PUT(0, bpf_skb_adjust_room(skb, 24, BPF_ADJ_ROOM_MAC, f4 | BPF_F_ADJ_ROOM_ENCAP_L4_GRE));
	PUT(0, bpf_skb_adjust_room(skb, 40, BPF_ADJ_ROOM_MAC, f6));
	PUT(0, bpf_skb_adjust_room(skb, 8, BPF_ADJ_ROOM_MAC, f4 | f6)); /* both L3 */
	PUT(0, bpf_skb_adjust_room(skb, 20 + 14, BPF_ADJ_ROOM_MAC,
				   f4 | BPF_F_ADJ_ROOM_ENCAP_L2(14) | BPF_F_ADJ_ROOM_ENCAP_L2_ETH));
	PUT(0, bpf_skb_adjust_room(skb, 8, BPF_ADJ_ROOM_NET, BPF_F_ADJ_ROOM_FIXED_GSO));
	PUT(0, bpf_skb_adjust_room(skb, 8, BPF_ADJ_ROOM_NET, BPF_F_ADJ_ROOM_NO_CSUM_RESET));
	PUT(0, bpf_skb_adjust_room(skb, -4, BPF_ADJ_ROOM_MAC, 0));
	PUT(0, bpf_skb_adjust_room(skb, -2000, BPF_ADJ_ROOM_NET, 0));
	PUT(0, bpf_skb_adjust_room(skb, 0x4000, BPF_ADJ_ROOM_NET, 0));
	PUT(0, bpf_skb_adjust_room(skb, 8, BPF_ADJ_ROOM_NET, 1ULL << 20)); /* unknown flag */
	PUT(0, bpf_skb_adjust_room(skb, -8, BPF_ADJ_ROOM_NET, f4)); /* encap on shrink */
	PUT(0, skb->len);
	PUT(0, skb->protocol);
	return 0;
}

SEC("tc")
int csum_flags(struct __sk_buff *skb)
{
	__u8 proto = 0;
	__u32 l4 = 0;
	__be16 zero = 0;

	if (skb->protocol == bpf_htons(ETH_P_IP)) {
		bpf_skb_load_bytes(skb, 23, &proto, 1);
		l4 = proto == IPPROTO_UDP ? 40 : proto == IPPROTO_TCP ? 50 : 0;
	} else if (skb->protocol == bpf_htons(ETH_P_IPV6)) {
		bpf_skb_load_bytes(skb, 20, &proto, 1);
		l4 = proto == IPPROTO_UDP ? 60 : proto == IPPROTO_TCP ? 70 : 0;
	}
	if (l4) {
		/* UDP with a zero checksum: MANGLED_0 leaves it (or writes 0xffff
		 * with ENFORCE) */
		if (proto == IPPROTO_UDP)
			bpf_skb_store_bytes(skb, l4, &zero, 2, 0);
		PUT(1, bpf_l4_csum_replace(skb, l4, 0, bpf_htons(0x1234), 2 | BPF_F_MARK_MANGLED_0));
		PUT(1, bpf_l4_csum_replace(skb, l4, 0x1234, 0x4321, 2 | BPF_F_MARK_MANGLED_0 | BPF_F_MARK_ENFORCE));
		PUT(1, bpf_l4_csum_replace(skb, l4, 1, 2, 4 | BPF_F_PSEUDO_HDR | BPF_F_IPV6));
		PUT(1, bpf_l4_csum_replace(skb, l4, 0, 0x1111, 0)); /* size 0: diff */
		PUT(1, bpf_l4_csum_replace(skb, l4, 0, 0, 8)); /* bad size */
		PUT(1, bpf_l4_csum_replace(skb, l4, 0, 0, 1ULL << 9)); /* unknown flag */
		PUT(1, bpf_l3_csum_replace(skb, 24, 0, 0x2222, 0));
		PUT(1, bpf_l3_csum_replace(skb, 24, 0, 0, BPF_F_PSEUDO_HDR | 2));
		PUT(1, bpf_l3_csum_replace(skb, skb->len - 1, 0, 1, 2));
	}
	PUT(1, bpf_skb_store_bytes(skb, 0, &zero, 2, 1ULL << 3)); /* unknown flag */
	PUT(1, bpf_skb_change_proto(skb, bpf_htons(ETH_P_IPV6), 1)); /* flags */
	PUT(1, bpf_skb_change_tail(skb, 0x10000, 0));
	PUT(1, bpf_skb_change_tail(skb, 14, 0));
	PUT(1, bpf_skb_change_tail(skb, 13, 0));
	PUT(1, skb->len);
	PUT(1, bpf_skb_change_head(skb, 0x8000, 0));
	PUT(1, bpf_skb_vlan_push(skb, bpf_htons(ETH_P_8021Q), 0xffff));
	PUT(1, bpf_skb_vlan_pop(skb));
	PUT(1, bpf_skb_vlan_pop(skb));
	PUT(1, skb->vlan_present);
	return 0;
}

SEC("tc")
int loads(struct __sk_buff *skb)
{
	__u8 b[64] = {};
	__u32 i;

	for (i = 0; i < 8; i++) {
		__u32 off = i * 9;

		PUT(2, bpf_skb_load_bytes(skb, off, b, 64));
		PUT(2, bpf_skb_load_bytes_relative(skb, off, b, 16, BPF_HDR_START_NET));
		PUT(2, b[0] | b[15] << 8);
	}
	PUT(2, bpf_skb_load_bytes(skb, 0xffffffff, b, 4));
	PUT(2, bpf_skb_load_bytes_relative(skb, 0, b, 4, BPF_HDR_START_MAC));
	PUT(2, bpf_skb_pull_data(skb, 0));
	PUT(2, bpf_skb_pull_data(skb, 0xffff));
	return 0;
}

static long count(__u64 i, __u64 *c)
{
	*c += i;
	return *c > 100;
}

/* order-independent: LRU hash iteration order follows a random seed */
static long visit(void *map, __u32 *k, __u64 *v, __u64 *c)
{
	*c += (*k + 1) * 1000 + *v;
	return 0;
}

SEC("xdp")
int limits(struct xdp_md *ctx)
{
	__u64 c = 0, one = 1, *p;
	__u32 len = ctx->data_end - ctx->data, k = 0;
	char *s;
	void *r;

	/* above BPF_MAX_LOOPS (the inlined loop answers a 32-bit -E2BIG) */
	PUT(3, bpf_loop(1 << 24, count, &c, 0));
	PUT(3, bpf_loop(0, count, &c, 0));
	PUT(3, bpf_loop(50, count, &c, 0));
	PUT(3, c);

	p = bpf_map_lookup_elem(&pa, &k);
	if (p)
		*p += len;
	bpf_map_update_elem(&lru, &len, &one, BPF_ANY);
	c = 0;
	PUT(4, bpf_for_each_map_elem(&pa, visit, &c, 0));
	PUT(4, bpf_for_each_map_elem(&lru, visit, &c, 0));
	PUT(4, bpf_for_each_map_elem(&lru, visit, &c, 1));
	PUT(4, c);

	k = 0;
	__be32 *big = bpf_map_lookup_elem(&bigbuf, &k);
	if (big) {
		big[0] = len;
		PUT(5, bpf_csum_diff(big, 512, 0, 0, 0));
		PUT(5, bpf_csum_diff(big, 516, 0, 0, 0));
		PUT(5, bpf_csum_diff(big, 4, big, 8, 7));
		PUT(5, bpf_csum_diff(0, 0, 0, 0, 0xffffffff));
	}

	r = bpf_ringbuf_reserve(&rb, 16, 1); /* flags */
	PUT(6, r != 0);
	if (r)
		bpf_ringbuf_discard(r, 0);
	r = bpf_ringbuf_reserve(&rb, 5000, 0); /* bigger than the ring */
	PUT(6, r != 0);
	if (r)
		bpf_ringbuf_discard(r, 0);
	PUT(6, bpf_ringbuf_output(&rb, &one, 8, 4)); /* unknown flag */
	PUT(6, bpf_ringbuf_output(&rb, &one, 0, 0)); /* empty record */
	PUT(6, bpf_ringbuf_query(&rb, 9));
	PUT(6, bpf_ringbuf_query(&rb, BPF_RB_AVAIL_DATA));

	k = len & 3;
	s = bpf_map_lookup_elem(&strs, &k);
	if (s) {
		__u64 a[8] = { len, (__u64)-len, 0x1234abcd, 0xdeadbeefcafeULL,
			       (__u64)(long)"str", 'x', 0x0a000001, 0 };
		__u64 n[4] = { len, (__u64)-len, 0x1234abcd, -5 };

		PUT(7, bpf_snprintf(s, 64, "%u %d %x %llx %s %c%%", a, 48));
		PUT(7, bpf_snprintf(s, 64, "[%5d|%-5u|%05x|%ld]", n, 32));
		PUT(7, bpf_snprintf(s, 64, "%lli %llu %lx %i", n, 32));
		PUT(7, bpf_snprintf(s, 4, "%u%u%u", a, 24)); /* truncated */
		PUT(7, bpf_snprintf(s, 64, "%pI4", (__u64 *)&a[4], 8));
		PUT(7, bpf_snprintf(s, 64, "%s|", a, 8)); /* not a string */
		PUT(7, bpf_snprintf(0, 0, "%u", a, 8));
	}
	PUT(8, bpf_xdp_adjust_tail(ctx, 4096));
	PUT(8, bpf_xdp_adjust_tail(ctx, 256));
	PUT(8, bpf_xdp_adjust_head(ctx, (int)len));
	PUT(8, bpf_xdp_adjust_head(ctx, -256 + 40));
	PUT(8, bpf_xdp_adjust_head(ctx, -256));
	PUT(8, bpf_xdp_adjust_meta(ctx, -256));
	PUT(8, bpf_xdp_adjust_meta(ctx, -32));
	PUT(8, bpf_xdp_adjust_meta(ctx, 4));
	PUT(8, ctx->data_end - ctx->data);
	PUT(8, ctx->data - ctx->data_meta);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";

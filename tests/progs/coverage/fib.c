// SPDX-License-Identifier: GPL-2.0
/* bpf_fib_lookup from XDP and tc. The kernel side runs in a network
 * namespace the test builds (crates/bpfbox/tests/suite/fibnet.rs: lo plus
 * a veth pair with addresses, gateway/direct/blackhole/unreachable/prohibit
 * routes and permanent neighbours), bpfbox with the same tables in its
 * HostState. Every case's return code and the whole params struct after
 * the call land in maps.
 */
#include "cov.h"

#define NCASES 40

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, NCASES);
	__type(key, __u32);
	__type(value, struct bpf_fib_lookup);
} outs SEC(".maps");

RESULTS(NCASES + 1);

struct fcase {
	__u8 family;
	__u8 pad;
	__u16 tot_len;
	__u32 ifindex; /* 0: the veth named by `which` */
	__u32 flags;
	__u32 tbid;
	__u32 addr[4];
	__u32 which; /* 1: ve0, 2: ve1 (filled in by the test's ifindexes) */
};

/* BPF_FIB_LOOKUP_MARK and params->mark (6.18 uapi; the installed header
 * predates them): mark shares offset 52 with smac */
#define FIB_MARK (1U << 5)
#define V4(a, b, c, d) { (__u32)((a) | (b) << 8 | (c) << 16 | (d) << 24) }
#define V6(a, b, c, d) { bpf_htonl(a), bpf_htonl(b), bpf_htonl(c), bpf_htonl(d) }
#define F(fl) BPF_FIB_LOOKUP_##fl

const volatile struct fcase cases[NCASES] = {
	{ 2, 0, 0, 1, 0, 0, V4(192, 0, 2, 9) },
	{ 2, 0, 0, 1, F(SKIP_NEIGH), 0, V4(192, 0, 2, 9) },
	{ 2, 0, 0, 1, F(SRC), 0, V4(192, 0, 2, 9) },
	{ 2, 0, 1600, 1, 0, 0, V4(192, 0, 2, 9) },
	{ 2, 0, 1450, 1, 0, 0, V4(198, 51, 100, 7) },
	{ 2, 0, 100, 1, 0, 0, V4(198, 51, 100, 7) },
	{ 2, 0, 0, 1, 0, 0, V4(198, 51, 100, 8) },
	{ 2, 0, 0, 1, 0, 0, V4(203, 0, 113, 5) },
	{ 2, 0, 0, 1, 0, 0, V4(203, 0, 113, 200) },
	{ 2, 0, 0, 1, 0, 0, V4(198, 18, 0, 1) },
	{ 2, 0, 0, 1, 0, 0, V4(10, 0, 0, 1) },
	{ 2, 0, 0, 1, F(DIRECT), 0, V4(10, 0, 0, 1) },
	{ 2, 0, 0, 1, 0, 0, V4(10, 0, 0, 255) },
	{ 2, 0, 0, 1, 0, 0, V4(8, 8, 8, 8) },
	{ 2, 0, 0, 1, F(DIRECT) | F(TBID), 100, V4(192, 0, 2, 9) },
	{ 2, 0, 0, 1, F(DIRECT) | F(TBID), 255, V4(10, 0, 0, 1) },
	{ 2, 0, 0, 1, F(DIRECT) | F(TBID), 254, V4(192, 0, 2, 9) },
	{ 2, 0, 0, 0, F(OUTPUT), 0, V4(192, 0, 2, 9), 1 },
	{ 2, 0, 0, 0, F(OUTPUT), 0, V4(192, 0, 2, 9), 2 },
	{ 2, 0, 0, 999, 0, 0, V4(192, 0, 2, 9) },
	{ 2, 0, 0, 1, 1 << 7, 0, V4(192, 0, 2, 9) },
	{ 3, 0, 0, 1, 0, 0, V4(192, 0, 2, 9) },
	{ 2, 0, 0, 1, FIB_MARK, 0, V4(192, 0, 2, 9) },
	{ 10, 0, 0, 1, 0, 0, V6(0xfd010000, 0, 0, 9) },
	{ 10, 0, 1600, 1, 0, 0, V6(0xfd010000, 0, 0, 9) },
	{ 10, 0, 0, 1, F(SRC), 0, V6(0xfd010000, 0, 0, 9) },
	{ 10, 0, 0, 1, 0, 0, V6(0xfd000000, 0, 0, 5) },
	{ 10, 0, 0, 1, 0, 0, V6(0xfd000000, 0, 0, 1) },
	{ 10, 0, 0, 1, 0, 0, V6(0xfe800000, 0, 0, 1) },
	{ 10, 0, 0, 1, 0, 0, V6(0xfd020000, 0, 0, 1) },
	{ 10, 0, 0, 1, 0, 0, V6(0xfd030000, 0, 0, 1) },
	{ 10, 0, 0, 1, 0, 0, V6(0x20010db8, 0, 0, 1) },
	{ 2, 0, 0, 1, F(SRC), 0, V4(198, 51, 100, 7) },
	{ 2, 0, 1400, 1, 0, 0, V4(192, 0, 2, 200) },
	{ 2, 0, 1200, 1, 0, 0, V4(192, 0, 2, 200) },
	{ 2, 0, 0, 1, F(OUTPUT), 0, V4(10, 0, 0, 1) },
	{ 10, 0, 0, 1, F(DIRECT), 0, V6(0xfd000000, 0, 0, 1) },
	{ 10, 0, 0, 1, F(DIRECT) | F(TBID), 255, V6(0xfd000000, 0, 0, 1) },
	{ 10, 0, 0, 0, F(OUTPUT), 0, V6(0xfd010000, 0, 0, 9), 2 },
	{ 10, 0, 0, 999, 0, 0, V6(0xfd010000, 0, 0, 9) },
};

/* creation order in the namespace: ve1 (the peer) gets 2, ve0 gets 3 */
#define VE0 3
#define VE1 2

static __always_inline void one(void *ctx, __u32 i, int xdp)
{
	struct bpf_fib_lookup p = {};
	struct bpf_fib_lookup *out;
	long rc;

	if (i >= NCASES)
		return;
	p.family = cases[i].family;
	p.tot_len = cases[i].tot_len;
	p.ifindex = cases[i].ifindex ? cases[i].ifindex : (cases[i].which == 1 ? VE0 : VE1);
	p.tbid = cases[i].tbid;
	if (p.family == 10) {
		p.ipv6_dst[0] = cases[i].addr[0];
		p.ipv6_dst[1] = cases[i].addr[1];
		p.ipv6_dst[2] = cases[i].addr[2];
		p.ipv6_dst[3] = cases[i].addr[3];
		p.ipv6_src[0] = bpf_htonl(0xfd050000);
		p.ipv6_src[3] = bpf_htonl(1);
	} else {
		p.ipv4_dst = cases[i].addr[0];
		p.ipv4_src = bpf_htonl(0x0a000063);
	}
	if (cases[i].flags & FIB_MARK)
		*(__u32 *)p.smac = 7;
	rc = xdp ? bpf_fib_lookup(ctx, &p, sizeof(p), cases[i].flags)
		 : bpf_fib_lookup(ctx, &p, sizeof(p), cases[i].flags);
	PUT(i, rc);
	out = bpf_map_lookup_elem(&outs, &i);
	if (out)
		*out = p;
}

/* the lookup for the packet's own destination */
static __always_inline long from_packet(void *ctx, __u8 *h, int have)
{
	struct bpf_fib_lookup p = {};

	if (!have)
		return -1;
	p.ifindex = 1;
	if (h[12] == 0x08 && h[13] == 0) {
		p.family = 2;
		__builtin_memcpy(&p.ipv4_dst, h + 30, 4);
		__builtin_memcpy(&p.ipv4_src, h + 26, 4);
	} else if (h[12] == 0x86 && h[13] == 0xdd) {
		p.family = 10;
		__builtin_memcpy(p.ipv6_src, h + 22, 16);
		__builtin_memcpy(p.ipv6_dst, h + 38, 16);
	} else {
		return -2;
	}
	return bpf_fib_lookup(ctx, &p, sizeof(p), 0) * 1000 + p.ifindex;
}

SEC("xdp")
int fib_xdp(struct xdp_md *ctx)
{
	__u8 h[54] = {};
	int have = bpf_xdp_load_bytes(ctx, 0, h, 54) == 0;

	for (__u32 i = 0; i < NCASES; i++)
		one(ctx, i, 1);
	PUT(NCASES, from_packet(ctx, h, have));
	return XDP_PASS;
}

SEC("tc")
int fib_tc(struct __sk_buff *skb)
{
	__u8 h[54] = {};
	int have = bpf_skb_load_bytes(skb, 0, h, 54) == 0;

	for (__u32 i = 0; i < NCASES; i++)
		one(skb, i, 0);
	PUT(NCASES, from_packet(skb, h, have));
	return 0;
}

char LICENSE[] SEC("license") = "GPL";

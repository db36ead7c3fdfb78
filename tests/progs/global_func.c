// SPDX-License-Identifier: GPL-2.0
/* A global (non-static) sub-program, verified on its own by the kernel and
 * called through a relocation against its own symbol, plus SEC() names
 * that carry an attach type or program flags: xdp.frags, xdp/devmap,
 * sk_skb/stream_verdict.
 */
#include "common.h"

__noinline int global_add(int a, int b)
{
	return a + b;
}

SEC("xdp.frags")
int xdp_frags_prog(struct xdp_md *ctx)
{
	return global_add(ctx->ingress_ifindex & 1, 1) > 1 ? XDP_PASS : XDP_DROP;
}

SEC("xdp/devmap")
int devmap_prog(struct xdp_md *ctx)
{
	return global_add(ctx->egress_ifindex, 0) & 1 ? XDP_PASS : XDP_DROP;
}

SEC("sk_skb/stream_verdict")
int verdict_prog(struct __sk_buff *skb)
{
	return SK_PASS;
}

char LICENSE[] SEC("license") = "GPL";

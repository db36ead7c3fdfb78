// SPDX-License-Identifier: GPL-2.0
/* A global (non-static) sub-program, verified on its own by the kernel and
 * called through a relocation against its own symbol, plus SEC() names
 * that carry an attach type or program flags: xdp.frags, xdp/devmap,
 * sk_skb/stream_verdict, a hidden global sub-program (its BTF FUNC is made
 * static for the kernel, as libbpf does) and a SEC("?...") program that
 * libbpf does not autoload.
 */
#include "common.h"

__noinline int global_add(int a, int b)
{
	return a + b;
}

__attribute__((visibility("hidden"))) __noinline int hidden_sub(struct __sk_buff *skb)
{
	/* static-style verification: skb is known to be the context */
	return skb->len > 64;
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
	return hidden_sub(skb) ? SK_PASS : SK_DROP;
}

SEC("?socket")
int lazy_prog(struct __sk_buff *skb)
{
	return 0;
}

char LICENSE[] SEC("license") = "GPL";

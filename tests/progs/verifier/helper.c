// SPDX-License-Identifier: MIT OR Apache-2.0
/* Helpers exist per program type: an XDP helper in tc, a tc helper in
 * XDP, a networking helper in a socket filter. */
#include "vc.h"

SEC("tc")
int bad_xdp_helper_in_tc(struct __sk_buff *skb)
{
	return bpf_xdp_adjust_head((void *)skb, 0);
}

SEC("xdp")
int ok_xdp_helper_in_xdp(struct xdp_md *ctx)
{
	if (bpf_xdp_adjust_head(ctx, 0))
		return XDP_ABORTED;
	return XDP_PASS;
}

SEC("xdp")
int bad_skb_helper_in_xdp(struct xdp_md *ctx)
{
	char b = 0;

	bpf_skb_store_bytes((void *)ctx, 0, &b, 1, 0);
	return XDP_PASS;
}

SEC("tc")
int ok_skb_helper_in_tc(struct __sk_buff *skb)
{
	char b = 0;

	bpf_skb_store_bytes(skb, 0, &b, 1, 0);
	return TC_ACT_OK;
}

SEC("socket")
int bad_redirect_in_socket(struct __sk_buff *skb)
{
	return bpf_redirect(1, 0);
}

SEC("tc")
int ok_redirect_in_tc(struct __sk_buff *skb)
{
	return bpf_redirect(1, 0);
}

SEC("socket")
int ok_base_helper(struct __sk_buff *skb)
{
	return bpf_get_prandom_u32() & 1;
}

SEC("cgroup/dev")
int bad_skb_helper_in_dev(struct bpf_cgroup_dev_ctx *ctx)
{
	char b = 0;

	return bpf_skb_load_bytes((void *)ctx, 0, &b, 1) & 1;
}

SEC("socket")
NAKED int bad_unknown_id(void)
{
	asm volatile("call 10000;"
		     "r0 = 0;"
		     "exit;");
}

SEC("socket")
NAKED int bad_helper_scalar_map(void)
{
	/* a number where the map pointer goes */
	asm volatile("r1 = 0;"
		     "r2 = r10;"
		     "r2 += -8;"
		     "r3 = 0;"
		     "*(u64 *)(r10 - 8) = r3;"
		     "call %[map_lookup_elem];"
		     "r0 = 0;"
		     "exit;"
		     :: FN(map_lookup_elem));
}

SEC("socket")
NAKED int bad_helper_ctx_arg(void)
{
	/* bpf_skb_load_bytes wants the skb in r1 */
	asm volatile("r1 = 0;"
		     "r2 = 0;"
		     "r3 = r10;"
		     "r3 += -8;"
		     "r4 = 4;"
		     "call %[skb_load_bytes];"
		     "r0 = 0;"
		     "exit;"
		     :: FN(skb_load_bytes));
}

SEC("socket")
NAKED int ok_helper_ctx_arg(void)
{
	asm volatile("r2 = 0;"
		     "r3 = r10;"
		     "r3 += -8;"
		     "r4 = 4;"
		     "call %[skb_load_bytes];"
		     "r0 = 0;"
		     "exit;"
		     :: FN(skb_load_bytes));
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";

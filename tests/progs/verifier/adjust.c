// SPDX-License-Identifier: MIT OR Apache-2.0
/* Helpers that change packet data invalidate every packet pointer: they
 * must be reloaded from the context and checked again. */
#include "vc.h"

SEC("xdp")
int bad_use_after_adjust_head(struct xdp_md *ctx)
{
	unsigned char *p = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	int r;

	if ((void *)(p + 2) > end)
		return XDP_DROP;
	r = bpf_xdp_adjust_head(ctx, 1);
	OPAQUE(p);
	return p[0] + r;
}

SEC("xdp")
int ok_reload_after_adjust_head(struct xdp_md *ctx)
{
	unsigned char *p;
	void *end;

	if (bpf_xdp_adjust_head(ctx, 1))
		return XDP_DROP;
	p = (void *)(long)ctx->data;
	end = (void *)(long)ctx->data_end;
	if ((void *)(p + 1) > end)
		return XDP_DROP;
	return p[0];
}

SEC("xdp")
int bad_end_after_adjust_tail(struct xdp_md *ctx)
{
	unsigned char *p = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;

	if ((void *)(p + 1) > end)
		return XDP_DROP;
	bpf_xdp_adjust_tail(ctx, -1);
	OPAQUE(p);
	return p[0];
}

SEC("tc")
int bad_use_after_pull(struct __sk_buff *skb)
{
	unsigned char *p = (void *)(long)skb->data;
	void *end = (void *)(long)skb->data_end;

	if ((void *)(p + 1) > end)
		return TC_ACT_OK;
	bpf_skb_pull_data(skb, 20);
	OPAQUE(p);
	return p[0];
}

SEC("tc")
int ok_reload_after_pull(struct __sk_buff *skb)
{
	unsigned char *p;
	void *end;

	bpf_skb_pull_data(skb, 20);
	p = (void *)(long)skb->data;
	end = (void *)(long)skb->data_end;
	if ((void *)(p + 1) > end)
		return TC_ACT_OK;
	return p[0];
}

SEC("tc")
int bad_use_after_store_bytes(struct __sk_buff *skb)
{
	unsigned char *p = (void *)(long)skb->data;
	void *end = (void *)(long)skb->data_end;
	char b = 1;

	if ((void *)(p + 1) > end)
		return TC_ACT_OK;
	bpf_skb_store_bytes(skb, 0, &b, 1, 0);
	OPAQUE(p);
	return p[0];
}

SEC("tc")
int ok_use_after_load_bytes(struct __sk_buff *skb)
{
	/* bpf_skb_load_bytes does not change the packet */
	unsigned char *p = (void *)(long)skb->data;
	void *end = (void *)(long)skb->data_end;
	char b = 1;

	if ((void *)(p + 1) > end)
		return TC_ACT_OK;
	bpf_skb_load_bytes(skb, 0, &b, 1);
	OPAQUE(p);
	return p[0] + b;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";

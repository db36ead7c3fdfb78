// SPDX-License-Identifier: MIT OR Apache-2.0
/* Direct packet access: every read or write needs a comparison against
 * data_end that covers it. */
#include "vc.h"

SEC("xdp")
int bad_no_end_check(struct xdp_md *ctx)
{
	struct ethhdr *eth = (void *)(long)ctx->data;

	return eth->h_proto == bpf_htons(ETH_P_IP) ? XDP_PASS : XDP_DROP;
}

SEC("xdp")
int ok_end_check(struct xdp_md *ctx)
{
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = (void *)(long)ctx->data;

	if ((void *)(eth + 1) > end)
		return XDP_DROP;
	return eth->h_proto == bpf_htons(ETH_P_IP) ? XDP_PASS : XDP_DROP;
}

SEC("xdp")
int bad_off_by_one(struct xdp_md *ctx)
{
	unsigned char *p = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;

	if ((void *)(p + 14) > end)
		return XDP_DROP;
	return p[14];
}

SEC("xdp")
int ok_last_byte(struct xdp_md *ctx)
{
	unsigned char *p = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;

	if ((void *)(p + 14) > end)
		return XDP_DROP;
	return p[13];
}

SEC("xdp")
int bad_ip_after_eth_check(struct xdp_md *ctx)
{
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = (void *)(long)ctx->data;
	struct iphdr *ip = (void *)(eth + 1);

	if ((void *)(eth + 1) > end)
		return XDP_DROP;
	return ip->protocol == IPPROTO_TCP ? XDP_PASS : XDP_DROP;
}

SEC("xdp")
int ok_ip_checked(struct xdp_md *ctx)
{
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = (void *)(long)ctx->data;
	struct iphdr *ip = (void *)(eth + 1);

	if ((void *)(ip + 1) > end)
		return XDP_DROP;
	return ip->protocol == IPPROTO_TCP ? XDP_PASS : XDP_DROP;
}

SEC("xdp")
int bad_var_off_unchecked(struct xdp_md *ctx)
{
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = (void *)(long)ctx->data;
	struct iphdr *ip = (void *)(eth + 1);
	struct tcphdr *tcp;

	if ((void *)(ip + 1) > end)
		return XDP_DROP;
	/* ihl*4 may reach 60 bytes: the TCP header is not covered */
	tcp = (void *)ip + ip->ihl * 4;
	return tcp->dest == bpf_htons(80);
}

SEC("xdp")
int ok_var_off_checked(struct xdp_md *ctx)
{
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = (void *)(long)ctx->data;
	struct iphdr *ip = (void *)(eth + 1);
	struct tcphdr *tcp;

	if ((void *)(ip + 1) > end)
		return XDP_DROP;
	tcp = (void *)ip + ip->ihl * 4;
	if ((void *)(tcp + 1) > end)
		return XDP_DROP;
	return tcp->dest == bpf_htons(80);
}

SEC("tc")
int bad_tc_write_unchecked(struct __sk_buff *skb)
{
	unsigned char *p = (void *)(long)skb->data;
	void *end = (void *)(long)skb->data_end;

	if ((void *)(p + 1) > end)
		return TC_ACT_OK;
	p[1] = 0;
	return TC_ACT_OK;
}

SEC("tc")
int ok_tc_write_checked(struct __sk_buff *skb)
{
	unsigned char *p = (void *)(long)skb->data;
	void *end = (void *)(long)skb->data_end;

	if ((void *)(p + 2) > end)
		return TC_ACT_OK;
	p[1] = 0;
	return TC_ACT_OK;
}

SEC("xdp")
NAKED int bad_end_arith(void)
{
	/* arithmetic on data_end is refused */
	asm volatile("r2 = *(u32 *)(r1 + 0);"
		     "r3 = *(u32 *)(r1 + 4);"
		     "r3 += -1;"
		     "r0 = 1;"
		     "if r2 > r3 goto +1;"
		     "r0 = *(u8 *)(r2 + 0);"
		     "exit;");
}

SEC("xdp")
NAKED int ok_reverse_compare(void)
{
	/* end >= data + 1, written with end on the left */
	asm volatile("r2 = *(u32 *)(r1 + 0);"
		     "r3 = *(u32 *)(r1 + 4);"
		     "r4 = r2;"
		     "r4 += 1;"
		     "r0 = 1;"
		     "if r3 < r4 goto +1;"
		     "r0 = *(u8 *)(r2 + 0);"
		     "exit;");
}

SEC("xdp")
NAKED int bad_wrong_branch(void)
{
	/* the read is on the branch where the packet is too short */
	asm volatile("r2 = *(u32 *)(r1 + 0);"
		     "r3 = *(u32 *)(r1 + 4);"
		     "r4 = r2;"
		     "r4 += 1;"
		     "r0 = 1;"
		     "if r4 <= r3 goto +1;"
		     "r0 = *(u8 *)(r2 + 0);"
		     "exit;");
}

SEC("xdp")
NAKED int ok_right_branch(void)
{
	asm volatile("r2 = *(u32 *)(r1 + 0);"
		     "r3 = *(u32 *)(r1 + 4);"
		     "r4 = r2;"
		     "r4 += 1;"
		     "r0 = 1;"
		     "if r4 > r3 goto +1;"
		     "r0 = *(u8 *)(r2 + 0);"
		     "exit;");
}

SEC("socket")
int bad_socket_direct_read(struct __sk_buff *skb)
{
	/* socket filters have no direct packet access */
	unsigned char *p = (void *)(long)skb->data;
	void *end = (void *)(long)skb->data_end;

	if ((void *)(p + 1) > end)
		return 0;
	return p[0];
}

SEC("socket")
int ok_socket_load_bytes(struct __sk_buff *skb)
{
	unsigned char b = 0;

	bpf_skb_load_bytes(skb, 0, &b, 1);
	return b;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";

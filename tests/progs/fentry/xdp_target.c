// SPDX-License-Identifier: GPL-2.0
/* The traced program: drops frames starting with 0xaa, pops 14 bytes off
 * frames starting with 0xcc (so fexit sees the moved data), passes the
 * rest.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int xdp_target(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;

	if (data + 1 > end)
		return XDP_ABORTED;
	if (*(unsigned char *)data == 0xaa)
		return XDP_DROP;
	if (*(unsigned char *)data == 0xcc && bpf_xdp_adjust_head(ctx, 14))
		return XDP_ABORTED;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";

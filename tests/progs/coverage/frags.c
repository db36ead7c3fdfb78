// SPDX-License-Identifier: GPL-2.0
/* XDP with fragments (xdp.frags): frames above one page arrive as a
 * linear part plus fragments; load/store across the boundary, the buffer
 * length, and tail growth/shrink into and out of the last fragment.
 */
#include "cov.h"

RESULTS(8);

SEC("xdp.frags")
int frags(struct xdp_md *ctx)
{
	__u32 lin = ctx->data_end - ctx->data;
	__u64 total = bpf_xdp_get_buff_len(ctx);
	__u8 b[16] = {};
	__u64 v;

	PUT(0, lin);
	PUT(0, total);
	if (total > 16) {
		__u32 off = lin > 8 ? lin - 8 : 0;

		PUT(1, bpf_xdp_load_bytes(ctx, off, b, 16)); /* across the boundary */
		__builtin_memcpy(&v, b, 8);
		PUT(1, v);
		__builtin_memcpy(&v, b + 8, 8);
		PUT(1, v);
		b[0] = 0xee;
		b[15] = 0xdd;
		PUT(1, bpf_xdp_store_bytes(ctx, off, b, 16));
		PUT(1, bpf_xdp_load_bytes(ctx, total - 4, b, 4));
		PUT(1, bpf_xdp_load_bytes(ctx, total - 3, b, 4)); /* past the end */
	}
	PUT(2, bpf_xdp_adjust_tail(ctx, 100));
	PUT(2, bpf_xdp_get_buff_len(ctx));
	PUT(2, bpf_xdp_adjust_tail(ctx, -1200));
	PUT(2, bpf_xdp_get_buff_len(ctx));
	PUT(2, bpf_xdp_adjust_tail(ctx, 5000)); /* more than the frag's room */
	PUT(2, ctx->data_end - ctx->data);
	PUT(3, bpf_xdp_adjust_head(ctx, 14));
	PUT(3, bpf_xdp_adjust_head(ctx, -14));
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";

// SPDX-License-Identifier: GPL-2.0
/* XDP helpers: head/tail/meta adjustment, load/store bytes, buffer length,
 * bpf_redirect and bpf_redirect_map into every redirect map type. The test
 * gives devs[1], devs_hash[1] and cpus[0] a target from user space; other
 * keys have none, so the low flag bits are the action, and other flag bits
 * abort. Return codes go to `res`, the frame to data_out.
 */
#include "cov.h"

RESULTS(16);

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, struct bpf_devmap_val);
} devs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP_HASH);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u32);
} devs_hash SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_CPUMAP);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, struct bpf_cpumap_val);
} cpus SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u32);
} xsks SEC(".maps");

SEC("xdp")
int xdp_edit(struct xdp_md *ctx)
{
	__u8 b[16] = {};
	__u64 v;

	PUT(0, bpf_xdp_get_buff_len(ctx));
	PUT(0, bpf_xdp_load_bytes(ctx, 6, b, 8));
	__builtin_memcpy(&v, b, 8);
	PUT(0, v);
	PUT(0, bpf_xdp_load_bytes(ctx, 0, b, 16));
	b[0] = 0xee;
	PUT(0, bpf_xdp_store_bytes(ctx, 1, b, 2));
	PUT(0, bpf_xdp_store_bytes(ctx, 0x10000, b, 2)); /* offset too big */
	PUT(1, bpf_xdp_adjust_meta(ctx, -8));
	PUT(1, bpf_xdp_adjust_meta(ctx, -6)); /* not 4-aligned */
	{
		__u32 *meta = (void *)(long)ctx->data_meta;
		void *data = (void *)(long)ctx->data;

		if ((void *)(meta + 2) <= data) {
			meta[0] = 0xabcd;
			meta[1] = ctx->data_end - ctx->data;
		}
	}
	PUT(2, bpf_xdp_adjust_head(ctx, -4));
	PUT(2, bpf_xdp_adjust_head(ctx, 10));
	PUT(2, bpf_xdp_adjust_head(ctx, -1000)); /* into the headroom limit */
	PUT(2, ctx->data_end - ctx->data);
	PUT(3, bpf_xdp_adjust_tail(ctx, 6));
	PUT(3, bpf_xdp_adjust_tail(ctx, -3));
	PUT(3, bpf_xdp_adjust_tail(ctx, -2000));
	PUT(3, ctx->data_end - ctx->data);
	PUT(3, bpf_xdp_get_buff_len(ctx));
	return XDP_PASS;
}

SEC("xdp")
int xdp_redirect_maps(struct xdp_md *ctx)
{
	__u32 len = ctx->data_end - ctx->data;
	__u32 k = len & 3;

	{
		struct bpf_devmap_val *dv = bpf_map_lookup_elem(&devs, &k);
		__u32 *hv = bpf_map_lookup_elem(&devs_hash, &k);

		PUT(4, dv ? dv->ifindex * 100 + dv->bpf_prog.id : 7);
		PUT(4, hv ? *hv : 7);
	}
	PUT(4, bpf_map_lookup_elem(&xsks, &k) != 0);
	PUT(5, bpf_redirect_map(&devs, k, XDP_PASS));
	PUT(5, bpf_redirect_map(&devs, k, XDP_DROP | BPF_F_EXCLUDE_INGRESS));
	PUT(5, bpf_redirect_map(&devs, k, BPF_F_BROADCAST));
	PUT(5, bpf_redirect_map(&devs, k, 1 << 6)); /* unknown flag */
	PUT(6, bpf_redirect_map(&devs_hash, k, XDP_TX));
	PUT(6, bpf_redirect_map(&devs_hash, 77, BPF_F_BROADCAST | BPF_F_EXCLUDE_INGRESS));
	PUT(7, bpf_redirect_map(&cpus, 0, XDP_PASS));
	PUT(7, bpf_redirect_map(&cpus, 0, BPF_F_BROADCAST)); /* not a cpumap flag */
	PUT(8, bpf_redirect_map(&xsks, k, XDP_DROP));
	PUT(8, bpf_redirect_map(&xsks, k, 4));
	switch (len % 5) {
	case 0:
		return bpf_redirect(1, 0);
	case 1:
		return bpf_redirect(1, BPF_F_INGRESS); /* no flags in XDP */
	case 2:
		return bpf_redirect_map(&devs, k, XDP_TX);
	case 3:
		return bpf_redirect_map(&devs, k, BPF_F_BROADCAST);
	default:
		return bpf_redirect_map(&cpus, 1, XDP_DROP);
	}
}

char LICENSE[] SEC("license") = "GPL";

// XDP ctx readers and frame-resizing helpers.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int xdp_fields(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	void *meta = (void *)(long)ctx->data_meta;
	__u32 *p = data;

	if ((void *)(p + 8) > data_end)
		return 1;
	p[4] = data_end - data;
	p[5] = data - meta;
	p[6] = ctx->ingress_ifindex;
	p[7] = ctx->rx_queue_index;
	return 2 + bpf_xdp_get_buff_len(ctx) * 16;
}

SEC("xdp")
int xdp_head(struct xdp_md *ctx)
{
	long a = bpf_xdp_adjust_head(ctx, -20);
	long b = bpf_xdp_adjust_head(ctx, -1000);
	long c = bpf_xdp_adjust_head(ctx, 4);
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;

	if (data + 4 <= data_end)
		*(__u32 *)data = 0xdeadbeef;
	return (a & 0xff) | (b & 0xff) << 8 | (c & 0xff) << 16;
}

SEC("xdp")
int xdp_tail(struct xdp_md *ctx)
{
	long a = bpf_xdp_adjust_tail(ctx, 20);
	long b = bpf_xdp_adjust_tail(ctx, -7);
	long c = bpf_xdp_adjust_tail(ctx, 5000);
	long d = bpf_xdp_adjust_tail(ctx, -100000);

	return (a & 0xff) | (b & 0xff) << 8 | (c & 0xff) << 16 | (d & 0xff) << 24;
}

SEC("xdp")
int xdp_meta(struct xdp_md *ctx)
{
	long a = bpf_xdp_adjust_meta(ctx, -8);
	long b = bpf_xdp_adjust_meta(ctx, -6);
	long c = bpf_xdp_adjust_meta(ctx, 100);
	void *data = (void *)(long)ctx->data;
	void *meta = (void *)(long)ctx->data_meta;
	char buf[8] = {9, 8, 7, 6, 5, 4, 3, 2};
	long d = bpf_xdp_store_bytes(ctx, 2, buf, 4);
	long e = bpf_xdp_load_bytes(ctx, 0, buf, 8);
	long f = bpf_xdp_load_bytes(ctx, 70000, buf, 8);

	if (meta + 8 <= data) {
		*(__u32 *)meta = buf[0] | buf[7] << 8;
		*(__u32 *)(meta + 4) = 0x11223344;
	}
	return (a & 0xff) | (b & 0xff) << 8 | (c & 0xff) << 16 | (d & 0xf) << 24 | (e & 0xf) << 28 | (f & 0xff) << 4;
}

SEC("xdp")
int xdp_redirect(struct xdp_md *ctx)
{
	return bpf_redirect(3, 0) + 16 * bpf_redirect(3, 1);
}

char _license[] SEC("license") = "GPL";

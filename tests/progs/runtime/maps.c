// Map helpers and global data, compared with the kernel by map contents.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, __u64);
} flows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_QUEUE);
	__uint(max_entries, 4);
	__type(value, __u32);
} q SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u32);
} jmp SEC(".maps");

const volatile __u32 cfg_mult = 3;
__u64 total = 0;
__u32 last_len = 7;

SEC("xdp")
int maps_xdp(struct xdp_md *ctx)
{
	__u32 len = ctx->data_end - ctx->data;
	__u32 k = len & 3, peeked = 0;
	__u64 one = len, *v, *w;
	long a, b, c, d, e;

	v = bpf_map_lookup_elem(&counters, &k);
	if (v)
		*v += cfg_mult;
	a = bpf_map_update_elem(&flows, &len, &one, BPF_NOEXIST);
	w = bpf_map_lookup_elem(&flows, &len);
	if (w)
		*w += 100;
	b = bpf_map_push_elem(&q, &len, 0);
	c = bpf_map_peek_elem(&q, &peeked);
	k = 9;
	d = bpf_map_update_elem(&counters, &k, &one, BPF_ANY);
	k = last_len;
	e = bpf_map_delete_elem(&flows, &k);
	total += len * cfg_mult;
	last_len = len;
	bpf_tail_call(ctx, &jmp, 0);
	return (a & 0xff) | (b & 0xff) << 8 | (c & 0xf) << 16 | (d & 0xff) << 20 | (e & 0xf) << 28;
}

char _license[] SEC("license") = "GPL";

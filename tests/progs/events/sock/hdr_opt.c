// sock_ops header options: established sockets turn on WRITE_HDR_OPT and
// PARSE_ALL_HDR_OPT; HDR_OPT_LEN_CB probes the option space by reserving
// the largest size that fits; WRITE_HDR_OPT_CB stores an experimental
// option (kind 254, magic 0xeb9f) twice (the second is a duplicate) and
// one with another magic; PARSE_HDR_OPT_CB loads it back. Each callback
// records the TCP header it saw.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct rec {
	__u32 op, fullsock, a0, lport;
	__u32 state, cbf, tflags, skb_len;
	__u32 win, probe;
	__s32 r1, r2, r3, got;
	__u8 hdr[60];
	__u8 opt[8];
	__u32 win_after;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 128);
	__type(key, __u32);
	__type(value, struct rec);
} oplog SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} count SEC(".maps");

static __always_inline void copy_hdr(struct bpf_sock_ops *skops, struct rec *r)
{
	__u8 *data = skops->skb_data, *end = skops->skb_data_end;
	int j;

	r->win = end - data;
	for (j = 0; j < 60; j++) {
		if (data + j + 1 > end)
			break;
		r->hdr[j] = data[j];
	}
}

SEC("sockops")
int hdr_opts(struct bpf_sock_ops *skops)
{
	__u32 zero = 0, i, op = skops->op;
	__u32 *n;
	struct rec *r;
	__u8 opt[6] = {254, 6, 0xeb, 0x9f, 0, 0};
	__u8 other[4] = {254, 4, 0xeb, 0x9e};
	__u8 search[8] = {254, 4, 0xeb, 0x9f};
	__u8 syn[8];

	if (op != BPF_SOCK_OPS_ACTIVE_ESTABLISHED_CB &&
	    op != BPF_SOCK_OPS_PASSIVE_ESTABLISHED_CB &&
	    op != BPF_SOCK_OPS_PARSE_HDR_OPT_CB &&
	    op != BPF_SOCK_OPS_HDR_OPT_LEN_CB &&
	    op != BPF_SOCK_OPS_WRITE_HDR_OPT_CB)
		return 1;
	n = bpf_map_lookup_elem(&count, &zero);
	if (!n)
		return 1;
	i = *n;
	if (i >= 128)
		return 1;
	*n = i + 1;
	r = bpf_map_lookup_elem(&oplog, &i);
	if (!r)
		return 1;
	r->op = op;
	r->fullsock = skops->is_fullsock;
	r->a0 = skops->args[0];
	r->lport = skops->local_port;
	r->state = skops->state;
	r->cbf = skops->bpf_sock_ops_cb_flags;
	r->tflags = skops->skb_tcp_flags;
	r->skb_len = skops->skb_len;
	copy_hdr(skops, r);
	switch (op) {
	case BPF_SOCK_OPS_ACTIVE_ESTABLISHED_CB:
	case BPF_SOCK_OPS_PASSIVE_ESTABLISHED_CB:
		r->r1 = bpf_sock_ops_cb_flags_set(skops,
			BPF_SOCK_OPS_WRITE_HDR_OPT_CB_FLAG | BPF_SOCK_OPS_PARSE_ALL_HDR_OPT_CB_FLAG);
		r->got = bpf_load_hdr_opt(skops, search, sizeof(search), 0);
		/* no TCP_SAVE_SYN: no SYN to copy */
		r->r3 = bpf_getsockopt(skops, 6, 1005, syn, sizeof(syn));
		break;
	case BPF_SOCK_OPS_HDR_OPT_LEN_CB:
		r->r1 = bpf_reserve_hdr_opt(skops, 1, 0);
		r->r2 = bpf_reserve_hdr_opt(skops, 8, 1);
		r->r3 = bpf_store_hdr_opt(skops, opt, sizeof(opt), 0);
		r->got = bpf_load_hdr_opt(skops, search, sizeof(search), 0);
#pragma unroll
		for (int k = 40; k >= 4; k -= 4) {
			if (!bpf_reserve_hdr_opt(skops, k, 0)) {
				r->probe = k;
				break;
			}
		}
		break;
	case BPF_SOCK_OPS_WRITE_HDR_OPT_CB:
		opt[4] = i;
		opt[5] = r->win;
		r->r1 = bpf_store_hdr_opt(skops, opt, sizeof(opt), 0);
		r->r2 = bpf_store_hdr_opt(skops, opt, sizeof(opt), 0);
		r->r3 = bpf_store_hdr_opt(skops, other, sizeof(other), 0);
		r->got = bpf_load_hdr_opt(skops, search, sizeof(search), 0);
		r->win_after = (__u8 *)skops->skb_data_end - (__u8 *)skops->skb_data;
		break;
	case BPF_SOCK_OPS_PARSE_HDR_OPT_CB:
		r->got = bpf_load_hdr_opt(skops, search, sizeof(search), 0);
		r->r1 = bpf_load_hdr_opt(skops, search, 4, 0);
		r->r2 = bpf_reserve_hdr_opt(skops, 4, 0);
		break;
	}
	__builtin_memcpy(r->opt, search, 8);
	return 1;
}

char LICENSE[] SEC("license") = "GPL";

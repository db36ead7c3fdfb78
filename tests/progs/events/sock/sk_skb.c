// sk_skb: a stream parser framing messages as a 2-byte big-endian length
// followed by that many bytes, and a verdict that drops messages whose
// first payload byte is 'x', redirects those starting with 'r' to
// sock_map[1] (ingress) and passes the rest; it pulls 3 bytes into the
// linear area first (strparser skbs are non-linear). Both record each
// call.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct rec {
	__u32 len, data_len, ret, b2;
	__u32 family, lport, rport;
	__s32 pulled;
};

struct {
	__uint(type, BPF_MAP_TYPE_SOCKMAP);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u32);
} sock_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 32);
	__type(key, __u32);
	__type(value, struct rec);
} calls SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} count SEC(".maps");

static __always_inline struct rec *record(struct __sk_buff *skb)
{
	__u32 zero = 0, i;
	__u32 *n = bpf_map_lookup_elem(&count, &zero);
	struct rec *r;

	if (!n)
		return 0;
	i = *n;
	if (i >= 32)
		return 0;
	*n = i + 1;
	r = bpf_map_lookup_elem(&calls, &i);
	if (!r)
		return 0;
	r->len = skb->len;
	r->data_len = skb->data_end - skb->data;
	r->family = skb->family;
	r->lport = skb->local_port;
	r->rport = skb->remote_port;
	return r;
}

SEC("sk_skb/stream_parser")
int parse(struct __sk_buff *skb)
{
	struct rec *r = record(skb);
	__u8 hdr[2];
	int ret = 0;

	if (!bpf_skb_load_bytes(skb, 0, hdr, 2))
		ret = 2 + ((hdr[0] << 8) | hdr[1]);
	if (r) {
		r->ret = ret;
		r->b2 = 'p';
	}
	return ret;
}

SEC("sk_skb/stream_verdict")
int verdict(struct __sk_buff *skb)
{
	struct rec *r = record(skb);
	__u8 *d, *end;
	int ret = SK_PASS;
	long p = bpf_skb_pull_data(skb, 3);

	d = (void *)(long)skb->data;
	end = (void *)(long)skb->data_end;
	if (r)
		r->pulled = p ? p : (__s32)(end - d);

	if (d + 3 <= end) {
		if (r)
			r->b2 = d[2];
		if (d[2] == 'x')
			ret = SK_DROP;
		else if (d[2] == 'r')
			ret = bpf_sk_redirect_map(skb, &sock_map, 1, BPF_F_INGRESS);
	}
	if (r)
		r->ret = ret;
	return ret;
}

char LICENSE[] SEC("license") = "GPL";

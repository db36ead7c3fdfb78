// sk_skb: a stream parser framing messages as a 2-byte big-endian length
// followed by that many bytes, and a verdict that drops messages whose
// first payload byte is 'x', redirects those starting with 'r' to
// sock_map[1] (ingress) and passes the rest.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_SOCKMAP);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u32);
} sock_map SEC(".maps");

SEC("sk_skb/stream_parser")
int parse(struct __sk_buff *skb)
{
	__u8 hdr[2];

	if (bpf_skb_load_bytes(skb, 0, hdr, 2))
		return 0;
	return 2 + ((hdr[0] << 8) | hdr[1]);
}

SEC("sk_skb/stream_verdict")
int verdict(struct __sk_buff *skb)
{
	__u8 *d = (void *)(long)skb->data;
	__u8 *end = (void *)(long)skb->data_end;

	if (d + 3 > end)
		return SK_PASS;
	if (d[2] == 'x')
		return SK_DROP;
	if (d[2] == 'r')
		return bpf_sk_redirect_map(skb, &sock_map, 1, BPF_F_INGRESS);
	return SK_PASS;
}

char LICENSE[] SEC("license") = "GPL";

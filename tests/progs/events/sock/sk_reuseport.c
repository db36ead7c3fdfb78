// sk_reuseport: the first payload byte (after the 8-byte UDP header)
// picks the socket: '0'..'9' select that sockarray slot, 'h' leaves the
// pick to the kernel's hash, 'd' refuses. Each lookup's ctx is recorded.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct rec {
	__u32 len, eth_protocol, ip_protocol, bind_inany;
	__u32 hash, data_len, cmd, sk_port;
	__s32 r_select, r_load, loaded, family;
};

struct {
	__uint(type, BPF_MAP_TYPE_REUSEPORT_SOCKARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} group SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, struct rec);
} seen SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} count SEC(".maps");

SEC("sk_reuseport")
int pick(struct sk_reuseport_md *md)
{
	__u32 zero = 0, i, key;
	__u32 *n = bpf_map_lookup_elem(&count, &zero);
	__u8 *d = md->data, *end = md->data_end;
	struct rec *r;
	__u8 cmd;

	if (!n)
		return SK_DROP;
	i = *n;
	if (i >= 16)
		return SK_DROP;
	*n = i + 1;
	r = bpf_map_lookup_elem(&seen, &i);
	if (!r)
		return SK_DROP;
	r->len = md->len;
	r->eth_protocol = md->eth_protocol;
	r->ip_protocol = md->ip_protocol;
	r->bind_inany = md->bind_inany;
	r->hash = md->hash;
	r->data_len = end - d;
	r->sk_port = md->sk->src_port;
	r->family = md->sk->family;
	r->r_load = bpf_skb_load_bytes(md, 8, &r->loaded, 2);
	if (d + 9 > end)
		return SK_DROP;
	cmd = d[8];
	r->cmd = cmd;
	if (cmd == 'd')
		return SK_DROP;
	if (cmd == 'h')
		return SK_PASS;
	key = cmd - '0';
	r->r_select = bpf_sk_select_reuseport(md, &group, &key, 0);
	return SK_PASS;
}



// Request migration: a migrating request goes to sockarray slot 1 if it
// is still a request (NEW_SYN_RECV), else slot 0; plain lookups keep the
// kernel's hash pick.
SEC("sk_reuseport/migrate")
int migrate(struct sk_reuseport_md *md)
{
	struct bpf_sock *m = md->migrating_sk;
	__u32 key;

	if (!m)
		return SK_PASS;
	key = m->state == 12 ? 1 : 0;
	if (bpf_sk_select_reuseport(md, &group, &key, 0))
		return SK_DROP;
	return SK_PASS;
}

// TCP: the SYN's source port (the first two bytes of the TCP header at
// data) picks sockarray slot port % 3; the lookup is recorded like pick's.
SEC("sk_reuseport")
int by_sport(struct sk_reuseport_md *md)
{
	__u32 zero = 0, i, key;
	__u32 *n = bpf_map_lookup_elem(&count, &zero);
	__u8 *d = md->data, *end = md->data_end;
	struct rec *r;

	if (!n)
		return SK_DROP;
	i = *n;
	if (i >= 16)
		return SK_DROP;
	*n = i + 1;
	r = bpf_map_lookup_elem(&seen, &i);
	if (!r)
		return SK_DROP;
	r->len = md->len;
	r->eth_protocol = md->eth_protocol;
	r->ip_protocol = md->ip_protocol;
	r->bind_inany = md->bind_inany;
	r->hash = md->hash;
	r->data_len = end - d;
	r->sk_port = md->sk->src_port;
	r->family = md->sk->family;
	r->r_load = bpf_skb_load_bytes(md, 12, &r->loaded, 2);
	if (d + 2 > end)
		return SK_DROP;
	key = ((d[0] << 8) | d[1]) % 3;
	r->cmd = key;
	r->r_select = bpf_sk_select_reuseport(md, &group, &key, 0);
	return SK_PASS;
}

char LICENSE[] SEC("license") = "GPL";

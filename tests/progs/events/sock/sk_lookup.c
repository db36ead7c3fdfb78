// sk_lookup: local port 7000+k picks sockmap slot k; records the ctx and
// what bpf_sk_assign answered (first, again without REPLACE, again with
// REPLACE | NO_REUSEPORT). Ports 7003 and 7009 return SK_DROP.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct rec {
	__u32 family, protocol, remote_ip4, remote_port;
	__u32 local_ip4, local_port, ifindex, remote_ip6_3;
	__u32 local_ip6_0, sk_before;
	__s32 r1, r2, r3, sk_state, sk_family, sk_proto;
};

struct {
	__uint(type, BPF_MAP_TYPE_SOCKMAP);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} socks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, struct rec);
} seen SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} count SEC(".maps");

SEC("sk_lookup")
int pick(struct bpf_sk_lookup *ctx)
{
	__u32 zero = 0, i, key;
	__u32 *n = bpf_map_lookup_elem(&count, &zero);
	struct bpf_sock *sk, *cur;
	struct rec *r;
	int verdict;

	if (!n)
		return SK_PASS;
	i = *n;
	if (i >= 64)
		return SK_PASS;
	*n = i + 1;
	r = bpf_map_lookup_elem(&seen, &i);
	if (!r)
		return SK_PASS;
	r->family = ctx->family;
	r->protocol = ctx->protocol;
	r->remote_ip4 = ctx->remote_ip4;
	r->remote_port = ctx->remote_port;
	r->local_ip4 = ctx->local_ip4;
	r->local_port = ctx->local_port;
	r->ifindex = ctx->ingress_ifindex;
	r->remote_ip6_3 = ctx->remote_ip6[3];
	r->local_ip6_0 = ctx->local_ip6[0];
	r->sk_before = ctx->sk ? 1 : 0;
	r->sk_state = -1;
	verdict = (ctx->local_port == 7003 || ctx->local_port == 7009) ? SK_DROP : SK_PASS;
	key = ctx->local_port - 7000;
	if (key >= 4)
		return verdict;
	sk = bpf_map_lookup_elem(&socks, &key);
	if (!sk) {
		r->r1 = -1000;
		return verdict;
	}
	r->r1 = bpf_sk_assign(ctx, sk, 0);
	r->r2 = bpf_sk_assign(ctx, sk, 0);
	r->r3 = bpf_sk_assign(ctx, sk, BPF_SK_LOOKUP_F_REPLACE | BPF_SK_LOOKUP_F_NO_REUSEPORT);
	cur = ctx->sk;
	if (cur) {
		r->sk_state = cur->state;
		r->sk_family = cur->family;
		r->sk_proto = cur->protocol;
	}
	bpf_sk_release(sk);
	return verdict;
}

char LICENSE[] SEC("license") = "GPL";

// sock_ops: records every callback it sees (op, args, socket fields, what
// its helpers returned) in `oplog`, sets the SYN RTO and initial window
// replies, turns on STATE_CB on established sockets, switches them to
// reno with a 64 KiB send buffer, adds listeners and established sockets
// to a sockhash keyed by local port and checks bpf_tcp_sock against the
// ctx's TCP fields.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define SOL_SOCKET 1
#define SO_SNDBUF 7
#define SOL_TCP 6
#define TCP_CONGESTION 13

struct rec {
	__u32 op, fullsock, a0, a1;
	__u32 family, lport, rport, state;
	__u32 cbf, reply_in, lip4, rip4;
	__s32 r_cb, r_cc, r_buf, r_get;
	__s32 r_map, r_bad, got, sk_state;
	__u32 sk_sport, sk_dport, cbf_after, tp_ok;
	char cc[8];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, struct rec);
} oplog SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} count SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_SOCKHASH);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u64);
} socks SEC(".maps");

SEC("sockops")
int record_ops(struct bpf_sock_ops *skops)
{
	__u32 zero = 0, i, key;
	__u32 *n = bpf_map_lookup_elem(&count, &zero);
	struct rec *r;
	int v = 65536, bad = 1;
	char reno[] = "reno";

	if (!n)
		return 1;
	i = *n;
	if (i >= 64)
		return 1;
	*n = i + 1;
	r = bpf_map_lookup_elem(&oplog, &i);
	if (!r)
		return 1;
	r->op = skops->op;
	r->fullsock = skops->is_fullsock;
	r->a0 = skops->args[0];
	r->a1 = skops->args[1];
	r->family = skops->family;
	r->lport = skops->local_port;
	r->rport = skops->remote_port;
	r->state = skops->state;
	r->cbf = skops->bpf_sock_ops_cb_flags;
	r->reply_in = skops->reply;
	r->lip4 = skops->local_ip4;
	r->rip4 = skops->remote_ip4;
	r->sk_state = -1;
	if (skops->is_fullsock) {
		struct bpf_sock *sk = skops->sk;
		if (sk) {
			r->sk_state = sk->state;
			r->sk_sport = sk->src_port;
			r->sk_dport = sk->dst_port;
		}
	}
	switch (skops->op) {
	case BPF_SOCK_OPS_TIMEOUT_INIT:
		skops->reply = 10;
		r->r_cb = bpf_sock_ops_cb_flags_set(skops, BPF_SOCK_OPS_RTT_CB_FLAG);
		r->r_cc = bpf_setsockopt(skops, SOL_TCP, TCP_CONGESTION, reno, sizeof(reno));
		break;
	case BPF_SOCK_OPS_RWND_INIT:
		skops->reply = 40;
		break;
	case BPF_SOCK_OPS_ACTIVE_ESTABLISHED_CB:
	case BPF_SOCK_OPS_PASSIVE_ESTABLISHED_CB:
		r->r_cb = bpf_sock_ops_cb_flags_set(skops, BPF_SOCK_OPS_STATE_CB_FLAG | 0x80);
		r->r_cc = bpf_setsockopt(skops, SOL_TCP, TCP_CONGESTION, reno, sizeof(reno));
		r->r_buf = bpf_setsockopt(skops, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v));
		r->r_bad = bpf_setsockopt(skops, SOL_SOCKET, 99, &bad, sizeof(bad));
		r->r_get = bpf_getsockopt(skops, SOL_SOCKET, SO_SNDBUF, &r->got, sizeof(r->got));
		bpf_getsockopt(skops, SOL_TCP, TCP_CONGESTION, r->cc, sizeof(r->cc));
		key = skops->local_port;
		r->r_map = bpf_sock_hash_update(skops, &socks, &key, BPF_NOEXIST);
		if (skops->sk) {
			struct bpf_tcp_sock *tp = bpf_tcp_sock(skops->sk);

			if (tp)
				r->tp_ok = 1 | (tp->snd_cwnd == skops->snd_cwnd) << 1 |
					   (tp->mss_cache == skops->mss_cache) << 2 |
					   (tp->bytes_received == skops->bytes_received) << 3 |
					   (tp->srtt_us == skops->srtt_us) << 4;
		}
		break;
	case BPF_SOCK_OPS_TCP_LISTEN_CB:
		key = skops->local_port;
		r->r_map = bpf_sock_hash_update(skops, &socks, &key, BPF_NOEXIST);
		break;
	case BPF_SOCK_OPS_STATE_CB:
		key = skops->local_port;
		r->r_map = bpf_sock_hash_update(skops, &socks, &key, BPF_ANY);
		break;
	}
	r->cbf_after = skops->bpf_sock_ops_cb_flags;
	return 1;
}

char LICENSE[] SEC("license") = "GPL";

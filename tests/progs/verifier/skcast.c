// SPDX-License-Identifier: MIT OR Apache-2.0
/* Socket casts (bpf_skc_to_*): the argument is a socket pointer that
 * cannot be NULL, the result may be NULL and needs a check before use,
 * and a cast of a referenced socket shares its reference (releasing the
 * socket ends the cast's life too), except bpf_skc_to_unix_sock, whose
 * result keeps no reference at all. */
#include "vc.h"

/* First 4 bytes of whatever socket struct p points at (the struct types
 * are only declared here). */
static __always_inline __u32 first_word(void *p)
{
	return *(volatile __u32 *)p;
}

static __always_inline struct bpf_sock *lookup(struct __sk_buff *skb)
{
	struct bpf_sock_tuple t = {};

	t.ipv4.dport = bpf_htons(80);
	return bpf_sk_lookup_tcp(skb, &t, sizeof(t.ipv4), BPF_F_CURRENT_NETNS, 0);
}

SEC("tc")
int ok_cast_checked(struct __sk_buff *skb)
{
	struct bpf_sock *sk = skb->sk;
	struct tcp_sock *tp;

	if (!sk)
		return TC_ACT_OK;
	tp = bpf_skc_to_tcp_sock(sk);
	if (!tp)
		return TC_ACT_OK;
	return first_word(tp) & 1;
}

SEC("tc")
int bad_cast_unchecked(struct __sk_buff *skb)
{
	struct bpf_sock *sk = skb->sk;
	struct tcp_sock *tp;

	if (!sk)
		return TC_ACT_OK;
	tp = bpf_skc_to_tcp_sock(sk);
	return first_word(tp) & 1;
}

SEC("tc")
int bad_cast_of_maybe_null(struct __sk_buff *skb)
{
	struct bpf_sock *sk = skb->sk;
	struct tcp6_sock *tp;

	OPAQUE(sk);
	tp = bpf_skc_to_tcp6_sock(sk);
	return tp ? TC_ACT_SHOT : TC_ACT_OK;
}

SEC("tc")
int ok_cast_of_checked_sk(struct __sk_buff *skb)
{
	struct bpf_sock *sk = skb->sk;
	struct udp6_sock *up;

	if (!sk)
		return TC_ACT_OK;
	up = bpf_skc_to_udp6_sock(sk);
	return up ? TC_ACT_SHOT : TC_ACT_OK;
}

SEC("tc")
int bad_cast_of_stack(struct __sk_buff *skb)
{
	__u64 buf[4] = {};
	struct tcp_timewait_sock *tw;

	OPAQUE(buf[0]);
	tw = bpf_skc_to_tcp_timewait_sock(buf);
	return tw ? TC_ACT_SHOT : TC_ACT_OK;
}

SEC("tc")
int bad_cast_of_scalar(struct __sk_buff *skb)
{
	__u64 v = skb->len;
	struct tcp_request_sock *rq;

	rq = bpf_skc_to_tcp_request_sock((void *)v);
	return rq ? TC_ACT_SHOT : TC_ACT_OK;
}

SEC("tc")
int ok_cast_used_before_release(struct __sk_buff *skb)
{
	struct bpf_sock *sk = lookup(skb);
	struct tcp_sock *tp;
	__u32 w = 0;

	if (!sk)
		return TC_ACT_OK;
	tp = bpf_skc_to_tcp_sock(sk);
	if (tp)
		w = first_word(tp);
	bpf_sk_release(sk);
	return w & 1;
}

SEC("tc")
int bad_cast_used_after_release(struct __sk_buff *skb)
{
	struct bpf_sock *sk = lookup(skb);
	struct tcp_sock *tp;

	if (!sk)
		return TC_ACT_OK;
	tp = bpf_skc_to_tcp_sock(sk);
	bpf_sk_release(sk);
	if (!tp)
		return TC_ACT_OK;
	return first_word(tp) & 1;
}

SEC("tc")
int ok_cast_no_new_reference(struct __sk_buff *skb)
{
	struct bpf_sock *sk = skb->sk;
	struct mptcp_sock *m;

	if (!sk)
		return TC_ACT_OK;
	m = bpf_skc_to_mptcp_sock(sk);
	/* nothing to release: the cast acquired no reference */
	return m ? TC_ACT_SHOT : TC_ACT_OK;
}

SEC("tc")
int ok_unix_cast_outlives_release(struct __sk_buff *skb)
{
	struct bpf_sock *sk = lookup(skb);
	struct unix_sock *u;

	if (!sk)
		return TC_ACT_OK;
	u = bpf_skc_to_unix_sock(sk);
	bpf_sk_release(sk);
	if (!u)
		return TC_ACT_OK;
	return first_word(u) & 1;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";

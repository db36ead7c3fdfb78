// SPDX-License-Identifier: MIT OR Apache-2.0
/* Socket references: every acquired socket is released on every path,
 * and never used after its release. */
#include "vc.h"

static __always_inline struct bpf_sock *lookup(struct __sk_buff *skb)
{
	struct bpf_sock_tuple t = {};

	t.ipv4.dport = bpf_htons(80);
	return bpf_sk_lookup_tcp(skb, &t, sizeof(t.ipv4), BPF_F_CURRENT_NETNS, 0);
}

SEC("tc")
int bad_leak_one_path(struct __sk_buff *skb)
{
	struct bpf_sock *sk = lookup(skb);

	if (!sk)
		return TC_ACT_OK;
	if (skb->len > 100)
		return TC_ACT_SHOT; /* leaked here */
	bpf_sk_release(sk);
	return TC_ACT_OK;
}

SEC("tc")
int ok_released_all_paths(struct __sk_buff *skb)
{
	struct bpf_sock *sk = lookup(skb);
	int drop;

	if (!sk)
		return TC_ACT_OK;
	drop = skb->len > 100;
	bpf_sk_release(sk);
	return drop ? TC_ACT_SHOT : TC_ACT_OK;
}

SEC("tc")
int bad_use_after_release(struct __sk_buff *skb)
{
	struct bpf_sock *sk = lookup(skb);
	__u32 port;

	if (!sk)
		return TC_ACT_OK;
	bpf_sk_release(sk);
	port = sk->src_port;
	return port & 1;
}

SEC("tc")
int ok_use_before_release(struct __sk_buff *skb)
{
	struct bpf_sock *sk = lookup(skb);
	__u32 port;

	if (!sk)
		return TC_ACT_OK;
	port = sk->src_port;
	bpf_sk_release(sk);
	return port & 1;
}

SEC("tc")
int bad_never_released(struct __sk_buff *skb)
{
	struct bpf_sock *sk = lookup(skb);

	return sk ? TC_ACT_SHOT : TC_ACT_OK;
}

SEC("tc")
int bad_unchecked_deref(struct __sk_buff *skb)
{
	struct bpf_sock *sk = lookup(skb);
	__u32 port = sk->src_port;

	if (sk)
		bpf_sk_release(sk);
	return port & 1;
}

SEC("tc")
NAKED int bad_release_null(void)
{
	/* releasing a pointer that may be NULL */
	asm volatile("r2 = 0;"
		     "*(u64 *)(r10 - 8) = r2;"
		     "*(u64 *)(r10 - 16) = r2;"
		     "*(u64 *)(r10 - 24) = r2;"
		     "*(u64 *)(r10 - 32) = r2;"
		     "*(u64 *)(r10 - 40) = r2;"
		     "r2 = r10;"
		     "r2 += -40;"
		     "r3 = 12;"
		     "r4 = -1;"
		     "r5 = 0;"
		     "call %[sk_lookup_tcp];"
		     "r1 = r0;"
		     "call %[sk_release];"
		     "r0 = 0;"
		     "exit;"
		     :: FN(sk_lookup_tcp), FN(sk_release));
}

SEC("tc")
NAKED int bad_release_twice(void)
{
	asm volatile("r2 = 0;"
		     "*(u64 *)(r10 - 8) = r2;"
		     "*(u64 *)(r10 - 16) = r2;"
		     "*(u64 *)(r10 - 24) = r2;"
		     "*(u64 *)(r10 - 32) = r2;"
		     "*(u64 *)(r10 - 40) = r2;"
		     "r2 = r10;"
		     "r2 += -40;"
		     "r3 = 12;"
		     "r4 = -1;"
		     "r5 = 0;"
		     "call %[sk_lookup_tcp];"
		     "if r0 == 0 goto +5;"
		     "r6 = r0;"
		     "r1 = r0;"
		     "call %[sk_release];"
		     "r1 = r6;"
		     "call %[sk_release];"
		     "r0 = 0;"
		     "exit;"
		     :: FN(sk_lookup_tcp), FN(sk_release));
}

SEC("tc")
NAKED int ok_release_once(void)
{
	asm volatile("r2 = 0;"
		     "*(u64 *)(r10 - 8) = r2;"
		     "*(u64 *)(r10 - 16) = r2;"
		     "*(u64 *)(r10 - 24) = r2;"
		     "*(u64 *)(r10 - 32) = r2;"
		     "*(u64 *)(r10 - 40) = r2;"
		     "r2 = r10;"
		     "r2 += -40;"
		     "r3 = 12;"
		     "r4 = -1;"
		     "r5 = 0;"
		     "call %[sk_lookup_tcp];"
		     "if r0 == 0 goto +2;"
		     "r1 = r0;"
		     "call %[sk_release];"
		     "r0 = 0;"
		     "exit;"
		     :: FN(sk_lookup_tcp), FN(sk_release));
}

SEC("tc")
NAKED int bad_release_ctx(void)
{
	/* only acquired references can be released */
	asm volatile("call %[sk_release];"
		     "r0 = 0;"
		     "exit;"
		     :: FN(sk_release));
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";

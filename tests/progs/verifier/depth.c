// SPDX-License-Identifier: MIT OR Apache-2.0
/* The stack of a call chain together stays within 512 bytes. */
#include "vc.h"

#define FRAME(name, bytes)                                              \
	static __noinline int name(int x)                               \
	{                                                               \
		volatile char buf[bytes];                               \
		buf[x & 7] = x;                                         \
		return buf[(x >> 3) & 7] + inner_##name(x);             \
	}

static __noinline int leaf(int x)
{
	volatile char buf[160];

	buf[x & 7] = x;
	return buf[1];
}

static __noinline int inner_big(int x) { return leaf(x); }
static __noinline int inner_small(int x) { return x + 1; }

FRAME(big, 300)
FRAME(small, 200)

SEC("socket")
int bad_combined_over_512(struct __sk_buff *skb)
{
	/* 300 + 160 + this frame's 64 > 512 */
	volatile char buf[64];

	buf[skb->len & 7] = 1;
	return big(skb->len) + buf[0];
}

SEC("socket")
int ok_combined_under_512(struct __sk_buff *skb)
{
	volatile char buf[64];

	buf[skb->len & 7] = 1;
	return small(skb->len) + buf[0];
}

SEC("socket")
int ok_siblings_under_512(struct __sk_buff *skb)
{
	/* frames of calls made one after the other do not add up */
	return small(skb->len) + leaf(skb->len) + small(skb->len + 1);
}

static __noinline int d8(int x) { return x + 1; }
static __noinline int d7(int x) { return d8(x) + 1; }
static __noinline int d6(int x) { return d7(x) + 1; }
static __noinline int d5(int x) { return d6(x) + 1; }
static __noinline int d4(int x) { return d5(x) + 1; }
static __noinline int d3(int x) { return d4(x) + 1; }
static __noinline int d2(int x) { return d3(x) + 1; }
static __noinline int d1(int x) { return d2(x) + 1; }

SEC("socket")
int bad_nine_frames(struct __sk_buff *skb)
{
	/* main + 8 nested calls: more than 8 frames */
	return d1(skb->len);
}

SEC("socket")
int ok_eight_frames(struct __sk_buff *skb)
{
	return d2(skb->len);
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";

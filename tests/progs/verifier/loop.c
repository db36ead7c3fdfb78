// SPDX-License-Identifier: MIT OR Apache-2.0
/* Loops: the kernel explores them and accepts those it sees end within
 * its limits. */
#include "vc.h"

SEC("socket")
int ok_bounded_for(struct __sk_buff *skb)
{
	__u32 sum = 0;

	for (int i = 0; i < 16; i++) {
		__u32 x = skb->len + i;

		OPAQUE(x);
		sum += x;
	}
	return sum;
}

SEC("socket")
int bad_unbounded_for(struct __sk_buff *skb)
{
	__u32 sum = 0, n = skb->len;

	/* up to 4G iterations: more than the kernel's 1M-insn budget */
	for (__u32 i = 0; i < n; i++) {
		__u32 x = i;

		OPAQUE(x);
		sum += x;
	}
	return sum;
}

SEC("socket")
int ok_bounded_by_mask(struct __sk_buff *skb)
{
	__u32 sum = 0, n = skb->len & 31;

	for (__u32 i = 0; i < n; i++) {
		__u32 x = i;

		OPAQUE(x);
		sum += x;
	}
	return sum;
}

SEC("socket")
NAKED int bad_infinite(void)
{
	/* the same state comes back: an infinite loop */
	asm volatile("r0 = 0;"
		     "r0 = 0;"
		     "goto -2;"
		     "exit;");
}

SEC("socket")
NAKED int ok_counted_down(void)
{
	asm volatile("r0 = 10;"
		     "r0 += -1;"
		     "if r0 != 0 goto -2;"
		     "exit;");
}

SEC("socket")
NAKED int bad_never_counts(void)
{
	/* the counter never changes */
	asm volatile("r0 = 10;"
		     "r1 = r0;"
		     "if r0 != 0 goto -2;"
		     "exit;");
}

SEC("socket")
int ok_while_shift(struct __sk_buff *skb)
{
	__u32 x = skb->len, n = 0;

	while (x) {
		x >>= 1;
		n++;
		OPAQUE(x);
	}
	return n;
}

SEC("socket")
NAKED int bad_loop_uninit_exit(void)
{
	/* a bounded loop that leaves r0 unset on exit */
	asm volatile("r1 = 10;"
		     "r1 += -1;"
		     "if r1 != 0 goto -2;"
		     "exit;");
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";

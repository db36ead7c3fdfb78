// SPDX-License-Identifier: MIT OR Apache-2.0
/* A helper's size argument in a register must be bounded to fit the
 * memory argument before it (and be nonzero unless zero is allowed). */
#include "vc.h"

#define LOAD_LEN(check)                                         \
	asm volatile("r6 = r1;"                                 \
		     "r4 = *(u32 *)(r1 + 0);"                   \
		     check                                      \
		     "r1 = r6;"                                 \
		     "r2 = 0;"                                  \
		     "r3 = r10;"                                \
		     "r3 += -32;"                               \
		     "call %[skb_load_bytes];"                  \
		     "r0 = 0;"                                  \
		     "exit;"                                    \
		     :: FN(skb_load_bytes))

SEC("socket")
NAKED int bad_size_unbounded(void)
{
	LOAD_LEN("");
}

SEC("socket")
NAKED int ok_size_bounded(void)
{
	LOAD_LEN("r4 &= 31; r4 += 1;");
}

SEC("socket")
NAKED int bad_size_too_big(void)
{
	/* up to 64 bytes into a 32-byte buffer */
	LOAD_LEN("r4 &= 63; r4 += 1;");
}

SEC("socket")
NAKED int bad_size_maybe_zero(void)
{
	/* bpf_skb_load_bytes takes no zero size */
	LOAD_LEN("r4 &= 31;");
}

SEC("socket")
NAKED int ok_size_checked_range(void)
{
	LOAD_LEN("if r4 == 0 goto +6; if r4 > 32 goto +5;");
}

SEC("socket")
NAKED int bad_size_const_big(void)
{
	LOAD_LEN("r4 = 33;");
}

SEC("socket")
NAKED int ok_size_const(void)
{
	LOAD_LEN("r4 = 32;");
}

SEC("socket")
NAKED int bad_size_negative(void)
{
	LOAD_LEN("r4 = -1;");
}

SEC("socket")
int ok_printk_size_zero(struct __sk_buff *skb)
{
	/* bpf_probe_read_kernel allows size 0 (ARG_CONST_SIZE_OR_ZERO) */
	char b[8];
	__u32 n = skb->len & 7;

	bpf_probe_read_kernel(b, n, (void *)(long)skb->len);
	return 0;
}

SEC("socket")
int bad_read_kernel_size_9(struct __sk_buff *skb)
{
	char b[8];
	__u32 n = skb->len & 15;

	if (n > 9)
		return 0;
	bpf_probe_read_kernel(b, n, (void *)(long)skb->len);
	return 0;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";

// SPDX-License-Identifier: MIT OR Apache-2.0
/* r10, the frame pointer, is read-only; it may be copied and offset. */
#include "vc.h"

SEC("socket")
NAKED int bad_assign_r10(void)
{
	asm volatile("r10 = 0;"
		     "r0 = 0;"
		     "exit;");
}

SEC("socket")
NAKED int bad_add_r10(void)
{
	asm volatile("r10 += -8;"
		     "r0 = 0;"
		     "exit;");
}

SEC("socket")
NAKED int bad_load_into_r10(void)
{
	asm volatile("r0 = 0;"
		     "*(u64 *)(r10 - 8) = r0;"
		     "r10 = *(u64 *)(r10 - 8);"
		     "exit;");
}

SEC("socket")
NAKED int ok_copy_r10(void)
{
	asm volatile("r1 = r10;"
		     "r1 += -8;"
		     "r0 = 0;"
		     "*(u64 *)(r1 + 0) = r0;"
		     "exit;");
}

SEC("socket")
NAKED int bad_or_r10(void)
{
	asm volatile("r0 = r10;"
		     "r0 |= 7;"
		     "r0 = 0;"
		     "exit;");
}

SEC("socket")
NAKED int ok_sub_r10(void)
{
	/* a pointer minus a pointer of the same stack is a number */
	asm volatile("r1 = r10;"
		     "r1 += -16;"
		     "r0 = r10;"
		     "r0 -= r1;"
		     "exit;");
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";

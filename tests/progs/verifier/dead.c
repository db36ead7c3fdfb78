// SPDX-License-Identifier: MIT OR Apache-2.0
/* Instructions on a path the walk proves dead (a branch on known values
 * always goes the other way) are never checked: an out-of-stack access, a
 * division by an immediate 0, an uninitialized register or a too-wide
 * shift there does not refuse the program. The same instructions on a
 * path that is only probably dead (the branch tests a packet byte) do. */
#include "vc.h"

SEC("socket")
NAKED int ok_dead_stack_oob(void)
{
	asm volatile("r1 = 5;"
		     "if r1 == 5 goto +1;"
		     "*(u32 *)(r10 + 0) = r1;"
		     "r0 = 0;"
		     "exit;");
}

SEC("socket")
NAKED int bad_live_stack_oob(void)
{
	asm volatile("r1 = *(u32 *)(r1 + 0);"
		     "if r1 == 5 goto +1;"
		     "*(u32 *)(r10 + 0) = r1;"
		     "r0 = 0;"
		     "exit;");
}

SEC("socket")
NAKED int ok_dead_after_fetch_from_zero(void)
{
	/* the exchange reads the zero stored before: r2 is 0, not unknown */
	asm volatile("r1 = 0;"
		     "*(u64 *)(r10 - 8) = r1;"
		     "r2 = 7;"
		     "r2 = atomic_fetch_add((u64 *)(r10 - 8), r2);"
		     "if r2 == 0 goto +1;"
		     "*(u64 *)(r10 + 8) = r2;"
		     "r0 = 0;"
		     "exit;");
}

SEC("socket")
NAKED int bad_live_after_fetch(void)
{
	asm volatile("r1 = *(u32 *)(r1 + 0);"
		     "*(u64 *)(r10 - 8) = r1;"
		     "r2 = 7;"
		     "r2 = atomic_fetch_add((u64 *)(r10 - 8), r2);"
		     "if r2 == 0 goto +1;"
		     "*(u64 *)(r10 + 8) = r2;"
		     "r0 = 0;"
		     "exit;");
}

SEC("socket")
NAKED int ok_dead_uninit(void)
{
	asm volatile("r1 = 5;"
		     "if r1 != 5 goto +2;"
		     "r0 = 0;"
		     "exit;"
		     "r0 = r7;"
		     "exit;");
}

SEC("socket")
NAKED int bad_live_uninit(void)
{
	asm volatile("r1 = *(u32 *)(r1 + 0);"
		     "if r1 != 5 goto +2;"
		     "r0 = 0;"
		     "exit;"
		     "r0 = r7;"
		     "exit;");
}

SEC("socket")
NAKED int ok_dead_div_zero(void)
{
	asm volatile("r0 = 1;"
		     "if r0 > 0 goto +1;"
		     "r0 /= 0;"
		     "r0 = 0;"
		     "exit;");
}

SEC("socket")
NAKED int bad_live_div_zero(void)
{
	asm volatile("r0 = *(u32 *)(r1 + 0);"
		     "if r0 > 0 goto +1;"
		     "r0 /= 0;"
		     "r0 = 0;"
		     "exit;");
}

SEC("socket")
NAKED int ok_dead_wide_shift(void)
{
	asm volatile("w0 = 3;"
		     "if w0 s< 2 goto +1;"
		     "goto +1;"
		     "w0 <<= 40;"
		     "r0 = 0;"
		     "exit;");
}

SEC("socket")
NAKED int bad_live_wide_shift(void)
{
	asm volatile("r0 = *(u32 *)(r1 + 0);"
		     "if w0 s< 2 goto +1;"
		     "goto +1;"
		     "w0 <<= 40;"
		     "r0 = 0;"
		     "exit;");
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";

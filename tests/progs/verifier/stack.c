// SPDX-License-Identifier: MIT OR Apache-2.0
/* The stack: 512 bytes below r10, aligned accesses, variable offsets
 * only over initialised bytes, r10 itself read-only. Privileged programs
 * may read uninitialised slots. */
#include "vc.h"

SEC("socket")
NAKED int ok_var_off_uninit_root(void)
{
	/* bytes fp-16..fp-9 are never written: root may read them */
	asm volatile("r2 = 0;"
		     "*(u64 *)(r10 - 8) = r2;"
		     "r0 = *(u32 *)(r1 + 0);"
		     "r0 &= 15;"
		     "r2 = r10;"
		     "r2 += -16;"
		     "r2 += r0;"
		     "r0 = *(u8 *)(r2 + 0);"
		     "exit;");
}

SEC("socket")
NAKED int ok_var_off_init(void)
{
	asm volatile("r2 = 0;"
		     "*(u64 *)(r10 - 8) = r2;"
		     "*(u64 *)(r10 - 16) = r2;"
		     "r0 = *(u32 *)(r1 + 0);"
		     "r0 &= 15;"
		     "r2 = r10;"
		     "r2 += -16;"
		     "r2 += r0;"
		     "r0 = *(u8 *)(r2 + 0);"
		     "exit;");
}

SEC("socket")
NAKED int bad_var_off_beyond(void)
{
	/* up to fp+7: above the frame */
	asm volatile("r2 = 0;"
		     "*(u64 *)(r10 - 8) = r2;"
		     "r0 = *(u32 *)(r1 + 0);"
		     "r0 &= 15;"
		     "r2 = r10;"
		     "r2 += -8;"
		     "r2 += r0;"
		     "r0 = *(u8 *)(r2 + 0);"
		     "exit;");
}

SEC("socket")
NAKED int bad_var_off_unbounded(void)
{
	asm volatile("r2 = 0;"
		     "*(u64 *)(r10 - 8) = r2;"
		     "r0 = *(u32 *)(r1 + 0);"
		     "r2 = r10;"
		     "r2 += -8;"
		     "r2 += r0;"
		     "r0 = *(u8 *)(r2 + 0);"
		     "exit;");
}

SEC("socket")
NAKED int ok_uninit_read_priv(void)
{
	/* root may read a never-written slot (CAP_PERFMON) */
	asm volatile("r0 = *(u64 *)(r10 - 8);"
		     "r0 = 0;"
		     "exit;");
}

SEC("socket")
NAKED int bad_below_stack(void)
{
	asm volatile("r0 = 0;"
		     "*(u64 *)(r10 - 520) = r0;"
		     "exit;");
}

SEC("socket")
NAKED int ok_stack_bottom(void)
{
	asm volatile("r0 = 0;"
		     "*(u64 *)(r10 - 512) = r0;"
		     "exit;");
}

SEC("socket")
NAKED int bad_above_fp(void)
{
	asm volatile("r0 = *(u64 *)(r10 + 0);"
		     "exit;");
}

SEC("socket")
NAKED int bad_misaligned(void)
{
	asm volatile("r0 = 0;"
		     "*(u64 *)(r10 - 12) = r0;"
		     "exit;");
}

SEC("socket")
NAKED int ok_aligned_u32(void)
{
	asm volatile("r0 = 0;"
		     "*(u32 *)(r10 - 12) = r0;"
		     "exit;");
}

SEC("socket")
NAKED int bad_copied_fp_oob(void)
{
	/* a copy of r10 is checked like r10 */
	asm volatile("r2 = r10;"
		     "r2 += -600;"
		     "r0 = 0;"
		     "*(u64 *)(r2 + 0) = r0;"
		     "exit;");
}

SEC("socket")
NAKED int ok_copied_fp(void)
{
	asm volatile("r2 = r10;"
		     "r2 += -256;"
		     "r0 = 0;"
		     "*(u64 *)(r2 + 0) = r0;"
		     "exit;");
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";

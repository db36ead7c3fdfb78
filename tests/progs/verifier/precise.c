// SPDX-License-Identifier: MIT OR Apache-2.0
/* Precision: two paths meet with a register holding different numbers.
 * When nothing below the meeting point depends on that number exactly,
 * the verifier may stop the second path there; when a branch below is
 * decided by it (also through a copy or a stack slot), both paths must
 * be explored, and a bad access on the second is refused. The few
 * instructions and a jump before each meeting point make verifiers that
 * store states only every few jumps (the kernel, bpfbox) store one
 * there. */
#include "vc.h"

SEC("socket")
NAKED int ok_imprecise_counter_join(void)
{
	/* r0 is 0 or 1 at the join and only compared, never decisive */
	asm volatile("r1 = *(u32 *)(r1 + 0);"
		     "r0 = 0;"
		     "if r1 > 10 goto +5;"
		     "r0 = 1;"
		     "r6 = 0;"
		     "r6 = 0;"
		     "r6 = 0;"
		     "goto +0;"
		     "if r1 > r0 goto +1;"
		     "r0 += 1;"
		     "exit;");
}

SEC("socket")
NAKED int ok_decided_branch(void)
{
	/* r3 == 5 is known on each path; both paths are safe */
	asm volatile("r1 = *(u32 *)(r1 + 0);"
		     "r0 = 0;"
		     "r2 = 1;"
		     "if r1 > 10 goto +5;"
		     "r2 = 0;"
		     "r6 = 0;"
		     "r6 = 0;"
		     "r6 = 0;"
		     "goto +0;"
		     "r3 = r2;"
		     "r3 += 5;"
		     "if r3 == 5 goto +2;"
		     "r0 = 1;"
		     "exit;"
		     "exit;");
}

SEC("socket")
NAKED int bad_decided_branch(void)
{
	/* the path with r2 = 1 dereferences a number */
	asm volatile("r1 = *(u32 *)(r1 + 0);"
		     "r0 = 0;"
		     "r2 = 1;"
		     "if r1 > 10 goto +5;"
		     "r2 = 0;"
		     "r6 = 0;"
		     "r6 = 0;"
		     "r6 = 0;"
		     "goto +0;"
		     "r3 = r2;"
		     "r3 += 5;"
		     "if r3 == 5 goto +2;"
		     "r0 = *(u64 *)(r1 + 0);"
		     "exit;"
		     "exit;");
}

SEC("socket")
NAKED int bad_decided_through_stack(void)
{
	/* the deciding number is on the stack at the join */
	asm volatile("r1 = *(u32 *)(r1 + 0);"
		     "r0 = 0;"
		     "r2 = 1;"
		     "*(u64 *)(r10 - 8) = r2;"
		     "if r1 > 10 goto +6;"
		     "r2 = 0;"
		     "*(u64 *)(r10 - 8) = r2;"
		     "r6 = 0;"
		     "r6 = 0;"
		     "r6 = 0;"
		     "goto +0;"
		     "r3 = *(u64 *)(r10 - 8);"
		     "if r3 == 0 goto +2;"
		     "r0 = *(u64 *)(r1 + 0);"
		     "exit;"
		     "exit;");
}

char LICENSE[] SEC("license") = "GPL";

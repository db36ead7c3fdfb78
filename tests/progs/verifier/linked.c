// SPDX-License-Identifier: MIT OR Apache-2.0
/* Linked scalars: after `r1 = r2` (and, since 6.11, `r1 += const`), a
 * bound learnt on one register holds for the other, shifted by the
 * offset. The target of a branch the link decides reads uninitialized
 * r7. ok_linked_with_offset* are listed as strict in expected.txt:
 * bpfbox links copies without offsets only. */
#include "vc.h"

SEC("socket")
NAKED int ok_linked_copy(void)
{
	asm volatile("r2 = *(u32 *)(r1 + 0);"
		     "r1 = r2;"
		     "if r2 > 10 goto +4;"
		     "if r1 > 10 goto +1;"
		     "goto +2;"
		     "r0 = r7;"
		     "exit;"
		     "r0 = 0;"
		     "exit;");
}

SEC("socket")
NAKED int ok_linked_with_offset(void)
{
	asm volatile("r2 = *(u32 *)(r1 + 0);"
		     "r1 = r2;"
		     "r1 += 4;"
		     "if r2 > 10 goto +4;"
		     "if r1 > 14 goto +1;"
		     "goto +2;"
		     "r0 = r7;"
		     "exit;"
		     "r0 = 0;"
		     "exit;");
}

SEC("socket")
NAKED int ok_linked_with_offset_reverse(void)
{
	asm volatile("r2 = *(u32 *)(r1 + 0);"
		     "r1 = r2;"
		     "r1 += 4;"
		     "if r1 > 14 goto +4;"
		     "if r2 > 10 goto +1;"
		     "goto +2;"
		     "r0 = r7;"
		     "exit;"
		     "r0 = 0;"
		     "exit;");
}

SEC("socket")
NAKED int bad_linked_offset_off_by_one(void)
{
	asm volatile("r2 = *(u32 *)(r1 + 0);"
		     "r1 = r2;"
		     "r1 += 4;"
		     "if r2 > 10 goto +4;"
		     "if r1 > 13 goto +1;"
		     "goto +2;"
		     "r0 = r7;"
		     "exit;"
		     "r0 = 0;"
		     "exit;");
}

char LICENSE[] SEC("license") = "GPL";

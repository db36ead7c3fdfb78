// SPDX-License-Identifier: MIT OR Apache-2.0
/* Linked scalars: after `r1 = r2` (and, since 6.11, `r1 += const`), a
 * bound learnt on one register holds for the other, shifted by the
 * offset. The target of a branch the link decides reads uninitialized
 * r7. The link survives one add or sub of a constant: 64-bit of one
 * that fits in 32 signed bits, 32-bit when the register is below 2^32
 * (the 32-bit sum zero-extended). A second one, a non-constant addend,
 * a 32-bit add to a wider register or a copy of the shifted register
 * breaks it. */
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

SEC("socket")
NAKED int ok_linked_offset_add32(void)
{
	asm volatile("r2 = *(u32 *)(r1 + 0);"
		     "r1 = r2;"
		     "w1 += 4;"
		     "if r2 > 10 goto +4;"
		     "if r1 > 14 goto +1;"
		     "goto +2;"
		     "r0 = r7;"
		     "exit;"
		     "r0 = 0;"
		     "exit;");
}

SEC("socket")
NAKED int bad_linked_offset_add32_wide(void)
{
	asm volatile("r2 = *(u32 *)(r1 + 0);"
		     "r2 <<= 1;"
		     "r1 = r2;"
		     "w1 += 4;"
		     "if r2 > 10 goto +4;"
		     "if r1 > 14 goto +1;"
		     "goto +2;"
		     "r0 = r7;"
		     "exit;"
		     "r0 = 0;"
		     "exit;");
}

SEC("socket")
NAKED int ok_linked_offset_sub(void)
{
	asm volatile("r2 = *(u32 *)(r1 + 0);"
		     "r1 = r2;"
		     "r1 -= 4;"
		     "if r2 > 10 goto +4;"
		     "if r1 s> 6 goto +1;"
		     "goto +2;"
		     "r0 = r7;"
		     "exit;"
		     "r0 = 0;"
		     "exit;");
}

SEC("socket")
NAKED int ok_linked_offset_negative(void)
{
	asm volatile("r2 = *(u32 *)(r1 + 0);"
		     "r1 = r2;"
		     "r1 += -4;"
		     "if r2 > 10 goto +4;"
		     "if r1 s> 6 goto +1;"
		     "goto +2;"
		     "r0 = r7;"
		     "exit;"
		     "r0 = 0;"
		     "exit;");
}

SEC("socket")
NAKED int bad_linked_offset_not_constant(void)
{
	asm volatile("r2 = *(u32 *)(r1 + 0);"
		     "r3 = *(u32 *)(r1 + 4);"
		     "r3 &= 3;"
		     "r1 = r2;"
		     "r1 += r3;"
		     "if r2 > 10 goto +4;"
		     "if r1 > 14 goto +1;"
		     "goto +2;"
		     "r0 = r7;"
		     "exit;"
		     "r0 = 0;"
		     "exit;");
}

SEC("socket")
NAKED int bad_linked_offset_twice(void)
{
	asm volatile("r2 = *(u32 *)(r1 + 0);"
		     "r1 = r2;"
		     "r1 += 2;"
		     "r1 += 2;"
		     "if r2 > 10 goto +4;"
		     "if r1 > 14 goto +1;"
		     "goto +2;"
		     "r0 = r7;"
		     "exit;"
		     "r0 = 0;"
		     "exit;");
}

SEC("socket")
NAKED int bad_linked_offset_back_to_zero(void)
{
	asm volatile("r2 = *(u32 *)(r1 + 0);"
		     "r1 = r2;"
		     "r1 += 4;"
		     "r1 += -4;"
		     "if r2 > 10 goto +4;"
		     "if r1 > 10 goto +1;"
		     "goto +2;"
		     "r0 = r7;"
		     "exit;"
		     "r0 = 0;"
		     "exit;");
}

SEC("socket")
NAKED int bad_linked_offset_copied(void)
{
	asm volatile("r2 = *(u32 *)(r1 + 0);"
		     "r1 = r2;"
		     "r1 += 4;"
		     "r3 = r1;"
		     "if r2 > 10 goto +4;"
		     "if r1 > 14 goto +1;"
		     "goto +2;"
		     "r0 = r7;"
		     "exit;"
		     "r0 = 0;"
		     "exit;");
}

SEC("socket")
NAKED int ok_linked_offset_copy_keeps_source(void)
{
	asm volatile("r2 = *(u32 *)(r1 + 0);"
		     "r3 = r2;"
		     "r1 = r3;"
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
NAKED int ok_linked_offset_large(void)
{
	asm volatile("r2 = *(u32 *)(r1 + 0);"
		     "r1 = r2;"
		     "r1 += 0x7ffffff0;"
		     "if r2 > 10 goto +4;"
		     "if r1 > 2147483642 goto +1;"
		     "goto +2;"
		     "r0 = r7;"
		     "exit;"
		     "r0 = 0;"
		     "exit;");
}

/* The bound learnt on r2 reaches the stack index r1 = r2 + 4: r2 <= 11
 * keeps a byte read within the 16-byte buffer, r2 <= 12 does not. */
#define INDEX(name, limit)                                              \
	SEC("socket")                                                   \
	NAKED int name(void)                                            \
	{                                                               \
		asm volatile("r2 = *(u32 *)(r1 + 0);"                   \
			     "r1 = r2;"                                 \
			     "r1 += 4;"                                 \
			     "r3 = 0;"                                  \
			     "*(u64 *)(r10 - 16) = r3;"                 \
			     "*(u64 *)(r10 - 8) = r3;"                  \
			     "if r2 > " #limit " goto +4;"              \
			     "r3 = r10;"                                \
			     "r3 += -16;"                               \
			     "r3 += r1;"                                \
			     "r0 = *(u8 *)(r3 + 0);"                    \
			     "r0 = 0;"                                  \
			     "exit;");                                  \
	}

INDEX(ok_linked_offset_index, 11)
INDEX(bad_linked_offset_index, 12)

char LICENSE[] SEC("license") = "GPL";

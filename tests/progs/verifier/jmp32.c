// SPDX-License-Identifier: MIT OR Apache-2.0
/* Bounds learnt from 32-bit and signed comparisons, used as an index
 * into a 16-byte map value. */
#include "vc.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, char[16]);
} buf SEC(".maps");

/* r6 = index (set by `setup`), r0 = value pointer; reads value[r6]
 * after the two-instruction bound check `check`, else returns 0. */
#define CHECKED(setup, check)                                   \
	asm volatile(setup                                      \
		     "r2 = 0;"                                  \
		     "*(u32 *)(r10 - 4) = r2;"                  \
		     "r2 = r10;"                                \
		     "r2 += -4;"                                \
		     "r1 = %[buf] ll;"                          \
		     "call %[map_lookup_elem];"                 \
		     "if r0 == 0 goto +5;"                      \
		     check                                      \
		     "r0 += r6;"                                \
		     "r0 = *(u8 *)(r0 + 0);"                    \
		     "exit;"                                    \
		     "r0 = 0;"                                  \
		     "exit;"                                    \
		     :: ADDR(buf), FN(map_lookup_elem))

SEC("socket")
NAKED int ok_w_lt_16(void)
{
	/* w6 < 16 bounds a 32-bit value */
	CHECKED("r6 = *(u32 *)(r1 + 0);", "if w6 >= 16 goto +4; r6 += 0;");
}

SEC("socket")
NAKED int bad_w_lt_17(void)
{
	CHECKED("r6 = *(u32 *)(r1 + 0);", "if w6 >= 17 goto +4; r6 += 0;");
}

SEC("socket")
NAKED int bad_w_check_64bit_value(void)
{
	/* a 32-bit check says nothing of the upper half of a 64-bit value */
	CHECKED("r6 = *(u32 *)(r1 + 0); r6 <<= 32; r7 = *(u32 *)(r1 + 4); r6 |= r7;",
		"if w6 >= 16 goto +4; r6 += 0;");
}

SEC("socket")
NAKED int ok_r_lt_16(void)
{
	CHECKED("r6 = *(u32 *)(r1 + 0); r6 <<= 32; r7 = *(u32 *)(r1 + 4); r6 |= r7;",
		"if r6 >= 16 goto +4; r6 += 0;");
}

SEC("socket")
NAKED int ok_w_le_15(void)
{
	CHECKED("r6 = *(u32 *)(r1 + 0);", "if w6 > 15 goto +4; r6 += 0;");
}

SEC("socket")
NAKED int bad_w_le_16(void)
{
	CHECKED("r6 = *(u32 *)(r1 + 0);", "if w6 > 16 goto +4; r6 += 0;");
}

SEC("socket")
NAKED int bad_w_ne(void)
{
	/* != says nothing about the range */
	CHECKED("r6 = *(u32 *)(r1 + 0);", "if w6 == 3 goto +4; r6 += 0;");
}

SEC("socket")
NAKED int ok_w_eq_after_ne(void)
{
	/* on the fall-through of != 3, the value is 3 */
	CHECKED("r6 = *(u32 *)(r1 + 0);", "if w6 != 3 goto +4;"
					  "if w6 >= 16 goto +3;");
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";

// SPDX-License-Identifier: MIT OR Apache-2.0
/* Signed comparisons bound one side only; index checks need both. */
#include "vc.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, char[16]);
} buf SEC(".maps");

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

/* r6 = a value that may be negative (sign-extended 32-bit) */
#define SIGNED_IN "r6 = *(u32 *)(r1 + 0); r6 <<= 32; r6 s>>= 32;"

SEC("socket")
NAKED int bad_slt_only(void)
{
	CHECKED(SIGNED_IN, "if r6 s>= 16 goto +4; r6 += 0;");
}

SEC("socket")
NAKED int ok_slt_and_sge0(void)
{
	CHECKED(SIGNED_IN, "if r6 s>= 16 goto +4; if r6 s< 0 goto +3;");
}

SEC("socket")
NAKED int ok_unsigned_lt(void)
{
	/* unsigned < 16 excludes negative values */
	CHECKED(SIGNED_IN, "if r6 >= 16 goto +4; r6 += 0;");
}

SEC("socket")
NAKED int bad_sgt_wrong_side(void)
{
	CHECKED(SIGNED_IN, "if r6 s> 0 goto +4; r6 += 0;");
}

SEC("socket")
NAKED int ok_w_signed_both(void)
{
	CHECKED("r6 = *(u32 *)(r1 + 0);",
		"if w6 s> 15 goto +4; if w6 s< 0 goto +3;");
}

SEC("socket")
NAKED int bad_w_signed_upper_only(void)
{
	/* 32-bit signed bound on a 32-bit load: values 2^31.. are negative
	 * in 32 bits and pass the check */
	CHECKED("r6 = *(u32 *)(r1 + 0);", "if w6 s> 15 goto +4; r6 += 0;");
}

SEC("socket")
NAKED int ok_sle_sge(void)
{
	CHECKED(SIGNED_IN, "if r6 s> 15 goto +4; if r6 s< 1 goto +3;");
}

SEC("socket")
NAKED int bad_off_by_one_sle(void)
{
	CHECKED(SIGNED_IN, "if r6 s> 16 goto +4; if r6 s< 0 goto +3;");
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";

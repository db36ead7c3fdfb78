// SPDX-License-Identifier: MIT OR Apache-2.0
/* Registers spilled to the stack and filled back keep their type and
 * bounds, as long as the whole slot is spilled and filled. */
#include "vc.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, char[16]);
} buf SEC(".maps");

#define LOOKUP                                                  \
	"r2 = 0;"                                               \
	"*(u32 *)(r10 - 4) = r2;"                               \
	"r2 = r10;"                                             \
	"r2 += -4;"                                             \
	"r1 = %[buf] ll;"                                       \
	"call %[map_lookup_elem];"

SEC("socket")
NAKED int ok_bounded_scalar_spill(void)
{
	/* the bound survives a spill and a fill */
	asm volatile("r6 = *(u32 *)(r1 + 0);"
		     "r6 &= 15;"
		     "*(u64 *)(r10 - 16) = r6;"
		     LOOKUP
		     "if r0 == 0 goto +3;"
		     "r6 = *(u64 *)(r10 - 16);"
		     "r0 += r6;"
		     "r0 = *(u8 *)(r0 + 0);"
		     "exit;"
		     :: ADDR(buf), FN(map_lookup_elem));
}

SEC("socket")
NAKED int bad_bound_lost_in_bytes(void)
{
	/* spilled as one byte plus another byte: the fill is unknown */
	asm volatile("r6 = *(u32 *)(r1 + 0);"
		     "r6 &= 15;"
		     "r7 = 0;"
		     "*(u64 *)(r10 - 16) = r7;"
		     "*(u8 *)(r10 - 16) = r6;"
		     "*(u8 *)(r10 - 15) = r6;"
		     LOOKUP
		     "if r0 == 0 goto +3;"
		     "r6 = *(u64 *)(r10 - 16);"
		     "r0 += r6;"
		     "r0 = *(u8 *)(r0 + 0);"
		     "exit;"
		     :: ADDR(buf), FN(map_lookup_elem));
}

SEC("socket")
NAKED int ok_pointer_spill(void)
{
	/* a pointer survives a spill */
	asm volatile(LOOKUP
		     "if r0 == 0 goto +3;"
		     "*(u64 *)(r10 - 16) = r0;"
		     "r1 = *(u64 *)(r10 - 16);"
		     "r0 = *(u8 *)(r1 + 0);"
		     "exit;"
		     :: ADDR(buf), FN(map_lookup_elem));
}

SEC("socket")
NAKED int bad_pointer_partial_fill(void)
{
	/* half of a spilled pointer is not a pointer */
	asm volatile(LOOKUP
		     "if r0 == 0 goto +3;"
		     "*(u64 *)(r10 - 16) = r0;"
		     "r1 = *(u32 *)(r10 - 16);"
		     "r0 = *(u8 *)(r1 + 0);"
		     "exit;"
		     :: ADDR(buf), FN(map_lookup_elem));
}

SEC("socket")
NAKED int bad_pointer_overwritten(void)
{
	/* one byte of the spilled pointer overwritten */
	asm volatile(LOOKUP
		     "if r0 == 0 goto +5;"
		     "*(u64 *)(r10 - 16) = r0;"
		     "r2 = 1;"
		     "*(u8 *)(r10 - 13) = r2;"
		     "r1 = *(u64 *)(r10 - 16);"
		     "r0 = *(u8 *)(r1 + 0);"
		     "exit;"
		     :: ADDR(buf), FN(map_lookup_elem));
}

SEC("socket")
NAKED int ok_ctx_spill(void)
{
	asm volatile("*(u64 *)(r10 - 8) = r1;"
		     "r1 = 0;"
		     "r2 = *(u64 *)(r10 - 8);"
		     "r0 = *(u32 *)(r2 + 0);"
		     "exit;");
}

SEC("socket")
NAKED int bad_fp_spill_misaligned(void)
{
	asm volatile("*(u64 *)(r10 - 12) = r1;"
		     "r0 = 0;"
		     "exit;");
}

SEC("socket")
NAKED int ok_u32_spill_bounds(void)
{
	/* a 32-bit spill of a 32-bit bounded value, filled as 32 bits */
	asm volatile("r6 = *(u32 *)(r1 + 0);"
		     "r6 &= 15;"
		     "*(u32 *)(r10 - 16) = r6;"
		     LOOKUP
		     "if r0 == 0 goto +3;"
		     "r6 = *(u32 *)(r10 - 16);"
		     "r0 += r6;"
		     "r0 = *(u8 *)(r0 + 0);"
		     "exit;"
		     :: ADDR(buf), FN(map_lookup_elem));
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";

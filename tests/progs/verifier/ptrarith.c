// SPDX-License-Identifier: MIT OR Apache-2.0
/* Pointer arithmetic: add and subtract scalars (within rules per pointer
 * type), nothing else. */
#include "vc.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64[8]);
} vals SEC(".maps");

#define LOOKUP                                                  \
	"r2 = 0;"                                               \
	"*(u32 *)(r10 - 4) = r2;"                               \
	"r2 = r10;"                                             \
	"r2 += -4;"                                             \
	"r1 = %[vals] ll;"                                      \
	"call %[map_lookup_elem];"                              \
	"if r0 == 0 goto +3;"

SEC("socket")
NAKED int bad_mul_pointer(void)
{
	asm volatile(LOOKUP
		     "r0 *= 2;"
		     "r0 = 0;"
		     "exit;"
		     "exit;"
		     :: ADDR(vals), FN(map_lookup_elem));
}

SEC("socket")
NAKED int ok_add_const(void)
{
	asm volatile(LOOKUP
		     "r0 += 8;"
		     "r0 = *(u64 *)(r0 + 0);"
		     "exit;"
		     "exit;"
		     :: ADDR(vals), FN(map_lookup_elem));
}

SEC("socket")
NAKED int bad_and_pointer(void)
{
	asm volatile(LOOKUP
		     "r0 &= -8;"
		     "r0 = *(u64 *)(r0 + 0);"
		     "exit;"
		     "exit;"
		     :: ADDR(vals), FN(map_lookup_elem));
}

SEC("socket")
NAKED int bad_pointer_plus_pointer(void)
{
	asm volatile(LOOKUP
		     "r0 += r10;"
		     "r0 = 0;"
		     "exit;"
		     "exit;"
		     :: ADDR(vals), FN(map_lookup_elem));
}

SEC("socket")
NAKED int bad_ptr32_arith(void)
{
	asm volatile(LOOKUP
		     "w0 += 8;"
		     "r0 = 0;"
		     "exit;"
		     "exit;"
		     :: ADDR(vals), FN(map_lookup_elem));
}

SEC("socket")
NAKED int ok_var_add_bounded(void)
{
	asm volatile("r6 = *(u32 *)(r1 + 0);"
		     LOOKUP
		     "r6 &= 56;"
		     "r0 += r6;"
		     "r0 = *(u64 *)(r0 + 0);"
		     "exit;"
		     :: ADDR(vals), FN(map_lookup_elem));
}

/* root may turn a pointer into a number */
SEC("socket")
NAKED int ok_neg_pointer_root(void)
{
	asm volatile(LOOKUP
		     "r0 = -r0;"
		     "r0 = 0;"
		     "exit;"
		     "exit;"
		     :: ADDR(vals), FN(map_lookup_elem));
}

SEC("xdp")
NAKED int ok_pkt_minus_pkt(void)
{
	/* data_end - data is the packet length */
	asm volatile("r2 = *(u32 *)(r1 + 0);"
		     "r0 = *(u32 *)(r1 + 4);"
		     "r0 -= r2;"
		     "exit;");
}

SEC("xdp")
NAKED int bad_ctx_plus_var(void)
{
	asm volatile("r2 = *(u32 *)(r1 + 16);"
		     "r1 += r2;"
		     "r0 = *(u32 *)(r1 + 0);"
		     "exit;");
}

SEC("socket")
NAKED int bad_scalar_minus_pointer(void)
{
	asm volatile("r0 = 100;"
		     "r0 -= r10;"
		     "exit;");
}

SEC("socket")
NAKED int bad_shift_pointer(void)
{
	asm volatile("r0 = r10;"
		     "r0 <<= 1;"
		     "r0 = 0;"
		     "exit;");
}

SEC("socket")
NAKED int bad_deref_scalar(void)
{
	asm volatile("r1 = 4096;"
		     "r0 = *(u64 *)(r1 + 0);"
		     "exit;");
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";

// SPDX-License-Identifier: MIT OR Apache-2.0
/* Atomic operations: on the stack and map values, aligned, never on the
 * context or the packet. */
#include "vc.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64[2]);
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
NAKED int ok_atomic_map_value(void)
{
	asm volatile(LOOKUP
		     "r1 = 1;"
		     "lock *(u64 *)(r0 + 8) += r1;"
		     "r0 = 0;"
		     "exit;"
		     :: ADDR(vals), FN(map_lookup_elem));
}

SEC("socket")
NAKED int bad_atomic_misaligned(void)
{
	asm volatile(LOOKUP
		     "r1 = 1;"
		     "lock *(u64 *)(r0 + 4) += r1;"
		     "r0 = 0;"
		     "exit;"
		     :: ADDR(vals), FN(map_lookup_elem));
}

SEC("socket")
NAKED int bad_atomic_past_value(void)
{
	asm volatile(LOOKUP
		     "r1 = 1;"
		     "lock *(u64 *)(r0 + 16) += r1;"
		     "r0 = 0;"
		     "exit;"
		     :: ADDR(vals), FN(map_lookup_elem));
}

SEC("tc")
NAKED int bad_atomic_ctx(void)
{
	asm volatile("r2 = 1;"
		     "lock *(u32 *)(r1 + 8) += r2;"
		     "r0 = 0;"
		     "exit;");
}

SEC("socket")
NAKED int ok_atomic_stack(void)
{
	asm volatile("r1 = 0;"
		     "*(u64 *)(r10 - 8) = r1;"
		     "r1 = 1;"
		     "lock *(u64 *)(r10 - 8) += r1;"
		     "r0 = *(u64 *)(r10 - 8);"
		     "exit;");
}

SEC("socket")
NAKED int ok_fetch_add_stack(void)
{
	asm volatile("r1 = 0;"
		     "*(u64 *)(r10 - 8) = r1;"
		     "r1 = 1;"
		     "r1 = atomic_fetch_add((u64 *)(r10 - 8), r1);"
		     "r0 = r1;"
		     "exit;");
}

SEC("socket")
NAKED int ok_atomic_spilled_ptr_root(void)
{
	/* an atomic on a spilled pointer: root may (the slot becomes a
	 * number) */
	asm volatile("*(u64 *)(r10 - 8) = r1;"
		     "r1 = 1;"
		     "lock *(u64 *)(r10 - 8) += r1;"
		     "r0 = 0;"
		     "exit;");
}

SEC("xdp")
NAKED int bad_atomic_packet(void)
{
	asm volatile("r2 = *(u32 *)(r1 + 0);"
		     "r3 = *(u32 *)(r1 + 4);"
		     "r4 = r2;"
		     "r4 += 8;"
		     "if r4 > r3 goto +2;"
		     "r1 = 1;"
		     "lock *(u64 *)(r2 + 0) += r1;"
		     "r0 = 2;"
		     "exit;");
}

SEC("socket")
NAKED int bad_cmpxchg_uninit_r0(void)
{
	/* cmpxchg compares with r0, which is never set */
	asm volatile("r1 = 0;"
		     "*(u64 *)(r10 - 8) = r1;"
		     "r1 = 1;"
		     "r0 = cmpxchg_64(r10 - 8, r0, r1);"
		     "exit;");
}

SEC("socket")
NAKED int ok_cmpxchg(void)
{
	asm volatile("r1 = 0;"
		     "*(u64 *)(r10 - 8) = r1;"
		     "r1 = 1;"
		     "r0 = 0;"
		     "r0 = cmpxchg_64(r10 - 8, r0, r1);"
		     "exit;");
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";

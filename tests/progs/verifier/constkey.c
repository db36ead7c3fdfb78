// SPDX-License-Identifier: MIT OR Apache-2.0
/* A lookup in an ARRAY or PERCPU_ARRAY map whose key is a known constant
 * below max_entries cannot fail: the kernel (since 6.14) returns a value
 * pointer that needs no NULL check. The key must be known from the stack
 * itself: zeroed bytes, or a scalar spilled at a slot boundary with the
 * key's exact size. */
#include "vc.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} arr SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} pcpu SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} hash SEC(".maps");

/* `r2 = fp-8; lookup; r0 = *r0` without a NULL check */
#define LOOKUP_AT(map, off)                                     \
	"r2 = r10;"                                             \
	"r2 += " #off ";"                                       \
	"r1 = %[" #map "] ll;"                                  \
	"call %[map_lookup_elem];"                              \
	"r0 = *(u64 *)(r0 + 0);"                                \
	"exit;"

SEC("socket")
int ok_c_zero_key(struct __sk_buff *skb)
{
	__u32 k = 0;
	__u64 *v = bpf_map_lookup_elem(&arr, &k);

	return *v;
}

SEC("socket")
NAKED int ok_spilled_key_in_bounds(void)
{
	asm volatile("r1 = 3;"
		     "*(u32 *)(r10 - 8) = r1;"
		     LOOKUP_AT(arr, -8)
		     :: ADDR(arr), FN(map_lookup_elem));
}

SEC("socket")
NAKED int bad_spilled_key_past_end(void)
{
	asm volatile("r1 = 4;"
		     "*(u32 *)(r10 - 8) = r1;"
		     LOOKUP_AT(arr, -8)
		     :: ADDR(arr), FN(map_lookup_elem));
}

SEC("socket")
NAKED int ok_stored_imm_key(void)
{
	asm volatile("*(u32 *)(r10 - 8) = 1;"
		     LOOKUP_AT(arr, -8)
		     :: ADDR(arr), FN(map_lookup_elem));
}

SEC("socket")
NAKED int bad_unaligned_key(void)
{
	/* a store off a slot boundary is not a spill: the key is unknown */
	asm volatile("r1 = 1;"
		     "*(u32 *)(r10 - 4) = r1;"
		     LOOKUP_AT(arr, -4)
		     :: ADDR(arr), FN(map_lookup_elem));
}

SEC("socket")
NAKED int ok_zeroed_unaligned_key(void)
{
	asm volatile("r1 = 0;"
		     "*(u32 *)(r10 - 4) = r1;"
		     LOOKUP_AT(arr, -4)
		     :: ADDR(arr), FN(map_lookup_elem));
}

SEC("socket")
NAKED int bad_wider_spill(void)
{
	/* an 8-byte spill is not a 4-byte key, even of 0 */
	asm volatile("r1 = 0;"
		     "*(u64 *)(r10 - 8) = r1;"
		     LOOKUP_AT(arr, -8)
		     :: ADDR(arr), FN(map_lookup_elem));
}

SEC("socket")
NAKED int ok_upper_half_of_spill(void)
{
	/* the key's bytes are the last four of an 8-byte spill */
	asm volatile("r1 = 2;"
		     "*(u64 *)(r10 - 8) = r1;"
		     LOOKUP_AT(arr, -4)
		     :: ADDR(arr), FN(map_lookup_elem));
}

SEC("socket")
NAKED int bad_negative_key(void)
{
	asm volatile("r1 = -1;"
		     "*(u32 *)(r10 - 8) = r1;"
		     LOOKUP_AT(arr, -8)
		     :: ADDR(arr), FN(map_lookup_elem));
}

SEC("socket")
NAKED int bad_wide_value_narrow_spill(void)
{
	/* the spilled register's value, not its low bytes, is the key */
	asm volatile("r1 = 0x100000001 ll;"
		     "*(u32 *)(r10 - 8) = r1;"
		     LOOKUP_AT(arr, -8)
		     :: ADDR(arr), FN(map_lookup_elem));
}

SEC("socket")
NAKED int ok_key_known_after_branch(void)
{
	asm volatile("r6 = *(u32 *)(r1 + 0);"
		     "if r6 != 1 goto +8;"
		     "*(u32 *)(r10 - 8) = r6;"
		     LOOKUP_AT(arr, -8)
		     "r0 = 0;"
		     "exit;"
		     :: ADDR(arr), FN(map_lookup_elem));
}

SEC("socket")
NAKED int bad_key_unknown(void)
{
	asm volatile("r6 = *(u32 *)(r1 + 0);"
		     "if r6 > 1 goto +8;"
		     "*(u32 *)(r10 - 8) = r6;"
		     LOOKUP_AT(arr, -8)
		     "r0 = 0;"
		     "exit;"
		     :: ADDR(arr), FN(map_lookup_elem));
}

SEC("socket")
NAKED int ok_percpu_array(void)
{
	asm volatile("*(u32 *)(r10 - 8) = 3;"
		     LOOKUP_AT(pcpu, -8)
		     :: ADDR(pcpu), FN(map_lookup_elem));
}

SEC("socket")
NAKED int bad_hash_constant_key(void)
{
	asm volatile("*(u32 *)(r10 - 8) = 0;"
		     LOOKUP_AT(hash, -8)
		     :: ADDR(hash), FN(map_lookup_elem));
}

SEC("socket")
NAKED int bad_key_in_map_value(void)
{
	/* only a key on the stack is looked at */
	asm volatile("*(u32 *)(r10 - 8) = 0;"
		     "r2 = r10;"
		     "r2 += -8;"
		     "r1 = %[arr] ll;"
		     "call %[map_lookup_elem];"
		     "if r0 == 0 goto +6;"
		     "r1 = 0;"
		     "*(u64 *)(r0 + 0) = r1;"
		     "r2 = r0;"
		     "r1 = %[arr] ll;"
		     "call %[map_lookup_elem];"
		     "r0 = *(u64 *)(r0 + 0);"
		     "r0 = 0;"
		     "exit;"
		     :: ADDR(arr), FN(map_lookup_elem));
}

SEC("socket")
NAKED int bad_percpu_lookup_helper(void)
{
	/* only bpf_map_lookup_elem, not bpf_map_lookup_percpu_elem */
	asm volatile("*(u32 *)(r10 - 8) = 0;"
		     "r2 = r10;"
		     "r2 += -8;"
		     "r1 = %[pcpu] ll;"
		     "r3 = 0;"
		     "call %[map_lookup_percpu_elem];"
		     "r0 = *(u64 *)(r0 + 0);"
		     "exit;"
		     :: ADDR(pcpu), FN(map_lookup_percpu_elem));
}

SEC("socket")
NAKED int bad_pruned_unknown_key(void)
{
	/* the path with a zero key is walked first; the one that then
	 * overwrites the key must not be pruned at the join */
	asm volatile("r6 = *(u32 *)(r1 + 0);"
		     "r1 = 0;"
		     "*(u32 *)(r10 - 4) = r1;"
		     "if r6 > 5 goto +1;"
		     "goto +1;"
		     "*(u32 *)(r10 - 4) = r6;"
		     LOOKUP_AT(arr, -4)
		     :: ADDR(arr), FN(map_lookup_elem));
}

SEC("socket")
NAKED int bad_pruned_key_past_end(void)
{
	asm volatile("r6 = *(u32 *)(r1 + 0);"
		     "r1 = 1;"
		     "*(u32 *)(r10 - 8) = r1;"
		     "if r6 > 5 goto +1;"
		     "goto +2;"
		     "r1 = 9;"
		     "*(u32 *)(r10 - 8) = r1;"
		     LOOKUP_AT(arr, -8)
		     :: ADDR(arr), FN(map_lookup_elem));
}

SEC("socket")
NAKED int ok_joined_keys_in_bounds(void)
{
	asm volatile("r6 = *(u32 *)(r1 + 0);"
		     "r1 = 1;"
		     "*(u32 *)(r10 - 8) = r1;"
		     "if r6 > 5 goto +1;"
		     "goto +2;"
		     "r1 = 3;"
		     "*(u32 *)(r10 - 8) = r1;"
		     LOOKUP_AT(arr, -8)
		     :: ADDR(arr), FN(map_lookup_elem));
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";

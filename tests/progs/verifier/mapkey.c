// SPDX-License-Identifier: MIT OR Apache-2.0
/* Map keys and values passed to helpers: pointers to enough readable
 * memory (stack, map value, packet) of the map's key/value size. */
#include "vc.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__type(key, __u64);
	__type(value, __u64);
} h SEC(".maps");

SEC("socket")
NAKED int bad_key_too_short(void)
{
	/* an 8-byte key read from a 4-byte stack area at the top */
	asm volatile("r2 = 0;"
		     "*(u32 *)(r10 - 4) = r2;"
		     "r2 = r10;"
		     "r2 += -4;"
		     "r1 = %[h] ll;"
		     "call %[map_lookup_elem];"
		     "r0 = 0;"
		     "exit;"
		     :: ADDR(h), FN(map_lookup_elem));
}

SEC("socket")
NAKED int ok_key_full(void)
{
	asm volatile("r2 = 0;"
		     "*(u64 *)(r10 - 8) = r2;"
		     "r2 = r10;"
		     "r2 += -8;"
		     "r1 = %[h] ll;"
		     "call %[map_lookup_elem];"
		     "r0 = 0;"
		     "exit;"
		     :: ADDR(h), FN(map_lookup_elem));
}

SEC("socket")
NAKED int ok_key_uninit_priv(void)
{
	/* root may pass never-written stack as the key */
	asm volatile("r2 = r10;"
		     "r2 += -8;"
		     "r1 = %[h] ll;"
		     "call %[map_lookup_elem];"
		     "r0 = 0;"
		     "exit;"
		     :: ADDR(h), FN(map_lookup_elem));
}

SEC("socket")
NAKED int bad_key_scalar(void)
{
	asm volatile("r2 = 0;"
		     "r1 = %[h] ll;"
		     "call %[map_lookup_elem];"
		     "r0 = 0;"
		     "exit;"
		     :: ADDR(h), FN(map_lookup_elem));
}

SEC("socket")
NAKED int bad_key_ctx(void)
{
	asm volatile("r2 = r1;"
		     "r1 = %[h] ll;"
		     "call %[map_lookup_elem];"
		     "r0 = 0;"
		     "exit;"
		     :: ADDR(h), FN(map_lookup_elem));
}

SEC("xdp")
NAKED int ok_key_packet(void)
{
	/* a checked packet pointer may be a key */
	asm volatile("r2 = *(u32 *)(r1 + 0);"
		     "r3 = *(u32 *)(r1 + 4);"
		     "r4 = r2;"
		     "r4 += 8;"
		     "if r4 > r3 goto +3;"
		     "r1 = %[h] ll;"
		     "call %[map_lookup_elem];"
		     "r0 = 2;"
		     "exit;"
		     :: ADDR(h), FN(map_lookup_elem));
}

SEC("xdp")
NAKED int bad_key_packet_short(void)
{
	asm volatile("r2 = *(u32 *)(r1 + 0);"
		     "r3 = *(u32 *)(r1 + 4);"
		     "r4 = r2;"
		     "r4 += 4;"
		     "if r4 > r3 goto +3;"
		     "r1 = %[h] ll;"
		     "call %[map_lookup_elem];"
		     "r0 = 2;"
		     "exit;"
		     :: ADDR(h), FN(map_lookup_elem));
}

SEC("socket")
NAKED int bad_update_value_short(void)
{
	/* the value (8 bytes) read from 4 bytes at the top of the stack */
	asm volatile("r2 = 0;"
		     "*(u64 *)(r10 - 16) = r2;"
		     "*(u32 *)(r10 - 4) = r2;"
		     "r2 = r10;"
		     "r2 += -16;"
		     "r3 = r10;"
		     "r3 += -4;"
		     "r4 = 0;"
		     "r1 = %[h] ll;"
		     "call %[map_update_elem];"
		     "r0 = 0;"
		     "exit;"
		     :: ADDR(h), FN(map_update_elem));
}

SEC("socket")
NAKED int ok_update(void)
{
	asm volatile("r2 = 0;"
		     "*(u64 *)(r10 - 16) = r2;"
		     "*(u64 *)(r10 - 8) = r2;"
		     "r2 = r10;"
		     "r2 += -16;"
		     "r3 = r10;"
		     "r3 += -8;"
		     "r4 = 0;"
		     "r1 = %[h] ll;"
		     "call %[map_update_elem];"
		     "r0 = 0;"
		     "exit;"
		     :: ADDR(h), FN(map_update_elem));
}

SEC("socket")
NAKED int ok_key_from_value(void)
{
	/* a map value may serve as the key of another lookup */
	asm volatile("r2 = 0;"
		     "*(u64 *)(r10 - 8) = r2;"
		     "r2 = r10;"
		     "r2 += -8;"
		     "r1 = %[h] ll;"
		     "call %[map_lookup_elem];"
		     "if r0 == 0 goto +4;"
		     "r2 = r0;"
		     "r1 = %[h] ll;"
		     "call %[map_lookup_elem];"
		     "r0 = 0;"
		     "exit;"
		     :: ADDR(h), FN(map_lookup_elem));
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";

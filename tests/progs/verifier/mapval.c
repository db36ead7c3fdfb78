// SPDX-License-Identifier: MIT OR Apache-2.0
/* Map value accesses stay inside the value: constant and variable
 * offsets, reads and writes. */
#include "vc.h"

struct val {
	__u64 slot[4];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct val);
} vals SEC(".maps");

static __always_inline struct val *get(void)
{
	__u32 k = 0;

	return bpf_map_lookup_elem(&vals, &k);
}

SEC("socket")
int bad_const_past_end(struct __sk_buff *skb)
{
	struct val *v = get();
	volatile int i = 4;

	if (!v)
		return 0;
	return *(__u64 *)((char *)v + 8 * 4 + 0 * i);
}

SEC("socket")
int ok_const_last(struct __sk_buff *skb)
{
	struct val *v = get();

	if (!v)
		return 0;
	return v->slot[3];
}

SEC("socket")
int bad_index_le(struct __sk_buff *skb)
{
	struct val *v = get();
	__u32 i = skb->len;

	if (!v)
		return 0;
	if (i <= 4) /* one too many */
		return v->slot[i];
	return 0;
}

SEC("socket")
int ok_index_lt(struct __sk_buff *skb)
{
	struct val *v = get();
	__u32 i = skb->len;

	if (!v)
		return 0;
	if (i < 4)
		return v->slot[i];
	return 0;
}

SEC("socket")
int bad_index_unbounded(struct __sk_buff *skb)
{
	struct val *v = get();
	__u32 i = skb->len;

	if (!v)
		return 0;
	return v->slot[i];
}

SEC("socket")
int ok_index_masked(struct __sk_buff *skb)
{
	struct val *v = get();
	__u32 i = skb->len & 3;

	if (!v)
		return 0;
	return v->slot[i];
}

SEC("socket")
int bad_write_straddles(struct __sk_buff *skb)
{
	struct val *v = get();

	if (!v)
		return 0;
	/* 8 bytes at offset 28 of a 32-byte value */
	*(__u64 *)((char *)v + 28) = 1;
	return 0;
}

SEC("socket")
int ok_write_inside(struct __sk_buff *skb)
{
	struct val *v = get();

	if (!v)
		return 0;
	*(__u32 *)((char *)v + 28) = 1;
	return 0;
}

SEC("socket")
NAKED int bad_negative_offset(void)
{
	asm volatile("r2 = 0;"
		     "*(u32 *)(r10 - 4) = r2;"
		     "r2 = r10;"
		     "r2 += -4;"
		     "r1 = %[vals] ll;"
		     "call %[map_lookup_elem];"
		     "if r0 == 0 goto +2;"
		     "r0 = *(u64 *)(r0 - 8);"
		     "exit;"
		     "r0 = 0;"
		     "exit;"
		     :: ADDR(vals), FN(map_lookup_elem));
}

SEC("socket")
NAKED int ok_offset_zero(void)
{
	asm volatile("r2 = 0;"
		     "*(u32 *)(r10 - 4) = r2;"
		     "r2 = r10;"
		     "r2 += -4;"
		     "r1 = %[vals] ll;"
		     "call %[map_lookup_elem];"
		     "if r0 == 0 goto +2;"
		     "r0 = *(u64 *)(r0 + 0);"
		     "exit;"
		     "r0 = 0;"
		     "exit;"
		     :: ADDR(vals), FN(map_lookup_elem));
}

SEC("socket")
int bad_signed_index(struct __sk_buff *skb)
{
	struct val *v = get();
	int i = skb->len;

	if (!v)
		return 0;
	/* a signed bound leaves negative indices */
	if (i < 4)
		return v->slot[i];
	return 0;
}

SEC("socket")
int ok_signed_index_both(struct __sk_buff *skb)
{
	struct val *v = get();
	int i = skb->len;

	if (!v)
		return 0;
	if (i >= 0 && i < 4)
		return v->slot[i];
	return 0;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";

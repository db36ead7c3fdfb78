// SPDX-License-Identifier: MIT OR Apache-2.0
/* Map lookups return a value pointer or NULL: it must be checked before
 * it is dereferenced. */
#include "vc.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, __u64);
} hash SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} arr SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} pcpu SEC(".maps");

SEC("socket")
int bad_hash_unchecked(struct __sk_buff *skb)
{
	__u32 k = skb->len;
	__u64 *v = bpf_map_lookup_elem(&hash, &k);

	return *v;
}

SEC("socket")
int ok_hash_checked(struct __sk_buff *skb)
{
	__u32 k = skb->len;
	__u64 *v = bpf_map_lookup_elem(&hash, &k);

	return v ? *v : 0;
}

SEC("socket")
int bad_array_unchecked(struct __sk_buff *skb)
{
	/* even an array lookup with a variable key may fail */
	__u32 k = skb->len;
	__u64 *v = bpf_map_lookup_elem(&arr, &k);

	return *v;
}

SEC("socket")
int ok_array_checked(struct __sk_buff *skb)
{
	__u32 k = skb->len;
	__u64 *v = bpf_map_lookup_elem(&arr, &k);

	if (!v)
		return 0;
	return *v;
}

SEC("socket")
int bad_percpu_write_unchecked(struct __sk_buff *skb)
{
	__u32 k = skb->len;
	__u64 *v = bpf_map_lookup_elem(&pcpu, &k);

	*v += 1;
	return 0;
}

SEC("socket")
int ok_percpu_write_checked(struct __sk_buff *skb)
{
	__u32 k = skb->len;
	__u64 *v = bpf_map_lookup_elem(&pcpu, &k);

	if (v)
		*v += 1;
	return 0;
}

SEC("socket")
int bad_checked_other(struct __sk_buff *skb)
{
	__u32 k = skb->len;
	__u64 *a = bpf_map_lookup_elem(&hash, &k);
	__u64 *b = bpf_map_lookup_elem(&arr, &k);

	/* checks a, reads b */
	if (!a)
		return 0;
	return *b;
}

SEC("socket")
int ok_checked_both(struct __sk_buff *skb)
{
	__u32 k = skb->len;
	__u64 *a = bpf_map_lookup_elem(&hash, &k);
	__u64 *b = bpf_map_lookup_elem(&arr, &k);

	if (!a || !b)
		return 0;
	return *a + *b;
}

SEC("socket")
NAKED int bad_checked_one_path(void)
{
	/* the NULL check is skipped on one path */
	asm volatile("r6 = r1;"
		     "r2 = 0;"
		     "*(u32 *)(r10 - 4) = r2;"
		     "r2 = r10;"
		     "r2 += -4;"
		     "r1 = %[hash] ll;"
		     "call %[map_lookup_elem];"
		     "r1 = *(u32 *)(r6 + 0);"
		     "if r1 > 10 goto +1;"
		     "if r0 == 0 goto +2;"
		     "r0 = *(u64 *)(r0 + 0);"
		     "exit;"
		     "r0 = 0;"
		     "exit;"
		     :: ADDR(hash), FN(map_lookup_elem));
}

SEC("socket")
NAKED int ok_checked_copy(void)
{
	/* a copy made before the check is known non-NULL after it */
	asm volatile("r2 = 0;"
		     "*(u32 *)(r10 - 4) = r2;"
		     "r2 = r10;"
		     "r2 += -4;"
		     "r1 = %[hash] ll;"
		     "call %[map_lookup_elem];"
		     "r1 = r0;"
		     "if r0 == 0 goto +2;"
		     "r0 = *(u64 *)(r1 + 0);"
		     "exit;"
		     "r0 = 0;"
		     "exit;"
		     :: ADDR(hash), FN(map_lookup_elem));
}

SEC("socket")
NAKED int bad_arith_before_check(void)
{
	/* arithmetic on a pointer that may be NULL */
	asm volatile("r2 = 0;"
		     "*(u32 *)(r10 - 4) = r2;"
		     "r2 = r10;"
		     "r2 += -4;"
		     "r1 = %[hash] ll;"
		     "call %[map_lookup_elem];"
		     "r0 += 8;"
		     "if r0 == 0 goto +2;"
		     "r0 = *(u64 *)(r0 - 8);"
		     "exit;"
		     "r0 = 0;"
		     "exit;"
		     :: ADDR(hash), FN(map_lookup_elem));
}

SEC("socket")
NAKED int ok_arith_after_check(void)
{
	asm volatile("r2 = 0;"
		     "*(u32 *)(r10 - 4) = r2;"
		     "r2 = r10;"
		     "r2 += -4;"
		     "r1 = %[hash] ll;"
		     "call %[map_lookup_elem];"
		     "if r0 == 0 goto +3;"
		     "r0 += 4;"
		     "r0 = *(u32 *)(r0 - 4);"
		     "exit;"
		     "r0 = 0;"
		     "exit;"
		     :: ADDR(hash), FN(map_lookup_elem));
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";

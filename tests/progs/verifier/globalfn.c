// SPDX-License-Identifier: MIT OR Apache-2.0
/* Global functions are checked once, against their BTF signature: a
 * pointer argument gives access to the size of the type it points to. */
#include "vc.h"

struct pair {
	__u32 a;
	__u32 b;
};

__noinline int read_void(void *p)
{
	/* void *: the kernel cannot size it */
	return p ? *(char *)p : 0;
}

__noinline int read_pair(struct pair *p)
{
	return p ? p->a + p->b : 0;
}

__noinline int read_past_pair(struct pair *p)
{
	return p ? ((__u32 *)p)[2] : 0;
}

__noinline int deref_unchecked(struct pair *p)
{
	/* a pointer argument may be NULL */
	return p->a;
}

__noinline int skb_len(struct __sk_buff *skb)
{
	return skb->len;
}

__noinline int write_ctx_len(struct __sk_buff *skb)
{
	skb->len = 0;
	return 0;
}

__noinline int scalar_only(int x)
{
	return x * 3;
}


__noinline long ret_ptr(struct pair *p)
{
	/* a global function must return a number */
	long r;

	asm volatile("%0 = r1" : "=r"(r));
	return r;
}

SEC("tc")
int bad_unsized_buffer(struct __sk_buff *skb)
{
	char buf[8] = {};

	return read_void(buf);
}

SEC("tc")
int ok_sized_struct(struct __sk_buff *skb)
{
	struct pair p = { 1, 2 };

	return read_pair(&p);
}

SEC("tc")
int bad_past_struct(struct __sk_buff *skb)
{
	struct pair p[2] = {};

	return read_past_pair(&p[0]);
}

SEC("tc")
int bad_no_null_check(struct __sk_buff *skb)
{
	struct pair p = { 1, 2 };

	return deref_unchecked(&p);
}

SEC("tc")
int ok_ctx_arg(struct __sk_buff *skb)
{
	return skb_len(skb) & 1;
}

SEC("tc")
int bad_ctx_write_in_global(struct __sk_buff *skb)
{
	return write_ctx_len(skb);
}

SEC("tc")
int ok_scalar_arg(struct __sk_buff *skb)
{
	return scalar_only(skb->len) & 1;
}

SEC("tc")
int bad_small_buffer(struct __sk_buff *skb)
{
	/* 4 bytes where the callee reads 8 */
	__u32 one = 1;

	return read_pair((struct pair *)&one);
}

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pair);
} pairs SEC(".maps");

SEC("tc")
int ok_null_to_pointer(struct __sk_buff *skb)
{
	/* a pointer argument may be NULL: the callee tests it */
	struct pair *p = 0;

	OPAQUE(p);
	return read_pair(p) & 1;
}

SEC("tc")
int ok_map_value_maybe_null(struct __sk_buff *skb)
{
	/* a map value that may be NULL goes to a nullable argument */
	__u32 k = 0;

	return read_pair(bpf_map_lookup_elem(&pairs, &k)) & 1;
}

SEC("tc")
NAKED int bad_pointer_as_scalar(void)
{
	/* an int parameter takes a number, not the context */
	asm volatile("call scalar_only;"
		     "r0 &= 1;"
		     "exit;");
}

SEC("tc")
NAKED int bad_number_as_ctx(void)
{
	/* a context parameter takes the context */
	asm volatile("r1 = 0;"
		     "call skb_len;"
		     "exit;");
}

SEC("tc")
NAKED int bad_global_returns_pointer_arg(void)
{
	asm volatile("r1 = r10;"
		     "r1 += -8;"
		     "r2 = 0;"
		     "*(u64 *)(r1 + 0) = r2;"
		     "call ret_ptr;"
		     "r0 = 0;"
		     "exit;");
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";

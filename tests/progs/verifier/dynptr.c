// SPDX-License-Identifier: MIT OR Apache-2.0
/* Dynamic pointers (struct bpf_dynptr on the stack): initialised before
 * use, ring buffer dynptrs submitted or discarded on every path, never
 * overwritten while they hold a reference. */
#include "vc.h"

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} rb SEC(".maps");

/* bpf_dynptr_from_mem takes map values (not the stack) */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, char[16]);
} mem SEC(".maps");

SEC("tc")
int ok_ringbuf_dynptr_submit(struct __sk_buff *skb)
{
	struct bpf_dynptr p;
	__u64 v = skb->len;

	bpf_ringbuf_reserve_dynptr(&rb, 8, 0, &p);
	bpf_dynptr_write(&p, 0, &v, sizeof(v), 0);
	bpf_ringbuf_submit_dynptr(&p, 0);
	return 0;
}

SEC("tc")
int bad_ringbuf_dynptr_leak(struct __sk_buff *skb)
{
	struct bpf_dynptr p;

	/* even a failed reservation must be discarded */
	bpf_ringbuf_reserve_dynptr(&rb, 8, 0, &p);
	return 0;
}

SEC("tc")
int ok_ringbuf_dynptr_discard_on_failure(struct __sk_buff *skb)
{
	struct bpf_dynptr p;

	if (bpf_ringbuf_reserve_dynptr(&rb, 8, 0, &p)) {
		bpf_ringbuf_discard_dynptr(&p, 0);
		return 0;
	}
	bpf_ringbuf_submit_dynptr(&p, 0);
	return 0;
}

SEC("tc")
int ok_dynptr_from_mem(struct __sk_buff *skb)
{
	__u32 k = 0, out = 0;
	char *buf = bpf_map_lookup_elem(&mem, &k);
	struct bpf_dynptr p;

	if (!buf)
		return 0;
	bpf_dynptr_from_mem(buf, 16, 0, &p);
	bpf_dynptr_read(&out, sizeof(out), &p, 4, 0);
	return out & 1;
}

SEC("tc")
int bad_dynptr_uninit(struct __sk_buff *skb)
{
	struct bpf_dynptr p;
	__u32 out = 0;

	OPAQUE(skb);
	bpf_dynptr_read(&out, sizeof(out), &p, 0, 0);
	return out & 1;
}

SEC("tc")
NAKED int bad_dynptr_overwritten(void)
{
	/* the reserved dynptr at fp-16 is overwritten before submit */
	asm volatile("r1 = %[rb] ll;"
		     "r2 = 8;"
		     "r3 = 0;"
		     "r4 = r10;"
		     "r4 += -16;"
		     "call %[ringbuf_reserve_dynptr];"
		     "r1 = 0;"
		     "*(u64 *)(r10 - 16) = r1;"
		     "r1 = r10;"
		     "r1 += -16;"
		     "r2 = 0;"
		     "call %[ringbuf_submit_dynptr];"
		     "r0 = 0;"
		     "exit;"
		     :: ADDR(rb), FN(ringbuf_reserve_dynptr), FN(ringbuf_submit_dynptr));
}

SEC("tc")
int bad_dynptr_read_unbounded(struct __sk_buff *skb)
{
	/* the length comes from the packet, unbounded */
	__u32 k = 0, len = skb->len;
	char *buf = bpf_map_lookup_elem(&mem, &k);
	struct bpf_dynptr p;
	char out[8] = {};

	if (!buf)
		return 0;
	bpf_dynptr_from_mem(buf, 16, 0, &p);
	bpf_dynptr_read(out, len, &p, 0, 0);
	return out[0] & 1;
}

SEC("tc")
int bad_dynptr_from_stack(struct __sk_buff *skb)
{
	char buf[16] = {};
	struct bpf_dynptr p;
	__u32 out = 0;

	bpf_dynptr_from_mem(buf, sizeof(buf), 0, &p);
	bpf_dynptr_read(&out, sizeof(out), &p, 4, 0);
	return out & 1;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";

// SPDX-License-Identifier: MIT OR Apache-2.0
/* Ring buffer reservations are references: submitted or discarded on
 * every path, accessed inside the reserved size, after a NULL check. */
#include "vc.h"

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} rb SEC(".maps");

SEC("socket")
int bad_leak_one_path(struct __sk_buff *skb)
{
	__u64 *e = bpf_ringbuf_reserve(&rb, 8, 0);

	if (!e)
		return 0;
	*e = skb->len;
	if (skb->len > 100)
		return 1; /* leaked */
	bpf_ringbuf_submit(e, 0);
	return 0;
}

SEC("socket")
int ok_submit_or_discard(struct __sk_buff *skb)
{
	__u64 *e = bpf_ringbuf_reserve(&rb, 8, 0);

	if (!e)
		return 0;
	*e = skb->len;
	if (skb->len > 100) {
		bpf_ringbuf_discard(e, 0);
		return 1;
	}
	bpf_ringbuf_submit(e, 0);
	return 0;
}

SEC("socket")
int bad_past_reserved(struct __sk_buff *skb)
{
	__u64 *e = bpf_ringbuf_reserve(&rb, 8, 0);

	if (!e)
		return 0;
	e[1] = skb->len; /* 8 bytes reserved */
	bpf_ringbuf_submit(e, 0);
	return 0;
}

SEC("socket")
int ok_inside_reserved(struct __sk_buff *skb)
{
	__u64 *e = bpf_ringbuf_reserve(&rb, 16, 0);

	if (!e)
		return 0;
	e[1] = skb->len;
	bpf_ringbuf_submit(e, 0);
	return 0;
}

SEC("socket")
int bad_unchecked(struct __sk_buff *skb)
{
	__u64 *e = bpf_ringbuf_reserve(&rb, 8, 0);

	*e = 1;
	bpf_ringbuf_submit(e, 0);
	return 0;
}

SEC("socket")
int bad_use_after_submit(struct __sk_buff *skb)
{
	__u64 *e = bpf_ringbuf_reserve(&rb, 8, 0);

	if (!e)
		return 0;
	bpf_ringbuf_submit(e, 0);
	*e = 1;
	return 0;
}

SEC("socket")
int bad_variable_size(struct __sk_buff *skb)
{
	/* the size must be a known constant */
	__u64 *e = bpf_ringbuf_reserve(&rb, skb->len & 63, 0);

	if (!e)
		return 0;
	bpf_ringbuf_discard(e, 0);
	return 0;
}

SEC("socket")
int ok_output_copy(struct __sk_buff *skb)
{
	__u64 v = skb->len;

	return bpf_ringbuf_output(&rb, &v, sizeof(v), 0) & 1;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";

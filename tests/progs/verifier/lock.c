// SPDX-License-Identifier: MIT OR Apache-2.0
/* bpf_spin_lock: taken and released on every path, no calls and no exit
 * while held, the lock word never touched directly. */
#include "vc.h"

struct val {
	struct bpf_spin_lock lock;
	__u64 n;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct val);
} locked SEC(".maps");

static __always_inline struct val *get(void)
{
	__u32 k = 0;

	return bpf_map_lookup_elem(&locked, &k);
}

SEC("tc")
int ok_lock_unlock(struct __sk_buff *skb)
{
	struct val *v = get();

	if (!v)
		return 0;
	bpf_spin_lock(&v->lock);
	v->n++;
	bpf_spin_unlock(&v->lock);
	return 0;
}

SEC("tc")
int bad_exit_locked(struct __sk_buff *skb)
{
	struct val *v = get();

	if (!v)
		return 0;
	bpf_spin_lock(&v->lock);
	v->n++;
	if (skb->len > 100)
		return 1; /* still locked */
	bpf_spin_unlock(&v->lock);
	return 0;
}

SEC("tc")
int bad_call_while_locked(struct __sk_buff *skb)
{
	struct val *v = get();

	if (!v)
		return 0;
	bpf_spin_lock(&v->lock);
	v->n += bpf_get_prandom_u32();
	bpf_spin_unlock(&v->lock);
	return 0;
}

SEC("tc")
int bad_unlock_unlocked(struct __sk_buff *skb)
{
	struct val *v = get();

	if (!v)
		return 0;
	bpf_spin_unlock(&v->lock);
	return 0;
}

SEC("tc")
int bad_touch_lock_word(struct __sk_buff *skb)
{
	struct val *v = get();

	if (!v)
		return 0;
	return *(volatile __u32 *)&v->lock;
}

SEC("tc")
int ok_value_outside_lock(struct __sk_buff *skb)
{
	/* the other fields may be used without the lock */
	struct val *v = get();

	if (!v)
		return 0;
	return v->n & 1;
}

SEC("tc")
int bad_lock_twice(struct __sk_buff *skb)
{
	struct val *v = get();

	if (!v)
		return 0;
	bpf_spin_lock(&v->lock);
	bpf_spin_lock(&v->lock);
	bpf_spin_unlock(&v->lock);
	return 0;
}

SEC("tc")
int ok_lock_branches(struct __sk_buff *skb)
{
	struct val *v = get();

	if (!v)
		return 0;
	bpf_spin_lock(&v->lock);
	if (skb->len > 100)
		v->n++;
	else
		v->n--;
	bpf_spin_unlock(&v->lock);
	return 0;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";

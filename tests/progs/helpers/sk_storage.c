// SPDX-License-Identifier: GPL-2.0
/* Socket storage from a tc program (crates/runtime/tests/sk_storage.rs):
 * the skb's socket (the test run's own) gets storage created from an
 * initial value, updated, deleted and created again zeroed; lookups
 * without F_CREATE, bad flags and double deletes in between. Results go
 * to `res` (accumulated over the run's repeats, which share the socket).
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

struct val {
	__u64 a;
	__u32 b;
	__u32 c;
};

struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct val);
} st SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 10);
	__type(key, __u32);
	__type(value, __u64);
} res SEC(".maps");

/* res[k] = res[k] * 31 + v: keeps every repeat's value */
static __always_inline void put(__u32 k, __u64 v)
{
	__u64 *p = bpf_map_lookup_elem(&res, &k);

	if (p)
		*p = *p * 31 + v;
}

SEC("tc")
int sk_store(struct __sk_buff *skb)
{
	struct val init = { .a = 7, .b = 8, .c = 9 };
	struct bpf_sock *sk = skb->sk;
	struct val *v;

	if (!sk) {
		put(0, 99);
		return TC_ACT_OK;
	}
	v = bpf_sk_storage_get(&st, sk, 0, 0);
	put(1, v ? v->a + 1000 : 1);
	v = bpf_sk_storage_get(&st, sk, &init, 2);
	put(2, v != 0);
	put(3, bpf_sk_storage_delete(&st, sk));
	v = bpf_sk_storage_get(&st, sk, &init, BPF_SK_STORAGE_GET_F_CREATE);
	if (!v)
		return TC_ACT_SHOT;
	put(4, v->a + v->b + v->c);
	v->a += skb->len;
	v = bpf_sk_storage_get(&st, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	put(5, v ? v->a : 1234);
	put(6, bpf_sk_storage_delete(&st, sk));
	put(7, bpf_sk_storage_delete(&st, sk));
	v = bpf_sk_storage_get(&st, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	put(8, v ? v->a + v->b + v->c : 4321);
	if (v)
		v->a = 55;
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "GPL";

// SPDX-License-Identifier: GPL-2.0
/* Map and format edge cases: full maps, flag conflicts, LPM prefixes,
 * queue/stack overwrite, deletes on arrays, and bpf_trace_printk /
 * bpf_snprintf address and width specifiers (trace lines are compared
 * with the kernel's).
 */
#include "cov.h"

RESULTS(16);

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 3);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, __u32);
} small SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 3);
	__type(key, __u32);
	__type(value, __u32);
} small_pc SEC(".maps");

struct lpm6 {
	__u32 prefixlen;
	__u8 addr[16];
};

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 8);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct lpm6);
	__type(value, __u32);
} lpm SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_STACK);
	__uint(max_entries, 2);
	__type(value, __u16);
} st SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_QUEUE);
	__uint(max_entries, 2);
	__type(value, __u64);
} q SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, char[80]);
} strs SEC(".maps");

static __always_inline void maps(__u32 len, __u8 *src6)
{
	__u32 k = len % 5, v = len;
	struct lpm6 lk = { .prefixlen = 128 };
	__u64 q64 = len;
	__u16 s16 = len;

	PUT(0, bpf_map_update_elem(&small, &k, &v, BPF_ANY));
	PUT(0, bpf_map_update_elem(&small, &k, &v, BPF_NOEXIST));
	PUT(0, bpf_map_update_elem(&small, &k, &v, BPF_NOEXIST | BPF_EXIST));
	PUT(0, bpf_map_update_elem(&small, &k, &v, BPF_F_LOCK));
	k = len % 7 + 10;
	PUT(1, bpf_map_update_elem(&small_pc, &k, &v, BPF_NOEXIST));
	PUT(1, bpf_map_update_elem(&small_pc, &k, &v, BPF_EXIST));
	PUT(1, bpf_map_delete_elem(&small_pc, &k));
	PUT(1, bpf_map_delete_elem(&small_pc, &k));

	/* LPM: /0 default, a /64 from the packet's source, then lookups */
	lk.prefixlen = 0;
	v = 1;
	PUT(2, bpf_map_update_elem(&lpm, &lk, &v, BPF_NOEXIST));
	lk.prefixlen = 64;
	__builtin_memcpy(lk.addr, src6, 16);
	v = 64;
	PUT(2, bpf_map_update_elem(&lpm, &lk, &v, BPF_ANY));
	lk.prefixlen = 129;
	PUT(2, bpf_map_update_elem(&lpm, &lk, &v, BPF_ANY));
	lk.prefixlen = 128;
	{
		__u32 *r = bpf_map_lookup_elem(&lpm, &lk);

		PUT(2, r ? *r : 0);
		lk.addr[0] ^= 0x80;
		r = bpf_map_lookup_elem(&lpm, &lk);
		PUT(2, r ? *r : 0);
	}
	lk.prefixlen = 64;
	lk.addr[0] ^= 0x80;
	if (len & 1)
		PUT(2, bpf_map_delete_elem(&lpm, &lk));
	lk.prefixlen = 63;
	PUT(2, bpf_map_delete_elem(&lpm, &lk));

	/* stack of 2 u16: overwrite the oldest with BPF_EXIST */
	PUT(3, bpf_map_push_elem(&st, &s16, 0));
	PUT(3, bpf_map_push_elem(&st, &s16, 0));
	s16++;
	PUT(3, bpf_map_push_elem(&st, &s16, 0));
	PUT(3, bpf_map_push_elem(&st, &s16, BPF_EXIST));
	PUT(3, bpf_map_push_elem(&st, &s16, 7)); /* bad flags */
	PUT(3, bpf_map_pop_elem(&st, &s16));
	PUT(3, s16);
	PUT(4, bpf_map_push_elem(&q, &q64, BPF_EXIST));
	PUT(4, bpf_map_pop_elem(&q, &q64));
	PUT(4, q64);
}

SEC("tc")
int edge_maps_tc(struct __sk_buff *skb)
{
	__u8 h[40] = {};
	__u32 k = skb->len & 1;
	char *s;

	bpf_skb_load_bytes(skb, 14, h, 40);
	maps(skb->len, h + 8);
	bpf_printk("ip4 %pI4 %pi4 len=%5u|", &h[12], &h[16], skb->len);
	bpf_printk("ip6 %pI6", &h[8]);
	bpf_printk("ip6c %pI6c x=%-6x|%lld", &h[24], skb->len, -7LL);
	s = bpf_map_lookup_elem(&strs, &k);
	if (s) {
		__u64 a[5] = { (__u64)(long)&h[12], (__u64)(long)&h[8], (__u64)(long)&h[24],
			       (__u64)(long)&h[24], skb->len };

		PUT(5, bpf_snprintf(s, 80, "%pI4|%pI6|%pi6|%pI6c|%+d", a, 40));
		/* the address after the buffer is full is not consumed: %d
		 * then reads the pre-rendered text (kernel quirk) */
		PUT(6, bpf_snprintf(s, 8, "%pI4|%pI4|%d", a, 24));
		PUT(6, bpf_snprintf(s, 80, "%20pI4|%-8s|", a, 16));
		{
			__u64 w[3] = { 1, 2, 3 };

			PUT(6, bpf_snprintf(s, 8, "%500d%500d%500d", w, 24));
		}
	}
	return 0;
}

char LICENSE[] SEC("license") = "GPL";

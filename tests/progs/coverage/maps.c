// SPDX-License-Identifier: GPL-2.0
/* Every map type a packet program can update or read, driven by the packet:
 * the key is derived from the frame (length, EtherType, a header byte), so
 * each generated packet touches other elements. Results of every helper
 * call go to `res`; the maps themselves are compared after the runs.
 */
#include "cov.h"

RESULTS(32);

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u64);
} arr SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} pcpu_arr SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u64);
} hash SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, __u32);
} pcpu_hash SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u64);
} lru SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_PERCPU_HASH);
	__uint(max_entries, 64);
	__type(key, __u16);
	__type(value, __u64);
} lru_pcpu SEC(".maps");

struct lpm_key {
	__u32 prefixlen;
	__u8 addr[4];
};

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 16);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct lpm_key);
	__type(value, __u32);
} lpm SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_QUEUE);
	__uint(max_entries, 4);
	__type(value, __u32);
} queue SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_STACK);
	__uint(max_entries, 3);
	__type(value, __u64);
} stack SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_BLOOM_FILTER);
	__uint(max_entries, 32);
	__uint(map_extra, 3);
	__type(value, __u32);
} bloom SEC(".maps");

struct inner {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u32);
};

struct inner inner0 SEC(".maps");
struct inner inner1 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 3);
	__type(key, __u32);
	__array(values, struct inner);
} aom SEC(".maps") = {
	.values = { [0] = &inner0, [2] = &inner1 },
};

struct hinner {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u64);
};

struct hinner hinner0 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH_OF_MAPS);
	__uint(max_entries, 4);
	__type(key, __u32);
	__array(values, struct hinner);
} hom SEC(".maps") = {
	.values = { [3] = &hinner0 },
};

static __always_inline void seed_lpm(void)
{
	struct lpm_key k = { .prefixlen = 8, .addr = { 10, 0, 0, 0 } };
	__u32 v = 8;

	bpf_map_update_elem(&lpm, &k, &v, BPF_NOEXIST);
	k.prefixlen = 24;
	k.addr[0] = 192;
	k.addr[2] = 2;
	v = 24;
	bpf_map_update_elem(&lpm, &k, &v, BPF_NOEXIST);
	k.prefixlen = 32;
	k.addr[3] = 9;
	v = 32;
	bpf_map_update_elem(&lpm, &k, &v, BPF_NOEXIST);
}

static __always_inline int exercise(__u32 len, __u16 proto, __u8 b0, __u8 *dst4)
{
	__u32 k = len & 7, k2;
	__u64 v64 = len, *p;
	__u32 v32 = proto, *q;
	long r;

	/* array */
	p = bpf_map_lookup_elem(&arr, &k);
	if (p)
		*p += len;
	k2 = 8; /* out of range */
	PUT(0, bpf_map_update_elem(&arr, &k2, &v64, BPF_ANY));
	PUT(0, bpf_map_update_elem(&arr, &k, &v64, BPF_NOEXIST));
	PUT(0, bpf_map_delete_elem(&arr, &k));

	/* percpu array, and the lookup on another CPU */
	k = len & 3;
	p = bpf_map_lookup_elem(&pcpu_arr, &k);
	if (p)
		*p += 1;
	p = bpf_map_lookup_percpu_elem(&pcpu_arr, &k, 0);
	PUT(1, p ? *p : 999);
	p = bpf_map_lookup_percpu_elem(&pcpu_arr, &k, 4096);
	PUT(1, p ? 1 : 2);

	/* hash: insert, replace, full map, delete */
	k = len;
	r = bpf_map_update_elem(&hash, &k, &v64, BPF_NOEXIST);
	PUT(2, r);
	r = bpf_map_update_elem(&hash, &k, &v64, BPF_EXIST);
	PUT(2, r);
	k2 = len + 1;
	PUT(2, bpf_map_delete_elem(&hash, &k2));
	p = bpf_map_lookup_elem(&hash, &k);
	if (p)
		*p += 0x100;

	/* percpu hash keyed by EtherType */
	k = proto;
	q = bpf_map_lookup_elem(&pcpu_hash, &k);
	if (q)
		*q += 1;
	else
		PUT(3, bpf_map_update_elem(&pcpu_hash, &k, &v32, BPF_NOEXIST));
	q = bpf_map_lookup_percpu_elem(&pcpu_hash, &k, 0);
	PUT(3, q ? *q : 7777);

	/* LRU hashes (well below max_entries: no eviction) */
	k = b0;
	p = bpf_map_lookup_elem(&lru, &k);
	if (p)
		*p += len;
	else
		PUT(4, bpf_map_update_elem(&lru, &k, &v64, BPF_ANY));
	{
		__u16 k16 = proto;

		p = bpf_map_lookup_elem(&lru_pcpu, &k16);
		if (p)
			*p += 1;
		else
			PUT(4, bpf_map_update_elem(&lru_pcpu, &k16, &v64, BPF_NOEXIST));
	}

	/* LPM trie: longest prefix of the IPv4 destination */
	seed_lpm();
	{
		struct lpm_key lk = { .prefixlen = 32 };

		__builtin_memcpy(lk.addr, dst4, 4);
		q = bpf_map_lookup_elem(&lpm, &lk);
		PUT(5, q ? *q : 0);
		lk.prefixlen = 16;
		q = bpf_map_lookup_elem(&lpm, &lk);
		PUT(5, q ? *q : 0);
	}

	/* queue and stack: push until full, pop/peek some */
	v32 = len;
	PUT(6, bpf_map_push_elem(&queue, &v32, 0));
	if (len & 1)
		PUT(6, bpf_map_push_elem(&queue, &v32, BPF_EXIST));
	if (len > 40) {
		__u32 out = 0;

		PUT(6, bpf_map_pop_elem(&queue, &out));
		PUT(6, out);
	}
	PUT(7, bpf_map_push_elem(&stack, &v64, 0));
	{
		__u64 top = 0;

		PUT(7, bpf_map_peek_elem(&stack, &top));
		PUT(7, top);
		if (len < 20) {
			PUT(7, bpf_map_pop_elem(&stack, &top));
			PUT(7, top);
		}
	}

	/* bloom filter: add the EtherType, test a few values */
	v32 = proto;
	PUT(8, bpf_map_push_elem(&bloom, &v32, BPF_ANY));
	v32 = 0x0800;
	PUT(8, bpf_map_peek_elem(&bloom, &v32));
	v32 = 0x86dd;
	PUT(8, bpf_map_peek_elem(&bloom, &v32));
	v32 = 0x1234;
	PUT(8, bpf_map_peek_elem(&bloom, &v32));

	/* array of maps: slot 0 and 2 filled, slot 1 empty */
	k = len % 3;
	{
		void *m = bpf_map_lookup_elem(&aom, &k);
		__u32 ik = len & 3;

		PUT(9, m ? 1 : 0);
		if (m) {
			q = bpf_map_lookup_elem(m, &ik);
			if (q)
				*q += len;
		}
	}
	/* hash of maps: key 3 filled */
	k = (len & 1) ? 3 : 1;
	{
		void *m = bpf_map_lookup_elem(&hom, &k);
		__u32 ik = proto;

		PUT(10, m ? 1 : 0);
		if (m) {
			PUT(10, bpf_map_update_elem(m, &ik, &v64, BPF_ANY));
			k2 = 0x0800;
			PUT(10, bpf_map_delete_elem(m, &k2));
		}
	}
	return 0;
}

SEC("tc")
int maps_tc(struct __sk_buff *skb)
{
	__u8 hdr[34] = {};

	bpf_skb_load_bytes(skb, 0, hdr, 34);
	exercise(skb->len, bpf_ntohs(skb->protocol), hdr[14], &hdr[30]);
	return 0;
}

SEC("xdp")
int maps_xdp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	__u8 zero[4] = {};
	__u8 *h = data;

	if (data + 34 > end)
		return exercise(end - data, 0, 0, zero) + 2;
	return exercise(end - data, (h[12] << 8) | h[13], h[14], &h[30]) + 2;
}

char LICENSE[] SEC("license") = "GPL";

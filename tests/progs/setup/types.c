// SPDX-License-Identifier: MIT OR Apache-2.0
/* Keys and values of many BTF shapes, for setup encoding and dump round
 * trips: big-endian typedefs, IPv6 and MAC fields, enums, bitfields,
 * anonymous unions, char strings, signed fields, a per-CPU hash, a queue,
 * a legacy-style map without BTF types, and globals in every section.
 */
#include "../common.h"


enum color { RED = 1, GREEN = 2, BLUE = -3 };

struct flow {
	__u8 saddr6[16];
	__be16 sport;
	__be16 dport;
	__u8 proto;
	__u8 mac[6];
	__u8 pad;
};

struct rule {
	enum color color;
	__s16 delta;
	__u8 a : 3, b : 5;
	union {
		__u32 word;
		__u8 bytes[4];
	};
	char label[8];
	__be32 nh_addr;
	__be64 cookie;
	_Bool on;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8);
	__type(key, struct flow);
	__type(value, struct rule);
} rules SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __s64);
} pcpu SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_QUEUE);
	__uint(max_entries, 8);
	__type(value, __u32);
} q SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8);
	__uint(key_size, 4);
	__uint(value_size, 12);
} raw SEC(".maps");

const volatile __u32 limit = 3;
const volatile char name[8] = "lb";
__s32 offset = -5;
__u64 seen;

SEC("xdp")
int types_prog(struct xdp_md *ctx)
{
	__u32 k = 1;
	__s64 *p = bpf_map_lookup_elem(&pcpu, &k);
	__u32 v;

	if (p)
		*p += offset;
	if (bpf_map_pop_elem(&q, &v) == 0)
		seen += v;
	if (seen > limit)
		return XDP_DROP;
	return name[0] == 'l' ? XDP_PASS : XDP_TX;
}

char LICENSE[] SEC("license") = "GPL";

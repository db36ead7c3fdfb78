// SPDX-License-Identifier: GPL-2.0
/* XDP program with BTF-defined maps, .rodata/.data/.bss globals, a
 * custom .data.* section and a static __noinline sub-program reached by a
 * bpf-to-bpf call.
 */
#include "common.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u64);
} counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, struct pair { __u64 a; __u32 b; __u32 c; });
} pairs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__uint(key_size, 4);
	__uint(value_size, 8);
	__uint(map_flags, 0);
} scratch SEC(".maps");

const volatile __u32 limit = 1000;		/* .rodata */
const volatile __u64 magic = 0x1122334455667788;	/* .rodata */
__u64 hits = 7;					/* .data */
__u32 last_len;					/* .bss */
__u64 drops;					/* .bss */
__u32 custom_val SEC(".data.custom") = 42;	/* .data.custom */

static __noinline __u64 bump(__u32 key, __u64 by)
{
	__u64 *v = bpf_map_lookup_elem(&counts, &key);

	if (v) {
		__sync_fetch_and_add(v, by);
		return *v;
	}
	bpf_map_update_elem(&counts, &key, &by, BPF_ANY);
	return by;
}

SEC("xdp")
int xdp_count(struct xdp_md *ctx)
{
	__u32 len = ctx->data_end - ctx->data;
	__u32 zero = 0;
	struct pair *p;

	last_len = len;
	hits += 1;
	if (len > limit) {
		drops++;
		return XDP_DROP;
	}
	p = bpf_map_lookup_elem(&pairs, &zero);
	if (p) {
		p->a += magic;
		p->b = custom_val;
	}
	bump(len & 7, 1);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";

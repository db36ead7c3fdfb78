// SPDX-License-Identifier: GPL-2.0
/* Stack traces on a real attached tracepoint (crates/runtime/tests/
 * stacks.rs): bpf_get_stack and bpf_get_stackid with every flag the
 * kernel defines, on a stack trace map, a one-bucket map (every chain
 * collides: -EEXIST, BPF_F_REUSE_STACKID, BPF_F_FAST_STACK_CMP) and a
 * build-id map. Frames are host-specific; the test replays the chains the
 * kernel collected (kbuf/ubuf) in bpfbox and compares every return value
 * and the maps' contents.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define DEPTH 127

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 32);
	__type(key, __u32);
	__type(value, __u64);
} out SEC(".maps");

struct frames {
	__u64 ip[DEPTH];
};

/* [0]: kernel chain, [1]: user chain, [2]: a 2-frame window. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 3);
	__type(key, __u32);
	__type(value, struct frames);
} chains SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, 1000);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, DEPTH * sizeof(__u64));
} stacks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, 1);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, 4 * sizeof(__u64));
} one SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, 16);
	__uint(map_flags, BPF_F_STACK_BUILD_ID);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, 8 * sizeof(struct bpf_stack_build_id));
} bids SEC(".maps");

static __always_inline void put(__u32 k, __u64 v)
{
	bpf_map_update_elem(&out, &k, &v, BPF_ANY);
}

/* out[31] holds the thread id to record (the program sees every task). */
static __always_inline __u64 target_tid(void)
{
	__u32 k = 31;
	__u64 *t = bpf_map_lookup_elem(&out, &k);

	return t ? *t : 0;
}

static __always_inline struct frames *chain(__u32 k)
{
	return bpf_map_lookup_elem(&chains, &k);
}

SEC("tracepoint/syscalls/sys_enter_getppid")
int tp_stacks(void *ctx)
{
	struct frames *k = chain(0), *u = chain(1), *w = chain(2);

	if (!k || !u || !w || (__u32)bpf_get_current_pid_tgid() != target_tid())
		return 0;
	put(0, bpf_get_stack(ctx, k->ip, sizeof(k->ip), 0));
	put(1, bpf_get_stack(ctx, u->ip, sizeof(u->ip), BPF_F_USER_STACK));
	put(2, bpf_get_stackid(ctx, &stacks, 0));
	put(3, bpf_get_stackid(ctx, &stacks, BPF_F_USER_STACK));
	put(4, bpf_get_stackid(ctx, &stacks, 2));
	put(5, bpf_get_stackid(ctx, &one, 0));
	put(6, bpf_get_stackid(ctx, &one, 1));
	put(7, bpf_get_stackid(ctx, &one, 1 | BPF_F_REUSE_STACKID));
	put(8, bpf_get_stackid(ctx, &one, BPF_F_FAST_STACK_CMP));
	put(9, bpf_get_stackid(ctx, &one, 200));
	put(10, bpf_get_stackid(ctx, &stacks, BPF_F_USER_BUILD_ID));
	put(11, bpf_get_stack(ctx, w->ip, 12, 0));
	put(12, bpf_get_stack(ctx, w->ip, 16, 1));
	put(13, bpf_get_stack(ctx, w->ip + 2, 16, 200));
	put(14, bpf_get_stackid(ctx, &bids, 0));
	put(15, bpf_get_stack(ctx, w->ip + 4, 16, BPF_F_USER_BUILD_ID));
	put(16, bpf_get_stackid(ctx, &stacks, 0));
	return 1;
}

char LICENSE[] SEC("license") = "GPL";

// SPDX-License-Identifier: MIT OR Apache-2.0
/* A bpf_loop callback may run more than once: the kernel (6.8+) walks it
 * again from the state its last run left, until the states converge, and
 * checks the caller's code after every number of runs. Here one run
 * leaves n = 2 (in bounds of the 4-byte value), two runs n = 4 (past it).
 * ok_loop_same_value_every_run changes the state in its callback but
 * converges: the second run leaves the state the first one left. */
#include "vc.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, char[4]);
} small SEC(".maps");

struct counter {
	__u64 n;
};

static int add_two(__u32 i, struct counter *c)
{
	c->n += 2;
	return 0;
}

static int keep(__u32 i, struct counter *c)
{
	return 0;
}

SEC("socket")
int bad_loop_second_run(struct __sk_buff *skb)
{
	struct counter c = { .n = 0 };
	__u32 k = 0;
	char *v;

	bpf_loop(2, add_two, &c, 0);
	v = bpf_map_lookup_elem(&small, &k);
	if (!v || c.n > 8)
		return 0;
	return v[c.n];
}

SEC("socket")
int ok_loop_state_unchanged(struct __sk_buff *skb)
{
	struct counter c = { .n = 3 };
	__u32 k = 0;
	char *v;

	bpf_loop(2, keep, &c, 0);
	v = bpf_map_lookup_elem(&small, &k);
	if (!v || c.n > 8)
		return 0;
	return v[c.n];
}

static int set_one(__u32 i, struct counter *c)
{
	c->n = 1;
	return 0;
}

SEC("socket")
int ok_loop_same_value_every_run(struct __sk_buff *skb)
{
	struct counter c = { .n = 3 };
	__u32 k = 0;
	char *v;

	bpf_loop(8, set_one, &c, 0);
	v = bpf_map_lookup_elem(&small, &k);
	if (!v || c.n > 8)
		return 0;
	return v[c.n];
}

/* The callback counts its runs in the caller's stack; the caller only
 * compares the count afterwards. After zero runs the count is a known 0;
 * the kernel converges (the count is widened) and accepts. Used as an
 * index into the 4-byte value without a bound, it is refused. */
static int count(__u32 i, struct counter *c)
{
	c->n++;
	return 0;
}

SEC("socket")
int ok_loop_counter_compared(struct __sk_buff *skb)
{
	struct counter c = { .n = 0 };

	bpf_loop(100, count, &c, 0);
	return c.n > 50;
}

SEC("socket")
int bad_loop_counter_index(struct __sk_buff *skb)
{
	struct counter c = { .n = 0 };
	__u32 k = 0;
	char *v;

	bpf_loop(100, count, &c, 0);
	v = bpf_map_lookup_elem(&small, &k);
	if (!v)
		return 0;
	return v[c.n];
}

char LICENSE[] SEC("license") = "GPL";

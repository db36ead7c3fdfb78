// SPDX-License-Identifier: GPL-2.0
/* bpf_loop with a static callback (ld_imm64 BPF_PSEUDO_FUNC relocation),
 * a string literal in .rodata.str1.1 and a nested sub-program call.
 */
#include "common.h"

struct loop_ctx {
	__u64 sum;
	__u32 limit;
};

const volatile __u32 step = 3;

static __noinline __u64 square(__u64 x)
{
	return x * x;
}

static int add_one(__u32 idx, void *data)
{
	struct loop_ctx *c = data;

	if (idx >= c->limit)
		return 1;
	c->sum += square(idx) + step;
	return 0;
}

SEC("xdp")
int xdp_loop(struct xdp_md *ctx)
{
	struct loop_ctx c = { .sum = 0, .limit = 10 };
	char msg[] = "sum %llu";

	bpf_loop(16, add_one, &c, 0);
	bpf_trace_printk(msg, sizeof(msg), c.sum);
	bpf_trace_printk("done", 5);
	return c.sum > 100 ? XDP_PASS : XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";

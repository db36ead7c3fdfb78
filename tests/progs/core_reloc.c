// SPDX-License-Identifier: GPL-2.0
/* A CO-RE field access (preserve_access_index): the loader must refuse it
 * with a clear "not supported yet" error until CO-RE is implemented.
 */
#include "common.h"

struct xdp_md___core {
	__u32 data;
	__u32 data_end;
} __attribute__((preserve_access_index));

SEC("xdp")
int core_prog(struct xdp_md *ctx)
{
	struct xdp_md___core *c = (void *)ctx;

	return c->data_end - c->data > 10 ? XDP_PASS : XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";

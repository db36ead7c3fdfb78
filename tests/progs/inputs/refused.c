// SPDX-License-Identifier: MIT OR Apache-2.0
// A program the kernel's verifier refuses with "infinite loop detected",
// after which it prints the `cur state:`/`old state:` register dumps and
// the statistics: the error line must give the reason, not a dump.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int spin(struct xdp_md *ctx)
{
	volatile int stop = 0;

	while (!stop)
		;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";

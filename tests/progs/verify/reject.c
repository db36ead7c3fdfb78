// SPDX-License-Identifier: MIT OR Apache-2.0
// Programs the kernel's verifier refuses, for `bpfbox verify` diagnostics
// with C source lines (tests in crates/bpfbox/tests/suite/cli.rs).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("socket")
int reads_r5(struct __sk_buff *skb)
{
	long v;

	/* r5 is not an argument of a socket filter: never initialised */
	asm volatile("%[v] = r5" : [v] "=r"(v));
	return v & 1;
}

SEC("socket")
int accepted(struct __sk_buff *skb)
{
	return skb->len > 100;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";

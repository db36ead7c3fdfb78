// SPDX-License-Identifier: MIT OR Apache-2.0
/* A typed __ksym: a per-CPU kernel variable resolved in the kernel's BTF
 * (BPF_PSEUDO_BTF_ID). bpfbox's interpreter does not run it; a kernel
 * without CONFIG_KALLSYMS_ALL cannot find its address either.
 */
#include "../common.h"

extern const int bpf_prog_active __ksym;

SEC("xdp")
int typed(struct xdp_md *ctx)
{
	int *active = bpf_this_cpu_ptr(&bpf_prog_active);

	return *active >= 0 ? XDP_PASS : XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";

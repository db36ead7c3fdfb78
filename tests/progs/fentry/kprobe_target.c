// SPDX-License-Identifier: GPL-2.0
/* The traced kprobe program (run by `bpfbox fire`): 1 when the probed
 * function's first argument is 7.
 */
#include <linux/bpf.h>
#include <linux/ptrace.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

SEC("kprobe/do_unlinkat")
int kp_target(struct pt_regs *ctx)
{
	return PT_REGS_PARM1(ctx) == 7;
}

char LICENSE[] SEC("license") = "GPL";

// SPDX-License-Identifier: GPL-2.0
/* fentry and fexit on kp_target (kprobe_target.c): its argument is the
 * kernel's struct pt_regs. Slots of `seen`: 0 di, 1 si, 2 ip (fentry),
 * 3 fexit's return value, 4 di seen by fexit.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

struct pt_regs {
	unsigned long si;
	unsigned long di;
	unsigned long ip;
} __attribute__((preserve_access_index));

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u64);
} seen SEC(".maps");

static void put(__u32 slot, __u64 v)
{
	bpf_map_update_elem(&seen, &slot, &v, BPF_ANY);
}

SEC("fentry/kp_target")
int BPF_PROG(kp_entry, struct pt_regs *regs)
{
	put(0, regs->di);
	put(1, regs->si);
	put(2, regs->ip);
	return 0;
}

SEC("fexit/kp_target")
int BPF_PROG(kp_exit, struct pt_regs *regs, int ret)
{
	put(3, ret);
	put(4, regs->di);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";

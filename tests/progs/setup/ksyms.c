// SPDX-License-Identifier: MIT OR Apache-2.0
/* __ksym externs: typeless kernel symbols (their addresses, from
 * /proc/kallsyms: a function, and a variable that kernels without
 * CONFIG_KALLSYMS_ALL do not list, weak), a kfunc (resolved in the
 * kernel's BTF; bpfbox's interpreter does not run it), and a weak kfunc no
 * kernel has (libbpf poisons the call; a NULL check skips it).
 */
#include "../common.h"

extern const void schedule __ksym;
extern const void init_task __ksym __weak;
extern int bpf_dynptr_from_xdp(struct xdp_md *x, __u64 flags, struct bpf_dynptr *ptr__uninit) __ksym;
extern int bpfbox_no_such_kfunc(int x) __ksym __weak;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} addrs SEC(".maps");

SEC("xdp")
int typeless(struct xdp_md *ctx)
{
	__u32 k0 = 0, k1 = 1;
	__u64 a = (__u64)&schedule, b = (__u64)&init_task;

	bpf_map_update_elem(&addrs, &k0, &a, BPF_ANY);
	bpf_map_update_elem(&addrs, &k1, &b, BPF_ANY);
	return a ? XDP_PASS : XDP_DROP;
}

SEC("xdp")
int kfunc(struct xdp_md *ctx)
{
	struct bpf_dynptr d;

	if (bpfbox_no_such_kfunc)	/* bpf_ksym_exists() */
		return bpfbox_no_such_kfunc(1);
	if (bpf_dynptr_from_xdp(ctx, 0, &d))
		return XDP_DROP;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";

// SPDX-License-Identifier: MIT OR Apache-2.0
/* A cgroup device policy configured by its loader: the allowed major
 * number in .rodata and the allowed minors in a hash map the control plane
 * fills; denials are counted in .bss. Run with `bpfbox fire --setup`.
 */
#include "../common.h"

const volatile __u32 allowed_major = 0;
__u64 denied = 0;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, __u8);
} minors SEC(".maps");

SEC("cgroup/dev")
int devpolicy(struct bpf_cgroup_dev_ctx *ctx)
{
	__u32 minor = ctx->minor;

	if (ctx->major == allowed_major && bpf_map_lookup_elem(&minors, &minor))
		return 1;
	__sync_fetch_and_add(&denied, 1);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";

// SPDX-License-Identifier: GPL-2.0
/* More CO-RE cases, checked instruction by instruction against libbpf:
 * a load whose size changes (local __u64, kernel __u32), array members,
 * nested member access, signedness, type ids, type matches.
 */
#include "common.h"
#include <bpf/bpf_core_read.h>

/* saddr is 8 bytes here, 4 in the kernel: the load size is adjusted */
struct iphdr___sz {
	__u8 ttl;
	__u64 saddr;
} __attribute__((preserve_access_index));

/* the kernel's order is h_dest, h_source, h_proto */
struct ethhdr___arr {
	__be16 h_proto;
	unsigned char h_source[6];
	unsigned char h_dest[6];
} __attribute__((preserve_access_index));

struct thread_info___x {
	unsigned long flags;
} __attribute__((preserve_access_index));

struct task_struct___x {
	int pid;
	char comm[16];
	struct thread_info___x thread_info;
} __attribute__((preserve_access_index));

SEC("xdp")
int core_sizes(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct iphdr___sz *ip = data + 14;
	struct ethhdr___arr *eth = data;

	if (data + 14 + 20 > data_end)
		return XDP_ABORTED;
	return (ip->saddr ^ ip->ttl ^ eth->h_source[3] ^ eth->h_dest[1] ^ eth->h_proto) & 3;
}

SEC("xdp")
int core_consts(struct xdp_md *ctx)
{
	__u32 r = 0;

	r ^= bpf_core_field_offset(struct task_struct___x, pid);
	r ^= bpf_core_field_offset(struct task_struct___x, thread_info.flags) << 8;
	r ^= bpf_core_field_size(struct task_struct___x, comm) << 12;
	r ^= __builtin_preserve_field_info(((struct task_struct___x *)0)->pid, BPF_FIELD_SIGNED) << 20;
	r ^= bpf_core_type_id_kernel(struct task_struct___x) << 4;
	r ^= bpf_core_type_matches(struct thread_info___x) << 21;
	r ^= bpf_core_type_id_local(struct task_struct___x) << 22;
	return r;
}

char LICENSE[] SEC("license") = "GPL";

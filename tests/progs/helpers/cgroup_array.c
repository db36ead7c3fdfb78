// SPDX-License-Identifier: GPL-2.0
/* bpf_skb_under_cgroup and bpf_current_task_under_cgroup over a cgroup
 * array (crates/runtime/tests/cgroup_array.rs): user space fills the
 * slots (its own cgroup, a sibling test cgroup, the root, one left empty);
 * the program asks both helpers about every slot and one index past the
 * end and stores the answers.
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_CGROUP_ARRAY);
	__uint(max_entries, 4);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} cgroups SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 10);
	__type(key, __u32);
	__type(value, __u64);
} res SEC(".maps");

static __always_inline void put(__u32 k, __u64 v)
{
	bpf_map_update_elem(&res, &k, &v, BPF_ANY);
}

SEC("tc")
int under_cgroup(struct __sk_buff *skb)
{
	put(0, bpf_skb_under_cgroup(skb, &cgroups, 0));
	put(1, bpf_skb_under_cgroup(skb, &cgroups, 1));
	put(2, bpf_skb_under_cgroup(skb, &cgroups, 2));
	put(3, bpf_skb_under_cgroup(skb, &cgroups, 3));
	put(4, bpf_skb_under_cgroup(skb, &cgroups, 9));
	put(5, bpf_current_task_under_cgroup(&cgroups, 0));
	put(6, bpf_current_task_under_cgroup(&cgroups, 1));
	put(7, bpf_current_task_under_cgroup(&cgroups, 2));
	put(8, bpf_current_task_under_cgroup(&cgroups, 3));
	put(9, bpf_current_task_under_cgroup(&cgroups, 9));
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "GPL";

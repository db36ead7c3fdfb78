// SPDX-License-Identifier: MIT OR Apache-2.0
/* cgroup storage (bpf_get_local_storage) in cgroup_skb programs: shared
 * and per-CPU storage, both freshly zeroed by every BPF_PROG_TEST_RUN call
 * and shared by the runs of one call (repeat). The values seen land in
 * res, so the kernel diff sees them.
 */
#include "cov.h"

RESULTS(4);

struct {
	__uint(type, BPF_MAP_TYPE_CGROUP_STORAGE);
	__type(key, struct bpf_cgroup_storage_key);
	__type(value, __u64[2]);
} shared SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE);
	__type(key, struct bpf_cgroup_storage_key);
	__type(value, __u32);
} percpu SEC(".maps");

SEC("cgroup_skb/ingress")
int storage_ingress(struct __sk_buff *skb)
{
	__u64 *s = bpf_get_local_storage(&shared, 0);
	__u32 *p = bpf_get_local_storage(&percpu, 0);

	PUT(0, s[0]);
	PUT(1, *p);
	s[0] += 1;
	s[1] += skb->len;
	*p += 3;
	PUT(2, s[1]);
	return s[1] & 1;
}

SEC("cgroup_skb/egress")
int storage_egress(struct __sk_buff *skb)
{
	__u64 *s = bpf_get_local_storage(&shared, 0);

	__sync_fetch_and_add(&s[0], 1);
	PUT(3, s[0]);
	return 1;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";

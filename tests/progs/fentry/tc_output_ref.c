// SPDX-License-Identifier: GPL-2.0
/* The kernel side of the bpf_skb_output comparison: a tc program's
 * bpf_perf_event_output is the same kernel function (bpf_skb_event_output)
 * as a tracing program's bpf_skb_output.
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, 4);
	__uint(value_size, 4);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, __u64);
} seen SEC(".maps");

SEC("tc")
int tc_output_ref(struct __sk_buff *skb)
{
	__u64 tag = 0x1122334455667788ULL;
	__u32 slot = 7;
	__u64 ret = bpf_perf_event_output(skb, &events, BPF_F_CURRENT_CPU | (4ULL << 32), &tag,
					  sizeof(tag));

	bpf_map_update_elem(&seen, &slot, &ret, BPF_ANY);
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "GPL";

// SPDX-License-Identifier: GPL-2.0
/* fentry and fexit on tc_target (tc_target.c): the kernel's struct
 * sk_buff of a tc test run, read through BTF-typed pointers, and
 * bpf_skb_output of the frame's first bytes. Slots of `seen`:
 *  0 fentry runs     1 len           2 data_len      3 data - head
 *  4 protocol (network order)        5 mark before   6 dev->ifindex
 *  7 bpf_skb_output's return         8 fexit's return value
 *  9 mark after      10 fexit runs
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

struct net_device {
	int ifindex;
} __attribute__((preserve_access_index));

struct sk_buff {
	struct net_device *dev;
	unsigned int len;
	unsigned int data_len;
	__u32 mark;
	__u16 protocol;
	unsigned char *head;
	unsigned char *data;
} __attribute__((preserve_access_index));

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, __u64);
} seen SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, 4);
	__uint(value_size, 4);
} events SEC(".maps");

static void put(__u32 slot, __u64 v)
{
	bpf_map_update_elem(&seen, &slot, &v, BPF_ANY);
}

static void add(__u32 slot)
{
	__u64 *v = bpf_map_lookup_elem(&seen, &slot);

	if (v)
		__sync_fetch_and_add(v, 1);
}

SEC("fentry/tc_target")
int BPF_PROG(tc_entry, struct sk_buff *skb)
{
	__u64 tag = 0x1122334455667788ULL;

	add(0);
	put(1, skb->len);
	put(2, skb->data_len);
	put(3, skb->data - skb->head);
	put(4, skb->protocol);
	put(5, skb->mark);
	put(6, skb->dev->ifindex);
	put(7, bpf_skb_output(skb, &events, BPF_F_CURRENT_CPU | (4ULL << 32), &tag, sizeof(tag)));
	return 0;
}

SEC("fexit/tc_target")
int BPF_PROG(tc_exit, struct sk_buff *skb, int ret)
{
	add(10);
	put(8, ret);
	put(9, skb->mark);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";

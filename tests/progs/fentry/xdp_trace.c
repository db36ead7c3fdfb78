// SPDX-License-Identifier: GPL-2.0
/* fentry and fexit on xdp_target (xdp_target.c): what the kernel's
 * struct xdp_buff of a test run holds, read through BTF-typed pointers,
 * and bpf_xdp_output of the frame's first bytes. Slots of `seen`:
 *  0 fentry runs            1 data_end - data       2 data - data_hard_start
 *  3 frame_sz               4 rxq->dev->ifindex     5 rxq->queue_index
 *  6 data - data_meta       7 bpf_xdp_output's return
 *  8 fexit's return value   9 data_end - data after the program
 * 10 fexit runs            11 txq->dev (txq is NULL: a faulting load reads 0)
 * 12 first packet byte (bpf_probe_read_kernel)
 * 13 first 8 bytes of rxq->dev->name
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

struct net_device {
	int ifindex;
	char name[16];
} __attribute__((preserve_access_index));

struct xdp_rxq_info {
	struct net_device *dev;
	unsigned int queue_index;
} __attribute__((preserve_access_index));

struct xdp_txq_info {
	struct net_device *dev;
} __attribute__((preserve_access_index));

struct xdp_buff {
	void *data;
	void *data_end;
	void *data_meta;
	void *data_hard_start;
	struct xdp_rxq_info *rxq;
	struct xdp_txq_info *txq;
	unsigned int frame_sz;
	unsigned int flags;
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

SEC("fentry/xdp_target")
int BPF_PROG(trace_entry, struct xdp_buff *xdp)
{
	__u64 tag = 0x1122334455667788ULL;
	unsigned char first = 0;
	__u64 name = 0;

	add(0);
	put(1, xdp->data_end - xdp->data);
	put(2, xdp->data - xdp->data_hard_start);
	put(3, xdp->frame_sz);
	put(4, xdp->rxq->dev->ifindex);
	put(5, xdp->rxq->queue_index);
	put(6, xdp->data - xdp->data_meta);
	put(7, bpf_xdp_output(xdp, &events, BPF_F_CURRENT_CPU | (4ULL << 32), &tag, sizeof(tag)));
	put(11, (__u64)xdp->txq->dev);
	bpf_probe_read_kernel(&first, 1, xdp->data);
	put(12, first);
	bpf_probe_read_kernel(&name, sizeof(name), xdp->rxq->dev->name);
	put(13, name);
	return 0;
}

SEC("fexit/xdp_target")
int BPF_PROG(trace_exit, struct xdp_buff *xdp, int ret)
{
	add(10);
	put(8, ret);
	put(9, xdp->data_end - xdp->data);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";

// BPF_PROG_TYPE_LWT_SEG6LOCAL programs for BPF_PROG_TEST_RUN on both
// engines. They read the __sk_buff fields the type may read, look at the
// packet through data/data_end, count runs in a map and return a verdict.
// The seg6 helpers (bpf_lwt_seg6_*) are left to one program of their own:
// kernels built without CONFIG_IPV6_SEG6_BPF refuse it.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u64);
} seen SEC(".maps");

static void count(__u32 slot, __u64 v)
{
	__u64 *p = bpf_map_lookup_elem(&seen, &slot);
	if (p)
		*p += v;
}

// Records what the context shows and passes the packet on.
SEC("lwt_seg6local")
int seg6_fields(struct __sk_buff *skb)
{
	count(0, 1);
	count(1, skb->len);
	count(2, skb->protocol);
	count(3, skb->ifindex);
	count(4, skb->pkt_type);
	count(5, skb->mark);
	count(6, skb->data_end - skb->data);
	return BPF_OK;
}

// Drops packets whose (new) destination ends in 0xdd: reads it directly
// when the packet is readable between data and data_end, else with
// bpf_skb_load_bytes. Counts which way it read and the byte.
SEC("lwt_seg6local")
int seg6_policy(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	__u8 last = 0;

	if (data + 40 <= data_end) {
		count(0, 1);
		last = *(__u8 *)(data + 39);
	} else {
		count(1, 1);
		if (bpf_skb_load_bytes(skb, 39, &last, 1))
			return BPF_DROP;
	}
	count(2, last);
	return last == 0xdd ? BPF_DROP : BPF_OK;
}

// SEG6_LOCAL_ACTION_END_X of linux/seg6_local.h.
#define END_X 2

// Applies an End.X action (next hop ::): needs the seg6 helpers.
SEC("lwt_seg6local")
int seg6_action(struct __sk_buff *skb)
{
	__u8 nh[16] = {};

	return bpf_lwt_seg6_action(skb, END_X, nh, sizeof(nh));
}

char _license[] SEC("license") = "GPL";

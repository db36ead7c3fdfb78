// SPDX-License-Identifier: GPL-2.0
/* Several programs of skb-based types in one object sharing maps and a
 * static sub-program (appended to each caller, as libbpf does).
 */
#include "common.h"

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, __u64);
} by_proto SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 128);
	__type(key, __u64);
	__type(value, __u32);
} lru SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} events SEC(".maps");

static __noinline int account(struct __sk_buff *skb, int verdict)
{
	__u32 proto = skb->protocol;
	__u64 one = 1, *v;

	v = bpf_map_lookup_elem(&by_proto, &proto);
	if (v)
		*v += 1;
	else
		bpf_map_update_elem(&by_proto, &proto, &one, BPF_NOEXIST);
	return verdict;
}

static __noinline int note_len(struct __sk_buff *skb)
{
	__u64 key = skb->len;
	__u32 val = skb->ifindex;

	bpf_map_update_elem(&lru, &key, &val, BPF_ANY);
	return account(skb, 0);
}

SEC("tc")
int tc_prog(struct __sk_buff *skb)
{
	__u32 *slot = bpf_ringbuf_reserve(&events, sizeof(__u32), 0);

	if (slot) {
		*slot = skb->len;
		bpf_ringbuf_submit(slot, 0);
	}
	return account(skb, 0);
}

SEC("classifier")
int cls_prog(struct __sk_buff *skb)
{
	return note_len(skb);
}

SEC("socket")
int sock_prog(struct __sk_buff *skb)
{
	return account(skb, skb->len);
}

SEC("cgroup_skb/ingress")
int cg_ingress(struct __sk_buff *skb)
{
	return account(skb, 1);
}

SEC("cgroup_skb/egress")
int cg_egress(struct __sk_buff *skb)
{
	return account(skb, 1) & 1;
}

SEC("lwt_in")
int lwt_in_prog(struct __sk_buff *skb)
{
	return account(skb, 0);
}

SEC("lwt_out")
int lwt_out_prog(struct __sk_buff *skb)
{
	return note_len(skb);
}

SEC("lwt_xmit")
int lwt_xmit_prog(struct __sk_buff *skb)
{
	return account(skb, 0);
}

/* two programs in one section */
SEC("tc")
int tc_second(struct __sk_buff *skb)
{
	return skb->mark == 1 ? 2 : 0;
}

char LICENSE[] SEC("license") = "GPL";

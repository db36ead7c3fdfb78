// SPDX-License-Identifier: GPL-2.0
/* skb helpers on every skb program type that BPF_PROG_TEST_RUN runs:
 * SOCKET_FILTER, SCHED_CLS, SCHED_ACT, CGROUP_SKB, LWT_IN, LWT_OUT and
 * LWT_XMIT, each with the helpers its type may call. Return codes go to
 * `res`, packet changes show in data_out.
 */
#include "cov.h"

RESULTS(40);

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} rb SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(max_entries, 2);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} perf SEC(".maps");

/* the socket cookie is a kernel counter: store that it is stable and set */
static __always_inline void cookie(struct __sk_buff *skb, __u32 k)
{
	__u64 a = bpf_get_socket_cookie(skb), b = bpf_get_socket_cookie(skb);

	PUT(k, a == b);
	PUT(k, a != 0);
}

static __always_inline void loads(struct __sk_buff *skb, __u32 k)
{
	__u8 b[8] = {};
	__u64 v;

	PUT(k, bpf_skb_load_bytes(skb, 12, b, 2));
	__builtin_memcpy(&v, b, 8);
	PUT(k, v);
	PUT(k, bpf_skb_load_bytes(skb, skb->len - 1, b, 4)); /* past the end */
	PUT(k, bpf_skb_load_bytes_relative(skb, 0, b, 8, BPF_HDR_START_MAC));
	__builtin_memcpy(&v, b, 8);
	PUT(k, v);
	PUT(k, bpf_skb_load_bytes_relative(skb, 2, b, 4, BPF_HDR_START_NET));
	__builtin_memcpy(&v, b, 8);
	PUT(k, v);
	PUT(k, bpf_skb_load_bytes_relative(skb, 0, b, 4, 7)); /* bad header */
}

SEC("socket")
int sf(struct __sk_buff *skb)
{
	__u64 ev = skb->len;

	loads(skb, 0);
	cookie(skb, 1);
	PUT(1, bpf_perf_event_output(skb, &perf, 0, &ev, sizeof(ev)));
	return skb->len;
}

SEC("cgroup_skb/ingress")
int cg_in(struct __sk_buff *skb)
{
	__u64 ev = skb->len;

	loads(skb, 2);
	cookie(skb, 3);
	PUT(3, bpf_ringbuf_output(&rb, &ev, sizeof(ev), 0));
	/* with the first 4 packet bytes appended (BPF_F_CTXLEN_MASK) */
	PUT(3, bpf_perf_event_output(skb, &perf, BPF_F_CURRENT_CPU | (4ULL << 32), &ev, sizeof(ev)));
	PUT(3, bpf_perf_event_output(skb, &perf, BPF_F_CURRENT_CPU | (9999ULL << 32), &ev, sizeof(ev)));
	return 1;
}

SEC("cgroup_skb/egress")
int cg_out(struct __sk_buff *skb)
{
	loads(skb, 4);
	return skb->len > 40;
}

/* checksum helpers: rewrite the IPv4 destination and fix both checksums */
SEC("tc")
int tc_csum(struct __sk_buff *skb)
{
	__be32 old = 0, new = bpf_htonl(0xc6336401);
	__u8 proto = 0;
	__u32 l4;

	PUT(5, bpf_get_hash_recalc(skb) != 0); /* flow hash seed is random per boot */
	if (skb->protocol != bpf_htons(ETH_P_IP))
		return 0;
	if (bpf_skb_load_bytes(skb, 30, &old, 4) || bpf_skb_load_bytes(skb, 23, &proto, 1))
		return 1;
	l4 = proto == IPPROTO_TCP ? 14 + 20 + 16 : proto == IPPROTO_UDP ? 14 + 20 + 6 : 0;
	PUT(5, bpf_skb_store_bytes(skb, 30, &new, 4, 0));
	PUT(5, bpf_l3_csum_replace(skb, 24, old, new, 4));
	if (l4)
		PUT(5, bpf_l4_csum_replace(skb, l4, old, new, BPF_F_PSEUDO_HDR | 4));
	PUT(5, bpf_l3_csum_replace(skb, 24, 0, 0, 3)); /* bad size */
	PUT(5, bpf_l4_csum_replace(skb, skb->len, 0, 1, 2)); /* out of range */
	{
		__u8 ttl = 1;

		PUT(5, bpf_skb_store_bytes(skb, 22, &ttl, 1, BPF_F_RECOMPUTE_CSUM | BPF_F_INVALIDATE_HASH));
		PUT(5, bpf_skb_store_bytes(skb, skb->len - 1, &ttl, 2, 0)); /* past the end */
	}
	PUT(5, bpf_csum_update(skb, 0x1234));
	PUT(5, bpf_get_hash_recalc(skb) != 0); /* flow hash seed is random per boot */
	PUT(5, bpf_set_hash(skb, 0xabcd));
	PUT(5, bpf_get_hash_recalc(skb)); /* the hash set_hash stored */
	PUT(5, skb->hash);
	return 0;
}

/* size changes: pull, tail, head, room, proto, VLAN */
SEC("tc")
int tc_resize(struct __sk_buff *skb)
{
	__u32 len = skb->len;

	PUT(6, bpf_skb_pull_data(skb, 20));
	PUT(6, bpf_skb_pull_data(skb, len + 1));
	PUT(6, skb->data_end - skb->data);
	PUT(6, bpf_skb_change_tail(skb, len + 7, 0));
	PUT(6, bpf_skb_change_tail(skb, len > 20 ? len - 3 : len, 0));
	PUT(6, bpf_skb_change_tail(skb, 0, 0));
	PUT(6, bpf_skb_change_head(skb, 4, 0));
	PUT(6, bpf_skb_change_head(skb, 4, 1)); /* bad flags */
	PUT(6, skb->len);
	return 0;
}

SEC("tc")
int tc_room(struct __sk_buff *skb)
{
	if (skb->protocol == bpf_htons(ETH_P_IP)) {
		PUT(7, bpf_skb_adjust_room(skb, 8, BPF_ADJ_ROOM_NET, 0));
		PUT(7, bpf_skb_adjust_room(skb, -8, BPF_ADJ_ROOM_NET, 0));
		PUT(7, bpf_skb_adjust_room(skb, 4, BPF_ADJ_ROOM_MAC, 0));
		PUT(7, bpf_skb_adjust_room(skb, 4, 9, 0)); /* bad mode */
		PUT(7, bpf_skb_change_proto(skb, bpf_htons(ETH_P_IPV6), 0));
	} else if (skb->protocol == bpf_htons(ETH_P_IPV6)) {
		PUT(7, bpf_skb_change_proto(skb, bpf_htons(ETH_P_IP), 0));
		PUT(7, bpf_skb_change_proto(skb, bpf_htons(ETH_P_ARP), 0));
	}
	PUT(7, skb->len);
	PUT(7, skb->protocol);
	return 0;
}

SEC("tc")
int tc_vlan(struct __sk_buff *skb)
{
	PUT(8, bpf_skb_vlan_push(skb, bpf_htons(ETH_P_8021Q), 7));
	PUT(8, skb->vlan_present);
	PUT(8, skb->vlan_tci);
	PUT(8, bpf_skb_vlan_push(skb, bpf_htons(ETH_P_8021AD), 9));
	PUT(8, bpf_skb_vlan_pop(skb));
	PUT(8, bpf_skb_vlan_push(skb, 0x1234, 1)); /* bad proto */
	PUT(8, skb->len);
	return 0;
}

SEC("tc")
int tc_redirect(struct __sk_buff *skb)
{
	PUT(9, bpf_clone_redirect(skb, 1, 0));
	PUT(9, bpf_clone_redirect(skb, 999, 0));
	PUT(9, bpf_clone_redirect(skb, 1, 8));
	cookie(skb, 9);
	if (skb->len & 1)
		return bpf_redirect(1, BPF_F_INGRESS);
	if (skb->len & 2)
		return bpf_redirect(1, 0x100);
	return bpf_redirect(1, 0);
}

SEC("action")
int act(struct __sk_buff *skb)
{
	__u8 mark = 0x5a;

	PUT(10, bpf_skb_store_bytes(skb, 0, &mark, 1, 0));
	PUT(10, bpf_skb_vlan_push(skb, bpf_htons(ETH_P_8021Q), 3));
	PUT(10, bpf_skb_change_tail(skb, skb->len + 2, 0));
	PUT(10, bpf_get_hash_recalc(skb) != 0); /* flow hash seed is random per boot */
	return bpf_redirect(1, 0);
}

static __always_inline void lwt_common(struct __sk_buff *skb, __u32 k)
{
	__u8 b[20] = {};
	__be32 from[2] = {}, to[2] = { 1, 2 };

	PUT(k, bpf_skb_load_bytes(skb, 0, b, 20));
	__builtin_memcpy(from, b + 12, 8);
	PUT(k, bpf_csum_diff(from, 8, to, 8, 0));
	PUT(k, bpf_skb_pull_data(skb, 10));
	PUT(k, bpf_get_hash_recalc(skb) != 0); /* flow hash seed is random per boot */
	PUT(k, bpf_get_smp_processor_id());
}

SEC("lwt_in")
int lwt_in_prog(struct __sk_buff *skb)
{
	lwt_common(skb, 11);
	return BPF_OK;
}

SEC("lwt_out")
int lwt_out_prog(struct __sk_buff *skb)
{
	lwt_common(skb, 12);
	return skb->len > 50 ? BPF_DROP : BPF_OK;
}

SEC("lwt_xmit")
int lwt_xmit_prog(struct __sk_buff *skb)
{
	__u8 ttl = 9;
	__be16 old = 0;

	lwt_common(skb, 13);
	if (bpf_skb_load_bytes(skb, 8, &old, 2) == 0) {
		PUT(14, bpf_skb_store_bytes(skb, 8, &ttl, 1, 0));
		PUT(14, bpf_l3_csum_replace(skb, 10, old, old ^ 0x0100, 2));
	}
	PUT(14, bpf_csum_update(skb, 1));
	PUT(14, bpf_skb_change_tail(skb, skb->len + 3, 0));
	PUT(14, bpf_skb_change_head(skb, 14, 0));
	PUT(14, skb->len);
	if (skb->len & 1)
		return bpf_redirect(1, 0);
	return BPF_OK;
}

char LICENSE[] SEC("license") = "GPL";

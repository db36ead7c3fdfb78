// flow_dissector: Ethernet, one or two VLAN tags, IPv4 (with fragments and
// options) or IPv6, TCP/UDP ports; BPF_DROP for anything else or a short
// packet. Also probes bpf_skb_load_bytes (no skb in a test run).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

/* Bounds an offset so the verifier sees it (the compiler would fold a
 * plain mask into an earlier comparison on another register). */
static __always_inline __u64 bound(__u64 v, const __u64 mask)
{
	asm volatile("%0 &= %1" : "+r"(v) : "i"(mask));
	return v;
}

#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86DD
#define ETH_P_8021Q 0x8100
#define ETH_P_8021AD 0x88A8

SEC("flow_dissector")
int dissect(struct __sk_buff *skb)
{
	struct bpf_flow_keys *k = skb->flow_keys;
	void *data = (void *)(long)skb->data;
	void *end = (void *)(long)skb->data_end;
	__u16 proto = k->n_proto;
	__u16 off = k->nhoff;
	__u8 probe[2];
	long r;
	int i;

	r = bpf_skb_load_bytes(skb, 0, probe, 2);
	k->flow_label = (__u32)r;
#pragma unroll
	for (i = 0; i < 2; i++) {
		if (proto == bpf_htons(ETH_P_8021Q) || proto == bpf_htons(ETH_P_8021AD)) {
			__u8 *v;
			if (off > 64)
				return BPF_DROP;
			v = data + bound(off, 0x7f);
			if ((void *)(v + 4) > end)
				return BPF_DROP;
			proto = *(__u16 *)(v + 2);
			off += 4;
		}
	}
	k->n_proto = proto;
	k->nhoff = off;
	if (off > 64)
		return BPF_DROP;
	if (proto == bpf_htons(ETH_P_IP)) {
		__u8 *ip = data + bound(off, 0x7f);
		__u16 frag;
		if ((void *)(ip + 20) > end)
			return BPF_DROP;
		k->addr_proto = ETH_P_IP;
		k->ip_proto = ip[9];
		k->ipv4_src = *(__u32 *)(ip + 12);
		k->ipv4_dst = *(__u32 *)(ip + 16);
		frag = bpf_ntohs(*(__u16 *)(ip + 6));
		if (frag & 0x3fff) {
			k->is_frag = 1;
			if (!(frag & 0x1fff))
				k->is_first_frag = 1;
			if ((frag & 0x1fff) || !(k->flags & BPF_FLOW_DISSECTOR_F_PARSE_1ST_FRAG))
				return BPF_OK;
		}
		off += (ip[0] & 0xf) * 4;
	} else if (proto == bpf_htons(ETH_P_IPV6)) {
		__u8 *ip6 = data + bound(off, 0x7f);
		if ((void *)(ip6 + 40) > end)
			return BPF_DROP;
		k->addr_proto = ETH_P_IPV6;
		k->ip_proto = ip6[6];
		__builtin_memcpy(k->ipv6_src, ip6 + 8, 16);
		__builtin_memcpy(k->ipv6_dst, ip6 + 24, 16);
		k->flow_label = *(__u32 *)ip6 & bpf_htonl(0xfffff);
		if (k->flags & BPF_FLOW_DISSECTOR_F_STOP_AT_FLOW_LABEL && k->flow_label)
			return BPF_OK;
		off += 40;
	} else {
		return BPF_DROP;
	}
	k->thoff = off;
	if (off > 200)
		return BPF_DROP;
	if (k->ip_proto == 6 || k->ip_proto == 17) {
		__u16 *ports = data + bound(off, 0xff);
		if ((void *)(ports + 2) > end)
			return BPF_DROP;
		k->sport = ports[0];
		k->dport = ports[1];
	}
	return BPF_OK;
}

char LICENSE[] SEC("license") = "GPL";

// Packet-modifying skb helpers, one program each; the return value packs
// the helpers' return codes so the test compares them too.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

SEC("tc")
int vlan(struct __sk_buff *skb)
{
	long a = bpf_skb_vlan_push(skb, bpf_htons(ETH_P_8021Q), 5);
	long b = bpf_skb_vlan_push(skb, bpf_htons(ETH_P_8021AD), 6);
	__u32 tci = skb->vlan_tci, proto = skb->vlan_proto, len = skb->len;
	long c = bpf_skb_vlan_pop(skb);
	long d = bpf_skb_vlan_pop(skb);
	long e = bpf_skb_vlan_pop(skb);

	skb->cb[0] = tci | (proto << 16);
	skb->cb[1] = len | (skb->vlan_present << 16);
	skb->cb[2] = skb->protocol;
	return (a & 0xf) | (b & 0xf) << 4 | (c & 0xf) << 8 | (d & 0xf) << 12 | (e & 0xf) << 16;
}

SEC("tc")
int tail(struct __sk_buff *skb)
{
	long a = bpf_skb_change_tail(skb, skb->len + 10, 0);
	long b = bpf_skb_change_tail(skb, skb->len - 25, 0);
	long c = bpf_skb_change_tail(skb, 5, 0);
	long d = bpf_skb_change_tail(skb, 100000, 0);

	skb->cb[0] = skb->len;
	return (a & 0xff) | (b & 0xff) << 8 | (c & 0xff) << 16 | (d & 0xff) << 24;
}

SEC("tc")
int head(struct __sk_buff *skb)
{
	char tag[4] = {1, 2, 3, 4};
	long a = bpf_skb_change_head(skb, 8, 0);
	long b = bpf_skb_store_bytes(skb, 0, tag, 4, 0);
	long c = bpf_skb_change_head(skb, 8, 1);

	skb->cb[0] = skb->len;
	return (a & 0xff) | (b & 0xff) << 8 | (c & 0xff) << 16;
}

SEC("tc")
int room(struct __sk_buff *skb)
{
	long a = bpf_skb_adjust_room(skb, 8, BPF_ADJ_ROOM_NET, 0);
	long b = bpf_skb_adjust_room(skb, -4, BPF_ADJ_ROOM_MAC, 0);
	long c = bpf_skb_adjust_room(skb, 16, 7, 0);
	long d = bpf_skb_adjust_room(skb, -10000, BPF_ADJ_ROOM_NET, 0);

	skb->cb[0] = skb->len;
	return (a & 0xff) | (b & 0xff) << 8 | (c & 0xff) << 16 | (d & 0xff) << 24;
}

SEC("tc")
int csum(struct __sk_buff *skb)
{
	__u32 old = 0, new = 0x0100000a;
	long a = bpf_skb_load_bytes(skb, 14 + 16, &old, 4);
	long b = bpf_l3_csum_replace(skb, 14 + 10, old, new, 4);
	long c = bpf_l4_csum_replace(skb, 14 + 20 + 16, old, new, BPF_F_PSEUDO_HDR | 4);
	long d = bpf_skb_store_bytes(skb, 14 + 16, &new, 4, BPF_F_INVALIDATE_HASH);
	__s64 diff = bpf_csum_diff(&old, 4, &new, 4, 0x1234);
	long e = bpf_l4_csum_replace(skb, 14 + 20 + 6, 0, diff, BPF_F_MARK_MANGLED_0);
	long f = bpf_l3_csum_replace(skb, 15, 0, 0, 2);

	skb->cb[0] = (__u32)diff;
	skb->cb[1] = bpf_get_hash_recalc(skb) != 0;
	bpf_set_hash(skb, 0x77);
	skb->cb[2] = bpf_get_hash_recalc(skb);
	return (a & 0xf) | (b & 0xf) << 4 | (c & 0xf) << 8 | (d & 0xf) << 12 | (e & 0xf) << 16 | (f & 0xff) << 20;
}

SEC("tc")
int proto(struct __sk_buff *skb)
{
	long a = bpf_skb_change_proto(skb, bpf_htons(ETH_P_IPV6), 0);
	__u32 len1 = skb->len;
	long b = bpf_skb_change_proto(skb, bpf_htons(ETH_P_IP), 0);
	long c = bpf_skb_change_proto(skb, bpf_htons(ETH_P_ARP), 0);
	long d = bpf_skb_pull_data(skb, 0);
	long e = bpf_skb_pull_data(skb, 5000);

	skb->cb[0] = len1;
	skb->cb[1] = skb->protocol;
	return (a & 0xff) | (b & 0xff) << 8 | (c & 0xff) << 16 | (d & 0xf) << 24 | (e & 0xf) << 28;
}

SEC("tc")
int redir(struct __sk_buff *skb)
{
	__u8 buf[6];
	long a = bpf_skb_load_bytes(skb, skb->len - 2, buf, 6);
	long b = bpf_skb_load_bytes_relative(skb, 0, buf, 4, BPF_HDR_START_NET);
	long c = bpf_clone_redirect(skb, 1, 0);
	long d = bpf_clone_redirect(skb, 12345, 0);

	skb->cb[0] = buf[0] | buf[3] << 8;
	skb->cb[1] = (a & 0xff) | (b & 0xff) << 8 | (c & 0xff) << 16 | (d & 0xff) << 24;
	return bpf_redirect(1, 0) + (bpf_redirect(1, 2) << 8);
}

char _license[] SEC("license") = "GPL";

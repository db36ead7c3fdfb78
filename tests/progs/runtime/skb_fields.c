// __sk_buff field readers for the runtime conformance tests. Each program
// copies every field its type may read into the packet (tc) or into cb[]
// (types that cannot write the packet), then stores to the writable fields.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct out {
	__u32 v[26];
	__u64 t[2];
};

SEC("tc")
int tc_fields(struct __sk_buff *skb)
{
	struct out o = {};
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	void *meta = (void *)(long)skb->data_meta;

	o.v[0] = skb->len;
	o.v[1] = skb->pkt_type;
	o.v[2] = skb->mark;
	o.v[3] = skb->queue_mapping;
	o.v[4] = skb->protocol;
	o.v[5] = skb->vlan_present;
	o.v[6] = skb->vlan_tci;
	o.v[7] = skb->vlan_proto;
	o.v[8] = skb->priority;
	o.v[9] = skb->ingress_ifindex;
	o.v[10] = skb->ifindex;
	o.v[11] = skb->tc_index;
	o.v[12] = skb->cb[0];
	o.v[13] = skb->cb[1];
	o.v[14] = skb->cb[2];
	o.v[15] = skb->cb[3];
	o.v[16] = skb->cb[4];
	o.v[17] = skb->hash;
	o.v[18] = skb->tc_classid;
	o.v[19] = skb->napi_id;
	o.v[20] = skb->wire_len;
	o.v[21] = skb->gso_segs;
	o.v[22] = skb->gso_size;
	o.v[23] = skb->tstamp_type;
	o.v[24] = data_end - data;
	o.v[25] = (data - meta) + (skb->sk ? 0x100 : 0);
	o.t[0] = skb->tstamp;
	o.t[1] = skb->hwtstamp;

	skb->mark = skb->mark + 1;
	skb->priority = 7;
	skb->cb[1] = 0xabc;
	skb->tc_index = 5;
	skb->tc_classid = 9;
	skb->tstamp = 1234;
	if (bpf_skb_store_bytes(skb, 14, &o, sizeof(o), 0))
		return 99;
	return skb->len;
}

static __always_inline int cb_fields(struct __sk_buff *skb)
{
	__u32 first = 0;
	long r = bpf_skb_load_bytes(skb, 0, &first, 4);

	skb->cb[0] = skb->len ^ (skb->pkt_type << 16);
	skb->cb[1] = skb->protocol | (skb->vlan_present << 16) | (skb->queue_mapping << 20);
	skb->cb[2] = skb->ifindex | (skb->ingress_ifindex << 8) | (skb->mark << 16);
	skb->cb[3] = skb->priority ^ skb->hash ^ skb->napi_id ^ skb->vlan_tci ^ skb->tc_index;
	skb->cb[4] = first ^ (__u32)r ^ skb->gso_segs ^ (skb->gso_size << 8);
	return skb->cb[2] + 1;
}

SEC("socket")
int sf_fields(struct __sk_buff *skb)
{
	return cb_fields(skb);
}

SEC("cgroup_skb/ingress")
int cg_fields(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;

	cb_fields(skb);
	skb->cb[3] = skb->family ^ skb->remote_ip4 ^ skb->local_ip4 ^ skb->remote_port ^ skb->local_port;
	skb->cb[0] = skb->local_ip6[0] ^ skb->remote_ip6[3] ^ (__u32)(data_end - data);
	skb->mark = 3;
	skb->priority = skb->priority + 1;
	skb->tstamp = skb->tstamp + 5;
	return 1;
}

SEC("lwt_xmit")
int lwt_fields(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;

	cb_fields(skb);
	skb->cb[3] = (__u32)(data_end - data);
	skb->mark = 11;
	if (data + 1 <= data_end)
		*(__u8 *)data = 0x46;
	return 0;
}

char _license[] SEC("license") = "GPL";

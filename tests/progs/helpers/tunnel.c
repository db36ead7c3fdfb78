// SPDX-License-Identifier: GPL-2.0
/* Tunnel keys as a load balancer's healthchecker uses them: attach IPIP
 * transmit metadata to the packet (bpf_skb_set_tunnel_key, remote = the
 * real server) and redirect it to the tunnel device. Around that, every
 * rule of the two helpers: get before any set, set/get with each flag and
 * each older key layout, IPv6 keys, the flags word (BPF_F_TUNINFO_FLAGS).
 * Results go to `res`, the keys read back to `keys`
 * (crates/runtime/tests/tunnel.rs compares both with the kernel).
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <stddef.h>

/* Newer than the installed uapi header. */
#ifndef BPF_F_NO_TUNNEL_KEY
#define BPF_F_NO_TUNNEL_KEY (1ULL << 4)
#endif
#ifndef BPF_F_TUNINFO_FLAGS
#define BPF_F_TUNINFO_FLAGS (1ULL << 4)
#endif

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 24);
	__type(key, __u32);
	__type(value, __u64);
} res SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, struct bpf_tunnel_key);
} keys SEC(".maps");

static __always_inline void put(__u32 k, __u64 v)
{
	bpf_map_update_elem(&res, &k, &v, BPF_ANY);
}

static __always_inline struct bpf_tunnel_key *slot(__u32 k)
{
	return bpf_map_lookup_elem(&keys, &k);
}

#define GET(i, s, size, flags) put(i, bpf_skb_get_tunnel_key(skb, s, size, flags))

SEC("tc")
int hc_encap(struct __sk_buff *skb)
{
	struct bpf_tunnel_key key = {};
	struct bpf_tunnel_key *k0 = slot(0), *k1 = slot(1), *k2 = slot(2), *k3 = slot(3),
			      *k4 = slot(4), *k5 = slot(5), *k6 = slot(6), *k7 = slot(7);

	if (!k0 || !k1 || !k2 || !k3 || !k4 || !k5 || !k6 || !k7)
		return TC_ACT_SHOT;
	/* nothing attached yet */
	__builtin_memset(k0, 0xaa, sizeof(*k0));
	GET(0, k0, sizeof(*k0), 0);

	key.tunnel_id = 0x11223344;
	key.remote_ipv4 = 0x0a000001; /* 10.0.0.1, the real */
	key.local_ipv4 = 0xc0a80102;  /* 192.168.1.2 */
	key.tunnel_tos = 0x10;
	key.tunnel_ttl = 64;
	put(1, bpf_skb_set_tunnel_key(skb, &key, sizeof(key), 1 << 5));
	put(2, bpf_skb_set_tunnel_key(skb, &key, 12, 0));
	key.tunnel_label = 5;
	put(3, bpf_skb_set_tunnel_key(skb, &key, sizeof(key), 0));
	key.tunnel_label = 0;
	put(4, bpf_skb_set_tunnel_key(skb, &key, sizeof(key), BPF_F_ZERO_CSUM_TX | BPF_F_SEQ_NUMBER));
	GET(5, k1, sizeof(*k1), 0);
	GET(6, k2, sizeof(*k2), BPF_F_TUNINFO_FLAGS);
	GET(7, k3, sizeof(*k3), BPF_F_TUNINFO_IPV6);
	GET(8, k4, offsetof(struct bpf_tunnel_key, remote_ipv6[1]), 0);
	GET(9, k4, 12, 0);
	GET(10, k4, sizeof(*k4), 1 << 5);

	/* IPv6 metadata */
	key.remote_ipv6[0] = 0x20010db8;
	key.remote_ipv6[3] = 1;
	key.local_ipv6[0] = 0x20010db8;
	key.local_ipv6[3] = 2;
	key.tunnel_label = 0xfff12345;
	put(11, bpf_skb_set_tunnel_key(skb, &key, sizeof(key),
				       BPF_F_TUNINFO_IPV6 | BPF_F_DONT_FRAGMENT | BPF_F_NO_TUNNEL_KEY));
	GET(12, k5, sizeof(*k5), BPF_F_TUNINFO_IPV6 | BPF_F_TUNINFO_FLAGS);
	GET(13, k6, offsetof(struct bpf_tunnel_key, remote_ipv6[1]), BPF_F_TUNINFO_IPV6);
	GET(14, k6, sizeof(*k6), 0);
	/* an old layout on set: up to tunnel_label */
	put(15, bpf_skb_set_tunnel_key(skb, &key, offsetof(struct bpf_tunnel_key, tunnel_label),
				       BPF_F_TUNINFO_IPV6));
	GET(16, k7, offsetof(struct bpf_tunnel_key, local_ipv6[0]), BPF_F_TUNINFO_IPV6);

	/* the healthchecker's encap: IPv4 key to the real, out the tunnel */
	__builtin_memset(&key, 0, sizeof(key));
	key.remote_ipv4 = 0x0a000001;
	key.tunnel_ttl = 64;
	put(17, bpf_skb_set_tunnel_key(skb, &key, sizeof(key), BPF_F_ZERO_CSUM_TX));
	return bpf_redirect(1, 0);
}

char LICENSE[] SEC("license") = "GPL";

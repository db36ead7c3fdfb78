// SPDX-License-Identifier: GPL-2.0
/* CO-RE relocations (preserve_access_index, bpf_core_read.h macros).
 * The local structs are "flavours" (name___suffix) of kernel types whose
 * layout differs on purpose: relocated against the kernel's BTF the
 * offsets become the kernel's (struct iphdr: saddr at 12, daddr at 16).
 */
#include "common.h"
#include <bpf/bpf_core_read.h>

struct xdp_md___core {
	__u32 data;
	__u32 data_end;
} __attribute__((preserve_access_index));

/* deliberately NOT the kernel's field order */
struct iphdr___mine {
	__u32 daddr;
	__u32 saddr;
	__u8 protocol;
	__u8 ttl;
	__u16 tot_len;
	__u32 no_such_field;
} __attribute__((preserve_access_index));

enum xdp_action___mine {
	XDP_TX___mine = 100,
	XDP_PASS___mine = 200,
	XDP_NO_SUCH___mine = 300,
};

struct no_such_type___mine {
	int x;
};

SEC("xdp")
int core_prog(struct xdp_md *ctx)
{
	struct xdp_md___core *c = (void *)ctx;

	return c->data_end - c->data > 10 ? XDP_PASS : XDP_DROP;
}

/* reads IPv4 header fields through the reordered local struct */
SEC("xdp")
int core_iphdr(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct iphdr___mine *ip = data + 14;
	__u32 r;

	if (data + 14 + 20 > data_end)
		return XDP_ABORTED;
	if (*(__u16 *)(data + 12) != __builtin_bswap16(0x0800))
		return XDP_PASS;
	r = ip->saddr ^ (ip->daddr >> 1);
	r += ip->protocol * 3 + ip->ttl;
	r ^= ip->tot_len;
	return r & 3;
}

/* A read of a field the target lacks is poisoned (call 0xbad2310) like
 * libbpf does; the kernel accepts it because field_exists() made it dead
 * code, and so does bpfbox (an unknown helper traps only if reached).
 * "?xdp": not autoloaded (the object tests load it on purpose).
 */
SEC("?xdp")
int core_poison(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct iphdr___mine *ip = data + 14;

	if (data + 14 + 20 > data_end)
		return XDP_ABORTED;
	if (bpf_core_field_exists(ip->no_such_field))
		return ip->no_such_field & 3;
	return XDP_PASS;
}

/* type / enum / field-size relocations folded into the return value */
SEC("xdp")
int core_types(struct xdp_md *ctx)
{
	struct iphdr___mine *ip = 0;
	__u32 r = 0;

	r += bpf_core_type_exists(struct iphdr___mine);           /* 1 */
	r += bpf_core_type_exists(struct no_such_type___mine) * 2; /* 0 */
	r += bpf_core_type_size(struct iphdr___mine) * 4;          /* 20*4 */
	r += bpf_core_field_size(ip->tot_len) * 1000;              /* 2000 */
	r += bpf_core_field_exists(ip->no_such_field) * 10000;    /* 0 */
	r += bpf_core_enum_value(enum xdp_action___mine, XDP_PASS___mine) * 100000; /* 2 */
	r += bpf_core_enum_value_exists(enum xdp_action___mine, XDP_NO_SUCH___mine) * 1000000; /* 0 */
	r += bpf_core_field_offset(ip->daddr) * 10000000; /* 16 */
	return r;
}

/* bitfields in the opposite order to the kernel's (ihl:4, version:4) */
struct iphdr___bf {
	__u8 version:4, ihl:4;
	__s8 tos;
} __attribute__((preserve_access_index));

SEC("xdp")
int core_bitfield(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct iphdr___bf *ip = data + 14;
	__u64 v, h;

	if (data + 14 + 20 > data_end)
		return XDP_ABORTED;
	v = BPF_CORE_READ_BITFIELD(ip, version);
	h = BPF_CORE_READ_BITFIELD(ip, ihl);
	return (v * 16 + h) & 0xff;
}

char LICENSE[] SEC("license") = "GPL";

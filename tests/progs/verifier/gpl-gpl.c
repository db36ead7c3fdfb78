// SPDX-License-Identifier: MIT OR Apache-2.0
/* GPL-only helpers need a GPL-compatible license: this object has one. */
#include "vc.h"

SEC("socket")
int ok_printk_gpl(struct __sk_buff *skb)
{
	bpf_printk("len %u", skb->len);
	return 0;
}

SEC("kprobe/do_nanosleep")
int ok_probe_read_gpl(void *ctx)
{
	long v = 0;

	bpf_probe_read_kernel(&v, sizeof(v), ctx);
	return v & 1;
}

char LICENSE[] SEC("license") = "GPL";

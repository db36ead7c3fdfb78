// SPDX-License-Identifier: MIT OR Apache-2.0
/* GPL-only helpers from a program whose license is not GPL-compatible. */
#include "vc.h"

SEC("socket")
int bad_printk_proprietary(struct __sk_buff *skb)
{
	bpf_printk("len %u", skb->len);
	return 0;
}

SEC("kprobe/do_nanosleep")
int bad_probe_read_proprietary(void *ctx)
{
	long v = 0;

	bpf_probe_read_kernel(&v, sizeof(v), ctx);
	return v & 1;
}

SEC("socket")
int ok_plain_helper_proprietary(struct __sk_buff *skb)
{
	return bpf_get_prandom_u32() & 1;
}

SEC("kprobe/do_nanosleep")
int ok_pid_proprietary(void *ctx)
{
	return bpf_get_current_pid_tgid() & 1;
}

char LICENSE[] SEC("license") = "Proprietary";

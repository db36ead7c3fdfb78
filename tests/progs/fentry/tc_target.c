// SPDX-License-Identifier: GPL-2.0
/* The traced tc program: sets the mark to 0x77 and drops frames whose
 * first byte is 0xaa.
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

SEC("tc")
int tc_target(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *end = (void *)(long)skb->data_end;

	if (data + 1 > end)
		return TC_ACT_SHOT;
	skb->mark = 0x77;
	return *(unsigned char *)data == 0xaa ? TC_ACT_SHOT : TC_ACT_OK;
}

char LICENSE[] SEC("license") = "GPL";

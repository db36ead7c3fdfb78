// SPDX-License-Identifier: MIT OR Apache-2.0
/* Global variables live in array maps: .rodata is frozen and read-only,
 * .data and .bss are writable, accesses stay inside each section. */
#include "vc.h"

const volatile __u32 limit = 10;
__u32 counter;
__u64 table[4] = { 1, 2, 3, 4 };

SEC("socket")
int ok_read_rodata(struct __sk_buff *skb)
{
	return skb->len > limit;
}

SEC("socket")
int bad_write_rodata(struct __sk_buff *skb)
{
	*(volatile __u32 *)&limit = 3;
	return 0;
}

SEC("socket")
int ok_write_bss(struct __sk_buff *skb)
{
	counter += 1;
	return 0;
}

SEC("socket")
int bad_index_data(struct __sk_buff *skb)
{
	return table[skb->len & 7];
}

SEC("socket")
int ok_index_data(struct __sk_buff *skb)
{
	return table[skb->len & 3];
}

SEC("socket")
int bad_past_bss(struct __sk_buff *skb)
{
	return ((volatile __u32 *)&counter)[1];
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";

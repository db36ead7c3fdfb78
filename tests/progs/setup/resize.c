// SPDX-License-Identifier: MIT OR Apache-2.0
/* A global array its loader resizes (libbpf bpf_map__set_value_size on the
 * section's map): declared with one slot, used with as many as the section
 * holds (up to four: the bound the verifier checks), the count in .data.
 */
#include "../common.h"

__u32 slots[1] SEC(".data.slots") = { 1 };
__u32 nslots = 1;

SEC("xdp")
int resize(struct xdp_md *ctx)
{
	__u32 sum = 0;

	for (__u32 i = 0; i < 4; i++) {
		__u32 k = i;

		if (i >= nslots)
			break;
		asm volatile("" : "+r"(k));
		if (k >= nslots)
			break;
		sum += *(volatile __u32 *)((char *)slots + (k & 3) * 4);
	}
	return sum == 10 ? XDP_DROP : XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";

// SPDX-License-Identifier: MIT OR Apache-2.0
/* Context accesses: only the fields, sizes and directions each program
 * type's table allows. */
#include "vc.h"

SEC("tc")
int bad_write_len(struct __sk_buff *skb)
{
	skb->len = 0; /* read-only */
	return TC_ACT_OK;
}

SEC("tc")
int ok_write_mark(struct __sk_buff *skb)
{
	skb->mark = 1;
	return TC_ACT_OK;
}

SEC("socket")
int bad_write_mark_socket(struct __sk_buff *skb)
{
	/* socket filters may write only cb[] */
	skb->mark = 1;
	return 0;
}

SEC("socket")
int ok_write_cb_socket(struct __sk_buff *skb)
{
	skb->cb[0] = 1;
	return 0;
}

SEC("xdp")
NAKED int bad_read_off_100(void)
{
	asm volatile("r0 = *(u32 *)(r1 + 100);"
		     "r0 = 2;"
		     "exit;");
}

SEC("xdp")
NAKED int ok_read_rx_queue(void)
{
	asm volatile("r0 = *(u32 *)(r1 + 16);"
		     "r0 = 2;"
		     "exit;");
}

SEC("tc")
NAKED int ok_narrow_len(void)
{
	/* one byte of skb->len: a narrow load */
	asm volatile("r0 = *(u8 *)(r1 + 0);"
		     "exit;");
}

SEC("tc")
NAKED int bad_narrow_data(void)
{
	/* skb->data is a pointer: no narrow loads */
	asm volatile("r0 = *(u8 *)(r1 + 76);"
		     "exit;");
}

SEC("tc")
NAKED int bad_misaligned(void)
{
	asm volatile("r0 = *(u32 *)(r1 + 2);"
		     "exit;");
}

SEC("tc")
NAKED int ok_aligned(void)
{
	asm volatile("r0 = *(u32 *)(r1 + 4);"
		     "exit;");
}

SEC("tc")
NAKED int bad_modified_ctx(void)
{
	/* a ctx pointer with an offset cannot be dereferenced */
	asm volatile("r1 += 4;"
		     "r0 = *(u32 *)(r1 + 0);"
		     "exit;");
}

SEC("tc")
NAKED int ok_ctx_copy(void)
{
	asm volatile("r2 = r1;"
		     "r0 = *(u32 *)(r2 + 4);"
		     "exit;");
}

SEC("tc")
NAKED int bad_read_past_end(void)
{
	/* past the end of struct __sk_buff */
	asm volatile("r0 = *(u32 *)(r1 + 256);"
		     "exit;");
}

SEC("tc")
NAKED int bad_dw_of_u32(void)
{
	/* an 8-byte read of the 4-byte mark */
	asm volatile("r0 = *(u64 *)(r1 + 8);"
		     "exit;");
}

SEC("tc")
NAKED int ok_dw_tstamp(void)
{
	asm volatile("r0 = *(u64 *)(r1 + 152);"
		     "r0 = 0;"
		     "exit;");
}

SEC("xdp")
NAKED int bad_xdp_write_data(void)
{
	asm volatile("r2 = 0;"
		     "*(u32 *)(r1 + 0) = r2;"
		     "r0 = 2;"
		     "exit;");
}

SEC("cgroup/sock_create")
int bad_sock_write_family(struct bpf_sock *sk)
{
	sk->family = 2;
	return 1;
}

SEC("cgroup/sock_create")
int ok_sock_write_mark(struct bpf_sock *sk)
{
	sk->mark = 2;
	return 1;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";

// SPDX-License-Identifier: MIT OR Apache-2.0
/* Return values: program types with a fixed range refuse others. */
#include "vc.h"

SEC("cgroup/dev")
int bad_dev_two(struct bpf_cgroup_dev_ctx *ctx)
{
	return 2;
}

SEC("cgroup/dev")
int ok_dev_one(struct bpf_cgroup_dev_ctx *ctx)
{
	return ctx->major == 1;
}

SEC("cgroup/dev")
int bad_dev_masked(struct bpf_cgroup_dev_ctx *ctx)
{
	/* 0..3 is not within 0..1 */
	return ctx->minor & 3;
}

SEC("cgroup/sock_create")
int bad_sock_two(struct bpf_sock *sk)
{
	return 2;
}

SEC("cgroup/sock_create")
int ok_sock_zero(struct bpf_sock *sk)
{
	return 0;
}

SEC("cgroup/sysctl")
int bad_sysctl_minus(struct bpf_sysctl *ctx)
{
	return -1;
}

SEC("cgroup/sysctl")
int ok_sysctl_write(struct bpf_sysctl *ctx)
{
	return !ctx->write;
}

SEC("cgroup_skb/ingress")
int bad_skb_ingress_four(struct __sk_buff *skb)
{
	return 4;
}

SEC("cgroup_skb/ingress")
int ok_skb_ingress_one(struct __sk_buff *skb)
{
	return 1;
}

SEC("xdp")
int ok_xdp_any_value(struct xdp_md *ctx)
{
	/* XDP return values are not range-checked by the verifier */
	return 1000;
}

SEC("cgroup/dev")
NAKED int bad_return_pointer(void)
{
	asm volatile("r0 = r10;"
		     "exit;");
}

SEC("cgroup/dev")
NAKED int bad_dev_unknown(void)
{
	asm volatile("r0 = *(u32 *)(r1 + 0);"
		     "exit;");
}

SEC("cgroup/dev")
NAKED int ok_dev_bounded(void)
{
	asm volatile("r0 = *(u32 *)(r1 + 0);"
		     "r0 &= 1;"
		     "exit;");
}

SEC("sockops")
int bad_sockops_seven(struct bpf_sock_ops *ops)
{
	return 7;
}

SEC("sockops")
int ok_sockops_one(struct bpf_sock_ops *ops)
{
	return 1;
}

SEC("socket")
NAKED int ok_socket_pointer_root(void)
{
	/* root may return a pointer from a socket filter */
	asm volatile("r0 = r10;"
		     "exit;");
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";

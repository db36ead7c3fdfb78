// SPDX-License-Identifier: GPL-2.0
/* A kfunc extern (__ksym): refused with a clear "not supported yet" error
 * until externs are implemented.
 */
#include "common.h"

extern int bpf_kfunc_call_test1(int a) __ksym;

SEC("tc")
int kfunc_prog(struct __sk_buff *skb)
{
	return bpf_kfunc_call_test1(skb->len);
}

char LICENSE[] SEC("license") = "GPL";

// SPDX-License-Identifier: GPL-2.0
/* Sections that attach by BTF id (the target is named after the '/') and a
 * sleepable one. Loaded by the lists tests only: the kernel needs
 * attach_btf_id (and a trampoline, which this VM lacks) for these.
 */
#include "common.h"

SEC("fentry/do_unlinkat")
int on_unlink(void *ctx)
{
	return 0;
}

SEC("tp_btf/sched_switch")
int on_switch(void *ctx)
{
	return 0;
}

SEC("lsm.s/file_open")
int on_open(void *ctx)
{
	return 0;
}

char LICENSE[] SEC("license") = "GPL";

// SPDX-License-Identifier: MIT OR Apache-2.0
/* __kconfig externs as tracing tools and load balancers use them: the
 * kernel version, libbpf's virtual feature flags, CONFIG_* values of every
 * kind (bool, tristate, int, string, char), and one that no kernel sets.
 * The program copies them into `seen` and decides by CONFIG_HZ.
 */
#include "../common.h"

extern unsigned int LINUX_KERNEL_VERSION __kconfig;
extern _Bool LINUX_HAS_BPF_COOKIE __kconfig __weak;
extern _Bool LINUX_HAS_SYSCALL_WRAPPER __kconfig __weak;
extern int CONFIG_HZ __kconfig __weak;
extern enum libbpf_tristate CONFIG_BPF_SYSCALL __kconfig __weak;
extern enum libbpf_tristate CONFIG_TLS __kconfig __weak;
extern _Bool CONFIG_BPF_JIT __kconfig __weak;
extern char CONFIG_DEFAULT_HOSTNAME[16] __kconfig __weak;
extern char CONFIG_BPFBOX_CHAR __kconfig __weak;
extern unsigned long long CONFIG_BPFBOX_NEVER_SET __kconfig __weak;

struct seen {
	__u32 version;
	__u32 hz;
	__u32 bpf_syscall;
	__u32 tls;
	__u8 cookie;
	__u8 wrapper;
	__u8 jit;
	__u8 chr;
	char hostname[16];
	__u64 never;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct seen);
} seen SEC(".maps");

SEC("xdp")
int kconfig_prog(struct xdp_md *ctx)
{
	__u32 k = 0;
	struct seen *s = bpf_map_lookup_elem(&seen, &k);

	if (!s)
		return XDP_ABORTED;
	s->version = LINUX_KERNEL_VERSION;
	s->hz = CONFIG_HZ;
	s->bpf_syscall = CONFIG_BPF_SYSCALL;
	s->tls = CONFIG_TLS;
	s->cookie = LINUX_HAS_BPF_COOKIE;
	s->wrapper = LINUX_HAS_SYSCALL_WRAPPER;
	s->jit = CONFIG_BPF_JIT;
	s->chr = CONFIG_BPFBOX_CHAR;
	__builtin_memcpy(s->hostname, CONFIG_DEFAULT_HOSTNAME, 16);
	s->never = CONFIG_BPFBOX_NEVER_SET;
	return CONFIG_HZ >= 250 ? XDP_PASS : XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";

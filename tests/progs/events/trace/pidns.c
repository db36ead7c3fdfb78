// SPDX-License-Identifier: GPL-2.0
/* bpf_get_ns_current_pid_tgid through BPF_PROG_TEST_RUN of a raw
 * tracepoint program (crates/runtime/tests/task_ns.rs): ctx holds the
 * dev and inode of the caller's pid namespace; the results and what the
 * helper wrote land in `out`.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u64);
} out SEC(".maps");

static __always_inline void put(__u32 k, __u64 v)
{
	bpf_map_update_elem(&out, &k, &v, BPF_ANY);
}

static __always_inline __u64 both(struct bpf_pidns_info *i)
{
	return ((__u64)i->tgid << 32) | i->pid;
}

SEC("raw_tp/sys_enter")
int rtp_pidns(__u64 *ctx)
{
	struct bpf_pidns_info info = {};
	__u64 dev = ctx[0], ino = ctx[1];

	put(0, bpf_get_ns_current_pid_tgid(dev, ino, &info, sizeof(info)));
	put(1, both(&info));
	info.pid = info.tgid = 0xaaaaaaaa;
	put(2, bpf_get_ns_current_pid_tgid(dev, ino + 1, &info, sizeof(info)));
	put(3, both(&info));
	info.pid = info.tgid = 0xaaaaaaaa;
	put(4, bpf_get_ns_current_pid_tgid(dev | (1ULL << 32), ino, &info, sizeof(info)));
	put(5, both(&info));
	info.pid = info.tgid = 0xaaaaaaaa;
	put(6, bpf_get_ns_current_pid_tgid(dev, ino, &info, 4));
	put(7, both(&info));
	return 0;
}

char LICENSE[] SEC("license") = "GPL";

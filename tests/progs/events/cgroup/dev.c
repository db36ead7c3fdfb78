/* CGROUP_DEVICE policy used by the kernel fidelity test:
 *  - block devices: denied (EPERM)
 *  - c 1:3 (/dev/null): everything allowed
 *  - c 1:5 (/dev/zero): read and mknod allowed, write denied
 *  - c 1:7 (/dev/full): mknod allowed; read/write denied with EACCES
 *    through bpf_set_retval
 *  - anything else: denied
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("cgroup/dev")
int dev_policy(struct bpf_cgroup_dev_ctx *ctx)
{
	__u32 type = ctx->access_type & 0xffff;
	__u32 access = ctx->access_type >> 16;

	if (type != BPF_DEVCG_DEV_CHAR)
		return 0;
	if (ctx->major != 1)
		return 0;
	switch (ctx->minor) {
	case 3:
		return 1;
	case 5:
		return !(access & BPF_DEVCG_ACC_WRITE);
	case 7:
		if (access == BPF_DEVCG_ACC_MKNOD)
			return 1;
		bpf_set_retval(-13 /* EACCES */);
		return 0;
	}
	return 0;
}

char _license[] SEC("license") = "GPL";

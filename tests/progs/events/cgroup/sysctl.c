/* CGROUP_SYSCTL program: reads are allowed; writes to kernel/domainname
 * are denied when the value starts with "deny" and rewritten to "bpf"
 * when it starts with "rw"; writes to other sysctls are allowed.
 * (Strings are built on the stack: the object has no .rodata.)
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("cgroup/sysctl")
int sysctl_policy(struct bpf_sysctl *ctx)
{
	char name[24] = {};
	char val[8] = {};
	char nv[4] = {};
	long n;

	if (!ctx->write)
		return 1;
	n = bpf_sysctl_get_name(ctx, name, sizeof(name), 0);
	/* "kernel/domainname" */
	if (n != 17 || name[0] != 'k' || name[7] != 'd' || name[16] != 'e')
		return 1;
	n = bpf_sysctl_get_new_value(ctx, val, sizeof(val));
	if (n < 2)
		return 1;
	if (val[0] == 'd' && val[1] == 'e' && val[2] == 'n' && val[3] == 'y')
		return 0;
	if (val[0] == 'r' && val[1] == 'w') {
		nv[0] = 'b';
		nv[1] = 'p';
		nv[2] = 'f';
		if (bpf_sysctl_set_new_value(ctx, nv, 3))
			return 0;
	}
	return 1;
}

char _license[] SEC("license") = "GPL";

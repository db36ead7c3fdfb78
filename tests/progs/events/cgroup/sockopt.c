/* CGROUP_SOCKOPT programs.
 * setsockopt: SOL_SOCKET/SO_MARK values are doubled; level 1234 options are
 *             handled by the program (optlen -1: the kernel never sees them);
 *             SOL_IP/IP_TOS is denied with EPERM.
 * getsockopt: level 1234/optname 1 reports the 4-byte value 0x55 and turns
 *             the kernel's EOPNOTSUPP into success; SO_MARK reads are left
 *             as the kernel returned them.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define SOL_SOCKET 1
#define SO_MARK 36
#define SOL_IP 0
#define IP_TOS 1

SEC("cgroup/setsockopt")
int set_opt(struct bpf_sockopt *ctx)
{
	__u8 *v = ctx->optval, *end = ctx->optval_end;

	if (ctx->level == 1234) {
		ctx->optlen = -1;
		return 1;
	}
	if (ctx->level == SOL_IP && ctx->optname == IP_TOS)
		return 0;
	if (ctx->level == SOL_SOCKET && ctx->optname == SO_MARK) {
		if (v + 4 > end)
			return 0;
		*(__u32 *)v = *(__u32 *)v * 2;
		ctx->optlen = 4;
		return 1;
	}
	ctx->optlen = 0;
	return 1;
}

SEC("cgroup/getsockopt")
int get_opt(struct bpf_sockopt *ctx)
{
	__u8 *v = ctx->optval, *end = ctx->optval_end;

	if (ctx->level == 1234 && ctx->optname == 1) {
		if (v + 4 > end)
			return 0;
		*(__u32 *)v = 0x55;
		ctx->optlen = 4;
		/* keep clang from merging the two 4-byte ctx stores into one
		 * 8-byte store the verifier refuses */
		asm volatile("" ::: "memory");
		ctx->retval = 0;
		return 1;
	}
	return 1;
}

char _license[] SEC("license") = "GPL";

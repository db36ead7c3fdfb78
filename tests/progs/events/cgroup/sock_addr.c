/* CGROUP_SOCK_ADDR programs.
 * connect4: 127.0.0.2:47010 -> 127.0.0.1:47011 (rewrite), port 47013 denied,
 *           everything else allowed unchanged.
 * bind4: port 47099 denied; port 81 allowed with the CAP_NET_BIND_SERVICE
 *        bypass (3); port 82 returns 2 (bypass bit without allow: denied);
 *        others allowed.
 * sendmsg4: datagrams to port 47020 go to 127.0.0.1:47021 from 127.0.0.3.
 * recvmsg4: report 127.0.0.2:47010 for replies from 127.0.0.1:47011.
 * getpeername4: the same for the peer of a connected socket.
 * connect6: [::2]:47010 -> [::1]:47011; calls bpf_bind to [::1]:0.
 */
#include <linux/bpf.h>
#include <linux/in6.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

SEC("cgroup/connect4")
int connect4(struct bpf_sock_addr *ctx)
{
	if (ctx->user_ip4 == bpf_htonl(0x7f000002) &&
	    ctx->user_port == bpf_htons(47010)) {
		ctx->user_ip4 = bpf_htonl(0x7f000001);
		ctx->user_port = bpf_htons(47011);
		return 1;
	}
	if (ctx->user_port == bpf_htons(47013))
		return 0;
	return 1;
}

SEC("cgroup/bind4")
int bind4(struct bpf_sock_addr *ctx)
{
	__u16 port = bpf_ntohs(ctx->user_port);

	if (port == 47099)
		return 0;
	if (port == 81)
		return 3;
	if (port == 82)
		return 2;
	return 1;
}

SEC("cgroup/sendmsg4")
int sendmsg4(struct bpf_sock_addr *ctx)
{
	if (ctx->user_port == bpf_htons(47020)) {
		ctx->user_ip4 = bpf_htonl(0x7f000001);
		ctx->user_port = bpf_htons(47021);
		ctx->msg_src_ip4 = bpf_htonl(0x7f000003);
	}
	return 1;
}

SEC("cgroup/recvmsg4")
int recvmsg4(struct bpf_sock_addr *ctx)
{
	if (ctx->user_ip4 == bpf_htonl(0x7f000001) &&
	    ctx->user_port == bpf_htons(47011)) {
		ctx->user_ip4 = bpf_htonl(0x7f000002);
		ctx->user_port = bpf_htons(47010);
	}
	return 1;
}

/* getpeername4: hide connect4's rewrite (report 127.0.0.2:47010 for a
 * peer that is really 127.0.0.1:47011). */
SEC("cgroup/getpeername4")
int getpeername4(struct bpf_sock_addr *ctx)
{
	if (ctx->user_ip4 == bpf_htonl(0x7f000001) &&
	    ctx->user_port == bpf_htons(47011)) {
		ctx->user_ip4 = bpf_htonl(0x7f000002);
		ctx->user_port = bpf_htons(47010);
	}
	return 1;
}

SEC("cgroup/connect6")
int connect6(struct bpf_sock_addr *ctx)
{
	struct sockaddr_in6 sa = {};

	if (ctx->user_ip6[0] == 0 && ctx->user_ip6[1] == 0 &&
	    ctx->user_ip6[2] == 0 && ctx->user_ip6[3] == bpf_htonl(2) &&
	    ctx->user_port == bpf_htons(47010)) {
		ctx->user_ip6[3] = bpf_htonl(1);
		ctx->user_port = bpf_htons(47011);
		sa.sin6_family = 10; /* AF_INET6 */
		sa.sin6_addr.in6_u.u6_addr32[3] = bpf_htonl(1);
		if (bpf_bind(ctx, (struct sockaddr *)&sa, sizeof(sa)))
			return 0;
	}
	return 1;
}

char _license[] SEC("license") = "GPL";

/* connect4 that tags the socket: SO_MARK 0x77 and TCP_CONGESTION "reno"
 * through bpf_setsockopt, an invalid TCP_MAXSEG (EINVAL), then reads the
 * mark back with bpf_getsockopt: r0 = 1 only if it reads 0x77. */
SEC("cgroup/connect4")
int connect4_opts(struct bpf_sock_addr *ctx)
{
	int mark = 0x77, got = 0, bad = 5;
	char cc[8] = {};

	cc[0] = 'r';
	cc[1] = 'e';
	cc[2] = 'n';
	cc[3] = 'o';
	if (bpf_setsockopt(ctx, 1 /* SOL_SOCKET */, 36 /* SO_MARK */, &mark, 4))
		return 1;
	if (bpf_setsockopt(ctx, 6 /* SOL_TCP */, 13 /* TCP_CONGESTION */, cc, 5))
		return 1;
	if (bpf_setsockopt(ctx, 6 /* SOL_TCP */, 2 /* TCP_MAXSEG */, &bad, 4) != -22)
		return 1;
	if (bpf_getsockopt(ctx, 1, 36, &got, 4))
		return 1;
	return got == 0x77;
}

/* CGROUP_SOCK_ADDR programs.
 * connect4: 127.0.0.2:47010 -> 127.0.0.1:47011 (rewrite), port 47013 denied,
 *           everything else allowed unchanged.
 * bind4: port 47099 denied; port 81 allowed with the CAP_NET_BIND_SERVICE
 *        bypass (3); port 82 returns 2 (bypass bit without allow: denied);
 *        others allowed.
 * sendmsg4: datagrams to port 47020 go to 127.0.0.1:47021 from 127.0.0.3.
 * recvmsg4: report 127.0.0.2:47010 for replies from 127.0.0.1:47011.
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

/* CGROUP_SOCK programs.
 * sock_create: raw sockets denied; UDP sockets get mark 0x42 and priority 3.
 * post_bind4: binding port 47098 denied.
 * sock_release: counts nothing, returns 1.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("cgroup/sock_create")
int sock_create(struct bpf_sock *sk)
{
	if (sk->type == 3 /* SOCK_RAW */)
		return 0;
	if (sk->protocol == 17 /* IPPROTO_UDP */) {
		sk->mark = 0x42;
		sk->priority = 3;
	}
	return 1;
}

SEC("cgroup/post_bind4")
int post_bind4(struct bpf_sock *sk)
{
	if (sk->src_port == 47098)
		return 0;
	return 1;
}

SEC("cgroup/sock_release")
int sock_release(struct bpf_sock *sk)
{
	return 1;
}

char _license[] SEC("license") = "GPL";

// sk_msg: the first byte of each message is a command: 'P' pushes 3 bytes
// at offset 1 and fills them, 'O' pops 2 bytes at offset 1, 'U' pulls the
// whole message and upper-cases its first byte, 'D' drops, 'R' redirects
// to sock_map[0] (ingress), 'A' applies the verdict to 2 bytes, 'C' corks
// until 8 bytes are queued; 'a' pushes 2 bytes at the front, 'e' appends
// 2, 'z' pops the first byte, 'y' the last two, 'w' tries bad pop/push,
// 'q' pulls bytes 2..4; anything else passes. Every run is recorded.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct rec {
	__u32 size, family, lport, rport;
	__u32 win, cmd, size_after, win_after;
	__s32 r, pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_SOCKMAP);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u32);
} sock_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, struct rec);
} seen SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} count SEC(".maps");

SEC("sk_msg")
int msg_verdict(struct sk_msg_md *msg)
{
	__u32 zero = 0, i;
	__u32 *n = bpf_map_lookup_elem(&count, &zero);
	struct rec *r;
	__u8 *d, *end, cmd = 0;
	int verdict = SK_PASS;

	if (!n)
		return SK_PASS;
	i = *n;
	if (i >= 64)
		return SK_PASS;
	*n = i + 1;
	r = bpf_map_lookup_elem(&seen, &i);
	if (!r)
		return SK_PASS;
	d = msg->data;
	end = msg->data_end;
	r->size = msg->size;
	r->family = msg->family;
	r->lport = msg->local_port;
	r->rport = msg->remote_port;
	r->win = end - d;
	if (d + 1 <= end)
		cmd = d[0];
	r->cmd = cmd;
	switch (cmd) {
	case 'P':
		r->r = bpf_msg_push_data(msg, 1, 3, 0);
		d = msg->data;
		end = msg->data_end;
		if (d + 4 <= end) {
			d[1] = '+';
			d[2] = '+';
			d[3] = '+';
		} else {
			/* the pushed bytes are a new segment: pull them in */
			bpf_msg_pull_data(msg, 0, 4, 0);
			d = msg->data;
			end = msg->data_end;
			if (d + 4 <= end) {
				d[1] = '+';
				d[2] = '+';
				d[3] = '+';
			}
		}
		break;
	case 'O':
		r->r = bpf_msg_pop_data(msg, 1, 2, 0);
		break;
	case 'U':
		r->r = bpf_msg_pull_data(msg, 0, msg->size, 0);
		d = msg->data;
		end = msg->data_end;
		if (d + 1 <= end)
			d[0] = 'u';
		break;
	case 'D':
		verdict = SK_DROP;
		break;
	case 'R':
		verdict = bpf_msg_redirect_map(msg, &sock_map, 0, BPF_F_INGRESS);
		break;
	case 'A':
		r->r = bpf_msg_apply_bytes(msg, 2);
		break;
	case 'C':
		r->r = bpf_msg_cork_bytes(msg, 8);
		break;
	case 'a': /* push at the front, fill the new bytes */
		r->r = bpf_msg_push_data(msg, 0, 2, 0);
		d = msg->data;
		end = msg->data_end;
		if (d + 2 <= end) {
			d[0] = '<';
			d[1] = '<';
		}
		break;
	case 'e': { /* append, pull the new bytes in, fill them */
		__u32 sz = msg->size;

		r->r = bpf_msg_push_data(msg, sz, 2, 0);
		r->pad = bpf_msg_pull_data(msg, sz, sz + 2, 0);
		d = msg->data;
		end = msg->data_end;
		if (d + 2 <= end) {
			d[0] = '>';
			d[1] = '>';
		}
		break;
	}
	case 'z':
		r->r = bpf_msg_pop_data(msg, 0, 1, 0);
		break;
	case 'y':
		r->r = bpf_msg_pop_data(msg, msg->size - 2, 2, 0);
		break;
	case 'w':
		r->r = bpf_msg_pop_data(msg, 1, 100, 0);
		r->pad = bpf_msg_push_data(msg, 1, 1, 1);
		break;
	case 'q':
		r->r = bpf_msg_pull_data(msg, 2, 4, 0);
		d = msg->data;
		end = msg->data_end;
		if (d + 1 <= end)
			d[0] = 'Q';
		break;
	}
	r->size_after = msg->size;
	r->win_after = (__u8 *)msg->data_end - (__u8 *)msg->data;
	return verdict;
}

char LICENSE[] SEC("license") = "GPL";

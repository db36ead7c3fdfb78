// BPF_PROG_TYPE_NETFILTER programs for BPF_PROG_TEST_RUN on both engines.
// The ctx is struct bpf_nf_ctx { state, skb }; both are BTF pointers.
// The programs read the hook state (hook number, protocol family), count
// runs per hook in a map and return a verdict.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

// The leading fields of the kernel's struct nf_hook_state (enough for the
// verifier, which checks loads against the kernel's BTF by offset).
struct nf_hook_state {
	__u8 hook;
	__u8 pf;
};

struct bpf_nf_ctx {
	const struct nf_hook_state *state;
	const void *skb;
};

#define NF_DROP 0
#define NF_ACCEPT 1
#define NF_INET_FORWARD 2
#define NFPROTO_IPV6 10

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u64);
} runs SEC(".maps");

// Accepts everything.
SEC("netfilter")
int nf_accept(struct bpf_nf_ctx *ctx)
{
	return NF_ACCEPT;
}

// Drops forwarded packets and IPv6 at PRE_ROUTING; counts runs per hook
// and records the family in the last slot.
SEC("netfilter")
int nf_policy(struct bpf_nf_ctx *ctx)
{
	const struct nf_hook_state *st = ctx->state;
	__u32 hook = st->hook;
	__u32 pf = st->pf;
	__u32 last = 7;
	__u64 *n;

	if (!ctx->skb)
		return NF_DROP;
	n = bpf_map_lookup_elem(&runs, &hook);
	if (n)
		__sync_fetch_and_add(n, 1);
	n = bpf_map_lookup_elem(&runs, &last);
	if (n)
		*n = pf;
	if (hook == NF_INET_FORWARD)
		return NF_DROP;
	if (pf == NFPROTO_IPV6 && hook == 0)
		return NF_DROP;
	return NF_ACCEPT;
}

char LICENSE[] SEC("license") = "GPL";

// An XDP program that calls bpf_jiffies64, a helper XDP programs may use
// but bpfbox does not implement: the library reports it as
// Error::UnsupportedHelper with the helper's id.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

SEC("xdp")
int uses_jiffies(struct xdp_md *ctx)
{
	return bpf_jiffies64() ? XDP_PASS : XDP_DROP;
}

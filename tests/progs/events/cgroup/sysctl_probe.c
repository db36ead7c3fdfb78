/* CGROUP_SYSCTL helper probe: records the return values and the buffers
 * of the sysctl_* and strto* helpers into `out` (entry 0 for the first
 * read, entry 1 for the first write), using the 0xaa-filled map value
 * itself as the helpers' buffers so every byte they write (or leave) is
 * compared. Always allows. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct probe {
	__s64 r[12];
	__s64 num;
	__s64 unum;
	char name_small[16];
	char name_full[32];
	char base8[8];
	char base16[16];
	char cur4[4];
	char cur16[16];
	char new8[8];
	char new2[2];
	char pad[6];
	__u64 done;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, struct probe);
} out SEC(".maps");

SEC("cgroup/sysctl")
int sysctl_probe(struct bpf_sysctl *ctx)
{
	__u32 key = ctx->write ? 1 : 0;
	struct probe *p = bpf_map_lookup_elem(&out, &key);
	char nv[2] = {'9', '\n'};

	if (!p || p->done)
		return 1;
	p->done = 1;
	p->r[0] = bpf_sysctl_get_name(ctx, p->name_small, sizeof(p->name_small), 0);
	p->r[1] = bpf_sysctl_get_name(ctx, p->name_full, sizeof(p->name_full), 0);
	p->r[2] = bpf_sysctl_get_name(ctx, p->base8, sizeof(p->base8), BPF_F_SYSCTL_BASE_NAME);
	p->r[3] = bpf_sysctl_get_name(ctx, p->base16, sizeof(p->base16), BPF_F_SYSCTL_BASE_NAME);
	p->r[4] = bpf_sysctl_get_current_value(ctx, p->cur4, sizeof(p->cur4));
	p->r[5] = bpf_sysctl_get_current_value(ctx, p->cur16, sizeof(p->cur16));
	p->r[6] = bpf_sysctl_get_new_value(ctx, p->new8, sizeof(p->new8));
	p->r[7] = bpf_sysctl_get_new_value(ctx, p->new2, sizeof(p->new2));
	p->r[8] = bpf_strtol(p->cur16, sizeof(p->cur16), 0, (long *)&p->num);
	p->r[9] = bpf_strtoul(p->cur16, sizeof(p->cur16), 16, (unsigned long *)&p->unum);
	p->r[10] = bpf_strtol(p->name_full, sizeof(p->name_full), 10, (long *)&p->r[11]);
	/* on a write, replace the value with "9\n" (on a read: -EINVAL) */
	p->pad[0] = (char)bpf_sysctl_set_new_value(ctx, nv, sizeof(nv));
	return 1;
}

char _license[] SEC("license") = "GPL";

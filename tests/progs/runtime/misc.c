// trace_printk, snprintf, bpf_loop and the deterministic clock/PRNG.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct loop_ctx {
	__u32 sum;
	__u32 stop;
};

static long step(__u32 i, void *data)
{
	struct loop_ctx *c = data;

	c->sum += i;
	return i == c->stop;
}

SEC("tc")
int misc(struct __sk_buff *skb)
{
	struct loop_ctx c = { .sum = 0, .stop = 4 };
	char buf[32];
	__u64 args[2] = { skb->len, 0xbeef };
	long n = bpf_loop(100, step, &c, 0);
	__u64 t1 = bpf_ktime_get_ns(), t2 = bpf_ktime_get_ns();
	long s = bpf_snprintf(buf, sizeof(buf), "len=%u x=%llx", args, sizeof(args));

	bpf_printk("loop n=%ld sum=%u", n, c.sum);
	bpf_printk("%s|%5d|%-3c|", buf, -42, 'z');
	bpf_printk("dt=%llu cpu=%u", t2 - t1, bpf_get_smp_processor_id());
	return n * 1000 + s;
}

char _license[] SEC("license") = "GPL";

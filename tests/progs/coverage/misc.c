// SPDX-License-Identifier: GPL-2.0
/* Base helpers every packet type has: clocks, PRNG, CPU id, trace_printk,
 * snprintf, bpf_loop, for_each_map_elem, spin locks, csum_diff,
 * perf_event_output and the ring buffer. Values that differ from run to run
 * in the kernel (clock readings, random numbers) are stored as relations
 * that hold on every run.
 */
#include "cov.h"

RESULTS(32);

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, char[48]);
} strs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__uint(map_flags, BPF_F_ZERO_SEED); /* iteration order as the kernel's */
	__type(key, __u32);
	__type(value, __u64);
} seen SEC(".maps");

struct locked {
	struct bpf_spin_lock lock;
	__u32 pad;
	__u64 count;
	__u64 bytes;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct locked);
} lk SEC(".maps");

/* no perf buffers behind this one (the test leaves `*_unopened` maps
 * empty): outputs fail with ENOENT */
struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} perf_unopened SEC(".maps");

/* one perf buffer per CPU, as libbpf's perf_buffer opens them */
struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} perf SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} rb SEC(".maps");

struct loop_ctx {
	__u8 *bytes;
	__u64 sum;
};

static long add_byte(__u64 i, struct loop_ctx *c)
{
	if (i >= 16)
		return 1;
	c->sum = c->sum * 7 + c->bytes[i & 15];
	return 0;
}

static long visit(void *map, __u32 *key, __u64 *val, struct loop_ctx *c)
{
	c->sum += *key * 1000 + *val;
	return *key == 0x86dd; /* stop at the IPv6 entry */
}

static __always_inline int run(void *ctx, __u8 *hdr, __u32 len, int have)
{
	__u64 t1, t2, c, b, tai;
	__u32 r1, r2, k, proto;
	struct loop_ctx lc = { .bytes = hdr };
	struct locked *l;
	char *s;
	long r;

	/* clocks: monotonic, coarse <= monotonic, boottime >= monotonic,
	 * TAI far ahead */
	t1 = bpf_ktime_get_ns();
	c = bpf_ktime_get_coarse_ns();
	b = bpf_ktime_get_boot_ns();
	t2 = bpf_ktime_get_ns();
	tai = bpf_ktime_get_tai_ns();
	PUT(0, t1 <= t2);
	PUT(0, c <= t2 && c > 0);
	PUT(0, b >= t1);
	PUT(0, tai > t2 + 1000000000ULL * 3600 * 24 * 365 * 50);

	/* PRNG: any value; two draws are u32 */
	r1 = bpf_get_prandom_u32();
	r2 = bpf_get_prandom_u32();
	PUT(1, ((__u64)r1 >> 32) + ((__u64)r2 >> 32));
	PUT(1, bpf_get_smp_processor_id());

	/* trace_printk returns the formatted length */
	PUT(2, bpf_printk("len %u proto %x", len, have ? (hdr[12] << 8 | hdr[13]) : 0));
	{
		char fmt[] = "a %d b %s";
		PUT(2, bpf_trace_printk(fmt, sizeof(fmt), -5, (long)"xy"));
	}
	/* more than three arguments: bpf_printk is bpf_trace_vprintk */
	PUT(2, bpf_printk("v %u %x %d %s %llx", len, have ? hdr[12] : 0, -7, "vp", 1ULL << 40));
	{
		char fmt[] = "w %d %d";
		__u64 va[2] = { 1, 2 };

		PUT(2, bpf_trace_vprintk(fmt, sizeof(fmt), va, 12)); /* -EINVAL */
		PUT(2, bpf_trace_vprintk(fmt, sizeof(fmt), va, 8));  /* too few */
		PUT(2, bpf_trace_vprintk(fmt, sizeof(fmt), va, 16));
		PUT(2, bpf_trace_vprintk(fmt, sizeof(fmt), 0, 0));
	}

	/* snprintf into a map value */
	k = len & 1;
	s = bpf_map_lookup_elem(&strs, &k);
	if (s) {
		__u64 args[3] = { len, hdr[12], hdr[13] };

		{
			__u64 a2[4] = { (__u64)(long)"pkt", len, hdr[12], hdr[13] };

			r = bpf_snprintf(s, 48, "%s len=%u type=%02x%02x", a2, sizeof(a2));
			PUT(3, r);
		}
		r = bpf_snprintf(s, 8, "%u-%u-%u", args, 24);
		PUT(3, r);
	}

	/* bpf_loop over the header bytes */
	r = bpf_loop(have ? 20 : 3, add_byte, &lc, 0);
	PUT(4, r);
	PUT(4, lc.sum);
	PUT(4, bpf_loop(1, add_byte, &lc, 1)); /* bad flags */

	/* for_each_map_elem over a hash of EtherTypes */
	proto = have ? (hdr[12] << 8 | hdr[13]) : len;
	{
		__u64 one = len;

		bpf_map_update_elem(&seen, &proto, &one, BPF_ANY);
	}
	lc.sum = 0;
	r = bpf_for_each_map_elem(&seen, visit, &lc, 0);
	PUT(5, r);
	PUT(5, lc.sum);

	/* spin lock around a counter update */
	k = 0;
	l = bpf_map_lookup_elem(&lk, &k);
	if (l) {
		bpf_spin_lock(&l->lock);
		l->count += 1;
		l->bytes += len;
		bpf_spin_unlock(&l->lock);
	}

	/* csum_diff: header bytes against zeroes, then a seed */
	if (have) {
		__be32 from[4], to[4] = {};

		__builtin_memcpy(from, hdr + 14, 16);
		PUT(6, bpf_csum_diff(from, 16, to, 16, 0));
		PUT(6, bpf_csum_diff(0, 0, from, 16, 0x1234));
		PUT(6, bpf_csum_diff(from, 8, 0, 0, 0));
		PUT(6, bpf_csum_diff(from, 3, to, 4, 0)); /* not a multiple of 4 */
	}

	/* perf_event_output into an empty perf event array, then into
	 * perf buffers: this CPU's slot, another CPU's, a bad index */
	{
		__u64 ev = len;
		__u8 odd[5] = { 1, 2, 3, 4, (__u8)len };

		PUT(7, bpf_perf_event_output(ctx, &perf_unopened, BPF_F_CURRENT_CPU, &ev, sizeof(ev)));
		PUT(7, bpf_perf_event_output(ctx, &perf_unopened, 3, &ev, sizeof(ev)));
		PUT(7, bpf_perf_event_output(ctx, &perf_unopened, 1ULL << 40, &ev, sizeof(ev)));
		PUT(7, bpf_perf_event_output(ctx, &perf, BPF_F_CURRENT_CPU, &ev, sizeof(ev)));
		PUT(7, bpf_perf_event_output(ctx, &perf, 0, odd, sizeof(odd)));
		PUT(7, bpf_perf_event_output(ctx, &perf, 1, &ev, sizeof(ev)));
		PUT(7, bpf_perf_event_output(ctx, &perf, 4096, &ev, sizeof(ev)));
	}

	/* ring buffer: output, reserve+submit, reserve+discard, queries */
	{
		__u64 ev[2] = { len, proto };
		__u32 *slot;

		PUT(8, bpf_ringbuf_output(&rb, ev, sizeof(ev), 0));
		PUT(8, bpf_ringbuf_output(&rb, ev, 12, BPF_RB_NO_WAKEUP));
		slot = bpf_ringbuf_reserve(&rb, 20, 0);
		if (slot) {
			slot[0] = len;
			slot[4] = proto;
			bpf_ringbuf_submit(slot, BPF_RB_FORCE_WAKEUP);
		}
		slot = bpf_ringbuf_reserve(&rb, 8, 0);
		if (slot)
			bpf_ringbuf_discard(slot, 0);
		PUT(8, bpf_ringbuf_query(&rb, BPF_RB_AVAIL_DATA));
		PUT(8, bpf_ringbuf_query(&rb, BPF_RB_PROD_POS));
		PUT(8, bpf_ringbuf_query(&rb, BPF_RB_CONS_POS));
		PUT(8, bpf_ringbuf_query(&rb, BPF_RB_RING_SIZE));
		/* too big for what is left of the ring once it fills up */
		slot = bpf_ringbuf_reserve(&rb, 1000, 0);
		PUT(8, slot != 0);
		if (slot)
			bpf_ringbuf_submit(slot, 0);
	}
	return len;
}

SEC("tc")
int misc_tc(struct __sk_buff *skb)
{
	__u8 hdr[34] = {};
	int have = bpf_skb_load_bytes(skb, 0, hdr, 34) == 0;

	return run(skb, hdr, skb->len, have);
}

SEC("xdp")
int misc_xdp(struct xdp_md *ctx)
{
	__u8 hdr[34] = {};
	int have = bpf_xdp_load_bytes(ctx, 0, hdr, 34) == 0;

	run(ctx, hdr, ctx->data_end - ctx->data, have);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";

// Test programs of the tracing event drivers (crates/runtime/src/events/
// {kprobe,tracepoint,raw_tracepoint,perf_event,syscall}.rs) and of the
// raw_tp / syscall test runners; used by crates/runtime/tests/events_trace.rs.
#include <linux/bpf.h>
#include <linux/ptrace.h>
#include <linux/bpf_perf_event.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 32);
	__type(key, __u32);
	__type(value, __u64);
} out SEC(".maps");

struct str64 {
	char s[64];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, struct str64);
} strs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} rb SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(max_entries, 4);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} events SEC(".maps");

static __always_inline void put(__u32 k, __u64 v)
{
	bpf_map_update_elem(&out, &k, &v, BPF_ANY);
}

static __always_inline char *str(__u32 k)
{
	struct str64 *p = bpf_map_lookup_elem(&strs, &k);
	return p ? p->s : 0;
}

/* out[31] holds the thread id the attached tracepoint programs record
 * (their BPF program sees every task's hits). */
static __always_inline __u64 target_tid(void)
{
	__u32 k = 31;
	__u64 *t = bpf_map_lookup_elem(&out, &k);

	return t ? *t : 0;
}

/* ---- raw tracepoint ---- */

SEC("raw_tp/sys_enter")
int rtp_sum(struct bpf_raw_tracepoint_args *ctx)
{
	return ctx->args[0] + 3 * ctx->args[1];
}

SEC("raw_tp/sys_enter")
int rtp_high(struct bpf_raw_tracepoint_args *ctx)
{
	return ctx->args[11] >> 4;
}

/* args[0]: user string, args[1]: 16 user bytes, args[2]: unmapped address,
 * args[3], args[4]: strings at the end of an accessible page */
SEC("raw_tp/sys_enter")
int rtp_probe(struct bpf_raw_tracepoint_args *ctx)
{
	char *s0 = str(0), *s1 = str(1), *s2 = str(2), *s3 = str(3);
	__u64 tmp = 0x5555;
	char kbuf[16];

	if (!s0 || !s1 || !s2 || !s3)
		return 0;
	put(0, bpf_probe_read_user_str(s0, 64, (void *)ctx->args[0]));
	put(1, bpf_probe_read_user_str(s1, 5, (void *)ctx->args[0]));
	put(2, bpf_probe_read_user(s2, 16, (void *)ctx->args[1]));
	put(3, bpf_probe_read_user(s3, 8, (void *)ctx->args[2]));
	put(4, bpf_probe_read_kernel(&tmp, 8, (void *)ctx->args[0]));
	put(5, tmp);
	put(6, bpf_probe_read_user_str(s3 + 8, 32, (void *)ctx->args[2]));
	put(7, bpf_probe_read_kernel_str(kbuf, 16, (void *)ctx->args[0]));
	put(8, bpf_probe_read(&tmp, 8, (void *)ctx->args[1]));
	put(9, tmp);
	put(10, bpf_probe_read_str(s3 + 40, 16, (void *)ctx->args[0]));
	put(11, bpf_probe_read_user_str(s3 + 56, 8, (void *)(ctx->args[0] + 3)));
	/* args[3]: a string ending just before an inaccessible page (the word
	 * copy faults and falls back to bytes), args[4]: no NUL before it */
	put(12, bpf_probe_read_user_str(s2 + 16, 32, (void *)ctx->args[3]));
	put(13, bpf_probe_read_user_str(s2 + 48, 16, (void *)ctx->args[4]));
	return 1;
}

SEC("raw_tp/sys_enter")
int rtp_task(void *ctx)
{
	char *s0 = str(0), *s1 = str(1);

	if (!s0 || !s1)
		return 0;
	put(0, bpf_get_current_pid_tgid());
	put(1, bpf_get_current_uid_gid());
	put(2, bpf_get_current_comm(s0, 16));
	put(3, bpf_get_current_comm(s1, 4));
	put(4, bpf_get_attach_cookie(ctx));
	return 2;
}

struct wbuf {
	__u32 a;
	__u32 b;
};

SEC("raw_tp.w/bpf_test_finish")
int rtp_writable(struct bpf_raw_tracepoint_args *ctx)
{
	struct wbuf *w = (struct wbuf *)ctx->args[0];

	w->b = w->a * 2 + (__u32)ctx->args[1];
	return 0;
}

/* signal 0 only checks; SIGURG (23) is ignored by default; 65 is invalid */
SEC("raw_tp/sys_enter")
int rtp_signal(struct bpf_raw_tracepoint_args *ctx)
{
	put(0, bpf_send_signal(0));
	put(1, bpf_send_signal(65));
	put(2, bpf_send_signal_thread(23));
	put(3, bpf_send_signal(23));
	return 0;
}

/* perf_event_array counters: slot rules (the array of the kernel test is
 * empty) */
SEC("raw_tp/sys_enter")
int rtp_counters(struct bpf_raw_tracepoint_args *ctx)
{
	struct bpf_perf_event_value v = { 1, 2, 3 };
	char *s0 = str(0);

	put(0, bpf_perf_event_read(&events, BPF_F_CURRENT_CPU));
	put(1, bpf_perf_event_read(&events, 5));
	put(2, bpf_perf_event_read(&events, 1ULL << 33));
	put(3, bpf_perf_event_read_value(&events, 0, &v, sizeof(v)));
	put(4, v.counter + v.enabled + v.running);
	if (s0)
		put(5, bpf_perf_event_read_value(&events, 0, (void *)s0, 16));
	put(6, bpf_perf_event_read(&events, 1));
	return 0;
}

/* ---- syscall ---- */

struct sys_args {
	__u64 a;
	__u64 b;
	__u32 c;
	__u32 d;
};

SEC("syscall")
int sys_prog(struct sys_args *ctx)
{
	ctx->b = ctx->a * 3 + 1;
	ctx->d = ctx->c ^ 0xff;
	return (int)(ctx->a + ctx->c);
}

/* ---- tracepoints ---- */

struct openat_args {
	__u64 hdr;
	int nr;
	int pad;
	__u64 dfd;
	const char *filename;
	__u64 flags;
	__u64 mode;
};

SEC("tracepoint/syscalls/sys_enter_openat")
int tp_openat(struct openat_args *ctx)
{
	char *s0 = str(0);
	__u32 k = 7;
	__u64 *n = bpf_map_lookup_elem(&out, &k);

	if (!s0 || !n || (__u32)bpf_get_current_pid_tgid() != target_tid())
		return 0;
	put(0, ctx->nr);
	put(1, ctx->dfd);
	put(2, ctx->flags);
	put(3, ctx->mode);
	put(4, bpf_probe_read_user_str(s0, 64, ctx->filename));
	put(5, bpf_get_current_pid_tgid());
	__sync_fetch_and_add(n, 1);
	return 1;
}

struct switch_args {
	__u64 hdr;
	char prev_comm[16];
	int prev_pid;
	int prev_prio;
	long prev_state;
	char next_comm[16];
	int next_pid;
	int next_prio;
};

SEC("tracepoint/sched/sched_switch")
int tp_switch(struct switch_args *ctx)
{
	if (ctx->prev_pid != target_tid())
		return 0;
	put(0, ctx->prev_pid);
	put(1, ctx->prev_prio);
	put(2, ctx->prev_state);
	put(3, *(__u64 *)&ctx->prev_comm[0]);
	put(4, *(__u64 *)&ctx->prev_comm[8]);
	put(5, ctx->next_pid);
	put(6, ctx->next_prio);
	put(8, *(__u64 *)&ctx->next_comm[0]);
	put(9, *(__u64 *)&ctx->next_comm[8]);
	return 0;
}

struct sys_enter_args {
	__u64 hdr;
	long id;
	unsigned long args[6];
};

/* getppid (110) of the target thread: the syscall number and all six
 * argument registers, an array field of the record */
SEC("tracepoint/raw_syscalls/sys_enter")
int tp_sys_enter(struct sys_enter_args *ctx)
{
	if ((__u32)bpf_get_current_pid_tgid() != target_tid() || ctx->id != 110)
		return 0;
	put(0, ctx->id);
	put(1, ctx->args[0]);
	put(2, ctx->args[1]);
	put(3, ctx->args[2]);
	put(4, ctx->args[3]);
	put(5, ctx->args[4]);
	put(6, ctx->args[5]);
	return 1;
}

struct exec_args {
	__u64 hdr;
	__u32 filename_loc;
	int pid;
	int old_pid;
};

SEC("tracepoint/sched/sched_process_exec")
int tp_exec(struct exec_args *ctx)
{
	char *s0 = str(0);
	char k[16] = {};
	__u32 off = ctx->filename_loc & 0xffff;

	if (!s0)
		return 0;
	bpf_probe_read_kernel_str(k, sizeof(k), (char *)ctx + off);
	if (*(__u64 *)k != 0x7572742f6e69622fULL) /* "/bin/tru" */
		return 0;
	put(0, ctx->filename_loc >> 16);
	put(1, bpf_probe_read_kernel_str(s0, 64, (char *)ctx + off));
	put(2, ctx->pid == ctx->old_pid);
	put(3, (__u32)bpf_get_current_pid_tgid() == ctx->pid);
	put(4, off);
	put(5, bpf_probe_read_kernel_str(s0 + 32, 5, (char *)ctx + off));
	put(6, bpf_probe_read_kernel(s0 + 40, 8, (char *)ctx + 8));
	return 1;
}

/* ---- kprobe ---- */

SEC("kprobe/do_sys_openat2")
int kp_regs(struct pt_regs *ctx)
{
	__u64 *r = (__u64 *)ctx;
	char *s0 = str(0);
	__u64 arg3;

	put(0, r[0]);   put(1, r[1]);   put(2, r[2]);   put(3, r[3]);
	put(4, r[4]);   put(5, r[5]);   put(6, r[6]);   put(7, r[7]);
	put(8, r[8]);   put(9, r[9]);   put(10, r[10]); put(11, r[11]);
	put(12, r[12]); put(13, r[13]); put(14, r[14]); put(15, r[15]);
	put(16, r[16]); put(17, r[17]); put(18, r[18]); put(19, r[19]);
	put(20, r[20]);
	put(21, bpf_get_func_ip(ctx));
	put(22, bpf_get_attach_cookie(ctx));
	if (s0)
		put(23, bpf_probe_read_kernel_str(s0, 64, (void *)PT_REGS_PARM2(ctx)));
	put(24, bpf_probe_read_kernel(&arg3, 8, (void *)PT_REGS_PARM3(ctx)));
	put(25, arg3);
	arg3 = PT_REGS_PARM1(ctx);
	put(26, bpf_ringbuf_output(&rb, &arg3, 8, 0));
	return PT_REGS_PARM1(ctx) == 42;
}

/* attached as a uprobe to a function of the test binary (the kprobe PMU
 * is absent on the test machine; uprobes run KPROBE programs the same way) */
SEC("uprobe")
int up_args(struct pt_regs *ctx)
{
	__u64 *r = (__u64 *)ctx;
	char *s0 = str(0), *s1 = str(1);
	__u64 x = 0x77;

	if ((__u32)bpf_get_current_pid_tgid() != target_tid() || !s0 || !s1)
		return 0;
	put(0, r[0]);   put(1, r[1]);   put(2, r[2]);   put(3, r[3]);
	put(4, r[4]);   put(5, r[5]);   put(6, r[6]);   put(7, r[7]);
	put(8, r[8]);   put(9, r[9]);   put(10, r[10]); put(11, r[11]);
	put(12, r[12]); put(13, r[13]); put(14, r[14]); put(15, r[15]);
	put(16, r[16]); put(17, r[17]); put(18, r[18]); put(19, r[19]);
	put(20, r[20]);
	put(21, bpf_get_func_ip(ctx));
	put(22, bpf_get_attach_cookie(ctx));
	put(23, bpf_probe_read_user_str(s0, 64, (void *)PT_REGS_PARM2(ctx)));
	put(24, bpf_probe_read_kernel(&x, 8, (void *)PT_REGS_PARM2(ctx)));
	put(25, x);
	put(26, bpf_get_current_comm(s1, 16));
	put(27, PT_REGS_PARM1(ctx) + PT_REGS_PARM3(ctx));
	return 1;
}

SEC("tracepoint/sched/sched_switch")
int tp_output(struct switch_args *ctx)
{
	struct {
		int pid;
		int prio;
	} rec = { ctx->next_pid, ctx->next_prio };
	__u64 v = ctx->prev_state;

	put(0, bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU, &rec, sizeof(rec)));
	put(1, bpf_perf_event_output(ctx, &events, 5, &rec, sizeof(rec)));
	put(2, bpf_ringbuf_output(&rb, &v, sizeof(v), 0));
	return 1;
}

/* bpfbox has no call chains: get_stack fails like the kernel without one */
SEC("kprobe/do_sys_openat2")
int kp_stack(struct pt_regs *ctx)
{
	char *s0 = str(0);

	if (!s0)
		return 0;
	put(0, bpf_get_stack(ctx, s0, 64, 0));
	put(1, bpf_get_stack(ctx, s0, 60, BPF_F_USER_STACK));
	put(2, bpf_get_stack(ctx, s0, 64, 1 << 12));
	put(3, bpf_get_stack(ctx, s0, 64, BPF_F_USER_BUILD_ID));
	put(4, bpf_get_stack(ctx, s0, 64, BPF_F_USER_STACK | BPF_F_USER_BUILD_ID));
	return 0;
}

SEC("kprobe/do_sys_openat2")
int kp_beyond(struct pt_regs *ctx)
{
	return *(volatile __u64 *)((char *)ctx + 168);
}

SEC("kprobe/do_sys_openat2")
int kp_narrow(struct pt_regs *ctx)
{
	return *(volatile __u16 *)((char *)ctx + 114) + *(volatile __u8 *)((char *)ctx + 161);
}

/* ---- perf_event ---- */

SEC("perf_event")
int pe_sample(struct bpf_perf_event_data *ctx)
{
	struct bpf_perf_event_value v = {};

	put(0, ctx->sample_period);
	put(1, ctx->addr);
	put(2, PT_REGS_IP(&ctx->regs));
	put(3, bpf_perf_prog_read_value(ctx, &v, sizeof(v)));
	put(4, v.counter);
	put(5, v.running);
	return ctx->sample_period > 1000;
}

char LICENSE[] SEC("license") = "GPL";

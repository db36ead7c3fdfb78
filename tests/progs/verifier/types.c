// SPDX-License-Identifier: MIT OR Apache-2.0
/* Rules that depend on the program type: who may read or write packet
 * data directly, who may use LD_ABS, and the contexts of tracing types. */
#include "vc.h"

SEC("cgroup_skb/egress")
int ok_cgroup_skb_read_pkt(struct __sk_buff *skb)
{
	unsigned char *p = (void *)(long)skb->data;
	void *end = (void *)(long)skb->data_end;

	if ((void *)(p + 1) > end)
		return 1;
	return p[0] & 1;
}

SEC("cgroup_skb/egress")
int bad_cgroup_skb_write_pkt(struct __sk_buff *skb)
{
	unsigned char *p = (void *)(long)skb->data;
	void *end = (void *)(long)skb->data_end;

	if ((void *)(p + 1) > end)
		return 1;
	p[0] = 0;
	return 1;
}

SEC("lwt_in")
int bad_lwt_in_write_pkt(struct __sk_buff *skb)
{
	unsigned char *p = (void *)(long)skb->data;
	void *end = (void *)(long)skb->data_end;

	if ((void *)(p + 1) > end)
		return 0;
	p[0] = 0;
	return 0;
}

SEC("lwt_xmit")
int ok_lwt_xmit_write_pkt(struct __sk_buff *skb)
{
	unsigned char *p = (void *)(long)skb->data;
	void *end = (void *)(long)skb->data_end;

	if ((void *)(p + 1) > end)
		return 0;
	p[0] = 0;
	return 0;
}

SEC("xdp")
NAKED int bad_ld_abs_in_xdp(void)
{
	asm volatile("r6 = r1;"
		     "r0 = *(u8 *)skb[0];"
		     "r0 = 2;"
		     "exit;");
}

SEC("socket")
NAKED int ok_ld_abs_in_socket(void)
{
	asm volatile("r6 = r1;"
		     "r0 = *(u8 *)skb[0];"
		     "exit;");
}

SEC("socket")
NAKED int bad_ld_abs_without_r6(void)
{
	/* LD_ABS reads the skb in r6, which is not set */
	asm volatile("r0 = *(u8 *)skb[0];"
		     "exit;");
}

SEC("kprobe/do_nanosleep")
NAKED int ok_kprobe_read_regs(void)
{
	asm volatile("r0 = *(u64 *)(r1 + 16);"
		     "r0 = 0;"
		     "exit;");
}

SEC("kprobe/do_nanosleep")
NAKED int bad_kprobe_past_regs(void)
{
	/* struct pt_regs is 168 bytes on x86-64 */
	asm volatile("r0 = *(u64 *)(r1 + 168);"
		     "r0 = 0;"
		     "exit;");
}

SEC("kprobe/do_nanosleep")
NAKED int bad_kprobe_write_regs(void)
{
	asm volatile("r2 = 0;"
		     "*(u64 *)(r1 + 16) = r2;"
		     "r0 = 0;"
		     "exit;");
}

SEC("tracepoint/syscalls/sys_enter_nanosleep")
NAKED int ok_tracepoint_read(void)
{
	asm volatile("r0 = *(u64 *)(r1 + 16);"
		     "r0 = 0;"
		     "exit;");
}

SEC("tracepoint/syscalls/sys_enter_nanosleep")
NAKED int bad_tracepoint_misaligned(void)
{
	asm volatile("r0 = *(u64 *)(r1 + 12);"
		     "r0 = 0;"
		     "exit;");
}

SEC("perf_event")
NAKED int bad_perf_event_write(void)
{
	asm volatile("r2 = 0;"
		     "*(u64 *)(r1 + 0) = r2;"
		     "r0 = 0;"
		     "exit;");
}

SEC("perf_event")
NAKED int ok_perf_event_sample_period(void)
{
	/* sample_period follows the 168-byte regs (x86-64) */
	asm volatile("r0 = *(u64 *)(r1 + 168);"
		     "r0 = 0;"
		     "exit;");
}

SEC("sk_msg")
int ok_sk_msg_size(struct sk_msg_md *msg)
{
	return msg->size > 10 ? SK_PASS : SK_DROP;
}

SEC("sk_msg")
NAKED int bad_sk_msg_write_size(void)
{
	asm volatile("r2 = 0;"
		     "*(u32 *)(r1 + 68) = r2;"
		     "r0 = 1;"
		     "exit;");
}

SEC("flow_dissector")
int bad_flow_dissector_write_mark(struct __sk_buff *skb)
{
	skb->mark = 1;
	return BPF_OK;
}

SEC("flow_dissector")
int ok_flow_dissector_read_keys(struct __sk_buff *skb)
{
	struct bpf_flow_keys *k = skb->flow_keys;

	return k->nhoff > 100 ? BPF_DROP : BPF_OK;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";

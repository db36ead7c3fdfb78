// SPDX-License-Identifier: MIT OR Apache-2.0
/* bpf_timer lives in a map value: initialised with its map, never touched
 * directly, its callback returns 0. */
#include "vc.h"

#define CLOCK_MONOTONIC 1

struct tval {
	struct bpf_timer t;
	__u64 fired;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct tval);
} timers SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct tval);
} others SEC(".maps");

static int fire(void *map, __u32 *key, struct tval *v)
{
	v->fired++;
	return 0;
}

static int fire_one(void *map, __u32 *key, struct tval *v)
{
	v->fired++;
	return 1;
}

static __always_inline struct tval *get(void *map)
{
	__u32 k = 0;

	return bpf_map_lookup_elem(map, &k);
}

SEC("tc")
int ok_timer_start(struct __sk_buff *skb)
{
	struct tval *v = get(&timers);

	if (!v)
		return 0;
	bpf_timer_init(&v->t, &timers, CLOCK_MONOTONIC);
	bpf_timer_set_callback(&v->t, fire);
	bpf_timer_start(&v->t, 1000, 0);
	return 0;
}

SEC("tc")
int bad_timer_wrong_map(struct __sk_buff *skb)
{
	/* the timer is in `timers`, the map argument is `others` */
	struct tval *v = get(&timers);

	if (!v)
		return 0;
	bpf_timer_init(&v->t, &others, CLOCK_MONOTONIC);
	return 0;
}

SEC("tc")
int bad_timer_touched(struct __sk_buff *skb)
{
	struct tval *v = get(&timers);

	if (!v)
		return 0;
	return *(volatile __u64 *)&v->t;
}

SEC("tc")
int bad_timer_cb_returns_one(struct __sk_buff *skb)
{
	struct tval *v = get(&timers);

	if (!v)
		return 0;
	bpf_timer_init(&v->t, &timers, CLOCK_MONOTONIC);
	bpf_timer_set_callback(&v->t, fire_one);
	return 0;
}

SEC("tc")
int ok_timer_fields_beside(struct __sk_buff *skb)
{
	struct tval *v = get(&timers);

	if (!v)
		return 0;
	return v->fired & 1;
}

SEC("tc")
NAKED int bad_timer_on_stack(void)
{
	asm volatile("r1 = r10;"
		     "r1 += -16;"
		     "r2 = 0;"
		     "*(u64 *)(r10 - 16) = r2;"
		     "*(u64 *)(r10 - 8) = r2;"
		     "r2 = %[timers] ll;"
		     "r3 = 1;"
		     "call %[timer_init];"
		     "r0 = 0;"
		     "exit;"
		     :: ADDR(timers), FN(timer_init));
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";

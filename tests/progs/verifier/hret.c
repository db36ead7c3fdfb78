// SPDX-License-Identifier: MIT OR Apache-2.0
/* Integer results of helpers whose range the kernel knows
 * (`do_refine_retval_range`): the string readers return at most the size
 * they were given, or an error code down to -4095 (MAX_ERRNO); the CPU id
 * is below nr_cpu_ids. Other helpers return any number. A branch the range
 * decides leaves the other side unchecked (here: an uninitialized `r7`).
 * ok_cpu_id_indexes_8k_value assumes at most 8192 possible CPUs. */
#include "vc.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, char[8192]);
} big SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, char[32]);
} small SEC(".maps");

/* r6 = the value of `m` at key 0 (never NULL: a constant key) */
#define LOOKUP(m)                                               \
	"*(u32 *)(r10 - 4) = 0;"                                \
	"r2 = r10;"                                             \
	"r2 += -4;"                                             \
	"r1 = %[" #m "] ll;"                                    \
	"call %[map_lookup_elem];"                              \
	"r6 = r0;"

/* r0 = bpf_probe_read_kernel_str(fp - 32, size in r2, NULL) */
#define READ_STR                                                \
	"r1 = r10;"                                             \
	"r1 += -32;"                                            \
	"r3 = 0;"                                               \
	"call %[probe_read_kernel_str];"

/* the branch on r0 above must be decided: its target reads r7 */
#define DEAD_TARGET                                             \
	"r0 = 0;"                                               \
	"exit;"                                                 \
	"r0 = r7;"                                              \
	"exit;"

SEC("socket")
NAKED int ok_cpu_id_indexes_8k_value(void)
{
	asm volatile(LOOKUP(big)
		     "call %[get_smp_processor_id];"
		     "r6 += r0;"
		     "r0 = *(u8 *)(r6 + 0);"
		     "r0 = 0;"
		     "exit;"
		     :: ADDR(big), FN(map_lookup_elem), FN(get_smp_processor_id));
}

SEC("socket")
NAKED int bad_cpu_id_past_value(void)
{
	asm volatile(LOOKUP(small)
		     "call %[get_smp_processor_id];"
		     "r6 += r0;"
		     "r0 = *(u8 *)(r6 + 32);"
		     "r0 = 0;"
		     "exit;"
		     :: ADDR(small), FN(map_lookup_elem), FN(get_smp_processor_id));
}

SEC("socket")
NAKED int ok_cpu_id_not_negative(void)
{
	asm volatile("call %[get_smp_processor_id];"
		     "if w0 s< 0 goto +2;"
		     DEAD_TARGET
		     :: FN(get_smp_processor_id));
}

SEC("socket")
NAKED int ok_cpu_id_below_8192(void)
{
	asm volatile("call %[get_smp_processor_id];"
		     "if r0 > 8191 goto +2;"
		     DEAD_TARGET
		     :: FN(get_smp_processor_id));
}

SEC("socket")
NAKED int bad_numa_id_unknown(void)
{
	asm volatile("call %[get_numa_node_id];"
		     "if r0 s< 0 goto +2;"
		     DEAD_TARGET
		     :: FN(get_numa_node_id));
}

SEC("socket")
NAKED int ok_str_len_at_most_size(void)
{
	asm volatile("r2 = 16;"
		     READ_STR
		     "if r0 s> 16 goto +2;"
		     DEAD_TARGET
		     :: FN(probe_read_kernel_str));
}

SEC("socket")
NAKED int bad_str_len_may_be_size(void)
{
	asm volatile("r2 = 16;"
		     READ_STR
		     "if r0 s> 15 goto +2;"
		     DEAD_TARGET
		     :: FN(probe_read_kernel_str));
}

SEC("socket")
NAKED int ok_str_error_at_least_max_errno(void)
{
	asm volatile("r2 = 16;"
		     READ_STR
		     "if r0 s< -4095 goto +2;"
		     DEAD_TARGET
		     :: FN(probe_read_kernel_str));
}

SEC("socket")
NAKED int bad_str_error_may_be_max_errno(void)
{
	asm volatile("r2 = 16;"
		     READ_STR
		     "if r0 s< -4094 goto +2;"
		     DEAD_TARGET
		     :: FN(probe_read_kernel_str));
}

SEC("socket")
NAKED int ok_str_len_32bit(void)
{
	asm volatile("r2 = 16;"
		     READ_STR
		     "if w0 s> 16 goto +2;"
		     DEAD_TARGET
		     :: FN(probe_read_kernel_str));
}

SEC("socket")
NAKED int ok_str_len_variable_size(void)
{
	/* the bound is the size argument's maximum */
	asm volatile("r2 = *(u32 *)(r1 + 0);"
		     "r2 &= 15;"
		     READ_STR
		     "if r0 s> 15 goto +2;"
		     DEAD_TARGET
		     :: FN(probe_read_kernel_str));
}

SEC("socket")
NAKED int bad_str_len_variable_size(void)
{
	asm volatile("r2 = *(u32 *)(r1 + 0);"
		     "r2 &= 15;"
		     READ_STR
		     "if r0 s> 14 goto +2;"
		     DEAD_TARGET
		     :: FN(probe_read_kernel_str));
}

SEC("socket")
NAKED int ok_str_len_indexes_value(void)
{
	/* 0 <= r0 <= 16 after the sign check: r6 + 31 stays inside */
	asm volatile(LOOKUP(small)
		     "r2 = 16;"
		     READ_STR
		     "if r0 s< 0 goto +2;"
		     "r6 += r0;"
		     "r0 = *(u8 *)(r6 + 15);"
		     "r0 = 0;"
		     "exit;"
		     :: ADDR(small), FN(map_lookup_elem), FN(probe_read_kernel_str));
}

SEC("socket")
NAKED int bad_str_len_indexes_past_value(void)
{
	asm volatile(LOOKUP(small)
		     "r2 = 16;"
		     READ_STR
		     "if r0 s< 0 goto +2;"
		     "r6 += r0;"
		     "r0 = *(u8 *)(r6 + 16);"
		     "r0 = 0;"
		     "exit;"
		     :: ADDR(small), FN(map_lookup_elem), FN(probe_read_kernel_str));
}

SEC("socket")
NAKED int ok_user_str_len_at_most_size(void)
{
	asm volatile("r1 = r10;"
		     "r1 += -32;"
		     "r2 = 8;"
		     "r3 = 0;"
		     "call %[probe_read_user_str];"
		     "if r0 s> 8 goto +2;"
		     DEAD_TARGET
		     :: FN(probe_read_user_str));
}

SEC("socket")
NAKED int bad_strtol_unrefined(void)
{
	asm volatile("*(u64 *)(r10 - 8) = 0;"
		     "r1 = r10;"
		     "r1 += -8;"
		     "r2 = 4;"
		     "r3 = 0;"
		     "r4 = r10;"
		     "r4 += -16;"
		     "call %[strtol];"
		     "if r0 s> 4 goto +2;"
		     DEAD_TARGET
		     :: FN(strtol));
}

char LICENSE[] SEC("license") = "GPL";

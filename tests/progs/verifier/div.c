// SPDX-License-Identifier: MIT OR Apache-2.0
/* Bounds of values that went through division, modulo, shifts and
 * masks, used as indices into a map value. */
#include "vc.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, char[16]);
} buf SEC(".maps");

#define WITH_INDEX(expr)                                \
	char *v;                                        \
	__u32 k = 0, i;                                 \
	v = bpf_map_lookup_elem(&buf, &k);              \
	if (!v)                                         \
		return 0;                               \
	i = (expr);                                     \
	return v[i]

SEC("socket")
int ok_mod_16(struct __sk_buff *skb)
{
	WITH_INDEX(skb->len % 16);
}

SEC("socket")
int bad_mod_17(struct __sk_buff *skb)
{
	WITH_INDEX(skb->len % 17);
}

SEC("socket")
int ok_shift_28(struct __sk_buff *skb)
{
	WITH_INDEX(skb->len >> 28);
}

SEC("socket")
int bad_shift_27(struct __sk_buff *skb)
{
	WITH_INDEX(skb->len >> 27);
}

SEC("socket")
int ok_and_15(struct __sk_buff *skb)
{
	WITH_INDEX(skb->len & 15);
}

SEC("socket")
int bad_and_16(struct __sk_buff *skb)
{
	WITH_INDEX(skb->len & 16);
}

SEC("socket")
NAKED int bad_div_untracked(void)
{
	/* (len & 255) / 16 <= 15, but the kernel (6.18) does not track
	 * bounds through division: refused though it stays in bounds */
	asm volatile("r6 = *(u32 *)(r1 + 0);"
		     "r2 = 0;"
		     "*(u32 *)(r10 - 4) = r2;"
		     "r2 = r10;"
		     "r2 += -4;"
		     "r1 = %[buf] ll;"
		     "call %[map_lookup_elem];"
		     "if r0 == 0 goto +5;"
		     "r6 &= 255;"
		     "r6 /= 16;"
		     "r0 += r6;"
		     "r0 = *(u8 *)(r0 + 0);"
		     "exit;"
		     "exit;"
		     :: ADDR(buf), FN(map_lookup_elem));
}

SEC("socket")
NAKED int bad_div_by_8(void)
{
	/* (len & 255) / 8 reaches 31 */
	asm volatile("r6 = *(u32 *)(r1 + 0);"
		     "r2 = 0;"
		     "*(u32 *)(r10 - 4) = r2;"
		     "r2 = r10;"
		     "r2 += -4;"
		     "r1 = %[buf] ll;"
		     "call %[map_lookup_elem];"
		     "if r0 == 0 goto +5;"
		     "r6 &= 255;"
		     "r6 /= 8;"
		     "r0 += r6;"
		     "r0 = *(u8 *)(r0 + 0);"
		     "exit;"
		     "exit;"
		     :: ADDR(buf), FN(map_lookup_elem));
}

SEC("socket")
NAKED int ok_div_by_zero_reg(void)
{
	/* division by a register that is 0 is defined: the result is 0 */
	asm volatile("r0 = 7;"
		     "r1 = 0;"
		     "r0 /= r1;"
		     "exit;");
}

SEC("socket")
NAKED int bad_div_by_zero_imm(void)
{
	asm volatile("r0 = 7;"
		     "r0 /= 0;"
		     "exit;");
}

SEC("socket")
NAKED int bad_mod_by_zero_imm(void)
{
	asm volatile("r0 = 7;"
		     "r0 %= 0;"
		     "exit;");
}

SEC("socket")
NAKED int bad_shift_64(void)
{
	asm volatile("r0 = 7;"
		     "r0 <<= 64;"
		     "exit;");
}

SEC("socket")
NAKED int ok_shift_63(void)
{
	asm volatile("r0 = 7;"
		     "r0 <<= 63;"
		     "exit;");
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";

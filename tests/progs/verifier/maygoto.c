// SPDX-License-Identifier: MIT OR Apache-2.0
/* may_goto: a loop whose exit the verifier cannot see is accepted when
 * it is guarded by may_goto (the run time bounds it). */
#include "vc.h"

SEC("socket")
NAKED int ok_may_goto_loop(void)
{
	/* for (;;) { may_goto out; r0 += 1; }  */
	asm volatile("r0 = *(u32 *)(r1 + 0);"
		     "may_goto +2;"
		     "r0 += 1;"
		     "goto -3;"
		     "exit;");
}

SEC("socket")
NAKED int bad_loop_without_may_goto(void)
{
	asm volatile("r0 = *(u32 *)(r1 + 0);"
		     "r0 += 1;"
		     "if r0 != 0 goto -2;"
		     "exit;");
}

SEC("socket")
NAKED int ok_may_goto_straight(void)
{
	/* may_goto outside a loop */
	asm volatile("r0 = 1;"
		     "may_goto +1;"
		     "r0 = 2;"
		     "exit;");
}

SEC("socket")
NAKED int bad_may_goto_uninit(void)
{
	/* the taken branch skips the assignment of r0 */
	asm volatile("may_goto +1;"
		     "r0 = 2;"
		     "exit;");
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";

// SPDX-License-Identifier: MIT OR Apache-2.0
/* Verifier agreement corpus (crates/bpfbox/tests/verifier_agreement):
 * one rule per program, each rule in an accepted (`ok_*`) and a refused
 * (`bad_*`) variant, as the running kernel decides. The rule class of a
 * program is its file name up to the first '-' (pkt.c, gpl-prop.c: gpl).
 * Hand-written instruction sequences use naked functions, so the compiler
 * cannot rearrange what the rule is about.
 *
 * The verdicts are those of a privileged loader (root: CAP_BPF,
 * CAP_PERFMON, CAP_NET_ADMIN), which is why reading never-written stack is
 * an `ok_` rule here. Machine-dependent verdicts are noted where they
 * occur: context offsets of kprobe and perf_event programs follow x86-64's
 * struct pt_regs (168 bytes); kprobe, tracepoint and perf_event programs
 * need the kernel built with them. A kernel that decides otherwise shows
 * up as a `name` line in expected.txt.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/in.h>
#include <linux/tcp.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define NAKED __attribute__((naked))
/* An immediate operand for naked asm: `%[name]`. */
#define IMM(name) [name] "i"(name)
#define ADDR(name) [name] "i"(&name)
#define FN(name) [name] "i"(BPF_FUNC_##name)

/* Keeps the compiler from proving anything about a value. */
#define OPAQUE(x) asm volatile("" : "+r"(x))

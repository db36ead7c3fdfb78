/* Shared pieces of the coverage programs: a result array every program
 * writes what its helpers returned into (the diff compares map contents).
 */
#ifndef BPFBOX_COV_H
#define BPFBOX_COV_H
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define RESULTS(n)                                                            \
	struct {                                                              \
		__uint(type, BPF_MAP_TYPE_ARRAY);                             \
		__uint(max_entries, n);                                       \
		__type(key, __u32);                                           \
		__type(value, __u64);                                         \
	} res SEC(".maps")

/* res[k] = res[k] * 31 + v: keeps the order of the per-packet values. */
#define PUT(k, v)                                                             \
	do {                                                                  \
		__u32 __k = (k);                                              \
		__u64 *__p = bpf_map_lookup_elem(&res, &__k);                 \
		if (__p)                                                      \
			*__p = *__p * 31 + (__u64)(v);                        \
	} while (0)
#endif

/* Shared includes for the bpfbox-object test programs. */
#ifndef BPFBOX_TEST_COMMON_H
#define BPFBOX_TEST_COMMON_H
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#endif

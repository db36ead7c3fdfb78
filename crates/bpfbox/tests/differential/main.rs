//! Differential tests: the running kernel (the reference) against
//! bpfbox-interp on the same instructions.
//!
//! * `random::random_programs`: thousands of random verifier-friendly
//!   programs from [`bpfbox_kernel::fuzzgen`] (ALU/ALU64, every jump, stack
//!   loads and stores, atomics, byte swaps, movsx, signed div/mod), run as
//!   a SOCKET_FILTER on a zero packet and in the interpreter; the 32-bit
//!   results must be equal. `BPFBOX_DIFF_N` sets the number of programs
//!   (default 10000), `BPFBOX_DIFF_SEED` the first seed and
//!   `BPFBOX_DIFF_MAXLEN` the longest body (default 400). Differences the
//!   kernel is responsible for (two bugs of Linux 6.18, see
//!   `kernel_bugs`) are recognised by re-running the program in rewritten,
//!   equivalent forms; they are listed but do not fail the test.
//! * Targeted cases (`edges`, `ldabs`, `calls`) the generator avoids or rarely hits: division and
//!   modulo by a zero register, `INT_MIN s/ -1`, `s% -1`, register shifts
//!   by the width or more, every movsx / byte-swap width, JMP32 on
//!   registers with the high half set, LD_ABS/LD_IND on the test-run
//!   packet, bpf-to-bpf calls and the preservation of `r6..r9`. Their
//!   operands come from the packet through LD_ABS, so the verifier cannot
//!   fold them and the JIT computes every result.
//! * `kernel_bugs`: minimal reproductions of the two kernel bugs, which
//!   also say whether the running kernel still has them.
//! * `speed::vs_kernel_ns_per_insn` (ignored by default): ns per executed
//!   instruction of the interpreter and of the kernel's JIT.
//!
//! Every test needs `bpf()`: the harness (bpfbox-testkit) reports them
//! as ignored, with the reason, where it is not usable.
//!
//! Packet convention (SOCKET_FILTER test run, checked by
//! `ld_abs_base_is_after_the_ethernet_header`): the kernel treats the
//! first 14 bytes as an Ethernet header and runs the program with
//! `skb->data` after it, so `LD_ABS k` reads packet byte `14 + k` and the
//! LD_ABS length is `len - 14`. The interpreter is given the same window
//! with `Vm::set_ld_abs_source(data + 14, len - 14)`.

/// Bytes the kernel's SOCKET_FILTER test run treats as the Ethernet header.
pub(crate) const ETH_HLEN: usize = 14;
/// Size of `struct __sk_buff`, the context region given to the interpreter.
pub(crate) const CTX_LEN: usize = 192;

/// The value of environment variable `name` as a number, or `default`.
pub(crate) fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(default)
}

pub(crate) mod asm;
pub(crate) mod calls;
pub(crate) mod edges;
pub(crate) mod harness;
pub(crate) mod kernel_bugs;
pub(crate) mod ldabs;
pub(crate) mod random;
pub(crate) mod speed;

bpfbox_testkit::main! {
    calls::bpf_to_bpf_calls_preserve_r6_to_r9 => [kernel],
    edges::alu_register_operands => [kernel],
    edges::alu_immediate_edges => [kernel],
    edges::movsx_neg_and_byte_swaps => [kernel],
    edges::jumps_register_operands => [kernel],
    edges::jumps_immediate_operands => [kernel],
    kernel_bugs::cmpxchg32_zero_extends_r0 => [kernel],
    kernel_bugs::atomic_fetch_from_stack_keeps_precision => [kernel],
    kernel_bugs::rewrites_preserve_semantics => [kernel],
    ldabs::ld_abs_base_is_after_the_ethernet_header => [kernel],
    ldabs::ld_abs_sizes_and_offsets => [kernel],
    ldabs::ld_ind_register_offsets => [kernel],
    ldabs::ld_abs_negative_skf_offsets => [kernel],
    random::random_programs => [kernel],
    speed::vs_kernel_ns_per_insn => [kernel, manual],
}

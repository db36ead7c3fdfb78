//! The abstract interpreter (types, bounds, memory, helpers, references,
//! return values, loops) on small programs with the classic mistakes and
//! their fixed variants: bpfbox's verdict must equal the running kernel's
//! (and the expected one, so the test also means something without a
//! kernel, where the comparison is skipped with a printed reason).

use crate::common::{kernel_load_as, prog};
use bpfbox_verifier::{check, Code, Options, ProgInfo};

const SOCKET_FILTER: u32 = 1;
const SCHED_CLS: u32 = 3;
const XDP: u32 = 6;
const CGROUP_SKB: u32 = 8;

/// (program type, program, expected code when refused).
const CASES: &[(u32, &str, Option<Code>)] = &[
    // Packet access without, with and off by one from the data_end check.
    (XDP, "r2 = *(u32 *)(r1 + 0); r0 = *(u8 *)(r2 + 0); r0 = 2; exit", Some(Code::PktAccess)),
    (
        XDP,
        "r2 = *(u32 *)(r1 + 0); r3 = *(u32 *)(r1 + 4); r4 = r2; r4 += 14; if r4 > r3 goto +1; r0 = *(u8 *)(r2 + 13); r0 = 2; exit",
        None,
    ),
    (
        XDP,
        "r2 = *(u32 *)(r1 + 0); r3 = *(u32 *)(r1 + 4); r4 = r2; r4 += 14; if r4 > r3 goto +1; r0 = *(u8 *)(r2 + 14); r0 = 2; exit",
        Some(Code::PktAccess),
    ),
    (
        XDP,
        "r2 = *(u32 *)(r1 + 0); r3 = *(u32 *)(r1 + 4); r4 = r2; r4 += 8; if r4 >= r3 goto +1; r0 = *(u64 *)(r2 + 0); r0 = 2; exit",
        None,
    ),
    // A packet pointer used after bpf_xdp_adjust_head.
    (
        XDP,
        "r6 = r1; r2 = *(u32 *)(r1 + 0); r3 = *(u32 *)(r1 + 4); r4 = r2; r4 += 1; if r4 > r3 goto +5; r7 = r2; r1 = r6; r2 = 0; call 44; r0 = *(u8 *)(r7 + 0); r0 = 2; exit",
        Some(Code::InvalidMemAccess),
    ),
    // Context: out of range, misaligned, read-only field.
    (XDP, "r0 = *(u32 *)(r1 + 100); r0 = 2; exit", Some(Code::CtxAccess)),
    (SOCKET_FILTER, "r0 = *(u32 *)(r1 + 1); r0 = 0; exit", Some(Code::CtxAccess)),
    (SCHED_CLS, "r2 = 0; *(u32 *)(r1 + 0) = r2; r0 = 0; exit", Some(Code::CtxAccess)),
    (SCHED_CLS, "r2 = 0; *(u32 *)(r1 + 8) = r2; r0 = 0; exit", None),
    (SOCKET_FILTER, "r1 += 8; r0 = *(u32 *)(r1 + 0); r0 = 0; exit", Some(Code::CtxAccess)),
    // Dereferencing a number.
    (SOCKET_FILTER, "r0 = 0; r0 = *(u32 *)(r0 + 0); r0 = 0; exit", Some(Code::InvalidMemAccess)),
    // Pointer arithmetic.
    (SOCKET_FILTER, "r2 = r10; r2 *= 2; r0 = 0; exit", Some(Code::PtrArith)),
    (SOCKET_FILTER, "r2 = r1; r2 |= 2; r0 = 0; exit", Some(Code::PtrArith)),
    (SOCKET_FILTER, "r2 = r1; w2 += 2; r0 = 0; exit", Some(Code::PtrArith)),
    (SOCKET_FILTER, "r2 = r10; r2 += r1; r0 = 0; exit", Some(Code::PtrArith)),
    (SOCKET_FILTER, "r2 = r10; r2 -= r1; r0 = 0; exit", None),
    (SOCKET_FILTER, "r2 = 1; r2 -= r1; r0 = 0; exit", Some(Code::PtrArith)),
    (SOCKET_FILTER, "r1 = r10; r1 -= 8; r0 = 0; exit", Some(Code::PtrArith)),
    // Stack through a copy of r10, fixed and variable offsets.
    (SOCKET_FILTER, "r1 = r10; r1 += -8; r0 = *(u32 *)(r1 + 4); r0 = 0; exit", None),
    (SOCKET_FILTER, "r1 = r10; r1 += -8; r0 = *(u64 *)(r1 + 8); r0 = 0; exit", Some(Code::StackAccess)),
    (
        SOCKET_FILTER,
        "r2 = *(u32 *)(r1 + 0); r2 &= 7; r3 = r10; r3 += -16; r3 += r2; r0 = *(u8 *)(r3 + 0); r0 = 0; exit",
        None,
    ),
    (
        SOCKET_FILTER,
        "r2 = *(u32 *)(r1 + 0); r2 &= 15; r3 = r10; r3 += -8; r3 += r2; r0 = *(u8 *)(r3 + 0); r0 = 0; exit",
        Some(Code::StackAccess),
    ),
    // Spilled pointer read back whole, and partially.
    (SOCKET_FILTER, "*(u64 *)(r10 - 8) = r1; r1 = *(u64 *)(r10 - 8); r0 = *(u32 *)(r1 + 0); r0 = 0; exit", None),
    (SOCKET_FILTER, "*(u64 *)(r10 - 8) = r1; r1 = *(u32 *)(r10 - 8); r0 = 0; exit", Some(Code::StackAccess)),
    // Bounds through branches: a known-dead branch with an error.
    (SOCKET_FILTER, "r2 = *(u32 *)(r1 + 0); r2 &= 255; if r2 > 255 goto +2; r0 = 0; exit; r0 = *(u8 *)(r2 + 0); exit", None),
    (SOCKET_FILTER, "r2 = *(u32 *)(r1 + 0); r2 &= 255; if r2 > 254 goto +2; r0 = 0; exit; r0 = *(u8 *)(r2 + 0); exit", Some(Code::InvalidMemAccess)),
    (SOCKET_FILTER, "r2 = *(u32 *)(r1 + 0); w2 s>>= 31; if w2 s> 0 goto +2; r0 = 0; exit; r0 = *(u8 *)(r2 + 0); exit", None),
    // Loops: bounded, infinite.
    (SOCKET_FILTER, "r1 = 0; r1 += 1; if r1 < 10 goto -2; r0 = 0; exit", None),
    (SOCKET_FILTER, "r0 = 0; if r0 == 0 goto -1; exit", Some(Code::InfiniteLoop)),
    // Return values.
    (CGROUP_SKB, "r0 = 2; exit", Some(Code::RetRange)),
    (CGROUP_SKB, "r0 = 1; exit", None),
    (CGROUP_SKB, "r0 = *(u32 *)(r1 + 0); r0 &= 1; exit", None),
    (CGROUP_SKB, "r0 = r1; exit", Some(Code::RetRange)),
    // Helpers: availability, argument types.
    (SCHED_CLS, "r2 = 0; call 44; r0 = 0; exit", Some(Code::HelperUnavailable)),
    (XDP, "r2 = 0; call 44; r0 = 2; exit", None),
    (SOCKET_FILTER, "r1 = 0; r2 = r10; r2 += -8; call 1; r0 = 0; exit", Some(Code::HelperArg)),
    (SOCKET_FILTER, "r2 = 0; r1 = r10; r1 += -8; call 6; r0 = 0; exit", Some(Code::HelperArg)),
    (SOCKET_FILTER, "r2 = 8; r1 = r10; r1 += -8; call 6; r0 = 0; exit", None),
    // References: leak, release, use after release.
    (
        SCHED_CLS,
        "r2 = r10; r2 += -16; r3 = 12; r4 = 0; r5 = 0; call 84; r0 = 0; exit",
        Some(Code::RefLeak),
    ),
    (
        SCHED_CLS,
        "r2 = r10; r2 += -16; r3 = 12; r4 = 0; r5 = 0; call 84; if r0 == 0 goto +2; r1 = r0; call 86; r0 = 0; exit",
        None,
    ),
    (
        SCHED_CLS,
        "r2 = r10; r2 += -16; r3 = 12; r4 = 0; r5 = 0; call 84; if r0 == 0 goto +4; r6 = r0; r1 = r0; call 86; r0 = *(u32 *)(r6 + 0); r0 = 0; exit",
        Some(Code::InvalidMemAccess),
    ),
    (
        SCHED_CLS,
        "r2 = r10; r2 += -16; r3 = 12; r4 = 0; r5 = 0; call 84; r0 = *(u32 *)(r0 + 0); r0 = 0; exit",
        Some(Code::InvalidMemAccess),
    ),
];

fn opts(prog_type: u32) -> Options<'static> {
    let mut o = Options::kernel();
    o.prog = Some(ProgInfo {
        prog_type,
        expected_attach_type: 0,
    });
    o.helper_args = Some(|id| {
        u32::try_from(id)
            .ok()
            .and_then(bpfbox_progtype::helpers::proto)
            .map(|p| p.nargs() as u8)
    });
    o.allow_ld_abs = bpfbox_progtype::by_id(prog_type).is_some_and(|s| s.ld_abs);
    o
}

pub(crate) fn classic_mistakes_agree_with_the_kernel() {
    let mut failures = Vec::new();
    for &(ty, text, expected) in CASES {
        let p = prog(text);
        let ours = check(&p, &opts(ty));
        let code = ours.as_ref().err().map(|d| d[0].code);
        if code != expected {
            failures.push(format!(
                "{text}: expected {expected:?}, bpfbox says {:?}",
                ours.clone().err().map(|d| d[0].clone())
            ));
        }
        if let Some(k) = kernel_load_as(ty, &p) {
            if k.is_ok() != ours.is_ok() {
                let last = k.err().unwrap_or_default();
                let line = last
                    .lines()
                    .rfind(|l| !l.starts_with("processed") && !l.trim().is_empty())
                    .unwrap_or("")
                    .to_string();
                failures.push(format!("{text}: kernel {line:?}, bpfbox {code:?}"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

pub(crate) fn refusals_carry_the_kernel_message_and_the_register() {
    let p = prog("r2 = *(u32 *)(r1 + 0); r3 = *(u32 *)(r1 + 4); r4 = r2; r4 += 14; if r4 > r3 goto +1; r0 = *(u8 *)(r2 + 14); r0 = 2; exit");
    let d = check(&p, &opts(XDP)).unwrap_err();
    assert_eq!(
        d[0].kernel.as_deref(),
        Some("R2 offset is outside of the packet")
    );
    assert!(
        d[0].primary.text.contains("packet known good up to +14"),
        "{}",
        d[0].primary.text
    );
    assert!(d[0].help.is_some());
}

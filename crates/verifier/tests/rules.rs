//! One program per rule, checked two ways: bpfbox's first diagnostic has
//! the expected code and kernel text, and the kernel refuses the same
//! program with that text in its log (or both accept).

use crate::common::{kernel_error, kernel_load, prog, verify};
use bpfbox_verifier::{check, Code, Options};

/// `(name, program, expected code or None to accept, expected kernel text
/// of the first diagnostic, expected primary slot)`.
type Case = (
    &'static str,
    &'static str,
    Option<Code>,
    &'static str,
    usize,
);

const CASES: &[Case] = &[
    // register initialisation
    ("exit without r0", "exit", Some(Code::UninitReg), "R0 !read_ok", 0),
    ("mov reads src", "r0 = r2; exit", Some(Code::UninitReg), "R2 !read_ok", 0),
    ("alu reads src before dst", "r0 += r2; exit", Some(Code::UninitReg), "R2 !read_ok", 0),
    ("alu imm reads dst", "r3 += 1; r0 = 0; exit", Some(Code::UninitReg), "R3 !read_ok", 0),
    ("neg reads dst", "r4 = -r4; r0 = 0; exit", Some(Code::UninitReg), "R4 !read_ok", 0),
    ("bswap reads dst", "r4 = bswap32 r4; r0 = 0; exit", Some(Code::UninitReg), "R4 !read_ok", 0),
    ("jump reads dst first", "if r2 > r3 goto +0; r0 = 0; exit", Some(Code::UninitReg), "R2 !read_ok", 0),
    ("jump reads src", "r2 = 0; if r2 > r3 goto +0; r0 = 0; exit", Some(Code::UninitReg), "R3 !read_ok", 1),
    ("jump32 reads dst", "if w2 > w3 goto +0; r0 = 0; exit", Some(Code::UninitReg), "R2 !read_ok", 0),
    ("load reads base", "r0 = *(u64 *)(r2 + 0); exit", Some(Code::UninitReg), "R2 !read_ok", 0),
    ("store reads src first", "*(u64 *)(r2 + 0) = r3; r0 = 0; exit", Some(Code::UninitReg), "R3 !read_ok", 0),
    ("store imm reads base", "*(u64 *)(r3 + 0) = 1; r0 = 0; exit", Some(Code::UninitReg), "R3 !read_ok", 0),
    ("stack store reads src", "*(u64 *)(r10 - 8) = r3; r0 = 0; exit", Some(Code::UninitReg), "R3 !read_ok", 0),
    ("atomic reads src first", "lock *(u64 *)(r2 + 0) += r3; r0 = 0; exit", Some(Code::UninitReg), "R3 !read_ok", 0),
    (
        "cmpxchg reads r0",
        "r1 = 0; *(u64 *)(r10 - 8) = r1; r0 = cmpxchg_64(r10 - 8, r0, r1); r0 = 0; exit",
        Some(Code::UninitReg),
        "R0 !read_ok",
        2,
    ),
    (
        "fetch writes src",
        "r1 = 0; *(u64 *)(r10 - 8) = r1; r2 = 1; r2 = atomic_fetch_add((u64 *)(r10 - 8), r2); r0 = r2; exit",
        None,
        "",
        0,
    ),
    (
        "load-acquire reads its address",
        "r0 = load_acquire((u64 *)(r2 + 0)); exit",
        Some(Code::UninitReg),
        "R2 !read_ok",
        0,
    ),
    (
        "store-release reads its value first",
        "store_release((u64 *)(r2 + 0), r3); r0 = 0; exit",
        Some(Code::UninitReg),
        "R3 !read_ok",
        0,
    ),
    (
        "load-acquire writes dst",
        "r1 = 0; *(u64 *)(r10 - 8) = r1; r0 = load_acquire((u64 *)(r10 - 8)); exit",
        None,
        "",
        0,
    ),
    ("may_goto is a branch", "r0 = 0; may_goto +1; r0 = 1; exit", None, "", 0),
    (
        "may_goto skips an assignment",
        "may_goto +1; r0 = 1; exit",
        Some(Code::UninitReg),
        "R0 !read_ok",
        2,
    ),
    ("ld_abs needs r6", "r0 = *(u8 *)skb[0]; exit", Some(Code::UninitReg), "R6 !read_ok", 0),
    ("ld_ind needs r6 first", "r0 = *(u8 *)skb[r3]; exit", Some(Code::UninitReg), "R6 !read_ok", 0),
    ("ld_ind reads src", "r6 = r1; r0 = *(u8 *)skb[r3]; exit", Some(Code::UninitReg), "R3 !read_ok", 1),
    ("ld_abs clobbers r1", "r6 = r1; r0 = *(u8 *)skb[0]; r0 = r1; exit", Some(Code::UninitReg), "R1 !read_ok", 2),
    ("ld_abs sets r0", "r6 = r1; r0 = *(u8 *)skb[0]; exit", None, "", 0),
    ("helper clobbers r1-r5", "call 7; r0 = r2; exit", Some(Code::UninitReg), "R2 !read_ok", 1),
    ("helper sets r0", "call 7; exit", None, "", 0),
    ("helper keeps r6", "r6 = 1; call 7; r0 = r6; exit", None, "", 0),
    // bpf-to-bpf calls
    ("callee gets r1", "r1 = 1; call pc+2; r0 = 0; exit; r0 = r1; exit", None, "", 0),
    ("callee lacks r2", "r1 = 1; call pc+2; r0 = 0; exit; r0 = r2; exit", Some(Code::UninitReg), "R2 !read_ok", 4),
    ("callee lacks r6", "r1 = 1; r6 = 1; call pc+2; r0 = 0; exit; r0 = r6; exit", Some(Code::UninitReg), "R6 !read_ok", 5),
    ("call clobbers caller r1", "r1 = 1; call pc+2; r0 = r1; exit; r0 = r1; exit", Some(Code::UninitReg), "R1 !read_ok", 2),
    ("call keeps caller r6", "r6 = 1; call pc+2; r0 = r6; exit; r0 = 0; exit", None, "", 0),
    ("callee may leave r0 unset", "r1 = 1; call pc+2; r0 = 0; exit; exit", None, "", 0),
    ("caller reads unset r0 of callee", "r1 = 1; call pc+1; exit; exit", Some(Code::UninitReg), "R0 !read_ok", 2),
    // dead branches on known constants are not followed
    ("dead branch pruned", "r0 = 0; if r0 > 1 goto +1; exit; r0 = r5; exit", None, "", 0),
    ("live branch checked", "r0 = 0; if r0 > 0 goto +1; r0 = r5; exit", Some(Code::UninitReg), "R5 !read_ok", 2),
    ("jump32 on constant", "r0 = 0x100000000 ll; if w0 != 0 goto +1; exit; r0 = r5; exit", None, "", 0),
    ("constant through alu", "r0 = 3; r0 *= 5; r0 ^= 1; if r0 != 14 goto +1; exit; r0 = r4; exit", None, "", 0),
    ("loop with counter", "r0 = 0; r1 = 0; r1 += 1; if r1 < 10 goto -2; exit", None, "", 0),
    // CFG
    ("unreachable after exit", "r0 = 0; exit; r0 = 1; exit", Some(Code::Unreachable), "unreachable insn 2", 2),
    ("unreachable skipped", "r0 = 0; goto +2; exit; exit; exit", Some(Code::Unreachable), "unreachable insn 2", 2),
    ("unreachable function", "r0 = 0; goto +1; call pc+1; exit; r0 = 0; exit", Some(Code::Unreachable), "unreachable insn 2", 2),
    ("falls off the end", "r0 = 0; r0 += 1", Some(Code::NoExit), "last insn is not an exit or jmp", 1),
    ("ends in a branch", "r0 = 0; if r0 > 0 goto +1; exit; r0 = 1", Some(Code::NoExit), "last insn is not an exit or jmp", 3),
    ("ends in lddw", "r0 = 0; r1 = 5 ll", Some(Code::NoExit), "last insn is not an exit or jmp", 1),
    (
        "function falls into the next",
        "r0 = 0; call pc+3; r0 = 0; exit; r0 = 0; goto -4; exit",
        Some(Code::NoExit),
        "last insn is not an exit or jmp",
        4,
    ),
    (
        "jump leaves function",
        "r0 = 0; call pc+2; r0 = 0; exit; r0 = 0; if r0 == 0 goto -4; exit",
        Some(Code::JumpOutOfRange),
        "jump out of range from insn 5 to 2",
        5,
    ),
    ("goto back ends a function", "r0 = 0; goto +1; exit; goto -2", None, "", 0),
    ("recursion", "r0 = 0; call pc+1; exit; call pc-1; exit", Some(Code::CallDepth), "frames is too deep", 3),
    // frame pointer
    ("or with r10", "r0 = 0; r0 |= r10; exit", Some(Code::FpArith), "R0 bitwise operator |= on pointer prohibited", 1),
    ("and with r10", "r0 = 0; r0 &= r10; exit", Some(Code::FpArith), "R0 bitwise operator &= on pointer prohibited", 1),
    ("xor with r10", "r0 = 0; r0 ^= r10; exit", Some(Code::FpArith), "R0 bitwise operator ^= on pointer prohibited", 1),
    ("mul with r10", "r0 = 0; r0 *= r10; exit", Some(Code::FpArith), "R0 pointer arithmetic with *= operator prohibited", 1),
    ("div with r10", "r0 = 0; r0 /= r10; exit", Some(Code::FpArith), "R0 pointer arithmetic with /= operator prohibited", 1),
    ("mod with r10", "r0 = 0; r0 %= r10; exit", Some(Code::FpArith), "R0 pointer arithmetic with %= operator prohibited", 1),
    ("lsh with r10", "r0 = 0; r0 <<= r10; exit", Some(Code::FpArith), "R0 pointer arithmetic with <<= operator prohibited", 1),
    ("rsh with r10", "r0 = 0; r0 >>= r10; exit", Some(Code::FpArith), "R0 pointer arithmetic with >>= operator prohibited", 1),
    ("arsh with r10", "r0 = 0; r0 s>>= r10; exit", Some(Code::FpArith), "R0 pointer arithmetic with s>>= operator prohibited", 1),
    ("scalar minus r10", "r0 = 0; r0 -= r10; exit", Some(Code::FpArith), "R0 tried to subtract pointer from scalar", 1),
    ("32-bit add with r10", "w0 = 0; w0 += w10; exit", Some(Code::FpArith), "R0 32-bit pointer arithmetic prohibited", 1),
    ("32-bit or with r10", "w0 = 0; w0 |= w10; exit", Some(Code::FpArith), "R0 32-bit pointer arithmetic prohibited", 1),
    ("uninit before fp rule", "r0 |= r10; exit", Some(Code::UninitReg), "R0 !read_ok", 0),
    ("scalar plus r10", "r0 = 0; r0 += r10; r0 = 0; exit", None, "", 0),
    ("32-bit sub of r10", "w0 = 0; w0 -= w10; exit", None, "", 0),
    ("32-bit copy of r10", "w0 = w10; exit", None, "", 0),
    ("sign-extending copy of r10", "r0 = (s8)r10; exit", None, "", 0),
    ("pointer minus r10", "r1 = r10; r1 -= r10; r0 = r1; exit", None, "", 0),
    // stack accesses off r10
    ("stack write below", "r1 = 0; *(u64 *)(r10 - 520) = r1; r0 = 0; exit", Some(Code::StackBounds), "invalid write to stack R10 off=-520 size=8", 1),
    ("stack write at r10", "r1 = 0; *(u64 *)(r10 + 0) = r1; r0 = 0; exit", Some(Code::StackBounds), "invalid write to stack R10 off=0 size=8", 1),
    ("stack store imm below", "*(u64 *)(r10 - 520) = 0; r0 = 0; exit", Some(Code::StackBounds), "invalid write to stack R10 off=-520 size=8", 0),
    ("stack read above", "r0 = *(u64 *)(r10 + 8); exit", Some(Code::StackBounds), "invalid read from stack R10 off=8 size=8", 0),
    ("stack atomic reads first", "r1 = 0; lock *(u64 *)(r10 - 520) += r1; r0 = 0; exit", Some(Code::StackBounds), "invalid read from stack R10 off=-520 size=8", 1),
    ("stack misaligned write", "r1 = 0; *(u64 *)(r10 - 4) = r1; r0 = 0; exit", Some(Code::StackAlign), "misaligned stack access off 0+0+-4 size 8", 1),
    ("stack misaligned read", "r0 = *(u32 *)(r10 - 6); exit", Some(Code::StackAlign), "misaligned stack access off 0+0+-6 size 4", 0),
    ("stack misaligned atomic", "r1 = 0; *(u64 *)(r10 - 8) = r1; lock *(u64 *)(r10 - 4) += r1; r0 = 0; exit", Some(Code::StackAlign), "misaligned stack access off 0+0+-4 size 8", 2),
    ("stack alignment before bounds", "r0 = *(u64 *)(r10 - 521); exit", Some(Code::StackAlign), "misaligned stack access off 0+0+-521 size 8", 0),
    ("stack bottom", "r1 = 0; *(u64 *)(r10 - 512) = r1; r0 = 0; exit", None, "", 0),
    ("unwritten stack read by root", "r0 = *(u64 *)(r10 - 8); exit", None, "", 0),
    ("uninit before stack rule", "*(u64 *)(r10 - 4) = r3; r0 = 0; exit", Some(Code::UninitReg), "R3 !read_ok", 0),
    // immediates
    ("div by 0", "r0 = 1; r0 /= 0; exit", Some(Code::DivByZero), "div by zero", 1),
    ("mod32 by 0", "w0 = 1; w0 %= 0; exit", Some(Code::DivByZero), "div by zero", 1),
    ("sdiv by 0", "r0 = 1; r0 s/= 0; exit", Some(Code::DivByZero), "div by zero", 1),
    ("div by 0 after reads", "r0 /= 0; exit", Some(Code::UninitReg), "R0 !read_ok", 0),
    ("div by -1", "r0 = 1; r0 /= -1; exit", None, "", 0),
    ("shift by 64", "r0 = 1; r0 <<= 64; exit", Some(Code::BadShift), "invalid shift 64", 1),
    ("shift32 by 32", "w0 = 1; w0 <<= 32; exit", Some(Code::BadShift), "invalid shift 32", 1),
    ("negative shift", "w0 = 1; w0 >>= -1; exit", Some(Code::BadShift), "invalid shift -1", 1),
    ("arsh by 63", "r0 = 1; r0 s>>= 63; exit", None, "", 0),
    ("dead div by 0", "r0 = 0; if r0 == 0 goto +1; r0 /= 0; exit", None, "", 0),
    // optional forms
    ("callx", "r1 = 7; callx r1; r0 = 0; exit", Some(Code::Callx), "unknown opcode 8d", 1),
];

pub(crate) fn every_rule_matches_the_kernel() {
    let mut failures = Vec::new();
    for &(name, text, code, kernel, at) in CASES {
        let p = prog(text);
        let ours = verify(&p);
        match (code, &ours) {
            (None, Ok(())) => {}
            (Some(c), Err(d))
                if d[0].code == c
                    && d[0].kernel.as_deref() == Some(kernel)
                    && d[0].primary.insn == at => {}
            _ => failures.push(format!(
                "{name}: expected {code:?} {kernel:?} at {at}, got {ours:?}"
            )),
        }
        let Some(k) = kernel_load(&p) else { continue };
        match (code, k) {
            (None, Ok(())) => {}
            (Some(_), Err(log)) if log.contains(kernel) => {}
            (_, r) => failures.push(format!("{name}: kernel disagrees: {r:?}")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

pub(crate) fn kernel_stops_at_the_same_instruction() {
    // For the uninitialised-register cases the kernel log names the slot it
    // stopped at: it must be our primary label.
    for &(name, text, code, _, at) in CASES {
        if code != Some(Code::UninitReg) {
            continue;
        }
        let Some(Err(log)) = kernel_load(&prog(text)) else {
            continue;
        };
        let (_, k_at) = kernel_error(&log);
        assert_eq!(k_at, Some(at), "{name}: {log}");
    }
}

pub(crate) fn call_depth_limit_is_the_kernels() {
    // main calls f1, f1 calls f2, ...: `n` frames in all.
    let chain = |n: usize| {
        let mut text = String::new();
        for i in 0..n {
            text.push_str(if i + 1 < n {
                "r0 = 0; call pc+1; exit;"
            } else {
                "r0 = 0; exit;"
            });
        }
        prog(&text)
    };
    assert_eq!(verify(&chain(8)), Ok(()));
    let d = verify(&chain(9)).unwrap_err();
    assert_eq!(d[0].code, Code::CallDepth);
    assert_eq!(
        d[0].kernel.as_deref(),
        Some("the call stack of 9 frames is too deep")
    );
    if let Some(k) = kernel_load(&chain(8)) {
        assert_eq!(k, Ok(()));
    }
    if let Some(k) = kernel_load(&chain(9)) {
        let log = k.unwrap_err();
        assert!(
            log.contains("the call stack of 9 frames is too deep"),
            "{log}"
        );
    }
}

pub(crate) fn options_change_the_rules() {
    let p = prog("r0 = 0; r1 = 0; r1 += 1; if r1 < 10 goto -2; exit");
    let mut o = Options::kernel();
    o.allow_loops = false;
    let d = check(&p, &o).unwrap_err();
    assert_eq!(
        (d[0].code, d[0].kernel.as_deref()),
        (Code::BackEdge, Some("back-edge from insn 3 to 2"))
    );

    let p = prog("r1 = 7; callx r1; r0 = 0; exit");
    assert_eq!(check(&p, &Options::conformance()), Ok(()));

    let p = prog("w0 = 1; w0 <<= 60; exit");
    assert_eq!(
        check(&p, &Options::kernel()).unwrap_err()[0].code,
        Code::BadShift
    );
    assert_eq!(check(&p, &Options::conformance()), Ok(()));

    let p = prog("r1 = 1; call pc+2; r0 = 0; exit; r0 = r1; exit");
    let mut o = Options::kernel();
    o.allow_local_calls = false;
    assert_eq!(check(&p, &o).unwrap_err()[0].code, Code::LocalCall);

    // r2 is set at entry in the conformance convention only.
    let p = prog("r0 = r2; exit");
    assert!(check(&p, &Options::kernel()).is_err());
    assert_eq!(check(&p, &Options::conformance()), Ok(()));

    // Helper argument counts make a call read its arguments.
    // bpf_skb_load_bytes(ctx, offset, to, len): r1 is the context, r2 unset.
    let p = prog("call 26; exit");
    assert_eq!(check(&p, &Options::kernel()), Ok(()));
    let mut o = Options::kernel();
    o.helper_args = Some(|id| (id == 26).then_some(4));
    let d = check(&p, &o).unwrap_err();
    assert_eq!(d[0].kernel.as_deref(), Some("R2 !read_ok"), "{d:?}");
    if let Some(Err(log)) = kernel_load(&p) {
        assert!(log.contains("R2 !read_ok"), "{log}");
    }
}

pub(crate) fn related_labels_explain_the_origin() {
    let d = verify(&prog("call 7; r0 = r2; exit")).unwrap_err();
    assert_eq!(d[0].related[0].insn, 0);
    assert!(
        d[0].related[0].text.contains("clobbered by helper call"),
        "{:?}",
        d[0]
    );
    let d = verify(&prog("r0 = r3; exit")).unwrap_err();
    assert!(
        d[0].related[0].text.contains("`r1` and `r10`"),
        "{:?}",
        d[0]
    );
    let d = verify(&prog("r1 = 1; call pc+1; exit; exit")).unwrap_err();
    assert_eq!(d[0].related[0].insn, 3);
    let d = verify(&prog(
        "r2 = *(u32 *)(r1 + 0); if r2 > 5 goto +1; r0 = 0; exit",
    ))
    .unwrap_err();
    assert!(
        d[0].related
            .iter()
            .any(|l| l.insn == 1 && l.text.contains("branch is taken")),
        "{:?}",
        d[0]
    );
    let d = verify(&prog(
        "r2 = *(u32 *)(r1 + 0); if r2 > 5 goto +2; r0 = 0; goto +0; exit",
    ))
    .unwrap_err();
    assert!(
        d[0].related
            .iter()
            .any(|l| l.insn == 1 && l.text.contains("branch is taken")),
        "{:?}",
        d[0]
    );
    let d = verify(&prog("exit")).unwrap_err();
    assert_eq!(
        d[0].suggestion.as_ref().map(|s| s.code.as_str()),
        Some("r0 = 0")
    );
}

pub(crate) fn one_diagnostic_per_mistake_and_path() {
    // r3 is read twice; after the first report it counts as set.
    let d = verify(&prog("r0 = r3; r0 += r3; exit")).unwrap_err();
    assert_eq!(d.len(), 1, "{d:?}");
    // Two independent mistakes are both reported, the kernel's first.
    let d = verify(&prog("r0 = r3; r4 += 1; exit")).unwrap_err();
    assert_eq!(d.len(), 2);
    assert_eq!(d[0].kernel.as_deref(), Some("R3 !read_ok"));
}

pub(crate) fn constant_tracking_matches_the_kernel() {
    // After `setup`, r2 == `val` if the operation's result is tracked; the
    // kernel (and bpfbox) then skip the read of the unset r5. Division and
    // modulo are not tracked by Linux 6.18, so there both refuse.
    let cases: &[(&str, &str, bool)] = &[
        ("r2 = 3; r2 = -r2", "-3", true),
        ("w2 = 3; w2 = -w2; r2 <<= 32; r2 s>>= 32", "-3", true),
        ("r2 = 0x1234; r2 = be16 r2", "0x3412", true),
        ("r2 = 0x11234; r2 = le16 r2", "0x1234", true),
        ("r2 = 0x12345678; r2 = bswap32 r2", "0x78563412", true),
        ("r2 = 0x100; r2 = be64 r2; r2 >>= 48", "1", true),
        ("r2 = 0xff; r2 = (s8)r2", "-1", true),
        ("r2 = 0x80000000 ll; r2 = (s32)r2", "-2147483648", true),
        ("r2 = -8; r2 s>>= 1", "-4", true),
        ("w2 = 0x10000; w2 *= w2", "0", true),
        ("r2 = 1; r3 = 4; r2 <<= r3", "16", true),
        ("r2 = 7; r2 /= 2", "3", false),
        ("w2 = 7; w2 /= 2", "3", false),
        ("r2 = 7; r2 %= 4", "3", false),
        ("r2 = -8; r2 s/= 2", "-4", false),
        ("r2 = -7; r2 s%= 4", "-3", false),
        (
            "r2 = 1; *(u64 *)(r10 - 8) = r2; r2 = *(u64 *)(r10 - 8)",
            "2",
            false,
        ),
    ];
    for &(setup, val, tracked) in cases {
        let p = prog(&format!(
            "{setup}; r0 = 0; if r2 == {val} goto +1; r0 = r5; exit"
        ));
        assert_eq!(verify(&p).is_ok(), tracked, "{setup}");
        if let Some(k) = kernel_load(&p) {
            assert_eq!(k.is_ok(), tracked, "kernel: {setup}");
        }
    }
}

pub(crate) fn ld_abs_needs_an_skb_program_type() {
    let p = prog("r6 = r1; r0 = *(u8 *)skb[0]; exit");
    let mut o = Options::kernel();
    o.allow_ld_abs = false;
    let d = check(&p, &o).unwrap_err();
    assert_eq!(d[0].code, Code::LdAbs);
    let k = d[0].kernel.clone().unwrap_or_default();
    if let Some(r) = crate::common::kernel_load_as(bpfbox_kernel::consts::prog_type::XDP, &p) {
        let log = r.unwrap_err();
        assert!(log.contains(&k), "{log}");
    }
}

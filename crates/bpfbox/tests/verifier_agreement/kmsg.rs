//! The kernel verifier's error line and its class: the same classifier
//! reads the kernel's log and the `kernel` line of bpfbox's diagnostic, so
//! "both refuse for the same reason" is a comparison of two classes.

/// Whether a log line is part of the instruction trace (`12: (bf) r1 =
/// r6 ; R1=ctx()`, `from 3 to 5: ...`, `; source`), not a message.
fn is_trace(l: &str) -> bool {
    let digits = l.chars().take_while(char::is_ascii_digit).count();
    (digits > 0 && l[digits..].starts_with(':'))
        || l.starts_with("from ")
        || l.starts_with(';')
        || l.starts_with("verification time")
        || l.starts_with("stack depth")
        || l.starts_with("cur state:")
        || l.starts_with("old state:")
}

/// The log's lines, trimmed, without empty ones; a `processed N insns`
/// summary glued to the message before it (the kernel omits the newline
/// after some messages) becomes a line of its own.
fn log_lines(log: &str) -> Vec<&str> {
    let mut out = Vec::new();
    for l in log.lines().map(str::trim).filter(|l| !l.is_empty()) {
        match l.find("processed ") {
            Some(i) if i > 0 && l[i..].contains("insns (limit") => {
                out.push(l[..i].trim());
                out.push(&l[i..]);
            }
            _ => out.push(l),
        }
    }
    out
}

/// The kernel's error message: the lines after the instruction trace and
/// before the `processed N insns` summary that read as messages, joined
/// with ` / ` (the kernel often explains itself in two lines: `invalid
/// access to map value, value_size=8 off=-1 size=1 / R0 min value is
/// outside of the allowed memory range`), or the last line of the log.
pub fn error_line(log: &str) -> String {
    let lines = log_lines(log);
    let end = lines
        .iter()
        .rposition(|l| l.starts_with("processed "))
        .unwrap_or(lines.len());
    let mut block: Vec<&str> = lines[..end]
        .iter()
        .rev()
        .skip_while(|l| is_trace(l))
        .take_while(|l| !is_trace(l) && classify(l) != "other")
        .copied()
        .collect();
    if block.is_empty() {
        let last = lines[..end].iter().rev().find(|l| !is_trace(l));
        block.extend(last.or(lines.last()));
    }
    block.reverse();
    block.join(" / ")
}

/// The instruction the kernel stopped at: the last traced instruction
/// (`12: (bf) r1 = r6`) before the `processed` summary.
pub fn error_insn(log: &str) -> Option<usize> {
    let lines = log_lines(log);
    let end = lines
        .iter()
        .rposition(|l| l.starts_with("processed "))
        .unwrap_or(lines.len());
    lines[..end].iter().rev().find_map(|l| {
        let (n, rest) = l.split_once(": (")?;
        n.parse().ok().filter(|_| rest.len() > 2)
    })
}

/// Whether bpfbox's class `ours` is the class of the kernel's message or
/// of one of its lines.
pub fn same_class(kernel: &str, ours: &str) -> bool {
    classify(kernel) == ours || kernel.split(" / ").any(|l| classify(l) == ours)
}

/// Substrings of kernel messages and the class they belong to, most
/// specific first.
const CLASSES: &[(&str, &str)] = &[
    ("!read_ok", "uninit_reg"),
    ("spin_lock", "lock"),
    ("spin_unlock", "lock"),
    ("dynptr", "dynptr"),
    ("cannot be accessed directly", "special_field"),
    ("doesn't match map pointer", "helper_arg"),
    ("holding a lock", "lock"),
    ("frame pointer is read only", "r10_write"),
    ("frame pointer r10 is read only", "r10_write"),
    ("outside of the packet", "pkt_bounds"),
    ("invalid access to packet", "pkt_bounds"),
    ("_or_null", "null_check"),
    ("Possibly NULL pointer", "null_check"),
    ("invalid access to map value", "map_value_bounds"),
    ("invalid access to memory", "mem_bounds"),
    ("invalid mem access", "bad_deref"),
    ("infinite loop detected", "loop"),
    ("BPF program is too large", "loop"),
    ("back-edge", "loop"),
    ("loop", "loop"),
    ("invalid bpf_context access", "ctx_access"),
    ("variable ctx access", "ctx_access"),
    ("BPF_ATOMIC stores into", "atomic_target"),
    ("modified ctx ptr", "ctx_access"),
    ("ctx is not allowed", "ctx_access"),
    ("At program exit the register R0", "retval"),
    ("At callback return the register R0", "retval"),
    ("callback return the register R0", "retval"),
    ("leaks addr", "retval"),
    ("unknown func", "helper_unavailable"),
    ("cannot use helper", "helper_unavailable"),
    ("Unreleased reference", "ref_leak"),
    ("reference leak", "ref_leak"),
    ("reference has not been acquired", "ref_release"),
    ("release", "ref_release"),
    ("variable-offset", "stack_var_off"),
    ("variable stack access", "stack_var_off"),
    ("combined stack size", "stack_depth"),
    ("frames is too deep", "call_depth"),
    ("stack depth", "stack_depth"),
    ("GPL", "gpl"),
    ("pointer arithmetic", "ptr_arith"),
    ("pointer be out of bounds", "ptr_arith"),
    ("subtract pointer", "ptr_arith"),
    ("pointer comparison", "ptr_arith"),
    ("math between", "ptr_arith"),
    ("on pointer prohibited", "ptr_arith"),
    ("prohibited", "ptr_arith"),
    ("invalid indirect read from stack", "stack_access"),
    ("invalid read from stack", "stack_access"),
    ("invalid write to stack", "stack_access"),
    ("invalid indirect access to stack", "stack_access"),
    ("invalid stack", "stack_access"),
    ("invalid size of register fill", "stack_access"),
    ("cannot pass map_type", "map_type"),
    ("prog array", "map_type"),
    ("expected=", "helper_arg"),
    ("type=", "helper_arg"),
    ("invalid zero-sized read", "helper_size"),
    ("unbounded memory access", "helper_size"),
    ("min value is negative", "helper_size"),
    ("min value is outside", "bounds"),
    ("max value is outside", "bounds"),
    ("value is outside of the allowed memory range", "bounds"),
    ("write into map forbidden", "map_readonly"),
    ("change key", "map_readonly"),
    ("cannot write into", "readonly"),
    ("unreachable insn", "unreachable"),
    ("jump out of range", "jump_out_of_range"),
    ("div by zero", "div_by_zero"),
    ("invalid shift", "bad_shift"),
    ("misaligned", "align"),
    ("arg#", "func_arg"),
    ("is not a scalar", "func_arg"),
    ("size cannot be determined", "func_arg"),
    ("passes invalid args", "func_arg"),
    ("callback", "callback"),
    ("tail_call", "tail_call"),
    ("invalid func", "call"),
    ("not allowed", "not_allowed"),
];

/// The class of a kernel message ("other" when none matches).
pub fn classify(msg: &str) -> &'static str {
    CLASSES
        .iter()
        .find(|(k, _)| msg.contains(k))
        .map_or("other", |(_, c)| c)
}

/// The class of bpfbox's first diagnostic `d` when the kernel refused with
/// message `kernel`: the kernel's own class when `d` quotes one of the
/// kernel's lines word for word (the same message is the same class, even
/// one the table does not know), else [`classify_ours`].
pub fn classify_against(d: &bpfbox_verifier::Diagnostic, kernel: Option<&str>) -> String {
    if let (Some(k), Some(q)) = (kernel, d.kernel.as_deref()) {
        if !q.trim().is_empty() && k.split(" / ").any(|l| l.trim() == q.trim()) {
            return classify(k).to_string();
        }
    }
    classify_ours(d)
}

/// The class of bpfbox's first diagnostic: its kernel line's class, else
/// its message's (a decoding error quotes the kernel's wording), else its
/// own code.
pub fn classify_ours(d: &bpfbox_verifier::Diagnostic) -> String {
    let c = d.kernel.as_deref().map_or("other", classify);
    let c = if c == "other" {
        classify(&d.message)
    } else {
        c
    };
    if c == "other" {
        format!("bpfbox:{}", d.code.name())
    } else {
        c.to_string()
    }
}

pub(crate) fn classifier_reads_typical_logs() {
    let log = "0: R1=ctx() R10=fp0\n0: (61) r2 = *(u32 *)(r1 +0)\n\
               invalid access to packet, off=14 size=1, R2(id=0,off=14,r=14)\n\
               R2 offset is outside of the packet\n\
               processed 5 insns (limit 1000000) max_states_per_insn 0\n";
    assert_eq!(
        error_line(log),
        "invalid access to packet, off=14 size=1, R2(id=0,off=14,r=14) / \
         R2 offset is outside of the packet"
    );
    assert_eq!(classify(&error_line(log)), "pkt_bounds");
    let two = "7: (71) r2 = *(u8 *)(r0 -1)\n\
               invalid access to map value, value_size=8 off=-1 size=1\n\
               R0 min value is outside of the allowed memory range\nprocessed 7 insns\n";
    assert_eq!(error_insn(two), Some(7));
    let line = error_line(two);
    assert_eq!(classify(&line), "map_value_bounds");
    assert!(same_class(&line, "bounds") && same_class(&line, "map_value_bounds"));
    assert!(!same_class(&line, "null_check"));
    let traced = "5: (85) call bpf_map_lookup_elem#1 ; R0=map_value_or_null(id=1)\n\
                  R0 invalid mem access 'scalar'\nprocessed 3 insns\n";
    assert_eq!(error_line(traced), "R0 invalid mem access 'scalar'");
    let glued = "expected prog array map for tail callprocessed 3 insns (limit 1000000)\n";
    assert_eq!(error_line(glued), "expected prog array map for tail call");
    let looped = "infinite loop detected at insn 1\ncur state: R0=1\nold state: R0=1\n\
                  processed 4 insns (limit 1000000)\n";
    assert_eq!(classify(&error_line(looped)), "loop");
    assert_eq!(
        error_line("back-edge from insn 3 to 1\n"),
        "back-edge from insn 3 to 1"
    );
    assert_eq!(classify("R0 !read_ok"), "uninit_reg");
    assert_eq!(classify("something new"), "other");
}

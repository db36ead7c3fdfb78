//! SK_LOOKUP (type 30): `bpf_prog_test_run_sk_lookup` (net/bpf/test_run.c,
//! Linux 6.18) and the lookup step it shares with the real hook
//! (`BPF_PROG_SK_LOOKUP_RUN_ARRAY`, include/linux/filter.h).
//!
//! Checks: expected_attach_type must be `BPF_SK_LOOKUP` (36); `flags`,
//! `cpu`, `batch_size`, any data in or out → `EINVAL`; ctx_in (`struct
//! bpf_sk_lookup`, 72 bytes, `bpf_ctx_init` tail rules) is mandatory
//! (`EINVAL`), its `sk`/`cookie` must be 0 and everything after
//! `local_port` zero (`EINVAL`), `local_port` at most 65535 (`ERANGE`),
//! `family` AF_INET or AF_INET6 (`EAFNOSUPPORT`).
//!
//! The program sees `family`, `protocol` and `local_port` cut to 16 bits,
//! `remote_port` as given (network order), the addresses of its family
//! (the other family's read 0), `ingress_ifindex` 0, and `sk` = the socket
//! selected so far (NULL at first). `bpf_sk_assign` picks a socket a
//! sockmap lookup returned ([`crate::helpers`]: the sockets are bpfbox
//! socket ids, described with [`declare_socket`]). The result is SK_PASS
//! when the program passed or a socket was selected with SK_PASS, else
//! SK_DROP; ctx_out is ctx_in with `cookie` = the selected socket's cookie
//! (its id) when one was selected.

use crate::drivers::{run_with_ctx, LoadedProgram};
use crate::events::sockets::{take_env, SockDesc};
use crate::host::HostState;
use crate::skb::errno;
use crate::testrun::{ctx_finish, ctx_init, finish, TestRunError, TestRunInput, TestRunOutput};

/// `sizeof(struct bpf_sk_lookup)`.
pub const CTX_SIZE: usize = 72;
/// `BPF_SK_LOOKUP`.
pub const ATTACH_SK_LOOKUP: u32 = 36;
/// `EAFNOSUPPORT`.
use bpfbox_uapi::errno::EAFNOSUPPORT;
/// `ERANGE`.
use bpfbox_uapi::errno::ERANGE;

/// Describes socket `desc.id` for later sockmap lookups of sk_lookup
/// programs (protocol, family, state, addresses). Undeclared ids in a
/// sockmap look like TCP listeners of the lookup's family.
pub fn declare_socket(host: &mut HostState, desc: SockDesc) {
    let mut env = take_env(host);
    env.world.descs.insert(desc.id, desc);
    host.event.set(env);
}

/// What one lookup decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LookupResult {
    /// The program's r0.
    pub prog_ret: u32,
    /// `BPF_PROG_SK_LOOKUP_RUN_ARRAY`'s result: SK_PASS (1) or SK_DROP (0).
    pub verdict: u32,
    /// The selected socket (only when the program passed).
    pub selected: Option<u32>,
    /// `BPF_SK_LOOKUP_F_NO_REUSEPORT` given with the selection.
    pub no_reuseport: bool,
    /// Helper calls with visible effects.
    pub log: Vec<serde_json::Value>,
}

/// Runs the program once on the user-visible ctx `uctx` (72 bytes, as
/// the test run's checks left it).
pub fn lookup(
    prog: &LoadedProgram,
    host: &mut HostState,
    uctx: &[u8; CTX_SIZE],
) -> Result<LookupResult, TestRunError> {
    let rd = |o: usize| u32::from_le_bytes([uctx[o], uctx[o + 1], uctx[o + 2], uctx[o + 3]]);
    let family = rd(8) & 0xffff;
    let mut ctx = vec![0u8; CTX_SIZE];
    ctx[8..12].copy_from_slice(&family.to_le_bytes());
    ctx[12..16].copy_from_slice(&(rd(12) & 0xffff).to_le_bytes());
    ctx[36..38].copy_from_slice(&uctx[36..38]);
    ctx[60..64].copy_from_slice(&(rd(60) & 0xffff).to_le_bytes());
    if family == 2 {
        ctx[16..20].copy_from_slice(&uctx[16..20]);
        ctx[40..44].copy_from_slice(&uctx[40..44]);
    } else {
        ctx[20..36].copy_from_slice(&uctx[20..36]);
        ctx[44..60].copy_from_slice(&uctx[44..60]);
    }
    let mut env = take_env(host);
    env.prog_type = 30;
    env.sock = None;
    env.log.clear();
    env.selected = None;
    env.no_reuseport = false;
    env.sk_ptrs.clear();
    env.lookup = Some((family, rd(12) & 0xffff));
    host.event.set(env);
    let run = run_with_ctx(prog, host, &mut ctx, &mut []);
    let mut env = take_env(host);
    let log = std::mem::take(&mut env.log);
    let selected = env.selected.take();
    let no_reuseport = env.no_reuseport;
    env.sk_ptrs.clear();
    env.lookup = None;
    host.event.set(env);
    let r = run.map_err(|t| TestRunError::new(errno::EFAULT, format!("program trapped: {t}")))?;
    let prog_ret = r.retval as u32;
    let pass = prog_ret == 1;
    let selected = selected.filter(|_| pass);
    Ok(LookupResult {
        prog_ret,
        verdict: u32::from(pass || selected.is_some()),
        selected,
        no_reuseport: no_reuseport && selected.is_some(),
        log,
    })
}

/// The SK_LOOKUP test-run driver.
pub fn test_run(
    prog: &LoadedProgram,
    host: &mut HostState,
    input: &TestRunInput,
) -> Result<TestRunOutput, TestRunError> {
    let einval = |m: &str| TestRunError::new(errno::EINVAL, m);
    if prog.expected_attach_type != ATTACH_SK_LOOKUP {
        return Err(einval(
            "sk_lookup programs need expected_attach_type BPF_SK_LOOKUP",
        ));
    }
    if input.flags != 0 || input.cpu != 0 || input.batch_size != 0 {
        return Err(einval(
            "sk_lookup test runs take no flags, cpu or batch_size",
        ));
    }
    if !input.data_in.is_empty() || input.data_size_out.is_some() {
        return Err(einval("sk_lookup test runs take no data"));
    }
    let user = ctx_init(input, CTX_SIZE)?.ok_or_else(|| einval("ctx_in is required"))?;
    let mut uctx = [0u8; CTX_SIZE];
    uctx.copy_from_slice(&user);
    if uctx[..8].iter().any(|b| *b != 0) {
        return Err(einval("ctx_in.sk must be 0"));
    }
    if uctx[64..].iter().any(|b| *b != 0) {
        return Err(einval("ctx_in must be zero after local_port"));
    }
    let rd = |o: usize| u32::from_le_bytes([uctx[o], uctx[o + 1], uctx[o + 2], uctx[o + 3]]);
    if rd(60) > 0xffff {
        return Err(TestRunError::new(ERANGE, "local_port above 65535"));
    }
    if !matches!(rd(8) & 0xffff, 2 | 10) {
        return Err(TestRunError::new(
            EAFNOSUPPORT,
            "family must be AF_INET or AF_INET6",
        ));
    }
    let mut last = None;
    for _ in 0..input.repeat.max(1) {
        last = Some(lookup(prog, host, &uctx)?);
    }
    let res = last.ok_or_else(|| einval("no run"))?;
    if let Some(id) = res.selected {
        uctx[..8].copy_from_slice(&u64::from(id).to_le_bytes());
    }
    let mut out = finish(input, &[], &[], res.verdict, 0);
    ctx_finish(input, &mut out, Some(&uctx));
    Ok(out)
}

//! `BPF_PROG_TYPE_NETFILTER`: the run side (test run:
//! `bpf_prog_test_run_nf`).
//!
//! The program's ctx is `struct bpf_nf_ctx { state, skb }`, two BTF
//! pointers. `state` points at a `struct nf_hook_state` image (48 bytes:
//! `hook`, `pf`, then the `in`, `out`, `sk`, `net` and `okfn` pointers);
//! `skb` and the device pointers are non-null addresses no region covers,
//! so a program may test them against NULL and a load through them traps
//! (bpfbox does not model the kernel's `struct sk_buff` layout; packet bytes
//! reach netfilter programs only through the `bpf_dynptr_from_skb` kfunc).
//!
//! The kernel's rules, in its order: no flags, cpu or batch_size
//! (`EINVAL`); at least 20 bytes of data (`sizeof(struct iphdr)`) and at
//! most the skb runner's 3712 (`EINVAL`); `ctx_in`, when given (or when
//! only `ctx_out` is, as zeros), is a `struct nf_hook_state` whose pointers
//! are all zero and whose `pf` is `NFPROTO_IPV4` (2) or `NFPROTO_IPV6` (10)
//! (`EINVAL`), the hook number is not checked. Without a ctx the hook is
//! `NF_INET_LOCAL_OUT` for IPv4. At any hook but LOCAL_OUT the data is an
//! Ethernet frame of at least 34 bytes whose EtherType must agree with `pf`
//! (`EINVAL`; IPv6 needs 54 bytes) and be IPv4 or IPv6 (`EPROTO`
//! otherwise). Nothing is copied back: `data_size_out` is 0, `ctx_out` and
//! `ctx_size_out` are left alone. When a ctx was given, the kernel fills `out` with the
//! loopback device for every hook (it picks the device by the default hook
//! before copying the user's); bpfbox does the same.

use super::RunOps;
use crate::drivers::skb::SKB_MAX_DATA;
use crate::drivers::{run_with_ctx, ExtraRegion, LoadedProgram};
use crate::host::HostState;
use crate::testrun::{ctx_init, finish, TestRunError, TestRunInput, TestRunOutput};
use bpfbox_interp::RegionKind;
use bpfbox_uapi::errno::{EFAULT, EINVAL, EPROTO};

/// The run side of `BPF_PROG_TYPE_NETFILTER`.
pub static OPS: RunOps = RunOps {
    test_run: Some(test_run),
    event: None,
    helpers: &[],
    after_ctx_rebuild: None,
};

/// `sizeof(struct nf_hook_state)` on 64-bit kernels.
pub const HOOK_STATE_SIZE: usize = 48;
/// `sizeof(struct bpf_nf_ctx)`.
const CTX_SIZE: usize = 16;
/// `NFPROTO_IPV4`.
const NFPROTO_IPV4: u8 = 2;
/// `NFPROTO_IPV6`.
const NFPROTO_IPV6: u8 = 10;
/// `NF_INET_LOCAL_OUT`.
const NF_INET_LOCAL_OUT: u8 = 3;
/// `sizeof(struct iphdr)`.
const IPV4_HDR: usize = 20;
/// `sizeof(struct ipv6hdr)`.
const IPV6_HDR: usize = 40;
/// `ETH_HLEN`.
const ETH_HLEN: usize = 14;

/// The hook state a run sees: (hook, pf, whether the kernel would set
/// `out` to the loopback device).
fn hook_state(input: &TestRunInput) -> Result<(u8, u8, bool), TestRunError> {
    let einval = |m: &str| TestRunError::new(EINVAL, m);
    let Some(user) = ctx_init(input, HOOK_STATE_SIZE)? else {
        return Ok((NF_INET_LOCAL_OUT, NFPROTO_IPV4, false));
    };
    if user[8..24].iter().any(|&b| b != 0) {
        return Err(einval("ctx_in: nf_hook_state.in and .out must be NULL"));
    }
    if user[24..].iter().any(|&b| b != 0) {
        return Err(einval(
            "ctx_in: nf_hook_state.sk, .net and .okfn must be NULL",
        ));
    }
    let (hook, pf) = (user[0], user[1]);
    if pf != NFPROTO_IPV4 && pf != NFPROTO_IPV6 {
        return Err(einval(
            "ctx_in: nf_hook_state.pf must be NFPROTO_IPV4 (2) or NFPROTO_IPV6 (10)",
        ));
    }
    Ok((hook, pf, true))
}

/// The checks on the frame at hooks other than LOCAL_OUT (`eth_type_trans`
/// and the family's header size).
fn check_frame(data: &[u8], pf: u8) -> Result<(), TestRunError> {
    let einval = |m: &str| TestRunError::new(EINVAL, m);
    if data.len() < ETH_HLEN + IPV4_HDR {
        return Err(einval(
            "data_in: an Ethernet frame of at least 34 bytes is needed outside LOCAL_OUT",
        ));
    }
    match u16::from_be_bytes([data[12], data[13]]) {
        0x0800 if pf == NFPROTO_IPV4 => Ok(()),
        0x0800 => Err(einval("data_in: an IPv4 frame for an IPv6 hook")),
        0x86dd if data.len() < ETH_HLEN + IPV6_HDR => {
            Err(einval("data_in: an IPv6 frame needs at least 54 bytes"))
        }
        0x86dd if pf == NFPROTO_IPV6 => Ok(()),
        0x86dd => Err(einval("data_in: an IPv6 frame for an IPv4 hook")),
        _ => Err(TestRunError::new(
            EPROTO,
            "data_in: the EtherType is neither IPv4 nor IPv6",
        )),
    }
}

/// The NETFILTER test-run driver (`bpf_prog_test_run_nf`).
pub fn test_run(
    prog: &LoadedProgram,
    host: &mut HostState,
    input: &TestRunInput,
) -> Result<TestRunOutput, TestRunError> {
    let einval = |m: &str| TestRunError::new(EINVAL, m);
    if input.flags != 0 || input.cpu != 0 || input.batch_size != 0 {
        return Err(einval(
            "netfilter test runs take no flags, cpu or batch_size",
        ));
    }
    let size = input.data_in.len();
    if size < IPV4_HDR {
        return Err(einval("data_in must hold at least 20 bytes"));
    }
    if size > SKB_MAX_DATA {
        return Err(einval("data_in larger than 3712 bytes"));
    }
    let (hook, pf, has_out) = hook_state(input)?;
    if hook != NF_INET_LOCAL_OUT {
        check_frame(&input.data_in, pf)?;
    }
    // Kernel objects bpfbox does not lay out: addresses outside every
    // region (a load through them traps), non-null like the kernel's.
    let opaque = [0u64; 2];
    let skb_addr = &opaque[0] as *const u64 as usize as u64;
    let dev_addr = &opaque[1] as *const u64 as usize as u64;
    let mut state = [0u8; HOOK_STATE_SIZE];
    state[0] = hook;
    state[1] = pf;
    if has_out {
        state[16..24].copy_from_slice(&dev_addr.to_le_bytes());
    }
    let mut retval = 0;
    for _ in 0..input.repeat.max(1) {
        let mut image = state;
        let mut regions = [ExtraRegion {
            bytes: &mut image,
            writable: false,
            kind: RegionKind::ReadOnly,
        }];
        let mut ctx = [0u8; CTX_SIZE];
        ctx[..8].copy_from_slice(&regions[0].addr().to_le_bytes());
        ctx[8..].copy_from_slice(&skb_addr.to_le_bytes());
        let run = run_with_ctx(prog, host, &mut ctx, &mut regions)
            .map_err(|t| TestRunError::new(EFAULT, format!("program trapped: {t}")))?;
        retval = run.retval as u32;
    }
    let mut out = finish(input, &[], &[], retval, 0);
    // ctx_size_out is not written: the caller keeps what it passed.
    out.ctx_size_out = input.ctx_size_out.unwrap_or(0);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ProgType;
    use bpfbox_isa::RawInsn;

    /// r2 = ctx->state; r0 = state->hook << 8 | state->pf; exit
    fn hook_and_pf() -> LoadedProgram {
        let slots = [
            RawInsn::new(0x79, 2, 1, 0, 0),
            RawInsn::new(0x71, 0, 2, 0, 0),
            RawInsn::new(0x67, 0, 0, 0, 8),
            RawInsn::new(0x71, 3, 2, 1, 0),
            RawInsn::new(0x4f, 0, 3, 0, 0),
            RawInsn::new(0x95, 0, 0, 0, 0),
        ];
        LoadedProgram::from_raw(&slots, ProgType::Netfilter, 45).unwrap()
    }

    fn frame(ethertype: u16, len: usize) -> Vec<u8> {
        let mut f = vec![0u8; len];
        f[12..14].copy_from_slice(&ethertype.to_be_bytes());
        f
    }

    #[test]
    fn the_program_sees_the_hook_state() {
        let prog = hook_and_pf();
        let mut host = HostState::default();
        let mut input = TestRunInput {
            data_in: vec![0x45; 20],
            ..Default::default()
        };
        let out = crate::test_run(&prog, &mut host, &input).unwrap();
        assert_eq!(out.retval, 3 << 8 | 2);
        input.data_in = frame(0x86dd, 54);
        input.ctx_in = Some(vec![1, 10]);
        let out = crate::test_run(&prog, &mut host, &input).unwrap();
        assert_eq!((out.retval, out.data_size_out), (1 << 8 | 10, 0));
    }

    #[test]
    fn requests_the_kernel_refuses() {
        let prog = hook_and_pf();
        let errno = |input: &TestRunInput| {
            crate::test_run(&prog, &mut HostState::default(), input)
                .unwrap_err()
                .errno
        };
        let short = TestRunInput {
            data_in: vec![0; 19],
            ..Default::default()
        };
        assert_eq!(errno(&short), EINVAL);
        let ctx_out_only = TestRunInput {
            data_in: vec![0; 20],
            ctx_size_out: Some(48),
            ..Default::default()
        };
        assert_eq!(errno(&ctx_out_only), EINVAL); // pf 0
        let arp = TestRunInput {
            data_in: frame(0x0806, 60),
            ctx_in: Some(vec![0, 2]),
            ..Default::default()
        };
        assert_eq!(errno(&arp), EPROTO);
        let v6_in_v4 = TestRunInput {
            data_in: frame(0x86dd, 60),
            ctx_in: Some(vec![0, 2]),
            ..Default::default()
        };
        assert_eq!(errno(&v6_in_v4), EINVAL);
    }
}

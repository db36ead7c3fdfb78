//! `bpf_prog_test_run_flow_dissector` (net/bpf/test_run.c, Linux 6.18) and
//! the dissection step it shares with the real hook (`bpf_flow_dissect`,
//! net/core/flow_dissector.c).
//!
//! Checks: `flags`, `cpu` or `batch_size` set → `EINVAL`; `data_in` must be
//! 14 (`ETH_HLEN`) ..= 4096 bytes (`bpf_test_init`) → else `EINVAL`;
//! ctx_in is a `struct bpf_flow_keys` (56 bytes, tail rules of
//! `bpf_ctx_init`) in which only `flags` may be non-zero
//! (`verify_user_bpf_flow_keys`) → else `EINVAL`.
//!
//! Each run starts from zeroed flow keys with `n_proto` = the frame's
//! ethertype, `nhoff` = `thoff` = 14 and `flags` from ctx_in; the program
//! sees the `__sk_buff` view with `data` at the Ethernet header (no skb:
//! `bpf_skb_load_bytes` fails with `EFAULT`); afterwards `nhoff` is clamped
//! to `[14, len]` and `thoff` to `[nhoff, len]`. data_out is the final
//! `struct bpf_flow_keys`; ctx_out is ctx_in unchanged (the kernel copies
//! its own unmodified copy back).

use crate::drivers::{run_with_ctx, ExtraRegion, LoadedProgram};
use crate::ctx::SKB_CTX_SIZE;
use crate::host::HostState;
use crate::lowmem::LowBuf;
use crate::packet::ETH_HLEN;
use crate::skb::errno;
use crate::testrun::{
    ctx_finish, ctx_init, finish, TestRunError, TestRunInput, TestRunOutput, PAGE_SIZE,
};
use bpfbox_interp::RegionKind;

/// `sizeof(struct bpf_flow_keys)`.
pub const FLOW_KEYS_SIZE: usize = 56;
/// Offset of `flags` in `struct bpf_flow_keys`.
const FLAGS_OFF: usize = 48;

/// `clamp_t(u16, v, lo, hi)`.
fn clamp16(v: u16, lo: u16, hi: u16) -> u16 {
    v.max(lo).min(hi)
}

/// One `bpf_flow_dissect` on `frame` (data starts at the Ethernet header):
/// returns the program's r0 and the flow keys it left.
pub fn dissect(
    prog: &LoadedProgram,
    host: &mut HostState,
    frame: &[u8],
    flags: u32,
) -> Result<(u32, [u8; FLOW_KEYS_SIZE]), TestRunError> {
    let mut pkt = LowBuf::zeroed(frame.len().max(1))
        .ok_or_else(|| TestRunError::new(errno::ENOMEM, "no memory below 4 GiB for the packet"))?;
    pkt[..frame.len()].copy_from_slice(frame);
    let proto = if frame.len() >= ETH_HLEN {
        [frame[12], frame[13]]
    } else {
        [0, 0]
    };
    let mut keys = [0u8; FLOW_KEYS_SIZE];
    keys[0..2].copy_from_slice(&(ETH_HLEN as u16).to_le_bytes());
    keys[2..4].copy_from_slice(&(ETH_HLEN as u16).to_le_bytes());
    keys[10..12].copy_from_slice(&proto);
    keys[FLAGS_OFF..FLAGS_OFF + 4].copy_from_slice(&flags.to_le_bytes());
    let data = pkt.addr();
    let mut extra = [
        ExtraRegion {
            bytes: &mut pkt[..],
            writable: false,
            kind: RegionKind::Packet,
        },
        ExtraRegion {
            bytes: &mut keys,
            writable: true,
            kind: RegionKind::Mem,
        },
    ];
    let keys_addr = extra[1].addr();
    let mut ctx = vec![0u8; SKB_CTX_SIZE];
    ctx[76..80].copy_from_slice(&(data as u32).to_le_bytes());
    ctx[80..84].copy_from_slice(&((data + frame.len() as u64) as u32).to_le_bytes());
    ctx[144..152].copy_from_slice(&keys_addr.to_le_bytes());
    let r = run_with_ctx(prog, host, &mut ctx, &mut extra)
        .map_err(|t| TestRunError::new(errno::EFAULT, format!("program trapped: {t}")))?;
    let hlen = frame.len().min(usize::from(u16::MAX)) as u16;
    let nhoff = clamp16(
        u16::from_le_bytes([keys[0], keys[1]]),
        ETH_HLEN as u16,
        hlen,
    );
    let thoff = clamp16(u16::from_le_bytes([keys[2], keys[3]]), nhoff, hlen);
    keys[0..2].copy_from_slice(&nhoff.to_le_bytes());
    keys[2..4].copy_from_slice(&thoff.to_le_bytes());
    Ok((r.retval as u32, keys))
}

/// The FLOW_DISSECTOR test-run driver.
pub fn test_run(
    prog: &LoadedProgram,
    host: &mut HostState,
    input: &TestRunInput,
) -> Result<TestRunOutput, TestRunError> {
    if input.flags != 0 || input.cpu != 0 || input.batch_size != 0 {
        return Err(TestRunError::new(
            errno::EINVAL,
            "flow_dissector test runs take no flags, cpu or batch_size",
        ));
    }
    if input.data_in.len() < ETH_HLEN || input.data_in.len() > PAGE_SIZE {
        return Err(TestRunError::new(
            errno::EINVAL,
            "data_in must be an Ethernet frame of 14 ..= 4096 bytes",
        ));
    }
    let user_ctx = ctx_init(input, FLOW_KEYS_SIZE)?;
    let mut flags = 0;
    if let Some(c) = &user_ctx {
        if c[..FLAGS_OFF].iter().any(|b| *b != 0) || c[FLAGS_OFF + 4..].iter().any(|b| *b != 0) {
            return Err(TestRunError::new(
                errno::EINVAL,
                "ctx_in (struct bpf_flow_keys) may set only `flags`",
            ));
        }
        flags = u32::from_le_bytes([
            c[FLAGS_OFF],
            c[FLAGS_OFF + 1],
            c[FLAGS_OFF + 2],
            c[FLAGS_OFF + 3],
        ]);
    }
    let mut last = (0u32, [0u8; FLOW_KEYS_SIZE]);
    for _ in 0..input.repeat.max(1) {
        last = dissect(prog, host, &input.data_in, flags)?;
    }
    let mut out = finish(input, &last.1, &[], last.0, 0);
    ctx_finish(input, &mut out, user_ctx.as_deref());
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clamp_like_clamp_t() {
        assert_eq!(clamp16(0, 14, 60), 14);
        assert_eq!(clamp16(100, 14, 60), 60);
        assert_eq!(clamp16(34, 14, 60), 34);
    }
}

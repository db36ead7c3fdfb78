//! TCP header option helpers of sock_ops (net/core/filter.c):
//! `bpf_load_hdr_opt`, `bpf_store_hdr_opt`, `bpf_reserve_hdr_opt`, with
//! `bpf_search_tcp_opt`'s walk over the options.
//!
//! The callback's packet is [`HdrState`]: the TCP header bytes the program
//! sees between `skb_data` and `skb_data_end` (for WRITE_HDR_OPT_CB the
//! header written so far, followed by the reserved space), the remaining
//! option space, and the SYN's TCP header for `BPF_LOAD_HDR_OPT_TCP_SYN`.

use super::{read_guest, write_guest, HostVm};
use bpfbox_interp::Trap;
use serde_json::json;

const EINVAL: i64 = bpfbox_uapi::errno::EINVAL as i64;
const EPERM: i64 = bpfbox_uapi::errno::EPERM as i64;
const ENOSPC: i64 = bpfbox_uapi::errno::ENOSPC as i64;
const ENOMSG: i64 = bpfbox_uapi::errno::ENOMSG as i64;
const EFAULT: i64 = bpfbox_uapi::errno::EFAULT as i64;
const EEXIST: i64 = bpfbox_uapi::errno::EEXIST as i64;
const ENOENT: i64 = bpfbox_uapi::errno::ENOENT as i64;
/// `TCPOPT_EOL`, `TCPOPT_NOP`, `TCPOPT_EXP`.
const EOL: u8 = 0;
const NOP: u8 = 1;
const EXP: u8 = 254;
/// `sizeof(struct tcphdr)`.
const TCPHDR: usize = 20;
/// sock_ops op numbers.
const PARSE_HDR_OPT_CB: u32 = 13;
const HDR_OPT_LEN_CB: u32 = 14;
const WRITE_HDR_OPT_CB: u32 = 15;

/// The packet of a header-option (or established) callback.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HdrState {
    /// Guest address of `skb_data` (0: no skb).
    pub addr: u64,
    /// Bytes from `skb_data` (the TCP header) plus room for stores.
    pub cap: usize,
    /// `skb_data_end - skb_data`.
    pub end: usize,
    /// `remaining_opt_len`.
    pub remaining: u32,
    /// The SYN's TCP header (`BPF_LOAD_HDR_OPT_TCP_SYN`), if any.
    pub syn: Option<Vec<u8>>,
}

/// `bpf_search_tcp_opt`: the offset of the matching option in `opts`, or
/// (`-errno`, hit end-of-list).
pub fn search(opts: &[u8], kind: u8, magic: &[u8]) -> Result<usize, (i64, bool)> {
    let mut i = 0;
    while i < opts.len() {
        let k = opts[i];
        if k == EOL {
            return Err((-ENOMSG, true));
        }
        if k == NOP {
            i += 1;
            continue;
        }
        let left = opts.len() - i;
        if left < 2 || left < usize::from(opts[i + 1]) || opts[i + 1] < 2 {
            return Err((-EFAULT, false));
        }
        let klen = usize::from(opts[i + 1]);
        if k == kind {
            if magic.is_empty() {
                return Ok(i);
            }
            if magic.len() > klen - 2 {
                return Err((-ENOMSG, false));
            }
            if opts[i + 2..i + 2 + magic.len()] == *magic {
                return Ok(i);
            }
        }
        i += klen;
    }
    Err((-ENOMSG, false))
}

/// `bpf_sock_ops_load_hdr_opt` on `search_res` (the program's buffer of
/// `len` bytes): the bytes to write back and the return value.
pub fn load(
    op: u32,
    hdr: Option<&[u8]>,
    syn: Option<&[u8]>,
    search_res: &[u8],
    flags: u64,
) -> (Option<Vec<u8>>, i64) {
    let len = search_res.len();
    if op > WRITE_HDR_OPT_CB {
        return (None, -95); // EOPNOTSUPP: the timestamping ops hold no lock
    }
    if len < 2 || flags & !1 != 0 {
        return (None, -EINVAL);
    }
    let (kind, slen) = (search_res[0], search_res[1]);
    if usize::from(slen) > len || kind == NOP || kind == EOL {
        return (None, -EINVAL);
    }
    let magic: &[u8] = if kind == EXP || kind == 253 {
        if slen != 4 && slen != 6 {
            return (None, -EINVAL);
        }
        &search_res[2..usize::from(slen)]
    } else {
        if slen != 0 {
            return (None, -EINVAL);
        }
        &[]
    };
    let area = if flags & 1 != 0 {
        match syn {
            Some(s) if s.len() >= TCPHDR => &s[TCPHDR..],
            _ => return (None, -ENOENT),
        }
    } else {
        match hdr {
            Some(h) if op != HDR_OPT_LEN_CB => h.get(TCPHDR..).unwrap_or(&[]),
            _ => return (None, -EPERM),
        }
    };
    match search(area, kind, magic) {
        Ok(i) => {
            let olen = usize::from(area[i + 1]);
            let n = olen.min(len);
            let mut out = search_res.to_vec();
            out[..n].copy_from_slice(&area[i..i + n]);
            let r = if olen > len { -ENOSPC } else { olen as i64 };
            (Some(out), r)
        }
        Err((e, _)) => (None, e),
    }
}

/// `bpf_sock_ops_store_hdr_opt`: checks, then (on success) the option to
/// append at `skb_data_end`.
pub fn store(op: u32, st: &HdrState, hdr: &[u8], from: &[u8], flags: u64) -> Result<Vec<u8>, i64> {
    if op != WRITE_HDR_OPT_CB {
        return Err(-EPERM);
    }
    let len = from.len();
    if len < 2 || flags != 0 {
        return Err(-EINVAL);
    }
    let (kind, klen) = (from[0], usize::from(from[1]));
    if klen > len || kind == NOP || kind == EOL {
        return Err(-EINVAL);
    }
    if klen > st.remaining as usize {
        return Err(-ENOSPC);
    }
    let magic: &[u8] = if kind == EXP || kind == 253 {
        if klen < 4 {
            return Err(-EINVAL);
        }
        &from[2..4]
    } else {
        &[]
    };
    match search(hdr.get(TCPHDR..).unwrap_or(&[]), kind, magic) {
        Ok(_) => Err(-EEXIST),
        Err((e, _)) if e != -ENOMSG => Err(e),
        Err((_, true)) => Err(-ENOSPC),
        Err(_) => Ok(from[..klen].to_vec()),
    }
}

fn state(vm: &mut HostVm<'_>) -> Result<(u32, HdrState), Trap> {
    let trap = vm.helper_error(22);
    let e = vm
        .host
        .event
        .get::<crate::events::sockets::SockEnv>()
        .ok_or(trap)?;
    Ok((e.op, e.hdr.clone().unwrap_or_default()))
}

fn current_hdr(vm: &HostVm<'_>, st: &HdrState) -> Result<Option<Vec<u8>>, Trap> {
    if st.addr == 0 {
        return Ok(None);
    }
    read_guest(vm, st.addr, st.end).map(Some)
}

/// `bpf_load_hdr_opt(skops, searchby_res, len, flags)`.
pub(super) fn load_hdr_opt(vm: &mut HostVm<'_>, a: [u64; 5]) -> Result<u64, Trap> {
    let (op, st) = state(vm)?;
    let buf = read_guest(vm, a[1], a[2] as usize)?;
    let hdr = current_hdr(vm, &st)?;
    let (out, r) = load(op, hdr.as_deref(), st.syn.as_deref(), &buf, a[3]);
    if let Some(o) = out {
        write_guest(vm, a[1], &o)?;
    }
    Ok(r as u64)
}

/// `bpf_store_hdr_opt(skops, from, len, flags)`: appends the option at
/// `skb_data_end`, which moves (the ctx field reads the new end).
pub(super) fn store_hdr_opt(vm: &mut HostVm<'_>, a: [u64; 5]) -> Result<u64, Trap> {
    let (op, st) = state(vm)?;
    let from = read_guest(vm, a[1], a[2] as usize)?;
    let hdr = current_hdr(vm, &st)?.unwrap_or_default();
    let r = match store(op, &st, &hdr, &from, a[3]) {
        Ok(opt) if st.end + opt.len() <= st.cap => {
            write_guest(vm, st.addr + st.end as u64, &opt)?;
            let n = opt.len();
            if let Some((_, ctx)) = vm.host.map.ctx {
                write_guest(
                    vm,
                    ctx + 200,
                    &(st.addr + (st.end + n) as u64).to_le_bytes(),
                )?;
            }
            if let Some(e) = vm.host.event.get_mut::<crate::events::sockets::SockEnv>() {
                if let Some(h) = e.hdr.as_mut() {
                    h.end += n;
                    h.remaining -= n as u32;
                }
                e.log.push(json!({"helper": "store_hdr_opt",
                    "option": crate::events::sockets::hex(&opt), "ret": 0}));
            }
            0
        }
        Ok(_) => -ENOSPC,
        Err(e) => e,
    };
    Ok(r as u64)
}

/// `bpf_reserve_hdr_opt(skops, len, flags)`.
pub(super) fn reserve_hdr_opt(vm: &mut HostVm<'_>, a: [u64; 5]) -> Result<u64, Trap> {
    let (op, st) = state(vm)?;
    let (len, flags) = (a[1] as u32, a[2]);
    let r = if op != HDR_OPT_LEN_CB {
        -EPERM
    } else if flags != 0 || len < 2 {
        -EINVAL
    } else if len > st.remaining {
        -ENOSPC
    } else {
        if let Some(e) = vm.host.event.get_mut::<crate::events::sockets::SockEnv>() {
            if let Some(h) = e.hdr.as_mut() {
                h.remaining -= len;
            } else {
                e.hdr = Some(HdrState {
                    remaining: st.remaining - len,
                    ..Default::default()
                });
            }
        }
        0
    };
    Ok(r as u64)
}

/// Whether `op` is a header-option callback (PARSE, LEN, WRITE).
pub fn is_hdr_op(op: u32) -> bool {
    (PARSE_HDR_OPT_CB..=WRITE_HDR_OPT_CB).contains(&op)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(opts: &[u8]) -> Vec<u8> {
        let mut h = vec![0u8; 20];
        h.extend_from_slice(opts);
        h
    }

    #[test]
    fn search_walks_options_like_the_kernel() {
        let opts = [2, 4, 5, 0xb4, 1, 1, 254, 6, 0xeb, 0x9f, 1, 2, 0];
        assert_eq!(search(&opts, 2, &[]), Ok(0));
        assert_eq!(search(&opts, 254, &[0xeb, 0x9f]), Ok(6));
        assert_eq!(search(&opts, 254, &[0xeb, 0x9e]), Err((-42, true)));
        assert_eq!(search(&[3, 9, 1], 3, &[]), Err((-14, false)));
        assert_eq!(search(&[8, 1], 3, &[]), Err((-14, false)));
    }

    #[test]
    fn load_copies_and_reports_space() {
        let h = header(&[254, 6, 0xeb, 0x9f, 7, 8, 1, 1]);
        let mut q = vec![0u8; 8];
        q[..4].copy_from_slice(&[254, 4, 0xeb, 0x9f]);
        let (out, r) = load(13, Some(&h), None, &q, 0);
        assert_eq!(r, 6);
        assert_eq!(&out.unwrap()[..6], &[254, 6, 0xeb, 0x9f, 7, 8]);
        let (_, r) = load(13, Some(&h), None, &q[..5], 0);
        assert_eq!(r, -28);
        assert_eq!(load(14, Some(&h), None, &q, 0).1, -1);
        assert_eq!(load(13, Some(&h), None, &q, 1).1, -2);
        assert_eq!(load(13, Some(&h), None, &[3, 2], 0).1, -22);
        assert_eq!(load(13, Some(&h), None, &[3, 0, 0], 0).1, -42);
        assert_eq!(load(16, Some(&h), None, &q, 0).1, -95);
    }

    #[test]
    fn store_checks_duplicates_and_space() {
        let st = HdrState {
            remaining: 8,
            ..Default::default()
        };
        let h = header(&[254, 6, 0xeb, 0x9f, 0, 0]);
        assert_eq!(store(15, &st, &h, &[254, 6, 0xeb, 0x9f, 1, 2], 0), Err(-17));
        assert_eq!(
            store(15, &st, &h, &[254, 4, 0xeb, 0x9e], 0).unwrap().len(),
            4
        );
        assert_eq!(
            store(15, &st, &h, &[253, 10, 1, 2, 3, 4, 5, 6, 7, 8], 0),
            Err(-28)
        );
        assert_eq!(store(14, &st, &h, &[254, 4, 0xeb, 0x9e], 0), Err(-1));
        assert_eq!(store(15, &st, &header(&[0]), &[9, 2], 0), Err(-28));
    }
}

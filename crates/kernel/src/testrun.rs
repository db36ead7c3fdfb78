//! `BPF_PROG_TEST_RUN`: run a loaded program on given input
//! (net/bpf/test_run.c).

use crate::error::{Errno, Error};
use crate::prog::KernelProg;
use crate::sys::{self, cmd, TestRunAttr};
use std::os::fd::AsRawFd;

/// Extra output capacity [`TestRun::packet`] reserves beyond the input, for
/// programs that grow the packet (`bpf_xdp_adjust_head`, `bpf_skb_change_tail`).
pub const DEFAULT_EXTRA_OUT: u32 = 4096;

/// Inputs of one `BPF_PROG_TEST_RUN` (the `test` member of
/// `union bpf_attr`). All fields are public; start from
/// [`TestRun::default`] or [`TestRun::packet`].
#[derive(Debug, Clone, Default)]
pub struct TestRun<'a> {
    /// Packet (or other data) input.
    pub data_in: Option<&'a [u8]>,
    /// Capacity of the data output buffer. 0 passes a null `data_out`, so
    /// nothing is copied (the kernel still reports the size).
    pub data_size_out: u32,
    /// Context input (`struct __sk_buff`, `struct xdp_md`, ...).
    pub ctx_in: Option<&'a [u8]>,
    /// Capacity of the context output buffer; 0 passes a null `ctx_out`.
    pub ctx_size_out: u32,
    /// Number of runs (0 is treated as 1 by the kernel).
    pub repeat: u32,
    /// `BPF_F_TEST_*` flags.
    pub flags: u32,
    /// CPU to run on (with `BPF_F_TEST_RUN_ON_CPU`).
    pub cpu: u32,
    /// XDP live-frames batch size.
    pub batch_size: u32,
}

impl<'a> TestRun<'a> {
    /// A run on packet `data` with an output buffer of
    /// `data.len() + DEFAULT_EXTRA_OUT` bytes.
    pub fn packet(data: &'a [u8]) -> Self {
        TestRun {
            data_in: Some(data),
            data_size_out: (data.len() as u32).saturating_add(DEFAULT_EXTRA_OUT),
            ..Default::default()
        }
    }
}

/// What the kernel reported. For a run that ended in ENOSPC (an output
/// buffer smaller than the output) the kernel still reports `retval`,
/// `duration` and the truncated data; such runs are returned as `Ok` with
/// `errno` set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestRunOutput {
    /// The program's return value (low 32 bits of r0).
    pub retval: u32,
    /// Mean duration of one run in ns.
    pub duration_ns: u32,
    /// Output data, truncated to `min(capacity, data_size_out)`.
    pub data_out: Vec<u8>,
    /// The full output size as the kernel reported it (may exceed the
    /// capacity, then `errno` is ENOSPC).
    pub data_size_out: u32,
    /// Output context, truncated to `min(capacity, ctx_size_out)`. After a
    /// data ENOSPC the kernel skips the context copy, so this is then the
    /// zeroed buffer.
    pub ctx_out: Vec<u8>,
    /// The context size the kernel reported (the capacity when it did not
    /// write one).
    pub ctx_size_out: u32,
    /// `Some(ENOSPC)` for a truncated but otherwise complete run.
    pub errno: Option<Errno>,
    /// The `ctx_in` buffer after the call: BPF_PROG_TYPE_SYSCALL programs
    /// write their context back into `ctx_in` rather than `ctx_out`
    /// (`bpf_prog_test_run_syscall`).
    pub ctx_in_after: Vec<u8>,
}

impl KernelProg {
    /// Runs the program with `BPF_PROG_TEST_RUN`.
    ///
    /// Errors other than ENOSPC (EINVAL for a bad packet size, ENOTSUPP for
    /// types without a runner, E2BIG for a non-zero ctx tail, ...) are
    /// returned as [`crate::ErrorKind::Syscall`] with the errno.
    pub fn test_run(&self, t: &TestRun<'_>) -> Result<TestRunOutput, Error> {
        const OP: &str = "BPF_PROG_TEST_RUN";
        let data_in = t.data_in.unwrap_or(&[]);
        // An owned copy: the kernel may write it (SYSCALL's copy back).
        let mut ctx_in = t.ctx_in.unwrap_or(&[]).to_vec();
        let len32 = |s: &[u8], what: &str| {
            u32::try_from(s.len()).map_err(|_| Error::invalid(OP, format!("{what} too large")))
        };
        let data_size_in = len32(data_in, "data_in")?;
        let ctx_size_in = len32(&ctx_in, "ctx_in")?;
        let mut data_out = vec![0u8; t.data_size_out as usize];
        let mut ctx_out = vec![0u8; t.ctx_size_out as usize];
        let mut a = TestRunAttr {
            prog_fd: self.as_raw_fd() as u32,
            data_size_in,
            data_size_out: t.data_size_out,
            data_in: sys::slice_ptr(data_in),
            data_out: sys::out_ptr(&mut data_out),
            repeat: t.repeat,
            ctx_size_in,
            ctx_size_out: t.ctx_size_out,
            ctx_in: sys::out_ptr(&mut ctx_in),
            ctx_out: sys::out_ptr(&mut ctx_out),
            flags: t.flags,
            cpu: t.cpu,
            batch_size: t.batch_size,
            ..Default::default()
        };
        // SAFETY: data_in/ctx_in point to live buffers of the given sizes
        // (ctx_in is an owned, writable copy);
        // data_out/ctx_out are live writable buffers whose capacity is the
        // non-zero size passed with them (a zero capacity passes a null
        // pointer, because the kernel treats a zero `data_size_out` as
        // "unbounded").
        let r = unsafe { sys::bpf(cmd::PROG_TEST_RUN, &mut a) };
        let errno = match r {
            Ok(_) => None,
            Err(e) if e.0 == libc::ENOSPC => Some(e),
            Err(e) => return Err(Error::sys(OP, e)),
        };
        data_out.truncate(a.data_size_out.min(t.data_size_out) as usize);
        ctx_out.truncate(a.ctx_size_out.min(t.ctx_size_out) as usize);
        Ok(TestRunOutput {
            retval: a.retval,
            duration_ns: a.duration,
            data_out,
            data_size_out: a.data_size_out,
            ctx_out,
            ctx_size_out: a.ctx_size_out,
            errno,
            ctx_in_after: ctx_in,
        })
    }
}

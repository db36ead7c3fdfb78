//! `BPF_PROG_TEST_RUN` request and result, and the rules every runner of
//! net/bpf/test_run.c shares: `bpf_ctx_init` (ctx_in size and zero tail),
//! `bpf_test_finish` (data_out clamping and `ENOSPC`) and `bpf_ctx_finish`.

use crate::skb::errno;

/// `PAGE_SIZE` on x86-64.
pub const PAGE_SIZE: usize = 4096;

/// The `test` part of `union bpf_attr` as a caller fills it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TestRunInput {
    /// `data_in` (`data_size_in` is its length).
    pub data_in: Vec<u8>,
    /// `data_out` buffer: `None` = no buffer (NULL `data_out`);
    /// `Some(n)` = a buffer with `data_size_out = n` (0 = no size hint, the
    /// kernel then copies everything).
    pub data_size_out: Option<u32>,
    /// `ctx_in` (`ctx_size_in` is its length); `None` = NULL.
    pub ctx_in: Option<Vec<u8>>,
    /// `ctx_out` buffer: `None` = NULL, `Some(n)` = `ctx_size_out = n`.
    pub ctx_size_out: Option<u32>,
    /// `repeat` (0 counts as 1).
    pub repeat: u32,
    /// `flags`.
    pub flags: u32,
    /// `cpu`.
    pub cpu: u32,
    /// `batch_size`.
    pub batch_size: u32,
}

/// What `BPF_PROG_TEST_RUN` reports when it gets as far as running the
/// program.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TestRunOutput {
    /// `retval` (low 32 bits of r0).
    pub retval: u32,
    /// The bytes copied to `data_out` (empty without a buffer).
    pub data_out: Vec<u8>,
    /// `data_size_out` as written back: the full output size, even when
    /// `data_out` was truncated.
    pub data_size_out: u32,
    /// The bytes copied to `ctx_out`, when a ctx was in play and a buffer
    /// given.
    pub ctx_out: Option<Vec<u8>>,
    /// `ctx_size_out` as written back.
    pub ctx_size_out: u32,
    /// `duration`: mean wall-clock ns per run, measured around the repeat
    /// loop as the kernel's `bpf_test_timer` does (the interpreter's time,
    /// so not comparable with the kernel's number).
    pub duration_ns: u32,
    /// The syscall's error when it still wrote results: `ENOSPC` for a
    /// truncated `data_out`/`ctx_out`.
    pub errno: Option<i32>,
}

/// A test run the kernel refuses (nothing but the errno is reported).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("test run failed with errno {errno}: {message}")]
pub struct TestRunError {
    /// Positive errno (`EINVAL`, `E2BIG`, `ENODEV`, `ENOTSUPP` = 524, ...).
    pub errno: i32,
    /// Which rule refused the request.
    pub message: String,
}

impl TestRunError {
    /// An error with this errno and message.
    pub fn new(errno: i32, message: impl Into<String>) -> Self {
        TestRunError {
            errno,
            message: message.into(),
        }
    }
}

/// `bpf_ctx_init`: the kernel-side copy of the user ctx, zero-extended to
/// `max_size`; `None` when neither `ctx_in` nor `ctx_out` is given.
pub fn ctx_init(input: &TestRunInput, max_size: usize) -> Result<Option<Vec<u8>>, TestRunError> {
    if input.ctx_in.is_none() && input.ctx_size_out.is_none() {
        return Ok(None);
    }
    let mut ctx = vec![0u8; max_size];
    if let Some(ci) = &input.ctx_in {
        // bpf_check_uarg_tail_zero
        if ci.len() > PAGE_SIZE {
            return Err(TestRunError::new(errno::E2BIG, "ctx_in larger than a page"));
        }
        if ci.len() > max_size && ci[max_size..].iter().any(|&b| b != 0) {
            return Err(TestRunError::new(
                errno::E2BIG,
                format!("ctx_in has non-zero bytes past the {max_size}-byte ctx"),
            ));
        }
        let n = ci.len().min(max_size);
        ctx[..n].copy_from_slice(&ci[..n]);
    }
    Ok(Some(ctx))
}

/// `bpf_test_finish` for linear data followed by fragments: fills
/// `data_out`, `data_size_out`, `retval`, `duration`, and `errno` =
/// `ENOSPC` when the caller's size hint is too small.
pub fn finish(
    input: &TestRunInput,
    linear: &[u8],
    frags: &[Vec<u8>],
    retval: u32,
    duration: u32,
) -> TestRunOutput {
    let frags_len: usize = frags.iter().map(Vec::len).sum();
    let size = linear.len() + frags_len;
    let mut copy = size;
    let mut err = None;
    if let Some(hint) = input.data_size_out {
        if hint != 0 && copy > hint as usize {
            copy = hint as usize;
            err = Some(errno::ENOSPC);
        }
    }
    let mut out = Vec::new();
    if input.data_size_out.is_some() {
        if copy < frags_len {
            // `len` would be negative: nothing copied, and retval,
            // data_size_out and duration are not written back either (the
            // caller keeps what it passed in).
            return TestRunOutput {
                errno: Some(errno::ENOSPC),
                data_size_out: input.data_size_out.unwrap_or(0),
                ..TestRunOutput::default()
            };
        }
        let lin = copy - frags_len;
        out.extend_from_slice(&linear[..lin.min(linear.len())]);
        for f in frags {
            if out.len() >= copy {
                err = Some(errno::ENOSPC);
                break;
            }
            let n = (copy - out.len()).min(f.len());
            out.extend_from_slice(&f[..n]);
        }
    }
    TestRunOutput {
        retval,
        data_out: out,
        data_size_out: size as u32,
        ctx_out: None,
        ctx_size_out: 0,
        duration_ns: duration,
        errno: err,
    }
}

/// `bpf_ctx_finish`: copies the converted ctx back when both a ctx and a
/// `ctx_out` buffer exist (only called when `finish` succeeded).
pub fn ctx_finish(input: &TestRunInput, out: &mut TestRunOutput, ctx: Option<&[u8]>) {
    let (Some(ctx), Some(cap)) = (ctx, input.ctx_size_out) else {
        return;
    };
    let n = ctx.len().min(cap as usize);
    out.ctx_out = Some(ctx[..n].to_vec());
    out.ctx_size_out = ctx.len() as u32;
    if (cap as usize) < ctx.len() {
        out.errno = Some(errno::ENOSPC);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ctx_tail_rules() {
        let mut i = TestRunInput::default();
        assert_eq!(ctx_init(&i, 24).unwrap(), None);
        i.ctx_size_out = Some(24);
        assert_eq!(ctx_init(&i, 24).unwrap(), Some(vec![0; 24]));
        let mut big = vec![0u8; 30];
        big[2] = 7;
        i.ctx_in = Some(big.clone());
        assert_eq!(ctx_init(&i, 24).unwrap().unwrap()[2], 7);
        big[29] = 1;
        i.ctx_in = Some(big);
        assert_eq!(ctx_init(&i, 24).unwrap_err().errno, errno::E2BIG);
    }

    #[test]
    fn finish_truncates_with_enospc() {
        let mut i = TestRunInput {
            data_size_out: Some(10),
            ..Default::default()
        };
        let o = finish(&i, &[1u8; 64], &[], 1, 0);
        assert_eq!(
            (o.data_out.len(), o.data_size_out, o.errno),
            (10, 64, Some(errno::ENOSPC))
        );
        i.data_size_out = Some(0);
        let o = finish(&i, &[1u8; 64], &[vec![2; 5]], 1, 0);
        assert_eq!((o.data_out.len(), o.data_size_out, o.errno), (69, 69, None));
        i.data_size_out = None;
        assert!(finish(&i, &[1u8; 64], &[], 1, 0).data_out.is_empty());
    }
}

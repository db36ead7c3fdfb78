//! Linux errno values (`include/uapi/asm-generic/errno-base.h`,
//! `errno.h` and the kernel-internal `include/linux/errno.h`), positive as
//! in C. Helpers return them negated; `bpf(2)` sets them as `errno`.

/// Operation not permitted.
pub const EPERM: i32 = 1;
/// No such file or directory (no such element).
pub const ENOENT: i32 = 2;
/// Interrupted system call.
pub const EINTR: i32 = 4;
/// No such device or address (a CPU the host does not have).
pub const ENXIO: i32 = 6;
/// Argument list too long (full map, index out of range, loop limits).
pub const E2BIG: i32 = 7;
/// Bad file descriptor.
pub const EBADF: i32 = 9;
/// Try again.
pub const EAGAIN: i32 = 11;
/// Out of memory.
pub const ENOMEM: i32 = 12;
/// Permission denied.
pub const EACCES: i32 = 13;
/// Bad address.
pub const EFAULT: i32 = 14;
/// Device or resource busy.
pub const EBUSY: i32 = 16;
/// File (element) exists.
pub const EEXIST: i32 = 17;
/// No such device.
pub const ENODEV: i32 = 19;
/// Invalid argument.
pub const EINVAL: i32 = 22;
/// No space left.
pub const ENOSPC: i32 = 28;
/// Numerical result out of range.
pub const ERANGE: i32 = 34;
/// No message of desired type (TCP header option not found).
pub const ENOMSG: i32 = 42;
/// Bad message.
pub const EBADMSG: i32 = 74;
/// Protocol error.
pub const EPROTO: i32 = 71;
/// Value too large for defined data type.
pub const EOVERFLOW: i32 = 75;
/// Message too long.
pub const EMSGSIZE: i32 = 90;
/// Protocol wrong type for socket.
pub const EPROTOTYPE: i32 = 91;
/// Socket type not supported.
pub const ESOCKTNOSUPPORT: i32 = 94;
/// Operation not supported (user-visible `EOPNOTSUPP`).
pub const EOPNOTSUPP: i32 = 95;
/// Address family not supported by protocol.
pub const EAFNOSUPPORT: i32 = 97;
/// Operation already in progress.
pub const EALREADY: i32 = 114;
/// Kernel-internal "operation not supported" (524); leaks to user space
/// from `bpf()` (e.g. `BPF_PROG_TEST_RUN` for types without a runner).
pub const ENOTSUPP: i32 = 524;

/// The symbolic name of an errno value listed here (`"EPERM"`).
pub fn name(e: i32) -> Option<&'static str> {
    Some(match e {
        EPERM => "EPERM",
        ENOENT => "ENOENT",
        EINTR => "EINTR",
        ENXIO => "ENXIO",
        E2BIG => "E2BIG",
        EBADF => "EBADF",
        EAGAIN => "EAGAIN",
        ENOMEM => "ENOMEM",
        EACCES => "EACCES",
        EFAULT => "EFAULT",
        EBUSY => "EBUSY",
        EEXIST => "EEXIST",
        ENODEV => "ENODEV",
        EINVAL => "EINVAL",
        ENOSPC => "ENOSPC",
        ERANGE => "ERANGE",
        ENOMSG => "ENOMSG",
        EBADMSG => "EBADMSG",
        EOVERFLOW => "EOVERFLOW",
        EMSGSIZE => "EMSGSIZE",
        EPROTOTYPE => "EPROTOTYPE",
        ESOCKTNOSUPPORT => "ESOCKTNOSUPPORT",
        EOPNOTSUPP => "EOPNOTSUPP",
        EAFNOSUPPORT => "EAFNOSUPPORT",
        EALREADY => "EALREADY",
        ENOTSUPP => "ENOTSUPP",
        _ => return None,
    })
}

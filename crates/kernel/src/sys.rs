//! The raw `bpf(2)` system call and the `union bpf_attr` members this crate
//! uses, laid out as on Linux 6.18 (`include/uapi/linux/bpf.h`).
//!
//! The installed uapi header is older than the running kernel, so the layouts
//! are written out here. Every struct is `#[repr(C)]` with all padding made
//! explicit as named fields: a derived `Default` then zeroes every byte,
//! which matters because the kernel rejects attributes whose bytes past the
//! last field it knows for a command are non-zero (`CHECK_ATTR` in
//! kernel/bpf/syscall.c).

use crate::error::Errno;
use std::os::fd::{FromRawFd, OwnedFd, RawFd};

/// `enum bpf_cmd` values (from bpfbox-uapi).
pub(crate) use bpfbox_uapi::cmd;

/// The `BPF_MAP_CREATE` member (96 bytes on 6.18).
#[repr(C)]
#[derive(Default)]
pub(crate) struct MapCreateAttr {
    pub map_type: u32,
    pub key_size: u32,
    pub value_size: u32,
    pub max_entries: u32,
    pub map_flags: u32,
    pub inner_map_fd: u32,
    pub numa_node: u32,
    pub map_name: [u8; 16],
    pub map_ifindex: u32,
    pub btf_fd: u32,
    pub btf_key_type_id: u32,
    pub btf_value_type_id: u32,
    pub btf_vmlinux_value_type_id: u32,
    pub map_extra: u64,
    pub value_type_btf_obj_fd: i32,
    pub map_token_fd: i32,
    pub excl_prog_hash: u64,
    pub excl_prog_hash_size: u32,
    pub _pad: u32,
}

/// The map element member shared by lookup, update, delete, get-next-key,
/// lookup-and-delete and freeze (32 bytes).
#[repr(C)]
#[derive(Default)]
pub(crate) struct MapElemAttr {
    pub map_fd: u32,
    pub _pad: u32,
    pub key: u64,
    /// `value` or `next_key`.
    pub value: u64,
    pub flags: u64,
}

/// The `BPF_MAP_*_BATCH` member (56 bytes).
#[repr(C)]
#[derive(Default)]
pub(crate) struct MapBatchAttr {
    pub in_batch: u64,
    pub out_batch: u64,
    pub keys: u64,
    pub values: u64,
    /// In: room in `keys`/`values`; out: elements copied.
    pub count: u32,
    pub map_fd: u32,
    pub elem_flags: u64,
    pub flags: u64,
}

/// The `BPF_PROG_LOAD` member (168 bytes on 6.18).
#[repr(C)]
#[derive(Default)]
pub(crate) struct ProgLoadAttr {
    pub prog_type: u32,
    pub insn_cnt: u32,
    pub insns: u64,
    pub license: u64,
    pub log_level: u32,
    pub log_size: u32,
    pub log_buf: u64,
    pub kern_version: u32,
    pub prog_flags: u32,
    pub prog_name: [u8; 16],
    pub prog_ifindex: u32,
    pub expected_attach_type: u32,
    pub prog_btf_fd: u32,
    pub func_info_rec_size: u32,
    pub func_info: u64,
    pub func_info_cnt: u32,
    pub line_info_rec_size: u32,
    pub line_info: u64,
    pub line_info_cnt: u32,
    pub attach_btf_id: u32,
    /// `attach_prog_fd` or `attach_btf_obj_fd`.
    pub attach_fd: u32,
    pub core_relo_cnt: u32,
    pub fd_array: u64,
    pub core_relos: u64,
    pub core_relo_rec_size: u32,
    pub log_true_size: u32,
    pub prog_token_fd: i32,
    pub fd_array_cnt: u32,
    pub signature: u64,
    pub signature_size: u32,
    pub keyring_id: i32,
}

/// The `BPF_PROG_TEST_RUN` member (`test`, 76 bytes, padded to 80).
#[repr(C)]
#[derive(Default)]
pub(crate) struct TestRunAttr {
    pub prog_fd: u32,
    pub retval: u32,
    pub data_size_in: u32,
    pub data_size_out: u32,
    pub data_in: u64,
    pub data_out: u64,
    pub repeat: u32,
    pub duration: u32,
    pub ctx_size_in: u32,
    pub ctx_size_out: u32,
    pub ctx_in: u64,
    pub ctx_out: u64,
    pub flags: u32,
    pub cpu: u32,
    pub batch_size: u32,
    pub _pad: u32,
}

/// The `BPF_OBJ_GET_INFO_BY_FD` member (`info`, 16 bytes).
#[repr(C)]
#[derive(Default)]
pub(crate) struct InfoAttr {
    pub bpf_fd: u32,
    pub info_len: u32,
    pub info: u64,
}

/// The `BPF_BTF_LOAD` member (40 bytes).
#[repr(C)]
#[derive(Default)]
pub(crate) struct BtfLoadAttr {
    pub btf: u64,
    pub btf_log_buf: u64,
    pub btf_size: u32,
    pub btf_log_size: u32,
    pub btf_log_level: u32,
    pub btf_log_true_size: u32,
    pub btf_flags: u32,
    pub btf_token_fd: i32,
}

/// `struct bpf_prog_info` as on 6.18 (232 bytes).
#[repr(C)]
#[derive(Default, Clone)]
pub(crate) struct ProgInfoRaw {
    pub prog_type: u32,
    pub id: u32,
    pub tag: [u8; 8],
    pub jited_prog_len: u32,
    pub xlated_prog_len: u32,
    pub jited_prog_insns: u64,
    pub xlated_prog_insns: u64,
    pub load_time: u64,
    pub created_by_uid: u32,
    pub nr_map_ids: u32,
    pub map_ids: u64,
    pub name: [u8; 16],
    pub ifindex: u32,
    /// Bit 0: `gpl_compatible`.
    pub flags: u32,
    pub netns_dev: u64,
    pub netns_ino: u64,
    pub nr_jited_ksyms: u32,
    pub nr_jited_func_lens: u32,
    pub jited_ksyms: u64,
    pub jited_func_lens: u64,
    pub btf_id: u32,
    pub func_info_rec_size: u32,
    pub func_info: u64,
    pub nr_func_info: u32,
    pub nr_line_info: u32,
    pub line_info: u64,
    pub jited_line_info: u64,
    pub nr_jited_line_info: u32,
    pub line_info_rec_size: u32,
    pub jited_line_info_rec_size: u32,
    pub nr_prog_tags: u32,
    pub prog_tags: u64,
    pub run_time_ns: u64,
    pub run_cnt: u64,
    pub recursion_misses: u64,
    pub verified_insns: u32,
    pub attach_btf_obj_id: u32,
    pub attach_btf_id: u32,
    pub _pad: u32,
}

/// `struct bpf_map_info` as on 6.18 (104 bytes).
#[repr(C)]
#[derive(Default, Clone)]
pub(crate) struct MapInfoRaw {
    pub map_type: u32,
    pub id: u32,
    pub key_size: u32,
    pub value_size: u32,
    pub max_entries: u32,
    pub map_flags: u32,
    pub name: [u8; 16],
    pub ifindex: u32,
    pub btf_vmlinux_value_type_id: u32,
    pub netns_dev: u64,
    pub netns_ino: u64,
    pub btf_id: u32,
    pub btf_key_type_id: u32,
    pub btf_value_type_id: u32,
    pub btf_vmlinux_id: u32,
    pub map_extra: u64,
    pub hash: u64,
    pub hash_size: u32,
    pub _pad: u32,
}

// The sizes the 6.18 kernel expects (see the module docs); a wrong field
// would shift everything after it.
const _: () = assert!(std::mem::size_of::<MapCreateAttr>() == 96);
const _: () = assert!(std::mem::size_of::<MapElemAttr>() == 32);
const _: () = assert!(std::mem::size_of::<MapBatchAttr>() == 56);
const _: () = assert!(std::mem::size_of::<ProgLoadAttr>() == 168);
const _: () = assert!(std::mem::size_of::<TestRunAttr>() == 80);
const _: () = assert!(std::mem::size_of::<InfoAttr>() == 16);
const _: () = assert!(std::mem::size_of::<BtfLoadAttr>() == 40);
const _: () = assert!(std::mem::size_of::<ProgInfoRaw>() == 232);
const _: () = assert!(std::mem::size_of::<MapInfoRaw>() == 104);

/// Marker for the attribute structs above: plain old data, every bit
/// pattern valid, no implicit padding.
///
/// # Safety
/// Implementors must be `#[repr(C)]` without implicit padding and contain
/// only integers and integer arrays.
pub(crate) unsafe trait Attr: Sized {}
unsafe impl Attr for MapCreateAttr {}
unsafe impl Attr for MapElemAttr {}
unsafe impl Attr for MapBatchAttr {}
unsafe impl Attr for ProgLoadAttr {}
unsafe impl Attr for TestRunAttr {}
unsafe impl Attr for InfoAttr {}
unsafe impl Attr for BtfLoadAttr {}

/// Calls `bpf(cmd, attr, sizeof(*attr))`, returning the non-negative result
/// or the errno.
///
/// # Safety
/// Every pointer stored in `attr` must be null or valid for the access the
/// kernel makes for `cmd` (reads of the given sizes, writes for output
/// buffers), for the duration of the call.
pub(crate) unsafe fn bpf<A: Attr>(cmd: i32, attr: &mut A) -> Result<i64, Errno> {
    // SAFETY: `attr` is a valid, exclusively borrowed, fully initialised
    // struct of the size passed; pointers inside are the caller's duty.
    let r = unsafe {
        libc::syscall(
            libc::SYS_bpf,
            cmd as libc::c_long,
            attr as *mut A as *mut libc::c_void,
            std::mem::size_of::<A>() as libc::c_uint,
        )
    };
    if r < 0 {
        Err(Errno::last())
    } else {
        Ok(r as i64)
    }
}

/// Like [`bpf`] for commands that return a new file descriptor.
///
/// # Safety
/// As for [`bpf`].
pub(crate) unsafe fn bpf_fd<A: Attr>(cmd: i32, attr: &mut A) -> Result<OwnedFd, Errno> {
    // SAFETY: forwarded to the caller.
    let fd = unsafe { bpf(cmd, attr)? };
    // SAFETY: on success these commands return a fresh fd we now own.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as RawFd) })
}

/// A user pointer as the kernel wants it: a `u64`, 0 for none.
pub(crate) fn ptr<T>(p: *const T) -> u64 {
    p as usize as u64
}

/// A user pointer to an input slice, or 0 when the slice is empty.
pub(crate) fn slice_ptr<T>(s: &[T]) -> u64 {
    if s.is_empty() {
        0
    } else {
        ptr(s.as_ptr())
    }
}

/// A user pointer to an output buffer the kernel writes, or 0 when empty.
/// Derived from a unique borrow so the write is permitted.
pub(crate) fn out_ptr<T>(s: &mut [T]) -> u64 {
    if s.is_empty() {
        0
    } else {
        ptr(s.as_mut_ptr())
    }
}

/// Copies `name` into a fixed 16-byte, NUL-terminated object name,
/// truncating to 15 bytes as libbpf does.
pub(crate) fn obj_name(name: &str) -> [u8; 16] {
    let mut out = [0u8; 16];
    let b = name.as_bytes();
    let n = b.len().min(15);
    out[..n].copy_from_slice(&b[..n]);
    out
}

/// The name stored in a fixed-size, NUL-padded kernel buffer.
pub(crate) fn name_from(buf: &[u8]) -> String {
    let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    String::from_utf8_lossy(&buf[..end]).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_truncate_and_terminate() {
        let n = obj_name("a_very_long_program_name");
        assert_eq!(&n[..15], b"a_very_long_pro");
        assert_eq!(n[15], 0);
        assert_eq!(name_from(&obj_name("xdp")), "xdp");
    }

    #[test]
    fn offsets_match_the_uapi() {
        use std::mem::offset_of;
        assert_eq!(offset_of!(ProgLoadAttr, prog_name), 48);
        assert_eq!(offset_of!(ProgLoadAttr, expected_attach_type), 68);
        assert_eq!(offset_of!(ProgLoadAttr, fd_array), 120);
        assert_eq!(offset_of!(ProgLoadAttr, log_true_size), 140);
        assert_eq!(offset_of!(ProgLoadAttr, fd_array_cnt), 148);
        assert_eq!(offset_of!(TestRunAttr, ctx_in), 48);
        assert_eq!(offset_of!(TestRunAttr, batch_size), 72);
        assert_eq!(offset_of!(MapCreateAttr, map_extra), 64);
        assert_eq!(offset_of!(MapCreateAttr, excl_prog_hash), 80);
        assert_eq!(offset_of!(ProgInfoRaw, name), 64);
        assert_eq!(offset_of!(ProgInfoRaw, verified_insns), 216);
    }
}

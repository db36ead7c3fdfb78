//! A zeroed, 8-byte-aligned heap block addressed only through a raw pointer.
//!
//! Program-side helpers hand out host addresses of map values; the
//! interpreter writes through them between calls. Keeping the storage behind a
//! raw pointer (never behind a long-lived `&mut [u8]`) keeps those writes sound,
//! and the block never moves, so the addresses stay valid until it is dropped.

use crate::error::{err, errno::ENOMEM, MapError};
use std::alloc::{alloc_zeroed, dealloc, Layout};
use std::ptr::NonNull;

pub(crate) struct RawBuf {
    ptr: NonNull<u8>,
    len: usize,
    layout: Layout,
}

// SAFETY: RawBuf exclusively owns its allocation, like a Box<[u8]>.
unsafe impl Send for RawBuf {}
// SAFETY: shared access only reads through `as_slice`; writes need `&mut self`
// or go through raw pointers handed out by `&mut` methods.
unsafe impl Sync for RawBuf {}

impl RawBuf {
    /// Allocate `len` zero bytes (at least 8 are reserved). Fails with ENOMEM.
    pub(crate) fn zeroed(len: usize) -> Result<RawBuf, MapError> {
        let size = len.max(8);
        let layout = Layout::from_size_align(size, 8)
            .map_err(|_| err(ENOMEM, format!("cannot allocate {len} bytes")))?;
        // SAFETY: layout has non-zero size.
        let p = unsafe { alloc_zeroed(layout) };
        let ptr =
            NonNull::new(p).ok_or_else(|| err(ENOMEM, format!("cannot allocate {len} bytes")))?;
        Ok(RawBuf { ptr, len, layout })
    }

    /// Allocate and copy `src` into the first bytes of a `len`-byte block.
    pub(crate) fn from_slice(src: &[u8], len: usize) -> Result<RawBuf, MapError> {
        let mut b = RawBuf::zeroed(len)?;
        let n = src.len().min(len);
        b.as_mut_slice()[..n].copy_from_slice(&src[..n]);
        Ok(b)
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn ptr(&self) -> *mut u8 {
        self.ptr.as_ptr()
    }

    pub(crate) fn as_slice(&self) -> &[u8] {
        // SAFETY: ptr is valid for len initialized (zeroed) bytes.
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), self.len) }
    }

    pub(crate) fn as_mut_slice(&mut self) -> &mut [u8] {
        // SAFETY: as above, and &mut self gives exclusive access.
        unsafe { std::slice::from_raw_parts_mut(self.ptr.as_ptr(), self.len) }
    }
}

impl Drop for RawBuf {
    fn drop(&mut self) {
        // SAFETY: allocated in `zeroed` with this layout.
        unsafe { dealloc(self.ptr.as_ptr(), self.layout) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zeroed_and_copy() {
        let mut b = RawBuf::from_slice(&[1, 2, 3], 8).unwrap();
        assert_eq!(b.as_slice(), &[1, 2, 3, 0, 0, 0, 0, 0]);
        b.as_mut_slice()[7] = 9;
        // SAFETY: test reads through the stable pointer.
        assert_eq!(unsafe { *b.ptr().add(7) }, 9);
        assert_eq!(b.len(), 8);
        assert_eq!(b.ptr() as usize % 8, 0);
    }
}

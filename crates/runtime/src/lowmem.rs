//! Zeroed buffers mapped below 2 GiB (`MAP_32BIT`).
//!
//! `__sk_buff.data`, `data_end`, `data_meta` and the `xdp_md` pointers are
//! 32-bit ctx fields. In the kernel the verifier rewrites their loads into
//! 64-bit pointer loads; bpfbox runs unrewritten programs, whose 32-bit
//! load zero-extends. Guest pointers are host addresses (bpfbox-interp), so
//! packet buffers are placed where their addresses fit in 32 bits and the
//! zero-extended value *is* the pointer.

use std::cell::RefCell;
use std::ops::{Deref, DerefMut};

/// Mappings kept for reuse per thread: a capture runs one packet after
/// another, and a fresh mmap/munmap per run (page tables built and torn
/// down each time) was most of a small program's run time.
const POOL_BYTES: usize = 4 << 20;

/// Unmapped low mappings `(ptr, map_len)` of this thread, at most
/// [`POOL_BYTES`] in all.
struct Pool(Vec<(*mut u8, usize)>);

impl Drop for Pool {
    fn drop(&mut self) {
        for &(p, n) in &self.0 {
            // SAFETY: each entry is a mapping made in `zeroed` and owned
            // by the pool alone.
            unsafe { libc::munmap(p.cast(), n) };
        }
    }
}

thread_local! {
    static POOL: RefCell<Pool> = const { RefCell::new(Pool(Vec::new())) };
}

fn page_rounded(len: usize) -> usize {
    len.max(1).next_multiple_of(4096)
}

/// A fixed-size, zero-initialised, writable buffer whose address is below
/// 2 GiB. The storage never moves, so raw pointers into it stay valid for
/// the buffer's lifetime.
pub struct LowBuf {
    ptr: *mut u8,
    len: usize,
}

// SAFETY: LowBuf uniquely owns its mapping, like a Box<[u8]>.
unsafe impl Send for LowBuf {}

impl LowBuf {
    /// Maps `len` zeroed bytes (at least one page) below 2 GiB; `None` when
    /// the kernel has no such space left.
    pub fn zeroed(len: usize) -> Option<Self> {
        let map_len = page_rounded(len);
        let reused = POOL.with(|p| {
            let mut p = p.borrow_mut();
            let i = p.0.iter().position(|&(_, n)| n == map_len)?;
            Some(p.0.swap_remove(i).0)
        });
        if let Some(ptr) = reused {
            // SAFETY: the pool's mapping of `map_len` bytes, now owned here.
            unsafe { std::ptr::write_bytes(ptr, 0, map_len) };
            return Some(LowBuf { ptr, len });
        }
        // SAFETY: anonymous private mapping, no file, no fixed address.
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                map_len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_32BIT,
                -1,
                0,
            )
        };
        if p == libc::MAP_FAILED || (p as usize as u64) + (map_len as u64) > u64::from(u32::MAX) {
            if p != libc::MAP_FAILED {
                // SAFETY: unmapping the mapping just created.
                unsafe { libc::munmap(p, map_len) };
            }
            return None;
        }
        Some(LowBuf {
            ptr: p.cast::<u8>(),
            len,
        })
    }

    /// Address of the first byte (fits in 32 bits).
    pub fn addr(&self) -> u64 {
        self.ptr as usize as u64
    }

    /// Raw pointer to the storage, for registering it as a VM region.
    pub fn as_mut_ptr(&mut self) -> *mut u8 {
        self.ptr
    }
}

impl Drop for LowBuf {
    fn drop(&mut self) {
        let map_len = page_rounded(self.len);
        let kept = POOL
            .try_with(|p| {
                let mut p = p.borrow_mut();
                let held: usize = p.0.iter().map(|e| e.1).sum();
                (held + map_len <= POOL_BYTES).then(|| p.0.push((self.ptr, map_len)))
            })
            .ok()
            .flatten();
        if kept.is_none() {
            // SAFETY: `ptr`/`map_len` is exactly the mapping made in `zeroed`.
            unsafe {
                libc::munmap(self.ptr.cast(), map_len);
            }
        }
    }
}

impl Deref for LowBuf {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        // SAFETY: the mapping is `len` readable bytes owned by self.
        unsafe { std::slice::from_raw_parts(self.ptr, self.len) }
    }
}

impl DerefMut for LowBuf {
    fn deref_mut(&mut self) -> &mut [u8] {
        // SAFETY: the mapping is `len` writable bytes owned by self; the
        // exclusive borrow of self prevents aliasing through this type.
        unsafe { std::slice::from_raw_parts_mut(self.ptr, self.len) }
    }
}

impl Clone for LowBuf {
    /// Copies into a new low mapping.
    ///
    /// # Panics
    /// When no address space below 2 GiB is left (clone cannot fail
    /// otherwise); runtime code never clones packet buffers.
    fn clone(&self) -> Self {
        #[allow(clippy::expect_used)]
        let mut b = LowBuf::zeroed(self.len).expect("address space below 2 GiB");
        b.copy_from_slice(self);
        b
    }
}

impl std::fmt::Debug for LowBuf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "LowBuf({:#x}+{})", self.addr(), self.len)
    }
}

impl PartialEq for LowBuf {
    fn eq(&self, other: &Self) -> bool {
        self[..] == other[..]
    }
}

impl Eq for LowBuf {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn low_and_zeroed() {
        let mut b = LowBuf::zeroed(10000).unwrap();
        assert!(b.addr() + 10000 <= u64::from(u32::MAX));
        assert!(b.iter().all(|&x| x == 0));
        b[9999] = 7;
        assert_eq!(b.clone()[9999], 7);
        // a reused mapping comes back zeroed
        drop(b);
        let b = LowBuf::zeroed(10000).unwrap();
        assert!(b.iter().all(|&x| x == 0));
    }
}

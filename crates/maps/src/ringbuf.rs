//! `BPF_MAP_TYPE_RINGBUF` (kernel/bpf/ringbuf.c), producer side plus a
//! consumer that plays libbpf's `ring_buffer__consume` role.
//!
//! Records are an 8-byte header (`len | BUSY | DISCARD`, `pg_off`) followed by
//! the data, each taking `round_up(size + 8, 8)` bytes. A reservation fails
//! (NULL, or `-EAGAIN` for output) when the record would not fit in
//! `data_size`, when `size > RINGBUF_MAX_RECORD_SZ`, or when producer minus
//! consumer (or minus the oldest pending record) would exceed `data_size - 1`.
//! The kernel maps the data pages twice so a record that wraps is contiguous;
//! bpfbox allocates twice the data size and copies the wrapped tail back on
//! commit, so reserved pointers are contiguous too.

use crate::def::MAX_MAP_BYTES;
use crate::error::{err, errno::*, MapError};
use crate::flags::*;
use crate::rawbuf::RawBuf;
use std::collections::BTreeSet;

/// `RINGBUF_MAX_RECORD_SZ`: `UINT_MAX / 4`.
const MAX_RECORD: u64 = (u32::MAX / 4) as u64;
const HDR: u64 = BPF_RINGBUF_HDR_SZ as u64;

pub(crate) struct RingStore {
    data: RawBuf,
    size: u64,
    cons: u64,
    prod: u64,
    pending: u64,
    /// Data offsets (within the doubled area) of records reserved, not committed.
    open: BTreeSet<u64>,
}

impl RingStore {
    pub(crate) fn new(size: u32) -> Result<RingStore, MapError> {
        let size = u64::from(size);
        if size * 2 > MAX_MAP_BYTES {
            return Err(err(
                ENOMEM,
                format!("ring buffer of {size} bytes is over bpfbox's limit"),
            ));
        }
        Ok(RingStore {
            data: RawBuf::zeroed((size * 2) as usize)?,
            size,
            cons: 0,
            prod: 0,
            pending: 0,
            open: BTreeSet::new(),
        })
    }

    fn hdr_len(&self, pos: u64) -> u32 {
        let o = (pos & (self.size - 1)) as usize;
        let s = self.data.as_slice();
        u32::from_ne_bytes([s[o], s[o + 1], s[o + 2], s[o + 3]])
    }

    fn set_hdr(&mut self, pos: u64, len: u32, pg_off: u32) {
        let o = (pos & (self.size - 1)) as usize;
        let s = self.data.as_mut_slice();
        s[o..o + 4].copy_from_slice(&len.to_ne_bytes());
        s[o + 4..o + 8].copy_from_slice(&pg_off.to_ne_bytes());
    }

    /// `__bpf_ringbuf_reserve`: address of the record data, or `None`.
    pub(crate) fn reserve(&mut self, size: u64) -> Option<*mut u8> {
        if size > MAX_RECORD {
            return None;
        }
        let len = (size + HDR + 7) & !7;
        if len > self.size {
            return None;
        }
        // Advance the pending position past records no longer busy.
        let mut pend = self.pending;
        while pend < self.prod {
            let l = self.hdr_len(pend);
            if l & BPF_RINGBUF_BUSY_BIT != 0 {
                break;
            }
            let sz = u64::from(l & !BPF_RINGBUF_DISCARD_BIT);
            pend += (sz + HDR + 7) & !7;
        }
        self.pending = pend;
        let new_prod = self.prod + len;
        let mask = self.size - 1;
        if new_prod - self.cons > mask || new_prod - pend > mask {
            return None;
        }
        let pos = self.prod;
        let off = pos & mask;
        let end = off + len;
        if end > self.size {
            // The kernel maps the data pages twice; refresh our mirror copy of
            // the wrapped part so unwritten bytes read as the kernel's would.
            let (sz, wrap) = (self.size as usize, (end - self.size) as usize);
            self.data.as_mut_slice().copy_within(0..wrap, sz);
        }
        // pg_off: pages from the start of the kernel's `struct bpf_ringbuf` to
        // the header; the data starts 3 pages in (control page, consumer
        // page, producer page).
        let page = u64::from(crate::def::PAGE_SIZE);
        let pg_off = ((off + 3 * page) / page) as u32;
        self.set_hdr(pos, size as u32 | BPF_RINGBUF_BUSY_BIT, pg_off);
        self.prod = new_prod;
        self.open.insert(off + HDR);
        // SAFETY: off + HDR + size <= 2 * data size.
        Some(unsafe { self.data.ptr().add((off + HDR) as usize) })
    }

    /// Commit (submit or discard) the record whose data starts at `ptr`.
    pub(crate) fn commit(&mut self, ptr: *mut u8, discard: bool) -> Result<(), MapError> {
        let base = self.data.ptr() as usize;
        let off = (ptr as usize).wrapping_sub(base) as u64;
        if !self.open.remove(&off) {
            return Err(err(
                EINVAL,
                "pointer is not an open ring buffer reservation",
            ));
        }
        let hdr = off - HDR;
        let len = self.hdr_len(hdr) & !BPF_RINGBUF_BUSY_BIT;
        let end = off + u64::from(len);
        if end > self.size {
            // Record wrapped: fold the part written past the end back to the start.
            let (sz, wrap) = (self.size as usize, (end - self.size) as usize);
            self.data.as_mut_slice().copy_within(sz..sz + wrap, 0);
        }
        let mut l = len;
        if discard {
            l |= BPF_RINGBUF_DISCARD_BIT;
        }
        let s = self.data.as_mut_slice();
        s[hdr as usize..hdr as usize + 4].copy_from_slice(&l.to_ne_bytes());
        Ok(())
    }

    /// Is `ptr` an open reservation of this ring?
    pub(crate) fn owns(&self, ptr: *mut u8) -> bool {
        let off = (ptr as usize).wrapping_sub(self.data.ptr() as usize) as u64;
        self.open.contains(&off)
    }

    /// `bpf_ringbuf_output`.
    pub(crate) fn output(&mut self, data: &[u8], flags: u64) -> i64 {
        if flags & !(BPF_RB_NO_WAKEUP | BPF_RB_FORCE_WAKEUP) != 0 {
            return -i64::from(EINVAL);
        }
        let Some(p) = self.reserve(data.len() as u64) else {
            return -i64::from(EAGAIN);
        };
        // SAFETY: the reservation holds data.len() bytes.
        unsafe { std::ptr::copy_nonoverlapping(data.as_ptr(), p, data.len()) };
        match self.commit(p, false) {
            Ok(()) => 0,
            Err(e) => e.neg(),
        }
    }

    /// `bpf_ringbuf_query`.
    pub(crate) fn query(&self, flags: u64) -> u64 {
        match flags {
            BPF_RB_AVAIL_DATA => self.prod - self.cons,
            BPF_RB_RING_SIZE => self.size,
            BPF_RB_CONS_POS => self.cons,
            BPF_RB_PROD_POS => self.prod,
            _ => 0,
        }
    }

    /// Consume committed records in order, as a user-space consumer would:
    /// stops at the first record still busy; discarded records are skipped.
    pub(crate) fn consume(&mut self) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        while self.cons < self.prod {
            let l = self.hdr_len(self.cons);
            if l & BPF_RINGBUF_BUSY_BIT != 0 {
                break;
            }
            let len = u64::from(l & !BPF_RINGBUF_DISCARD_BIT);
            if l & BPF_RINGBUF_DISCARD_BIT == 0 {
                let start = ((self.cons + HDR) & (self.size - 1)) as usize;
                let s = self.data.as_slice();
                let mut rec = Vec::with_capacity(len as usize);
                for i in 0..len as usize {
                    rec.push(s[(start + i) % self.size as usize]);
                }
                out.push(rec);
            }
            self.cons += (len + HDR + 7) & !7;
        }
        out
    }

    pub(crate) fn region(&self) -> (*mut u8, usize) {
        (self.data.ptr(), self.data.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(p: *mut u8, bytes: &[u8]) {
        // SAFETY: tests write within their reservations.
        unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), p, bytes.len()) }
    }

    #[test]
    fn reserve_submit_discard_consume() {
        let mut r = RingStore::new(4096).unwrap();
        let a = r.reserve(3).unwrap();
        let b = r.reserve(5).unwrap();
        assert_eq!(b as usize - a as usize, 16);
        write(a, b"abc");
        write(b, b"hello");
        r.commit(b, false).unwrap();
        assert!(r.consume().is_empty(), "first record still busy");
        r.commit(a, true).unwrap();
        assert_eq!(r.consume(), vec![b"hello".to_vec()]);
        assert_eq!(r.query(BPF_RB_AVAIL_DATA), 0);
        assert_eq!(r.query(BPF_RB_PROD_POS), 32);
        assert!(r.commit(a, false).is_err(), "double commit");
    }

    #[test]
    fn size_limits() {
        let mut r = RingStore::new(4096).unwrap();
        assert!(
            r.reserve(4096 - 8).is_none(),
            "would fill the ring completely"
        );
        assert!(r.reserve(4096).is_none());
        let p = r.reserve(4096 - 16).unwrap();
        assert!(r.reserve(1).is_none());
        assert_eq!(r.output(b"x", 0), -i64::from(EAGAIN));
        assert_eq!(r.output(b"x", 4), -i64::from(EINVAL));
        r.commit(p, false).unwrap();
        assert_eq!(r.consume().len(), 1);
        assert_eq!(r.output(b"x", BPF_RB_NO_WAKEUP), 0);
    }

    #[test]
    fn wrapped_record_is_contiguous_and_read_back() {
        let mut r = RingStore::new(4096).unwrap();
        assert_eq!(r.output(&[1u8; 4000], 0), 0);
        assert_eq!(r.consume().len(), 1);
        let rec: Vec<u8> = (0..200u32).map(|i| i as u8).collect();
        assert_eq!(r.output(&rec, 0), 0);
        assert_eq!(r.consume(), vec![rec]);
    }
}

//! The packet a program runs on: one linear buffer with movable `data_meta`,
//! `data` and `data_end` offsets (the kernel's `sk_buff` linear area or
//! `xdp_buff`), plus the non-linear XDP fragments.
//!
//! Offsets are indices into [`Packet::buf`]. The buffer is allocated once
//! with enough head- and tailroom for every change the helpers allow, so it
//! never moves while a program runs (it is a [`LowBuf`] below 2 GiB): a VM memory region registered over it
//! stays valid, only its accessible window changes (see
//! [`Packet::window`]).

use crate::lowmem::LowBuf;

/// `ETH_HLEN`.
pub const ETH_HLEN: usize = 14;
/// `VLAN_HLEN`.
pub const VLAN_HLEN: usize = 4;

/// A linear packet buffer with meta/data/end offsets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packet {
    /// The whole buffer, `data_hard_start` at index 0.
    pub buf: LowBuf,
    /// Start of the metadata area (`data_meta`); equals `data` without
    /// metadata.
    pub meta: usize,
    /// First packet byte (`data`).
    pub data: usize,
    /// One past the last linear byte (`data_end`, the skb tail).
    pub end: usize,
    /// Lowest offset `data` may move to (`data_hard_start` plus reserved
    /// space such as `sizeof(struct xdp_frame)`).
    pub head_limit: usize,
    /// Highest offset `end` may move to (XDP: `data_hard_end`).
    pub tail_limit: usize,
    /// Non-linear fragments (XDP multi-buffer), in order.
    pub frags: Vec<Vec<u8>>,
}

impl Packet {
    /// A packet of `bytes` placed at offset `headroom` in a zeroed buffer of
    /// `headroom + bytes.len() + tailroom` bytes.
    /// `None` when no address space below 2 GiB is left.
    pub fn new(bytes: &[u8], headroom: usize, tailroom: usize) -> Option<Self> {
        let mut buf = LowBuf::zeroed(headroom + bytes.len() + tailroom)?;
        buf[headroom..headroom + bytes.len()].copy_from_slice(bytes);
        let total = buf.len();
        Some(Packet {
            buf,
            meta: headroom,
            data: headroom,
            end: headroom + bytes.len(),
            head_limit: 0,
            tail_limit: total,
            frags: Vec::new(),
        })
    }

    /// Linear packet length (`data_end - data`).
    pub fn len(&self) -> usize {
        self.end - self.data
    }

    /// Whether the linear part is empty.
    pub fn is_empty(&self) -> bool {
        self.end == self.data
    }

    /// Metadata length (`data - data_meta`).
    pub fn meta_len(&self) -> usize {
        self.data - self.meta
    }

    /// Total size of the fragments.
    pub fn frags_len(&self) -> usize {
        self.frags.iter().map(Vec::len).sum()
    }

    /// The linear packet bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.buf[self.data..self.end]
    }

    /// Mutable linear packet bytes.
    pub fn bytes_mut(&mut self) -> &mut [u8] {
        let (d, e) = (self.data, self.end);
        &mut self.buf[d..e]
    }

    /// Headroom in front of `data` down to the head limit.
    pub fn headroom(&self) -> usize {
        self.meta.min(self.data) - self.head_limit
    }

    /// Tailroom after `end` up to the tail limit.
    pub fn tailroom(&self) -> usize {
        self.tail_limit - self.end
    }

    /// The `[start, end)` byte window a program may access directly:
    /// `data_meta .. data_end`.
    pub fn window(&self) -> (usize, usize) {
        (self.meta, self.end)
    }

    /// `skb_header_pointer`-like read of `len` bytes at `off` from `data`,
    /// spanning fragments; `None` when out of range.
    pub fn read(&self, off: usize, len: usize) -> Option<Vec<u8>> {
        let total = self.len() + self.frags_len();
        if off.checked_add(len)? > total {
            return None;
        }
        let mut out = Vec::with_capacity(len);
        let mut pos = off;
        let lin = self.len();
        if pos < lin {
            let n = (lin - pos).min(len);
            out.extend_from_slice(&self.buf[self.data + pos..self.data + pos + n]);
            pos += n;
        }
        let mut base = lin;
        for f in &self.frags {
            if out.len() == len {
                break;
            }
            if pos < base + f.len() {
                let s = pos - base;
                let n = (f.len() - s).min(len - out.len());
                out.extend_from_slice(&f[s..s + n]);
                pos += n;
            }
            base += f.len();
        }
        Some(out)
    }

    /// Writes `bytes` at `off` from `data`, spanning fragments; `false` when
    /// out of range (nothing written).
    pub fn write(&mut self, off: usize, bytes: &[u8]) -> bool {
        let total = self.len() + self.frags_len();
        match off.checked_add(bytes.len()) {
            Some(e) if e <= total => {}
            _ => return false,
        }
        let lin = self.len();
        let mut src = 0;
        let mut pos = off;
        if pos < lin {
            let n = (lin - pos).min(bytes.len());
            let d = self.data + pos;
            self.buf[d..d + n].copy_from_slice(&bytes[..n]);
            src += n;
            pos += n;
        }
        let mut base = lin;
        for f in &mut self.frags {
            if src == bytes.len() {
                break;
            }
            if pos < base + f.len() {
                let s = pos - base;
                let n = (f.len() - s).min(bytes.len() - src);
                f[s..s + n].copy_from_slice(&bytes[src..src + n]);
                src += n;
                pos += n;
            }
            base += f.len();
        }
        true
    }

    /// Moves `data` (and `data_meta` with its contents) by `delta` bytes;
    /// negative grows the packet at the front. The caller checks limits;
    /// returns `false` if the move would leave the buffer.
    pub fn move_data(&mut self, delta: isize) -> bool {
        let new_data = self.data as isize + delta;
        let new_meta = self.meta as isize + delta;
        if new_meta < 0 || new_data > self.end as isize {
            return false;
        }
        let (new_data, new_meta) = (new_data as usize, new_meta as usize);
        let ml = self.meta_len();
        if ml > 0 {
            self.buf.copy_within(self.meta..self.data, new_meta);
        }
        self.meta = new_meta;
        self.data = new_data;
        debug_assert_eq!(self.data - self.meta, ml);
        true
    }

    /// Inserts `n` zero bytes at `off` from `data` (linear only), moving the
    /// head down; returns `false` without the headroom.
    pub fn insert_front(&mut self, off: usize, n: usize) -> bool {
        if off > self.len() || self.data - self.head_limit < n {
            return false;
        }
        let d = self.data;
        self.buf.copy_within(d..d + off, d - n);
        self.buf[d - n + off..d + off].fill(0);
        self.data -= n;
        self.meta = self.data;
        true
    }

    /// Removes `n` bytes at `off` from `data` (linear only) by moving the
    /// head up; returns `false` when out of range.
    pub fn remove_front(&mut self, off: usize, n: usize) -> bool {
        if off.checked_add(n).is_none_or(|e| e > self.len()) {
            return false;
        }
        let d = self.data;
        self.buf.copy_within(d..d + off, d + n);
        self.data += n;
        self.meta = self.data;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_write_span_frags() {
        let mut p = Packet::new(&[1, 2, 3, 4], 8, 8).unwrap();
        p.frags.push(vec![5, 6, 7]);
        assert_eq!(p.read(2, 4).unwrap(), vec![3, 4, 5, 6]);
        assert!(p.read(5, 3).is_none());
        assert!(p.write(3, &[9, 9]));
        assert_eq!(p.read(0, 7).unwrap(), vec![1, 2, 3, 9, 9, 6, 7]);
        assert!(!p.write(6, &[0, 0]));
    }

    #[test]
    fn insert_and_remove_front() {
        let mut p = Packet::new(&[1, 2, 3, 4], 4, 0).unwrap();
        assert!(p.insert_front(2, 2));
        assert_eq!(p.bytes(), &[1, 2, 0, 0, 3, 4]);
        assert!(!p.insert_front(0, 3));
        assert!(p.remove_front(1, 3));
        assert_eq!(p.bytes(), &[1, 3, 4]);
    }

    #[test]
    fn move_data_carries_meta() {
        let mut p = Packet::new(&[0, 0, 1, 2, 3, 4], 8, 0).unwrap();
        p.data += 2; // two bytes of metadata
        p.buf[p.meta] = 0xaa;
        assert!(p.move_data(-4));
        assert_eq!(p.meta_len(), 2);
        assert_eq!(p.buf[p.meta], 0xaa);
        assert_eq!(p.len(), 8);
    }
}

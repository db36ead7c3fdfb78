//! The guest's view of memory: a list of regions of *host* memory. A guest
//! pointer is the host address itself, so a verified program could later run
//! natively (JIT) without translation; the interpreter checks every access
//! against the registered regions before touching host memory.
//!
//! Each region has a fixed backing buffer and a current *window* inside it
//! (all of the buffer by default). Accesses must fall entirely inside one
//! region's window; writes also need a writable region. Windows let a
//! program-type driver move packet bounds (`bpf_xdp_adjust_head`) without
//! re-registering the buffer.

use crate::trap::Trap;
use std::cell::Cell;
use std::marker::PhantomData;

/// What a region holds; program-type code uses it to tell pointers apart
/// (the verifier's `PTR_TO_STACK`, `PTR_TO_CTX`, `PTR_TO_PACKET`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RegionKind {
    /// The bpf stack (all frames; owned by the memory itself).
    Stack,
    /// The program context (`struct xdp_md`, `struct __sk_buff`, ...).
    Ctx,
    /// Packet data (`data` .. `data_end`).
    Packet,
    /// Packet metadata (`data_meta` .. `data`).
    PacketMeta,
    /// A map value.
    MapValue,
    /// Read-only memory (`.rodata`, read-only map values, strings).
    ReadOnly,
    /// Any other memory (ringbuf records, dynptr data, helper buffers).
    Mem,
}

/// Handle of a registered region, stable for the lifetime of the
/// [`Memory`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RegionId(pub u32);

/// A failed bounds check outside the instruction loop (from a helper or the
/// host). The interpreter turns it into [`Trap::OutOfBounds`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{} of {len} bytes at {addr:#x} is outside every region", if *.write { "write" } else { "read" })]
pub struct MemFault {
    /// First guest address of the access.
    pub addr: u64,
    /// Length in bytes.
    pub len: usize,
    /// Whether it was a write.
    pub write: bool,
}

#[derive(Debug, Clone, Copy)]
struct Region {
    /// Start of the backing buffer; provenance for all accesses.
    ptr: *mut u8,
    /// `ptr` as a guest address.
    base: u64,
    /// Length of the backing buffer.
    backing_len: u64,
    /// Current window start (guest address, inside the backing).
    win_start: u64,
    /// Current window length.
    win_len: u64,
    writable: bool,
    kind: RegionKind,
}

impl Region {
    /// Host pointer for `addr..addr+len` if that lies inside the window.
    #[inline(always)]
    fn ptr_for(&self, addr: u64, len: u64) -> Option<*mut u8> {
        let off = addr.wrapping_sub(self.win_start);
        if len <= self.win_len && off <= self.win_len - len {
            // In bounds of the backing: win_start - base + off + len <= backing_len.
            let delta = (addr - self.base) as usize;
            Some(self.ptr.wrapping_add(delta))
        } else {
            None
        }
    }
}

/// The stack buffer owned by a [`Memory`]; kept as a raw allocation so
/// guest writes through derived pointers never alias a live Rust reference.
struct OwnedBuf {
    ptr: *mut u64,
    words: usize,
}

impl OwnedBuf {
    fn new(bytes: usize) -> Self {
        let words = bytes.div_ceil(8);
        let b: Box<[u64]> = vec![0u64; words].into_boxed_slice();
        OwnedBuf {
            ptr: Box::into_raw(b) as *mut u64,
            words,
        }
    }
}

impl Drop for OwnedBuf {
    fn drop(&mut self) {
        // SAFETY: `ptr`/`words` came from `Box::into_raw` of a boxed slice of
        // exactly this length in `OwnedBuf::new`, and are freed only here.
        unsafe {
            drop(Box::from_raw(std::ptr::slice_from_raw_parts_mut(
                self.ptr, self.words,
            )));
        }
    }
}

/// The regions of host memory a program may access.
///
/// `'a` is the lifetime of the borrowed buffers registered with
/// [`Memory::add`] and [`Memory::add_readonly`]. The memory also owns the
/// stack, which the [`crate::Vm`] installs.
pub struct Memory<'a> {
    regions: Vec<Region>,
    /// Index of the region that satisfied the last read (`[0]`) and the
    /// last write (`[1]`): programs often read a packet while writing the
    /// stack, and one shared entry would thrash.
    last: [Cell<usize>; 2],
    stack: Option<(RegionId, OwnedBuf)>,
    _borrow: PhantomData<&'a mut [u8]>,
}

// SAFETY: a `Memory` only holds what `&'a mut [u8]` / `&'a [u8]` borrows
// (both `Send`), its own stack allocation, and `add_raw` memory whose
// contract requires it to be usable from whichever thread uses the memory.
// The lookup cache (`Cell`) makes it `!Sync`, which is kept.
unsafe impl Send for Memory<'_> {}

impl Default for Memory<'_> {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for Memory<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut l = f.debug_list();
        for r in &self.regions {
            l.entry(&format_args!(
                "{:?} {:#x}+{} ({})",
                r.kind,
                r.win_start,
                r.win_len,
                if r.writable { "rw" } else { "ro" }
            ));
        }
        l.finish()
    }
}

impl<'a> Memory<'a> {
    /// An empty memory (no regions, no stack yet).
    pub fn new() -> Self {
        Memory {
            regions: Vec::new(),
            last: [Cell::new(0), Cell::new(0)],
            stack: None,
            _borrow: PhantomData,
        }
    }

    fn push(
        &mut self,
        ptr: *mut u8,
        len: usize,
        writable: bool,
        kind: RegionKind,
    ) -> (RegionId, u64) {
        let base = ptr as usize as u64;
        let id = RegionId(self.regions.len() as u32);
        self.regions.push(Region {
            ptr,
            base,
            backing_len: len as u64,
            win_start: base,
            win_len: len as u64,
            writable,
            kind,
        });
        (id, base)
    }

    /// Registers a writable buffer; returns its id and guest address.
    pub fn add(&mut self, buf: &'a mut [u8], kind: RegionKind) -> (RegionId, u64) {
        let len = buf.len();
        self.push(buf.as_mut_ptr(), len, true, kind)
    }

    /// Registers a read-only buffer; returns its id and guest address.
    pub fn add_readonly(&mut self, buf: &'a [u8], kind: RegionKind) -> (RegionId, u64) {
        // Never written through: the region is not writable.
        self.push(buf.as_ptr() as *mut u8, buf.len(), false, kind)
    }

    /// Registers memory owned elsewhere (map values owned by a map).
    ///
    /// # Safety
    /// `ptr..ptr+len` must stay valid for reads (and for writes when
    /// `writable`) for as long as this `Memory` lives, from whichever thread
    /// uses the `Memory`, and nothing may hold a Rust reference to it while
    /// a program or helper accesses it.
    pub unsafe fn add_raw(
        &mut self,
        ptr: *mut u8,
        len: usize,
        writable: bool,
        kind: RegionKind,
    ) -> (RegionId, u64) {
        self.push(ptr, len, writable, kind)
    }

    /// Moves or narrows the accessible window of a region to
    /// `start..start+len`, which must lie inside the region's original
    /// backing buffer.
    pub fn set_window(&mut self, id: RegionId, start: u64, len: u64) -> Result<(), Trap> {
        let Some(r) = self.regions.get_mut(id.0 as usize) else {
            return Err(Trap::bad_window(id));
        };
        let off = start.wrapping_sub(r.base);
        if start < r.base || off > r.backing_len || len > r.backing_len - off {
            return Err(Trap::bad_window(id));
        }
        r.win_start = start;
        r.win_len = len;
        Ok(())
    }

    /// Current window of a region as `(start, len)`; `(0, 0)` for an unknown id.
    pub fn window(&self, id: RegionId) -> (u64, u64) {
        self.regions
            .get(id.0 as usize)
            .map_or((0, 0), |r| (r.win_start, r.win_len))
    }

    /// Backing buffer of a region as `(start, len)`; `(0, 0)` for an unknown id.
    pub fn backing(&self, id: RegionId) -> (u64, u64) {
        self.regions
            .get(id.0 as usize)
            .map_or((0, 0), |r| (r.base, r.backing_len))
    }

    /// Kind and writability of a region.
    pub fn region_info(&self, id: RegionId) -> Option<(RegionKind, bool)> {
        self.regions
            .get(id.0 as usize)
            .map(|r| (r.kind, r.writable))
    }

    /// The region whose current window contains `addr`.
    pub fn region_at(&self, addr: u64) -> Option<(RegionId, RegionKind)> {
        self.regions
            .iter()
            .position(|r| r.ptr_for(addr, 1).is_some())
            .map(|i| (RegionId(i as u32), self.regions[i].kind))
    }

    /// Number of registered regions (including the stack).
    pub fn len(&self) -> usize {
        self.regions.len()
    }

    /// Whether no region is registered.
    pub fn is_empty(&self) -> bool {
        self.regions.is_empty()
    }

    /// Host pointer for an access of `len` bytes at `addr`, or `None` when it
    /// is not inside one region's window (or the region is read-only and
    /// `write` is set). Checks the last-hit region first.
    #[inline(always)]
    pub(crate) fn translate(&self, addr: u64, len: u64, write: bool) -> Option<*mut u8> {
        let i = self.last[write as usize].get();
        if let Some(r) = self.regions.get(i) {
            if let Some(p) = r.ptr_for(addr, len) {
                if r.writable || !write {
                    return Some(p);
                }
            }
        }
        self.translate_slow(addr, len, write)
    }

    #[inline(never)]
    fn translate_slow(&self, addr: u64, len: u64, write: bool) -> Option<*mut u8> {
        for (i, r) in self.regions.iter().enumerate() {
            if let Some(p) = r.ptr_for(addr, len) {
                if write && !r.writable {
                    return None;
                }
                self.last[write as usize].set(i);
                return Some(p);
            }
        }
        None
    }

    /// Reads `N` bytes as a little-endian integer of that width, zero-extended.
    #[inline(always)]
    pub(crate) fn load(&self, addr: u64, size: usize) -> Option<u64> {
        let p = self.translate(addr, size as u64, false)?;
        // SAFETY: `translate` proved `p..p+size` lies in a live region
        // registered for reading; unaligned reads of plain bytes are fine.
        unsafe {
            Some(match size {
                1 => p.read() as u64,
                2 => u16::from_le(p.cast::<u16>().read_unaligned()) as u64,
                4 => u32::from_le(p.cast::<u32>().read_unaligned()) as u64,
                _ => u64::from_le(p.cast::<u64>().read_unaligned()),
            })
        }
    }

    /// Writes the low `size` bytes of `v` little-endian.
    #[inline(always)]
    pub(crate) fn store(&mut self, addr: u64, size: usize, v: u64) -> Option<()> {
        let p = self.translate(addr, size as u64, true)?;
        // SAFETY: `translate` proved `p..p+size` lies in a live writable
        // region; no Rust reference into it exists while `&mut self` is held.
        unsafe {
            match size {
                1 => p.write(v as u8),
                2 => p.cast::<u16>().write_unaligned((v as u16).to_le()),
                4 => p.cast::<u32>().write_unaligned((v as u32).to_le()),
                _ => p.cast::<u64>().write_unaligned(v.to_le()),
            }
        }
        Some(())
    }

    /// Borrows `len` bytes at `addr` for reading.
    pub fn read(&self, addr: u64, len: usize) -> Result<&[u8], MemFault> {
        let fault = MemFault {
            addr,
            len,
            write: false,
        };
        if len == 0 {
            return Ok(&[]);
        }
        let p = self.translate(addr, len as u64, false).ok_or(fault)?;
        // SAFETY: checked to be inside a live region; the shared borrow of
        // `self` prevents writes through this `Memory` while it lives.
        Ok(unsafe { std::slice::from_raw_parts(p, len) })
    }

    /// Borrows `len` writable bytes at `addr`.
    pub fn read_mut(&mut self, addr: u64, len: usize) -> Result<&mut [u8], MemFault> {
        let fault = MemFault {
            addr,
            len,
            write: true,
        };
        if len == 0 {
            return Ok(&mut []);
        }
        let p = self.translate(addr, len as u64, true).ok_or(fault)?;
        // SAFETY: checked to be inside a live writable region; the exclusive
        // borrow of `self` prevents any other access while it lives.
        Ok(unsafe { std::slice::from_raw_parts_mut(p, len) })
    }

    /// Copies `data` to `addr`.
    pub fn write(&mut self, addr: u64, data: &[u8]) -> Result<(), MemFault> {
        self.read_mut(addr, data.len())?.copy_from_slice(data);
        Ok(())
    }

    /// Reads the bytes of a NUL-terminated string at `addr`, looking at most
    /// at `max` bytes. Returns the bytes before the NUL, or all `max` bytes
    /// when none of them is NUL. Faults when the string runs out of its
    /// region before a NUL or `max` is reached.
    pub fn read_cstr(&self, addr: u64, max: usize) -> Result<&[u8], MemFault> {
        let fault = MemFault {
            addr,
            len: max,
            write: false,
        };
        if max == 0 {
            return Ok(&[]);
        }
        let (id, _) = self.region_at(addr).ok_or(fault)?;
        let (start, len) = self.window(id);
        let avail = (start + len - addr).min(max as u64) as usize;
        let bytes = self.read(addr, avail)?;
        match bytes.iter().position(|&b| b == 0) {
            Some(n) => Ok(&bytes[..n]),
            None if avail == max => Ok(bytes),
            None => Err(fault),
        }
    }

    /// Reads a `u8`.
    pub fn read_u8(&self, addr: u64) -> Result<u8, MemFault> {
        self.load_fault(addr, 1).map(|v| v as u8)
    }
    /// Reads a little-endian `u16`.
    pub fn read_u16(&self, addr: u64) -> Result<u16, MemFault> {
        self.load_fault(addr, 2).map(|v| v as u16)
    }
    /// Reads a little-endian `u32`.
    pub fn read_u32(&self, addr: u64) -> Result<u32, MemFault> {
        self.load_fault(addr, 4).map(|v| v as u32)
    }
    /// Reads a little-endian `u64`.
    pub fn read_u64(&self, addr: u64) -> Result<u64, MemFault> {
        self.load_fault(addr, 8)
    }
    /// Writes a `u8`.
    pub fn write_u8(&mut self, addr: u64, v: u8) -> Result<(), MemFault> {
        self.store_fault(addr, 1, v as u64)
    }
    /// Writes a little-endian `u16`.
    pub fn write_u16(&mut self, addr: u64, v: u16) -> Result<(), MemFault> {
        self.store_fault(addr, 2, v as u64)
    }
    /// Writes a little-endian `u32`.
    pub fn write_u32(&mut self, addr: u64, v: u32) -> Result<(), MemFault> {
        self.store_fault(addr, 4, v as u64)
    }
    /// Writes a little-endian `u64`.
    pub fn write_u64(&mut self, addr: u64, v: u64) -> Result<(), MemFault> {
        self.store_fault(addr, 8, v)
    }

    fn load_fault(&self, addr: u64, len: usize) -> Result<u64, MemFault> {
        self.load(addr, len).ok_or(MemFault {
            addr,
            len,
            write: false,
        })
    }

    fn store_fault(&mut self, addr: u64, len: usize, v: u64) -> Result<(), MemFault> {
        self.store(addr, len, v).ok_or(MemFault {
            addr,
            len,
            write: true,
        })
    }

    /// Makes sure the memory owns a zeroed-on-allocation stack of `bytes`
    /// bytes registered as a [`RegionKind::Stack`] region; returns its id
    /// and the address one past its end (the top).
    pub(crate) fn ensure_stack(&mut self, bytes: usize) -> (RegionId, u64) {
        if let Some((id, buf)) = &self.stack {
            if buf.words * 8 == bytes.div_ceil(8) * 8 {
                let (base, len) = self.backing(*id);
                return (*id, base + len);
            }
        }
        let buf = OwnedBuf::new(bytes);
        let ptr = buf.ptr as *mut u8;
        let len = buf.words * 8;
        let (id, base) = match self.stack.take() {
            Some((id, _old)) => {
                // Re-point the existing region so its id stays valid; the
                // old buffer is freed when `_old` drops, after the swap.
                let base = ptr as usize as u64;
                self.regions[id.0 as usize] = Region {
                    ptr,
                    base,
                    backing_len: len as u64,
                    win_start: base,
                    win_len: len as u64,
                    writable: true,
                    kind: RegionKind::Stack,
                };
                (id, base)
            }
            None => self.push(ptr, len, true, RegionKind::Stack),
        };
        self.stack = Some((id, buf));
        (id, base + len as u64)
    }

    /// Zeroes `len` bytes of the stack ending at `top` (a new frame).
    pub(crate) fn zero_stack(&mut self, top: u64, len: u64) {
        if let Some((id, _)) = &self.stack {
            let r = self.regions[id.0 as usize];
            let start = top.wrapping_sub(len);
            if start >= r.base && top <= r.base + r.backing_len && start <= top {
                // SAFETY: the range was just checked to lie inside the
                // stack's backing buffer, which the memory owns.
                unsafe {
                    r.ptr
                        .wrapping_add((start - r.base) as usize)
                        .write_bytes(0, len as usize)
                };
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_and_writes_stay_inside_the_window() {
        let mut buf = [0u8; 16];
        let mut m = Memory::new();
        let (id, a) = m.add(&mut buf, RegionKind::Packet);
        m.write_u32(a + 12, 0xdead_beef).unwrap();
        assert_eq!(m.read_u32(a + 12).unwrap(), 0xdead_beef);
        assert!(m.read_u32(a + 13).is_err());
        assert!(m.read_u8(a + 16).is_err());
        assert!(m.read_u8(a.wrapping_sub(1)).is_err());
        m.set_window(id, a + 4, 8).unwrap();
        assert!(m.read_u8(a + 3).is_err());
        assert!(m.read_u64(a + 4).is_ok());
        assert!(m.read_u8(a + 12).is_err());
        assert_eq!(m.window(id), (a + 4, 8));
        assert!(m.set_window(id, a + 4, 13).is_err());
        assert!(m.set_window(id, a - 1, 1).is_err());
        assert!(m.set_window(id, a + 16, 0).is_ok());
        assert!(m.set_window(RegionId(9), a, 0).is_err());
    }

    #[test]
    fn readonly_regions_refuse_writes() {
        let buf = [7u8; 4];
        let mut m = Memory::new();
        let (id, a) = m.add_readonly(&buf, RegionKind::ReadOnly);
        assert_eq!(m.read_u8(a).unwrap(), 7);
        assert_eq!(
            m.write_u8(a, 1),
            Err(MemFault {
                addr: a,
                len: 1,
                write: true
            })
        );
        assert_eq!(m.region_at(a + 3), Some((id, RegionKind::ReadOnly)));
        assert_eq!(m.region_at(a + 4), None);
    }

    #[test]
    fn huge_addresses_do_not_wrap() {
        let mut buf = [0u8; 8];
        let mut m = Memory::new();
        let (_, a) = m.add(&mut buf, RegionKind::Mem);
        assert!(m.read(a, usize::MAX).is_err());
        assert!(m.read(u64::MAX, 8).is_err());
        assert!(m.read(a + 4, usize::MAX - 2).is_err());
    }

    #[test]
    fn raw_regions_and_mutable_borrows() {
        let mut owned = vec![0u8; 8];
        let ptr = owned.as_mut_ptr();
        let mut m = Memory::new();
        // SAFETY: `owned` outlives `m` and is not touched while `m` is used.
        let (id, a) = unsafe { m.add_raw(ptr, 8, true, RegionKind::MapValue) };
        m.read_mut(a + 2, 2).unwrap().copy_from_slice(&[1, 2]);
        assert_eq!(m.read_u16(a + 2).unwrap(), 0x0201);
        assert_eq!(m.backing(id), (a, 8));
        assert_eq!(m.region_info(id), Some((RegionKind::MapValue, true)));
        // SAFETY: as above; this region is read-only.
        let (ro, b) = unsafe { m.add_raw(ptr, 8, false, RegionKind::ReadOnly) };
        assert_eq!(m.region_info(ro), Some((RegionKind::ReadOnly, false)));
        // The first matching region decides: `b` is inside the writable one.
        assert!(m.write_u8(b, 9).is_ok());
        m.set_window(id, a, 0).unwrap();
        assert!(m.write_u8(b, 9).is_err());
        assert!(m.read_mut(a, 0).is_ok());
        drop(m);
        assert_eq!(owned[..4], [9, 0, 1, 2]);
    }

    #[test]
    fn cstr() {
        let buf = *b"hi\0there";
        let mut m = Memory::new();
        let (_, a) = m.add_readonly(&buf, RegionKind::ReadOnly);
        assert_eq!(m.read_cstr(a, 64).unwrap(), b"hi");
        assert_eq!(m.read_cstr(a + 3, 2).unwrap(), b"th");
        assert!(m.read_cstr(a + 3, 64).is_err());
    }

    #[test]
    fn stack_is_owned_and_reinstallable() {
        let mut m = Memory::new();
        let (id, top) = m.ensure_stack(1024);
        m.write_u64(top - 8, 5).unwrap();
        assert!(m.write_u64(top, 5).is_err());
        assert_eq!(m.ensure_stack(1024), (id, top));
        let (id2, top2) = m.ensure_stack(64);
        assert_eq!(id, id2);
        assert_eq!(m.read_u64(top2 - 8).unwrap(), 0);
        m.zero_stack(top2, 64);
    }
}

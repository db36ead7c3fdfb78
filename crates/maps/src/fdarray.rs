//! Arrays whose values are object handles (kernel/bpf/arraymap.c `fd_array`):
//! `prog_array`, `perf_event_array`, `cgroup_array` and `array_of_maps`.
//!
//! The kernel stores object pointers and takes fds from user space; bpfbox
//! stores opaque `u32` handles (program ids, perf event ids, inner map ids)
//! given by the caller. Slots start empty. Updates take only `BPF_ANY`.
//!
//! cgroup_array: the kernel takes a cgroup directory fd and holds the
//! cgroup; bpfbox holds the cgroup's id (its cgroup v2 inode number, which
//! `bpf_get_current_cgroup_id` reports), truncated to the 4-byte value, and
//! `bpf_skb_under_cgroup`/`bpf_current_task_under_cgroup` compare it with
//! the ids of the task's cgroup and its ancestors. Syscall lookups are
//! `ENOTSUPP`, as in the kernel.
//!
//! perf_event_array: the kernel's `bpf_perf_event_output` writes to the perf
//! event in the slot, which must be bound to the running CPU. bpfbox records
//! each output as a [`PerfRecord`] and treats the event in slot `i` as bound
//! to CPU `i` (the layout libbpf's perf buffer creates);
//! [`crate::Map::perf_open_all`] fills the slots that way.

use crate::error::{err, errno::*, MapError};
use crate::flags::*;
use crate::rawbuf::RawBuf;

/// One record written by `bpf_perf_event_output`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PerfRecord {
    /// CPU the program ran on.
    pub cpu: u32,
    /// perf_event_array slot written.
    pub index: u32,
    /// The raw sample bytes as given by the program.
    pub data: Vec<u8>,
}

pub(crate) struct FdArray {
    cells: RawBuf,
    present: Vec<bool>,
    n: u32,
    pub(crate) records: Vec<PerfRecord>,
}

impl FdArray {
    pub(crate) fn new(n: u32) -> Result<FdArray, MapError> {
        if u64::from(n) * 5 > crate::def::MAX_MAP_BYTES {
            return Err(err(ENOMEM, "array too large for bpfbox"));
        }
        Ok(FdArray {
            cells: RawBuf::zeroed(n as usize * 4)?,
            present: vec![false; n as usize],
            n,
            records: Vec::new(),
        })
    }

    pub(crate) fn get(&self, idx: u32) -> Option<u32> {
        if idx >= self.n || !self.present[idx as usize] {
            return None;
        }
        let o = idx as usize * 4;
        let s = self.cells.as_slice();
        Some(u32::from_ne_bytes([s[o], s[o + 1], s[o + 2], s[o + 3]]))
    }

    /// Address of slot `idx`'s handle cell (for map-in-map lookups).
    pub(crate) fn cell_ptr(&self, idx: u32) -> Option<*mut u8> {
        self.get(idx)?;
        // SAFETY: idx < n.
        Some(unsafe { self.cells.ptr().add(idx as usize * 4) })
    }

    /// `bpf_fd_array_map_update_elem` (before the fd is resolved).
    pub(crate) fn check_update(&self, idx: u32, flags: u64) -> Result<(), MapError> {
        if flags != BPF_ANY {
            return Err(err(EINVAL, "fd arrays take only BPF_ANY"));
        }
        if idx >= self.n {
            return Err(err(E2BIG, format!("index {idx} >= max_entries {}", self.n)));
        }
        Ok(())
    }

    pub(crate) fn set(&mut self, idx: u32, handle: u32) {
        let o = idx as usize * 4;
        self.cells.as_mut_slice()[o..o + 4].copy_from_slice(&handle.to_ne_bytes());
        self.present[idx as usize] = true;
    }

    /// `fd_array_map_delete_elem`.
    pub(crate) fn delete(&mut self, idx: u32) -> Result<(), MapError> {
        if idx >= self.n {
            return Err(err(E2BIG, format!("index {idx} >= max_entries {}", self.n)));
        }
        if !self.present[idx as usize] {
            return Err(err(ENOENT, "slot is empty"));
        }
        self.present[idx as usize] = false;
        Ok(())
    }

    /// `bpf_perf_event_output` after the ctx-length bits are stripped.
    pub(crate) fn perf_output(&mut self, flags: u64, cpu: u32, data: &[u8]) -> i64 {
        if flags & !BPF_F_INDEX_MASK != 0 {
            return -i64::from(EINVAL);
        }
        let mut index = (flags & BPF_F_INDEX_MASK) as u32;
        if u64::from(index) == BPF_F_CURRENT_CPU {
            index = cpu;
        }
        if index >= self.n {
            return -i64::from(E2BIG);
        }
        if !self.present[index as usize] {
            return -i64::from(ENOENT);
        }
        if index != cpu {
            // The event in slot `index` is bound to CPU `index`, not this one.
            return -i64::from(EOPNOTSUPP);
        }
        self.records.push(PerfRecord {
            cpu,
            index,
            data: data.to_vec(),
        });
        0
    }

    pub(crate) fn count(&self) -> usize {
        self.present.iter().filter(|p| **p).count()
    }

    pub(crate) fn entries(&self) -> Vec<(Vec<u8>, Vec<u8>)> {
        (0..self.n)
            .filter_map(|i| {
                self.get(i)
                    .map(|h| (i.to_ne_bytes().to_vec(), h.to_ne_bytes().to_vec()))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_and_errors() {
        let mut a = FdArray::new(2).unwrap();
        assert_eq!(a.check_update(0, BPF_NOEXIST).unwrap_err().errno(), EINVAL);
        assert_eq!(a.check_update(2, BPF_ANY).unwrap_err().errno(), E2BIG);
        assert_eq!(a.get(0), None);
        assert_eq!(a.delete(0).unwrap_err().errno(), ENOENT);
        assert_eq!(a.delete(5).unwrap_err().errno(), E2BIG);
        a.set(1, 77);
        assert_eq!(a.get(1), Some(77));
        assert_eq!(unsafe { *(a.cell_ptr(1).unwrap() as *const u32) }, 77);
        assert_eq!(a.entries().len(), 1);
        a.delete(1).unwrap();
        assert_eq!(a.get(1), None);
    }

    #[test]
    fn perf_output_rules() {
        let mut a = FdArray::new(2).unwrap();
        assert_eq!(
            a.perf_output(BPF_F_CURRENT_CPU, 0, b"x"),
            -i64::from(ENOENT)
        );
        a.set(0, 0);
        a.set(1, 1);
        assert_eq!(a.perf_output(BPF_F_CURRENT_CPU, 1, b"hi"), 0);
        assert_eq!(a.perf_output(0, 1, b"x"), -i64::from(EOPNOTSUPP));
        assert_eq!(a.perf_output(5, 1, b"x"), -i64::from(E2BIG));
        assert_eq!(a.perf_output(1 << 40, 1, b"x"), -i64::from(EINVAL));
        assert_eq!(
            a.records,
            vec![PerfRecord {
                cpu: 1,
                index: 1,
                data: b"hi".to_vec()
            }]
        );
    }
}

//! `BPF_MAP_TYPE_QUEUE` and `BPF_MAP_TYPE_STACK` (kernel/bpf/queue_stack_maps.c).
//!
//! A circular buffer of `max_entries + 1` slots with head/tail indices, as in
//! the kernel. Pushing onto a full map fails with `E2BIG` unless `BPF_EXIST`
//! is given, which overwrites the oldest element (for a stack too).

use crate::def::{MapDef, MapType, MAX_MAP_BYTES};
use crate::error::{err, errno::*, MapError};
use crate::flags::*;

pub(crate) struct QueueStore {
    stack: bool,
    value_size: usize,
    size: u32,
    head: u32,
    tail: u32,
    buf: Vec<u8>,
}

impl QueueStore {
    pub(crate) fn new(def: &MapDef) -> Result<QueueStore, MapError> {
        let size = u64::from(def.max_entries) + 1;
        let bytes = size * u64::from(def.value_size);
        if bytes > MAX_MAP_BYTES || size > u64::from(u32::MAX) {
            return Err(err(
                ENOMEM,
                format!("queue needs {bytes} bytes, over bpfbox's limit"),
            ));
        }
        Ok(QueueStore {
            stack: def.map_type == MapType::Stack,
            value_size: def.value_size as usize,
            size: size as u32,
            head: 0,
            tail: 0,
            buf: vec![0; bytes as usize],
        })
    }

    fn is_empty(&self) -> bool {
        self.head == self.tail
    }

    fn is_full(&self) -> bool {
        let h = if self.head + 1 >= self.size {
            0
        } else {
            self.head + 1
        };
        h == self.tail
    }

    pub(crate) fn len(&self) -> u32 {
        (self.head + self.size - self.tail) % self.size
    }

    fn slot(&self, i: u32) -> std::ops::Range<usize> {
        let o = i as usize * self.value_size;
        o..o + self.value_size
    }

    /// `queue_stack_map_push_elem`.
    pub(crate) fn push(&mut self, value: &[u8], flags: u64) -> Result<(), MapError> {
        if flags & BPF_NOEXIST != 0 || flags > BPF_EXIST {
            return Err(err(EINVAL, format!("invalid push flags {flags:#x}")));
        }
        if value.len() < self.value_size {
            return Err(err(EINVAL, "value too short"));
        }
        if self.is_full() {
            if flags & BPF_EXIST == 0 {
                return Err(err(E2BIG, "map is full"));
            }
            // Overwrite the oldest element.
            self.tail = if self.tail + 1 >= self.size {
                0
            } else {
                self.tail + 1
            };
        }
        let r = self.slot(self.head);
        self.buf[r].copy_from_slice(&value[..self.value_size]);
        self.head = if self.head + 1 >= self.size {
            0
        } else {
            self.head + 1
        };
        Ok(())
    }

    /// Pop (`delete = true`) or peek: queue takes the oldest, stack the newest.
    pub(crate) fn get(&mut self, delete: bool) -> Result<Vec<u8>, MapError> {
        if self.is_empty() {
            return Err(err(ENOENT, "map is empty"));
        }
        if self.stack {
            let idx = if self.head == 0 {
                self.size - 1
            } else {
                self.head - 1
            };
            let v = self.buf[self.slot(idx)].to_vec();
            if delete {
                self.head = idx;
            }
            Ok(v)
        } else {
            let v = self.buf[self.slot(self.tail)].to_vec();
            if delete {
                self.tail = if self.tail + 1 >= self.size {
                    0
                } else {
                    self.tail + 1
                };
            }
            Ok(v)
        }
    }

    /// Values in pop order (for dumps).
    pub(crate) fn values(&self) -> Vec<Vec<u8>> {
        let n = self.len();
        (0..n)
            .map(|i| {
                let idx = if self.stack {
                    (self.head + self.size - 1 - i) % self.size
                } else {
                    (self.tail + i) % self.size
                };
                self.buf[self.slot(idx)].to_vec()
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(t: MapType, n: u32) -> QueueStore {
        QueueStore::new(&MapDef::new(t, 0, 4, n)).unwrap()
    }

    fn v(i: u32) -> Vec<u8> {
        i.to_ne_bytes().to_vec()
    }

    #[test]
    fn queue_fifo_and_overwrite() {
        let mut s = q(MapType::Queue, 2);
        let e = |r: Result<(), MapError>| r.map(|_| 0).unwrap_or_else(|e| e.errno());
        assert_eq!(e(s.push(&v(1), BPF_ANY)), 0);
        assert_eq!(e(s.push(&v(2), BPF_ANY)), 0);
        assert_eq!(e(s.push(&v(3), BPF_ANY)), E2BIG);
        assert_eq!(e(s.push(&v(3), BPF_NOEXIST)), EINVAL);
        assert_eq!(e(s.push(&v(3), BPF_F_LOCK)), EINVAL);
        assert_eq!(e(s.push(&v(3), BPF_EXIST)), 0);
        assert_eq!(s.values(), vec![v(2), v(3)]);
        assert_eq!(s.get(false).unwrap(), v(2));
        assert_eq!(s.get(true).unwrap(), v(2));
        assert_eq!(s.get(true).unwrap(), v(3));
        assert_eq!(s.get(true).unwrap_err().errno(), ENOENT);
    }

    #[test]
    fn stack_lifo_and_overwrite_oldest() {
        let mut s = q(MapType::Stack, 3);
        for i in 1..=3 {
            s.push(&v(i), BPF_ANY).unwrap();
        }
        s.push(&v(4), BPF_EXIST).unwrap();
        assert_eq!(s.len(), 3);
        assert_eq!(s.values(), vec![v(4), v(3), v(2)]);
        assert_eq!(s.get(true).unwrap(), v(4));
        assert_eq!(s.get(true).unwrap(), v(3));
        assert_eq!(s.get(true).unwrap(), v(2));
        assert!(s.get(false).is_err());
    }
}

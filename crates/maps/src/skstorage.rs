//! `BPF_MAP_TYPE_SK_STORAGE` (net/core/bpf_sk_storage.c,
//! kernel/bpf/bpf_local_storage.c): one value per socket, created and
//! reached by programs through `bpf_sk_storage_get` /
//! `bpf_sk_storage_delete`, and by user space with a socket fd as the key.
//!
//! bpfbox keys storage by socket id (the runtime's identity of a socket;
//! user space passes that id where the kernel takes an fd, as socket maps
//! do). A socket's storage lives until the socket goes
//! ([`crate::Map::sk_storage_forget`]). Values of deleted storage stay
//! readable until [`crate::Map::end_of_run`], like any element.
//!
//! The kernel also requires BTF for the key and value (for dumping);
//! [`crate::MapDef`] carries no BTF, so that check is the loader's.

use crate::def::MapDef;
use crate::error::{err, errno::*, MapError};
use crate::flags::*;
use crate::rawbuf::RawBuf;
use crate::storage::MAX_VALUE_SIZE;
use std::collections::BTreeMap;

/// `bpf_local_storage_map_alloc_check` (but the BTF requirement).
pub(crate) fn check(d: &MapDef) -> Result<(), MapError> {
    if d.map_flags & !(BPF_F_NO_PREALLOC | BPF_F_CLONE) != 0
        || d.map_flags & BPF_F_NO_PREALLOC == 0
        || d.max_entries != 0
        || d.key_size != 4
        || d.value_size == 0
    {
        return Err(err(
            EINVAL,
            "sk_storage needs BPF_F_NO_PREALLOC, max_entries 0, key_size 4, value_size > 0",
        ));
    }
    if d.value_size > MAX_VALUE_SIZE {
        return Err(err(E2BIG, format!("value_size above {MAX_VALUE_SIZE}")));
    }
    Ok(())
}

pub(crate) struct SkStorageStore {
    value_size: usize,
    by_sock: BTreeMap<u32, RawBuf>,
}

impl SkStorageStore {
    pub(crate) fn new(d: &MapDef) -> SkStorageStore {
        SkStorageStore {
            value_size: d.value_size as usize,
            by_sock: BTreeMap::new(),
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.by_sock.len()
    }

    pub(crate) fn sys_lookup(&self, sock: u32) -> Result<Vec<u8>, MapError> {
        self.by_sock
            .get(&sock)
            .map(|b| b.as_slice()[..self.value_size].to_vec())
            .ok_or_else(|| err(ENOENT, format!("socket {sock} has no storage")))
    }

    /// `bpf_local_storage_update` from user space or with the helper's
    /// `BPF_NOEXIST`; a replaced value goes to `grave`.
    pub(crate) fn update(
        &mut self,
        sock: u32,
        value: &[u8],
        flags: u64,
        grave: &mut Vec<RawBuf>,
    ) -> Result<(), MapError> {
        if flags & !BPF_F_LOCK > BPF_EXIST || flags & BPF_F_LOCK != 0 {
            return Err(err(EINVAL, format!("invalid update flags {flags:#x}")));
        }
        let exists = self.by_sock.contains_key(&sock);
        if flags == BPF_NOEXIST && exists {
            return Err(err(EEXIST, "the socket already has storage"));
        }
        if flags == BPF_EXIST && !exists {
            return Err(err(ENOENT, "the socket has no storage"));
        }
        let b = RawBuf::from_slice(&value[..self.value_size], self.value_size)?;
        if let Some(old) = self.by_sock.insert(sock, b) {
            grave.push(old);
        }
        Ok(())
    }

    /// Delete the socket's storage (`-ENOENT` when it has none).
    pub(crate) fn delete(&mut self, sock: u32, grave: &mut Vec<RawBuf>) -> Result<(), MapError> {
        match self.by_sock.remove(&sock) {
            Some(b) => {
                grave.push(b);
                Ok(())
            }
            None => Err(err(ENOENT, format!("socket {sock} has no storage"))),
        }
    }

    /// `bpf_sk_storage_get`: the storage's address; with `create`, new
    /// storage initialised from `init` (or zeroed) when there is none.
    pub(crate) fn get(&mut self, sock: u32, init: Option<&[u8]>, create: bool) -> Option<*mut u8> {
        if !self.by_sock.contains_key(&sock) {
            if !create {
                return None;
            }
            let b = match init {
                Some(v) => RawBuf::from_slice(&v[..self.value_size.min(v.len())], self.value_size),
                None => RawBuf::zeroed(self.value_size),
            }
            .ok()?;
            self.by_sock.insert(sock, b);
        }
        self.by_sock.get(&sock).map(RawBuf::ptr)
    }

    /// The kernel has no key walk for local storage (`ENOTSUPP`; a BPF
    /// iterator is the way to dump it).
    pub(crate) fn get_next_key(&self) -> Result<Vec<u8>, MapError> {
        Err(err(ENOTSUPP, "sk_storage maps have no key walk"))
    }

    /// Every (socket id, value) pair (bpfbox's own view; the kernel cannot
    /// list them from user space).
    pub(crate) fn entries(&self) -> Vec<(Vec<u8>, Vec<u8>)> {
        self.by_sock
            .iter()
            .map(|(k, b)| {
                (
                    k.to_ne_bytes().to_vec(),
                    b.as_slice()[..self.value_size].to_vec(),
                )
            })
            .collect()
    }

    /// The socket is gone: its storage with it (into `grave`).
    pub(crate) fn forget(&mut self, sock: u32, grave: &mut Vec<RawBuf>) {
        if let Some(b) = self.by_sock.remove(&sock) {
            grave.push(b);
        }
    }

    pub(crate) fn regions(&self, out: &mut Vec<(*mut u8, usize)>) {
        out.extend(self.by_sock.values().map(|b| (b.ptr(), b.len())));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::def::MapType;

    #[test]
    fn create_checks() {
        let d = |k, v, max, f| MapDef::new(MapType::SkStorage, k, v, max).with_flags(f);
        let e = |d: MapDef| check(&d).map(|_| 0).unwrap_or_else(|e| e.errno());
        assert_eq!(e(d(4, 8, 0, BPF_F_NO_PREALLOC)), 0);
        assert_eq!(e(d(4, 8, 0, BPF_F_NO_PREALLOC | BPF_F_CLONE)), 0);
        assert_eq!(e(d(4, 8, 0, 0)), EINVAL);
        assert_eq!(e(d(4, 8, 1, BPF_F_NO_PREALLOC)), EINVAL);
        assert_eq!(e(d(8, 8, 0, BPF_F_NO_PREALLOC)), EINVAL);
        assert_eq!(e(d(4, 0, 0, BPF_F_NO_PREALLOC)), EINVAL);
        assert_eq!(e(d(4, 65408, 0, BPF_F_NO_PREALLOC)), E2BIG);
    }

    #[test]
    fn per_socket_values() {
        let d = MapDef::new(MapType::SkStorage, 4, 8, 0).with_flags(BPF_F_NO_PREALLOC);
        let mut s = SkStorageStore::new(&d);
        let mut grave = Vec::new();
        assert!(s.get(7, None, false).is_none());
        let p = s.get(7, Some(&[1; 8]), true).unwrap();
        assert_eq!(s.get(7, None, true), Some(p), "existing storage is kept");
        assert_eq!(s.sys_lookup(7).unwrap(), vec![1; 8]);
        assert_eq!(
            s.update(7, &[2; 8], BPF_NOEXIST, &mut grave)
                .unwrap_err()
                .errno(),
            EEXIST
        );
        assert_eq!(
            s.update(8, &[2; 8], BPF_EXIST, &mut grave)
                .unwrap_err()
                .errno(),
            ENOENT
        );
        s.update(8, &[2; 8], BPF_ANY, &mut grave).unwrap();
        assert_eq!(s.get_next_key().unwrap_err().errno(), ENOTSUPP);
        assert_eq!(s.entries().len(), 2);
        s.delete(7, &mut grave).unwrap();
        assert_eq!(s.delete(7, &mut grave).unwrap_err().errno(), ENOENT);
        s.forget(8, &mut grave);
        assert_eq!(s.len(), 0);
        assert_eq!(grave.len(), 2);
    }
}

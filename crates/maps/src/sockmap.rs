//! Socket maps: `sockmap` (net/core/sock_map.c `sock_map_ops`), `sockhash`
//! (`sock_hash_ops`) and `reuseport_sockarray`
//! (kernel/bpf/reuseport_array.c).
//!
//! The kernel stores `struct sock` pointers and takes socket fds from user
//! space. bpfbox has no sockets: a socket is a `u32` **socket id** chosen by
//! the caller (an event names sockets by id), and a socket's cookie is its
//! id. The syscall side takes the id where the kernel takes an fd (ids above
//! `S32_MAX` are `EINVAL`, like fds) and returns the cookie (8-byte values
//! only, else `ENOSPC`) where the kernel does. The program side offers
//! [`Map::sock_at`] (what `bpf_sk_redirect_map`, `bpf_msg_redirect_map` and
//! `bpf_sk_select_reuseport` look up) and [`Map::sock_update_elem`]
//! (`bpf_sock_map_update` / `bpf_sock_hash_update`). A program's
//! `bpf_map_lookup_elem` on these maps returns a socket pointer in the
//! kernel; here [`Map::lookup_ptr`] returns NULL (documented difference).
//!
//! A socket is in at most one reuseport_sockarray slot (`EBUSY`); bpfbox
//! checks this within one map only (the kernel also refuses a socket that
//! another reuseport array holds).
//!
//! sockmap and reuseport_sockarray keep their slots in the fd-array store,
//! sockhash in the hash store (the value cell holds the id), so element
//! counting, `E2BIG` on a full hash and `get_next_key` order are those of
//! the underlying kernel tables.

use crate::array::index_of;
use crate::def::{MapDef, MapType};
use crate::error::{err, errno::*, MapError};
use crate::flags::*;
use crate::hash::Src;
use crate::map::{Map, Store};

/// `SOCK_CREATE_FLAG_MASK` (net/core/sock_map.c).
const SOCK_CREATE_FLAG_MASK: u32 = BPF_F_NUMA_NODE | BPF_F_RDONLY | BPF_F_WRONLY;
/// `MAX_BPF_STACK`: the largest sockhash key.
const MAX_BPF_STACK: u32 = 512;

impl MapType {
    /// The socket map types (values are sockets).
    pub fn is_sock(self) -> bool {
        matches!(
            self,
            MapType::Sockmap | MapType::Sockhash | MapType::ReuseportSockarray
        )
    }
}

/// `sock_map_alloc` / `sock_hash_alloc` / `reuseport_array_alloc_check`.
pub(crate) fn check(d: &MapDef) -> Result<(), MapError> {
    let value_ok = d.value_size == 4 || d.value_size == 8;
    match d.map_type {
        MapType::Sockmap => {
            if d.max_entries == 0
                || d.key_size != 4
                || !value_ok
                || d.map_flags & !SOCK_CREATE_FLAG_MASK != 0
            {
                return Err(err(
                    EINVAL,
                    "sockmap needs max_entries > 0, key_size 4, value_size 4 or 8 and no \
                     flags but NUMA_NODE/RDONLY/WRONLY",
                ));
            }
        }
        MapType::Sockhash => {
            if d.max_entries == 0
                || d.key_size == 0
                || !value_ok
                || d.map_flags & !SOCK_CREATE_FLAG_MASK != 0
            {
                return Err(err(
                    EINVAL,
                    "sockhash needs max_entries > 0, key_size > 0, value_size 4 or 8 and no \
                     flags but NUMA_NODE/RDONLY/WRONLY",
                ));
            }
            if d.key_size > MAX_BPF_STACK {
                return Err(err(E2BIG, "sockhash key_size exceeds 512"));
            }
        }
        _ => {
            // reuseport_array_alloc_check, then array_map_alloc_check.
            if !value_ok {
                return Err(err(EINVAL, "reuseport_sockarray value_size must be 4 or 8"));
            }
            const MASK: u32 = BPF_F_NUMA_NODE | BPF_F_ACCESS_MASK;
            if d.max_entries == 0 || d.key_size != 4 || d.map_flags & !MASK != 0 {
                return Err(err(
                    EINVAL,
                    "reuseport_sockarray needs max_entries > 0, key_size 4 and no flags but \
                     NUMA_NODE and access flags",
                ));
            }
        }
    }
    Ok(())
}

fn sock_id(value: &[u8]) -> Result<u32, MapError> {
    let v = match value.len() {
        8 => u64::from_ne_bytes(value.try_into().map_err(|_| err(EINVAL, "bad value"))?),
        4 => u64::from(u32::from_ne_bytes(
            value.try_into().map_err(|_| err(EINVAL, "bad value"))?,
        )),
        n => {
            return Err(err(
                EINVAL,
                format!("socket value must be 4 or 8 bytes, got {n}"),
            ))
        }
    };
    if v > i32::MAX as u64 {
        return Err(err(EINVAL, format!("socket id {v} exceeds S32_MAX")));
    }
    Ok(v as u32)
}

impl Map {
    /// Syscall-side update of a socket map: `value` (4 or 8 bytes) is the
    /// socket id. Flags above `BPF_EXIST` are `EINVAL`; an index past the
    /// array is `E2BIG`; `BPF_NOEXIST` on a set slot `EEXIST`, `BPF_EXIST`
    /// on an empty one `ENOENT` (`sock_map_update_common`,
    /// `bpf_fd_reuseport_array_update_elem`).
    pub(crate) fn sock_update_sys(
        &mut self,
        key: &[u8],
        value: &[u8],
        flags: u64,
    ) -> Result<(), MapError> {
        // bpf_fd_reuseport_array_update_elem reads a 4-byte value as an
        // int fd: a "negative" one fails the fd lookup (EBADF), after the
        // flag and index checks.
        if self.def.map_type == MapType::ReuseportSockarray && value.len() == 4 {
            let v = u32::from_ne_bytes([value[0], value[1], value[2], value[3]]);
            if v > i32::MAX as u32 {
                if flags > BPF_EXIST {
                    return Err(err(EINVAL, format!("invalid update flags {flags:#x}")));
                }
                let idx = index_of(key)?;
                if idx >= self.def.max_entries {
                    return Err(err(E2BIG, "index past the array"));
                }
                return Err(err(EBADF, "not an open file descriptor"));
            }
        }
        let id = sock_id(value)?;
        self.sock_update(key, id, flags)
    }

    fn sock_update(&mut self, key: &[u8], id: u32, flags: u64) -> Result<(), MapError> {
        if flags > BPF_EXIST {
            return Err(err(EINVAL, format!("invalid update flags {flags:#x}")));
        }
        let value_size = self.def.value_size as usize;
        match &mut self.store {
            Store::Fd(f) => {
                let idx = index_of(key)?;
                if idx >= self.def.max_entries {
                    return Err(err(
                        E2BIG,
                        format!("index {idx} >= max_entries {}", self.def.max_entries),
                    ));
                }
                let present = f.get(idx).is_some();
                if present && flags == BPF_NOEXIST {
                    return Err(err(EEXIST, "slot holds a socket"));
                }
                if !present && flags == BPF_EXIST {
                    return Err(err(ENOENT, "slot is empty"));
                }
                // reuseport_array_update_check: a socket sits in at most one
                // slot (its sk_user_data points there), even this one.
                if self.def.map_type == MapType::ReuseportSockarray
                    && (0..self.def.max_entries).any(|i| f.get(i) == Some(id))
                {
                    return Err(err(
                        EBUSY,
                        "the socket is already in a reuseport array slot",
                    ));
                }
                f.set(idx, id);
                Ok(())
            }
            Store::Hash(h) => {
                let mut v = vec![0u8; value_size];
                let n = v.len().min(4);
                v[..n].copy_from_slice(&id.to_ne_bytes()[..n]);
                h.update(key, Src::Sys(&v), flags, &mut self.grave)
            }
            _ => Err(err(EINVAL, "not a socket map")),
        }
    }

    /// Syscall-side lookup of a socket map: the socket's cookie (its id)
    /// as 8 bytes; `ENOSPC` for 4-byte values, `ENOENT` for no socket.
    pub(crate) fn sock_lookup_sys(&self, key: &[u8]) -> Result<Vec<u8>, MapError> {
        if self.def.value_size != 8 {
            return Err(err(ENOSPC, "socket cookies need an 8-byte value"));
        }
        match self.sock_at(key) {
            Some(id) => Ok(u64::from(id).to_ne_bytes().to_vec()),
            None => Err(err(ENOENT, "no socket under this key")),
        }
    }

    /// Syscall-side delete: sockmap answers `EINVAL` for an index past the
    /// array or an empty slot (`__sock_map_delete`), reuseport_sockarray
    /// `E2BIG` / `ENOENT`, sockhash `ENOENT`.
    pub(crate) fn sock_delete_sys(&mut self, key: &[u8]) -> Result<(), MapError> {
        let t = self.def.map_type;
        let max = self.def.max_entries;
        match &mut self.store {
            Store::Fd(f) => {
                let idx = index_of(key)?;
                let sockmap = t == MapType::Sockmap;
                if idx >= max {
                    let e = if sockmap { EINVAL } else { E2BIG };
                    return Err(err(e, format!("index {idx} >= max_entries {max}")));
                }
                if f.get(idx).is_none() {
                    let e = if sockmap { EINVAL } else { ENOENT };
                    return Err(err(e, "slot is empty"));
                }
                f.delete(idx)
            }
            Store::Hash(h) => h.delete(key, &mut self.grave),
            _ => Err(err(EINVAL, "not a socket map")),
        }
    }

    /// (key, value) pairs of a socket map for dumps: the value is the socket
    /// id in `value_size` bytes.
    pub(crate) fn sock_entries(&self) -> Vec<(Vec<u8>, Vec<u8>)> {
        let vs = self.def.value_size as usize;
        let keys: Vec<Vec<u8>> = match &self.store {
            Store::Fd(f) => f.entries().into_iter().map(|(k, _)| k).collect(),
            Store::Hash(h) => h.entries().into_iter().map(|(k, _)| k).collect(),
            _ => Vec::new(),
        };
        keys.into_iter()
            .filter_map(|k| {
                let id = self.sock_at(&k)?;
                let mut v = vec![0u8; vs];
                let b = u64::from(id).to_ne_bytes();
                v.copy_from_slice(&b[..vs]);
                Some((k, v))
            })
            .collect()
    }

    /// Program view: the socket id stored under `key` of a sockmap,
    /// sockhash or reuseport_sockarray (`__sock_map_lookup_elem`,
    /// `__sock_hash_lookup_elem`, `reuseport_array_lookup_elem`).
    pub fn sock_at(&self, key: &[u8]) -> Option<u32> {
        if !self.def.map_type.is_sock() || key.len() != self.def.key_size as usize {
            return None;
        }
        match &self.store {
            Store::Fd(f) => f.get(index_of(key).ok()?),
            Store::Hash(h) => {
                let v = h.sys_lookup(key).ok()?;
                Some(u32::from_ne_bytes([v[0], v[1], v[2], v[3]]))
            }
            _ => None,
        }
    }

    /// `bpf_sock_map_update` / `bpf_sock_hash_update` from a sock_ops
    /// program after the socket passed the hook's checks: stores socket
    /// `id` under `key`; returns 0 or `-errno` as the helper does.
    pub fn sock_update_elem(&mut self, key: &[u8], id: u32, flags: u64) -> i64 {
        let t = self.def.map_type;
        if !matches!(t, MapType::Sockmap | MapType::Sockhash) {
            return -i64::from(EINVAL);
        }
        match self.sock_update(key, id, flags) {
            Ok(()) => 0,
            Err(e) => -i64::from(e.errno()),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::{Map, MapConfig, MapDef, MapType};

    fn map(t: MapType, ks: u32, vs: u32, n: u32) -> Map {
        Map::new(MapDef::new(t, ks, vs, n), MapConfig::default()).unwrap()
    }

    #[test]
    fn create_checks() {
        let bad = |t, ks, vs, n| Map::new(MapDef::new(t, ks, vs, n), MapConfig::default());
        assert_eq!(bad(MapType::Sockmap, 4, 2, 1).unwrap_err().errno(), 22);
        assert_eq!(bad(MapType::Sockmap, 8, 4, 1).unwrap_err().errno(), 22);
        assert_eq!(bad(MapType::Sockhash, 600, 4, 1).unwrap_err().errno(), 7);
        assert_eq!(
            bad(MapType::ReuseportSockarray, 4, 2, 1)
                .unwrap_err()
                .errno(),
            22
        );
        assert!(bad(MapType::Sockhash, 12, 8, 4).is_ok());
    }

    #[test]
    fn sockmap_update_flags_and_cookie_lookup() {
        let mut m = map(MapType::Sockmap, 4, 8, 2);
        let k0 = 0u32.to_ne_bytes();
        assert_eq!(
            m.update(&k0, &7u64.to_ne_bytes(), 2).unwrap_err().errno(),
            2
        );
        m.update(&k0, &7u64.to_ne_bytes(), 1).unwrap();
        assert_eq!(
            m.update(&k0, &8u64.to_ne_bytes(), 1).unwrap_err().errno(),
            17
        );
        assert_eq!(m.lookup(&k0).unwrap(), 7u64.to_ne_bytes().to_vec());
        assert_eq!(
            m.update(&2u32.to_ne_bytes(), &7u64.to_ne_bytes(), 0)
                .unwrap_err()
                .errno(),
            7
        );
        assert_eq!(
            m.update(&k0, &7u64.to_ne_bytes(), 4).unwrap_err().errno(),
            22
        );
        assert_eq!(m.sock_at(&k0), Some(7));
        assert_eq!(m.delete(&1u32.to_ne_bytes()).unwrap_err().errno(), 22);
        m.delete(&k0).unwrap();
        assert_eq!(m.sock_at(&k0), None);
        let m4 = map(MapType::Sockmap, 4, 4, 2);
        assert_eq!(m4.lookup(&k0).unwrap_err().errno(), 28);
    }

    #[test]
    fn sockhash_program_update_and_full() {
        let mut m = map(MapType::Sockhash, 4, 4, 1);
        assert_eq!(m.sock_update_elem(&1u32.to_ne_bytes(), 5, 0), 0);
        assert_eq!(m.sock_update_elem(&2u32.to_ne_bytes(), 6, 0), -7);
        assert_eq!(m.sock_at(&1u32.to_ne_bytes()), Some(5));
        assert_eq!(m.entries().count(), 1);
        let mut r = map(MapType::ReuseportSockarray, 4, 4, 2);
        assert_eq!(r.sock_update_elem(&0u32.to_ne_bytes(), 5, 0), -22);
        r.update(&1u32.to_ne_bytes(), &9u32.to_ne_bytes(), 0)
            .unwrap();
        assert_eq!(r.sock_at(&1u32.to_ne_bytes()), Some(9));
        assert_eq!(r.delete(&0u32.to_ne_bytes()).unwrap_err().errno(), 2);
    }
}

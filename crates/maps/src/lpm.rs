//! `BPF_MAP_TYPE_LPM_TRIE` (kernel/bpf/lpm_trie.c).
//!
//! Keys are `struct bpf_lpm_trie_key_u8`: a host-order u32 prefix length and
//! `key_size - 4` data bytes. The kernel stores a path-compressed binary trie;
//! its shape is determined by the set of prefixes, so bpfbox stores the
//! prefixes in an ordered map whose order *is* the kernel's `get_next_key`
//! order (post-order: children before their parent, the 0 branch before the 1
//! branch) and answers longest-prefix lookups by probing the stored prefix
//! lengths from longest to shortest. Each node keeps the data bytes of the
//! update that created it (bits past the prefix included), as the kernel does.

use crate::def::MapDef;
use crate::error::{err, errno::*, MapError};
use crate::flags::*;
use crate::rawbuf::RawBuf;
use std::cmp::Ordering;
use std::collections::BTreeMap;

/// A prefix with the bits past `len` cleared.
#[derive(Clone, PartialEq, Eq, Debug)]
struct Prefix {
    len: u32,
    bits: Vec<u8>,
}

fn bit(data: &[u8], i: u32) -> u8 {
    (data[(i / 8) as usize] >> (7 - (i % 8))) & 1
}

fn masked(data: &[u8], len: u32) -> Vec<u8> {
    let mut v = data.to_vec();
    for (i, b) in v.iter_mut().enumerate() {
        let lo = i as u32 * 8;
        if lo >= len {
            *b = 0;
        } else if len - lo < 8 {
            *b &= 0xffu8 << (8 - (len - lo));
        }
    }
    v
}

impl Ord for Prefix {
    /// Post-order of the trie: compare bit strings where "end of prefix" sorts
    /// after both 0 and 1, so a longer prefix precedes its own ancestors.
    fn cmp(&self, o: &Self) -> Ordering {
        let n = self.len.min(o.len);
        let full = (n / 8) as usize;
        match self.bits[..full].cmp(&o.bits[..full]) {
            Ordering::Equal => {}
            ne => return ne,
        }
        for i in (full as u32 * 8)..n {
            match bit(&self.bits, i).cmp(&bit(&o.bits, i)) {
                Ordering::Equal => {}
                ne => return ne,
            }
        }
        o.len.cmp(&self.len)
    }
}

impl PartialOrd for Prefix {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}

struct Node {
    data: Vec<u8>,
    val: RawBuf,
}

pub(crate) struct LpmStore {
    key_size: usize,
    value_size: usize,
    max_entries: u32,
    max_prefixlen: u32,
    nodes: BTreeMap<Prefix, Node>,
    lens: BTreeMap<u32, usize>,
}

impl LpmStore {
    pub(crate) fn new(def: &MapDef) -> LpmStore {
        LpmStore {
            key_size: def.key_size as usize,
            value_size: def.value_size as usize,
            max_entries: def.max_entries,
            max_prefixlen: (def.key_size - 4) * 8,
            nodes: BTreeMap::new(),
            lens: BTreeMap::new(),
        }
    }

    fn parse<'k>(&self, key: &'k [u8]) -> Result<(u32, &'k [u8]), MapError> {
        if key.len() != self.key_size {
            return Err(err(
                EINVAL,
                format!("key must be {} bytes, got {}", self.key_size, key.len()),
            ));
        }
        let mut l = [0u8; 4];
        l.copy_from_slice(&key[..4]);
        Ok((u32::from_ne_bytes(l), &key[4..]))
    }

    fn exact(&self, key: &[u8]) -> Result<Option<Prefix>, MapError> {
        let (len, data) = self.parse(key)?;
        if len > self.max_prefixlen {
            return Ok(None);
        }
        let p = Prefix {
            len,
            bits: masked(data, len),
        };
        Ok(self.nodes.contains_key(&p).then_some(p))
    }

    /// Longest stored prefix matching `data` with length <= the key's.
    fn longest(&self, key: &[u8]) -> Option<&Node> {
        let (len, data) = self.parse(key).ok()?;
        if len > self.max_prefixlen {
            return None;
        }
        for (&l, _) in self.lens.range(..=len).rev() {
            let p = Prefix {
                len: l,
                bits: masked(data, l),
            };
            if let Some(n) = self.nodes.get(&p) {
                return Some(n);
            }
        }
        None
    }

    pub(crate) fn lookup_ptr(&self, key: &[u8]) -> Option<*mut u8> {
        self.longest(key).map(|n| n.val.ptr())
    }

    pub(crate) fn sys_lookup(&self, key: &[u8]) -> Result<Vec<u8>, MapError> {
        self.parse(key)?;
        match self.longest(key) {
            Some(n) => Ok(n.val.as_slice()[..self.value_size].to_vec()),
            None => Err(err(ENOENT, "no matching prefix")),
        }
    }

    /// `trie_update_elem`.
    pub(crate) fn update(
        &mut self,
        key: &[u8],
        value: &[u8],
        flags: u64,
        grave: &mut Vec<RawBuf>,
    ) -> Result<(), MapError> {
        let (len, data) = self.parse(key)?;
        if flags > BPF_EXIST {
            return Err(err(EINVAL, format!("invalid update flags {flags:#x}")));
        }
        if len > self.max_prefixlen {
            return Err(err(
                EINVAL,
                format!("prefixlen {len} > {}", self.max_prefixlen),
            ));
        }
        let p = Prefix {
            len,
            bits: masked(data, len),
        };
        let exists = self.nodes.contains_key(&p);
        if exists && flags == BPF_NOEXIST {
            return Err(err(EEXIST, "prefix exists (BPF_NOEXIST)"));
        }
        if !exists {
            if flags == BPF_EXIST {
                return Err(err(ENOENT, "no such prefix (BPF_EXIST)"));
            }
            if self.nodes.len() as u64 >= u64::from(self.max_entries) {
                return Err(err(ENOSPC, "trie is full"));
            }
        }
        let node = Node {
            data: data.to_vec(),
            val: RawBuf::from_slice(&value[..self.value_size], self.value_size)?,
        };
        if let Some(old) = self.nodes.insert(p, node) {
            grave.push(old.val);
        } else {
            *self.lens.entry(len).or_insert(0) += 1;
        }
        Ok(())
    }

    /// `trie_delete_elem`: exact prefix match.
    pub(crate) fn delete(&mut self, key: &[u8], grave: &mut Vec<RawBuf>) -> Result<(), MapError> {
        let (len, _) = self.parse(key)?;
        if len > self.max_prefixlen {
            return Err(err(
                EINVAL,
                format!("prefixlen {len} > {}", self.max_prefixlen),
            ));
        }
        let Some(p) = self.exact(key)? else {
            return Err(err(ENOENT, "no such prefix"));
        };
        if let Some(old) = self.nodes.remove(&p) {
            grave.push(old.val);
            if let Some(c) = self.lens.get_mut(&len) {
                *c -= 1;
                if *c == 0 {
                    self.lens.remove(&len);
                }
            }
        }
        Ok(())
    }

    fn key_of(p: &Prefix, n: &Node) -> Vec<u8> {
        let mut k = p.len.to_ne_bytes().to_vec();
        k.extend_from_slice(&n.data);
        k
    }

    /// `trie_get_next_key`: post-order; a missing key restarts at the leftmost node.
    pub(crate) fn get_next_key(&self, key: Option<&[u8]>) -> Result<Vec<u8>, MapError> {
        let cur = match key {
            Some(k) => self.exact(k)?,
            None => None,
        };
        let next = match cur {
            None => self.nodes.iter().next(),
            Some(p) => self
                .nodes
                .range((std::ops::Bound::Excluded(p), std::ops::Bound::Unbounded))
                .next(),
        };
        match next {
            Some((p, n)) => Ok(Self::key_of(p, n)),
            None => Err(err(ENOENT, "no more keys")),
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.nodes.len()
    }

    pub(crate) fn entries(&self) -> Vec<(Vec<u8>, Vec<u8>)> {
        self.nodes
            .iter()
            .map(|(p, n)| {
                (
                    Self::key_of(p, n),
                    n.val.as_slice()[..self.value_size].to_vec(),
                )
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::def::MapType;

    fn key(len: u32, ip: [u8; 4]) -> Vec<u8> {
        let mut k = len.to_ne_bytes().to_vec();
        k.extend_from_slice(&ip);
        k
    }

    fn trie(max: u32) -> LpmStore {
        LpmStore::new(&MapDef::new(MapType::LpmTrie, 8, 4, max).with_flags(BPF_F_NO_PREALLOC))
    }

    #[test]
    fn longest_prefix_match() {
        let mut g = Vec::new();
        let mut t = trie(10);
        t.update(&key(16, [192, 168, 0, 0]), &[16, 0, 0, 0], BPF_ANY, &mut g)
            .unwrap();
        t.update(&key(24, [192, 168, 1, 0]), &[24, 0, 0, 0], BPF_ANY, &mut g)
            .unwrap();
        t.update(&key(0, [0, 0, 0, 0]), &[0, 0, 0, 0], BPF_ANY, &mut g)
            .unwrap();
        let look = |t: &LpmStore, k: Vec<u8>| t.sys_lookup(&k).map(|v| v[0]).unwrap_or(255);
        assert_eq!(look(&t, key(32, [192, 168, 1, 7])), 24);
        assert_eq!(look(&t, key(32, [192, 168, 2, 7])), 16);
        assert_eq!(look(&t, key(32, [10, 0, 0, 1])), 0);
        assert_eq!(
            look(&t, key(20, [192, 168, 1, 7])),
            16,
            "key prefixlen bounds the match"
        );
        assert_eq!(look(&t, key(33, [192, 168, 1, 7])), 255);
    }

    #[test]
    fn update_flags_and_limits() {
        let mut g = Vec::new();
        let mut t = trie(2);
        let e = |r: Result<(), MapError>| r.map(|_| 0).unwrap_or_else(|e| e.errno());
        assert_eq!(
            e(t.update(&key(8, [10, 0, 0, 0]), &[1; 4], BPF_EXIST, &mut g)),
            ENOENT
        );
        assert_eq!(
            e(t.update(&key(8, [10, 0, 0, 0]), &[1; 4], BPF_NOEXIST, &mut g)),
            0
        );
        assert_eq!(
            e(t.update(&key(8, [10, 9, 9, 9]), &[2; 4], BPF_NOEXIST, &mut g)),
            EEXIST
        );
        assert_eq!(
            e(t.update(&key(8, [10, 9, 9, 9]), &[2; 4], BPF_EXIST, &mut g)),
            0
        );
        assert_eq!(g.len(), 1, "replaced node goes to the graveyard");
        assert_eq!(
            e(t.update(&key(33, [10, 0, 0, 0]), &[1; 4], BPF_ANY, &mut g)),
            EINVAL
        );
        assert_eq!(
            e(t.update(&key(8, [10, 0, 0, 0]), &[1; 4], BPF_F_LOCK, &mut g)),
            EINVAL
        );
        assert_eq!(
            e(t.update(&key(16, [10, 1, 0, 0]), &[1; 4], BPF_ANY, &mut g)),
            0
        );
        assert_eq!(
            e(t.update(&key(24, [10, 1, 1, 0]), &[1; 4], BPF_ANY, &mut g)),
            ENOSPC
        );
        // The stored data keeps the bytes of the last update, past the prefix too.
        assert_eq!(
            t.get_next_key(Some(&key(16, [10, 1, 0, 0]))).unwrap(),
            key(8, [10, 9, 9, 9])
        );
        assert_eq!(e(t.delete(&key(24, [10, 1, 0, 0]), &mut g)), ENOENT);
        assert_eq!(e(t.delete(&key(16, [10, 1, 7, 7]), &mut g)), 0);
        assert_eq!(e(t.delete(&key(40, [10, 1, 7, 7]), &mut g)), EINVAL);
    }

    #[test]
    fn next_key_is_post_order() {
        let mut g = Vec::new();
        let mut t = trie(10);
        // The example from the kernel's lpm_trie.c comment.
        for (l, ip) in [
            (16, [192, 168, 0, 0]),
            (24, [192, 168, 0, 0]),
            (24, [192, 168, 1, 0]),
            (24, [192, 168, 128, 0]),
            (8, [10, 0, 0, 0]),
        ] {
            t.update(&key(l, ip), &[0; 4], BPF_ANY, &mut g).unwrap();
        }
        let mut order = Vec::new();
        let mut cur = None;
        while let Ok(k) = t.get_next_key(cur.as_deref()) {
            order.push(k.clone());
            cur = Some(k);
        }
        assert_eq!(
            order,
            vec![
                key(8, [10, 0, 0, 0]),
                key(24, [192, 168, 0, 0]),
                key(24, [192, 168, 1, 0]),
                key(24, [192, 168, 128, 0]),
                key(16, [192, 168, 0, 0]),
            ]
        );
        assert_eq!(
            t.get_next_key(Some(&key(12, [1, 2, 3, 4]))).unwrap(),
            order[0]
        );
    }
}

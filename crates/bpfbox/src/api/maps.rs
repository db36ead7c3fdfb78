//! Maps by name, typed: [`HashMap`], [`Array`], [`RingBuf`], or untyped
//! bytes through [`MapHandle`]. Key and value types are plain data
//! ([`Pod`], e.g. integers, byte arrays, `#[repr(C)]` structs deriving
//! `bytemuck::Pod`), checked against the map's key and value sizes.

use super::{Error, Program};
use bpfbox_maps::MapType;
use std::marker::PhantomData;

/// Plain data a map key or value can be (re-exported from `bytemuck`).
pub use bytemuck::Pod;

/// A map's `(key, value)` pairs, as bytes.
pub type Entries = Vec<(Vec<u8>, Vec<u8>)>;

/// A map of a loaded program, as bytes.
pub struct MapHandle<'p> {
    prog: &'p mut Program,
    name: String,
    map_type: Option<MapType>,
    key_size: u32,
    value_size: u32,
}

impl std::fmt::Debug for MapHandle<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MapHandle")
            .field("name", &self.name)
            .field("map_type", &self.map_type)
            .field("key_size", &self.key_size)
            .field("value_size", &self.value_size)
            .finish()
    }
}

impl Program {
    /// The object's map `name`, as bytes.
    pub fn map(&mut self, name: &str) -> Result<MapHandle<'_>, Error> {
        let spec = self
            .map_spec(name)
            .ok_or_else(|| Error::NoMap(name.to_string()))?;
        let (map_type, key_size, value_size) = (
            MapType::from_u32(spec.map_type),
            spec.key_size,
            spec.value_size,
        );
        Ok(MapHandle {
            prog: self,
            name: name.to_string(),
            map_type,
            key_size,
            value_size,
        })
    }

    /// The hash map `name` (`BPF_MAP_TYPE_HASH`, `LRU_HASH`, `LPM_TRIE`
    /// keys included) with keys `K` and values `V`.
    pub fn hash_map<K: Pod, V: Pod>(&mut self, name: &str) -> Result<HashMap<'_, K, V>, Error> {
        let m = self.map(name)?;
        m.expect_kind(
            |t| matches!(t, MapType::Hash | MapType::LruHash | MapType::LpmTrie),
            "a hash map",
        )?;
        m.expect_sizes(size_of::<K>(), size_of::<V>())?;
        Ok(HashMap {
            map: m,
            _types: PhantomData,
        })
    }

    /// The array `name` (`BPF_MAP_TYPE_ARRAY`) with values `V`.
    pub fn array<V: Pod>(&mut self, name: &str) -> Result<Array<'_, V>, Error> {
        let m = self.map(name)?;
        m.expect_kind(|t| t == MapType::Array, "an array")?;
        m.expect_sizes(4, size_of::<V>())?;
        Ok(Array {
            map: m,
            _types: PhantomData,
        })
    }

    /// The ring buffer `name`, to read the records the program submitted.
    pub fn ring_buf(&mut self, name: &str) -> Result<RingBuf<'_>, Error> {
        let m = self.map(name)?;
        m.expect_kind(|t| t == MapType::Ringbuf, "a ring buffer")?;
        Ok(RingBuf { map: m })
    }
}

impl MapHandle<'_> {
    /// The map's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Its type, if bpfbox knows it.
    pub fn map_type(&self) -> Option<MapType> {
        self.map_type
    }

    /// `BPF_MAP_LOOKUP_ELEM`: the value under `key`, if any.
    pub fn get(&mut self, key: &[u8]) -> Result<Option<Vec<u8>>, Error> {
        let name = self.name.clone();
        self.prog
            .engine_mut()
            .lookup_map(&name, key)
            .map_err(|e| map_err(&name, e))
    }

    /// `BPF_MAP_UPDATE_ELEM` with `BPF_ANY`.
    pub fn insert(&mut self, key: &[u8], value: &[u8]) -> Result<(), Error> {
        let name = self.name.clone();
        self.prog
            .engine_mut()
            .update_map(&name, key, value)
            .map_err(|e| map_err(&name, e))
    }

    /// `BPF_MAP_DELETE_ELEM`: whether the key was there.
    pub fn remove(&mut self, key: &[u8]) -> Result<bool, Error> {
        let name = self.name.clone();
        self.prog
            .engine_mut()
            .delete_map(&name, key)
            .map_err(|e| map_err(&name, e))
    }

    /// Every `(key, value)` pair, sorted by key (arrays: the elements that
    /// are not all zero).
    pub fn entries(&mut self) -> Result<Entries, Error> {
        let d = self
            .prog
            .engine_mut()
            .peek_maps()
            .into_iter()
            .find(|d| d.name == self.name)
            .ok_or_else(|| Error::NoMap(self.name.clone()))?;
        match d.note {
            Some(note) => Err(Error::Map {
                map: self.name.clone(),
                errno: None,
                message: note,
            }),
            None => Ok(d.entries),
        }
    }

    fn expect_kind(&self, ok: impl Fn(MapType) -> bool, what: &str) -> Result<(), Error> {
        match self.map_type {
            Some(t) if ok(t) => Ok(()),
            t => Err(Error::MapType {
                map: self.name.clone(),
                message: format!("is {t:?}, not {what}"),
            }),
        }
    }

    fn expect_sizes(&self, key: usize, value: usize) -> Result<(), Error> {
        if key != self.key_size as usize || value != self.value_size as usize {
            return Err(Error::MapType {
                map: self.name.clone(),
                message: format!(
                    "key {} and value {} bytes, used with types of {key} and {value} bytes",
                    self.key_size, self.value_size
                ),
            });
        }
        Ok(())
    }
}

fn map_err(map: &str, e: crate::engine::RunError) -> Error {
    Error::Map {
        map: map.to_string(),
        errno: e.errno,
        message: e.message,
    }
}

fn value_of<V: Pod>(bytes: Vec<u8>) -> V {
    // sizes were checked when the handle was made
    bytemuck::pod_read_unaligned(&bytes[..size_of::<V>()])
}

/// A hash map with keys `K` and values `V`.
#[derive(Debug)]
pub struct HashMap<'p, K, V> {
    map: MapHandle<'p>,
    _types: PhantomData<(K, V)>,
}

impl<K: Pod, V: Pod> HashMap<'_, K, V> {
    /// The value under `key`, if any.
    pub fn get(&mut self, key: &K) -> Result<Option<V>, Error> {
        Ok(self.map.get(bytemuck::bytes_of(key))?.map(value_of))
    }

    /// Inserts or replaces `key`'s value.
    pub fn insert(&mut self, key: K, value: V) -> Result<(), Error> {
        self.map
            .insert(bytemuck::bytes_of(&key), bytemuck::bytes_of(&value))
    }

    /// Removes `key`; whether it was there.
    pub fn remove(&mut self, key: &K) -> Result<bool, Error> {
        self.map.remove(bytemuck::bytes_of(key))
    }

    /// Every entry, sorted by the key's bytes.
    pub fn entries(&mut self) -> Result<Vec<(K, V)>, Error> {
        Ok(self
            .map
            .entries()?
            .into_iter()
            .map(|(k, v)| (value_of(k), value_of(v)))
            .collect())
    }
}

/// An array with values `V` (indices are `u32`).
#[derive(Debug)]
pub struct Array<'p, V> {
    map: MapHandle<'p>,
    _types: PhantomData<V>,
}

impl<V: Pod> Array<'_, V> {
    /// The value at `index` (an array has every index below its size).
    pub fn get(&mut self, index: u32) -> Result<V, Error> {
        match self.map.get(&index.to_le_bytes())? {
            Some(v) => Ok(value_of(v)),
            None => Err(Error::Map {
                map: self.map.name.clone(),
                errno: Some(bpfbox_uapi::errno::ENOENT),
                message: format!("index {index} is past the array"),
            }),
        }
    }

    /// Sets the value at `index`.
    pub fn set(&mut self, index: u32, value: V) -> Result<(), Error> {
        self.map
            .insert(&index.to_le_bytes(), bytemuck::bytes_of(&value))
    }
}

/// A ring buffer's records.
#[derive(Debug)]
pub struct RingBuf<'p> {
    map: MapHandle<'p>,
}

impl RingBuf<'_> {
    /// The records submitted since the last call, oldest first (consumed,
    /// as a user-space reader consumes them).
    pub fn drain(&mut self) -> Result<Vec<Vec<u8>>, Error> {
        let name = self.map.name.clone();
        self.map
            .prog
            .engine_mut()
            .drain_map(&name)
            .map_err(|e| map_err(&name, e))
    }
}

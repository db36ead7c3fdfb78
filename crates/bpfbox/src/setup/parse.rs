//! Reading a [`Setup`] from JSON, with the path of every mistake.
//!
//! Keys that start with `_` are comments (a dump writes the map type and
//! notes there) and are ignored at every level.

use super::{EntrySetup, EntryValue, MapSetup, Setup, SetupError, SlotSetup};
use serde_json::{Map as JsonMap, Value};
use std::io::Read;
use std::path::{Path, PathBuf};

/// Largest setup file read (a setup is written by hand or by a dump).
pub const MAX_SETUP_BYTES: u64 = 256 << 20;

/// Reads a text file of at most [`MAX_SETUP_BYTES`].
pub(crate) fn read_bounded(path: &Path) -> Result<String, String> {
    let f = std::fs::File::open(path).map_err(|e| format!("cannot read: {e}"))?;
    let mut buf = Vec::new();
    f.take(MAX_SETUP_BYTES + 1)
        .read_to_end(&mut buf)
        .map_err(|e| format!("cannot read: {e}"))?;
    if buf.len() as u64 > MAX_SETUP_BYTES {
        return Err(format!(
            "larger than {} MiB, not a setup file",
            MAX_SETUP_BYTES >> 20
        ));
    }
    String::from_utf8(buf).map_err(|_| "not UTF-8 text".to_string())
}

struct P<'a> {
    origin: &'a str,
}

impl P<'_> {
    fn err(&self, path: &str, message: impl Into<String>) -> SetupError {
        SetupError {
            origin: self.origin.to_string(),
            path: path.to_string(),
            message: message.into(),
        }
    }

    fn object<'v>(
        &self,
        v: &'v Value,
        path: &str,
    ) -> Result<&'v JsonMap<String, Value>, SetupError> {
        v.as_object().ok_or_else(|| {
            self.err(
                path,
                format!("expected an object, found {}", super::value::show(v)),
            )
        })
    }

    /// Checks that `o` has only keys of `known` (and `_comments`).
    fn known(
        &self,
        o: &JsonMap<String, Value>,
        known: &[&str],
        path: &str,
    ) -> Result<(), SetupError> {
        for k in o.keys() {
            if !k.starts_with('_') && !known.contains(&k.as_str()) {
                return Err(self.err(
                    &join(path, k),
                    format!("unknown key `{k}` (known: {})", known.join(", ")),
                ));
            }
        }
        Ok(())
    }

    fn uint(&self, v: &Value, path: &str, max: u64) -> Result<u64, SetupError> {
        let n = match v {
            Value::Number(n) => n.as_u64(),
            Value::String(s) => s
                .strip_prefix("0x")
                .map_or_else(|| s.parse().ok(), |h| u64::from_str_radix(h, 16).ok()),
            _ => None,
        };
        match n {
            Some(n) if n <= max => Ok(n),
            Some(_) => Err(self.err(
                path,
                format!(
                    "{} does not fit u{}",
                    super::value::show(v),
                    64 - max.leading_zeros()
                ),
            )),
            None => Err(self.err(
                path,
                format!("{} is not an unsigned number", super::value::show(v)),
            )),
        }
    }

    fn u32_opt(
        &self,
        o: &JsonMap<String, Value>,
        k: &str,
        path: &str,
    ) -> Result<Option<u32>, SetupError> {
        o.get(k)
            .map(|v| {
                self.uint(v, &join(path, k), u64::from(u32::MAX))
                    .map(|n| n as u32)
            })
            .transpose()
    }

    fn map(&self, v: &Value, path: &str) -> Result<MapSetup, SetupError> {
        let o = self.object(v, path)?;
        self.known(
            o,
            &[
                "max_entries",
                "map_flags",
                "numa_node",
                "map_extra",
                "key_size",
                "value_size",
                "entries",
                "slots",
            ],
            path,
        )?;
        let mut m = MapSetup {
            max_entries: self.u32_opt(o, "max_entries", path)?,
            map_flags: self.u32_opt(o, "map_flags", path)?,
            numa_node: self.u32_opt(o, "numa_node", path)?,
            map_extra: o
                .get("map_extra")
                .map(|v| self.uint(v, &join(path, "map_extra"), u64::MAX))
                .transpose()?,
            key_size: self.u32_opt(o, "key_size", path)?,
            value_size: self.u32_opt(o, "value_size", path)?,
            ..MapSetup::default()
        };
        if let Some(e) = o.get("entries") {
            let ep = join(path, "entries");
            let list = e.as_array().ok_or_else(|| {
                self.err(&ep, "expected an array of {\"key\": ..., \"value\": ...}")
            })?;
            for (i, item) in list.iter().enumerate() {
                m.entries.push(self.entry(item, &format!("{ep}[{i}]"))?);
            }
        }
        if let Some(s) = o.get("slots") {
            let sp = join(path, "slots");
            for (k, v) in self.object(s, &sp)? {
                if k.starts_with('_') {
                    continue;
                }
                let p = join(&sp, k);
                let idx = k
                    .parse::<u32>()
                    .map_err(|_| self.err(&p, format!("slot `{k}` is not an index (u32)")))?;
                m.slots.insert(idx, self.slot(v, &p)?);
            }
        }
        Ok(m)
    }

    fn entry(&self, v: &Value, path: &str) -> Result<EntrySetup, SetupError> {
        let o = self.object(v, path)?;
        self.known(o, &["key", "value", "values"], path)?;
        let value = match (o.get("value"), o.get("values")) {
            (Some(v), None) => EntryValue::One(v.clone()),
            (None, Some(Value::Array(vs))) => EntryValue::PerCpu(vs.clone()),
            (None, Some(_)) => {
                return Err(self.err(
                    &join(path, "values"),
                    "expected an array (one value per CPU)",
                ))
            }
            (Some(_), Some(_)) => {
                return Err(self.err(path, "give \"value\" or \"values\", not both"))
            }
            (None, None) => return Err(self.err(path, "an entry needs a \"value\"")),
        };
        Ok(EntrySetup {
            key: o.get("key").cloned().unwrap_or(Value::Null),
            value,
        })
    }

    fn slot(&self, v: &Value, path: &str) -> Result<Option<SlotSetup>, SetupError> {
        Ok(Some(match v {
            Value::Null => return Ok(None),
            Value::String(s) => SlotSetup::Program {
                object: None,
                prog: s.clone(),
            },
            Value::Object(o) if o.contains_key("prog") => {
                self.known(o, &["prog", "object"], path)?;
                let prog = o["prog"]
                    .as_str()
                    .ok_or_else(|| self.err(&join(path, "prog"), "expected a program name"))?;
                let object = match o.get("object") {
                    None => None,
                    Some(Value::String(f)) => Some(PathBuf::from(f)),
                    Some(_) => return Err(self.err(&join(path, "object"), "expected a file name")),
                };
                SlotSetup::Program {
                    object,
                    prog: prog.to_string(),
                }
            }
            Value::Object(o) if o.contains_key("cgroup") => {
                self.known(o, &["cgroup"], path)?;
                let c = o["cgroup"].as_str().ok_or_else(|| {
                    self.err(&join(path, "cgroup"), "expected a cgroup path (\"/\" is the root)")
                })?;
                SlotSetup::Cgroup(c.to_string())
            }
            Value::Object(o) if o.contains_key("map") => {
                self.known(o, &["map"], path)?;
                let m = o["map"]
                    .as_str()
                    .ok_or_else(|| self.err(&join(path, "map"), "expected a map name"))?;
                SlotSetup::Map(m.to_string())
            }
            Value::Object(_) => SlotSetup::Inner(self.map(v, path)?),
            _ => {
                return Err(self.err(
                    path,
                    "expected a program name, {\"prog\": ..., \"object\": ...}, {\"map\": ...}, an inner map or {\"cgroup\": ...}",
                ))
            }
        }))
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// Parses a setup from JSON text.
pub(crate) fn from_json(text: &str, origin: &str) -> Result<Setup, SetupError> {
    let p = P { origin };
    let root: Value =
        serde_json::from_str(text).map_err(|e| p.err("", format!("not valid JSON: {e}")))?;
    let o = p.object(&root, "")?;
    p.known(o, &["maps", "globals", "kconfig"], "")?;
    let mut s = Setup::new(origin);
    if let Some(maps) = o.get("maps") {
        for (name, v) in p.object(maps, "maps")? {
            if name.starts_with('_') {
                continue;
            }
            let m = p.map(v, &join("maps", name))?;
            s.maps.insert(name.clone(), m);
        }
    }
    for (key, dst) in [("globals", &mut s.globals), ("kconfig", &mut s.kconfig)] {
        if let Some(g) = o.get(key) {
            for (name, v) in p.object(g, key)? {
                if !name.starts_with('_') {
                    dst.insert(name.clone(), v.clone());
                }
            }
        }
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(text: &str) -> String {
        from_json(text, "s.json").unwrap_err().to_string()
    }

    #[test]
    fn errors_name_the_path() {
        assert!(e("{").starts_with("s.json: not valid JSON: "));
        assert_eq!(
            e(r#"{"mapz": {}}"#),
            "s.json: mapz: unknown key `mapz` (known: maps, globals, kconfig)"
        );
        assert_eq!(
            e(r#"{"maps": {"m": {"max_entries": -1}}}"#),
            "s.json: maps.m.max_entries: -1 is not an unsigned number"
        );
        assert_eq!(
            e(r#"{"maps": {"m": {"max_entries": 4294967296}}}"#),
            "s.json: maps.m.max_entries: 4294967296 does not fit u32"
        );
        assert_eq!(
            e(r#"{"maps": {"m": {"entries": [{"key": 1}]}}}"#),
            "s.json: maps.m.entries[0]: an entry needs a \"value\""
        );
        assert_eq!(
            e(r#"{"maps": {"m": {"slots": {"x": "p"}}}}"#),
            "s.json: maps.m.slots.x: slot `x` is not an index (u32)"
        );
    }

    #[test]
    fn reads_every_part() {
        let s = from_json(
            r#"{"_c": 1, "maps": {"m": {"max_entries": 8, "_type": "hash",
                "entries": [{"key": 1, "value": 2}, {"key": 2, "values": [1, 2]}],
                "slots": {"0": "p", "1": {"prog": "q", "object": "o.o"}, "2": {"map": "x"},
                          "3": {"max_entries": 2}, "4": null}}},
                "globals": {"g": 1}, "kconfig": {"CONFIG_HZ": 100}}"#,
            "s",
        )
        .unwrap();
        let m = &s.maps["m"];
        assert_eq!(m.max_entries, Some(8));
        assert_eq!(m.entries.len(), 2);
        assert!(matches!(m.entries[1].value, EntryValue::PerCpu(ref v) if v.len() == 2));
        assert_eq!(m.slots.len(), 5);
        assert_eq!(m.slots[&4], None);
        assert!(matches!(m.slots[&3], Some(SlotSetup::Inner(ref i)) if i.max_entries == Some(2)));
        assert_eq!(s.globals["g"], 1);
        assert_eq!(s.kconfig["CONFIG_HZ"], 100);
    }
}

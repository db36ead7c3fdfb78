//! The BTF-typed form of keys and values (`setup::value::decode`) holds
//! the same numbers as bpftool's BTF-typed dump (`bpftool -j map dump`,
//! its `formatted` part) of the same map in the kernel, filled from the
//! same setup: struct members, bitfields, enums, bools, char strings,
//! signed fields and arrays. Address-named fields and `__be` fields are
//! shown differently on purpose (address strings, host-order numbers), so
//! the comparison reads those back to bpftool's form first.

use super::root;
use bpfbox::setup::{self, Setup};
use serde_json::Value;
use std::process::Command;

/// bpftool's form of one of our decoded values: address strings become
/// their bytes, `__be` numbers their raw (unswapped) value.
fn normalize(ours: &Value, theirs: &Value) -> Value {
    match (ours, theirs) {
        (Value::String(s), Value::Array(t)) if s.contains(':') || s.contains('.') => {
            let bytes = if let Ok(a) = s.parse::<std::net::Ipv4Addr>() {
                a.octets().to_vec()
            } else if let Ok(a) = s.parse::<std::net::Ipv6Addr>() {
                a.octets().to_vec()
            } else {
                setup::value::parse_hex(s).unwrap_or_default()
            };
            if bytes.len() == t.len() {
                Value::Array(bytes.into_iter().map(Value::from).collect())
            } else {
                ours.clone()
            }
        }
        (Value::String(s), Value::Number(_)) => match s.parse::<std::net::Ipv4Addr>() {
            Ok(a) => Value::from(u32::from_le_bytes(a.octets())),
            Err(_) => ours.clone(),
        },
        (Value::Object(o), Value::Object(t)) => Value::Object(
            o.iter()
                .map(|(k, v)| (k.clone(), t.get(k).map_or(v.clone(), |tv| normalize(v, tv))))
                .collect(),
        ),
        (Value::Array(a), Value::Array(t)) => {
            Value::Array(a.iter().zip(t).map(|(x, y)| normalize(x, y)).collect())
        }
        _ => ours.clone(),
    }
}

/// bpftool's form read the way ours is written: anonymous members (bpftool
/// nests them under "") flattened, bitfields (bpftool: "0x5") as numbers,
/// and of a union only the member ours shows (its largest).
fn flatten(theirs: &Value, ours: &Value) -> Value {
    match (theirs, ours) {
        (Value::Object(t), Value::Object(o)) => {
            let mut out = serde_json::Map::new();
            for (k, v) in t {
                if k.is_empty() {
                    if let Value::Object(inner) = flatten(v, ours) {
                        out.extend(inner.into_iter().filter(|(k, _)| o.contains_key(k)));
                    }
                } else {
                    out.insert(k.clone(), o.get(k).map_or(v.clone(), |ov| flatten(v, ov)));
                }
            }
            Value::Object(out)
        }
        (Value::Array(t), Value::Array(o)) => {
            Value::Array(t.iter().zip(o).map(|(x, y)| flatten(x, y)).collect())
        }
        (Value::String(s), Value::Number(_)) if s.starts_with("0x") => {
            u64::from_str_radix(&s[2..], 16).map_or(theirs.clone(), Value::from)
        }
        _ => theirs.clone(),
    }
}

pub(crate) fn decoded_values_hold_what_bpftool_shows() {
    let s = Setup::from_json(
        r#"{"maps": {"rules": {"entries": [
            {"key": {"saddr6": "2001:db8::1", "sport": 1234, "dport": 443, "proto": 17, "mac": "02:00:00:00:00:07"},
             "value": {"color": "BLUE", "delta": -2, "a": 5, "b": 17, "word": 16909060, "label": "abc",
                       "nh_addr": "192.0.2.1", "cookie": 1, "on": true}},
            {"key": {"sport": 1, "proto": 6}, "value": {"color": "GREEN", "delta": 300, "bytes": [1, 2, 3, 4]}}]}}}"#,
        "types.json",
    )
    .unwrap();
    let path = root().join("tests/progs/setup/types.o");
    let (obj, prep) = setup::load_object(&path, Some(&s)).unwrap();
    let def = obj.program("types_prog").unwrap();
    let k = bpfbox::kobj::KernelObject::load(&obj, def).unwrap();
    prep.fill_with(1, &mut |name, key, v| {
        let i = obj.map_index(name).unwrap();
        k.maps[i].update(key, v, 0).map_err(|e| e.to_string())
    })
    .unwrap();
    let i = obj.map_index("rules").unwrap();
    let id = k.maps[i].info().unwrap().id;
    let out = Command::new("bpftool")
        .args(["-j", "map", "dump", "id", &id.to_string()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dump: Value = serde_json::from_slice(&out.stdout).unwrap();
    let spec = &obj.maps[i];
    let btf = obj.btf.as_ref().unwrap();
    let kty = setup::value::Ty::Btf(btf, spec.btf_key_type_id);
    let vty = setup::value::Ty::Btf(btf, spec.btf_value_type_id);
    let entries = dump.as_array().unwrap();
    assert_eq!(entries.len(), 2);
    for e in entries {
        let f = &e["formatted"];
        assert!(f.is_object(), "bpftool gave no BTF-typed form: {e}");
        let hex = |v: &Value| -> Vec<u8> {
            v.as_array()
                .unwrap()
                .iter()
                .map(|b| {
                    u8::from_str_radix(b.as_str().unwrap().trim_start_matches("0x"), 16).unwrap()
                })
                .collect()
        };
        let (kb, vb) = (hex(&e["key"]), hex(&e["value"]));
        for (ours, theirs) in [
            (setup::value::decode(kty, &kb, ""), &f["key"]),
            (setup::value::decode(vty, &vb, ""), &f["value"]),
        ] {
            let mut ours = normalize(&ours, theirs);
            // __be fields: ours are host-order numbers, bpftool's raw
            for (field, size) in [("sport", 2), ("dport", 2), ("cookie", 8)] {
                if let Some(n) = ours.get(field).and_then(Value::as_u64) {
                    let b = n.to_be_bytes();
                    let raw = b[8 - size..]
                        .iter()
                        .rev()
                        .fold(0u64, |a, &x| a << 8 | u64::from(x));
                    ours[field] = Value::from(raw);
                }
            }
            let theirs = flatten(theirs, &ours);
            assert_eq!(ours, theirs, "ours (normalized) vs bpftool");
        }
    }
}

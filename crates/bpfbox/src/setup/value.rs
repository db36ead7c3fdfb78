//! Map keys, map values and global variables as JSON, structured by the
//! object's BTF types: [`encode`] turns a JSON value into the bytes of a
//! type, [`decode`] turns bytes back into JSON that [`encode`] accepts.
//!
//! The rules (also in the README):
//! - integers are JSON numbers (or strings holding a decimal or `0x` hex
//!   number, or `true`/`false`), stored in the host's (little-endian)
//!   order, **except** when the field's type is, or is a typedef of,
//!   `__be16`, `__be32` or `__be64`: those are stored in network (big-endian)
//!   order. `{"be": N}` forces network order and `{"le": N}` host order
//!   for any integer field;
//! - any field of 4 bytes takes an IPv4 address string (`"10.0.0.1"`), of
//!   16 bytes an IPv6 address string (`"2001:db8::1"`), of 6 bytes a MAC
//!   address (`"02:00:00:00:00:01"`): the address's bytes in network
//!   order, whatever the field's type;
//! - enums take a number or an enumerator name; `char` arrays take a
//!   string (zero-padded); other arrays a JSON array (missing elements are
//!   zero); structs and unions an object by member name (missing members
//!   are zero; members of anonymous structs and unions are named directly);
//! - any type takes `{"hex": "0a c8 01 01"}`, its exact bytes; a string
//!   where a struct, union or non-char array is expected is hex as well;
//! - `null` is all zeros.

use bpfbox_object::btf::{kind, Btf, Extra, Member};
use serde_json::{Map as JsonMap, Value};
use std::net::{Ipv4Addr, Ipv6Addr};

/// Where an error is and what it is; the caller adds the file name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValueError {
    /// `maps.vips.entries[2].key.port`.
    pub path: String,
    /// `70000 does not fit u16`.
    pub message: String,
}

impl ValueError {
    /// An error at `path`.
    pub fn new(path: &str, message: impl Into<String>) -> ValueError {
        ValueError {
            path: path.to_string(),
            message: message.into(),
        }
    }
}

type Result<T> = std::result::Result<T, ValueError>;

/// A type to encode: a BTF type id, or raw bytes of a size (maps without
/// BTF, legacy `maps` definitions).
#[derive(Debug, Clone, Copy)]
pub enum Ty<'b> {
    /// A BTF type.
    Btf(&'b Btf, u32),
    /// `n` bytes with no type: a number (little-endian, when `n` is 1, 2,
    /// 4 or 8), an address string or hex.
    Raw(u32),
}

impl Ty<'_> {
    /// Size in bytes.
    pub fn size(&self) -> u32 {
        match *self {
            Ty::Btf(btf, id) => btf.resolve_size(id).unwrap_or(0),
            Ty::Raw(n) => n,
        }
    }
}

/// Parses `"0a c8 01 01"`, `"0ac80101"` or `"0x0ac80101"` as bytes.
pub fn parse_hex(s: &str) -> Option<Vec<u8>> {
    let s = s.strip_prefix("0x").unwrap_or(s);
    let digits: Vec<u8> = s
        .bytes()
        .filter(|c| !matches!(c, b' ' | b':' | b'_' | b'-'))
        .collect();
    if !digits.len().is_multiple_of(2) {
        return None;
    }
    digits
        .chunks(2)
        .map(|p| u8::from_str_radix(std::str::from_utf8(p).ok()?, 16).ok())
        .collect()
}

/// Lower-case hex, no separators.
pub fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn parse_mac(s: &str) -> Option<[u8; 6]> {
    let parts: Vec<&str> = s.split([':', '-']).collect();
    if parts.len() != 6 {
        return None;
    }
    let mut out = [0u8; 6];
    for (o, p) in out.iter_mut().zip(parts) {
        if p.is_empty() || p.len() > 2 {
            return None;
        }
        *o = u8::from_str_radix(p, 16).ok()?;
    }
    Some(out)
}

/// An address string for a field of `size` bytes, in network order.
fn address(s: &str, size: u32) -> Option<Vec<u8>> {
    match size {
        4 => s.parse::<Ipv4Addr>().ok().map(|a| a.octets().to_vec()),
        16 => s.parse::<Ipv6Addr>().ok().map(|a| a.octets().to_vec()),
        6 => parse_mac(s).map(|m| m.to_vec()),
        _ => None,
    }
}

/// What a JSON value shows, cut to a readable length.
pub fn show(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 40 {
        format!("{}…", s.chars().take(40).collect::<String>())
    } else {
        s
    }
}

/// Byte order of an integer field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Order {
    Host,
    Network,
}

/// An integer type: size in bytes, signedness, bool, char.
#[derive(Debug, Clone, Copy)]
struct IntTy {
    size: u32,
    signed: bool,
    is_bool: bool,
    is_char: bool,
    /// Bits used (< size*8 for old-style bitfield INTs).
    bits: u32,
    /// Bit offset inside the INT (old-style bitfields).
    bit_off: u32,
}

fn int_name(t: &IntTy) -> String {
    if t.is_bool {
        return "bool".into();
    }
    format!("{}{}", if t.signed { 's' } else { 'u' }, t.bits)
}

/// Follows typedefs and modifiers; notes a `__be*` typedef on the way.
fn resolve(btf: &Btf, mut id: u32) -> (u32, Order) {
    let mut order = Order::Host;
    for _ in 0..64 {
        let Some(t) = btf.type_by_id(id) else { break };
        match t.kind {
            kind::TYPEDEF => {
                if matches!(
                    btf.str_at(t.name_off).unwrap_or(""),
                    "__be16" | "__be32" | "__be64"
                ) {
                    order = Order::Network;
                }
                id = t.size_or_type;
            }
            kind::VOLATILE | kind::CONST | kind::RESTRICT | kind::TYPE_TAG => id = t.size_or_type,
            _ => break,
        }
    }
    (id, order)
}

fn int_ty(btf: &Btf, id: u32) -> Option<IntTy> {
    let t = btf.type_by_id(id)?;
    let Extra::Int(enc) = t.extra else {
        return None;
    };
    let encoding = enc >> 24;
    Some(IntTy {
        size: t.size_or_type,
        signed: encoding & 1 != 0,
        is_char: encoding & 2 != 0
            || matches!(btf.str_at(t.name_off), Some("char" | "signed char")),
        is_bool: encoding & 4 != 0,
        bits: enc & 0xff,
        bit_off: (enc >> 16) & 0xff,
    })
}

/// A JSON number or numeric string as an integer (i128 holds u64 and i64).
fn number(v: &Value) -> Option<i128> {
    match v {
        Value::Number(n) => n
            .as_u64()
            .map(i128::from)
            .or_else(|| n.as_i64().map(i128::from)),
        Value::Bool(b) => Some(i128::from(*b)),
        Value::String(s) => {
            let s = s.trim();
            let (neg, body) = match s.strip_prefix('-') {
                Some(r) => (true, r),
                None => (false, s),
            };
            let mag = match body.strip_prefix("0x").or_else(|| body.strip_prefix("0X")) {
                Some(h) => u64::from_str_radix(&h.replace('_', ""), 16).ok()?,
                None => body.replace('_', "").parse::<u64>().ok()?,
            };
            Some(if neg {
                -i128::from(mag)
            } else {
                i128::from(mag)
            })
        }
        _ => None,
    }
}

/// Checks that `n` fits `bits` (signed or not) and returns its two's
/// complement bits.
fn fit(n: i128, bits: u32, signed: bool, tyname: &str, v: &Value, path: &str) -> Result<u64> {
    let ok = if signed {
        let lo = -(1i128 << (bits - 1));
        let hi = (1i128 << (bits - 1)) - 1;
        (lo..=hi).contains(&n)
    } else {
        n >= 0 && n < (1i128 << bits)
    };
    if !ok {
        return Err(ValueError::new(
            path,
            format!("{} does not fit {tyname}", show(v)),
        ));
    }
    Ok(n as u64
        & if bits >= 64 {
            u64::MAX
        } else {
            (1u64 << bits) - 1
        })
}

fn put_int(out: &mut [u8], bits: u64, order: Order) {
    let n = out.len().min(8);
    let le = bits.to_le_bytes();
    match order {
        Order::Host => out[..n].copy_from_slice(&le[..n]),
        Order::Network => {
            for i in 0..n {
                out[i] = le[n - 1 - i];
            }
        }
    }
}

fn get_int(b: &[u8], order: Order) -> u64 {
    let n = b.len().min(8);
    let mut le = [0u8; 8];
    match order {
        Order::Host => le[..n].copy_from_slice(&b[..n]),
        Order::Network => {
            for i in 0..n {
                le[i] = b[n - 1 - i];
            }
        }
    }
    u64::from_le_bytes(le)
}

/// An explicit `{"be": N}` / `{"le": N}` / `{"hex": "..."}` annotation.
fn annotation(v: &Value) -> Option<(&str, &Value)> {
    let o = v.as_object()?;
    if o.len() != 1 {
        return None;
    }
    let (k, inner) = o.iter().next()?;
    matches!(k.as_str(), "be" | "le" | "hex").then_some((k.as_str(), inner))
}

/// Encodes `v` as type `ty` into `out` (whose length is the type's size).
pub fn encode(ty: Ty, v: &Value, path: &str, out: &mut [u8]) -> Result<()> {
    match ty {
        Ty::Raw(n) => encode_raw(n, v, path, out),
        Ty::Btf(btf, id) => Enc { btf }.value(id, v, path, out, Order::Host),
    }
}

/// Encodes into a new buffer of the type's size.
pub fn encode_new(ty: Ty, v: &Value, path: &str) -> Result<Vec<u8>> {
    let mut out = vec![0u8; ty.size() as usize];
    encode(ty, v, path, &mut out)?;
    Ok(out)
}

fn hex_exact(s: &str, size: usize, path: &str) -> Result<Vec<u8>> {
    let b = parse_hex(s).ok_or_else(|| {
        ValueError::new(
            path,
            format!("{} is not hex bytes", show(&Value::String(s.into()))),
        )
    })?;
    if b.len() != size {
        return Err(ValueError::new(
            path,
            format!("{} bytes of hex where {size} are needed", b.len()),
        ));
    }
    Ok(b)
}

fn encode_raw(n: u32, v: &Value, path: &str, out: &mut [u8]) -> Result<()> {
    let size = n as usize;
    if v.is_null() {
        return Ok(());
    }
    if let Some((k, inner)) = annotation(v) {
        return match (k, inner) {
            ("hex", Value::String(s)) => {
                out.copy_from_slice(&hex_exact(s, size, path)?);
                Ok(())
            }
            ("be" | "le", _) if matches!(n, 1 | 2 | 4 | 8) => {
                let nn = number(inner)
                    .ok_or_else(|| ValueError::new(path, format!("{} is not a number", show(v))))?;
                let bits = fit(nn, n * 8, nn < 0, &format!("u{}", n * 8), inner, path)?;
                let order = if k == "be" {
                    Order::Network
                } else {
                    Order::Host
                };
                put_int(out, bits, order);
                Ok(())
            }
            _ => Err(ValueError::new(
                path,
                format!("{} does not fit {n} bytes", show(v)),
            )),
        };
    }
    if let Value::String(s) = v {
        if let Some(a) = address(s, n) {
            out.copy_from_slice(&a);
            return Ok(());
        }
        if !matches!(n, 1 | 2 | 4 | 8) || number(v).is_none() {
            out.copy_from_slice(&hex_exact(s, size, path)?);
            return Ok(());
        }
    }
    if matches!(n, 1 | 2 | 4 | 8) {
        if let Some(nn) = number(v) {
            let bits = fit(nn, n * 8, nn < 0, &format!("{n}-byte integer"), v, path)?;
            put_int(out, bits, Order::Host);
            return Ok(());
        }
    }
    Err(ValueError::new(
        path,
        format!(
            "{} is not a value of {n} bytes (a number, an address or hex)",
            show(v)
        ),
    ))
}

struct Enc<'b> {
    btf: &'b Btf,
}

impl Enc<'_> {
    fn tyname(&self, id: u32) -> String {
        let t = self.btf.type_by_id(id);
        let name = self.btf.type_name(id);
        match t.map(|t| t.kind) {
            Some(kind::STRUCT) => format!("struct {name}"),
            Some(kind::UNION) => format!("union {name}"),
            Some(kind::ENUM | kind::ENUM64) => format!("enum {name}"),
            _ => name.to_string(),
        }
    }

    fn value(&self, id: u32, v: &Value, path: &str, out: &mut [u8], order: Order) -> Result<()> {
        let (id, typedef_order) = resolve(self.btf, id);
        let order = if typedef_order == Order::Network {
            Order::Network
        } else {
            order
        };
        if v.is_null() {
            out.fill(0);
            return Ok(());
        }
        let size = out.len() as u32;
        if let Some((k, inner)) = annotation(v) {
            match (k, inner) {
                ("hex", Value::String(s)) => {
                    out.copy_from_slice(&hex_exact(s, out.len(), path)?);
                    return Ok(());
                }
                ("be", _) => return self.value(id, inner, path, out, Order::Network),
                ("le", _) => {
                    let host = self.value_host(id, inner, path, out);
                    return host;
                }
                _ => {}
            }
        }
        let Some(t) = self.btf.type_by_id(id) else {
            return Err(ValueError::new(path, format!("BTF type [{id}] is unknown")));
        };
        if let Value::String(s) = v {
            if !matches!(t.kind, kind::ENUM | kind::ENUM64) {
                if let Some(a) = address(s, size) {
                    out.copy_from_slice(&a);
                    return Ok(());
                }
            }
        }
        match t.kind {
            kind::INT => {
                let it = int_ty(self.btf, id).expect("INT has an encoding");
                let n = number(v).ok_or_else(|| {
                    ValueError::new(
                        path,
                        format!("{} is not a number (field type {})", show(v), int_name(&it)),
                    )
                })?;
                let bits = fit(n, it.bits.min(64), it.signed, &int_name(&it), v, path)?;
                if it.bit_off != 0 || it.bits < size * 8 {
                    insert_bits(out, it.bit_off, it.bits, bits);
                } else {
                    put_int(out, bits, order);
                }
                Ok(())
            }
            kind::PTR => {
                let n = number(v)
                    .ok_or_else(|| ValueError::new(path, format!("{} is not a number", show(v))))?;
                let bits = fit(n, 64, false, "pointer", v, path)?;
                put_int(out, bits, order);
                Ok(())
            }
            kind::ENUM | kind::ENUM64 => {
                let signed = t.kind_flag;
                let n = match (v, &t.extra) {
                    (Value::String(s), Extra::Enumerators(list)) if number(v).is_none() => list
                        .iter()
                        .find(|(name, _)| self.btf.str_at(*name) == Some(s))
                        .map(|&(_, val)| i128::from(val))
                        .ok_or_else(|| {
                            let names: Vec<&str> = list
                                .iter()
                                .filter_map(|(n, _)| self.btf.str_at(*n))
                                .collect();
                            ValueError::new(
                                path,
                                format!(
                                    "{} is not an enumerator of {} ({})",
                                    show(v),
                                    self.tyname(id),
                                    names.join(", ")
                                ),
                            )
                        })?,
                    _ => number(v).ok_or_else(|| {
                        ValueError::new(path, format!("{} is not a number or enumerator", show(v)))
                    })?,
                };
                let n = if !signed && n < 0 && t.kind == kind::ENUM {
                    // BTF stores enumerators sign-extended
                    n & ((1i128 << (size * 8)) - 1)
                } else {
                    n
                };
                let bits = fit(n, size * 8, signed || n < 0, &self.tyname(id), v, path)?;
                put_int(out, bits, order);
                Ok(())
            }
            kind::FLOAT => {
                let f = v
                    .as_f64()
                    .ok_or_else(|| ValueError::new(path, format!("{} is not a number", show(v))))?;
                match size {
                    4 => out.copy_from_slice(&(f as f32).to_le_bytes()),
                    8 => out.copy_from_slice(&f.to_le_bytes()),
                    _ => return Err(ValueError::new(path, "float of unusual size: give hex")),
                }
                Ok(())
            }
            kind::ARRAY => {
                let Extra::Array { elem, nelems, .. } = t.extra else {
                    unreachable!("ARRAY has array data")
                };
                let esize = self.btf.resolve_size(elem).unwrap_or(0) as usize;
                let ei = int_ty(self.btf, resolve(self.btf, elem).0);
                match v {
                    Value::String(s) if ei.is_some_and(|i| i.size == 1) => {
                        let b = s.as_bytes();
                        if b.len() > out.len() {
                            return Err(ValueError::new(
                                path,
                                format!("string of {} bytes does not fit char[{nelems}]", b.len()),
                            ));
                        }
                        out.fill(0);
                        out[..b.len()].copy_from_slice(b);
                        Ok(())
                    }
                    Value::String(s) => {
                        out.copy_from_slice(&hex_exact(s, out.len(), path)?);
                        Ok(())
                    }
                    Value::Array(items) => {
                        if items.len() > nelems as usize {
                            return Err(ValueError::new(
                                path,
                                format!("{} elements for an array of {nelems}", items.len()),
                            ));
                        }
                        out.fill(0);
                        for (i, item) in items.iter().enumerate() {
                            let p = format!("{path}[{i}]");
                            self.value(
                                elem,
                                item,
                                &p,
                                &mut out[i * esize..(i + 1) * esize],
                                order,
                            )?;
                        }
                        Ok(())
                    }
                    _ => Err(ValueError::new(
                        path,
                        format!("{} is not an array of {nelems}", show(v)),
                    )),
                }
            }
            kind::STRUCT | kind::UNION => match v {
                Value::Object(o) => {
                    out.fill(0);
                    let mut used = vec![false; o.len()];
                    let keys: Vec<&String> = o.keys().collect();
                    self.members(id, o, &keys, &mut used, path, out)?;
                    if let Some(i) = used.iter().position(|u| !u) {
                        let mut names = Vec::new();
                        self.member_names(id, &mut names);
                        return Err(ValueError::new(
                            &format!("{path}.{}", keys[i]),
                            format!(
                                "{} has no member `{}` (members: {})",
                                self.tyname(id),
                                keys[i],
                                names.join(", ")
                            ),
                        ));
                    }
                    Ok(())
                }
                Value::String(s) => {
                    out.copy_from_slice(&hex_exact(s, out.len(), path)?);
                    Ok(())
                }
                _ => Err(ValueError::new(
                    path,
                    format!(
                        "{} is not an object with the members of {}",
                        show(v),
                        self.tyname(id)
                    ),
                )),
            },
            k => Err(ValueError::new(
                path,
                format!(
                    "values of BTF kind {} are not supported: give {{\"hex\": ...}}",
                    bpfbox_object::btf::kind_name(k)
                ),
            )),
        }
    }

    /// An integer in host order even under a `__be` typedef.
    fn value_host(&self, id: u32, v: &Value, path: &str, out: &mut [u8]) -> Result<()> {
        let (id, _) = resolve(self.btf, id);
        let bare = self.btf.type_by_id(id).map(|t| t.kind);
        if bare == Some(kind::INT) {
            // re-enter on the bare INT, which carries no typedef order
            return self.value(id, v, path, out, Order::Host);
        }
        self.value(id, v, path, out, Order::Host)
    }

    fn member_names(&self, id: u32, names: &mut Vec<String>) {
        let Some(Extra::Members(ms)) = self.btf.type_by_id(id).map(|t| &t.extra) else {
            return;
        };
        for m in ms {
            match self.btf.str_at(m.name_off).unwrap_or("") {
                "" => self.member_names(resolve(self.btf, m.type_id).0, names),
                n => names.push(n.to_string()),
            }
        }
    }

    /// Writes the members of struct/union `id` named by keys of `o`.
    fn members(
        &self,
        id: u32,
        o: &JsonMap<String, Value>,
        keys: &[&String],
        used: &mut [bool],
        path: &str,
        out: &mut [u8],
    ) -> Result<()> {
        let Some(Extra::Members(ms)) = self.btf.type_by_id(id).map(|t| &t.extra) else {
            return Ok(());
        };
        for m in ms {
            let name = self.btf.str_at(m.name_off).unwrap_or("");
            let off = (m.bit_offset / 8) as usize;
            if name.is_empty() {
                let inner = resolve(self.btf, m.type_id).0;
                let sz = self.btf.resolve_size(inner).unwrap_or(0) as usize;
                let Some(slice) = out.get_mut(off..off + sz) else {
                    continue;
                };
                self.members(inner, o, keys, used, path, slice)?;
                continue;
            }
            let Some(i) = keys.iter().position(|k| k.as_str() == name) else {
                continue;
            };
            used[i] = true;
            let v = &o[name];
            let p = format!("{path}.{name}");
            self.member(m, v, &p, out)?;
        }
        Ok(())
    }

    fn member(&self, m: &Member, v: &Value, path: &str, out: &mut [u8]) -> Result<()> {
        if m.bitfield_size > 0 {
            let (id, _) = resolve(self.btf, m.type_id);
            let t = self.btf.type_by_id(id);
            let signed = int_ty(self.btf, id).is_some_and(|i| i.signed)
                || t.is_some_and(|t| matches!(t.kind, kind::ENUM | kind::ENUM64) && t.kind_flag);
            let n = match (v, t.map(|t| &t.extra)) {
                (Value::String(s), Some(Extra::Enumerators(list))) if number(v).is_none() => list
                    .iter()
                    .find(|(name, _)| self.btf.str_at(*name) == Some(s))
                    .map(|&(_, val)| i128::from(val)),
                _ => number(v),
            }
            .ok_or_else(|| ValueError::new(path, format!("{} is not a number", show(v))))?;
            let tyname = format!("a {}-bit field", m.bitfield_size);
            let bits = fit(n, m.bitfield_size, signed, &tyname, v, path)?;
            insert_bits(out, m.bit_offset, m.bitfield_size, bits);
            return Ok(());
        }
        let off = (m.bit_offset / 8) as usize;
        let sz = self.btf.resolve_size(m.type_id).unwrap_or(0) as usize;
        let Some(slice) = out.get_mut(off..off + sz) else {
            return Err(ValueError::new(path, "member outside its struct"));
        };
        self.value(m.type_id, v, path, slice, Order::Host)
    }
}

fn insert_bits(out: &mut [u8], bit_off: u32, nbits: u32, bits: u64) {
    for i in 0..nbits {
        let b = (bit_off + i) as usize;
        if b / 8 >= out.len() {
            break;
        }
        let mask = 1u8 << (b % 8);
        if bits >> i & 1 != 0 {
            out[b / 8] |= mask;
        } else {
            out[b / 8] &= !mask;
        }
    }
}

fn extract_bits(b: &[u8], bit_off: u32, nbits: u32) -> u64 {
    let mut v = 0u64;
    for i in 0..nbits.min(64) {
        let k = (bit_off + i) as usize;
        if b.get(k / 8).is_some_and(|x| x >> (k % 8) & 1 != 0) {
            v |= 1 << i;
        }
    }
    v
}

fn sign_extend(v: u64, bits: u32) -> i64 {
    if bits == 0 || bits >= 64 {
        return v as i64;
    }
    let s = 64 - bits;
    ((v << s) as i64) >> s
}

/// Turns the bytes of type `ty` into JSON that [`encode`] turns back into
/// the same bytes. `hint` is the field or variable name: fields named like
/// addresses (`addr`, `ip`, `vip`, `mac`, `saddr`, ...) of 4, 6 or 16
/// bytes are shown as address strings.
pub fn decode(ty: Ty, b: &[u8], hint: &str) -> Value {
    match ty {
        Ty::Raw(n) => match n {
            1 | 2 | 4 | 8 if b.len() == n as usize => Value::from(get_int(b, Order::Host)),
            _ => Value::String(hex(b)),
        },
        Ty::Btf(btf, id) => Dec { btf }.value(id, b, hint, Order::Host),
    }
}

fn address_hint(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n.contains("addr")
        || n.contains("mac")
        || n == "ip"
        || n.ends_with("ip")
        || n.starts_with("ip")
        || n.contains("_ip")
        || n.ends_with("ip6")
        || n.contains("ipv")
}

fn show_address(b: &[u8]) -> Option<String> {
    match b.len() {
        4 => Some(Ipv4Addr::new(b[0], b[1], b[2], b[3]).to_string()),
        16 => {
            let a: [u8; 16] = b.try_into().ok()?;
            Some(Ipv6Addr::from(a).to_string())
        }
        6 => Some(
            b.iter()
                .map(|x| format!("{x:02x}"))
                .collect::<Vec<_>>()
                .join(":"),
        ),
        _ => None,
    }
}

struct Dec<'b> {
    btf: &'b Btf,
}

impl Dec<'_> {
    fn value(&self, id: u32, b: &[u8], hint: &str, order: Order) -> Value {
        let (id, tdo) = resolve(self.btf, id);
        let order = if tdo == Order::Network {
            Order::Network
        } else {
            order
        };
        let Some(t) = self.btf.type_by_id(id) else {
            return serde_json::json!({ "hex": hex(b) });
        };
        let kind_ok = matches!(t.kind, kind::INT | kind::ARRAY | kind::STRUCT | kind::UNION);
        if kind_ok && address_hint(hint) {
            if let Some(s) = show_address(b) {
                return Value::String(s);
            }
        }
        match t.kind {
            kind::INT => {
                let it = int_ty(self.btf, id).expect("INT");
                let raw = if it.bit_off != 0 || it.bits < it.size * 8 {
                    extract_bits(b, it.bit_off, it.bits)
                } else {
                    get_int(b, order)
                };
                if it.is_bool {
                    return Value::Bool(raw != 0);
                }
                if it.signed {
                    Value::from(sign_extend(raw, it.bits))
                } else {
                    Value::from(raw)
                }
            }
            kind::PTR => Value::from(get_int(b, order)),
            kind::ENUM | kind::ENUM64 => {
                let raw = get_int(b, order);
                let n = if t.kind_flag {
                    i128::from(sign_extend(raw, t.size_or_type * 8))
                } else {
                    i128::from(raw)
                };
                if let Extra::Enumerators(list) = &t.extra {
                    let size_mask = if t.size_or_type >= 8 {
                        u64::MAX
                    } else {
                        (1u64 << (t.size_or_type * 8)) - 1
                    };
                    if let Some(name) = list
                        .iter()
                        .find(|(_, v)| i128::from(*v) == n || (*v as u64 & size_mask) == raw)
                        .and_then(|(nm, _)| self.btf.str_at(*nm))
                    {
                        return Value::String(name.to_string());
                    }
                }
                if t.kind_flag {
                    Value::from(n as i64)
                } else {
                    Value::from(raw)
                }
            }
            kind::FLOAT => match b.len() {
                4 => serde_json::Number::from_f64(f64::from(f32::from_le_bytes(
                    b.try_into().expect("4 bytes"),
                )))
                .map_or_else(|| serde_json::json!({"hex": hex(b)}), Value::Number),
                8 => {
                    serde_json::Number::from_f64(f64::from_le_bytes(b.try_into().expect("8 bytes")))
                        .map_or_else(|| serde_json::json!({"hex": hex(b)}), Value::Number)
                }
                _ => serde_json::json!({"hex": hex(b)}),
            },
            kind::ARRAY => {
                let Extra::Array { elem, nelems, .. } = t.extra else {
                    unreachable!("ARRAY has array data")
                };
                let esize = self.btf.resolve_size(elem).unwrap_or(0) as usize;
                let ei = int_ty(self.btf, resolve(self.btf, elem).0);
                if ei.is_some_and(|i| i.size == 1 && i.is_char) {
                    let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
                    let text = &b[..end];
                    if b[end..].iter().all(|&c| c == 0)
                        && text.iter().all(|c| c.is_ascii_graphic() || *c == b' ')
                    {
                        return Value::String(String::from_utf8_lossy(text).into_owned());
                    }
                }
                if esize == 0 {
                    return Value::Array(Vec::new());
                }
                let items: Vec<Value> = (0..nelems as usize)
                    .filter_map(|i| b.get(i * esize..(i + 1) * esize))
                    .map(|e| self.value(elem, e, "", order))
                    .collect();
                Value::Array(items)
            }
            kind::STRUCT => {
                let mut o = JsonMap::new();
                self.members(id, b, &mut o);
                Value::Object(o)
            }
            kind::UNION => {
                // the largest member (the first of those) covers the most
                // bytes, so encoding it back gives the same bytes
                let Extra::Members(ms) = &t.extra else {
                    return Value::Object(JsonMap::new());
                };
                let best = ms
                    .iter()
                    .max_by_key(|m| {
                        (
                            self.btf.resolve_size(m.type_id).unwrap_or(0),
                            std::cmp::Reverse(ms.iter().position(|x| x == *m)),
                        )
                    })
                    .cloned();
                let mut o = JsonMap::new();
                if let Some(m) = best {
                    self.member(&m, b, &mut o);
                }
                if o.is_empty() {
                    return serde_json::json!({"hex": hex(b)});
                }
                Value::Object(o)
            }
            _ => serde_json::json!({"hex": hex(b)}),
        }
    }

    fn members(&self, id: u32, b: &[u8], o: &mut JsonMap<String, Value>) {
        let Some(Extra::Members(ms)) = self.btf.type_by_id(id).map(|t| &t.extra) else {
            return;
        };
        for m in ms {
            self.member(m, b, o);
        }
    }

    fn member(&self, m: &Member, b: &[u8], o: &mut JsonMap<String, Value>) {
        let name = self.btf.str_at(m.name_off).unwrap_or("");
        let off = (m.bit_offset / 8) as usize;
        if m.bitfield_size > 0 {
            let (id, _) = resolve(self.btf, m.type_id);
            let raw = extract_bits(b, m.bit_offset, m.bitfield_size);
            let t = self.btf.type_by_id(id);
            let signed = int_ty(self.btf, id).is_some_and(|i| i.signed);
            let v = if let Some(Extra::Enumerators(list)) = t.map(|t| &t.extra) {
                list.iter()
                    .find(|(_, v)| (*v as u64) & ((1u64 << m.bitfield_size) - 1) == raw)
                    .and_then(|(n, _)| self.btf.str_at(*n))
                    .map_or_else(|| Value::from(raw), |s| Value::String(s.into()))
            } else if signed {
                Value::from(sign_extend(raw, m.bitfield_size))
            } else if int_ty(self.btf, id).is_some_and(|i| i.is_bool) {
                Value::Bool(raw != 0)
            } else {
                Value::from(raw)
            };
            o.insert(name.to_string(), v);
            return;
        }
        let sz = self.btf.resolve_size(m.type_id).unwrap_or(0) as usize;
        let Some(slice) = b.get(off..off + sz) else {
            return;
        };
        if name.is_empty() {
            let inner = resolve(self.btf, m.type_id).0;
            match self.btf.type_by_id(inner).map(|t| t.kind) {
                Some(kind::STRUCT) => self.members(inner, slice, o),
                Some(kind::UNION) => {
                    if let Value::Object(u) = self.value(inner, slice, "", Order::Host) {
                        o.extend(u);
                    }
                }
                _ => {}
            }
            return;
        }
        o.insert(
            name.to_string(),
            self.value(m.type_id, slice, name, Order::Host),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn raw_values() {
        let v = encode_new(Ty::Raw(4), &json!(80), "k").unwrap();
        assert_eq!(v, [80, 0, 0, 0]);
        let v = encode_new(Ty::Raw(4), &json!("10.200.1.1"), "k").unwrap();
        assert_eq!(v, [10, 200, 1, 1]);
        let v = encode_new(Ty::Raw(2), &json!({"be": 80}), "k").unwrap();
        assert_eq!(v, [0, 80]);
        let v = encode_new(Ty::Raw(3), &json!("01 02 03"), "k").unwrap();
        assert_eq!(v, [1, 2, 3]);
        let e = encode_new(Ty::Raw(2), &json!(70000), "maps.m.entries[0].key").unwrap_err();
        assert_eq!(e.path, "maps.m.entries[0].key");
        assert!(e.message.contains("70000 does not fit"), "{}", e.message);
        let e = encode_new(Ty::Raw(3), &json!("0102"), "k").unwrap_err();
        assert!(
            e.message.contains("2 bytes of hex where 3"),
            "{}",
            e.message
        );
        assert_eq!(decode(Ty::Raw(4), &[80, 0, 0, 0], ""), json!(80));
        assert_eq!(decode(Ty::Raw(3), &[1, 2, 3], ""), json!("010203"));
    }

    #[test]
    fn addresses_and_hex() {
        assert_eq!(parse_hex("0a c8:01_01").unwrap(), [10, 200, 1, 1]);
        assert!(parse_hex("0a c").is_none());
        assert_eq!(parse_mac("02:00:00:00:00:01").unwrap()[5], 1);
        assert!(address("::1", 16).is_some());
        assert!(address("10.0.0.1", 16).is_none());
    }

    #[test]
    fn range_checks() {
        let v = json!(-129);
        assert!(fit(-129, 8, true, "s8", &v, "p").is_err());
        assert_eq!(fit(-128, 8, true, "s8", &v, "p").unwrap(), 0x80);
        assert_eq!(fit(255, 8, false, "u8", &v, "p").unwrap(), 255);
        assert!(fit(256, 8, false, "u8", &v, "p").is_err());
        assert!(fit(-1, 64, false, "u64", &v, "p").is_err());
        assert_eq!(
            fit(u64::MAX as i128, 64, false, "u64", &v, "p").unwrap(),
            u64::MAX
        );
    }

    #[test]
    fn bits() {
        let mut b = [0u8; 4];
        insert_bits(&mut b, 3, 5, 0b10110);
        assert_eq!(extract_bits(&b, 3, 5), 0b10110);
        assert_eq!(sign_extend(0b11111, 5), -1);
    }
}

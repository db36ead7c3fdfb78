//! Reading JSON whose top level may be a long array, one element at a
//! time: `bpfbox fire` runs a sequence of events without holding the whole
//! sequence (or its results) in memory.

use serde::de::{DeserializeSeed, Error as _, SeqAccess, Visitor};
use serde_json::Value;
use std::io::BufRead;

/// Why a sequence stopped.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The text is not valid JSON (or could not be read).
    #[error("not valid JSON: {0}")]
    Json(serde_json::Error),
    /// The callback refused element `index` of an array (or the value
    /// when the top level is not an array: `index` is `None`).
    #[error("{}{message}", index.map_or_else(String::new, |i| format!("event {i}: ")))]
    Element {
        /// 0-based index in the array.
        index: Option<usize>,
        /// The callback's message.
        message: String,
    },
}

/// What the top level of the text is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// An array: `f` got each element.
    Array,
    /// Anything else: `f` got it whole, as element 0.
    One,
}

/// Calls `f(Some(index), element)` for each element of a top-level array
/// as it is parsed, or `f(None, value)` once when the top level is not an
/// array. Stops at the first error.
pub fn for_each<R: BufRead>(
    mut reader: R,
    mut f: impl FnMut(Option<usize>, Value) -> Result<(), String>,
) -> Result<Shape, Error> {
    let array =
        first_byte(&mut reader).map_err(|e| Error::Json(serde_json::Error::io(e)))? == Some(b'[');
    let mut de = serde_json::Deserializer::from_reader(reader);
    if !array {
        let v: Value = serde::Deserialize::deserialize(&mut de).map_err(Error::Json)?;
        de.end().map_err(Error::Json)?;
        f(None, v).map_err(|message| Error::Element {
            index: None,
            message,
        })?;
        return Ok(Shape::One);
    }
    let mut failed = None;
    let r = Each {
        f: &mut f,
        failed: &mut failed,
    }
    .deserialize(&mut de);
    if let Some(e) = failed {
        return Err(e);
    }
    r.map_err(Error::Json)?;
    de.end().map_err(Error::Json)?;
    Ok(Shape::Array)
}

/// The first byte that is not JSON whitespace, left unread.
fn first_byte<R: BufRead>(r: &mut R) -> std::io::Result<Option<u8>> {
    loop {
        let buf = r.fill_buf()?;
        if buf.is_empty() {
            return Ok(None);
        }
        match buf.iter().position(|b| !b" \t\r\n".contains(b)) {
            Some(i) => {
                let b = buf[i];
                r.consume(i);
                return Ok(Some(b));
            }
            None => {
                let n = buf.len();
                r.consume(n);
            }
        }
    }
}

struct Each<'a, F> {
    f: &'a mut F,
    failed: &'a mut Option<Error>,
}

impl<'de, F: FnMut(Option<usize>, Value) -> Result<(), String>> DeserializeSeed<'de>
    for Each<'_, F>
{
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de, F: FnMut(Option<usize>, Value) -> Result<(), String>> Visitor<'de> for Each<'_, F> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON array")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut index = 0;
        while let Some(v) = seq.next_element::<Value>()? {
            if let Err(message) = (self.f)(Some(index), v) {
                *self.failed = Some(Error::Element {
                    index: Some(index),
                    message,
                });
                return Err(A::Error::custom("stopped"));
            }
            index += 1;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arrays_come_one_element_at_a_time() {
        let mut seen = Vec::new();
        let shape = for_each(&b" [1, {\"a\": 2}, 3] "[..], |i, v| {
            seen.push((i.unwrap(), v.to_string()));
            Ok(())
        })
        .unwrap();
        assert_eq!(shape, Shape::Array);
        assert_eq!(
            seen,
            [(0, "1".into()), (1, "{\"a\":2}".into()), (2, "3".into())]
        );
        let shape = for_each(&b"{\"x\": 1}"[..], |i, v| {
            assert_eq!((i, v["x"].as_i64()), (None, Some(1)));
            Ok(())
        })
        .unwrap();
        assert_eq!(shape, Shape::One);
    }

    #[test]
    fn errors_name_the_element_or_the_json() {
        let e = for_each(&b"[1, 2, 3]"[..], |i, _| {
            if i == Some(1) {
                Err("bad".into())
            } else {
                Ok(())
            }
        })
        .unwrap_err();
        assert_eq!(e.to_string(), "event 1: bad");
        let e = for_each(&b"[1, 2"[..], |_, _| Ok(())).unwrap_err();
        assert!(e.to_string().starts_with("not valid JSON: EOF"), "{e}");
        let e = for_each(&b"[1] x"[..], |_, _| Ok(())).unwrap_err();
        assert!(e.to_string().contains("trailing"), "{e}");
    }
}

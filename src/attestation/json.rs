//! Reading attestation JSON the way in-toto's own parsers do. serde_json keeps the last of two
//! equal keys in an object while protobuf-based parsers (in-toto's and Sigstore's) reject the
//! document, so a document with a duplicate key would mean one thing here and be malformed there;
//! [`unique_keys`] finds such keys, in one pass over the bytes, without building the document.

use std::collections::HashSet;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

/// The most an attestation file may hold. Real ones are kilobytes to a few megabytes (a statement
/// for two builds of a 50,000-file tree is about 15 MB); beyond this, reading would only cost
/// memory and time.
pub const MAX_BYTES: usize = 32 << 20;

/// `Ok` when `bytes` is one JSON value in which no object has the same key twice (keys compared
/// after unescaping, so `"a"` and `"\u0061"` are the same key); else serde_json's error, which
/// names the line and column.
pub fn unique_keys(bytes: &[u8]) -> Result<(), serde_json::Error> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    Unique.deserialize(&mut de)?;
    de.end()
}

/// Walks any JSON value, checking every object's keys.
struct Unique;

impl<'de> DeserializeSeed<'de> for Unique {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Unique {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }

    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }

    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }

    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }

    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(Unique)?.is_some() {}
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut seen = HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            if let Some(key) = seen.replace(key) {
                return Err(de::Error::custom(format_args!(
                    "the key \"{key}\" appears twice in one object, which in-toto's parsers reject"
                )));
            }
            map.next_value_seed(Unique)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicate_keys_are_found_at_any_depth_and_after_unescaping() {
        assert!(unique_keys(br#"{"a":1,"b":[{"a":2,"c":{"a":3}}],"d":null}"#).is_ok());
        assert!(unique_keys(br#"[1, "x", true, null, -2, 2.5, {}]"#).is_ok());
        let err = unique_keys(br#"{"a":1,"a":2}"#).unwrap_err().to_string();
        assert!(
            err.starts_with("the key \"a\" appears twice in one object"),
            "{err}"
        );
        assert!(unique_keys(br#"{"x":[{"k":1,"k":1}]}"#).is_err());
        assert!(unique_keys(br#"{"a":{"b":{"c":1,"\u0063":2}}}"#).is_err());
        assert!(unique_keys(br#"{"a":1} {"#).is_err(), "trailing bytes");
        assert!(unique_keys(b"").is_err());
    }
}

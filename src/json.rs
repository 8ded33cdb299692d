//! JSON from text, read with one `serde_json` reader, objects only.
//!
//! - Parsing from `str` everywhere (bytes are checked as UTF-8 first) keeps one `serde_json` reader
//!   (and one deserializer per type) in the Wasm instead of two. The parsers that name what was
//!   wrong (`mcp::jsonrpc`, the WorkOS client) call [`from_str`] too.
//! - A struct is read from a JSON object only. `serde_json` also accepts a struct written as an
//!   array of its fields in order; none of this Worker's inputs or records is written that way,
//!   and the code for it was a second copy of every struct's reader (about 10 KB of the gzipped
//!   Wasm). [`Objects`] asks for a map wherever a struct is asked for, at every depth.
use serde::de::{self, DeserializeOwned, DeserializeSeed, Deserializer, Visitor};
use std::fmt;

/// `text` as a `T`; a struct anywhere in it must be a JSON object.
pub fn from_str<T: DeserializeOwned>(text: &str) -> serde_json::Result<T> {
    let mut reader = serde_json::Deserializer::from_str(text);
    let value = T::deserialize(Objects(&mut reader))?;
    reader.end()?;
    Ok(value)
}

/// `bytes` as a `T`, or `None` when they are not UTF-8 or not that JSON.
pub fn from_bytes<T: DeserializeOwned>(bytes: &[u8]) -> Option<T> {
    from_str(std::str::from_utf8(bytes).ok()?).ok()
}

/// A deserializer (or the map, sequence or enum access it hands out) that reads structs as maps,
/// and hands out only wrapped deserializers for what is nested.
struct Objects<D>(D);

/// A visitor (or seed) whose nested deserializers are wrapped in [`Objects`].
struct Nested<V>(V);

macro_rules! forward_plain {
    ($($method:ident)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
            self.0.$method(visitor)
        }
    )*};
}

macro_rules! forward_nested {
    ($($method:ident)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
            self.0.$method(Nested(visitor))
        }
    )*};
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for Objects<D> {
    type Error = D::Error;

    // `any` is plain: what reads through it (`Value`, IgnoredAny's kin) has no struct to read,
    // and `Value` keeps the one reader it has everywhere else.
    forward_plain! {
        deserialize_any deserialize_bool deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64
        deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64 deserialize_f32 deserialize_f64
        deserialize_char deserialize_str deserialize_string deserialize_bytes deserialize_byte_buf
        deserialize_unit deserialize_identifier deserialize_ignored_any
    }
    forward_nested! { deserialize_option deserialize_seq deserialize_map }

    fn deserialize_unit_struct<V: Visitor<'de>>(self, name: &'static str, visitor: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_unit_struct(name, visitor)
    }
    fn deserialize_newtype_struct<V: Visitor<'de>>(self, name: &'static str, visitor: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_newtype_struct(name, Nested(visitor))
    }
    fn deserialize_tuple<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_tuple(len, Nested(visitor))
    }
    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_tuple_struct(name, len, Nested(visitor))
    }
    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_map(Nested(visitor))
    }
    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_enum(name, variants, Nested(visitor))
    }
    fn is_human_readable(&self) -> bool {
        self.0.is_human_readable()
    }
}

impl<'de, V: Visitor<'de>> Visitor<'de> for Nested<V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        self.0.expecting(f)
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<V::Value, E> {
        self.0.visit_bool(v)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<V::Value, E> {
        self.0.visit_i64(v)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<V::Value, E> {
        self.0.visit_u64(v)
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<V::Value, E> {
        self.0.visit_f64(v)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<V::Value, E> {
        self.0.visit_str(v)
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<V::Value, E> {
        self.0.visit_borrowed_str(v)
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<V::Value, E> {
        self.0.visit_string(v)
    }
    fn visit_none<E: de::Error>(self) -> Result<V::Value, E> {
        self.0.visit_none()
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<V::Value, D::Error> {
        self.0.visit_some(Objects(d))
    }
    fn visit_unit<E: de::Error>(self) -> Result<V::Value, E> {
        self.0.visit_unit()
    }
    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<V::Value, D::Error> {
        self.0.visit_newtype_struct(Objects(d))
    }
    fn visit_seq<A: de::SeqAccess<'de>>(self, seq: A) -> Result<V::Value, A::Error> {
        self.0.visit_seq(Objects(seq))
    }
    fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<V::Value, A::Error> {
        self.0.visit_map(Objects(map))
    }
    fn visit_enum<A: de::EnumAccess<'de>>(self, data: A) -> Result<V::Value, A::Error> {
        self.0.visit_enum(Objects(data))
    }
}

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for Nested<S> {
    type Value = S::Value;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<S::Value, D::Error> {
        self.0.deserialize(Objects(d))
    }
}

impl<'de, A: de::SeqAccess<'de>> de::SeqAccess<'de> for Objects<A> {
    type Error = A::Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>, A::Error> {
        self.0.next_element_seed(Nested(seed))
    }
    fn size_hint(&self) -> Option<usize> {
        self.0.size_hint()
    }
}

impl<'de, A: de::MapAccess<'de>> de::MapAccess<'de> for Objects<A> {
    type Error = A::Error;

    // Keys are plain: a key is a string or a number, never a struct.
    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, A::Error> {
        self.0.next_key_seed(seed)
    }
    fn next_value_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<T::Value, A::Error> {
        self.0.next_value_seed(Nested(seed))
    }
    fn size_hint(&self) -> Option<usize> {
        self.0.size_hint()
    }
}

impl<'de, A: de::EnumAccess<'de>> de::EnumAccess<'de> for Objects<A> {
    type Error = A::Error;
    type Variant = Objects<A::Variant>;

    fn variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<(T::Value, Self::Variant), A::Error> {
        self.0.variant_seed(seed).map(|(tag, variant)| (tag, Objects(variant)))
    }
}

/// A struct variant's fields, read as a map.
struct StructVariant<V>(V);

impl<'de, V: Visitor<'de>> DeserializeSeed<'de> for StructVariant<V> {
    type Value = V::Value;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<V::Value, D::Error> {
        d.deserialize_map(Nested(self.0))
    }
}

impl<'de, A: de::VariantAccess<'de>> de::VariantAccess<'de> for Objects<A> {
    type Error = A::Error;

    fn unit_variant(self) -> Result<(), A::Error> {
        self.0.unit_variant()
    }
    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, A::Error> {
        self.0.newtype_variant_seed(Nested(seed))
    }
    fn tuple_variant<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value, A::Error> {
        self.0.tuple_variant(len, Nested(visitor))
    }
    // A struct variant's content is read as a newtype's (the format reads what follows the tag),
    // asked for as a map.
    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, A::Error> {
        self.0.newtype_variant_seed(StructVariant(visitor))
    }
}
#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use serde_json::{json, Value};
    use std::collections::BTreeMap;

    #[derive(Debug, PartialEq, Deserialize)]
    struct Point {
        x: u32,
        #[serde(default)]
        label: Option<String>,
    }

    #[derive(Debug, PartialEq, Deserialize)]
    struct Wrapper(Point);

    #[derive(Debug, PartialEq, Deserialize)]
    #[serde(rename_all = "snake_case")]
    enum Shape {
        Empty,
        Dot(Point),
        Line { from: Point, to: Point },
        Pair(Point, Point),
    }

    #[derive(Debug, PartialEq, Deserialize)]
    struct Drawing {
        shapes: Vec<Shape>,
        origin: Option<Point>,
        named: BTreeMap<String, Point>,
        frame: Wrapper,
        extra: Value,
    }

    const DRAWING: &str = r#"{"shapes": ["empty", {"dot": {"x": 1}}, {"line": {"from": {"x": 2}, "to": {"x": 3, "label": "t"}}},
        {"pair": [{"x": 4}, {"x": 5}]}], "origin": null, "named": {"a": {"x": 6}}, "frame": {"x": 7},
        "extra": [{"any": [1, {"b": null}]}], "unknown": {"ignored": [1]}}"#;

    fn p(x: u32) -> Point {
        Point { x, label: None }
    }

    #[test]
    fn structs_at_every_depth_read_from_objects() {
        let d: Drawing = from_str(DRAWING).unwrap();
        assert_eq!(
            d,
            Drawing {
                shapes: vec![
                    Shape::Empty,
                    Shape::Dot(p(1)),
                    Shape::Line { from: p(2), to: Point { x: 3, label: Some("t".into()) } },
                    Shape::Pair(p(4), p(5)),
                ],
                origin: None,
                named: BTreeMap::from([("a".to_string(), p(6))]),
                frame: Wrapper(p(7)),
                extra: json!([{"any": [1, {"b": null}]}]),
            }
        );
    }

    #[test]
    fn a_struct_written_as_an_array_is_refused_at_every_depth() {
        for (text, why) in [
            (r#"[[], null, {}, {"x": 7}, []]"#.to_string(), "top level"),
            (DRAWING.replace(r#""origin": null"#, r#""origin": [1, null]"#), "in an Option"),
            (DRAWING.replace(r#"{"dot": {"x": 1}}"#, r#"{"dot": [1]}"#), "in a newtype variant"),
            (
                DRAWING.replace(
                    r#"{"line": {"from": {"x": 2}, "to": {"x": 3, "label": "t"}}}"#,
                    r#"{"line": [{"x": 2}, {"x": 3}]}"#,
                ),
                "a struct variant",
            ),
            (DRAWING.replace(r#"{"from": {"x": 2}"#, r#"{"from": [2]"#), "in a struct variant"),
            (DRAWING.replace(r#"{"x": 4}"#, "[4]"), "in a tuple variant"),
            (DRAWING.replace(r#"{"a": {"x": 6}}"#, r#"{"a": [6]}"#), "a map's value"),
            (DRAWING.replace(r#""frame": {"x": 7}"#, r#""frame": [7]"#), "in a newtype struct"),
        ] {
            // serde_json alone accepts each (a struct as its fields in order).
            assert!(serde_json::from_str::<Drawing>(&text).is_ok(), "{why}");
            let err = from_str::<Drawing>(&text).expect_err(why);
            assert!(err.to_string().contains("invalid type: sequence"), "{why}: {err}");
        }
    }

    #[test]
    fn the_readers_rules_are_unchanged() {
        let err = |t: &str| from_str::<Point>(t).unwrap_err().to_string();
        assert!(err(r#"{"label": "a"}"#).contains("missing field `x`"));
        assert!(err(r#"{"x": 1, "x": 2}"#).contains("duplicate field `x`"));
        assert!(err(r#"{"x": -1}"#).contains("invalid value"));
        assert!(err(r#"{"x": 1} {}"#).contains("trailing characters"));
        assert!(err(r#""x""#).contains("invalid type: string"));
        assert_eq!(from_str::<Point>(r#" {"x": 1, "more": [1, {"y": 2}]} "#).unwrap(), p(1));
        assert_eq!(from_str::<Option<Point>>("null").unwrap(), None);
        assert_eq!(from_str::<String>(r#""a\u00fcb""#).unwrap(), "aüb");
    }

    #[test]
    fn utf8_json_parses_and_anything_else_is_none() {
        assert_eq!(from_bytes::<Value>(br#"{"a":[1,"\u00fc"]}"#), Some(json!({"a": [1, "ü"]})));
        assert_eq!(from_bytes::<Value>(b"{\"a\":\"\xff\"}"), None, "not UTF-8");
        assert_eq!(from_bytes::<Value>(b"{nope"), None);
        assert_eq!(from_bytes::<u8>(b"300"), None, "not that type");
    }
}

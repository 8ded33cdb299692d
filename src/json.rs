//! JSON from bytes, parsed as text: JSON text is UTF-8, and parsing from `str` everywhere keeps
//! one `serde_json` reader (and one deserializer per type) in the Wasm instead of two. The
//! parsers that name what was wrong (`mcp::jsonrpc`, the WorkOS client) do the same by hand.
use serde::de::DeserializeOwned;

/// `bytes` as a `T`, or `None` when they are not UTF-8 or not that JSON.
pub fn from_bytes<T: DeserializeOwned>(bytes: &[u8]) -> Option<T> {
    serde_json::from_str(std::str::from_utf8(bytes).ok()?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    #[test]
    fn utf8_json_parses_and_anything_else_is_none() {
        assert_eq!(from_bytes::<Value>(br#"{"a":[1,"\u00fc"]}"#), Some(json!({"a": [1, "ü"]})));
        assert_eq!(from_bytes::<Value>(b"{\"a\":\"\xff\"}"), None, "not UTF-8");
        assert_eq!(from_bytes::<Value>(b"{nope"), None);
        assert_eq!(from_bytes::<u8>(b"300"), None, "not that type");
    }
}

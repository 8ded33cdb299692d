use super::*;

const OLD: &str = "old-key-0123456789abcdef0123456789abcdef";
const NEW: &str = "new-key-0123456789abcdef0123456789abcdef";
const NAME: &str = "__Host-mcp-session";
const NOW: u64 = 1_800_000_000;

fn keys(v: &str) -> SealKeys {
    SealKeys::parse(v).unwrap()
}

fn raw(sealed: &str) -> Vec<u8> {
    URL_SAFE_NO_PAD.decode(sealed).unwrap()
}

fn enc(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

#[test]
fn round_trip() {
    let k = keys(NEW);
    let sealed = k.seal(NAME, b"hello", NOW + 60);
    assert_eq!(k.open(NAME, &sealed, NOW).as_deref(), Some(&b"hello"[..]));
    let empty = k.seal(NAME, b"", NOW + 60);
    assert_eq!(k.open(NAME, &empty, NOW), Some(Vec::new()));
    // Layout: version, 12-byte nonce, 8-byte expiry + payload, 16-byte tag.
    assert_eq!(raw(&sealed).len(), 1 + 12 + 8 + 5 + 16);
    assert_eq!(raw(&sealed)[0], 1);
    assert!(sealed.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
}

#[test]
fn json_round_trip() {
    let k = keys(NEW);
    let sealed = k.seal_json(NAME, &serde_json::json!({"a": 1}), NOW + 1);
    assert_eq!(k.open_json::<serde_json::Value>(NAME, &sealed, NOW), Some(serde_json::json!({"a": 1})));
    assert_eq!(k.open_json::<u32>(NAME, &sealed, NOW), None, "wrong shape");
}

#[test]
fn key_rotation() {
    let old = keys(OLD);
    let rotated = keys(&format!("{NEW}, {OLD}"));
    let sealed_old = old.seal(NAME, b"v", NOW + 60);
    assert_eq!(rotated.open(NAME, &sealed_old, NOW).as_deref(), Some(&b"v"[..]));
    // New seals use the first key: the old key alone cannot open them.
    let sealed_new = rotated.seal(NAME, b"v", NOW + 60);
    assert_eq!(old.open(NAME, &sealed_new, NOW), None);
    assert_eq!(keys(NEW).open(NAME, &sealed_new, NOW).as_deref(), Some(&b"v"[..]));
}

#[test]
fn tampering_any_byte_fails() {
    let k = keys(NEW);
    let sealed = k.seal(NAME, b"payload", NOW + 60);
    let bytes = raw(&sealed);
    // Version, nonce, ciphertext (expiry and payload) and tag regions.
    for i in 0..bytes.len() {
        let mut t = bytes.clone();
        t[i] ^= 0x01;
        assert_eq!(k.open(NAME, &enc(&t), NOW), None, "flipped byte {i}");
    }
}

#[test]
fn truncation_and_extension_fail() {
    let k = keys(NEW);
    let bytes = raw(&k.seal(NAME, b"payload", NOW + 60));
    for len in 0..bytes.len() {
        assert_eq!(k.open(NAME, &enc(&bytes[..len]), NOW), None, "truncated to {len}");
    }
    let mut longer = bytes.clone();
    longer.push(0);
    assert_eq!(k.open(NAME, &enc(&longer), NOW), None);
    let sealed = k.seal(NAME, b"payload", NOW + 60);
    assert_eq!(k.open(NAME, &sealed[..sealed.len() - 1], NOW), None, "truncated text");
}

#[test]
fn expiry_boundary() {
    let k = keys(NEW);
    let sealed = k.seal(NAME, b"x", NOW);
    assert!(k.open(NAME, &sealed, NOW - 1).is_some());
    assert_eq!(k.open(NAME, &sealed, NOW), None, "now == expiry is expired");
    assert_eq!(k.open(NAME, &sealed, NOW + 1), None);
    assert_eq!(k.open(NAME, &k.seal(NAME, b"x", 0), 0), None);
    assert!(k.open(NAME, &k.seal(NAME, b"x", u64::MAX), u64::MAX - 1).is_some());
}

#[test]
fn foreign_key_and_wrong_name_fail() {
    let sealed = keys(NEW).seal(NAME, b"x", NOW + 60);
    assert_eq!(keys(OLD).open(NAME, &sealed, NOW), None);
    assert_eq!(keys(NEW).open("__Host-mcp-signin", &sealed, NOW), None);
    assert_eq!(keys(NEW).open("", &sealed, NOW), None);
}

#[test]
fn garbage_input_is_refused() {
    let k = keys(NEW);
    let huge = "A".repeat(1_000_000);
    let padded = format!("{}=", k.seal(NAME, b"x", NOW + 60));
    for junk in [
        "",
        "!",
        "not base64 at all",
        "====",
        "AQ",
        "AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        &huge,
        &padded,
        "é",
    ] {
        assert_eq!(k.open(NAME, junk, NOW), None, "{:.20}", junk);
    }
    // Right length, wrong version.
    let mut v2 = raw(&k.seal(NAME, b"x", NOW + 60));
    v2[0] = 2;
    assert_eq!(k.open(NAME, &enc(&v2), NOW), None);
}

#[test]
fn two_seals_differ() {
    let k = keys(NEW);
    let a = k.seal(NAME, b"same", NOW + 60);
    let b = k.seal(NAME, b"same", NOW + 60);
    assert_ne!(a, b);
    assert_ne!(raw(&a)[1..13], raw(&b)[1..13], "fresh nonce");
}

#[test]
fn key_parsing() {
    assert_eq!(SealKeys::parse("").err(), Some(KeyError::Empty));
    assert_eq!(SealKeys::parse("  , ,").err(), Some(KeyError::Empty));
    assert_eq!(SealKeys::parse("short").err(), Some(KeyError::TooShort { index: 0, min: 32 }));
    assert_eq!(SealKeys::parse(&"x".repeat(31)).err(), Some(KeyError::TooShort { index: 0, min: 32 }));
    assert!(SealKeys::parse(&"x".repeat(32)).is_ok());
    assert_eq!(SealKeys::parse(&format!("{NEW},")).err(), Some(KeyError::TooShort { index: 1, min: 32 }));
    assert_eq!(SealKeys::parse(&format!("{NEW},,{OLD}")).err(), Some(KeyError::TooShort { index: 1, min: 32 }));
    assert_eq!(SealKeys::parse(&format!("{NEW},tiny")).err(), Some(KeyError::TooShort { index: 1, min: 32 }));
    // Surrounding whitespace is not part of the key.
    let sealed = keys(NEW).seal(NAME, b"x", NOW + 60);
    assert!(keys(&format!("  {NEW}\n")).open(NAME, &sealed, NOW).is_some());
    assert_eq!(format!("{:?}", keys(NEW)), "SealKeys(1 keys)");
}

#[test]
fn tags_are_keyed_by_the_first_entry_and_by_purpose() {
    let (k, rotated) = (keys(NEW), keys(&format!("{NEW},{OLD}")));
    assert_eq!(k.tag("p", b"user_1"), rotated.tag("p", b"user_1"), "the first entry decides");
    assert_ne!(k.tag("p", b"user_1"), keys(OLD).tag("p", b"user_1"));
    assert_ne!(k.tag("p", b"user_1"), k.tag("q", b"user_1"));
    assert_ne!(k.tag("p", b"user_1"), k.tag("p", b"user_2"));
    // Purpose and data are kept apart: "p\n" + "x" is not "p" + "\nx".
    assert_ne!(k.tag("p\nx", b""), k.tag("p", b"x"));
}

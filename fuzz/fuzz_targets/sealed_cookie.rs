//! Sealed cookies: opening arbitrary cookie values never panics and never succeeds for input we
//! did not seal; sealing arbitrary payloads always opens back to the same bytes.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mcp_authkit_worker::cookies::read_cookie;
use mcp_authkit_worker::seal::{SealKeys, MAX_SEALED_CHARS};

const NOW: u64 = 1_800_000_000;

fuzz_target!(|data: &[u8]| {
    let keys = SealKeys::parse("fuzz-key-0123456789abcdef0123456789abcdef").expect("key");
    if let Ok(text) = std::str::from_utf8(data) {
        // Arbitrary values: libFuzzer cannot forge AES-GCM, so nothing opens.
        assert!(keys.open("__Host-session", text, NOW).is_none(), "an unsealed value opened");
        let _ = read_cookie(Some(text), "__Host-session");
        let _ = SealKeys::parse(text);
    }
    // Round trip, and binding to name and time. (Values over MAX_SEALED_CHARS are refused on
    // opening by design.)
    let sealed = keys.seal("__Host-session", data, NOW + 60);
    let expected = (sealed.len() <= MAX_SEALED_CHARS).then_some(data);
    assert_eq!(keys.open("__Host-session", &sealed, NOW).as_deref(), expected);
    assert!(keys.open("__Host-other", &sealed, NOW).is_none(), "opened under another name");
    assert!(keys.open("__Host-session", &sealed, NOW + 61).is_none(), "opened after expiry");
});

//! Our sealed `mcp_at_` access tokens and the `Authorization` header parser.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mcp_authkit_worker::seal::SealKeys;
use mcp_authkit_worker::oauth::access;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let keys = SealKeys::parse("fuzz-key-0123456789abcdef0123456789abcdef").expect("key");
    assert!(access::open(&keys, text, 1_800_000_000).is_none(), "an unsealed token opened");
    if let Some(token) = access::bearer_token(Some(text)) {
        assert!(!token.is_empty() && !token.contains(char::is_whitespace));
    }
});

//! JWTs and JWKS documents: WorkOS access tokens, AuthKit access tokens and key sets. Input:
//! `jwks \n token`; tokens are also checked against a fixed real key set, so the signature
//! path is exercised. libFuzzer cannot forge RS256, so nothing verifies.
#![no_main]
use futures_executor::block_on;
use libfuzzer_sys::fuzz_target;
use mcp_authkit_worker::authkit::{AuthkitKeys, Expectations};
use mcp_authkit_worker::workos::jwt::peek_kid;
use mcp_authkit_worker::workos::rs256::{parse_rs256, verify_rs256, RsaKeys};
use mcp_authkit_worker::workos::{JwksCache, WorkosTokenRules};

/// A real 2048-bit public key (its private half is not kept anywhere).
const JWKS: &str = include_str!("../jwks.json");
const NOW: u64 = 1_800_000_000;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let (jwks, token) = text.split_once('\n').unwrap_or((text, text));
    let _ = RsaKeys::parse(jwks);
    let _ = parse_rs256(token, 8 * 1024);
    let _ = peek_kid(token);

    let keys = RsaKeys::parse(JWKS).expect("fixture JWKS");
    assert!(block_on(verify_rs256(&keys, token, 8 * 1024)).is_err(), "a forged token verified");
    let mut workos = JwksCache::default();
    workos.load(JWKS, NOW).expect("fixture JWKS");
    assert!(block_on(workos.verify(token, &WorkosTokenRules::new("client_fuzz", "https://api.workos.com", None), NOW)).is_err());
    let mut authkit = AuthkitKeys::default();
    authkit.load(JWKS, NOW).expect("fixture JWKS");
    let audiences = ["https://mcp.example.com/mcp".to_string()];
    let exp = Expectations { issuer: "https://acme.authkit.app", audiences: &audiences };
    assert!(block_on(authkit.verify(token, &exp, NOW)).is_err());
    // Arbitrary key sets load or are refused cleanly.
    let _ = AuthkitKeys::default().load(jwks, NOW);
});

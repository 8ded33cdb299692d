//! The bearer check's own pieces: the isolate's memory of opened tokens, and a change mark
//! left when KV refuses the key's write.
use super::*;

#[test]
fn a_hash_that_matches_is_not_enough() {
    let keys = SealKeys::parse("a deployment's key for this test only").unwrap();
    let claims = AccessClaims {
        issuer: "https://mcp.example".into(),
        grant_id: GrantId::new("g".repeat(22)),
        client_id: ClientId::new("client"),
        audience: Audience::Mcp,
        principal: crate::tools::testing::alice(),
        issued_at: 100,
        expires_at: 10_000,
        standing_at_ms: 40,
    };
    let token = issue(&keys, &claims);
    let mut checks = GrantChecks::default();
    assert_eq!(checks.open(&keys, &token, 200), Some(claims.clone()));
    // A stranger's string kept under the hash of the real token (as a collision would be):
    // the real token is not answered with the stranger's claims, and the stranger's string
    // is not answered with the real token's.
    let hash = checks.hash(&token);
    let forged = AccessClaims { issuer: "https://forged.example".into(), ..claims.clone() };
    checks.opened.insert(0, (hash, format!("{token}x"), forged.clone()));
    assert_eq!(checks.open(&keys, &token, 200), Some(claims.clone()));
    checks.opened.clear();
    checks.opened.push((hash, token.clone(), claims.clone()));
    let last = token.chars().last().unwrap();
    let stranger = format!("{}{}", &token[..token.len() - 1], if last == 'A' { 'B' } else { 'A' });
    let stranger_hash = checks.hash(&stranger);
    checks.opened[0].0 = stranger_hash;
    assert_eq!(checks.open(&keys, &stranger, 200), None, "compared whole, the stranger's string is not the token");
    // The key is drawn per isolate: another isolate hashes the same token differently.
    assert_ne!(GrantChecks::default().hash(&token), checks.hash(&token));
}

#[test]
fn a_mark_refused_for_its_key_stands_when_another_event_left_one_a_moment_before() {
    use crate::store::MemoryStore;
    use futures_executor::block_on;
    let (at, key) = (1_795_000_000_000, keys::access_changed("user_a"));
    // KV refusing the key's write, as it does a second write within a second.
    let refusing = |error: &str| {
        let store = MemoryStore::default();
        store.refuse_puts(&key, error);
        store
    };
    // What another event wrote a moment before (past the refusal, as KV took it then).
    let mark = |store: &MemoryStore, ms: u64| store.map.borrow_mut().insert(key.clone(), (ms.to_string(), 60));
    let note = |store: &MemoryStore| block_on(note_change(store, &key, at));
    let store = refusing("KV PUT failed: 429 Too Many Requests");
    assert!(note(&store).is_err(), "no mark there: the event fails (and WorkOS retries it)");
    mark(&store, at - 2_000);
    assert!(note(&store).is_ok(), "another event's mark from within the wait stands for this one");
    assert_eq!(block_on(marked_at(&store, &key)).unwrap(), Some(at - 2_000));
    mark(&store, at - 3_000);
    assert!(note(&store).is_err(), "older than that: it does not");
    let other = refusing("KV PUT failed: 500 Internal Server Error");
    mark(&other, at);
    assert!(note(&other).is_err(), "only the same-key refusal");
}

#[test]
fn a_token_carrying_a_large_roles_permissions_still_opens() {
    let keys = SealKeys::parse("a deployment's key for this test only").unwrap();
    let mut principal = crate::tools::testing::alice();
    principal.permissions = (0..250).map(|i| format!("reports:quarterly-export-{i:03}")).collect();
    let claims = AccessClaims {
        issuer: "https://mcp.example".into(),
        grant_id: GrantId::new("g".repeat(22)),
        client_id: ClientId::new(format!("https://app.example/{}", "c".repeat(1900))),
        audience: Audience::Mcp,
        principal,
        issued_at: 100,
        expires_at: 10_000,
        standing_at_ms: 40,
    };
    let token = issue(&keys, &claims);
    assert!(token.len() > 8192, "larger than the old limit: {}", token.len());
    assert_eq!(open(&keys, &token, 200), Some(claims));
}

//! Storage failing under `/authorize` and `/token`: an operation that answers an error has
//! changed nothing its retry would trip over, and the storage's own words stay out of answers.
use super::*;

const KV_WORDS: &str = "KV PUT failed: 429 oauth:grant:abc";

/// A refused operation: 503 with a retry time, and nothing of what the storage said.
fn unavailable(r: Result<TokenResponse, super::super::OAuthError>) {
    let e = r.map(|t| t.scope).unwrap_err();
    assert_eq!((e.code, e.status, e.retry_after), (ErrorCode::TemporarilyUnavailable, 503, Some(30)));
    assert!(!e.description.contains("429") && !e.description.contains("oauth:"), "{}", e.description);
}

#[test]
fn a_code_exchange_whose_grant_could_not_be_written_is_redeemed_by_its_retry() {
    for mirror_only in [false, true] {
        let w = world();
        let client = w.public_client();
        let session = w.sign_in();
        let (code, _) = w.approve(&w.params(&client, &[]), &session);
        // The whole write refused, or (in the grant's object) its KV mirror alone.
        match mirror_only {
            true => w.store.fail_mirrors("oauth:grant:"),
            false => w.store.refuse_puts("oauth:grant:", KV_WORDS),
        }
        unavailable(w.exchange(&client, &code));
        w.store.accept_puts();
        w.advance(30);
        let t = w.exchange(&client, &code).expect("the retry gets the tokens");
        assert!(w.bearer(t.access_token.as_str(), "/mcp").is_ok());
        assert_eq!(w.exchange(&client, &code).unwrap_err().code, ErrorCode::InvalidGrant, "then the code is spent");
    }
}

/// A refresh has turned the grant's WorkOS token before its write: once the grant's record
/// holds the rotation, the refresh stands even when KV's mirror of it could not be written.
#[test]
fn a_refresh_whose_mirror_could_not_be_written_stands() {
    let w = world();
    let (client, t) = w.connected();
    w.advance(60);
    w.store.fail_mirrors("oauth:grant:");
    let next = w.refresh(&client, t.refresh()).expect("answered: the record holds the rotation");
    // The bearer check reads KV's mirror, which still holds the grant as it was: the new token
    // passes there.
    let grant = super::super::types::RefreshToken::parse(next.refresh()).unwrap();
    let key = keys::oauth_grant(grant.as_str());
    let mirror = w.store.through_mirrors(|| block_on(w.store.get(&key)));
    assert_ne!(mirror, block_on(w.store.get(&key)), "the mirror lags behind the record");
    assert!(w.bearer(next.access_token.as_str(), "/mcp").is_ok());
    w.store.accept_puts();
    w.advance(30);
    assert!(w.refresh(&client, next.refresh()).is_ok(), "and the chain goes on");
}

/// A grant idle for about 30 days: its mirror, left as it was, would be gone before the new
/// access token and refuse it, so a refresh whose mirror fails is answered 503 as a whole write's
/// failure is, and its retry carries on from the record.
#[test]
fn a_refresh_near_the_grants_end_whose_mirror_fails_is_answered_on_its_retry() {
    let w = world();
    let (client, t) = w.connected();
    w.advance(super::super::grant::REFRESH_TTL - 1800);
    w.store.fail_mirrors("oauth:grant:");
    unavailable(w.refresh(&client, t.refresh()));
    w.store.accept_puts();
    w.advance(30);
    let next = w.refresh(&client, t.refresh()).expect("the same refresh token, retried");
    assert!(w.bearer(next.access_token.as_str(), "/mcp").is_ok());
}

/// A refresh's answer lost, then its retry (the replaced token's one grace use) meets a KV
/// mirror that cannot be written: the retry is answered, the grace spent on tokens the client
/// holds. (Answered 503, the retry's own retry would have read as reuse and ended the grant.)
#[test]
fn a_grace_retry_whose_mirror_could_not_be_written_keeps_the_grant() {
    let w = world();
    let (client, t) = w.connected();
    w.advance(60);
    let _lost = w.refresh(&client, t.refresh()).expect("answered, and the answer lost");
    w.advance(10);
    w.store.fail_mirrors("oauth:grant:");
    let retried = w.refresh(&client, t.refresh()).expect("the replaced token's retry is answered");
    w.store.accept_puts();
    w.advance(30);
    let next = w.refresh(&client, retried.refresh()).expect("the grant goes on from the retry's tokens");
    assert!(w.bearer(next.access_token.as_str(), "/mcp").is_ok());
}

#[test]
fn an_authorization_stands_when_the_clients_renewal_cannot_be_written() {
    let w = world();
    let client = w.public_client();
    // A day on, the authorization renews the registration (a KV write), which fails.
    w.advance(24 * 3600 + 1);
    let session = w.sign_in();
    let renewed_at = || {
        let raw = w.store.map.borrow().get(&format!("oauth:client:{client}")).cloned().unwrap().0;
        serde_json::from_str::<serde_json::Value>(&raw).unwrap()["renewed_at"].as_u64().unwrap()
    };
    let before = renewed_at();
    w.store.refuse_puts("oauth:client:", KV_WORDS);
    let (code, _) = w.approve(&w.params(&client, &[]), &session);
    assert!(w.exchange(&client, &code).is_ok());
    assert_eq!(renewed_at(), before, "the renewal was refused");
    // The same authorization without the refusal does renew: the refused write was attempted.
    w.store.accept_puts();
    w.approve(&w.params(&client, &[]), &w.sign_in());
    assert!(renewed_at() > before, "renewed");
}

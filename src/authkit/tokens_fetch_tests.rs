//! [`verify_token`]: JWKS fetching, caching, rotation and outages, served by [`ScriptedHttp`].
use super::tests::{audiences, b64, claims, jwk, other_key, ISSUER, NOW};
use super::*;
use crate::authkit::shared::NotShared;
use crate::outbound::Method;
use crate::outbound::{HttpResponse, TransportError};
use crate::testing::{json_response, mint, mint_with, test_jwks, test_key, ScriptedHttp, TEST_KID};
use futures_executor::block_on;
use serde_json::json;
use std::cell::Cell;

pub(super) const JWKS_URL: &str = "https://acme.authkit.app/oauth2/jwks";

/// What the scripted AuthKit answers on its JWKS endpoint.
pub(super) enum Jwks {
    Serve(String),
    Down,
    Status(u16),
}

/// A scripted JWKS endpoint whose answer a test can change between requests.
pub(super) struct Authkit {
    jwks: RefCell<Jwks>,
}

impl Authkit {
    pub(super) fn serving(jwks: String) -> Self {
        Authkit { jwks: RefCell::new(Jwks::Serve(jwks)) }
    }
    pub(super) fn set(&self, jwks: Jwks) {
        *self.jwks.borrow_mut() = jwks;
    }
    pub(super) fn answer(&self) -> Result<HttpResponse, TransportError> {
        match &*self.jwks.borrow() {
            Jwks::Serve(body) => Ok(HttpResponse { status: 200, headers: vec![], body: body.clone().into_bytes() }),
            Jwks::Down => Err(TransportError::Network("connection refused".into())),
            Jwks::Status(s) => Ok(json_response(*s, json!({"error": "server_error"}))),
        }
    }
}

fn check<H: HttpClient>(
    http: &H,
    keys: &RefCell<AuthkitKeys>,
    token: &str,
    now: u64,
) -> Result<String, AuthkitTokenError> {
    check_with(http, &NotShared, keys, token, now)
}

/// The subject of `token` as this isolate (`keys`) verifies it, with `shared` between isolates.
pub(super) fn check_with<H: HttpClient, K: SharedKeys>(
    http: &H,
    shared: &K,
    keys: &RefCell<AuthkitKeys>,
    token: &str,
    now: u64,
) -> Result<String, AuthkitTokenError> {
    let aud = audiences();
    let exp = Expectations { issuer: ISSUER, audiences: &aud };
    block_on(verify_token(http, shared, keys, JWKS_URL, token, &exp, now)).map(|c| c.sub)
}

/// A token that stays valid for a day, signed by `key` under `kid`.
pub(super) fn token_for(key: &rsa::RsaPrivateKey, kid: &str) -> String {
    mint_with(key, kid, claims(json!({"exp": NOW + 86_400})))
}

#[test]
fn valid_token_fetches_once_then_uses_the_cache() {
    let authkit = Authkit::serving(test_jwks());
    let http = ScriptedHttp::new(|_| authkit.answer());
    let keys = RefCell::new(AuthkitKeys::default());
    let token = token_for(test_key(), TEST_KID);
    assert_eq!(check(&http, &keys, &token, NOW), Ok("user_01JQ".into()));
    {
        let requests = http.requests.borrow();
        let r = &requests[0];
        assert_eq!((r.method, r.url.as_str(), r.body.is_none()), (Method::Get, JWKS_URL, true));
        assert!(r.headers.iter().any(|(k, v)| k.eq_ignore_ascii_case("accept") && v == "application/json"));
        assert_eq!(r.max_response_bytes, Some(64 * 1024));
    }
    // Steady state: no network call until the TTL runs out, then one refresh.
    for t in [NOW + 1, NOW + 300, NOW + AuthkitKeys::TTL_SECS - 1] {
        assert_eq!(check(&http, &keys, &token, t), Ok("user_01JQ".into()));
    }
    assert_eq!(http.requests.borrow().len(), 1);
    assert_eq!(check(&http, &keys, &token, NOW + AuthkitKeys::TTL_SECS), Ok("user_01JQ".into()));
    assert_eq!(http.requests.borrow().len(), 2);
}

#[test]
fn unknown_kid_refetches_once_for_rotated_keys() {
    let authkit = Authkit::serving(test_jwks());
    let http = ScriptedHttp::new(|_| authkit.answer());
    let keys = RefCell::new(AuthkitKeys::default());
    assert!(check(&http, &keys, &token_for(test_key(), TEST_KID), NOW).is_ok());
    // AuthKit rotates: the new key is published and tokens carry its kid.
    authkit.set(Jwks::Serve(json!({"keys": [jwk(test_key(), TEST_KID), jwk(other_key(), "key_new")]}).to_string()));
    let rotated = token_for(other_key(), "key_new");
    // Within a minute of the last fetch the JWKS is not fetched again.
    assert_eq!(check(&http, &keys, &rotated, NOW + 30), Err(AuthkitTokenError::UnknownKey(Some("key_new".into()))));
    assert_eq!(http.requests.borrow().len(), 1);
    assert_eq!(check(&http, &keys, &rotated, NOW + 61), Ok("user_01JQ".into()), "refetched");
    assert_eq!(http.requests.borrow().len(), 2);
    assert_eq!(check(&http, &keys, &rotated, NOW + 62), Ok("user_01JQ".into()), "now cached");
    assert!(check(&http, &keys, &token_for(test_key(), TEST_KID), NOW + 62).is_ok(), "the old key still verifies");
    // A second unknown kid within 60 s: no refetch.
    let stranger = token_for(other_key(), "key_unknown");
    assert_eq!(
        check(&http, &keys, &stranger, NOW + 100),
        Err(AuthkitTokenError::UnknownKey(Some("key_unknown".into())))
    );
    assert_eq!(http.requests.borrow().len(), 2);
    // After the minute: one refetch, still unknown, and again none for the next minute.
    assert_eq!(
        check(&http, &keys, &stranger, NOW + 121),
        Err(AuthkitTokenError::UnknownKey(Some("key_unknown".into())))
    );
    assert_eq!(
        check(&http, &keys, &stranger, NOW + 122),
        Err(AuthkitTokenError::UnknownKey(Some("key_unknown".into())))
    );
    assert_eq!(http.requests.borrow().len(), 3);
    // With fresh keys, a failed refetch for an unknown kid reports the outage.
    authkit.set(Jwks::Down);
    let failed = Err(AuthkitTokenError::JwksUnavailable("network: connection refused".into()));
    assert_eq!(check(&http, &keys, &stranger, NOW + 181), failed);
    assert!(check(&http, &keys, &rotated, NOW + 182).is_ok(), "cached keys unaffected");
    assert_eq!(http.requests.borrow().len(), 4);
}

#[test]
fn jwks_down_with_cached_keys_still_verifies() {
    let authkit = Authkit::serving(test_jwks());
    let http = ScriptedHttp::new(|_| authkit.answer());
    let keys = RefCell::new(AuthkitKeys::default());
    let token = token_for(test_key(), TEST_KID);
    assert!(check(&http, &keys, &token, NOW).is_ok());
    authkit.set(Jwks::Down);
    let stale = NOW + AuthkitKeys::TTL_SECS + 5;
    assert!(keys.borrow().is_stale(stale));
    assert_eq!(check(&http, &keys, &token, stale), Ok("user_01JQ".into()), "stale keys keep working");
    assert_eq!(http.requests.borrow().len(), 2);
    // The outage costs one attempt a minute, not one per request.
    assert!(check(&http, &keys, &token, stale + 30).is_ok());
    assert_eq!(http.requests.borrow().len(), 2);
    authkit.set(Jwks::Status(503));
    assert!(check(&http, &keys, &token, stale + 60).is_ok());
    assert_eq!(http.requests.borrow().len(), 3);
    // A rotated kid during the outage: this request's stale refresh was its one attempt.
    let rotated = token_for(other_key(), "key_new");
    assert_eq!(check(&http, &keys, &rotated, stale + 120), Err(AuthkitTokenError::UnknownKey(Some("key_new".into()))));
    assert_eq!(http.requests.borrow().len(), 4);
    // Back up: the next attempt refreshes, and the cache is fresh again.
    authkit.set(Jwks::Serve(test_jwks()));
    assert!(check(&http, &keys, &token, stale + 180).is_ok());
    assert_eq!(http.requests.borrow().len(), 5);
    assert!(!keys.borrow().is_stale(stale + 181));
}

/// Keys that could not be refreshed for a day are not used: the outage is reported (503) until
/// the JWKS can be read again, and nothing verifies meanwhile.
#[test]
fn keys_a_day_old_are_not_used_while_the_jwks_is_down() {
    let authkit = Authkit::serving(test_jwks());
    let http = ScriptedHttp::new(|_| authkit.answer());
    let keys = RefCell::new(AuthkitKeys::default());
    let token = mint_with(test_key(), TEST_KID, claims(json!({"exp": NOW + 3 * 86_400})));
    assert!(check(&http, &keys, &token, NOW).is_ok());
    authkit.set(Jwks::Down);
    let day = NOW + KeyCache::MAX_AGE_SECS;
    assert_eq!(check(&http, &keys, &token, day - 1), Ok("user_01JQ".into()), "a moment short of a day");
    let unavailable = check(&http, &keys, &token, day);
    assert!(matches!(unavailable, Err(AuthkitTokenError::JwksUnavailable(_))), "{unavailable:?}");
    // Within the minute after the failed attempt (at `day - 1`) no fetch is tried: still refused.
    assert!(matches!(check(&http, &keys, &token, day + 30), Err(AuthkitTokenError::JwksUnavailable(_))));
    assert_eq!(http.requests.borrow().len(), 2, "one attempt a minute");
    authkit.set(Jwks::Serve(test_jwks()));
    assert_eq!(check(&http, &keys, &token, day + 60), Ok("user_01JQ".into()), "refreshed");
}

#[test]
fn jwks_down_without_cached_keys_is_unavailable() {
    let authkit = Authkit { jwks: RefCell::new(Jwks::Down) };
    let http = ScriptedHttp::new(|_| authkit.answer());
    let keys = RefCell::new(AuthkitKeys::default());
    let token = token_for(test_key(), TEST_KID);
    assert!(matches!(check(&http, &keys, &token, NOW), Err(AuthkitTokenError::JwksUnavailable(_))));
    // With nothing cached, a failed fetch is tried again only after a few seconds: the
    // requests in between are unavailable without a fetch each.
    let paced = Err(AuthkitTokenError::JwksUnavailable("no signing keys: the last fetch failed moments ago".into()));
    assert_eq!(check(&http, &keys, &token, NOW + NO_KEYS_RETRY_SECS - 1), paced);
    assert_eq!(http.requests.borrow().len(), 1);
    let mut at = NOW;
    for status in [404, 500, 302] {
        authkit.set(Jwks::Status(status));
        at += NO_KEYS_RETRY_SECS;
        assert_eq!(check(&http, &keys, &token, at), Err(AuthkitTokenError::JwksUnavailable(format!("HTTP {status}"))));
    }
    authkit.set(Jwks::Serve("<html>maintenance</html>".into()));
    assert!(matches!(check(&http, &keys, &token, at + NO_KEYS_RETRY_SECS), Err(AuthkitTokenError::JwksUnavailable(_))));
    assert_eq!(http.requests.borrow().len(), 5);
    // The first success serves.
    authkit.set(Jwks::Serve(test_jwks()));
    assert_eq!(check(&http, &keys, &token, at + 2 * NO_KEYS_RETRY_SECS), Ok("user_01JQ".into()));
}

#[test]
fn transport_failures_are_unavailable() {
    for (error, detail) in [
        (TransportError::Timeout, "timeout"),
        (TransportError::TooLarge, "JWKS too large"),
        (TransportError::Network("dns".into()), "network: dns"),
    ] {
        let http = ScriptedHttp::new(|_| Err(error.clone()));
        let keys = RefCell::new(AuthkitKeys::default());
        assert_eq!(
            check(&http, &keys, &mint(claims(json!({}))), NOW),
            Err(AuthkitTokenError::JwksUnavailable(detail.into()))
        );
    }
    let http = ScriptedHttp::new(|_| Ok(HttpResponse { status: 200, headers: vec![], body: vec![0xff, 0xfe] }));
    let keys = RefCell::new(AuthkitKeys::default());
    assert!(matches!(check(&http, &keys, &mint(claims(json!({}))), NOW), Err(AuthkitTokenError::JwksUnavailable(_))));
}

#[test]
fn jwks_without_usable_key_is_no_keys() {
    let only_ec = json!({"keys": [{"kty": "EC", "crv": "P-256", "kid": "ec", "x": "AAAA", "y": "AAAA"}]}).to_string();
    let authkit = Authkit::serving(only_ec);
    let http = ScriptedHttp::new(|_| authkit.answer());
    let keys = RefCell::new(AuthkitKeys::default());
    assert_eq!(check(&http, &keys, &token_for(test_key(), TEST_KID), NOW), Err(AuthkitTokenError::NoKeys));
    authkit.set(Jwks::Serve(json!({"keys": []}).to_string()));
    let later = NOW + NO_KEYS_RETRY_SECS;
    assert_eq!(check(&http, &keys, &token_for(test_key(), TEST_KID), later), Err(AuthkitTokenError::NoKeys));
}

#[test]
fn refused_tokens_cause_no_fetch() {
    let http = ScriptedHttp::new(|_| Ok(HttpResponse { status: 200, headers: vec![], body: test_jwks().into_bytes() }));
    let keys = RefCell::new(AuthkitKeys::default());
    let payload = b64(&claims(json!({})));
    let none = format!("{}.{payload}.", b64(&json!({"alg": "none", "kid": "x"})));
    let hs = format!("{}.{payload}.AAAA", b64(&json!({"alg": "HS256", "kid": "x"})));
    assert_eq!(check(&http, &keys, &none, NOW), Err(AuthkitTokenError::Algorithm("none".into())));
    assert_eq!(check(&http, &keys, &hs, NOW), Err(AuthkitTokenError::Algorithm("HS256".into())));
    assert!(matches!(check(&http, &keys, "not a token", NOW), Err(AuthkitTokenError::Malformed(_))));
    assert!(http.requests.borrow().is_empty());
}

/// The HTTP client may run other requests of the isolate while a fetch is pending; none of them
/// may find the key cache borrowed.
#[test]
fn key_cache_is_not_borrowed_during_fetches() {
    let keys = RefCell::new(AuthkitKeys::default());
    let probes = Cell::new(0);
    let authkit = Authkit::serving(test_jwks());
    let http = ScriptedHttp::new(|_| {
        assert!(keys.try_borrow_mut().is_ok(), "RefCell borrowed across .await");
        probes.set(probes.get() + 1);
        authkit.answer()
    });
    assert!(check(&http, &keys, &token_for(test_key(), TEST_KID), NOW).is_ok());
    authkit.set(Jwks::Serve(json!({"keys": [jwk(test_key(), TEST_KID), jwk(other_key(), "key_new")]}).to_string()));
    assert!(check(&http, &keys, &token_for(other_key(), "key_new"), NOW + 61).is_ok());
    authkit.set(Jwks::Down);
    assert!(check(&http, &keys, &token_for(test_key(), TEST_KID), NOW + 2 * AuthkitKeys::TTL_SECS).is_ok());
    assert_eq!(probes.get(), 3);
}

//! [`verify_token`]: JWKS fetching, caching, rotation and outages, served by [`ScriptedHttp`].
use super::tests::{audiences, b64, claims, jwk, other_key, ISSUER, NOW};
use super::*;
use crate::outbound::Method;
use crate::outbound::{HttpResponse, TransportError};
use crate::testing::{json_response, mint, mint_with, test_jwks, test_key, ScriptedHttp, TEST_KID};
use futures_executor::block_on;
use serde_json::json;
use std::cell::Cell;

const JWKS_URL: &str = "https://acme.authkit.app/oauth2/jwks";

/// What the scripted AuthKit answers on its JWKS endpoint.
enum Jwks {
    Serve(String),
    Down,
    Status(u16),
}

/// A scripted JWKS endpoint whose answer a test can change between requests.
struct Authkit {
    jwks: RefCell<Jwks>,
}

impl Authkit {
    fn serving(jwks: String) -> Self {
        Authkit { jwks: RefCell::new(Jwks::Serve(jwks)) }
    }
    fn set(&self, jwks: Jwks) {
        *self.jwks.borrow_mut() = jwks;
    }
    fn answer(&self) -> Result<HttpResponse, TransportError> {
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
    let aud = audiences();
    let exp = Expectations { issuer: ISSUER, audiences: &aud };
    block_on(verify_token(http, &NotShared, keys, JWKS_URL, token, &exp, now)).map(|c| c.sub)
}

/// A token that stays valid for a day, signed by `key` under `kid`.
fn token_for(key: &rsa::RsaPrivateKey, kid: &str) -> String {
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

#[test]
fn jwks_down_without_cached_keys_is_unavailable() {
    let authkit = Authkit { jwks: RefCell::new(Jwks::Down) };
    let http = ScriptedHttp::new(|_| authkit.answer());
    let keys = RefCell::new(AuthkitKeys::default());
    let token = token_for(test_key(), TEST_KID);
    assert!(matches!(check(&http, &keys, &token, NOW), Err(AuthkitTokenError::JwksUnavailable(_))));
    for status in [404, 500, 302] {
        authkit.set(Jwks::Status(status));
        assert_eq!(
            check(&http, &keys, &token, NOW + 1),
            Err(AuthkitTokenError::JwksUnavailable(format!("HTTP {status}")))
        );
    }
    authkit.set(Jwks::Serve("<html>maintenance</html>".into()));
    assert!(matches!(check(&http, &keys, &token, NOW + 2), Err(AuthkitTokenError::JwksUnavailable(_))));
    // With nothing cached, each request tries again; the first success serves.
    assert_eq!(http.requests.borrow().len(), 5);
    authkit.set(Jwks::Serve(test_jwks()));
    assert_eq!(check(&http, &keys, &token, NOW + 3), Ok("user_01JQ".into()));
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
    assert_eq!(check(&http, &keys, &token_for(test_key(), TEST_KID), NOW + 1), Err(AuthkitTokenError::NoKeys));
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

// ---- the copy shared between isolates (the Cache API in the Worker) ---------------------------

/// A shared copy in memory, counting stores.
#[derive(Default)]
struct Shared {
    copy: RefCell<Option<(String, String, u64)>>,
    stores: Cell<usize>,
}

impl Shared {
    fn holding(jwks: String, fetched_at: u64) -> Self {
        let s = Shared::default();
        *s.copy.borrow_mut() = Some((JWKS_URL.into(), jwks, fetched_at));
        s
    }
}

impl SharedKeys for Shared {
    async fn load(&self, jwks_url: &str) -> Option<(String, u64)> {
        self.copy.borrow().as_ref().filter(|(u, _, _)| u == jwks_url).map(|(_, j, at)| (j.clone(), *at))
    }
    async fn store(&self, jwks_url: &str, jwks: &str, fetched_at: u64) {
        self.stores.set(self.stores.get() + 1);
        *self.copy.borrow_mut() = Some((jwks_url.into(), jwks.into(), fetched_at));
    }
}

fn check_shared<H: HttpClient>(
    http: &H,
    shared: &Shared,
    keys: &RefCell<AuthkitKeys>,
    token: &str,
    now: u64,
) -> Result<String, AuthkitTokenError> {
    let aud = audiences();
    let exp = Expectations { issuer: ISSUER, audiences: &aud };
    block_on(verify_token(http, shared, keys, JWKS_URL, token, &exp, now)).map(|c| c.sub)
}

#[test]
fn a_fetch_is_shared_and_a_new_isolate_takes_it_without_fetching() {
    let authkit = Authkit::serving(test_jwks());
    let http = ScriptedHttp::new(|_| authkit.answer());
    let shared = Shared::default();
    let token = token_for(test_key(), TEST_KID);
    assert!(check_shared(&http, &shared, &RefCell::new(AuthkitKeys::default()), &token, NOW).is_ok());
    assert_eq!((http.requests.borrow().len(), shared.stores.get()), (1, 1));
    assert_eq!(shared.copy.borrow().as_ref().map(|(_, _, at)| *at), Some(NOW));

    let second_isolate = RefCell::new(AuthkitKeys::default());
    authkit.set(Jwks::Down);
    assert_eq!(check_shared(&http, &shared, &second_isolate, &token, NOW + 100), Ok("user_01JQ".into()));
    assert_eq!(http.requests.borrow().len(), 1, "no fetch: the shared copy served");
    // Its age counts from the original fetch: it goes stale with it.
    assert!(second_isolate.borrow().is_stale(NOW + AuthkitKeys::TTL_SECS));
}

#[test]
fn a_shared_copy_older_than_the_ttl_is_not_taken() {
    let authkit = Authkit::serving(test_jwks());
    let http = ScriptedHttp::new(|_| authkit.answer());
    let shared = Shared::holding(test_jwks(), NOW - AuthkitKeys::TTL_SECS);
    assert!(check_shared(&http, &shared, &RefCell::new(AuthkitKeys::default()), &token_for(test_key(), TEST_KID), NOW)
        .is_ok());
    assert_eq!(http.requests.borrow().len(), 1);
    assert_eq!(shared.copy.borrow().as_ref().map(|(_, _, at)| *at), Some(NOW), "replaced by the fresh fetch");
}

#[test]
fn a_stale_isolate_takes_a_siblings_newer_copy() {
    let authkit = Authkit::serving(test_jwks());
    let http = ScriptedHttp::new(|_| authkit.answer());
    let keys = RefCell::new(AuthkitKeys::default());
    let token = token_for(test_key(), TEST_KID);
    assert!(check_shared(&http, &Shared::default(), &keys, &token, NOW).is_ok());
    let later = NOW + AuthkitKeys::TTL_SECS + 5;
    let shared = Shared::holding(test_jwks(), later - 1);
    assert!(check_shared(&http, &shared, &keys, &token, later).is_ok());
    assert_eq!(http.requests.borrow().len(), 1, "the sibling's refresh served");
    assert!(!keys.borrow().is_stale(later));
}

#[test]
fn a_copy_no_newer_than_ours_or_unusable_is_ignored() {
    let authkit = Authkit::serving(test_jwks());
    let http = ScriptedHttp::new(|_| authkit.answer());
    let token = token_for(test_key(), TEST_KID);
    let garbage = Shared::holding("{not json".into(), NOW);
    assert!(check_shared(&http, &garbage, &RefCell::new(AuthkitKeys::default()), &token, NOW).is_ok());
    assert_eq!(http.requests.borrow().len(), 1, "garbage: fetched");

    let keys = RefCell::new(AuthkitKeys::default());
    keys.borrow_mut().load(&test_jwks(), NOW).unwrap();
    let same_age = Shared::holding(test_jwks(), NOW);
    assert!(check_shared(&http, &same_age, &keys, &token, NOW + AuthkitKeys::TTL_SECS).is_ok());
    assert_eq!(http.requests.borrow().len(), 2, "not newer: fetched");
}

#[test]
fn an_unknown_kid_goes_to_authkit_not_to_the_shared_copy_and_shares_the_result() {
    let (new_key, new_kid) = (other_key(), "rotated-2");
    let authkit = Authkit::serving(test_jwks());
    let http = ScriptedHttp::new(|_| authkit.answer());
    let shared = Shared::holding(test_jwks(), NOW);
    let keys = RefCell::new(AuthkitKeys::default());
    assert!(check_shared(&http, &shared, &keys, &token_for(test_key(), TEST_KID), NOW).is_ok());
    assert_eq!(http.requests.borrow().len(), 0);
    authkit.set(Jwks::Serve(json!({"keys": [jwk(new_key, new_kid)]}).to_string()));
    assert_eq!(check_shared(&http, &shared, &keys, &token_for(new_key, new_kid), NOW + 120), Ok("user_01JQ".into()));
    assert_eq!(http.requests.borrow().len(), 1);
    assert!(shared.copy.borrow().as_ref().is_some_and(|(_, j, at)| j.contains(new_kid) && *at == NOW + 120));
}

// ---- sealed copies: the Cache API is the zone's, other Workers can write to it ----------------

/// A copy store in memory that anyone (a test standing for another Worker) can overwrite.
#[derive(Default)]
struct Zone {
    copy: RefCell<Option<(String, SharedCopy)>>,
}

impl CopyStore for Zone {
    async fn load(&self, jwks_url: &str) -> Option<SharedCopy> {
        self.copy.borrow().as_ref().filter(|(u, _)| u == jwks_url).map(|(_, c)| c.clone())
    }
    async fn store(&self, jwks_url: &str, copy: &SharedCopy) {
        *self.copy.borrow_mut() = Some((jwks_url.into(), copy.clone()));
    }
}

fn deployment_keys() -> crate::seal::SealKeys {
    crate::seal::SealKeys::parse("this deployment's cookie encryption key").unwrap()
}

fn check_sealed<H: HttpClient>(
    http: &H,
    shared: &Sealed<'_, Zone>,
    token: &str,
    now: u64,
) -> Result<String, AuthkitTokenError> {
    let aud = audiences();
    let exp = Expectations { issuer: ISSUER, audiences: &aud };
    let keys = RefCell::new(AuthkitKeys::default());
    block_on(verify_token(http, shared, &keys, JWKS_URL, token, &exp, now)).map(|c| c.sub)
}

#[test]
fn a_sealed_copy_serves_a_new_isolate_of_the_same_deployment() {
    let authkit = Authkit::serving(test_jwks());
    let http = ScriptedHttp::new(|_| authkit.answer());
    let (zone, keys) = (Zone::default(), deployment_keys());
    let shared = Sealed { copies: &zone, keys: &keys };
    let token = token_for(test_key(), TEST_KID);
    assert!(check_sealed(&http, &shared, &token, NOW).is_ok());
    assert!(zone.copy.borrow().as_ref().is_some_and(|(_, c)| !c.seal.is_empty()), "stored with its seal");
    authkit.set(Jwks::Down);
    assert_eq!(check_sealed(&http, &shared, &token, NOW + 100), Ok("user_01JQ".into()));
    assert_eq!(http.requests.borrow().len(), 1, "the copy served: no second fetch");
}

#[test]
fn a_copy_another_worker_wrote_is_not_taken_and_its_keys_verify_nothing() {
    let authkit = Authkit::serving(test_jwks());
    let http = ScriptedHttp::new(|_| authkit.answer());
    let (zone, keys) = (Zone::default(), deployment_keys());
    let shared = Sealed { copies: &zone, keys: &keys };
    // Another Worker on the zone puts its own signing key under the same cache URL, with a fresh
    // time: unsealed, sealed with its own key, or this deployment's genuine seal of another copy.
    let forged = json!({"keys": [jwk(other_key(), "key_evil")]}).to_string();
    let minted = token_for(other_key(), "key_evil");
    let other_deployment = crate::seal::SealKeys::parse("another deployment's cookie key and not ours").unwrap();
    let genuine = Sealed { copies: &zone, keys: &keys };
    block_on(genuine.store(JWKS_URL, &test_jwks(), NOW));
    let genuine_seal = zone.copy.borrow().as_ref().unwrap().1.seal.clone();
    for seal in
        [String::new(), "garbage".into(), other_deployment.seal(COPY_SEAL_PURPOSE, &[0; 32], NOW + 600), genuine_seal]
    {
        let copy = SharedCopy { jwks: forged.clone(), fetched_at: NOW, seal };
        *zone.copy.borrow_mut() = Some((JWKS_URL.into(), copy));
        let before = http.requests.borrow().len();
        assert_eq!(
            check_sealed(&http, &shared, &minted, NOW + 1),
            Err(AuthkitTokenError::UnknownKey(Some("key_evil".into())))
        );
        assert_eq!(http.requests.borrow().len(), before + 1, "AuthKit itself was asked instead");
    }
    // A genuine copy whose time was moved forward (to pass as fresh) is not taken either.
    block_on(genuine.store(JWKS_URL, &test_jwks(), NOW - AuthkitKeys::TTL_SECS));
    zone.copy.borrow_mut().as_mut().unwrap().1.fetched_at = NOW;
    let before = http.requests.borrow().len();
    assert!(check_sealed(&http, &shared, &token_for(test_key(), TEST_KID), NOW + 1).is_ok());
    assert_eq!(http.requests.borrow().len(), before + 1);
}

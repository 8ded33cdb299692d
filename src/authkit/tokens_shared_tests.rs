//! [`verify_token`] with a JWKS copy shared between isolates: taken when fresh and newer, and,
//! through [`Sealed`], only when it carries this deployment's seal.
use super::fetch_tests::{check_with, token_for, Authkit, Jwks, JWKS_URL};
use super::tests::{jwk, other_key, NOW};
use super::*;
use crate::authkit::shared::{CopyStore, Sealed, SharedCopy, SharedKeys, COPY_SEAL_PURPOSE};
use crate::testing::{test_jwks, test_key, ScriptedHttp, TEST_KID};
use futures_executor::block_on;
use serde_json::json;
use std::cell::Cell;

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

#[test]
fn a_fetch_is_shared_and_a_new_isolate_takes_it_without_fetching() {
    let authkit = Authkit::serving(test_jwks());
    let http = ScriptedHttp::new(|_| authkit.answer());
    let shared = Shared::default();
    let token = token_for(test_key(), TEST_KID);
    assert!(check_with(&http, &shared, &RefCell::new(AuthkitKeys::default()), &token, NOW).is_ok());
    assert_eq!((http.requests.borrow().len(), shared.stores.get()), (1, 1));
    assert_eq!(shared.copy.borrow().as_ref().map(|(_, _, at)| *at), Some(NOW));

    let second_isolate = RefCell::new(AuthkitKeys::default());
    authkit.set(Jwks::Down);
    assert_eq!(check_with(&http, &shared, &second_isolate, &token, NOW + 100), Ok("user_01JQ".into()));
    assert_eq!(http.requests.borrow().len(), 1, "no fetch: the shared copy served");
    // Its age counts from the original fetch: it goes stale with it.
    assert!(second_isolate.borrow().is_stale(NOW + AuthkitKeys::TTL_SECS));
}

#[test]
fn a_shared_copy_older_than_the_ttl_is_not_taken() {
    let authkit = Authkit::serving(test_jwks());
    let http = ScriptedHttp::new(|_| authkit.answer());
    let shared = Shared::holding(test_jwks(), NOW - AuthkitKeys::TTL_SECS);
    assert!(check_with(&http, &shared, &RefCell::new(AuthkitKeys::default()), &token_for(test_key(), TEST_KID), NOW)
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
    assert!(check_with(&http, &Shared::default(), &keys, &token, NOW).is_ok());
    let later = NOW + AuthkitKeys::TTL_SECS + 5;
    let shared = Shared::holding(test_jwks(), later - 1);
    assert!(check_with(&http, &shared, &keys, &token, later).is_ok());
    assert_eq!(http.requests.borrow().len(), 1, "the sibling's refresh served");
    assert!(!keys.borrow().is_stale(later));
}

#[test]
fn a_copy_no_newer_than_ours_or_unusable_is_ignored() {
    let authkit = Authkit::serving(test_jwks());
    let http = ScriptedHttp::new(|_| authkit.answer());
    let token = token_for(test_key(), TEST_KID);
    let garbage = Shared::holding("{not json".into(), NOW);
    assert!(check_with(&http, &garbage, &RefCell::new(AuthkitKeys::default()), &token, NOW).is_ok());
    assert_eq!(http.requests.borrow().len(), 1, "garbage: fetched");

    let keys = RefCell::new(AuthkitKeys::default());
    keys.borrow_mut().load(&test_jwks(), NOW).unwrap();
    let same_age = Shared::holding(test_jwks(), NOW);
    assert!(check_with(&http, &same_age, &keys, &token, NOW + AuthkitKeys::TTL_SECS).is_ok());
    assert_eq!(http.requests.borrow().len(), 2, "not newer: fetched");
}

#[test]
fn an_unknown_kid_goes_to_authkit_not_to_the_shared_copy_and_shares_the_result() {
    let (new_key, new_kid) = (other_key(), "rotated-2");
    let authkit = Authkit::serving(test_jwks());
    let http = ScriptedHttp::new(|_| authkit.answer());
    let shared = Shared::holding(test_jwks(), NOW);
    let keys = RefCell::new(AuthkitKeys::default());
    assert!(check_with(&http, &shared, &keys, &token_for(test_key(), TEST_KID), NOW).is_ok());
    assert_eq!(http.requests.borrow().len(), 0);
    authkit.set(Jwks::Serve(json!({"keys": [jwk(new_key, new_kid)]}).to_string()));
    assert_eq!(check_with(&http, &shared, &keys, &token_for(new_key, new_kid), NOW + 120), Ok("user_01JQ".into()));
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

/// As a new isolate (no keys of its own) sharing through `shared`.
fn check_sealed<H: HttpClient>(
    http: &H,
    shared: &Sealed<'_, Zone>,
    token: &str,
    now: u64,
) -> Result<String, AuthkitTokenError> {
    check_with(http, shared, &RefCell::new(AuthkitKeys::default()), token, now)
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

#[test]
fn a_copy_read_back_is_read_no_further_than_a_jwks_may_be() {
    use crate::workos::rs256::MAX_JWKS_BYTES;
    use futures_util::stream;
    let seal = || "sealed".to_string();
    let read = |chunks: Vec<Vec<u8>>, at: &str| {
        block_on(SharedCopy::read(stream::iter(chunks.into_iter().map(Ok::<_, ()>)), at, seal()))
    };
    let jwks = test_jwks();
    let (head, tail) = jwks.as_bytes().split_at(10);
    assert_eq!(
        read(vec![head.to_vec(), tail.to_vec()], "1700000000"),
        Some(SharedCopy { jwks: jwks.clone(), fetched_at: 1_700_000_000, seal: seal() })
    );
    assert_eq!(read(vec![vec![b' '; MAX_JWKS_BYTES]], "1").map(|c| c.jwks.len()), Some(MAX_JWKS_BYTES));
    // Another Worker on the zone left an endless body under the copy's URL: reading stops at the
    // first chunk past the limit.
    let pulled = Cell::new(0);
    let endless = stream::repeat_with(|| {
        pulled.set(pulled.get() + 1);
        Ok::<_, ()>(vec![b' '; 4096])
    });
    assert_eq!(block_on(SharedCopy::read(endless, "1", seal())), None);
    assert_eq!(pulled.get(), MAX_JWKS_BYTES / 4096 + 1);
    // Not UTF-8, or a time that is not a number: no copy.
    assert_eq!(read(vec![vec![0xff, 0xfe]], "1"), None);
    assert_eq!(read(vec![jwks.into_bytes()], "soon"), None);
}

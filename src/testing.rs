//! Test support shared by the native unit tests: an RSA test key that mints WorkOS-like RS256
//! access tokens and its JWKS, and a scripted [`HttpClient`].
use crate::outbound::{HttpClient, HttpRequest, HttpResponse, TransportError};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use jwt_compact::alg::Rsa;
use jwt_compact::{AlgorithmExt, Claims, Header};
use rsa::traits::PublicKeyParts;
use rsa::RsaPrivateKey;
use std::cell::RefCell;
use std::sync::OnceLock;

pub const TEST_KID: &str = "test-key-1";

/// One 2048-bit key per test process (generation is the slow part).
pub fn test_key() -> &'static RsaPrivateKey {
    static KEY: OnceLock<RsaPrivateKey> = OnceLock::new();
    KEY.get_or_init(|| RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048).expect("test key"))
}

pub fn jwks_for(key: &RsaPrivateKey, kid: &str) -> String {
    let public = key.to_public_key();
    serde_json::json!({"keys": [{
        "kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid,
        "n": URL_SAFE_NO_PAD.encode(public.n().to_bytes_be()),
        "e": URL_SAFE_NO_PAD.encode(public.e().to_bytes_be()),
    }]})
    .to_string()
}

pub fn test_jwks() -> String {
    jwks_for(test_key(), TEST_KID)
}

/// An RS256 token over arbitrary JSON claims, signed with `key`, header `kid`.
pub fn mint_with(key: &RsaPrivateKey, kid: &str, claims: serde_json::Value) -> String {
    Rsa::rs256().token(&Header::empty().with_key_id(kid), &Claims::new(claims), key).expect("mint")
}

pub fn mint(claims: serde_json::Value) -> String {
    mint_with(test_key(), TEST_KID, claims)
}

/// Answers requests from a closure and records them. Time is simulated: each request takes
/// `latency_ms`, and `sleep` only advances the clock (and is recorded).
pub struct ScriptedHttp<F: Fn(&HttpRequest) -> Result<HttpResponse, TransportError>> {
    pub handler: F,
    pub requests: RefCell<Vec<HttpRequest>>,
    pub clock_ms: std::cell::Cell<u64>,
    pub latency_ms: std::cell::Cell<u64>,
    pub sleeps: RefCell<Vec<u64>>,
}

impl<F: Fn(&HttpRequest) -> Result<HttpResponse, TransportError>> ScriptedHttp<F> {
    pub fn new(handler: F) -> Self {
        ScriptedHttp {
            handler,
            requests: RefCell::new(Vec::new()),
            clock_ms: Default::default(),
            latency_ms: Default::default(),
            sleeps: RefCell::default(),
        }
    }
    /// Paths (without query) of the requests made so far.
    pub fn paths(&self) -> Vec<String> {
        self.requests
            .borrow()
            .iter()
            .map(|r| url::Url::parse(&r.url).map(|u| u.path().to_string()).unwrap_or_default())
            .collect()
    }
}

impl<F: Fn(&HttpRequest) -> Result<HttpResponse, TransportError>> HttpClient for ScriptedHttp<F> {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        self.requests.borrow_mut().push(request.clone());
        self.clock_ms.set(self.clock_ms.get() + self.latency_ms.get());
        (self.handler)(&request)
    }

    fn now_ms(&self) -> u64 {
        self.clock_ms.get()
    }

    async fn sleep(&self, ms: u64) {
        self.sleeps.borrow_mut().push(ms);
        self.clock_ms.set(self.clock_ms.get() + ms);
    }

    fn timeout_ms(&self) -> u64 {
        5000
    }
}

pub fn json_response(status: u16, body: serde_json::Value) -> HttpResponse {
    HttpResponse {
        status,
        headers: vec![("content-type".into(), "application/json".into())],
        body: body.to_string().into_bytes(),
    }
}

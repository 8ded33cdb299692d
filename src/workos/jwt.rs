//! Access-token verification against WorkOS's JWKS (RS256 only, via `jwt-compact`).
use serde::Deserialize;

/// The claims of a WorkOS User-Management access token we use (reference §1.4).
#[derive(Debug, Clone, Deserialize, PartialEq, Default)]
pub struct AccessClaims {
    pub sub: String,
    #[serde(default)] pub sid: Option<String>,
    #[serde(default)] pub org_id: Option<String>,
    #[serde(default)] pub role: Option<String>,
    #[serde(default)] pub roles: Option<Vec<String>>,
    #[serde(default)] pub permissions: Option<Vec<String>>,
    #[serde(default)] pub exp: Option<u64>,
    #[serde(default)] pub iat: Option<u64>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum TokenError {
    Malformed(String),
    /// `alg` other than RS256 (incl. `none`, HS256).
    UnsupportedAlg(String),
    /// No key with this `kid` in the JWKS (after at most one refetch).
    UnknownKey(Option<String>),
    BadSignature,
    Expired,
    NotYetValid,
    /// `aud` present but not containing the expected audience.
    WrongAudience,
    /// The JWKS document itself is unusable.
    BadJwks(String),
}

/// Parsed JWKS with its fetch time; the Worker keeps one per isolate.
#[derive(Default)]
pub struct JwksCache { /* keys by kid, fetched_at, last_refetch_attempt */ }

impl JwksCache {
    pub const TTL_SECS: u64 = 600;
    pub const MIN_REFETCH_SECS: u64 = 60;

    /// Replace the keys with a freshly fetched JWKS document (RSA `sig` keys only).
    pub fn load(&mut self, jwks_json: &str, now: u64) -> Result<(), TokenError> { todo!() }
    /// True when the cache is empty or older than TTL.
    pub fn is_stale(&self, now: u64) -> bool { todo!() }
    /// True when a token's `kid` is unknown and a refetch is allowed (≤ once per MIN_REFETCH_SECS);
    /// calling it records the attempt.
    pub fn should_refetch_for(&mut self, kid: Option<&str>, now: u64) -> bool { todo!() }
    /// Verify signature (RS256 only), `exp`/`nbf` with 60 s leeway, and — when `aud` is present —
    /// that it contains `expected_aud`. Returns the claims.
    pub fn verify(&self, token: &str, expected_aud: &str, now: u64) -> Result<AccessClaims, TokenError> { todo!() }
}

/// The `kid` in a token header without verifying anything (to decide on a refetch).
pub fn peek_kid(token: &str) -> Option<String> { todo!() }

//! Access-token verification against WorkOS's JWKS: the RS256 step in [`super::rs256`], then
//! the claims. With the cache in a `RefCell`, [`JwksCache::prepare`] runs under the borrow and
//! [`verify_prepared`] after it.
//!
//! Time is always the caller's `now` (unix seconds): the system clock panics on wasm32, and
//! tests need to move it. Claims are read from the verified payload with serde directly,
//! because `jwt-compact` would consume `exp`/`iat` into chrono types.
//!
//! The time rule ([`check_time`]) is shared with the AuthKit verifier in `crate::authkit::tokens`.
use super::key_cache::KeyCache;
use super::rs256::{Prepared, Rs256Error};
use crate::b64::URL_SAFE_NO_PAD;
use serde::Deserialize;
use serde_json::Value;

/// The claims of a WorkOS User-Management access token we use.
#[derive(Debug, Clone, Deserialize, PartialEq, Default)]
pub struct AccessClaims {
    #[serde(default)]
    pub iss: Option<String>,
    pub sub: String,
    #[serde(default)]
    pub sid: Option<String>,
    #[serde(default)]
    pub org_id: Option<String>,
    #[serde(default)]
    pub role: Option<String>,
    #[serde(default)]
    pub roles: Option<Vec<String>>,
    #[serde(default)]
    pub permissions: Option<Vec<String>>,
    #[serde(default)]
    pub exp: Option<u64>,
    #[serde(default)]
    pub iat: Option<u64>,
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
    /// `iss` missing or not one of the issuers WorkOS uses for this environment.
    WrongIssuer,
    /// The JWKS document itself is unusable.
    BadJwks(String),
}

/// Clock skew tolerated on `exp` and `nbf`.
pub const LEEWAY_SECS: u64 = 60;
/// WorkOS tokens are ~1 KiB (templates cap claims at 3 KiB); refuse huge input before parsing.
const MAX_TOKEN_LEN: usize = 16 * 1024;

/// What a WorkOS User-Management access token must say about who issued it and for whom.
///
/// WorkOS signs these tokens with `iss` = `https://api.workos.com`, or
/// `https://api.workos.com/user_management/<client_id>`, or the environment's custom
/// authentication domain; the same forms on a configured API base URL (a proxy, staging) are
/// accepted too. Locally, with a loopback API base URL, the emulator signs with its own
/// loopback URL (another port than the front the Worker talks to), so any loopback `http`
/// origin is accepted — only then.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkosTokenRules {
    /// The expected `aud` when present (WorkOS's default audience is the client id).
    pub client_id: String,
    /// Exact accepted `iss` values.
    pub issuers: Vec<String>,
    /// Also accept `http://localhost:<port>` / `http://127.0.0.1:<port>` (local emulator).
    pub loopback_issuers: bool,
}

/// WorkOS's production API origin.
pub const WORKOS_API_ORIGIN: &str = "https://api.workos.com";

impl WorkosTokenRules {
    /// `api_base_url` and `custom_auth_domain` are origins without a trailing slash.
    pub fn new(client_id: &str, api_base_url: &str, custom_auth_domain: Option<&str>) -> WorkosTokenRules {
        let mut issuers = Vec::new();
        for origin in [Some(WORKOS_API_ORIGIN), Some(api_base_url), custom_auth_domain].into_iter().flatten() {
            for iss in [origin.to_string(), format!("{origin}/"), format!("{origin}/user_management/{client_id}")] {
                if !issuers.contains(&iss) {
                    issuers.push(iss);
                }
            }
        }
        let loopback_issuers = is_loopback_http(api_base_url);
        WorkosTokenRules { client_id: client_id.to_string(), issuers, loopback_issuers }
    }

    pub fn accepts_issuer(&self, iss: &str) -> bool {
        self.issuers.iter().any(|i| i == iss) || (self.loopback_issuers && is_loopback_http(iss))
    }
}

/// `http://localhost[:port]` or `http://127.0.0.1[:port]`, nothing after the origin but `/`.
fn is_loopback_http(url: &str) -> bool {
    let Some(rest) = url.strip_prefix("http://") else { return false };
    let authority = rest.strip_suffix('/').unwrap_or(rest);
    let (host, port) = authority.split_once(':').unwrap_or((authority, ""));
    matches!(host, "localhost" | "127.0.0.1") && port.bytes().all(|b| b.is_ascii_digit()) && port.len() <= 5
}

/// WorkOS's JWKS, parsed, with its fetch time; the Worker keeps one per isolate.
#[derive(Default)]
pub struct JwksCache(KeyCache);

impl JwksCache {
    pub const TTL_SECS: u64 = KeyCache::TTL_SECS;

    /// Replace the keys with a freshly fetched JWKS document (RSA `sig` keys only).
    /// An unusable document leaves the previous keys in place (and the cache stale).
    pub fn load(&mut self, jwks_json: &str, now: u64) -> Result<(), TokenError> {
        self.0.load(jwks_json, now).map_err(|p| TokenError::BadJwks(p.describe().into()))
    }

    /// True when some key is loaded (possibly stale).
    pub fn has_keys(&self) -> bool {
        self.0.has_keys()
    }

    /// True when keys are held, fetched less than [`KeyCache::MAX_AGE_SECS`] ago.
    pub fn usable(&self, now: u64) -> bool {
        self.0.has_keys() && !self.0.too_old(now)
    }

    /// True when the cache is empty or older than its TTL.
    pub fn is_stale(&self, now: u64) -> bool {
        self.0.is_stale(now)
    }

    /// True when a token's `kid` is unknown and a refetch is allowed (≤ once per
    /// [`KeyCache::MIN_REFETCH_SECS`]); calling it records the attempt.
    pub fn should_refetch_for(&mut self, kid: Option<&str>, now: u64) -> bool {
        if self.0.knows(kid) || self.0.fetched_recently(now) {
            return false;
        }
        self.0.note_attempt(now);
        true
    }

    /// Verify signature (RS256 only), `exp`/`nbf` with 60 s leeway, `iss` (one WorkOS uses), and
    /// — when `aud` is present — that it contains the client id. Returns the claims. With the
    /// cache in a `RefCell`, call [`Self::prepare`] under the borrow and [`verify_prepared`] after.
    pub async fn verify(&self, token: &str, rules: &WorkosTokenRules, now: u64) -> Result<AccessClaims, TokenError> {
        verify_prepared(self.prepare(token)?, rules, now).await
    }

    /// The synchronous part: parse, `alg`, the key by `kid`.
    pub fn prepare<'t>(&self, token: &'t str) -> Result<Prepared<'t>, TokenError> {
        self.0.prepare(token, MAX_TOKEN_LEN).map_err(TokenError::from)
    }
}

/// The rest of [`JwksCache::verify`]: the signature, then the claims.
pub async fn verify_prepared(
    prepared: Prepared<'_>,
    rules: &WorkosTokenRules,
    now: u64,
) -> Result<AccessClaims, TokenError> {
    let payload = prepared.check_signature().await.map_err(TokenError::from)?;
    check_claims(&payload, rules, now)?;
    AccessClaims::deserialize(&payload)
        .map_err(|_| TokenError::Malformed("claims lack a string sub or have wrong types".into()))
}

impl From<Rs256Error> for TokenError {
    fn from(e: Rs256Error) -> Self {
        match e {
            Rs256Error::Malformed(m) => TokenError::Malformed(m),
            Rs256Error::Algorithm(a) => TokenError::UnsupportedAlg(a),
            Rs256Error::UnknownKey(kid) => TokenError::UnknownKey(kid),
            Rs256Error::Signature => TokenError::BadSignature,
        }
    }
}

/// Why `exp`/`nbf` refuse a token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TimeError {
    Malformed(String),
    Expired,
    NotYetValid,
}

/// The last second of the year 9999: later "times" are not dates any clock will reach.
const LAST_UNIX_TIME: u64 = 253_402_300_799;

/// `exp` (required) and `nbf` (optional), each with [`LEEWAY_SECS`], unix times up to the year
/// 9999; returns `exp`.
pub fn check_time(payload: &Value, now: u64) -> Result<u64, TimeError> {
    let number = |name: &str| match payload.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_u64()
            .filter(|t| *t <= LAST_UNIX_TIME)
            .map(Some)
            .ok_or_else(|| TimeError::Malformed(format!("{name} is not a unix time"))),
    };
    let exp = number("exp")?.ok_or_else(|| TimeError::Malformed("missing exp".into()))?;
    if now > exp.saturating_add(LEEWAY_SECS) {
        return Err(TimeError::Expired);
    }
    if number("nbf")?.is_some_and(|nbf| nbf > now.saturating_add(LEEWAY_SECS)) {
        return Err(TimeError::NotYetValid);
    }
    Ok(exp)
}

/// The time claims, `iss`, then `aud` (optional for User-Management tokens; string or array).
fn check_claims(payload: &Value, rules: &WorkosTokenRules, now: u64) -> Result<(), TokenError> {
    check_time(payload, now).map_err(|e| match e {
        TimeError::Malformed(m) => TokenError::Malformed(m),
        TimeError::Expired => TokenError::Expired,
        TimeError::NotYetValid => TokenError::NotYetValid,
    })?;
    if !payload.get("iss").and_then(Value::as_str).is_some_and(|iss| rules.accepts_issuer(iss)) {
        return Err(TokenError::WrongIssuer);
    }
    let expected_aud = rules.client_id.as_str();
    let aud_ok = match payload.get("aud") {
        None | Some(Value::Null) => true,
        Some(Value::String(a)) => a == expected_aud,
        Some(Value::Array(list)) => list.iter().any(|a| a.as_str() == Some(expected_aud)),
        Some(_) => false,
    };
    if aud_ok {
        Ok(())
    } else {
        Err(TokenError::WrongAudience)
    }
}

/// The `kid` in a token header without verifying anything (to decide on a refetch).
pub fn peek_kid(token: &str) -> Option<String> {
    if token.len() > MAX_TOKEN_LEN {
        return None;
    }
    let header = URL_SAFE_NO_PAD.decode(token.split('.').next()?).ok()?;
    let header: Value = crate::json::from_bytes(&header)?;
    header.get("kid")?.as_str().map(str::to_string)
}

#[cfg(test)]
#[path = "jwt_tests.rs"]
mod tests;

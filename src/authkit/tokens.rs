//! Access tokens issued by AuthKit as the MCP authorization server (WorkOS Connect, reference
//! §2.3): RS256 JWTs signed by the keys published at `https://<authkit domain>/oauth2/jwks`.
//!
//! Unlike User-Management tokens (`crate::workos::jwt`, whose JWKS parsing and signature step
//! this shares), these always carry `iss` and `aud`, and both are required: `iss` must be the
//! AuthKit domain exactly, `aud` this server's resource URL (when a Resource Indicator is
//! configured in the dashboard) or the environment's default audience (its client id, when none is).
//!
//! Time is the caller's `now` (unix seconds). A steady-state request makes no network call: the
//! JWKS is cached per isolate for [`AuthkitKeys::TTL_SECS`], and fetched at most once per
//! [`KeyCache::MIN_REFETCH_SECS`] otherwise (stale refresh, unknown `kid`, outage retries).
//! A [`SharedKeys`] copy (the Worker uses the Cache API) lets a new or stale isolate take a
//! sibling's fresh fetch instead of fetching itself.
use super::shared::SharedKeys;
use crate::outbound::{HttpClient, HttpRequest, TransportError};
use crate::workos::jwt::{check_time, TimeError};
use crate::workos::key_cache::KeyCache;
use crate::workos::rs256::{parse_rs256, JwksProblem, Prepared, Rs256Error, MAX_JWKS_BYTES};
use serde::Deserialize;
use serde_json::Value;
use std::cell::RefCell;
use std::fmt;

/// What a valid AuthKit (WorkOS Connect) access token says.
#[derive(Debug, Clone, PartialEq)]
pub struct AuthkitClaims {
    pub sub: String,
    /// For Connect tokens an app consent id (`app_consent_…`), not a session id.
    pub sid: Option<String>,
    pub org_id: Option<String>,
    pub role: Option<String>,
    pub roles: Vec<String>,
    /// `None` when the token carries no `permissions` claim (the Connect default): the caller
    /// resolves them from the management API. `Some(vec![])` means "explicitly none".
    pub permissions: Option<Vec<String>>,
    pub email: Option<String>,
    pub name: Option<String>,
    pub client_id: Option<String>,
    /// Space-delimited, as issued.
    pub scope: Option<String>,
    pub expires_at: u64,
}

/// What this server requires of `iss` and `aud`.
pub struct Expectations<'a> {
    /// Exactly, e.g. "https://acme.authkit.app" (no trailing slash).
    pub issuer: &'a str,
    /// `aud` (string or array) must contain one of these: this server's resource URL(s) and,
    /// when configured, the environment's audience (WorkOS uses the client id when no Resource
    /// Indicator is configured).
    pub audiences: &'a [String],
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthkitTokenError {
    Malformed(String),
    /// `alg` other than RS256 (incl. `none` and every symmetric algorithm).
    Algorithm(String),
    /// No key with this `kid` (after at most one refetch).
    UnknownKey(Option<String>),
    Signature,
    Issuer,
    Audience,
    Expired,
    NotYetValid,
    MissingSubject,
    /// The JWKS has no usable RS256 signing key (or none is loaded).
    NoKeys,
    /// The JWKS could not be fetched or read, and no keys are cached.
    JwksUnavailable(String),
}

impl AuthkitTokenError {
    /// A short, fixed text for `error_description` (never token content; safe inside a quoted
    /// `WWW-Authenticate` parameter).
    pub fn description(&self) -> &'static str {
        match self {
            AuthkitTokenError::Malformed(_) => "The access token is malformed.",
            AuthkitTokenError::Algorithm(_) => "The access token must be signed with RS256.",
            AuthkitTokenError::UnknownKey(_) => "The access token is signed with an unknown key.",
            AuthkitTokenError::Signature => "The access token signature is invalid.",
            AuthkitTokenError::Issuer => "The access token was issued by another authorization server.",
            AuthkitTokenError::Audience => "The access token is not meant for this resource.",
            AuthkitTokenError::Expired => "The access token has expired.",
            AuthkitTokenError::NotYetValid => "The access token is not valid yet.",
            AuthkitTokenError::MissingSubject => "The access token names no subject.",
            AuthkitTokenError::NoKeys => "The authorization server publishes no usable signing key.",
            AuthkitTokenError::JwksUnavailable(_) => "The authorization server's signing keys are unavailable.",
        }
    }
}

/// For logs (may include the token's `alg`/`kid` and transport details).
impl fmt::Display for AuthkitTokenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AuthkitTokenError::Malformed(m) => write!(f, "malformed token: {m}"),
            AuthkitTokenError::Algorithm(a) => write!(f, "unsupported alg {a:?}"),
            AuthkitTokenError::UnknownKey(kid) => write!(f, "unknown kid {kid:?}"),
            AuthkitTokenError::JwksUnavailable(m) => write!(f, "JWKS unavailable: {m}"),
            other => f.write_str(other.description()),
        }
    }
}

impl From<Rs256Error> for AuthkitTokenError {
    fn from(e: Rs256Error) -> Self {
        match e {
            Rs256Error::Malformed(m) => AuthkitTokenError::Malformed(m),
            Rs256Error::Algorithm(a) => AuthkitTokenError::Algorithm(a),
            Rs256Error::UnknownKey(kid) => AuthkitTokenError::UnknownKey(kid),
            Rs256Error::Signature => AuthkitTokenError::Signature,
        }
    }
}

/// Connect tokens are about 1 KiB; refuse anything far larger before parsing.
const MAX_TOKEN_LEN: usize = 8 * 1024;
/// How long an isolate without keys waits after a failed JWKS fetch before it tries again (the
/// `Retry-After` its 503 answers carry).
pub const NO_KEYS_RETRY_SECS: u64 = crate::oauth::access::BearerError::RETRY_AFTER_SECS;

/// Per-isolate cache of the AuthKit JWKS (`https://<domain>/oauth2/jwks`).
#[derive(Default)]
pub struct AuthkitKeys(KeyCache);

impl AuthkitKeys {
    pub const TTL_SECS: u64 = KeyCache::TTL_SECS;

    /// Replace the keys with a freshly fetched JWKS document. An unusable document leaves the
    /// previous keys in place (and the cache stale).
    pub fn load(&mut self, jwks_json: &str, now: u64) -> Result<(), AuthkitTokenError> {
        self.0.load(jwks_json, now).map_err(|p| match p {
            JwksProblem::NoKeysArray | JwksProblem::NoUsableKey => AuthkitTokenError::NoKeys,
            JwksProblem::TooLarge | JwksProblem::NotJson => AuthkitTokenError::JwksUnavailable(p.describe().into()),
        })
    }

    /// True when some key is loaded (possibly stale).
    pub fn has_keys(&self) -> bool {
        self.0.has_keys()
    }

    /// True when no key is loaded or the keys are older than [`Self::TTL_SECS`].
    pub fn is_stale(&self, now: u64) -> bool {
        self.0.is_stale(now)
    }

    /// Check against loaded keys. With the keys in a `RefCell`, call [`Self::prepare`] under the
    /// borrow and [`verify_prepared`] after.
    pub async fn verify(
        &self,
        token: &str,
        exp: &Expectations<'_>,
        now: u64,
    ) -> Result<AuthkitClaims, AuthkitTokenError> {
        verify_prepared(self.prepare(token)?, exp, now).await
    }

    /// The synchronous part: parse, `alg`, the key by `kid`.
    pub fn prepare<'t>(&self, token: &'t str) -> Result<Prepared<'t>, AuthkitTokenError> {
        if !self.has_keys() {
            // The algorithm is still judged first, so `none`/HS256 never read "no keys".
            parse_rs256(token, MAX_TOKEN_LEN)?;
            return Err(AuthkitTokenError::NoKeys);
        }
        Ok(self.0.prepare(token, MAX_TOKEN_LEN)?)
    }

    /// Stale keys are refreshed; with keys in hand (even stale ones), at most once per
    /// MIN_REFETCH_SECS, so a JWKS outage costs one subrequest a minute, not one per request.
    /// Without keys a request tries unless a fetch failed in the last [`NO_KEYS_RETRY_SECS`]:
    /// requests that come together into a new isolate all try, but while the JWKS cannot be had
    /// a stream of requests (anyone can send a token-shaped header) is not one fetch each. (They
    /// do not wait for one another's fetch: a request woken by another's continues in that one's
    /// I/O context, and one whose client left may never be resumed to wake the rest.)
    fn should_refresh(&self, now: u64) -> bool {
        self.is_stale(now)
            && match self.has_keys() {
                true => !self.0.fetched_recently(now),
                false => !self.0.failed_within(NO_KEYS_RETRY_SECS, now),
            }
    }

    /// For an unknown `kid` (key rotation): allowed at most once per MIN_REFETCH_SECS.
    fn may_refetch_for_unknown_key(&self, now: u64) -> bool {
        !self.0.fetched_recently(now)
    }
}

/// The rest of [`AuthkitKeys::verify`]: the signature, then the claims.
pub async fn verify_prepared(
    prepared: Prepared<'_>,
    exp: &Expectations<'_>,
    now: u64,
) -> Result<AuthkitClaims, AuthkitTokenError> {
    let payload = prepared.check_signature().await?;
    let expires_at = check_claims(&payload, exp, now)?;
    let raw = RawClaims::deserialize(&payload)
        .map_err(|_| AuthkitTokenError::Malformed("claims have unexpected types".into()))?;
    Ok(AuthkitClaims {
        sub: raw.sub,
        sid: raw.sid,
        org_id: raw.org_id,
        role: raw.role,
        roles: raw.roles.unwrap_or_default(),
        permissions: raw.permissions,
        email: raw.email,
        name: raw.name,
        client_id: raw.client_id,
        scope: raw.scope,
        expires_at,
    })
}

/// The claims we read, typed; `exp` is read (and checked) by [`check_time`].
#[derive(Deserialize)]
struct RawClaims {
    sub: String,
    #[serde(default)]
    sid: Option<String>,
    #[serde(default)]
    org_id: Option<String>,
    #[serde(default)]
    role: Option<String>,
    #[serde(default)]
    roles: Option<Vec<String>>,
    #[serde(default)]
    permissions: Option<Vec<String>>,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    client_id: Option<String>,
    #[serde(default)]
    scope: Option<String>,
}

/// `iss` exactly, `aud` (required) against the expected set, the time claims, a non-empty `sub`.
/// Returns `exp`.
fn check_claims(payload: &Value, exp: &Expectations<'_>, now: u64) -> Result<u64, AuthkitTokenError> {
    let iss = payload.get("iss").and_then(Value::as_str);
    if exp.issuer.is_empty() || iss != Some(exp.issuer) {
        return Err(AuthkitTokenError::Issuer);
    }
    let ours = |a: &str| !a.is_empty() && exp.audiences.iter().any(|x| x == a);
    let aud_ok = match payload.get("aud") {
        Some(Value::String(a)) => ours(a),
        Some(Value::Array(list)) => list.iter().filter_map(Value::as_str).any(ours),
        _ => false,
    };
    if !aud_ok {
        return Err(AuthkitTokenError::Audience);
    }
    let expires_at = check_time(payload, now).map_err(|e| match e {
        TimeError::Malformed(m) => AuthkitTokenError::Malformed(m),
        TimeError::Expired => AuthkitTokenError::Expired,
        TimeError::NotYetValid => AuthkitTokenError::NotYetValid,
    })?;
    match payload.get("sub") {
        Some(Value::String(s)) if !s.is_empty() => Ok(expires_at),
        _ => Err(AuthkitTokenError::MissingSubject),
    }
}

/// The full check: refresh the JWKS when stale — from a sibling isolate's fresher copy when
/// there is one, else from AuthKit (a failed refresh with cached keys keeps using them, for up
/// to [`KeyCache::MAX_AGE_SECS`] after their fetch) —,
/// refetch from AuthKit once on an unknown `kid` at most once per MIN_REFETCH_SECS (covers key
/// rotation), then verify. The RefCell is never borrowed across an `.await`.
pub async fn verify_token<H: HttpClient, C: SharedKeys>(
    http: &H,
    shared: &C,
    keys: &RefCell<AuthkitKeys>,
    jwks_url: &str,
    token: &str,
    exp: &Expectations<'_>,
    now: u64,
) -> Result<AuthkitClaims, AuthkitTokenError> {
    // Garbage and non-RS256 tokens never cause a fetch.
    parse_rs256(token, MAX_TOKEN_LEN)?;
    let refresh = keys.borrow().should_refresh(now);
    if refresh && !take_shared_copy(shared, keys, jwks_url, now).await {
        if let Err(e) = refresh_keys(http, shared, keys, jwks_url, now).await {
            if !keys.borrow().has_keys() {
                return Err(e);
            }
        }
    }
    if !keys.borrow().has_keys() {
        // No keys, and a fetch failed moments ago: asked again in a few seconds.
        return Err(AuthkitTokenError::JwksUnavailable("no signing keys: the last fetch failed moments ago".into()));
    }
    if keys.borrow().0.too_old(now) {
        return Err(AuthkitTokenError::JwksUnavailable(
            "the signing keys held are a day old and cannot be refreshed".into(),
        ));
    }
    let first = keys.borrow().prepare(token);
    let prepared = match first {
        Err(AuthkitTokenError::UnknownKey(_)) if keys.borrow().may_refetch_for_unknown_key(now) => {
            refresh_keys(http, shared, keys, jwks_url, now).await?;
            keys.borrow().prepare(token)?
        }
        other => other?,
    };
    verify_prepared(prepared, exp, now).await
}

/// Load the shared copy when it is fresh and newer than ours; true when it was loaded.
async fn take_shared_copy<C: SharedKeys>(shared: &C, keys: &RefCell<AuthkitKeys>, jwks_url: &str, now: u64) -> bool {
    let Some((jwks, fetched_at)) = shared.load(jwks_url).await else {
        return false;
    };
    let fresh = fetched_at <= now && now - fetched_at < AuthkitKeys::TTL_SECS;
    let newer = keys.borrow().0.fetched_at().is_none_or(|ours| fetched_at > ours);
    fresh && newer && keys.borrow_mut().load(&jwks, fetched_at).is_ok()
}

/// Fetch and load the JWKS, recording the attempt first (so a failure also rate-limits); a
/// usable document is shared.
async fn refresh_keys<H: HttpClient, C: SharedKeys>(
    http: &H,
    shared: &C,
    keys: &RefCell<AuthkitKeys>,
    jwks_url: &str,
    now: u64,
) -> Result<(), AuthkitTokenError> {
    keys.borrow_mut().0.note_attempt(now);
    let loaded = match fetch_jwks(http, jwks_url).await {
        Ok(json) => keys.borrow_mut().load(&json, now).map(|_| json),
        Err(e) => Err(e),
    };
    match loaded {
        Ok(json) => {
            shared.store(jwks_url, &json, now).await;
            Ok(())
        }
        Err(e) => {
            keys.borrow_mut().0.note_failure(now);
            Err(e)
        }
    }
}

/// `GET {jwks_url}` → the JWKS text (bounded to [`MAX_JWKS_BYTES`]).
pub async fn fetch_jwks<H: HttpClient>(http: &H, jwks_url: &str) -> Result<String, AuthkitTokenError> {
    let request = HttpRequest::get_json(jwks_url, Some(MAX_JWKS_BYTES));
    let unavailable = AuthkitTokenError::JwksUnavailable;
    let response = http.send(request).await.map_err(|e| {
        unavailable(match e {
            TransportError::Timeout => "timeout".into(),
            TransportError::Network(m) => format!("network: {m}"),
            TransportError::TooLarge => "JWKS too large".into(),
        })
    })?;
    if response.status != 200 {
        return Err(unavailable(format!("HTTP {}", response.status)));
    }
    String::from_utf8(response.body).map_err(|_| unavailable("JWKS is not UTF-8".into()))
}

#[cfg(test)]
#[path = "tokens_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "tokens_fetch_tests.rs"]
mod fetch_tests;
#[cfg(test)]
#[path = "tokens_shared_tests.rs"]
mod shared_tests;

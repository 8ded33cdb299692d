//! Access tokens and the bearer check on MCP requests.
//!
//! An access token is self-contained: `mcp_at_` + the AEAD-sealed claims (issuer, grant,
//! client, audience, principal, issue and expiry times, standing), so checking one costs no
//! WorkOS call and no KV read.
//! Revocation still has to be seen, so the grant's existence is confirmed in KV at most once
//! per grant per [`GRANT_CHECK_SECS`] per isolate (with the change marks of its user and role,
//! read beside it);
//! a revoked grant stops its access tokens within that window. The trade-off: a revoked token
//! may work for up to a minute on an isolate that checked the grant just before; in exchange a
//! busy client costs three KV reads a minute (the grant and two marks, at once) instead of one
//! per request.
use super::current_access::CurrentAccess;
use super::grant;
use super::resource::Audience;
use crate::ids::{ClientId, GrantId};
use crate::principal::Principal;
use crate::seal::SealKeys;
use crate::store::{keys, refused_same_key_write, Store, StoreError};
use futures_util::future::join;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use subtle::ConstantTimeEq;

pub const ACCESS_PREFIX: &str = "mcp_at_";
const ACCESS_AAD: &str = "oauth-access-token";
/// How long an isolate trusts its last look at a grant.
pub const GRANT_CHECK_SECS: u64 = 60;
/// Bound on the per-isolate cache.
const MAX_CACHED_GRANTS: usize = 10_000;
/// Bound on the per-isolate memory of opened tokens (looked through in order: a busy isolate
/// serves a few clients at a time).
pub(crate) const MAX_OPENED_TOKENS: usize = 256;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccessClaims {
    /// The deployment that issued the token (its origin): two deployments sharing
    /// `COOKIE_ENCRYPTION_KEY` do not accept each other's tokens.
    #[serde(default)]
    pub issuer: String,
    pub grant_id: GrantId,
    pub client_id: ClientId,
    pub audience: Audience,
    /// Who, with their role and permissions. (The token response's `scope` is `mcp` and these
    /// permissions, so it is not repeated here; a `scope` in older tokens is ignored.)
    pub principal: Principal,
    pub issued_at: u64,
    pub expires_at: u64,
    /// When WorkOS was asked for the principal's role and permissions (unix ms): for a code's
    /// tokens, at the sign-in (or the consent's refresh) its grant keeps
    /// ([`grant::GrantSecrets::standing_at_ms`]); for a refresh's, at that refresh. 0 in tokens
    /// issued before this was kept.
    #[serde(default)]
    pub standing_at_ms: u64,
}

pub fn issue(keys: &SealKeys, claims: &AccessClaims) -> String {
    format!("{ACCESS_PREFIX}{}", keys.seal_json(ACCESS_AAD, claims, claims.expires_at))
}

/// The claims of a token we issued, if it is intact and unexpired.
pub fn open(keys: &SealKeys, token: &str, now: u64) -> Option<AccessClaims> {
    keys.open_json(ACCESS_AAD, token.strip_prefix(ACCESS_PREFIX)?, now)
}

/// Why a bearer token was refused (each maps to 401 `invalid_token`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BearerError {
    /// No `Authorization: Bearer` header.
    Missing,
    /// Not ours, tampered or expired.
    Invalid,
    /// Issued for another of this server's resources.
    WrongAudience,
    /// The grant was revoked.
    Revoked,
    /// A WorkOS event changed the user's access after the token's standing was read, and did
    /// not reach its grant (made, or not yet listed, while the event was applied): a refresh
    /// reads WorkOS again.
    Changed,
    /// The grant could not be checked (KV down) and the cache has no recent answer.
    Unavailable,
    /// AuthKit mode with `WORKOS_ORGANIZATION_ID`: a valid token, but not of an active member of
    /// this server's organization (403, not 401: a new token would not help).
    OutsideOrganization,
}

impl BearerError {
    /// The `Retry-After` (seconds) of an [`Unavailable`](Self::Unavailable) answer. AuthKit mode's
    /// pauses after a failed lookup or JWKS fetch last exactly this long, so a client that waits
    /// as told is asked again only once the isolate will try again.
    pub const RETRY_AFTER_SECS: u64 = 5;

    pub fn description(&self) -> &'static str {
        match self {
            BearerError::Missing => "An access token is required",
            BearerError::Invalid => "The access token is invalid or expired",
            BearerError::WrongAudience => "The access token was issued for another resource of this server",
            BearerError::Revoked => "The access token has been revoked",
            BearerError::Changed => "The user's access changed in WorkOS after this token was issued; refresh it",
            BearerError::Unavailable => "The access token could not be checked right now",
            BearerError::OutsideOrganization => "This server accepts only active members of its organization; the token's user or organization is not one",
        }
    }
}

/// Clocks of different machines may differ by a moment: a token counts as older than its grant
/// only when it was issued more than this before the grant was made.
const MADE_AGAIN_LEEWAY_SECS: u64 = 2;

/// True when a token issued at `issued_at` is one of an earlier grant under the same id (a
/// revoked grant the same sign-in and request made again, at `created_at`).
pub fn of_an_earlier_grant(issued_at: u64, created_at: u64) -> bool {
    issued_at + MADE_AGAIN_LEEWAY_SECS < created_at
}

/// What a look at a grant found: whether its tokens still work, and the access a WorkOS event
/// reported since their standing was read (applied over theirs).
#[derive(Debug, Clone, PartialEq, Default)]
struct GrantLook {
    live: bool,
    access: Option<CurrentAccess>,
    /// When the grant was made: a token issued before then is a revoked grant's whose id was
    /// made again (the same sign-in approving the same request), not this grant's.
    created_at: u64,
    /// When a WorkOS event last changed the access of the token's user or role, or of the role an
    /// event since gave the grant (unix ms, [`note_change`]).
    changed_at_ms: Option<u64>,
    /// The roles whose marks that includes (the token's): a token of the grant sealed with
    /// other roles (one issued before a refresh that changed them) looks again.
    role: Option<String>,
    other_roles: Vec<String>,
}

/// How long a change mark is kept: past the last token whose standing it can predate (a
/// code's token is issued up to [`grant::CODE_TTL`] after its grant, whose standing is up to
/// [`grant::HANDOVER_SECS`] older, and lives [`grant::ACCESS_TTL`]).
pub const CHANGE_MARK_SECS: u64 = grant::ACCESS_TTL + grant::CODE_TTL + grant::HANDOVER_SECS;

/// Mark that a WorkOS event arrived at `at_ms` (`mark`: [`keys::access_changed`] for an event
/// about one user, [`keys::role_changed`] for a role's), before the event changes the grants it
/// finds: a grant it cannot reach (made meanwhile, or not yet in KV's listing) has its tokens
/// whose standing is older refused by the bearer check, so that their client refreshes them.
/// What the event records on the grants it reaches is dated `at_ms`.
pub async fn note_change<S: Store>(store: &S, mark: &str, at_ms: u64) -> Result<(), StoreError> {
    match store.put(mark, &at_ms.to_string(), CHANGE_MARK_SECS).await {
        // Several events about one user at once (a deletion brings its memberships and sessions
        // along): KV takes one write to a key per second, and the store has waited out one
        // refusal already. A mark the others left within that wait stands for this one.
        Err(e) if refused_same_key_write(&e) => match marked_at(store, mark).await? {
            Some(at) if at + SAME_MOMENT_MS >= at_ms => Ok(()),
            _ => Err(e),
        },
        done => done,
    }
}

/// Marks this close to each other count as one (KV's one write per key per second, and the
/// store's one retry a little over a second later).
const SAME_MOMENT_MS: u64 = 2 * crate::store::SAME_KEY_RETRY_MS;

pub(crate) async fn marked_at<S: Store>(store: &S, mark: &str) -> Result<Option<u64>, StoreError> {
    Ok(store.get(mark).await?.and_then(|at| at.parse().ok()))
}

/// The later of the marks that concern a token: its user's, and its role's when it has one
/// (and those of its other roles, when it has several: rare, so read after).
async fn changed_at<S: Store>(store: &S, principal: &Principal) -> Result<Option<u64>, StoreError> {
    let user_mark = keys::access_changed(principal.user_id.as_str());
    let Some(role) = principal.role.as_deref() else { return marked_at(store, &user_mark).await };
    let role_mark = keys::role_changed(role);
    let (user, role) = join(marked_at(store, &user_mark), marked_at(store, &role_mark)).await;
    let latest = user?.max(role?);
    marks_of(store, principal.other_roles.iter().map(String::as_str), latest).await
}

/// The latest of `latest` and the marks of `roles`.
pub(crate) async fn marks_of<'a, S: Store>(
    store: &S,
    roles: impl Iterator<Item = &'a str>,
    mut latest: Option<u64>,
) -> Result<Option<u64>, StoreError> {
    for role in roles {
        latest = latest.max(marked_at(store, &keys::role_changed(role)).await?);
    }
    Ok(latest)
}

/// Per-isolate memory of the bearer check: grant lookups, grant id → (checked at, what was
/// found); and the tokens already opened, with their claims.
///
/// Opening a token (base64, AES-256-GCM and JSON, all in Wasm) took about 7 % of the isolate's
/// time under `tools/call` load (docs/performance.md). Only tokens that opened are remembered;
/// each use still checks the expiry, the issuer, the audience and the grant. A presented token
/// is looked up by a keyed 64-bit hash (SipHash-2-4 under a key drawn once per isolate, so no
/// one can aim at another token's hash), and a hash that matches is confirmed by comparing the
/// whole token in constant time. (A SHA-256 of each token, compared instead, cost about 3 % of
/// the samples; the tokens kept add nothing to what the isolate's memory already holds: the
/// keys that seal every token.)
#[derive(Default)]
pub struct GrantChecks {
    seen: HashMap<String, (u64, GrantLook)>,
    /// (the token's keyed hash, the token, its claims), oldest first.
    opened: Vec<(u64, String, AccessClaims)>,
    /// The hash key, drawn on first use.
    hash_key: Option<(u64, u64)>,
}

impl GrantChecks {
    fn fresh(&self, grant_id: &str, principal: &Principal, now: u64) -> Option<GrantLook> {
        let same_roles = |look: &GrantLook| look.role == principal.role && look.other_roles == principal.other_roles;
        let usable = |look: &GrantLook| !look.live || same_roles(look);
        self.seen
            .get(grant_id)
            .filter(|(at, look)| now < at + GRANT_CHECK_SECS && usable(look))
            .map(|(_, look)| look.clone())
    }

    fn remember(&mut self, grant_id: &str, look: GrantLook, now: u64) {
        if self.seen.len() >= MAX_CACHED_GRANTS {
            self.seen.retain(|_, (at, _)| now < *at + GRANT_CHECK_SECS);
            if self.seen.len() >= MAX_CACHED_GRANTS {
                self.seen.clear();
            }
        }
        self.seen.insert(grant_id.to_string(), (now, look));
    }

    /// The claims of `token`, opened once per isolate while it is unexpired.
    fn open(&mut self, keys: &SealKeys, token: &str, now: u64) -> Option<AccessClaims> {
        let hash = self.hash(token);
        // (`ct_eq` answers false for slices of different lengths.)
        let known =
            self.opened.iter().find(|(h, kept, _)| *h == hash && bool::from(kept.as_bytes().ct_eq(token.as_bytes())));
        if let Some((_, _, claims)) = known {
            return (now < claims.expires_at).then(|| claims.clone());
        }
        let claims = open(keys, token, now)?;
        if self.opened.len() >= MAX_OPENED_TOKENS {
            self.opened.retain(|(_, _, c)| now < c.expires_at);
            if self.opened.len() >= MAX_OPENED_TOKENS {
                self.opened.clear();
            }
        }
        self.opened.push((hash, token.to_string(), claims.clone()));
        Some(claims)
    }

    /// SipHash-2-4 of `token` under this isolate's key.
    fn hash(&mut self, token: &str) -> u64 {
        use std::hash::Hasher;
        let (k0, k1) = *self.hash_key.get_or_insert_with(|| {
            (u64::from_le_bytes(crate::random::bytes()), u64::from_le_bytes(crate::random::bytes()))
        });
        // std's SipHasher is deprecated only in favour of the unkeyed DefaultHasher; keyed, it
        // is the SipHash-2-4 this needs.
        #[allow(deprecated)]
        let mut hasher = std::hash::SipHasher::new_with_keys(k0, k1);
        hasher.write(token.as_bytes());
        hasher.finish()
    }

    /// Forget a grant (after this isolate revoked or changed it, so the next request sees it at once).
    pub fn forget(&mut self, grant_id: &str) {
        self.seen.remove(grant_id);
    }
}

/// Parse `Authorization: Bearer <token>` (scheme case-insensitive, RFC 6750 §2.1).
pub fn bearer_token(authorization: Option<&str>) -> Option<&str> {
    let (scheme, token) = authorization?.trim().split_once(' ')?;
    let token = token.trim();
    // Whitespace inside refuses it; an ASCII token (every token we issue) is looked at byte by byte.
    let spaced = match token.is_ascii() {
        true => token.bytes().any(|b| matches!(b, b'\t'..=b'\r' | b' ')),
        false => token.contains(char::is_whitespace),
    };
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty() && !spaced).then_some(token)
}

/// The full bearer check for a request to `path` at the deployment `issuer` (this Worker's
/// origin). `checks` is the isolate's cache; it is never borrowed across the KV read.
pub async fn authenticate<S: Store>(
    keys: &SealKeys,
    issuer: &str,
    store: &S,
    checks: &std::cell::RefCell<GrantChecks>,
    authorization: Option<&str>,
    path: &str,
    now: u64,
) -> Result<AccessClaims, BearerError> {
    let token = bearer_token(authorization).ok_or(BearerError::Missing)?;
    let opened = checks.borrow_mut().open(keys, token, now);
    let claims = opened.filter(|c| c.issuer == issuer).ok_or(BearerError::Invalid)?;
    if !claims.audience.admits(path) {
        return Err(BearerError::WrongAudience);
    }
    let cached = checks.borrow().fresh(claims.grant_id.as_str(), &claims.principal, now);
    let look = match cached {
        Some(look) => look,
        None => {
            let look = look_at_grant(store, &claims, now).await?;
            checks.borrow_mut().remember(claims.grant_id.as_str(), look.clone(), now);
            look
        }
    };
    if !look.live || of_an_earlier_grant(claims.issued_at, look.created_at) {
        return Err(BearerError::Revoked);
    }
    // The change reached the grant when its access is recorded there (applied below).
    let reached = |at_ms: u64| look.access.as_ref().is_some_and(|a| a.reaches(at_ms));
    if look.changed_at_ms.is_some_and(|at_ms| at_ms > claims.standing_at_ms && !reached(at_ms)) {
        return Err(BearerError::Changed);
    }
    let mut claims = claims;
    // A role changed in WorkOS after the token's standing was read: what WorkOS reported wins
    // over the token's copy, until a refresh carries it. (A token from before standing times
    // were kept counts from when it was issued.)
    let standing_ms = match claims.standing_at_ms {
        0 => claims.issued_at.saturating_mul(1000),
        ms => ms,
    };
    if let Some(access) = look.access.filter(|a| a.dated_ms() >= standing_ms) {
        access.apply_to(&mut claims.principal);
    }
    Ok(claims)
}

/// What KV holds about the token's grant now, with the change marks that concern the token.
async fn look_at_grant<S: Store>(store: &S, claims: &AccessClaims, now: u64) -> Result<GrantLook, BearerError> {
    let (grant, changed_at_ms) =
        join(grant::load(store, &claims.grant_id, now), changed_at(store, &claims.principal)).await;
    let Some(g) = grant.map_err(|_| BearerError::Unavailable)? else { return Ok(GrantLook::default()) };
    if g.client_id != claims.client_id || !g.is_active() {
        return Ok(GrantLook::default());
    }
    let changed_at_ms = changed_at_ms.map_err(|_| BearerError::Unavailable)?;
    // An event since gave the grant other roles (applied over the token's): their marks count
    // too. Rare, so read after the grant rather than beside it.
    let p = &claims.principal;
    let given = g.access.iter().flat_map(|a| a.roles()).filter(|r| !p.roles().any(|t| t == *r));
    let changed_at_ms = marks_of(store, given, changed_at_ms).await.map_err(|_| BearerError::Unavailable)?;
    Ok(GrantLook {
        live: true,
        access: g.access,
        created_at: g.created_at,
        changed_at_ms,
        role: p.role.clone(),
        other_roles: p.other_roles.clone(),
    })
}

#[cfg(test)]
#[path = "access_tests.rs"]
mod tests;

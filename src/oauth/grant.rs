//! Grants: what one user allowed one client, and the one-time code, refresh-token chain and
//! sealed upstream credentials that hang off it. KV holds only hashes of codes and refresh
//! tokens and AEAD ciphertext of the principal and the WorkOS refresh token.
//!
//! Token strings are `<prefix><grant id>.<secret>`: the grant id finds the record, the hash
//! of the whole string must match. Everything that changes a grant once it exists — code
//! redemption, refresh rotation, revocation — runs in the grant's own Durable Object, one
//! operation at a time (`grant_object.rs`), so those steps are linearizable; the record is
//! mirrored to KV for the bearer check.
use super::client::ClientAuth;
use super::current_access::CurrentAccess;
use super::pkce::CodeChallenge;
use super::redirect_uri::RedirectUri;
use super::resource::Audience;
use super::types::TokenHash;
use crate::ids::{ClientId, GrantId, UserId};
use crate::principal::Principal;
use crate::seal::SealKeys;
use crate::secret::Secret;
use serde::{Deserialize, Serialize};

/// A session signed in at most this long ago hands its principal and WorkOS refresh token to the
/// grant without asking WorkOS again: what it verified is as fresh as a bearer token's standing
/// (also up to 60 s). A WorkOS event meanwhile finds no grant yet; it leaves a mark the bearer
/// check reads (`store::keys::access_changed`).
pub const HANDOVER_SECS: u64 = 60;
/// Authorization codes live 10 minutes.
pub const CODE_TTL: u64 = 600;
/// Access tokens live one hour.
pub const ACCESS_TTL: u64 = 3600;
/// A grant (and its refresh token) lives 30 days after its last refresh.
pub const REFRESH_TTL: u64 = 30 * 24 * 3600;
/// A user's index entry for a grant outlives the grant by up to this long: a grant in use
/// (each refresh extends it) writes its entry again about once in this period, not at every
/// refresh. A new grant's entry is written once, for the code's and the refresh token's
/// lifetimes and this.
pub const INDEX_SLACK: u64 = 7 * 24 * 3600;
/// The refresh token just replaced is accepted once more within this long (a lost response).
pub const GRACE_MS: u64 = 60_000;
/// A code or refresh token presented again within this long after the operation that spent it
/// was sent together with it (a double submission, parallel requests): refused as "already
/// used", nothing revoked, the grace not spent. Requests sent at once can reach the grant's
/// object one after another, so arrival order alone cannot tell.
pub const CONCURRENT_MS: u64 = 2_000;
/// Hashes of older refresh tokens kept to recognise their reuse.
const MAX_SUPERSEDED: usize = 16;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PendingCode {
    pub hash: TokenHash,
    pub challenge: CodeChallenge,
    pub expires_at: u64,
    /// How the client authenticates, as registered when the code was issued (the exchange,
    /// moments later, needs no second read of the registration). Absent from older grants.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_auth: Option<ClientAuth>,
}

/// A grant's refresh tokens once its code is exchanged (hashes only).
#[derive(Debug, Clone, PartialEq)]
pub struct RefreshChain {
    pub current: TokenHash,
    /// The token before the current one: accepted once more within [`GRACE_MS`] of its
    /// rotation, while the current one is unused.
    pub previous: Option<TokenHash>,
    /// When the current token replaced the previous one (ms).
    pub rotated_at_ms: Option<u64>,
    /// The previous token's one grace use is spent.
    pub previous_retried: bool,
    /// Older tokens: presenting one is reuse.
    pub superseded: Vec<TokenHash>,
}

impl RefreshChain {
    fn new(current: TokenHash) -> RefreshChain {
        RefreshChain { current, previous: None, rotated_at_ms: None, previous_retried: false, superseded: Vec::new() }
    }
}

/// Where a grant is in its life.
#[derive(Debug, Clone, PartialEq)]
pub enum GrantPhase {
    /// Issued with a one-time code that has not been exchanged.
    Pending { code: PendingCode },
    /// The code was exchanged (its hash kept: a replay revokes the grant, and its PKCE challenge:
    /// only a replay with the verifier does; absent from older grants); refresh tokens from here on.
    Active {
        used_code: TokenHash,
        used_challenge: Option<CodeChallenge>,
        redeemed_at_ms: Option<u64>,
        refresh: RefreshChain,
    },
}

/// What one user allowed one client. Stored as [`GrantRecord`] (the KV bytes of every grant
/// written so far).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(into = "GrantRecord", try_from = "GrantRecord")]
pub struct Grant {
    pub id: GrantId,
    pub client_id: ClientId,
    pub user_id: UserId,
    /// The redirect URI the code was sent to (it must be repeated exactly if sent at /token).
    pub redirect_uri: RedirectUri,
    pub audience: Audience,
    pub created_at: u64,
    pub expires_at: u64,
    pub phase: GrantPhase,
    /// Set by a WorkOS event (see [`CurrentAccess`]).
    pub access: Option<CurrentAccess>,
    /// Sealed [`GrantSecrets`].
    pub sealed: String,
    /// When the user's index entry for this grant expires (unix seconds; 0 for grants written
    /// before this was kept): [`save`] writes the entry again only when the grant would outlive it.
    pub indexed_until: u64,
}

/// A grant as KV and the grant's object store it: the phase spread over optional fields.
#[derive(Serialize, Deserialize)]
struct GrantRecord {
    id: GrantId,
    client_id: ClientId,
    user_id: UserId,
    redirect_uri: RedirectUri,
    audience: Audience,
    created_at: u64,
    expires_at: u64,
    code: Option<PendingCode>,
    used_code_hash: Option<TokenHash>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    used_challenge: Option<CodeChallenge>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    redeemed_at_ms: Option<u64>,
    refresh_hash: Option<TokenHash>,
    previous_refresh_hash: Option<TokenHash>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    rotated_at_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    previous_retried: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    superseded: Vec<TokenHash>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    current_access: Option<CurrentAccess>,
    sealed: String,
    #[serde(default, skip_serializing_if = "is_zero")]
    indexed_until: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl From<Grant> for GrantRecord {
    fn from(g: Grant) -> GrantRecord {
        let mut r = GrantRecord {
            id: g.id,
            client_id: g.client_id,
            user_id: g.user_id,
            redirect_uri: g.redirect_uri,
            audience: g.audience,
            created_at: g.created_at,
            expires_at: g.expires_at,
            code: None,
            used_code_hash: None,
            used_challenge: None,
            redeemed_at_ms: None,
            refresh_hash: None,
            previous_refresh_hash: None,
            rotated_at_ms: None,
            previous_retried: false,
            superseded: Vec::new(),
            current_access: g.access,
            sealed: g.sealed,
            indexed_until: g.indexed_until,
        };
        match g.phase {
            GrantPhase::Pending { code } => r.code = Some(code),
            GrantPhase::Active { used_code, used_challenge, redeemed_at_ms, refresh } => {
                r.used_code_hash = Some(used_code);
                r.used_challenge = used_challenge;
                r.redeemed_at_ms = redeemed_at_ms;
                r.refresh_hash = Some(refresh.current);
                r.previous_refresh_hash = refresh.previous;
                r.rotated_at_ms = refresh.rotated_at_ms;
                r.previous_retried = refresh.previous_retried;
                r.superseded = refresh.superseded;
            }
        }
        r
    }
}

impl TryFrom<GrantRecord> for Grant {
    type Error = &'static str;

    fn try_from(r: GrantRecord) -> Result<Grant, &'static str> {
        let phase = match (r.code, r.used_code_hash, r.refresh_hash) {
            (Some(code), None, None) => GrantPhase::Pending { code },
            (None, Some(used_code), Some(current)) => GrantPhase::Active {
                used_code,
                used_challenge: r.used_challenge,
                redeemed_at_ms: r.redeemed_at_ms,
                refresh: RefreshChain {
                    current,
                    previous: r.previous_refresh_hash,
                    rotated_at_ms: r.rotated_at_ms,
                    previous_retried: r.previous_retried,
                    superseded: r.superseded,
                },
            },
            _ => return Err("a grant is either waiting for its code or has a refresh token"),
        };
        Ok(Grant {
            id: r.id,
            client_id: r.client_id,
            user_id: r.user_id,
            redirect_uri: r.redirect_uri,
            audience: r.audience,
            created_at: r.created_at,
            expires_at: r.expires_at,
            phase,
            access: r.current_access,
            sealed: r.sealed,
            indexed_until: r.indexed_until,
        })
    }
}

/// Which refresh token of a grant was presented.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefreshRole {
    Current,
    Previous,
    /// Replaced more than one rotation ago (or the previous one after its grace): reuse.
    Superseded,
    Unknown,
}

/// What the grant needs to refresh upstream; sealed with the server key, bound to the grant id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GrantSecrets {
    pub principal: Principal,
    pub workos_refresh_token: Secret<String>,
    /// When WorkOS was asked for the principal's standing (unix ms): at the sign-in (its second)
    /// or the refresh it came from. 0 in grants made before this was kept (read as
    /// [`HANDOVER_SECS`] before the grant was made, the oldest a sign-in it took can be).
    #[serde(default)]
    pub standing_at_ms: u64,
}

fn secrets_aad(grant_id: &GrantId) -> String {
    format!("kv:oauth-grant:{grant_id}")
}

impl Grant {
    pub fn seal_secrets(keys: &SealKeys, grant_id: &GrantId, secrets: &GrantSecrets, expires_at: u64) -> String {
        keys.seal_json(&secrets_aad(grant_id), secrets, expires_at)
    }

    pub fn open_secrets(&self, keys: &SealKeys, now: u64) -> Option<GrantSecrets> {
        keys.open_json(&secrets_aad(&self.id), &self.sealed, now)
    }

    /// How the client authenticates, kept while the code waits (see [`PendingCode::client_auth`]).
    pub fn client_auth(&self) -> Option<&ClientAuth> {
        match &self.phase {
            GrantPhase::Pending { code } => code.client_auth.as_ref(),
            GrantPhase::Active { .. } => None,
        }
    }

    /// The code was exchanged: refresh tokens may be used (the bearer check's condition).
    pub fn is_active(&self) -> bool {
        matches!(self.phase, GrantPhase::Active { .. })
    }

    /// The code exchange: from here on `refresh` is the grant's refresh token (the pending
    /// code's challenge is kept with the used code's hash).
    pub fn redeem(&mut self, used_code: TokenHash, at_ms: u64, refresh: TokenHash) {
        let used_challenge = match &self.phase {
            GrantPhase::Pending { code } => Some(code.challenge.clone()),
            GrantPhase::Active { used_challenge, .. } => used_challenge.clone(),
        };
        let refresh = RefreshChain::new(refresh);
        self.phase = GrantPhase::Active { used_code, used_challenge, redeemed_at_ms: Some(at_ms), refresh };
    }

    /// Which of this grant's refresh tokens `hash` is.
    pub fn refresh_role(&self, hash: &TokenHash) -> RefreshRole {
        let GrantPhase::Active { refresh, .. } = &self.phase else { return RefreshRole::Unknown };
        if refresh.current.matches(hash) {
            RefreshRole::Current
        } else if refresh.previous.as_ref().is_some_and(|p| p.matches(hash)) {
            RefreshRole::Previous
        } else if refresh.superseded.iter().any(|h| h.matches(hash)) {
            RefreshRole::Superseded
        } else {
            RefreshRole::Unknown
        }
    }

    /// True when `hash` is the refresh token the last rotation retired (to the superseded).
    pub fn retired_last(&self, hash: &TokenHash) -> bool {
        matches!(&self.phase, GrantPhase::Active { refresh, .. } if refresh.superseded.last().is_some_and(|h| h.matches(hash)))
    }

    /// When the current refresh token replaced the previous one (ms).
    pub fn rotated_at_ms(&self) -> Option<u64> {
        match &self.phase {
            GrantPhase::Active { refresh, .. } => refresh.rotated_at_ms,
            GrantPhase::Pending { .. } => None,
        }
    }

    /// The previous token's one grace use is spent.
    pub fn previous_retried(&self) -> bool {
        matches!(&self.phase, GrantPhase::Active { refresh, .. } if refresh.previous_retried)
    }

    /// Install `new_hash` as the current refresh token at `at_ms`. A rotation from the current
    /// token keeps it as the previous one (with a fresh grace); the previous token's grace use
    /// keeps it previous, grace spent, and retires the token it had been replaced by.
    pub fn rotate(&mut self, from: RefreshRole, new_hash: TokenHash, at_ms: u64) {
        let GrantPhase::Active { refresh: chain, .. } = &mut self.phase else { return };
        let retired = match from {
            RefreshRole::Previous => {
                chain.previous_retried = true;
                Some(std::mem::replace(&mut chain.current, new_hash))
            }
            _ => {
                chain.previous_retried = false;
                let replaced = std::mem::replace(&mut chain.current, new_hash);
                chain.previous.replace(replaced)
            }
        };
        if let Some(old) = retired {
            chain.superseded.push(old);
            if chain.superseded.len() > MAX_SUPERSEDED {
                chain.superseded.remove(0);
            }
        }
        chain.rotated_at_ms = Some(at_ms);
    }

    /// Seconds KV should keep the record.
    fn ttl(&self, now: u64) -> u64 {
        self.expires_at.saturating_sub(now).max(crate::store::KV_MIN_TTL)
    }
}

pub use super::types::is_grant_id;

// Reading and writing grants: `grant_store.rs`.
#[path = "grant_store.rs"]
mod storage;
pub use storage::*;

#[cfg(test)]
#[path = "grant_tests.rs"]
mod tests;

//! Grants: what one user allowed one client, and the one-time code, refresh-token chain and
//! sealed upstream credentials that hang off it. KV holds only hashes of codes and refresh
//! tokens and AEAD ciphertext of the principal and the WorkOS refresh token.
//!
//! Token strings are `<prefix><grant id>.<secret>`: the grant id finds the record, the hash
//! of the whole string must match. Everything that changes a grant once it exists — code
//! redemption, refresh rotation, revocation — runs in the grant's own Durable Object, one
//! operation at a time (`grant_object.rs`), so those steps are linearizable; the record is
//! mirrored to KV for the bearer check.
use super::pkce::CodeChallenge;
use super::resource::Audience;
use super::OAuthError;
use crate::principal::Principal;
use crate::seal::SealKeys;
use crate::secret::Secret;
use crate::store::{keys, Store};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Authorization codes live 10 minutes.
pub const CODE_TTL: u64 = 600;
/// Access tokens live one hour.
pub const ACCESS_TTL: u64 = 3600;
/// A grant (and its refresh token) lives 30 days after its last refresh.
pub const REFRESH_TTL: u64 = 30 * 24 * 3600;
/// The refresh token just replaced is accepted once more within this long (a lost response).
pub const GRACE_MS: u64 = 60_000;
/// A code or refresh token presented again within this long after the operation that spent it
/// was sent together with it (a double submission, parallel requests): refused as "already
/// used", nothing revoked, the grace not spent. Requests sent at once can reach the grant's
/// object one after another, so arrival order alone cannot tell.
pub const CONCURRENT_MS: u64 = 2_000;
/// Hashes of older refresh tokens kept to recognise their reuse.
const MAX_SUPERSEDED: usize = 16;

pub const CODE_PREFIX: &str = "mcp_code_";
pub const REFRESH_PREFIX: &str = "mcp_rt_";
const GRANT_ID_BYTES: usize = 16;
const SECRET_BYTES: usize = 32;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PendingCode {
    pub hash: String,
    pub challenge: CodeChallenge,
    pub expires_at: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Grant {
    pub id: String,
    pub client_id: String,
    pub user_id: String,
    /// The redirect URI the code was sent to (it must be repeated exactly if sent at /token).
    pub redirect_uri: String,
    pub audience: Audience,
    pub created_at: u64,
    pub expires_at: u64,
    /// Until exchanged.
    pub code: Option<PendingCode>,
    /// After exchange: a second use of the code is recognised and revokes the grant.
    pub used_code_hash: Option<String>,
    /// When the code was redeemed (ms): an exchange that arrived before then was concurrent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redeemed_at_ms: Option<u64>,
    pub refresh_hash: Option<String>,
    /// The refresh token before the current one: accepted once more within [`GRACE_MS`] of its
    /// rotation, while the current one is unused.
    pub previous_refresh_hash: Option<String>,
    /// When the current refresh token replaced the previous one (ms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rotated_at_ms: Option<u64>,
    /// The previous token's one grace use is spent.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub previous_retried: bool,
    /// Hashes of older refresh tokens: presenting one is reuse.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub superseded: Vec<String>,
    /// Sealed [`GrantSecrets`].
    pub sealed: String,
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
}

pub fn hash_token(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn hashes_equal(a: &str, b: &str) -> bool {
    bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

pub fn new_grant_id() -> String {
    crate::random::token(GRANT_ID_BYTES)
}

/// A fresh `<prefix><grant id>.<secret>` token.
pub fn new_token(prefix: &str, grant_id: &str) -> String {
    format!("{prefix}{grant_id}.{}", crate::random::token(SECRET_BYTES))
}

/// The grant id inside a token of this kind, if the token is well-formed.
pub fn grant_id_of<'t>(token: &'t str, prefix: &str) -> Option<&'t str> {
    let (id, secret) = token.strip_prefix(prefix)?.split_once('.')?;
    let ok = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    (ok(id, 22) && ok(secret, 43)).then_some(id)
}

fn secrets_aad(grant_id: &str) -> String {
    format!("kv:oauth-grant:{grant_id}")
}

impl Grant {
    pub fn seal_secrets(keys: &SealKeys, grant_id: &str, secrets: &GrantSecrets, expires_at: u64) -> String {
        keys.seal_json(&secrets_aad(grant_id), secrets, expires_at)
    }

    pub fn open_secrets(&self, keys: &SealKeys, now: u64) -> Option<GrantSecrets> {
        keys.open_json(&secrets_aad(&self.id), &self.sealed, now)
    }

    /// Which of this grant's refresh tokens `hash` is.
    pub fn refresh_role(&self, hash: &str) -> RefreshRole {
        let is = |h: &Option<String>| h.as_deref().is_some_and(|h| hashes_equal(h, hash));
        if is(&self.refresh_hash) {
            RefreshRole::Current
        } else if is(&self.previous_refresh_hash) {
            RefreshRole::Previous
        } else if self.superseded.iter().any(|h| hashes_equal(h, hash)) {
            RefreshRole::Superseded
        } else {
            RefreshRole::Unknown
        }
    }

    /// Install `new_hash` as the current refresh token at `at_ms`. A rotation from the current
    /// token keeps it as the previous one (with a fresh grace); the previous token's grace use
    /// keeps it previous, grace spent, and retires the token it had been replaced by.
    pub fn rotate(&mut self, from: RefreshRole, new_hash: String, at_ms: u64) {
        let retired = match from {
            RefreshRole::Previous => {
                self.previous_retried = true;
                self.refresh_hash.take()
            }
            _ => {
                self.previous_retried = false;
                std::mem::replace(&mut self.previous_refresh_hash, self.refresh_hash.take())
            }
        };
        if let Some(old) = retired {
            self.superseded.push(old);
            if self.superseded.len() > MAX_SUPERSEDED {
                self.superseded.remove(0);
            }
        }
        self.refresh_hash = Some(new_hash);
        self.rotated_at_ms = Some(at_ms);
    }

    /// Seconds KV should keep the record.
    fn ttl(&self, now: u64) -> u64 {
        self.expires_at.saturating_sub(now).max(crate::store::KV_MIN_TTL)
    }
}

pub async fn load<S: Store>(store: &S, grant_id: &str, now: u64) -> Result<Option<Grant>, OAuthError> {
    let Some(raw) = store.get(&keys::oauth_grant(grant_id)).await? else { return Ok(None) };
    match serde_json::from_str::<Grant>(&raw) {
        Ok(g) if g.expires_at > now && g.id == grant_id => Ok(Some(g)),
        _ => Ok(None),
    }
}

pub async fn save<S: Store>(store: &S, grant: &Grant, now: u64) -> Result<(), OAuthError> {
    let json = serde_json::to_string(grant).map_err(|e| OAuthError::server_error(e.to_string()))?;
    store.put(&keys::oauth_grant(&grant.id), &json, grant.ttl(now)).await?;
    Ok(())
}

pub async fn revoke<S: Store>(store: &S, grant_id: &str) -> Result<(), OAuthError> {
    store.delete(&keys::oauth_grant(grant_id)).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_carry_their_grant_id_and_nothing_else_parses() {
        let id = new_grant_id();
        let t = new_token(REFRESH_PREFIX, &id);
        assert_eq!(grant_id_of(&t, REFRESH_PREFIX), Some(id.as_str()));
        assert_eq!(grant_id_of(&t, CODE_PREFIX), None, "a refresh token is not a code");
        for bad in ["", "mcp_rt_", "mcp_rt_abc.def", &t[..t.len() - 1], &format!("{t}x"), &t.replace('.', ":")] {
            assert_eq!(grant_id_of(bad, REFRESH_PREFIX), None, "{bad}");
        }
    }

    #[test]
    fn hashes_are_hex_sha256_and_compare_exactly() {
        assert_eq!(hash_token("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert!(hashes_equal(&hash_token("a"), &hash_token("a")));
        assert!(!hashes_equal(&hash_token("a"), &hash_token("b")));
    }
}

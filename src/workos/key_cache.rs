//! The timing both per-isolate JWKS caches share (WorkOS's keys for its access tokens in
//! [`super::jwt::JwksCache`], AuthKit's in `crate::authkit::tokens::AuthkitKeys`): keys are
//! fresh for [`KeyCache::TTL_SECS`], and while keys are in hand a fetch is tried at most once per
//! [`KeyCache::MIN_REFETCH_SECS`], a load counting as a fetch (right after one, the JWKS is as
//! fresh as it gets). When to fetch is each cache's own rule, written with these. Keys that could
//! not be refreshed are used past their freshness (issuers rotate with overlap), but not past
//! [`KeyCache::MAX_AGE_SECS`]: a JWKS unreadable for that long is an outage to report, not a
//! reason to go on trusting keys the issuer may have withdrawn.
use super::rs256::{JwksProblem, Prepared, Rs256Error, RsaKeys};

#[derive(Default)]
pub struct KeyCache {
    keys: RsaKeys,
    fetched_at: Option<u64>,
    /// The last fetch tried, whether or not it succeeded.
    last_attempt: Option<u64>,
    /// The last fetch that failed (no answer, or no usable key in it).
    last_failure: Option<u64>,
}

impl KeyCache {
    pub const TTL_SECS: u64 = 600;
    pub const MIN_REFETCH_SECS: u64 = 60;
    /// Keys fetched this long ago are not used, refreshed or not.
    pub const MAX_AGE_SECS: u64 = 24 * 3600;

    /// Replace the keys with a freshly fetched JWKS document (RSA `sig` keys only). An unusable
    /// document leaves the previous keys in place (and the cache stale).
    pub fn load(&mut self, jwks_json: &str, now: u64) -> Result<(), JwksProblem> {
        self.keys = RsaKeys::parse(jwks_json)?;
        self.fetched_at = Some(now);
        Ok(())
    }

    /// When the keys held were fetched.
    pub fn fetched_at(&self) -> Option<u64> {
        self.fetched_at
    }

    /// True when some key is loaded (possibly stale).
    pub fn has_keys(&self) -> bool {
        !self.keys.is_empty()
    }

    /// True when no key is loaded or the keys are older than [`Self::TTL_SECS`].
    pub fn is_stale(&self, now: u64) -> bool {
        match self.fetched_at {
            Some(at) if self.has_keys() => now.saturating_sub(at) >= Self::TTL_SECS,
            _ => true,
        }
    }

    /// True when keys are held that were fetched [`Self::MAX_AGE_SECS`] or more ago (the
    /// refresh having failed since): they are not to be used.
    pub fn too_old(&self, now: u64) -> bool {
        self.has_keys() && self.fetched_at.is_some_and(|at| now.saturating_sub(at) >= Self::MAX_AGE_SECS)
    }

    /// True when a fetch was tried, or keys loaded, less than [`Self::MIN_REFETCH_SECS`] ago.
    pub fn fetched_recently(&self, now: u64) -> bool {
        self.last_attempt.max(self.fetched_at).is_some_and(|t| now < t.saturating_add(Self::MIN_REFETCH_SECS))
    }

    /// Records a fetch tried now; recorded before it is made, a failure paces the next one too.
    pub fn note_attempt(&mut self, now: u64) {
        self.last_attempt = Some(now);
    }

    /// Records that the fetch tried now failed.
    pub fn note_failure(&mut self, now: u64) {
        self.last_failure = Some(now);
    }

    /// True when a fetch failed less than `secs` ago.
    pub fn failed_within(&self, secs: u64, now: u64) -> bool {
        self.last_failure.is_some_and(|t| now < t.saturating_add(secs))
    }

    /// True when a key by that `kid` is held.
    pub fn knows(&self, kid: Option<&str>) -> bool {
        self.keys.get(kid).is_some()
    }

    /// Parse, `alg`, the key by `kid` (see [`RsaKeys::prepare`]).
    pub fn prepare<'t>(&self, token: &'t str, max_len: usize) -> Result<Prepared<'t>, Rs256Error> {
        self.keys.prepare(token, max_len)
    }
}

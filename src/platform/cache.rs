//! [`CopyStore`] over the Cache API of the Worker's location: AuthKit's JWKS, fetched by one
//! isolate, serves the others (and new ones) until it is [`AuthkitKeys::TTL_SECS`] old. The
//! Cache API is the zone's (every Worker on it can put any URL), so the copies are sealed
//! ([`crate::authkit::shared::Sealed`]).
//!
//! Best effort by design: the Cache API is per location, may evict at any time, and is a no-op
//! where Cloudflare offers none (e.g. a `*.workers.dev` route) — each isolate then fetches for itself.
use crate::authkit::shared::{CopyStore, SharedCopy};
use crate::authkit::AuthkitKeys;
use worker::{Cache, Headers, Response};

/// Headers carrying when the JWKS was fetched (unix seconds) and the deployment's seal.
const FETCHED_AT: &str = "x-jwks-fetched-at";
const SEAL: &str = "x-jwks-seal";

/// The cache key: a synthetic URL naming the JWKS URL, so nothing else in the cache can collide.
fn key(jwks_url: &str) -> String {
    let encoded: String = url::form_urlencoded::byte_serialize(jwks_url.as_bytes()).collect();
    format!("https://authkit-jwks.cache.internal/?url={encoded}")
}

pub struct CacheApiKeys;

impl CopyStore for CacheApiKeys {
    async fn load(&self, jwks_url: &str) -> Option<SharedCopy> {
        let mut resp = Cache::default().get(key(jwks_url), false).await.ok()??;
        let fetched_at = resp.headers().get(FETCHED_AT).ok()??;
        let seal = resp.headers().get(SEAL).ok()??;
        SharedCopy::read(resp.stream().ok()?, &fetched_at, seal).await
    }

    async fn store(&self, jwks_url: &str, copy: &SharedCopy) {
        let headers = Headers::new();
        let _ = headers.set("Content-Type", "application/json");
        let _ = headers.set("Cache-Control", &format!("max-age={}", AuthkitKeys::TTL_SECS));
        let _ = headers.set(FETCHED_AT, &copy.fetched_at.to_string());
        let _ = headers.set(SEAL, &copy.seal);
        let Ok(resp) = Response::ok(&copy.jwks).map(|r| r.with_headers(headers)) else {
            return;
        };
        if let Err(e) = Cache::default().put(key(jwks_url), resp).await {
            worker::console_warn!("could not store the AuthKit JWKS in the Cache API: {e}");
        }
    }
}

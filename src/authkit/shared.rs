//! AuthKit's JWKS shared between isolates ([`SharedKeys`]): one isolate's fetch serves the
//! others while it is fresh (`tokens` judges that from when it was fetched). Where the copies are
//! left may be written by others too (the Worker's Cache API is the zone's), so the Worker shares
//! through [`Sealed`].
use crate::outbound::{read_capped, Overflow};
use crate::seal::SealKeys;
use crate::workos::rs256::MAX_JWKS_BYTES;

/// A JWKS copy shared between isolates (the Worker: the Cache API of its location). Best
/// effort both ways: a miss or a failed store only costs a fetch.
#[allow(async_fn_in_trait)]
pub trait SharedKeys {
    /// The JWKS text stored for `jwks_url` and when it was fetched (unix seconds).
    async fn load(&self, jwks_url: &str) -> Option<(String, u64)>;
    async fn store(&self, jwks_url: &str, jwks: &str, fetched_at: u64);
}

/// One isolate's fetch as a shared store holds it: the JWKS text, when it was fetched (unix
/// seconds), and the deployment's seal over both and the JWKS URL ([`Sealed`]).
#[derive(Debug, Clone, PartialEq)]
pub struct SharedCopy {
    pub jwks: String,
    pub fetched_at: u64,
    pub seal: String,
}

impl SharedCopy {
    /// A copy as read back from where it was left: its text (`body`) read as a stream that stops
    /// past [`MAX_JWKS_BYTES`] — others may have left anything there, of any size — and the values
    /// of its two headers. `None` for a body too large, cut off or not UTF-8, or a time that is
    /// not a number.
    pub async fn read<S, E>(body: S, fetched_at: &str, seal: String) -> Option<SharedCopy>
    where
        S: futures_util::Stream<Item = Result<Vec<u8>, E>> + Unpin,
    {
        let fetched_at = fetched_at.parse().ok()?;
        let body = read_capped(body, MAX_JWKS_BYTES, Overflow::Stop).await.ok()?;
        Some(SharedCopy { jwks: String::from_utf8(body).ok()?, fetched_at, seal })
    }
}

/// Where isolates leave their copies (the Worker: the Cache API of its location). Others may
/// write there too: the Cache API belongs to the zone, and every Worker on it can put any URL.
#[allow(async_fn_in_trait)]
pub trait CopyStore {
    async fn load(&self, jwks_url: &str) -> Option<SharedCopy>;
    async fn store(&self, jwks_url: &str, copy: &SharedCopy);
}

/// [`SharedKeys`] over a [`CopyStore`] that others can write to: each copy is stored with the
/// deployment's seal (`COOKIE_ENCRYPTION_KEY`) over the SHA-256 of its URL, time and text, and a
/// copy whose seal does not open and match is not taken — another Worker on the zone cannot
/// hand this one signing keys of its own.
pub struct Sealed<'a, C> {
    pub copies: &'a C,
    pub keys: &'a SealKeys,
}

pub(super) const COPY_SEAL_PURPOSE: &str = "authkit-jwks-copy";

fn copy_digest(jwks_url: &str, jwks: &str, fetched_at: u64) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    let digest = Sha256::new()
        .chain_update(jwks_url.as_bytes())
        .chain_update(b"\n")
        .chain_update(fetched_at.to_be_bytes())
        .chain_update(jwks.as_bytes())
        .finalize();
    digest.into()
}

impl<C: CopyStore> SharedKeys for Sealed<'_, C> {
    async fn load(&self, jwks_url: &str) -> Option<(String, u64)> {
        use subtle::ConstantTimeEq;
        let copy = self.copies.load(jwks_url).await?;
        // Any time opens a seal that never expires (`store`). Not a constant: with one, the
        // optimizer builds a second copy of `open` for this call (6.5 KB of Wasm).
        let sealed = self.keys.open(COPY_SEAL_PURPOSE, &copy.seal, copy.fetched_at)?;
        let expected = copy_digest(jwks_url, &copy.jwks, copy.fetched_at);
        bool::from(sealed.as_slice().ct_eq(&expected)).then_some((copy.jwks, copy.fetched_at))
    }

    async fn store(&self, jwks_url: &str, jwks: &str, fetched_at: u64) {
        let digest = copy_digest(jwks_url, jwks, fetched_at);
        // The seal has no lifetime of its own: it binds `fetched_at`, by which the copy's
        // freshness is judged.
        let seal = self.keys.seal(COPY_SEAL_PURPOSE, &digest, u64::MAX);
        self.copies.store(jwks_url, &SharedCopy { jwks: jwks.to_string(), fetched_at, seal }).await;
    }
}

/// No sharing (native tests of the per-isolate behaviour, or a platform without a cache).
pub struct NotShared;

impl SharedKeys for NotShared {
    async fn load(&self, _: &str) -> Option<(String, u64)> {
        None
    }
    async fn store(&self, _: &str, _: &str, _: u64) {}
}

//! AEAD sealing under the server's key: cookie values, access tokens and the secrets kept in KV
//! (a session's or grant's WorkOS refresh token, a pending authentication token).
//!
//! A sealed value is `base64url(version || nonce || ciphertext)`; the plaintext is the
//! expiry (unix seconds, 8 bytes big-endian) followed by the payload. A purpose string (a
//! cookie's name, `kv:oauth-grant:<id>`, …) is the associated data, so a value sealed for one
//! purpose never opens as another.
//! Keys come from `COOKIE_ENCRYPTION_KEY` (comma-separated; the first seals, all open) through
//! HKDF-SHA256, so any string of enough entropy works as a key.
use crate::b64::URL_SAFE_NO_PAD;
use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use hkdf::Hkdf;
use sha2::Sha256;

const VERSION: u8 = 1;
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;
const EXPIRY_LEN: usize = 8;
/// Fixed, project-specific: the same secret used by another app yields different keys.
const HKDF_SALT: &[u8] = b"mcp-authkit-worker/cookie-encryption-key";
/// Bumped together with `VERSION` if the layout ever changes.
const HKDF_INFO: &[u8] = b"cookie-aead-v1";
/// The info of [`SealKeys::tag`]'s key (another key from the same secret).
const TAG_INFO: &[u8] = b"tag-hmac-v1";
/// Minimum characters per key entry (`openssl rand -hex 32` gives 64).
pub const MIN_KEY_CHARS: usize = 32;
/// The longest sealed value opened; anything longer is junk, refused before decoding. Browsers
/// keep at most ~4 KiB per cookie, but access tokens and grants' secrets carry the user's WorkOS
/// permissions: a role with a few hundred of them must still open.
pub const MAX_SEALED_CHARS: usize = 16 * 1024;

/// Derived AES-256-GCM keys, first = current. Ciphers are kept expanded: the Worker holds
/// one `SealKeys` per isolate, so derivation and key schedules run once.
#[derive(Clone)]
pub struct SealKeys {
    ciphers: Vec<Aes256Gcm>,
    /// The HMAC key of [`SealKeys::tag`], derived from the first entry.
    tag_key: [u8; 32],
}

impl std::fmt::Debug for SealKeys {
    // Never print key material.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SealKeys({} keys)", self.ciphers.len())
    }
}

#[derive(Debug, PartialEq, Eq)]
pub enum KeyError {
    Empty,
    TooShort { index: usize, min: usize },
}

impl SealKeys {
    /// Parse `COOKIE_ENCRYPTION_KEY`: comma-separated, whitespace around entries trimmed, empty
    /// entries refused, each ≥ 32 characters.
    pub fn parse(value: &str) -> Result<SealKeys, KeyError> {
        let entries: Vec<&str> = value.split(',').map(str::trim).collect();
        if entries.iter().all(|e| e.is_empty()) {
            return Err(KeyError::Empty);
        }
        let mut ciphers = Vec::with_capacity(entries.len());
        let mut tag_key = [0u8; 32];
        for (index, entry) in entries.iter().enumerate() {
            if entry.chars().count() < MIN_KEY_CHARS {
                return Err(KeyError::TooShort { index, min: MIN_KEY_CHARS });
            }
            let secret = Hkdf::<Sha256>::new(Some(HKDF_SALT), entry.as_bytes());
            ciphers.push(Aes256Gcm::new(&expand(&secret, HKDF_INFO).into()));
            if index == 0 {
                tag_key = expand(&secret, TAG_INFO);
            }
        }
        Ok(SealKeys { ciphers, tag_key })
    }

    /// A keyed digest of `data` for `purpose` (HMAC-SHA256 under a key derived from the first
    /// entry): the same for the same input while that key is first, and telling nothing of
    /// `data` to whoever lacks the key.
    pub fn tag(&self, purpose: &str, data: &[u8]) -> [u8; 32] {
        use hmac::{Hmac, Mac};
        let Ok(mut mac) = <Hmac<Sha256> as Mac>::new_from_slice(&self.tag_key) else { return [0; 32] };
        mac.update(purpose.as_bytes());
        mac.update(b"\n");
        mac.update(data);
        mac.finalize().into_bytes().into()
    }

    /// Seal `payload` for `purpose` (e.g. a cookie's name), valid until `expires_at` (unix seconds).
    pub fn seal(&self, purpose: &str, payload: &[u8], expires_at: u64) -> String {
        let Some(cipher) = self.ciphers.first() else { return String::new() };
        let mut plaintext = Vec::with_capacity(EXPIRY_LEN + payload.len());
        plaintext.extend_from_slice(&expires_at.to_be_bytes());
        plaintext.extend_from_slice(payload);
        let nonce = crate::random::bytes::<NONCE_LEN>();
        // Encryption only fails for plaintexts beyond AES-GCM's 64 GiB limit; an empty
        // value never opens, so it is a safe answer for the impossible case.
        let Ok(ciphertext) =
            cipher.encrypt(Nonce::from_slice(&nonce), Payload { msg: &plaintext, aad: purpose.as_bytes() })
        else {
            return String::new();
        };
        let mut out = Vec::with_capacity(1 + NONCE_LEN + ciphertext.len());
        out.push(VERSION);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ciphertext);
        URL_SAFE_NO_PAD.encode(out)
    }

    /// Open a sealed value; `None` for tampered, truncated, expired (`now >= expiry`), foreign
    /// (other key / other purpose) or malformed input. Never panics.
    pub fn open(&self, purpose: &str, sealed: &str, now: u64) -> Option<Vec<u8>> {
        if sealed.len() > MAX_SEALED_CHARS {
            return None;
        }
        let raw = URL_SAFE_NO_PAD.decode(sealed).ok()?;
        if raw.len() < 1 + NONCE_LEN + EXPIRY_LEN + TAG_LEN || raw[0] != VERSION {
            return None;
        }
        let (nonce, ciphertext) = raw[1..].split_at(NONCE_LEN);
        let nonce = Nonce::from_slice(nonce);
        let plaintext = self
            .ciphers
            .iter()
            .find_map(|c| c.decrypt(nonce, Payload { msg: ciphertext, aad: purpose.as_bytes() }).ok())?;
        let (expiry, body) = plaintext.split_at_checked(EXPIRY_LEN)?;
        let expires_at = u64::from_be_bytes(expiry.try_into().ok()?);
        (now < expires_at).then(|| body.to_vec())
    }

    /// [`seal`](Self::seal) of the value's JSON; a value that cannot be serialised yields a
    /// value that never opens.
    pub fn seal_json<T: serde::Serialize>(&self, purpose: &str, value: &T, expires_at: u64) -> String {
        match serde_json::to_vec(value) {
            Ok(json) => self.seal(purpose, &json, expires_at),
            Err(_) => String::new(),
        }
    }

    pub fn open_json<T: serde::de::DeserializeOwned>(&self, purpose: &str, sealed: &str, now: u64) -> Option<T> {
        crate::json::from_bytes(&self.open(purpose, sealed, now)?)
    }
}

/// A 32-byte key for `info` from an entry's extracted secret (one extraction gives an entry its
/// cipher key and, for the first, the tag key).
fn expand(secret: &Hkdf<Sha256>, info: &[u8]) -> [u8; 32] {
    let mut key = [0u8; 32];
    // 32 bytes is far below HKDF-SHA256's 8160-byte output limit, so expand cannot fail;
    // a zero key would still only ever open values it sealed itself.
    let _ = secret.expand(info, &mut key);
    key
}

#[cfg(test)]
#[path = "seal_tests.rs"]
mod tests;

//! AEAD-sealed cookie values and the one place that decides cookie attributes.
//!
//! A sealed value is `base64url(version || nonce || ciphertext)`; the plaintext is the
//! expiry (unix seconds, 8 bytes big-endian) followed by the payload. The cookie name is the
//! associated data, so a value sealed for one cookie never opens as another.
//! Keys come from `COOKIE_ENCRYPTION_KEY` (comma-separated; the first seals, all open) through
//! HKDF-SHA256, so any string of enough entropy works as a key.
use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use cookie::{time::Duration, Cookie, SameSite};
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
/// Minimum characters per key entry (`openssl rand -hex 32` gives 64).
pub const MIN_KEY_CHARS: usize = 32;
/// Browsers keep at most ~4 KiB per cookie; anything longer is junk, refused before decoding.
const MAX_SEALED_CHARS: usize = 8192;

/// Derived AES-256-GCM keys, first = current. Ciphers are kept expanded: the Worker holds
/// one `CookieKeys` per isolate, so derivation and key schedules run once.
#[derive(Clone)]
pub struct CookieKeys {
    ciphers: Vec<Aes256Gcm>,
}

impl std::fmt::Debug for CookieKeys {
    // Never print key material.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CookieKeys({} keys)", self.ciphers.len())
    }
}

#[derive(Debug, PartialEq, Eq)]
pub enum KeyError {
    Empty,
    TooShort { index: usize, min: usize },
}

impl CookieKeys {
    /// Parse `COOKIE_ENCRYPTION_KEY`: comma-separated, whitespace around entries trimmed, empty
    /// entries refused, each ≥ 32 characters.
    pub fn parse(value: &str) -> Result<CookieKeys, KeyError> {
        let entries: Vec<&str> = value.split(',').map(str::trim).collect();
        if entries.iter().all(|e| e.is_empty()) {
            return Err(KeyError::Empty);
        }
        let mut ciphers = Vec::with_capacity(entries.len());
        for (index, entry) in entries.iter().enumerate() {
            if entry.chars().count() < MIN_KEY_CHARS {
                return Err(KeyError::TooShort { index, min: MIN_KEY_CHARS });
            }
            ciphers.push(derive(entry));
        }
        Ok(CookieKeys { ciphers })
    }

    /// Seal `payload` for cookie `name`, valid until `expires_at` (unix seconds).
    pub fn seal(&self, name: &str, payload: &[u8], expires_at: u64) -> String {
        let Some(cipher) = self.ciphers.first() else { return String::new() };
        let mut plaintext = Vec::with_capacity(EXPIRY_LEN + payload.len());
        plaintext.extend_from_slice(&expires_at.to_be_bytes());
        plaintext.extend_from_slice(payload);
        let nonce = crate::random::bytes::<NONCE_LEN>();
        // Encryption only fails for plaintexts beyond AES-GCM's 64 GiB limit; an empty
        // value never opens, so it is a safe answer for the impossible case.
        let Ok(ciphertext) =
            cipher.encrypt(Nonce::from_slice(&nonce), Payload { msg: &plaintext, aad: name.as_bytes() })
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
    /// (other key / other cookie name) or malformed input. Never panics.
    pub fn open(&self, name: &str, sealed: &str, now: u64) -> Option<Vec<u8>> {
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
            .find_map(|c| c.decrypt(nonce, Payload { msg: ciphertext, aad: name.as_bytes() }).ok())?;
        let (expiry, body) = plaintext.split_at_checked(EXPIRY_LEN)?;
        let expires_at = u64::from_be_bytes(expiry.try_into().ok()?);
        (now < expires_at).then(|| body.to_vec())
    }

    /// [`seal`](Self::seal) of the value's JSON; a value that cannot be serialised yields a
    /// value that never opens.
    pub fn seal_json<T: serde::Serialize>(&self, name: &str, value: &T, expires_at: u64) -> String {
        match serde_json::to_vec(value) {
            Ok(json) => self.seal(name, &json, expires_at),
            Err(_) => String::new(),
        }
    }

    pub fn open_json<T: serde::de::DeserializeOwned>(&self, name: &str, sealed: &str, now: u64) -> Option<T> {
        serde_json::from_slice(&self.open(name, sealed, now)?).ok()
    }
}

fn derive(secret: &str) -> Aes256Gcm {
    let mut key = [0u8; 32];
    // 32 bytes is far below HKDF-SHA256's 8160-byte output limit, so expand cannot fail;
    // a zero key would still only ever open values it sealed itself.
    let _ = Hkdf::<Sha256>::new(Some(HKDF_SALT), secret.as_bytes()).expand(HKDF_INFO, &mut key);
    Aes256Gcm::new(&key.into())
}

/// `Set-Cookie` value: `__Host-` names, `Secure; HttpOnly; SameSite=Lax; Path=/`, `Max-Age`.
/// No `Domain`, as `__Host-` requires.
pub fn set_cookie(name: &str, value: &str, max_age_secs: u64) -> String {
    let max_age = Duration::seconds(i64::try_from(max_age_secs).unwrap_or(i64::MAX));
    Cookie::build((name, value))
        .secure(true)
        .http_only(true)
        .same_site(SameSite::Lax)
        .path("/")
        .max_age(max_age)
        .build()
        .to_string()
}

/// `Set-Cookie` value that deletes the cookie (same attributes, `Max-Age=0`, empty value).
pub fn clear_cookie(name: &str) -> String {
    set_cookie(name, "", 0)
}

/// Value of cookie `name` from a `Cookie` request header (first occurrence), if any.
/// Pairs that do not parse are skipped, so one bad cookie from another app cannot hide ours.
pub fn read_cookie<'a>(cookie_header: Option<&'a str>, name: &str) -> Option<&'a str> {
    Cookie::split_parse(cookie_header?)
        .filter_map(Result::ok)
        .find(|c| c.name_raw() == Some(name))
        .and_then(|c| c.value_raw())
}

#[cfg(test)]
#[path = "cookies_tests.rs"]
mod tests;

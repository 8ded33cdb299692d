//! AEAD-sealed cookie values and the one place that decides cookie attributes.
//!
//! A sealed value is `base64url(version || nonce || ciphertext)`; the plaintext is the
//! expiry (unix seconds, 8 bytes big-endian) followed by the payload. The cookie name is the
//! associated data, so a value sealed for one cookie never opens as another.
//! Keys come from `COOKIE_ENCRYPTION_KEY` (comma-separated; the first seals, all open) through
//! HKDF-SHA256, so any string of enough entropy works as a key.

/// Derived AES-256-GCM keys, first = current.
#[derive(Clone)]
pub struct CookieKeys { /* keys: Vec<[u8; 32]> */ }

#[derive(Debug, PartialEq, Eq)]
pub enum KeyError { Empty, TooShort { index: usize, min: usize } }

impl CookieKeys {
    /// Parse `COOKIE_ENCRYPTION_KEY`: comma-separated, whitespace around entries trimmed, empty
    /// entries refused, each ≥ 32 characters.
    pub fn parse(value: &str) -> Result<CookieKeys, KeyError> { todo!() }
    /// Seal `payload` for cookie `name`, valid until `expires_at` (unix seconds).
    pub fn seal(&self, name: &str, payload: &[u8], expires_at: u64) -> String { todo!() }
    /// Open a sealed value; `None` for tampered, truncated, expired (`now >= expiry`), foreign
    /// (other key / other cookie name) or malformed input. Never panics.
    pub fn open(&self, name: &str, sealed: &str, now: u64) -> Option<Vec<u8>> { todo!() }
    pub fn seal_json<T: serde::Serialize>(&self, name: &str, value: &T, expires_at: u64) -> String { todo!() }
    pub fn open_json<T: serde::de::DeserializeOwned>(&self, name: &str, sealed: &str, now: u64) -> Option<T> { todo!() }
}

/// `Set-Cookie` value: `__Host-` names, `Secure; HttpOnly; SameSite=Lax; Path=/`, `Max-Age`.
pub fn set_cookie(name: &str, value: &str, max_age_secs: u64) -> String { todo!() }
/// `Set-Cookie` value that deletes the cookie (same attributes, `Max-Age=0`, empty value).
pub fn clear_cookie(name: &str) -> String { todo!() }
/// Value of cookie `name` from a `Cookie` request header (first occurrence), if any.
pub fn read_cookie<'a>(cookie_header: Option<&'a str>, name: &str) -> Option<&'a str> { todo!() }

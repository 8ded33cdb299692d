//! Randomness for state, ids and nonces (getrandom: `crypto.getRandomValues` on Workers).
use crate::b64::URL_SAFE_NO_PAD;

/// Fill `buf` from the platform CSPRNG. There is no sensible fallback if the platform has no
/// randomness, so this is the one deliberate panic: it cannot be reached from request input.
pub fn fill(buf: &mut [u8]) {
    getrandom::fill(buf).expect("platform CSPRNG unavailable");
}

pub fn bytes<const N: usize>() -> [u8; N] {
    let mut b = [0u8; N];
    fill(&mut b);
    b
}

/// `n` random bytes as unpadded base64url (32 bytes → 43 characters, 256 bits).
pub fn token(n: usize) -> String {
    let mut b = vec![0u8; n];
    fill(&mut b);
    URL_SAFE_NO_PAD.encode(b)
}
